// Attacks on sign-in, end to end: the real lf-accounts, lf-gate, lf-survey, lf-dispatch and
// lf-report binaries (testing::Suite), every one holding the accounts service's public key
// (LF_JWT_PUBLIC_KEY_FILE) as a deployment does.
//  - a sign-in flood, from one address and against one account, through many concurrent
//    calls: every answer is RESOURCE_EXHAUSTED or UNAUTHENTICATED (never INTERNAL or
//    UNKNOWN), while a guard keeps recording passages at the gate and every one succeeds;
//  - over-long logins and passwords, control characters and invalid UTF-8: refused for their
//    content, the service unharmed;
//  - a person's token signed with the old shared HS256 secret is refused by gate, survey,
//    dispatch and report, while a SERVICE HS256 token still works there.
#include <grpcpp/client_context.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/testing/grpc/suite.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/accounts/v1/accounts.grpc.pb.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "lianfang/report/v1/report.grpc.pb.h"
#include "lianfang/survey/v1/survey.grpc.pb.h"

namespace lianfang::accounts {
namespace {

using auth::Role;
using ::testing::AnyOf;
using ::testing::Eq;

// A valid resident ID number (GB 11643 check digit), distinct for each `n`.
std::string IdNumber(int n) {
  const std::string first17 = absl::StrCat("11010519900307", 100 + n % 900);
  static constexpr int kWeights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return absl::StrCat(first17, std::string(1, "10X98765432"[sum % 11]));
}

std::unique_ptr<grpc::ClientContext> Context(const std::string& token = "") {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  return context;
}

std::string Today() {
  return absl::FormatTime("%Y-%m-%d", absl::Now(), absl::FixedTimeZone(8 * 3600));
}

class AccountsAttackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    suite_ = new testing::Suite();
    testing::Suite::Options options;
    options.services = {"gate", "survey", "dispatch", "report", "accounts"};
    options.env = {{"LF_JWT_PUBLIC_KEY_FILE", suite_->tokens().public_key_file()}};
    const absl::Status started = suite_->Start(options);
    ASSERT_TRUE(started.ok()) << started;
  }
  static void TearDownTestSuite() {
    delete suite_;
    suite_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(suite_, nullptr);
    accounts_ = v1::AccountsService::NewStub(suite_->Channel("accounts"));
  }

  // An active user with `password`.
  void ActiveUser(const std::string& login, const std::string& password) {
    v1::CreateUserRequest create;
    create.set_request_id("attack-" + login);
    create.set_login(login);
    create.set_display_name("攻击测试");
    create.set_role(common::v1::ROLE_VOLUNTEER);
    create.add_site_ids("campus");
    v1::User user;
    const grpc::Status created = accounts_->CreateUser(
        Context(suite_->tokens().EdDsaFor(Role::kAdmin, "attack-admin")).get(), create, &user);
    ASSERT_TRUE(created.ok()) << created.error_message();
    v1::ActivateRequest activate;
    activate.set_activation_code(user.activation_code());
    activate.set_password(password);
    v1::Session session;
    const grpc::Status activated = accounts_->Activate(Context().get(), activate, &session);
    ASSERT_TRUE(activated.ok()) << activated.error_message();
  }

  grpc::Status SignIn(const std::string& login, const std::string& password) {
    v1::SignInRequest request;
    request.set_login(login);
    request.set_password(password);
    v1::Session session;
    return accounts_->SignIn(Context().get(), request, &session);
  }

  static testing::Suite* suite_;
  std::unique_ptr<v1::AccountsService::Stub> accounts_;
};

testing::Suite* AccountsAttackTest::suite_ = nullptr;

