// The accounts service over real gRPC (loopback) on the test database (SQLite, or PostgreSQL
// with LF_TEST_DB=postgres): users and the leader rules, activation, sign-in, rotating refresh
// tokens and theft detection, withdrawal (disable, reset, revoke), enrollment codes, the
// brute-force brake, bad input, and the key rules (EdDSA tokens; a person's HS256 token
// refused).
#include <grpcpp/client_context.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/server/grpc_status.h"
#include "common/sql/database.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/temp_dir.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/accounts/accounts_harness.h"

namespace lianfang::accounts::testing {
namespace {

using auth::Role;
using ::lianfang::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;
using Stub = v1::AccountsService::Stub;

constexpr char kPassword[] = "长城-Great-Wall-42";

class AccountsTest : public ::testing::Test {
 protected:
  AccountsTest() : clock_(absl::FromUnixSeconds(1'800'000'000)), tokens_(&clock_) {}

  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(accounts_, AccountsHarness::Start({.db_path = dir_.File("accounts.db"),
                                                            .clock = &clock_,
                                                            .tokens = &tokens_}));
  }
  void TearDown() override { accounts_.reset(); }

  std::string Admin() { return accounts_->Token(Role::kAdmin, "admin-1"); }
  std::string Leader(std::vector<std::string> sites = {"campus"}) {
    return accounts_->Token(Role::kLeader, "leader-1", std::move(sites));
  }
  std::string NextRequestId() { return absl::StrCat("req-", ++request_seq_); }

  template <typename Req, typename Resp>
  absl::StatusOr<Resp> Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                            const std::string& token, const Req& req) {
    auto context = lianfang::testing::NewClientContext(token, absl::Seconds(10));
    Resp resp;
    grpc::Status status = (accounts_->stub().*method)(context.get(), req, &resp);
    if (!status.ok()) return server::FromGrpcStatus(status);
    return resp;
  }

  v1::CreateUserRequest UserRequest(const std::string& login, common::v1::Role role,
                                    std::vector<std::string> sites = {"campus"}) {
    v1::CreateUserRequest r;
    r.set_request_id(NextRequestId());
    r.set_login(login);
    r.set_display_name("王芳");
    r.set_role(role);
    for (const std::string& s : sites) r.add_site_ids(s);
    return r;
  }
  absl::StatusOr<v1::User> CreateUser(const std::string& login,
                                      common::v1::Role role = common::v1::ROLE_VOLUNTEER,
                                      std::vector<std::string> sites = {"campus"}) {
    return Call(&Stub::CreateUser, Admin(), UserRequest(login, role, std::move(sites)));
  }
  absl::StatusOr<v1::Session> Activate(const std::string& code,
                                       const std::string& password = kPassword) {
    v1::ActivateRequest r;
    r.set_activation_code(code);
    r.set_password(password);
    return Call(&Stub::Activate, "", r);
  }
  absl::StatusOr<v1::Session> SignIn(const std::string& login,
                                     const std::string& password = kPassword) {
    v1::SignInRequest r;
    r.set_login(login);
    r.set_password(password);
    return Call(&Stub::SignIn, "", r);
  }
  absl::StatusOr<v1::Session> Refresh(const std::string& refresh_token) {
    v1::RefreshRequest r;
    r.set_refresh_token(refresh_token);
    return Call(&Stub::Refresh, "", r);
  }
  // A volunteer created and activated; its first session.
  absl::StatusOr<v1::Session> ActiveUser(const std::string& login) {
    absl::StatusOr<v1::User> user = CreateUser(login);
    if (!user.ok()) return user.status();
    return Activate(user->activation_code());
  }
  absl::StatusOr<v1::User> Disable(const std::string& user_id) {
    v1::DisableUserRequest r;
    r.set_request_id(NextRequestId());
    r.set_user_id(user_id);
    return Call(&Stub::DisableUser, Admin(), r);
  }
  absl::StatusOr<v1::Enrollment> Enrollment(const std::string& token,
                                            const std::string& site = "campus",
                                            const std::string& gate = "east") {
    v1::CreateEnrollmentRequest r;
    r.set_request_id(NextRequestId());
    r.set_site_id(site);
    r.set_gate_id(gate);
    return Call(&Stub::CreateEnrollment, token, r);
  }
  absl::StatusOr<v1::Session> Redeem(const std::string& code,
                                     const std::string& name = "东门手机1") {
    v1::RedeemEnrollmentRequest r;
    r.set_enrollment_code(code);
    r.set_device_name(name);
    return Call(&Stub::RedeemEnrollment, "", r);
  }

