#include "common/auth/authorizer.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/auth/jwt.h"
#include "common/logging/logging.h"
#include "common/status/status_matchers.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/authtest/v1/authz_test.pb.h"
#include "tests/common/auth/jwt_test_util.h"

namespace lianfang::auth {
namespace {

using ::lianfang::auth::testing::kTestKey;
using ::lianfang::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kLeaderOnly[] = "/lianfang.authtest.v1.AuthTestService/LeaderOnly";
constexpr char kGuardDesk[] = "/lianfang.authtest.v1.AuthTestService/GuardDesk";
constexpr char kServiceOnly[] = "/lianfang.authtest.v1.AuthTestService/ServiceOnly";
constexpr char kUndeclared[] = "/lianfang.authtest.v1.AuthTestService/Undeclared";
constexpr char kEmptyRule[] = "/lianfang.authtest.v1.AuthTestService/EmptyRule";
constexpr char kAnonymous[] = "/lianfang.authtest.v1.AuthTestService/Anonymous";
constexpr char kAnonymousWithRoles[] =
    "/lianfang.authtest.v1.AuthTestService/AnonymousWithRoles";

class AuthorizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The test service's descriptors are linked into this binary by naming one message.
    ASSERT_NE(lianfang::authtest::v1::Ping::descriptor(), nullptr);
    logging::SetSink([this](absl::string_view line) { log_.emplace_back(line); });
  }
  void TearDown() override { logging::SetSink(nullptr); }

  std::string Bearer(Role role, std::vector<std::string> sites = {}) const {
    Principal p;
    p.subject = absl::StrCat(RoleName(role), "-1");
    p.name = "测试";
    p.role = role;
    p.sites = std::move(sites);
    absl::StatusOr<std::string> token = signer_.Sign(p, clock_.Now(), absl::Hours(1));
    EXPECT_OK(token);
    return absl::StrCat("Bearer ", token.value_or(""));
  }

  time::FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  TokenSigner signer_{kTestKey};
  TokenVerifier verifier_{kTestKey, clock_};
  Authorizer authorizer_{&verifier_};
  std::vector<std::string> log_;
};

TEST_F(AuthorizerTest, DeclaredRoleIsAdmittedWithItsPrincipal) {
  ASSERT_OK_AND_ASSIGN(Principal who, authorizer_.Authorize(kLeaderOnly, Bearer(Role::kLeader)));
  EXPECT_EQ(who.subject, "leader-1");
  EXPECT_EQ(who.role, Role::kLeader);
  EXPECT_OK(authorizer_.Authorize(kLeaderOnly, Bearer(Role::kAdmin)));
  EXPECT_OK(authorizer_.Authorize(kGuardDesk, Bearer(Role::kGuard, {"campus"})));
  EXPECT_OK(authorizer_.Authorize(kServiceOnly, Bearer(Role::kService)));
}

