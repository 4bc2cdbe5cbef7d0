// Starts the built lf-survey binary as a subprocess: it serves (health SERVING), answers a
// real call, stops cleanly on SIGTERM, and refuses to start with a missing risk-region file.
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/server/client.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/ports.h"
#include "common/testing/service_binaries.h"
#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"
#include "common/testing/test_database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/survey/v1/survey.grpc.pb.h"

namespace lianfang::survey {
namespace {

using ::lianfang::testing::ExitStatus;
using ::lianfang::testing::PickFreePort;
using ::lianfang::testing::SourcePath;
using ::lianfang::testing::Subprocess;
using ::lianfang::testing::TempDir;
using ::lianfang::testing::TestTokens;
using ::testing::HasSubstr;

class LfSurveyBinaryTest : public ::testing::Test {
 protected:
  Subprocess::Options Options(int port) {
    Subprocess::Options options;
    options.args = {survey_binary_};
    options.working_dir = lianfang::testing::SourceDir();
    options.env = {
        {"LF_LISTEN", absl::StrCat("127.0.0.1:", port)},
        {"LF_DB", ::lianfang::testing::TestDatabaseUrl(dir_, "survey.db")},
        // Nothing listens there: the service runs without Redis and heals later.
        {"LF_REDIS", absl::StrCat("redis://127.0.0.1:", dead_port_, "/0")},
        {"LF_GATE_ADDR", absl::StrCat("127.0.0.1:", dead_port_)},
        {"LF_DISPATCH_ADDR", absl::StrCat("127.0.0.1:", dead_port_)},
        {"LF_SITES", SourcePath("deploy/sites.textproto")},
        {"LF_JWT_SECRET_FILE", tokens_.secret_file()},
        {"LF_PII_KEY_FILE", *dir_.WriteFile("pii.key", "binary-test-pii-key-0123456789")}};
    return options;
  }

  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(survey_binary_, lianfang::testing::BinaryPath("lf-survey"));
    ASSERT_OK_AND_ASSIGN(dead_port_, PickFreePort());
  }

  std::string survey_binary_;  // this build tree's lf-survey
  TempDir dir_;
  TestTokens tokens_;
  int dead_port_ = 0;
};

TEST_F(LfSurveyBinaryTest, ServesHealthAndCallsAndStopsOnSigterm) {
  ASSERT_OK_AND_ASSIGN(int port, PickFreePort());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> survey, Subprocess::Start(Options(port)));
  const std::string address = absl::StrCat("127.0.0.1:", port);
  ASSERT_OK(server::WaitForServing(address, absl::Seconds(30), nullptr,
                                   "lianfang.survey.v1.SurveyService"))
      << survey->ReadStderr();

  auto stub = v1::SurveyService::NewStub(server::MakeChannel(address, nullptr));
  v1::UpsertHouseholdRequest upsert;
  upsert.set_request_id("binary-1");
  upsert.mutable_household()->set_site_id("village");
  upsert.mutable_household()->set_building("一组");
  upsert.mutable_household()->set_room("12号");
  upsert.mutable_household()->set_kind(v1::HOUSEHOLD_KIND_OWNER_OCCUPIED);
  upsert.set_surveyed(true);
  v1::Household household;
  grpc::Status status =
      stub->UpsertHousehold(lianfang::testing::NewClientContext(
                                tokens_.For(auth::Role::kLeader, "leader-1"), absl::Seconds(20))
                                .get(),
                            upsert, &household);
  ASSERT_TRUE(status.ok()) << status.error_message() << "\n" << survey->ReadStderr();

  v1::GetCoverageRequest req;
  req.set_site_id("village");
  v1::GetCoverageResponse coverage;
  status = stub->GetCoverage(
      lianfang::testing::NewClientContext(tokens_.For(auth::Role::kViewer, "city")).get(), req,
      &coverage);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(coverage.households_total(), 1);
  EXPECT_EQ(coverage.households_surveyed(), 1);

  status = stub->GetCoverage(lianfang::testing::NewClientContext("").get(), req, &coverage);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  ASSERT_OK_AND_ASSIGN(ExitStatus exit, survey->Terminate(absl::Seconds(20)));
  EXPECT_TRUE(exit.Success()) << exit.ToString() << "\n" << survey->ReadStderr();
}

TEST_F(LfSurveyBinaryTest, MissingRiskRegionFileStopsStartWithExitCode2) {
  ASSERT_OK_AND_ASSIGN(int port, PickFreePort());
  Subprocess::Options options = Options(port);
  options.env.emplace_back("LF_RISK_REGIONS", dir_.File("no-such-list.txt"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> survey, Subprocess::Start(options));
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, survey->Wait(absl::Seconds(30)));
  EXPECT_EQ(exit.exit_code, 2);
  EXPECT_THAT(survey->ReadStderr(), HasSubstr("LF_RISK_REGIONS"));
}

TEST_F(LfSurveyBinaryTest, ObservationDaysOutOfRangeStopsStartWithExitCode2) {
  ASSERT_OK_AND_ASSIGN(int port, PickFreePort());
  Subprocess::Options options = Options(port);
  options.env.emplace_back("LF_OBSERVATION_DAYS", "0");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> survey, Subprocess::Start(options));
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, survey->Wait(absl::Seconds(30)));
  EXPECT_EQ(exit.exit_code, 2);
  EXPECT_THAT(survey->ReadStderr(), HasSubstr("LF_OBSERVATION_DAYS"));
}

// A site whose missing-reports check time is not HH:MM stops the start, naming the site and the
// field (no follow-up rule runs on a time nobody meant).
TEST_F(LfSurveyBinaryTest, BadMissingReportsCheckTimeStopsStartWithExitCode2) {
  ASSERT_OK_AND_ASSIGN(int port, PickFreePort());
  Subprocess::Options options = Options(port);
  ASSERT_OK_AND_ASSIGN(std::string sites, dir_.WriteFile("sites.textproto", R"pb(
    sites {
      id: "estate"
      name: "小区"
      kind: SITE_KIND_COMMUNITY
      gates { id: "main" name: "正门" }
      policy { missing_reports_check_time: "25:00" }
    }
  )pb"));
  for (auto& [name, value] : options.env) {
    if (name == "LF_SITES") value = sites;
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> survey, Subprocess::Start(options));
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, survey->Wait(absl::Seconds(30)));
  EXPECT_EQ(exit.exit_code, 2);
  const std::string err = survey->ReadStderr();
  EXPECT_THAT(err, HasSubstr("sites[0]"));
  EXPECT_THAT(err, HasSubstr("estate"));
  EXPECT_THAT(err, HasSubstr("missing_reports_check_time"));
  EXPECT_THAT(err, HasSubstr("25:00"));
}

}  // namespace
}  // namespace lianfang::survey