  time::FakeClock clock_;
  lianfang::testing::TestTokens tokens_;
  lianfang::testing::TempDir dir_;
  std::unique_ptr<AccountsHarness> accounts_;
  int request_seq_ = 0;
};

TEST_F(AccountsTest, AnAdminCreatesAUserWhoActivatesSignsInAndGetsTokensForItsRoleAndSites) {
  ASSERT_OK_AND_ASSIGN(v1::User user, CreateUser("Wang.Fang"));
  EXPECT_EQ(user.login(), "wang.fang");
  EXPECT_EQ(user.status(), v1::USER_STATUS_PENDING);
  EXPECT_EQ(user.activation_code().size(), kCodeChars);
  EXPECT_EQ(user.activation_expires_at().seconds(),
            absl::ToUnixSeconds(clock_.Now() + absl::Hours(72)));

  ASSERT_OK_AND_ASSIGN(v1::Session activated, Activate(user.activation_code()));
  EXPECT_EQ(activated.user().status(), v1::USER_STATUS_ACTIVE);
  ASSERT_OK_AND_ASSIGN(auth::Principal who, accounts_->verifier().Verify(activated.access_token()));
  EXPECT_EQ(who.subject, user.user_id());
  EXPECT_EQ(who.role, Role::kVolunteer);
  EXPECT_THAT(who.sites, ::testing::ElementsAre("campus"));
  EXPECT_EQ(who.expires_at, clock_.Now() + absl::Minutes(15));
  EXPECT_EQ(activated.access_expires_at().seconds(),
            absl::ToUnixSeconds(clock_.Now() + absl::Minutes(15)));

  clock_.Advance(absl::Minutes(1));
  ASSERT_OK_AND_ASSIGN(v1::Session signed_in, SignIn("WANG.FANG"));
  EXPECT_EQ(signed_in.user().user_id(), user.user_id());
  EXPECT_NE(signed_in.refresh_token(), activated.refresh_token());
  ASSERT_OK_AND_ASSIGN(v1::User read, Call(&Stub::GetUser, Admin(), [&] {
                         v1::GetUserRequest r;
                         r.set_user_id(user.user_id());
                         return r;
                       }()));
  EXPECT_EQ(read.last_sign_in_at().seconds(), absl::ToUnixSeconds(clock_.Now()));
  EXPECT_TRUE(read.activation_code().empty());
}

TEST_F(AccountsTest, ARetriedCreateUserReturnsTheUserWithoutItsCodeAndNoCodeIsStoredInClear) {
  const v1::CreateUserRequest request = UserRequest("li.lei", common::v1::ROLE_GUARD);
  ASSERT_OK_AND_ASSIGN(v1::User first, Call(&Stub::CreateUser, Admin(), request));
  ASSERT_OK_AND_ASSIGN(v1::User retry, Call(&Stub::CreateUser, Admin(), request));
  EXPECT_EQ(retry.user_id(), first.user_id());
  EXPECT_TRUE(retry.activation_code().empty());
  // Nothing in the database holds the code (nor, after activation, the password).
  ASSERT_OK_AND_ASSIGN(v1::Session session, Activate(first.activation_code()));
  std::string everything;
  ASSERT_OK(accounts_->db().Read([&](sql::Session& s) -> absl::Status {
    for (const char* table : {"accounts_users", "accounts_sessions", "accounts_refresh_tokens",
                              "lf_idempotency", "lf_audit_events"}) {
      absl::StatusOr<sql::Result> r = s.Execute(absl::StrCat("SELECT * FROM ", table));
      if (!r.ok()) continue;  // a table of another name: the check below is then weaker
      for (const sql::Row& row : r->rows) {
        for (const sql::Value& v : row.values()) absl::StrAppend(&everything, v.AsText(), "|");
      }
    }
    return absl::OkStatus();
  }));
  EXPECT_THAT(everything, HasSubstr("li.lei"));  // the dump did read the users
  EXPECT_THAT(everything, Not(HasSubstr(first.activation_code())));
  EXPECT_THAT(everything, Not(HasSubstr(session.refresh_token())));
  EXPECT_THAT(everything, Not(HasSubstr(kPassword)));
  EXPECT_THAT(everything, HasSubstr("$argon2id$"));
}

TEST_F(AccountsTest, ALeaderCreatesOnlyGuardsVolunteersAndViewersOfItsOwnSites) {
  for (common::v1::Role role :
       {common::v1::ROLE_GUARD, common::v1::ROLE_VOLUNTEER, common::v1::ROLE_VIEWER}) {
    EXPECT_OK(Call(&Stub::CreateUser, Leader(),
                   UserRequest(absl::StrCat("ok-", role), role, {"campus"})));
  }
  EXPECT_THAT(Call(&Stub::CreateUser, Leader(),
                   UserRequest("boss", common::v1::ROLE_LEADER, {"campus"})),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Call(&Stub::CreateUser, Leader(),
                   UserRequest("root", common::v1::ROLE_ADMIN, {"campus"})),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Call(&Stub::CreateUser, Leader(),
                   UserRequest("elsewhere", common::v1::ROLE_GUARD, {"village"})),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Call(&Stub::CreateUser, Leader(),
                   UserRequest("everywhere", common::v1::ROLE_GUARD, {})),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Call(&Stub::CreateUser, Leader(),
                   UserRequest("svc", common::v1::ROLE_SERVICE, {"campus"})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // An admin creates any person's role; the leader cannot then manage the leader it made.
  ASSERT_OK_AND_ASSIGN(v1::User leader, CreateUser("leader.two", common::v1::ROLE_LEADER, {}));
  v1::DisableUserRequest disable;
  disable.set_request_id(NextRequestId());
  disable.set_user_id(leader.user_id());
  EXPECT_THAT(Call(&Stub::DisableUser, Leader(), disable),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // The leader lists only the users it manages.
  ASSERT_OK_AND_ASSIGN(v1::ListUsersResponse listed,
                       Call(&Stub::ListUsers, Leader(), v1::ListUsersRequest()));
  EXPECT_EQ(listed.users_size(), 3);
  ASSERT_OK_AND_ASSIGN(v1::ListUsersResponse all,
                       Call(&Stub::ListUsers, Admin(), v1::ListUsersRequest()));
  EXPECT_EQ(all.users_size(), 4);
  v1::ListUsersRequest elsewhere;
  elsewhere.set_site_id("village");
  EXPECT_THAT(Call(&Stub::ListUsers, Leader(), elsewhere),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(AccountsTest, RefreshTokensRotateAndAReusedOneRevokesTheWholeChain) {
  ASSERT_OK_AND_ASSIGN(v1::Session first, ActiveUser("zhao.lei"));
  ASSERT_OK_AND_ASSIGN(v1::Session second, Refresh(first.refresh_token()));
  EXPECT_NE(second.refresh_token(), first.refresh_token());
  EXPECT_EQ(second.user().login(), "zhao.lei");
  ASSERT_OK_AND_ASSIGN(v1::Session third, Refresh(second.refresh_token()));
  // The first token comes back (copied by a thief): refused, and the chain ends for everyone.
  EXPECT_THAT(Refresh(first.refresh_token()),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("already used")));
  EXPECT_THAT(Refresh(third.refresh_token()), StatusIs(absl::StatusCode::kUnauthenticated));
  // A new sign-in works again.
  EXPECT_OK(SignIn("zhao.lei"));
}

TEST_F(AccountsTest, DisablingAUserMakesRefreshAndSignInFailAtOnceAndEnablingRestoresSignIn) {
  ASSERT_OK_AND_ASSIGN(v1::Session session, ActiveUser("qian.li"));
  ASSERT_OK(Disable(session.user().user_id()).status());
  // The refusal says why (the guard console wipes its queue on it).
  EXPECT_THAT(Refresh(session.refresh_token()),
              StatusIs(absl::StatusCode::kUnauthenticated, "the account is disabled or was reset"));
  EXPECT_THAT(SignIn("qian.li"), StatusIs(absl::StatusCode::kFailedPrecondition));
  v1::EnableUserRequest enable;
  enable.set_request_id(NextRequestId());
  enable.set_user_id(session.user().user_id());
  ASSERT_OK_AND_ASSIGN(v1::User enabled, Call(&Stub::EnableUser, Admin(), enable));
  EXPECT_EQ(enabled.status(), v1::USER_STATUS_ACTIVE);
  EXPECT_OK(SignIn("qian.li"));
  // The sessions revoked by the disable stay revoked.
  EXPECT_THAT(Refresh(session.refresh_token()), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(AccountsTest, AResetRevokesTheSessionsAndThePasswordAndGivesANewCode) {
  ASSERT_OK_AND_ASSIGN(v1::Session session, ActiveUser("sun.mei"));
  v1::ResetActivationRequest reset;
  reset.set_request_id(NextRequestId());
  reset.set_user_id(session.user().user_id());
  ASSERT_OK_AND_ASSIGN(v1::User user, Call(&Stub::ResetActivation, Leader(), reset));
  EXPECT_EQ(user.status(), v1::USER_STATUS_PENDING);
  EXPECT_EQ(user.activation_code().size(), kCodeChars);
  EXPECT_THAT(Refresh(session.refresh_token()),
              StatusIs(absl::StatusCode::kUnauthenticated, "the account is disabled or was reset"));
  EXPECT_THAT(SignIn("sun.mei"), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_OK(Activate(user.activation_code(), "another-Long-Secret-9"));
  EXPECT_OK(SignIn("sun.mei", "another-Long-Secret-9"));
}

TEST_F(AccountsTest, UnknownReusedAndExpiredActivationCodesAreRefused) {
  EXPECT_THAT(Activate("ABCDEFGHJKMN"), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Activate("not a code!"), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(v1::User user, CreateUser("zhou.yi"));
  // Dashes, spaces and lower case are how people type codes: accepted.
  std::string typed = absl::AsciiStrToLower(user.activation_code());
  typed.insert(4, "-");
  ASSERT_OK(Activate(typed).status());
  EXPECT_THAT(Activate(user.activation_code()), StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK_AND_ASSIGN(v1::User late, CreateUser("wu.di"));
  clock_.Advance(absl::Hours(72) + absl::Seconds(1));
  EXPECT_THAT(Activate(late.activation_code()), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(AccountsTest, ThePasswordPolicyRefusesShortCommonAndLoginPasswords) {
  ASSERT_OK_AND_ASSIGN(v1::User user, CreateUser("zheng.he"));
  for (const std::string& bad : {std::string("short1"), std::string("12345678"),
                                 std::string("Password1"), std::string("ZHENG.HE")}) {
    EXPECT_THAT(Activate(user.activation_code(), bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("password")))
        << bad;
  }
  // The refusals did not use the code up.
  EXPECT_OK(Activate(user.activation_code()));
}

TEST_F(AccountsTest, EnrollmentCodesAreOneTimeExpireAndEnrolADeviceAsAGuardOfThatSiteOnly) {
  ASSERT_OK_AND_ASSIGN(v1::Enrollment enrollment, Enrollment(Leader()));
  EXPECT_EQ(enrollment.enrollment_code().size(), kCodeChars);
  EXPECT_EQ(enrollment.expires_at().seconds(),
            absl::ToUnixSeconds(clock_.Now() + absl::Minutes(10)));
  ASSERT_OK_AND_ASSIGN(v1::Session device, Redeem(enrollment.enrollment_code()));
  EXPECT_FALSE(device.has_user());
  EXPECT_EQ(device.device().site_id(), "campus");
  EXPECT_EQ(device.device().gate_id(), "east");
  EXPECT_EQ(device.device().enrolled_by(), "leader-1");
  ASSERT_OK_AND_ASSIGN(auth::Principal who, accounts_->verifier().Verify(device.access_token()));
  EXPECT_EQ(who.role, Role::kGuard);
  EXPECT_THAT(who.sites, ::testing::ElementsAre("campus"));
  EXPECT_EQ(who.subject, device.device().device_id());

  EXPECT_THAT(Redeem(enrollment.enrollment_code()), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Redeem("ABCDEFGHJKMN"), StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK_AND_ASSIGN(v1::Enrollment late, Enrollment(Admin(), "village", "checkpoint-1"));
  clock_.Advance(absl::Minutes(10) + absl::Seconds(1));
  EXPECT_THAT(Redeem(late.enrollment_code()), StatusIs(absl::StatusCode::kUnauthenticated));
  // A leader of one site enrols only there; a retried request_id gives no second code.
  EXPECT_THAT(Enrollment(Leader(), "village", "checkpoint-1"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Enrollment(Leader(), "campus", "nowhere"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("gate_id")));
}

TEST_F(AccountsTest, ARevokedDeviceCannotRefreshAndLeadersSeeItsLastReport) {
  ASSERT_OK_AND_ASSIGN(v1::Enrollment enrollment, Enrollment(Leader()));
  ASSERT_OK_AND_ASSIGN(v1::Session device, Redeem(enrollment.enrollment_code()));
  clock_.Advance(absl::Minutes(14));
  v1::RefreshRequest report;
  report.set_refresh_token(device.refresh_token());
  report.set_app_version("guard-1.4.2");
  report.set_offline_queue_length(7);
  ASSERT_OK_AND_ASSIGN(v1::Session refreshed, Call(&Stub::Refresh, "", report));
  ASSERT_OK_AND_ASSIGN(v1::ListDevicesResponse listed,
                       Call(&Stub::ListDevices, Leader(), v1::ListDevicesRequest()));
  ASSERT_EQ(listed.devices_size(), 1);
  EXPECT_EQ(listed.devices(0).app_version(), "guard-1.4.2");
  EXPECT_EQ(listed.devices(0).offline_queue_length(), 7);
  EXPECT_EQ(listed.devices(0).last_seen_at().seconds(), absl::ToUnixSeconds(clock_.Now()));
  // Another site's leader sees nothing of it and cannot revoke it.
  ASSERT_OK_AND_ASSIGN(v1::ListDevicesResponse other,
                       Call(&Stub::ListDevices, Leader({"village"}), v1::ListDevicesRequest()));
  EXPECT_EQ(other.devices_size(), 0);
  v1::RevokeDeviceRequest revoke;
  revoke.set_request_id(NextRequestId());
  revoke.set_device_id(device.device().device_id());
  EXPECT_THAT(Call(&Stub::RevokeDevice, Leader({"village"}), revoke),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(v1::Device revoked, Call(&Stub::RevokeDevice, Leader(), revoke));
  EXPECT_TRUE(revoked.revoked());
  EXPECT_THAT(Refresh(refreshed.refresh_token()),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("revoked")));
}

TEST_F(AccountsTest, AWrongPasswordAndAnUnknownLoginGetTheSameAnswer) {
  ASSERT_OK(ActiveUser("feng.yu").status());
  absl::StatusOr<v1::Session> wrong_password = SignIn("feng.yu", "not-the-password");
  absl::StatusOr<v1::Session> unknown_login = SignIn("nobody.here", "not-the-password");
  ASSERT_THAT(wrong_password, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(wrong_password.status(), unknown_login.status());
}

TEST_F(AccountsTest, OverLongAndControlCharacterInputIsInvalidArgumentNamingTheField) {
  EXPECT_THAT(SignIn(std::string(65, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("login")));
  EXPECT_THAT(SignIn("feng.yu", std::string(129, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("password")));
  EXPECT_THAT(SignIn("feng.yu", std::string(100000, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("password")));
  EXPECT_THAT(SignIn("feng\nyu"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("login")));
  EXPECT_THAT(SignIn("feng.yu", "pass\x01word-long"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("password")));
  v1::CreateUserRequest bad_name = UserRequest("kong.ming", common::v1::ROLE_GUARD);
  bad_name.set_display_name("孔\n明");
  EXPECT_THAT(Call(&Stub::CreateUser, Admin(), bad_name),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("display_name")));
  ASSERT_OK_AND_ASSIGN(v1::Enrollment enrollment, Enrollment(Admin()));
  EXPECT_THAT(Redeem(enrollment.enrollment_code(), "phone\x7f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("device_name")));
  EXPECT_THAT(Refresh(std::string(500, 'r')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("refresh_token")));
}

TEST_F(AccountsTest, ASignInFloodAgainstOneAccountIsDelayedAndNeverAnInternalError) {
  ASSERT_OK(ActiveUser("han.xin").status());
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(SignIn("han.xin", "guess-number-" + std::to_string(i)),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
  // Now the account waits: even the right password is refused until the wait is over.
  EXPECT_THAT(SignIn("han.xin"),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("try again in")));
  // A flood from many threads: delayed or refused, never anything else.
  std::vector<std::thread> threads;
  std::atomic<int> unexpected{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        absl::StatusOr<v1::Session> s = SignIn("han.xin", absl::StrCat("flood-", t, "-", i));
        if (s.status().code() != absl::StatusCode::kResourceExhausted &&
            s.status().code() != absl::StatusCode::kUnauthenticated) {
          unexpected.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(unexpected.load(), 0);
  // An unknown login is braked the same way (the brake does not reveal which logins exist).
  for (int i = 0; i < 5; ++i) (void)SignIn("ghost.user", "guess-" + std::to_string(i));
  EXPECT_THAT(SignIn("ghost.user"), StatusIs(absl::StatusCode::kResourceExhausted));
  // Once the wait is over, the right password works again.
  clock_.Advance(absl::Minutes(15));
  EXPECT_OK(SignIn("han.xin"));
}

// Guessing refresh tokens costs no write: an unknown token is refused without a commit (a
// flood of guesses must not become a flood of transactions on the one SQL writer).
TEST_F(AccountsTest, AnUnknownRefreshTokenIsRefusedWithoutCommittingAWrite) {
  const int64_t writes = accounts_->db().stats().writes;
  EXPECT_THAT(Refresh("rt_guessed0123456789abcdef0123456789"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(accounts_->db().stats().writes, writes);
}

// A sign-in as it comes through the gateway: the gateway names its HTTP client in the
// x-lf-client-address metadata.
absl::Status SignInFrom(AccountsHarness& accounts, const std::string& client,
                        const std::string& login) {
  auto context = lianfang::testing::NewClientContext("", absl::Seconds(10));
  context->AddMetadata(kClientAddressMetadata, client);
  v1::SignInRequest r;
  r.set_login(login);
  r.set_password("not-the-password-1");
  v1::Session session;
  return server::FromGrpcStatus(accounts.stub().SignIn(context.get(), r, &session));
}

TEST_F(AccountsTest, BehindATrustedProxyEachClientIsBrakedByItsOwnAddress) {
  accounts_.reset();
  ASSERT_OK_AND_ASSIGN(server::IpRanges loopback, server::IpRanges::Parse("127.0.0.1/32,::1/128"));
  ASSERT_OK_AND_ASSIGN(accounts_,
                       AccountsHarness::Start({.db_path = dir_.File("proxied.db"),
                                               .clock = &clock_,
                                               .tokens = &tokens_,
                                               .throttle = {.account_free_failures = 100,
                                                            .address_free_failures = 3},
                                               .trusted_proxies = loopback}));
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(SignInFrom(*accounts_, "203.0.113.7", absl::StrCat("login.", i)),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
  EXPECT_THAT(SignInFrom(*accounts_, "203.0.113.7", "login.x"),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("try again in")));
  // Another client behind the same proxy is not braked by the first one's failures.
  EXPECT_THAT(SignInFrom(*accounts_, "203.0.113.8", "login.x"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("wrong login or password")));
  // A value that is not an address is not believed: it counts against the proxy itself.
  EXPECT_THAT(SignInFrom(*accounts_, "not-an-address", "login.y"),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(AccountsTest, TheClientAddressMetadataOfAnUntrustedPeerIsIgnored) {
  accounts_.reset();
  ASSERT_OK_AND_ASSIGN(server::IpRanges elsewhere, server::IpRanges::Parse("10.9.9.9/32"));
  ASSERT_OK_AND_ASSIGN(accounts_,
                       AccountsHarness::Start({.db_path = dir_.File("untrusted.db"),
                                               .clock = &clock_,
                                               .tokens = &tokens_,
                                               .throttle = {.account_free_failures = 100,
                                                            .address_free_failures = 3},
                                               .trusted_proxies = elsewhere}));
  // Each call claims another client, but the peer (loopback) is no trusted proxy: every
  // failure counts against the peer, which is braked after three.
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(SignInFrom(*accounts_, absl::StrCat("203.0.113.", i), absl::StrCat("login.", i)),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
  EXPECT_THAT(SignInFrom(*accounts_, "203.0.113.99", "login.x"),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("try again in")));
}

TEST_F(AccountsTest, SignOutEndsOneSessionAndSignOutEverywhereEndsThemAll) {
  ASSERT_OK_AND_ASSIGN(v1::Session one, ActiveUser("ma.chao"));
  ASSERT_OK_AND_ASSIGN(v1::Session two, SignIn("ma.chao"));
  ASSERT_OK_AND_ASSIGN(v1::Session three, SignIn("ma.chao"));
  v1::SignOutRequest out;
  out.set_refresh_token(one.refresh_token());
  ASSERT_OK(Call(&Stub::SignOut, "", out).status());
  EXPECT_THAT(Refresh(one.refresh_token()), StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK_AND_ASSIGN(v1::SignOutEverywhereResponse everywhere,
                       Call(&Stub::SignOutEverywhere, two.access_token(),
                            v1::SignOutEverywhereRequest()));
  EXPECT_EQ(everywhere.sessions_ended(), 2);
  EXPECT_THAT(Refresh(three.refresh_token()), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(AccountsTest, APersonsHs256TokenIsRefusedButTheSignInMethodsNeedNoToken) {
  // The shared HS256 key (every service has it) no longer makes a person's token.
  v1::CreateUserRequest request = UserRequest("xu.shu", common::v1::ROLE_GUARD);
  EXPECT_THAT(Call(&Stub::CreateUser, tokens_.For(Role::kAdmin, "forged-admin"), request),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // A service's HS256 token is still a valid identity (it just has no role here).
  EXPECT_THAT(Call(&Stub::CreateUser, tokens_.For(Role::kService, "gate"), request),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // The anonymous methods ignore whatever token comes along.
  EXPECT_THAT(SignIn("nobody.at.all"), StatusIs(absl::StatusCode::kUnauthenticated,
                                                HasSubstr("wrong login or password")));
  v1::SignInRequest with_garbage_token;
  with_garbage_token.set_login("nobody.at.all");
  with_garbage_token.set_password("whatever-password");
  EXPECT_THAT(Call(&Stub::SignIn, "garbage", with_garbage_token),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("wrong login or password")));
}

TEST_F(AccountsTest, TheAuditTrailRecordsSignInsFailuresAndManagement) {
  ASSERT_OK_AND_ASSIGN(v1::Session session, ActiveUser("cao.ren"));
  ASSERT_THAT(SignIn("cao.ren", "wrong-password-1"), StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK(SignIn("cao.ren").status());
  ASSERT_OK_AND_ASSIGN(common::v1::ListAuditEventsResponse audit,
                       Call(&Stub::ListAuditEvents, Admin(), common::v1::ListAuditEventsRequest()));
  std::vector<std::string> seen;
  for (const auto& e : audit.events()) {
    seen.push_back(absl::StrCat(e.method().substr(e.method().rfind('/') + 1), " ", e.outcome()));
  }
  EXPECT_THAT(seen, ::testing::IsSupersetOf({"CreateUser OK", "Activate OK", "SignIn OK",
                                             "SignIn UNAUTHENTICATED"}));
}

}  // namespace
}  // namespace lianfang::accounts::testing
