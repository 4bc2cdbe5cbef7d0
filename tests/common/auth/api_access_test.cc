// The real API's access declarations, as every service's shared check reads them: every
// method of every service is walked, and none may be left open or undeclared.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "common/auth/authorizer.h"
#include "common/auth/jwt.h"
#include "common/status/status_matchers.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/auth/jwt_test_util.h"

namespace lianfang::auth {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr const char* kServices[] = {
    "/lianfang.gate.v1.GateService/",         "/lianfang.survey.v1.SurveyService/",
    "/lianfang.dispatch.v1.DispatchService/", "/lianfang.report.v1.ReportService/",
    "/lianfang.gateway.v1.GatewayService/",   "/lianfang.accounts.v1.AccountsService/",
    "/lianfang.supplies.v1.SuppliesService/",
};

TEST(ApiAccessTest, EveryServiceOfTheApiIsWalked) {
  const std::vector<std::string> methods = AllApiMethods();
  for (const char* service : kServices) {
    EXPECT_THAT(methods, Contains(::testing::StartsWith(service))) << service;
  }
  EXPECT_THAT(methods, Contains("/lianfang.gate.v1.GateService/RecordPassage"));
}

TEST(ApiAccessTest, EveryMethodDeclaresItsRolesOrIsAnonymous) {
  for (const std::string& method : AllApiMethods()) {
    if (IsAnonymousMethod(method)) continue;  // signing in: no token, no roles
    EXPECT_THAT(AllowedRoles(method), Not(IsEmpty())) << method << " declares no roles";
  }
}

TEST(ApiAccessTest, AuditTrailIsForAdminsOnly) {
  for (const char* service : kServices) {
    EXPECT_THAT(AllowedRoles(std::string(service) + "ListAuditEvents"), ElementsAre("admin"))
        << service;
  }
}

TEST(ApiAccessTest, TheSharedCheckEnforcesTheDeclarationsOfTheRealApi) {
  time::FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  const TokenSigner signer(testing::kTestKey);
  const TokenVerifier verifier(testing::kTestKey, clock);
  const Authorizer authorizer(&verifier);
  for (const std::string& method : AllApiMethods()) {
    const std::vector<std::string> allowed = AllowedRoles(method);
    for (const Role role : kAllRoles) {
      Principal p;
      p.subject = "someone";
      p.role = role;
      const std::string header = "Bearer " + signer.Sign(p, clock.Now(), absl::Hours(1)).value();
      const bool declared =
          std::find(allowed.begin(), allowed.end(), RoleName(role)) != allowed.end();
      if (declared) {
        EXPECT_OK(authorizer.Authorize(method, header)) << method << " " << RoleName(role);
      } else {
        EXPECT_THAT(authorizer.Authorize(method, header),
                    StatusIs(absl::StatusCode::kPermissionDenied))
            << method << " " << RoleName(role);
      }
    }
    EXPECT_THAT(authorizer.Authorize(method, ""), StatusIs(absl::StatusCode::kUnauthenticated));
  }
}

}  // namespace
}  // namespace lianfang::auth
