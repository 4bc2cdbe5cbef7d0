// The whole suite as a sysadmin starts it: the five binaries with their settings, a real
// redis-server, SQLite files in a temporary directory, gRPC over loopback.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/auth/jwt.h"
#include "common/auth/principal.h"
#include "common/server/client.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/suite.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/ports.h"
#include "common/testing/service_binaries.h"
#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"
#include "common/testing/test_database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::testing {
namespace {

using ::testing::HasSubstr;

struct ServiceInfo {
  std::string name;     // "gate"
  std::string package;  // "lianfang.gate.v1.GateService"
};

const std::vector<ServiceInfo>& Services() {
  static const auto* services = new std::vector<ServiceInfo>{
      {"gate", "lianfang.gate.v1.GateService"},
      {"survey", "lianfang.survey.v1.SurveyService"},
      {"dispatch", "lianfang.dispatch.v1.DispatchService"},
      {"report", "lianfang.report.v1.ReportService"},
      {"gateway", "lianfang.gateway.v1.GatewayService"},
  };
  return *services;
}

// Calls `method` with an empty request (valid protobuf for every message) and `token`.
grpc::Status CallEmpty(const std::string& address, const std::string& method,
                       const std::string& token) {
  grpc::GenericStub stub(server::MakeChannel(address, nullptr));
  grpc::ClientContext context;
  server::PrepareClientContext(&context, token, absl::Seconds(10));
  // The services are serving: a connection that is still being made (or made again after a
  // refused first try of the shared subchannel) is waited for, not failed at once, so that
  // only the service's own answer is checked.
  context.set_wait_for_ready(true);
  grpc::ByteBuffer request;
  grpc::Slice empty("");
  request = grpc::ByteBuffer(&empty, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  return done.get_future().get();
}

class SuiteTest : public ::testing::Test {
 protected:
  // The six services, each reporting SERVING, shared by the tests of this fixture (the
  // loops below go over the five of Services(); `lfctl health` asks accounts too).
  static void SetUpTestSuite() {
    suite_ = new Suite();
    started_ = new absl::Status(suite_->Start({.services = Suite::AllServices()}));
  }

  static void TearDownTestSuite() {
    delete suite_;
    delete started_;
  }

  static void WaitForAll() { ASSERT_OK(*started_); }

  static std::string Address(const std::string& service) { return suite_->address(service); }

  static Suite* suite_;
  static absl::Status* started_;
};

Suite* SuiteTest::suite_ = nullptr;
absl::Status* SuiteTest::started_ = nullptr;

TEST_F(SuiteTest, EveryServiceAnswersHealthServing) {
  WaitForAll();
  for (const ServiceInfo& s : Services()) {
    auto channel = server::MakeChannel(Address(s.name), nullptr);
    auto whole = server::CheckHealth(channel, "", absl::Seconds(5));
    ASSERT_OK(whole);
    EXPECT_EQ(*whole, server::ServingStatus::kServing) << s.name;
    auto api = server::CheckHealth(channel, s.package, absl::Seconds(5));
    ASSERT_OK(api);
    EXPECT_EQ(*api, server::ServingStatus::kServing) << s.package;
  }
}

TEST_F(SuiteTest, LfctlHealthReportsTheWholeSuiteServing) {
  WaitForAll();
  auto lfctl = BinaryPath("lfctl");
  ASSERT_OK(lfctl);
  Subprocess::Options options;
  options.args = {*lfctl, "health"};
  options.env = suite_->ClientEnvironment();
  auto process = Subprocess::Start(std::move(options));
  ASSERT_OK(process);
  auto exit = (*process)->Wait(absl::Seconds(30));
  ASSERT_OK(exit);
  EXPECT_TRUE(exit->Success()) << (*process)->ReadStdout() << (*process)->ReadStderr();
  const std::string out = (*process)->ReadStdout();
  for (const ServiceInfo& s : Services()) EXPECT_THAT(out, HasSubstr(s.name));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("DOWN")));
}

TEST_F(SuiteTest, ACallWithoutTokenIsUnauthenticatedEverywhere) {
  WaitForAll();
  for (const ServiceInfo& s : Services()) {
    const std::string method = absl::StrCat("/", s.package, "/ListAuditEvents");
    EXPECT_EQ(CallEmpty(Address(s.name), method, "").error_code(),
              grpc::StatusCode::UNAUTHENTICATED)
        << method;
    EXPECT_EQ(CallEmpty(Address(s.name), method, "not-a-jwt").error_code(),
              grpc::StatusCode::UNAUTHENTICATED)
        << method;
  }
}

