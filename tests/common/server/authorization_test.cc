#include "common/server/authorization.h"

#include <string>

#include "absl/status/status.h"
#include "common/auth/principal.h"
#include "common/server/interceptors.h"
#include "common/server/method_names.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/test_tokens.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "lianfang/proto_registry.h"

namespace lianfang::server {
namespace {

using ::lianfang::testing::StatusIs;
using ::lianfang::testing::TestTokens;
using ::testing::HasSubstr;

constexpr char kAssignTask[] = "/lianfang.dispatch.v1.DispatchService/AssignTask";
constexpr char kDispatchService[] = "lianfang.dispatch.v1.DispatchService";

class UnservedCallStatusTest : public ::testing::Test {
 protected:
  void SetUp() override { EnsureApiDescriptorsLinked(); }
  absl::Status Refuse(absl::string_view method, absl::string_view header) {
    return UnservedCallStatus(tokens_.authorizer(), tokens_.verifier(), method, header);
  }
  TestTokens tokens_;
};

TEST_F(UnservedCallStatusTest, MissingTokenIsUnauthenticated) {
  EXPECT_THAT(Refuse(kAssignTask, ""), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Refuse(kAssignTask, "Bearer not-a-jwt"),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(UnservedCallStatusTest, RoleNotDeclaredOnTheMethodIsPermissionDenied) {
  EXPECT_THAT(Refuse(kAssignTask, tokens_.BearerFor(auth::Role::kViewer, "v1")),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(UnservedCallStatusTest, AllowedRoleLearnsTheMethodIsNotServed) {
  EXPECT_THAT(
      Refuse(kAssignTask, tokens_.BearerFor(auth::Role::kLeader, "l1")),
      StatusIs(absl::StatusCode::kUnimplemented,
               HasSubstr("method " + std::string(kAssignTask) + " is not served by this release")));
}

TEST_F(UnservedCallStatusTest, UnknownMethodNeedsAValidTokenThenIsUnimplemented) {
  EXPECT_THAT(Refuse("/evil.Service/Probe", ""), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Refuse("/evil.Service/Probe", tokens_.BearerFor(auth::Role::kViewer, "v1")),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("unknown method")));
  EXPECT_THAT(Refuse("not even a path", tokens_.BearerFor(auth::Role::kAdmin, "a1")),
              StatusIs(absl::StatusCode::kUnimplemented));
}

TEST_F(UnservedCallStatusTest, EchoedUnknownMethodNamesAreClipped) {
  const std::string long_name = "/x.Y/" + std::string(5000, 'z');
  const absl::Status status = Refuse(long_name, tokens_.BearerFor(auth::Role::kAdmin, "a1"));
  EXPECT_LT(status.message().size(), 300u);
}

TEST(MethodNamesTest, ServiceOfMethodSplitsGrpcNames) {
  EXPECT_EQ(ServiceOfMethod("/lianfang.gate.v1.GateService/RecordPassage"),
            "lianfang.gate.v1.GateService");
  EXPECT_EQ(ServiceOfMethod("lianfang.gate.v1.GateService/RecordPassage"), "");
  EXPECT_EQ(ServiceOfMethod("/lianfang.gate.v1.GateService/"), "");
  EXPECT_EQ(ServiceOfMethod("/a/b/c"), "");
}

TEST(MethodNamesTest, FindsApiMethodsInTheGeneratedPool) {
  EnsureApiDescriptorsLinked();
  const google::protobuf::MethodDescriptor* method =
      FindMethod("/lianfang.gate.v1.GateService/RecordPassage");
  ASSERT_NE(method, nullptr);
  EXPECT_EQ(FullMethodName(*method), "/lianfang.gate.v1.GateService/RecordPassage");
  EXPECT_EQ(FindMethod("/lianfang.gate.v1.GateService/NoSuchMethod"), nullptr);
}

TEST(MethodLabelTest, MadeUpMethodsShareOneLabel) {
  EnsureApiDescriptorsLinked();
  ServiceCatalog catalog;
  catalog.Set({"lianfang.test.Echo"});
  EXPECT_EQ(MethodLabel("/lianfang.test.Echo/Echo", &catalog), "/lianfang.test.Echo/Echo");
  EXPECT_EQ(MethodLabel(kAssignTask, &catalog), kAssignTask);
  EXPECT_EQ(MethodLabel("/random.Name/X1", &catalog), "unknown");
  EXPECT_EQ(MethodLabel("/lianfang.test.Echo/Echo", nullptr), "unknown");
}

TEST(ServiceCatalogTest, OnlyTypedApiServicesHaveReadableRequests) {
  EnsureApiDescriptorsLinked();
  ServiceCatalog catalog;
  catalog.Set({"lianfang.gate.v1.GateService", std::string(kDispatchService), "lianfang.test.Echo",
               "grpc.health.v1.Health"},
              {std::string(kDispatchService)});
  EXPECT_TRUE(catalog.IsTypedApiMethod("/lianfang.gate.v1.GateService/RecordPassage"));
  EXPECT_FALSE(catalog.IsTypedApiMethod(kAssignTask));  // a placeholder: raw handlers
  EXPECT_FALSE(catalog.IsTypedApiMethod("/lianfang.test.Echo/Echo"));  // not in the pool
  EXPECT_FALSE(catalog.IsTypedApiMethod("/grpc.health.v1.Health/Check"));
  EXPECT_TRUE(catalog.HasServiceOf(kAssignTask));
}

}  // namespace
}  // namespace lianfang::server