TEST_F(AuthorizerTest, UndeclaredRoleIsPermissionDenied) {
  EXPECT_THAT(authorizer_.Authorize(kLeaderOnly, Bearer(Role::kViewer)),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("role viewer may not call LeaderOnly")));
  EXPECT_THAT(authorizer_.Authorize(kLeaderOnly, Bearer(Role::kGuard)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(authorizer_.Authorize(kGuardDesk, Bearer(Role::kAdmin)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(authorizer_.Authorize(kServiceOnly, Bearer(Role::kLeader)),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(AuthorizerTest, MissingOrBadCredentialsAreUnauthenticatedBeforeAnythingElse) {
  for (const char* method : {kLeaderOnly, kUndeclared, "/no.such.Service/Method", "garbage"}) {
    EXPECT_THAT(authorizer_.Authorize(method, ""),
                StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("missing bearer token")))
        << method;
    EXPECT_THAT(authorizer_.Authorize(method, "Basic dXNlcjpwYXNz"),
                StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("Bearer")))
        << method;
    EXPECT_THAT(authorizer_.Authorize(method, "Bearer "),
                StatusIs(absl::StatusCode::kUnauthenticated));
    EXPECT_THAT(authorizer_.Authorize(method, "Bearer not.a.token"),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
  const std::string bare_token = Bearer(Role::kAdmin).substr(7);
  EXPECT_THAT(authorizer_.Authorize(kLeaderOnly, bare_token),
              StatusIs(absl::StatusCode::kUnauthenticated));
  clock_.Advance(absl::Hours(2));
  EXPECT_THAT(authorizer_.Authorize(kLeaderOnly, absl::StrCat("Bearer ", bare_token)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("token expired")));
}

TEST_F(AuthorizerTest, BearerSchemeIsCaseInsensitive) {
  const std::string token = Bearer(Role::kLeader).substr(7);
  for (const std::string& header : {absl::StrCat("bearer ", token), absl::StrCat("BEARER ", token),
                                    absl::StrCat("  Bearer   ", token, " ")}) {
    EXPECT_OK(authorizer_.Authorize(kLeaderOnly, header)) << header.substr(0, 12);
  }
}

TEST_F(AuthorizerTest, MethodsWithoutRolesFailClosedAndAreLoggedOnce) {
  for (const char* method :
       {kUndeclared, kEmptyRule, "/lianfang.authtest.v1.AuthTestService/NoSuchMethod",
        "/lianfang.nothing.v1.Nope/Call", "not-a-method"}) {
    EXPECT_THAT(authorizer_.Authorize(method, Bearer(Role::kAdmin)),
                StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("not open to any role")))
        << method;
  }
  const size_t lines = log_.size();
  EXPECT_EQ(lines, 5u);
  EXPECT_THAT(log_.front(), HasSubstr("configuration bug"));
  EXPECT_THAT(log_.front(), HasSubstr(kUndeclared));
  EXPECT_THAT(authorizer_.Authorize(kUndeclared, Bearer(Role::kAdmin)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(log_.size(), lines);
}

TEST_F(AuthorizerTest, ErrorsNeverContainTheToken) {
  const std::string header = Bearer(Role::kViewer);
  absl::StatusOr<Principal> result = authorizer_.Authorize(kLeaderOnly, header);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()), Not(HasSubstr(header.substr(7, 20))));
}

TEST_F(AuthorizerTest, GuardMayActOnlyOnTheSitesOfItsToken) {
  ASSERT_OK_AND_ASSIGN(Principal guard,
                       authorizer_.Authorize(kGuardDesk, Bearer(Role::kGuard, {"campus"})));
  EXPECT_OK(CheckSite(guard, "campus"));
  EXPECT_THAT(CheckSite(guard, "village"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("site village")));
  EXPECT_THAT(CheckSite(guard, std::string(500, 'x')),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("this site")));
  EXPECT_THAT(CheckSite(guard, ""), StatusIs(absl::StatusCode::kPermissionDenied));

  Principal volunteer;
  volunteer.subject = "v1";
  volunteer.role = Role::kVolunteer;
  volunteer.sites = {"village", "community"};
  EXPECT_OK(CheckSite(volunteer, "community"));
  EXPECT_THAT(CheckSite(volunteer, "campus"), StatusIs(absl::StatusCode::kPermissionDenied));

  Principal leader;
  leader.subject = "l1";
  leader.role = Role::kLeader;  // no sites: all of them
  EXPECT_OK(CheckSite(leader, "campus"));
  EXPECT_OK(CheckSite(leader, "village"));
}

TEST_F(AuthorizerTest, AllowedRolesListsTheDeclaredRoles) {
  EXPECT_THAT(AllowedRoles(kLeaderOnly), ElementsAre("admin", "leader"));
  EXPECT_THAT(AllowedRoles(kGuardDesk), ElementsAre("leader", "guard"));
  EXPECT_THAT(AllowedRoles(kServiceOnly), ElementsAre("service"));
  EXPECT_THAT(AllowedRoles(kUndeclared), IsEmpty());
  EXPECT_THAT(AllowedRoles(kEmptyRule), IsEmpty());
  EXPECT_THAT(AllowedRoles("/lianfang.authtest.v1.AuthTestService"), IsEmpty());
  EXPECT_THAT(AllowedRoles("lianfang.authtest.v1.AuthTestService.LeaderOnly"), IsEmpty());
}

TEST_F(AuthorizerTest, OnlyMethodsDeclaredAnonymousWithoutRolesAreAnonymous) {
  EXPECT_TRUE(authorizer_.IsAnonymous(kAnonymous));
  EXPECT_TRUE(IsAnonymousMethod(kAnonymous));
  for (const char* method : {kLeaderOnly, kUndeclared, kEmptyRule, kAnonymousWithRoles}) {
    EXPECT_FALSE(authorizer_.IsAnonymous(method)) << method;
    EXPECT_FALSE(IsAnonymousMethod(method)) << method;
  }
  EXPECT_FALSE(authorizer_.IsAnonymous("/lianfang.authtest.v1.AuthTestService/Missing"));
  EXPECT_THAT(AllowedRoles(kAnonymous), IsEmpty());
  EXPECT_THAT(AllowedRoles(kAnonymousWithRoles), IsEmpty());
}

TEST_F(AuthorizerTest, TheRoleCheckRefusesAnonymousMethodsAndContradictoryRules) {
  // A handler of an anonymous method must use the anonymous admission: the role check never
  // admits anyone there, and a rule naming roles and anonymous admits nobody.
  EXPECT_THAT(authorizer_.Authorize(kAnonymous, Bearer(Role::kAdmin)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(authorizer_.Authorize(kAnonymousWithRoles, Bearer(Role::kAdmin)),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(AuthorizerTest, AllApiMethodsWalksEveryLinkedApiService) {
  const std::vector<std::string> methods = AllApiMethods();
  EXPECT_THAT(methods, Contains(kLeaderOnly));
  EXPECT_THAT(methods, Contains(kUndeclared));
  EXPECT_TRUE(std::is_sorted(methods.begin(), methods.end()));
  for (const std::string& method : methods) {
    EXPECT_EQ(method.rfind("/lianfang.", 0), 0u) << method;
  }
}

TEST_F(AuthorizerTest, AuthorizeIsSafeFromManyThreads) {
  const std::string leader = Bearer(Role::kLeader);
  const std::string viewer = Bearer(Role::kViewer);
  std::atomic<int> admitted{0};
  std::atomic<int> denied{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (authorizer_.Authorize(kLeaderOnly, leader).ok()) admitted.fetch_add(1);
        if (authorizer_.Authorize(kGuardDesk, viewer).status().code() ==
            absl::StatusCode::kPermissionDenied) {
          denied.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 400);
  EXPECT_EQ(denied.load(), 400);
}

}  // namespace
}  // namespace lianfang::auth