TEST_F(SuiteTest, AViewerIsRefusedLeaderAndAdminMethods) {
  WaitForAll();
  const std::string viewer = suite_->tokens().For(auth::Role::kViewer, "municipal-office");
  for (const ServiceInfo& s : Services()) {
    const std::string method = absl::StrCat("/", s.package, "/ListAuditEvents");
    const grpc::Status status = CallEmpty(Address(s.name), method, viewer);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << method << ": " << status.error_message();
  }
  // Leader-only methods of each service that has one.
  const std::vector<std::pair<std::string, std::string>> leader_only = {
      {"dispatch", "/lianfang.dispatch.v1.DispatchService/CreateTeam"},
      {"report", "/lianfang.report.v1.ReportService/SubmitDailyReport"},
      {"survey", "/lianfang.survey.v1.SurveyService/EndObservation"},
      {"gate", "/lianfang.gate.v1.GateService/RevokePass"},
  };
  for (const auto& [service, method] : leader_only) {
    EXPECT_EQ(CallEmpty(Address(service), method, viewer).error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << method;
  }
}

TEST_F(SuiteTest, ATokenSignedWithAnotherKeyIsUnauthenticated) {
  WaitForAll();
  auth::Principal admin;
  admin.subject = "intruder";
  admin.name = "intruder";
  admin.role = auth::Role::kAdmin;
  auto forged = auth::TokenSigner("another-key-that-is-long-enough-for-hs256!!")
                    .Sign(admin, absl::Now(), absl::Hours(1));
  ASSERT_OK(forged);
  EXPECT_EQ(
      CallEmpty(Address("gate"), "/lianfang.gate.v1.GateService/ListAuditEvents", *forged)
          .error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
}

// A bad setting stops a service at once: exit code 2 and one line naming the setting.
TEST(SuiteConfigTest, ABadSitesFileStopsTheServiceWithExitCode2) {
  TempDir dir;
  TestTokens tokens;
  auto sites = dir.WriteFile("sites.textproto", "sites { id: \"x\" name: ");
  ASSERT_OK(sites);
  auto pii = dir.WriteFile("pii.key", "a-test-only-pii-key-of-32-bytes!!");
  ASSERT_OK(pii);
  auto binary = BinaryPath("lf-gate");
  ASSERT_OK(binary);
  auto port = PickFreePort();
  ASSERT_OK(port);
  Subprocess::Options options;
  options.args = {*binary};
  options.env = {{"LF_LISTEN", absl::StrCat("127.0.0.1:", *port)},
                 {"LF_DB", ::lianfang::testing::TestDatabaseUrl(dir, "gate.db")},
                 {"LF_SITES", *sites},
                 {"LF_JWT_SECRET_FILE", tokens.secret_file()},
                 {"LF_PII_KEY_FILE", *pii}};
  auto process = Subprocess::Start(std::move(options));
  ASSERT_OK(process);
  auto exit = (*process)->Wait(absl::Seconds(30));
  ASSERT_OK(exit);
  EXPECT_EQ(exit->exit_code, 2);
  const std::string err = (*process)->ReadStderr();
  EXPECT_THAT(err, HasSubstr("LF_SITES"));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST(SuiteConfigTest, AMissingPiiKeyFileStopsTheServiceWithExitCode2) {
  TempDir dir;
  TestTokens tokens;
  auto binary = BinaryPath("lf-survey");
  ASSERT_OK(binary);
  Subprocess::Options options;
  options.args = {*binary, "--pii-key-file", dir.File("missing.key")};
  options.env = {{"LF_DB", ::lianfang::testing::TestDatabaseUrl(dir, "survey.db")},
                 {"LF_SITES", SourcePath("deploy/sites.textproto")},
                 {"LF_JWT_SECRET_FILE", tokens.secret_file()}};
  options.unset_env = {"LF_PII_KEY_FILE"};
  auto process = Subprocess::Start(std::move(options));
  ASSERT_OK(process);
  auto exit = (*process)->Wait(absl::Seconds(30));
  ASSERT_OK(exit);
  EXPECT_EQ(exit->exit_code, 2);
  const std::string err = (*process)->ReadStderr();
  EXPECT_THAT(err, HasSubstr("LF_PII_KEY_FILE"));
  EXPECT_THAT(err, ::testing::StartsWith("lf-survey: "));
}

}  // namespace
}  // namespace lianfang::testing
