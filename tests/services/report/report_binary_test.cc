// The lf-report binary as a sysadmin starts it (flags through LF_… variables, a real
// redis-server, an SQLite file), pulling its figures from stand-in gate, survey and dispatch
// servers in this process: the wiring of main.cc, its settings, and its migrations across a
// restart.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/server/client.h"
#include "common/server/grpc_status.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/ports.h"
#include "common/testing/service_binaries.h"
#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"
#include "common/testing/test_database.h"
#include "common/testing/with_redis.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/report/v1/report.grpc.pb.h"
#include "services/report/daily_report.h"
#include "tests/services/report/report_fixtures.h"
#include "tests/services/report/stand_in_sources.h"

namespace lianfang::report {
namespace {

using ::lianfang::report::testing::StandInSources;
using ::lianfang::testing::NewClientContext;
using ::lianfang::testing::StatusIs;
using ::lianfang::testing::Subprocess;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

// Today's date where the binary runs (LF_TZ=Asia/Shanghai).
std::string Today() {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &tz));
  return time::DateOf(absl::Now(), tz);
}

// Figures for the four sites of deploy/sites.textproto; the village is idle.
FetchedStats DeployedDay(const std::string& date) {
  FetchedStats f = testing::QuietDay(date);
  *f.gate->add_stats() = testing::GateStats("campus", 12, 9, 3, 1, 10, 2);
  *f.gate->add_stats() = testing::GateStats("community", 4, 4, 0, 0, 3);
  *f.survey->add_stats() = testing::SurveyStats("family-area", 20, 18, 55, 50, 5);
  *f.dispatch->add_stats() = testing::DispatchStats("family-area", 4, 3, 0, 6);
  return f;
}

class ReportBinaryTest : public lianfang::testing::WithRedis {
 protected:
  void SetUp() override {
    WithRedis::SetUp();
    ASSERT_OK(stand_ins_.Start());
    date_ = Today();
    stand_ins_.Answer(DeployedDay(date_));
    ASSERT_OK_AND_ASSIGN(pii_key_file_, dir_.WriteFile("pii.key", "a-test-only-pii-key-of-32-bytes!!"));
    ASSERT_OK_AND_ASSIGN(int port, lianfang::testing::PickFreePort());
    address_ = absl::StrCat("127.0.0.1:", port);
    ASSERT_OK(StartReport());
    stub_ = v1::ReportService::NewStub(server::MakeChannel(address_, nullptr));
  }

  std::vector<std::pair<std::string, std::string>> Environment() {
    return {{"LF_LISTEN", address_},
            {"LF_DB", ::lianfang::testing::TestDatabaseUrl(dir_, "report.db")},
            {"LF_REDIS", redis_url()},
            {"LF_SITES", lianfang::testing::SourcePath("deploy/sites.textproto")},
            {"LF_JWT_SECRET_FILE", tokens_.secret_file()},
            {"LF_PII_KEY_FILE", pii_key_file_},
            {"LF_TZ", "Asia/Shanghai"},
            {"LF_GATE_ADDR", stand_ins_.gate_server().address()},
            {"LF_SURVEY_ADDR", stand_ins_.survey_server().address()},
            {"LF_DISPATCH_ADDR", stand_ins_.dispatch_server().address()},
            {"LF_SUPPLIES_ADDR", stand_ins_.supplies_server().address()},
            {"LF_REPORT_SOURCE_TIMEOUT", "1s"},
            {"LF_REPORT_DEADLINE", "10:00"}};
  }

  absl::Status StartReport() {
    ASSIGN_OR_RETURN(std::string binary, lianfang::testing::BinaryPath("lf-report"));
    Subprocess::Options options;
    options.args = {binary};
    options.env = Environment();
    ASSIGN_OR_RETURN(report_, Subprocess::Start(std::move(options)));
    absl::Status serving = server::WaitForServing(address_, absl::Seconds(60));
    if (!serving.ok()) {
      return absl::Status(serving.code(),
                          absl::StrCat(serving.message(), "\n", report_->ReadStderr()));
    }
    return absl::OkStatus();
  }

  std::string Leader() const { return tokens_.For(auth::Role::kLeader, "leader-li"); }
  std::string Viewer() const { return tokens_.For(auth::Role::kViewer, "municipal-office"); }

  absl::StatusOr<v1::DailyReport> Generate(const std::string& request_id) {
    v1::GenerateDailyReportRequest request;
    request.set_request_id(request_id);
    request.set_date(date_);
    v1::DailyReport response;
    auto context = NewClientContext(Leader(), absl::Seconds(30));
    RETURN_IF_ERROR(
        server::FromGrpcStatus(stub_->GenerateDailyReport(context.get(), request, &response)));
    return response;
  }