TEST_F(AccountsAttackTest, OverLongAndControlCharacterInputIsRefusedForItsContent) {
  const std::vector<std::pair<std::string, std::string>> attempts = {
      {std::string(65, 'a'), "some-passphrase"},
      {std::string(1 << 20, 'a'), "some-passphrase"},  // 1 MiB login
      {"long.password", std::string(129, 'p')},
      {"long.password", std::string(1 << 20, 'p')},  // 1 MiB password: never hashed
      {std::string("nul\0login", 9), "some-passphrase"},
      {"line\nbreak", "some-passphrase"},
      {"tab\tlogin", "some-passphrase"},
      {"del.login", "pass\x7fword-long"},
      {"esc.login", "\x1b[2Jpassword"},
      {"nul.password", std::string("pass\0word-long", 14)},
      {"", ""},
  };
  for (const auto& [login, password] : attempts) {
    const grpc::Status s = SignIn(login, password);
    EXPECT_THAT(s.error_code(),
                AnyOf(Eq(grpc::StatusCode::INVALID_ARGUMENT), Eq(grpc::StatusCode::UNAUTHENTICATED),
                      Eq(grpc::StatusCode::RESOURCE_EXHAUSTED)))
        << login.substr(0, 20) << ": " << s.error_code() << " " << s.error_message();
    EXPECT_LT(s.error_message().size(), 200u) << "the input is echoed back";
  }
  // Strings that are not UTF-8 do not decode as the request message (proto3): gRPC refuses
  // them before any handler runs (it answers UNIMPLEMENTED, with no message). Never a server
  // fault, never an answer.
  for (const auto& [login, password] : std::vector<std::pair<std::string, std::string>>{
           {"utf8.bad", "\xff\xfe\xfd-password"}, {"\xc3\x28-login", "some-passphrase"}}) {
    const grpc::Status s = SignIn(login, password);
    EXPECT_THAT(s.error_code(),
                ::testing::Not(AnyOf(Eq(grpc::StatusCode::OK), Eq(grpc::StatusCode::INTERNAL),
                                     Eq(grpc::StatusCode::UNKNOWN))))
        << s.error_message();
  }
  // The same through activation and enrollment codes and refresh tokens.
  v1::ActivateRequest activate;
  activate.set_activation_code(std::string(1 << 16, 'A'));
  activate.set_password("a-fine-passphrase");
  v1::Session session;
  EXPECT_EQ(accounts_->Activate(Context().get(), activate, &session).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  activate.set_activation_code("ABCD\nEFGH\x01");
  EXPECT_EQ(accounts_->Activate(Context().get(), activate, &session).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::RedeemEnrollmentRequest redeem;
  redeem.set_enrollment_code(std::string(1 << 16, '9'));
  redeem.set_device_name(std::string(1000, 'd'));
  EXPECT_EQ(accounts_->RedeemEnrollment(Context().get(), redeem, &session).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::RefreshRequest refresh;
  refresh.set_refresh_token(std::string(1 << 20, 'r'));
  EXPECT_EQ(accounts_->Refresh(Context().get(), refresh, &session).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // A user created with control characters in its display name is refused, naming it.
  v1::CreateUserRequest create;
  create.set_request_id("attack-control");
  create.set_login("control.name");
  create.set_display_name("王\x1b[31m芳");
  create.set_role(common::v1::ROLE_GUARD);
  create.add_site_ids("campus");
  v1::User user;
  const grpc::Status bad_name = accounts_->CreateUser(
      Context(suite_->tokens().EdDsaFor(Role::kAdmin, "attack-admin")).get(), create, &user);
  EXPECT_EQ(bad_name.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad_name.error_message(), ::testing::HasSubstr("display_name"));
  // And the service still signs a good user in.
  ASSERT_NO_FATAL_FAILURE(ActiveUser("after.attack", "still-a-good-passphrase"));
  EXPECT_TRUE(SignIn("after.attack", "still-a-good-passphrase").ok());
}

// Every service holding the public key refuses a person's token made with the shared HS256
// secret (a stolen gate can no longer mint an ADMIN token), and still takes the SERVICE
// tokens the services call each other with.
TEST_F(AccountsAttackTest, APersonsHs256TokenIsRefusedEverywhereButServiceTokensStillWork) {
  const std::string forged_admin = suite_->tokens().For(Role::kAdmin, "forged-admin");
  const std::string forged_leader = suite_->tokens().For(Role::kLeader, "forged-leader");
  const std::string admin = suite_->tokens().EdDsaFor(Role::kAdmin, "real-admin");
  const std::string service = suite_->tokens().For(Role::kService, "report");
  common::v1::ListAuditEventsRequest audit;
  common::v1::ListAuditEventsResponse events;

  auto gate = gate::v1::GateService::NewStub(suite_->Channel("gate"));
  auto survey = survey::v1::SurveyService::NewStub(suite_->Channel("survey"));
  auto dispatch = dispatch::v1::DispatchService::NewStub(suite_->Channel("dispatch"));
  auto report = report::v1::ReportService::NewStub(suite_->Channel("report"));

  // The same call with a forged person token, a real one, and (for a method SERVICE may call)
  // the SERVICE token.
  for (const std::string& forged : {forged_admin, forged_leader}) {
    EXPECT_EQ(gate->ListAuditEvents(Context(forged).get(), audit, &events).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(survey->ListAuditEvents(Context(forged).get(), audit, &events).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(dispatch->ListAuditEvents(Context(forged).get(), audit, &events).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(report->ListAuditEvents(Context(forged).get(), audit, &events).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_TRUE(gate->ListAuditEvents(Context(admin).get(), audit, &events).ok());
  EXPECT_TRUE(survey->ListAuditEvents(Context(admin).get(), audit, &events).ok());
  EXPECT_TRUE(dispatch->ListAuditEvents(Context(admin).get(), audit, &events).ok());
  EXPECT_TRUE(report->ListAuditEvents(Context(admin).get(), audit, &events).ok());

  gate::v1::GetDailyStatsRequest gate_stats;
  gate_stats.set_date(Today());
  gate::v1::GetDailyStatsResponse gate_figures;
  grpc::Status s = gate->GetDailyStats(Context(service).get(), gate_stats, &gate_figures);
  EXPECT_TRUE(s.ok()) << "gate: " << s.error_message();
  EXPECT_EQ(
      gate->GetDailyStats(Context(forged_admin).get(), gate_stats, &gate_figures).error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  survey::v1::GetDailyStatsRequest survey_stats;
  survey_stats.set_date(Today());
  survey::v1::GetDailyStatsResponse survey_figures;
  s = survey->GetDailyStats(Context(service).get(), survey_stats, &survey_figures);
  EXPECT_TRUE(s.ok()) << "survey: " << s.error_message();
  dispatch::v1::GetDailyStatsRequest dispatch_stats;
  dispatch_stats.set_date(Today());
  dispatch::v1::GetDailyStatsResponse dispatch_figures;
  s = dispatch->GetDailyStats(Context(service).get(), dispatch_stats, &dispatch_figures);
  EXPECT_TRUE(s.ok()) << "dispatch: " << s.error_message();
  report::v1::ListDailyReportsRequest reports;
  report::v1::ListDailyReportsResponse listed;
  s = report->ListDailyReports(Context(service).get(), reports, &listed);
  EXPECT_TRUE(s.ok()) << "report: " << s.error_message();

  // A guard's forged token cannot record a passage; its real one can.
  gate::v1::RecordPassageRequest passage;
  passage.set_request_id("hs256-passage");
  passage.set_site_id("campus");
  passage.set_gate_id("east");
  passage.set_direction(gate::v1::DIRECTION_ENTRY);
  passage.mutable_person()->set_id_number(IdNumber(700));
  passage.mutable_person()->set_name("过路人");
  passage.set_temperature_c(36.4);
  gate::v1::RecordPassageResponse recorded;
  EXPECT_EQ(gate->RecordPassage(
                    Context(suite_->tokens().For(Role::kGuard, "forged-guard", {"campus"})).get(),
                    passage, &recorded)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  s = gate->RecordPassage(
      Context(suite_->tokens().EdDsaFor(Role::kGuard, "real-guard", {"campus"})).get(), passage,
      &recorded);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

// Last in this file: the flood leaves this process's address braked for a while.
TEST_F(AccountsAttackTest, ASignInFloodIsBrakedNeverAServerErrorAndTheGateKeepsRecording) {
  ASSERT_NO_FATAL_FAILURE(ActiveUser("flood.target", "the-right-passphrase"));
  auto gate = gate::v1::GateService::NewStub(suite_->Channel("gate"));
  const std::string guard = suite_->tokens().EdDsaFor(Role::kGuard, "flood-guard", {"campus"});

  std::atomic<bool> flooding{true};
  std::mutex mu;
  std::map<grpc::StatusCode, int> seen;  // code -> count
  std::vector<std::string> unexpected;
  std::vector<std::thread> attackers;
  constexpr int kAttackers = 12;
  for (int t = 0; t < kAttackers; ++t) {
    attackers.emplace_back([&, t] {
      auto stub = v1::AccountsService::NewStub(suite_->Channel("accounts"));
      for (int i = 0; i < 25; ++i) {
        v1::SignInRequest request;
        // Half against the one account, half spread over logins that do not exist: all from
        // the one address of this process.
        request.set_login(t % 2 == 0 ? "flood.target" : absl::StrCat("ghost-", t, "-", i));
        request.set_password(absl::StrCat("guess-", t, "-", i, "-passphrase"));
        v1::Session session;
        const grpc::Status s = stub->SignIn(Context().get(), request, &session);
        std::lock_guard<std::mutex> lock(mu);
        ++seen[s.error_code()];
        if (s.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED &&
            s.error_code() != grpc::StatusCode::UNAUTHENTICATED) {
          unexpected.push_back(absl::StrCat(s.error_code(), " ", s.error_message()));
        }
      }
    });
  }
  // Meanwhile a guard records passages, one after the other, until the flood is over (and at
  // least 20).
  std::vector<std::string> failed_passages;
  int passages = 0;
  std::thread guard_thread([&] {
    for (int i = 0; i < 20 || flooding.load(); ++i) {
      gate::v1::RecordPassageRequest request;
      request.set_request_id(absl::StrCat("flood-passage-", i));
      request.set_site_id("campus");
      request.set_gate_id("east");
      request.set_direction(gate::v1::DIRECTION_ENTRY);
      request.mutable_person()->set_id_number(IdNumber(i));
      request.mutable_person()->set_name("过路人");
      request.set_temperature_c(36.5);
      gate::v1::RecordPassageResponse response;
      const grpc::Status s = gate->RecordPassage(Context(guard).get(), request, &response);
      ++passages;
      if (!s.ok()) failed_passages.push_back(absl::StrCat(i, ": ", s.error_message()));
    }
  });
  for (std::thread& t : attackers) t.join();
  flooding.store(false);
  guard_thread.join();

  EXPECT_TRUE(unexpected.empty()) << absl::StrJoin(unexpected, "\n");
  EXPECT_GT(seen[grpc::StatusCode::RESOURCE_EXHAUSTED], 0) << "the brake never engaged";
  EXPECT_EQ(seen[grpc::StatusCode::RESOURCE_EXHAUSTED] + seen[grpc::StatusCode::UNAUTHENTICATED],
            kAttackers * 25);
  EXPECT_GE(passages, 20);
  EXPECT_TRUE(failed_passages.empty()) << absl::StrJoin(failed_passages, "\n");
  // The brake holds the right password too while the account waits (the same answer as for
  // any guess, so it tells an attacker nothing).
  EXPECT_THAT(SignIn("flood.target", "the-right-passphrase").error_code(),
              Eq(grpc::StatusCode::RESOURCE_EXHAUSTED));
  // The service is still well: its health and a call without a password.
  v1::SignOutRequest sign_out;
  sign_out.set_refresh_token("rt-unknown");
  v1::SignOutResponse out;
  const grpc::Status still = accounts_->SignOut(Context().get(), sign_out, &out);
  EXPECT_THAT(still.error_code(),
              AnyOf(Eq(grpc::StatusCode::OK), Eq(grpc::StatusCode::INVALID_ARGUMENT)));
}

}  // namespace
}  // namespace lianfang::accounts