  absl::StatusOr<v1::DailyReport> Submit(const std::string& request_id,
                                         const std::string& report_id) {
    v1::SubmitDailyReportRequest request;
    request.set_request_id(request_id);
    request.set_report_id(report_id);
    v1::DailyReport response;
    auto context = NewClientContext(Leader());
    RETURN_IF_ERROR(
        server::FromGrpcStatus(stub_->SubmitDailyReport(context.get(), request, &response)));
    return response;
  }

  lianfang::testing::TempDir dir_;
  lianfang::testing::TestTokens tokens_;
  StandInSources stand_ins_{tokens_};
  std::string date_;
  std::string pii_key_file_;
  std::string address_;
  std::unique_ptr<Subprocess> report_;
  std::unique_ptr<v1::ReportService::Stub> stub_;
};

TEST_F(ReportBinaryTest, GeneratesSubmitsAndExportsTheDayOfEverySite) {
  ASSERT_OK_AND_ASSIGN(v1::DailyReport draft, Generate("g1"));
  EXPECT_EQ(draft.date(), date_);
  EXPECT_THAT(draft.incomplete_sources(), IsEmpty());
  ASSERT_THAT(draft.sites(), SizeIs(4));
  EXPECT_EQ(draft.sites(0).site_id(), "campus");
  EXPECT_EQ(draft.sites(0).gate().entries(), 12);
  EXPECT_EQ(draft.sites(1).site_id(), "community");
  EXPECT_EQ(draft.sites(2).site_id(), "family-area");
  EXPECT_EQ(draft.sites(2).survey().residents(), 55);
  EXPECT_EQ(draft.sites(3).site_id(), "village");
  EXPECT_TRUE(IsZeroSite(draft.sites(3)));
  EXPECT_EQ(draft.totals().gate().entries(), 16);
  EXPECT_THAT(stand_ins_.gate().roles(), ElementsAre(auth::Role::kService));

  ASSERT_OK_AND_ASSIGN(v1::DailyReport submitted, Submit("s1", draft.report_id()));
  EXPECT_EQ(submitted.status(), v1::REPORT_STATUS_SUBMITTED);
  EXPECT_EQ(submitted.submitted_by(), "leader-li");

  v1::ExportDailyReportRequest export_request;
  export_request.set_report_id(draft.report_id());
  export_request.set_format(v1::EXPORT_FORMAT_CSV);
  v1::ExportDailyReportResponse csv;
  {
    auto context = NewClientContext(Viewer());
    ASSERT_TRUE(stub_->ExportDailyReport(context.get(), export_request, &csv).ok());
  }
  EXPECT_THAT(csv.content(), StartsWith("\xEF\xBB\xBF站点,站点编号,进入人次"));
  EXPECT_THAT(csv.content(), HasSubstr("\r\n驻村扶贫村,village,0,0,0,0,"));
  EXPECT_THAT(csv.content(), HasSubstr("\r\n合计,,16,13,3,1,"));

  v1::GetReportingStatusRequest status_request;
  status_request.set_date(date_);
  v1::GetReportingStatusResponse status;
  auto context = NewClientContext(Viewer());
  ASSERT_TRUE(stub_->GetReportingStatus(context.get(), status_request, &status).ok());
  ASSERT_THAT(status.sites(), SizeIs(4));
  for (const auto& site : status.sites()) {
    EXPECT_TRUE(site.submitted()) << site.site_id();
    EXPECT_EQ(site.report_id(), draft.report_id());
    EXPECT_EQ(site.state(), v1::REPORTING_STATE_ON_TIME);  // due tomorrow at 10:00
  }
}

TEST_F(ReportBinaryTest, AStoppedSourceMakesTheReportIncompleteAndUnsubmittable) {
  stand_ins_.gate_server().Shutdown();
  ASSERT_OK_AND_ASSIGN(v1::DailyReport draft, Generate("g1"));
  EXPECT_THAT(draft.incomplete_sources(), ElementsAre("gate"));
  EXPECT_FALSE(draft.sites(0).has_gate());
  EXPECT_EQ(draft.sites(2).survey().residents(), 55);
  EXPECT_THAT(Submit("s1", draft.report_id()), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ReportBinaryTest, HistorySurvivesARestart) {
  ASSERT_OK_AND_ASSIGN(v1::DailyReport first, Generate("g1"));
  ASSERT_OK(Submit("s1", first.report_id()));
  ASSERT_OK_AND_ASSIGN(auto exit, report_->Terminate(absl::Seconds(20)));
  EXPECT_TRUE(exit.Success()) << exit.ToString() << report_->ReadStderr();
  ASSERT_OK(StartReport());
  ASSERT_OK_AND_ASSIGN(v1::DailyReport correction, Generate("g2"));
  EXPECT_EQ(correction.version(), 2);
  v1::GetDailyReportRequest get;
  get.set_report_id(first.report_id());
  v1::DailyReport stored;
  auto context = NewClientContext(Viewer());
  ASSERT_TRUE(stub_->GetDailyReport(context.get(), get, &stored).ok());
  EXPECT_EQ(stored.status(), v1::REPORT_STATUS_SUBMITTED);
}

TEST(ReportBinaryConfigTest, ABadDeadlineStopsTheServiceWithExitCode2NamingTheSetting) {
  lianfang::testing::TempDir dir;
  lianfang::testing::TestTokens tokens;
  ASSERT_OK_AND_ASSIGN(std::string pii, dir.WriteFile("pii.key", "a-test-only-pii-key-of-32-bytes!!"));
  ASSERT_OK_AND_ASSIGN(std::string binary, lianfang::testing::BinaryPath("lf-report"));
  ASSERT_OK_AND_ASSIGN(int port, lianfang::testing::PickFreePort());
  Subprocess::Options options;
  options.args = {binary};
  options.env = {{"LF_LISTEN", absl::StrCat("127.0.0.1:", port)},
                 {"LF_DB", ::lianfang::testing::TestDatabaseUrl(dir, "report.db")},
                 {"LF_SITES", lianfang::testing::SourcePath("deploy/sites.textproto")},
                 {"LF_JWT_SECRET_FILE", tokens.secret_file()},
                 {"LF_PII_KEY_FILE", pii},
                 {"LF_REPORT_DEADLINE", "25:99"}};
  ASSERT_OK_AND_ASSIGN(auto process, Subprocess::Start(std::move(options)));
  absl::StatusOr<lianfang::testing::ExitStatus> waited = process->Wait(absl::Seconds(30));
  ASSERT_OK(waited) << process->ReadStderr();
  const lianfang::testing::ExitStatus exit = *waited;
  EXPECT_EQ(exit.exit_code, 2);
  EXPECT_THAT(process->ReadStderr(), StartsWith("lf-report: LF_REPORT_DEADLINE"));
}

// LF_MAX_INFLIGHT is a validated setting like the others (common/config/config.h): a bad value
// ends the process at start-up with exit code 2 and one line naming it.
TEST(ReportBinaryConfigTest, ABadMaxInflightStopsTheServiceWithExitCode2NamingTheSetting) {
  lianfang::testing::TempDir dir;
  lianfang::testing::TestTokens tokens;
  ASSERT_OK_AND_ASSIGN(std::string pii, dir.WriteFile("pii.key", "a-test-only-pii-key-of-32-bytes!!"));
  ASSERT_OK_AND_ASSIGN(std::string binary, lianfang::testing::BinaryPath("lf-report"));
  for (const char* bad : {"many", "-3", "1000001", "12x"}) {
    ASSERT_OK_AND_ASSIGN(int port, lianfang::testing::PickFreePort());
    Subprocess::Options options;
    options.args = {binary};
    options.env = {{"LF_LISTEN", absl::StrCat("127.0.0.1:", port)},
                   {"LF_DB", ::lianfang::testing::TestDatabaseUrl(dir, "report.db")},
                   {"LF_SITES", lianfang::testing::SourcePath("deploy/sites.textproto")},
                   {"LF_JWT_SECRET_FILE", tokens.secret_file()},
                   {"LF_PII_KEY_FILE", pii},
                   {"LF_MAX_INFLIGHT", bad}};
    ASSERT_OK_AND_ASSIGN(auto process, Subprocess::Start(std::move(options)));
    absl::StatusOr<lianfang::testing::ExitStatus> waited = process->Wait(absl::Seconds(30));
    ASSERT_OK(waited) << process->ReadStderr();
    EXPECT_EQ(waited->exit_code, 2) << bad;
    const std::string err = process->ReadStderr();
    EXPECT_THAT(err, StartsWith("lf-report: LF_MAX_INFLIGHT (--max-inflight): ")) << bad;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << "one line: " << err;
  }
}

}  // namespace
}  // namespace lianfang::report
