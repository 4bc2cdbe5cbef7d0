// ReportService over real gRPC on loopback: the service with a real SQLite file, pulling the
// figures from stand-in gate, survey and dispatch servers through GrpcDailyStatsSources, with
// a FakeClock for "today" and the deadline.
#include "services/report/report_service.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/audit/audit.h"
#include "common/auth/service_token.h"
#include "common/idempotency/idempotency.h"
#include "common/server/errors.h"
#include "common/server/grpc_status.h"
#include "common/sql/database.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/temp_dir.h"
#include "common/testing/test_database.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "lianfang/report/v1/report.grpc.pb.h"
#include "services/report/auto_draft.h"
#include "services/report/grpc_stats_sources.h"
#include "services/report/report_generator.h"
#include "services/report/report_store.h"
#include "tests/services/report/report_fixtures.h"
#include "tests/services/report/stand_in_sources.h"

namespace lianfang::report {
namespace {

using ::lianfang::report::testing::BusyDay;
using ::lianfang::report::testing::QuietDay;
using ::lianfang::report::testing::StandInSources;
using ::lianfang::report::testing::TestSites;
using ::lianfang::testing::NewClientContext;
using ::lianfang::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Each;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;
using ::testing::StartsWith;

absl::TimeZone Shanghai() {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &tz));
  return tz;
}

absl::Time Local(int day, int hour, int minute) {
  return absl::FromCivil(absl::CivilSecond(2022, 4, day, hour, minute, 0), Shanghai());
}

class ReportServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(db_, sql::Database::Open(::lianfang::testing::TestDatabaseUrl(dir_, "report.db")));
    ASSERT_OK(db_->Migrate(idempotency::kComponent, idempotency::Migrations()));
    ASSERT_OK(db_->Migrate(audit::kComponent, audit::Migrations()));
    ASSERT_OK(db_->Migrate("report", ReportMigrations()));
    ASSERT_OK(stand_ins_.Start());
    stand_ins_.Answer(BusyDay("2022-04-01"));
    grpc_sources_ = std::make_unique<GrpcDailyStatsSources>(
        GrpcDailyStatsSources::Addresses{.gate = stand_ins_.gate_server().address(),
                                         .survey = stand_ins_.survey_server().address(),
                                         .dispatch = stand_ins_.dispatch_server().address(),
                                         .supplies = stand_ins_.supplies_server().address()},
        nullptr, [this] { return service_token_.Current(); }, absl::Seconds(1));
    generator_ =
        std::make_unique<ReportGenerator>(db_.get(), grpc_sources_.get(), &sites_, &clock_, tz_);
    service_ = std::make_unique<ReportService>(ReportService::Deps{
        .authorizer = &tokens_.authorizer(),
        .db = db_.get(),
        .sites = &sites_,
        .clock = &clock_,
        .tz = tz_,
        .generator = generator_.get(),
        .settings = {.deadline = {10, 0}}});
    server::ServerOptions options;
    options.service_name = "report";
    options.served_services = {"lianfang.report.v1.ReportService"};
    options.log_calls = false;
    server_ = std::make_unique<lianfang::testing::LoopbackServer>(options);
    server_->AddService(service_.get());
    server_->UseFallback(tokens_);
    ASSERT_OK(server_->Start());
    stub_ = v1::ReportService::NewStub(server_->channel());
  }

  std::string Token(auth::Role role, const std::string& subject,
                    std::vector<std::string> sites = {}) const {
    return tokens_.For(role, subject, std::move(sites));
  }
  std::string Leader() const { return Token(auth::Role::kLeader, "leader-li"); }
  std::string Viewer() const { return Token(auth::Role::kViewer, "municipal-office"); }

  absl::StatusOr<v1::DailyReport> Generate(const std::string& token, const std::string& request_id,
                                           const std::string& date,
                                           std::vector<std::string> site_ids = {}) {
    v1::GenerateDailyReportRequest request;
    request.set_request_id(request_id);
    request.set_date(date);
    for (auto& id : site_ids) request.add_site_ids(id);
    v1::DailyReport response;
    auto context = NewClientContext(token, absl::Seconds(20));
    RETURN_IF_ERROR(
        server::FromGrpcStatus(stub_->GenerateDailyReport(context.get(), request, &response)));
    return response;
  }

  absl::StatusOr<v1::DailyReport> Submit(const std::string& token, const std::string& request_id,
                                         const std::string& report_id) {
    v1::SubmitDailyReportRequest request;
    request.set_request_id(request_id);
    request.set_report_id(report_id);
    v1::DailyReport response;
    auto context = NewClientContext(token);
    RETURN_IF_ERROR(
        server::FromGrpcStatus(stub_->SubmitDailyReport(context.get(), request, &response)));
    return response;
  }

  absl::StatusOr<v1::DailyReport> Get(const std::string& token, const std::string& report_id) {
    v1::GetDailyReportRequest request;
    request.set_report_id(report_id);
    v1::DailyReport response;
    auto context = NewClientContext(token);
    RETURN_IF_ERROR(server::FromGrpcStatus(stub_->GetDailyReport(context.get(), request, &response)));
    return response;
  }

  absl::StatusOr<v1::ExportDailyReportResponse> Export(const std::string& token,
                                                       const std::string& report_id,
                                                       v1::ExportFormat format) {
    v1::ExportDailyReportRequest request;
    request.set_report_id(report_id);
    request.set_format(format);
    v1::ExportDailyReportResponse response;
    auto context = NewClientContext(token);
    RETURN_IF_ERROR(
        server::FromGrpcStatus(stub_->ExportDailyReport(context.get(), request, &response)));
    return response;
  }

  absl::StatusOr<v1::ListDailyReportsResponse> List(const std::string& token,
                                                    v1::ListDailyReportsRequest request) {
    v1::ListDailyReportsResponse response;
    auto context = NewClientContext(token);
    RETURN_IF_ERROR(
        server::FromGrpcStatus(stub_->ListDailyReports(context.get(), request, &response)));
    return response;
  }

  absl::StatusOr<v1::GetReportingStatusResponse> Status(const std::string& token,
                                                        const std::string& date) {
    v1::GetReportingStatusRequest request;
    request.set_date(date);
    v1::GetReportingStatusResponse response;
    auto context = NewClientContext(token);
    RETURN_IF_ERROR(
        server::FromGrpcStatus(stub_->GetReportingStatus(context.get(), request, &response)));
    return response;
  }

  absl::TimeZone tz_ = Shanghai();
  time::FakeClock clock_{Local(2, 9, 0)};
  lianfang::testing::TestTokens tokens_{&clock_};
  auth::ServiceToken service_token_ =
      auth::ServiceToken::FromSecret(lianfang::testing::TestTokens::kSecret, "report", clock_);
  lianfang::testing::TempDir dir_;
  std::unique_ptr<sql::Database> db_;
  sites::SiteDirectory sites_ = TestSites();
  StandInSources stand_ins_{tokens_};
  std::unique_ptr<GrpcDailyStatsSources> grpc_sources_;
  std::unique_ptr<ReportGenerator> generator_;
  std::unique_ptr<ReportService> service_;
  std::unique_ptr<lianfang::testing::LoopbackServer> server_;
  std::unique_ptr<v1::ReportService::Stub> stub_;
};

TEST_F(ReportServiceTest, ALeaderGeneratesTheDayFromTheFourServicesWithTheServiceToken) {
  ASSERT_OK_AND_ASSIGN(v1::DailyReport report, Generate(Leader(), "g1", "2022-04-01"));
  EXPECT_EQ(report.report_id(), "20220401-v1");
  EXPECT_EQ(report.status(), v1::REPORT_STATUS_DRAFT);
  EXPECT_EQ(report.generated_by(), "leader-li");
  EXPECT_THAT(report.incomplete_sources(), IsEmpty());
  ASSERT_THAT(report.sites(), SizeIs(3));
  EXPECT_EQ(report.sites(0).gate().entries(), 5);
  EXPECT_EQ(report.sites(0).survey().residents(), 30);
  EXPECT_EQ(report.sites(0).dispatch().tasks_created(), 3);
  EXPECT_EQ(report.sites(0).supplies().issues(), 2);
  EXPECT_EQ(report.totals().gate().entries(), 7);
  EXPECT_EQ(report.totals().supplies().key_balances(1).quantity(), 350);
  EXPECT_EQ(report.donations().received_money_fen(), 150000);
  // The idle village: a zero report, written out.
  EXPECT_EQ(report.sites(2).site_id(), "village");
  EXPECT_TRUE(IsZeroSite(report.sites(2)));

  EXPECT_THAT(stand_ins_.gate().roles(), ElementsAre(auth::Role::kService));
  EXPECT_THAT(stand_ins_.survey().roles(), ElementsAre(auth::Role::kService));
  EXPECT_THAT(stand_ins_.dispatch().roles(), ElementsAre(auth::Role::kService));
  EXPECT_THAT(stand_ins_.supplies().roles(), ElementsAre(auth::Role::kService));
  EXPECT_THAT(stand_ins_.gate().dates(), ElementsAre("2022-04-01"));
  EXPECT_THAT(stand_ins_.supplies().dates(), ElementsAre("2022-04-01"));
}

TEST_F(ReportServiceTest, ASourceThatIsDownLeavesAnIncompleteDraftThatCannotBeSubmitted) {
  stand_ins_.dispatch_server().Shutdown();
  ASSERT_OK_AND_ASSIGN(v1::DailyReport report, Generate(Leader(), "g1", "2022-04-01"));
  EXPECT_THAT(report.incomplete_sources(), ElementsAre("dispatch"));
  EXPECT_EQ(report.status(), v1::REPORT_STATUS_DRAFT);
  EXPECT_FALSE(report.sites(0).has_dispatch());
  EXPECT_EQ(report.sites(0).gate().entries(), 5);
  EXPECT_THAT(Submit(Leader(), "s1", report.report_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("dispatch")));
  ASSERT_OK_AND_ASSIGN(v1::DailyReport stored, Get(Leader(), report.report_id()));
  EXPECT_EQ(stored.status(), v1::REPORT_STATUS_DRAFT);
}

TEST_F(ReportServiceTest, SuppliesDownLeavesAnIncompleteDraftNamingIt) {
  stand_ins_.supplies_server().Shutdown();
  ASSERT_OK_AND_ASSIGN(v1::DailyReport report, Generate(Leader(), "g1", "2022-04-01"));
  EXPECT_THAT(report.incomplete_sources(), ElementsAre("supplies"));
  EXPECT_FALSE(report.sites(0).has_supplies());
  EXPECT_FALSE(report.has_donations());
  EXPECT_EQ(report.sites(0).dispatch().tasks_created(), 3);
  EXPECT_THAT(Submit(Leader(), "s1", report.report_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("supplies")));
}

TEST_F(ReportServiceTest, SubmittingFreezesTheReportAndACorrectionIsANewVersion) {
  ASSERT_OK_AND_ASSIGN(v1::DailyReport v1_draft, Generate(Leader(), "g1", "2022-04-01"));
  clock_.Advance(absl::Minutes(5));
  const std::string wang = Token(auth::Role::kLeader, "leader-wang");
  ASSERT_OK_AND_ASSIGN(v1::DailyReport submitted, Submit(wang, "s1", v1_draft.report_id()));
  EXPECT_EQ(submitted.status(), v1::REPORT_STATUS_SUBMITTED);
  EXPECT_EQ(submitted.submitted_by(), "leader-wang");
  EXPECT_EQ(time::FromTimestamp(submitted.submitted_at()), Local(2, 9, 5));
  EXPECT_EQ(submitted.generated_by(), "leader-li");

  // A retry of the same request answers the same; another submission is refused.
  ASSERT_OK_AND_ASSIGN(v1::DailyReport retried, Submit(wang, "s1", v1_draft.report_id()));
  EXPECT_EQ(retried.SerializeAsString(), submitted.SerializeAsString());
  EXPECT_THAT(Submit(Leader(), "s2", v1_draft.report_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already submitted")));

  // The correction: figures changed, generated again -> version 2, a draft.
  stand_ins_.Answer(QuietDay("2022-04-01"));
  ASSERT_OK_AND_ASSIGN(v1::DailyReport v2_draft, Generate(Leader(), "g2", "2022-04-01"));
  EXPECT_EQ(v2_draft.version(), 2);
  EXPECT_EQ(v2_draft.report_id(), "20220401-v2");
  EXPECT_EQ(v2_draft.status(), v1::REPORT_STATUS_DRAFT);
  ASSERT_OK_AND_ASSIGN(v1::DailyReport v2, Submit(Leader(), "s3", v2_draft.report_id()));
  EXPECT_EQ(v2.status(), v1::REPORT_STATUS_SUBMITTED);

  // History: version 1 is kept as it was submitted.
  ASSERT_OK_AND_ASSIGN(v1::DailyReport v1_now, Get(Viewer(), v1_draft.report_id()));
  EXPECT_EQ(v1_now.SerializeAsString(), submitted.SerializeAsString());
  EXPECT_EQ(v1_now.totals().gate().entries(), 7);
  v1::ListDailyReportsRequest list;
  list.set_start_date("2022-04-01");
  list.set_end_date("2022-04-01");
  ASSERT_OK_AND_ASSIGN(v1::ListDailyReportsResponse listed, List(Viewer(), list));
  ASSERT_THAT(listed.reports(), SizeIs(2));
  EXPECT_EQ(listed.reports(0).version(), 2);
  EXPECT_EQ(listed.reports(1).version(), 1);
}

TEST_F(ReportServiceTest, AnOlderDraftCannotBeSubmittedOnceANewerVersionExists) {
  ASSERT_OK_AND_ASSIGN(v1::DailyReport first, Generate(Leader(), "g1", "2022-04-01"));
  ASSERT_OK(Generate(Leader(), "g2", "2022-04-01"));
  EXPECT_THAT(Submit(Leader(), "s1", first.report_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("newer version")));
}

TEST_F(ReportServiceTest, BadInputIsInvalidArgumentNamingTheField) {
  absl::Status future = Generate(Leader(), "g1", "2022-04-03").status();
  EXPECT_THAT(future, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("future")));
  EXPECT_THAT(server::FieldViolations(future), ElementsAre(Pair("date", ::testing::_)));
  absl::Status not_a_date = Generate(Leader(), "g2", "01/04/2022").status();
  EXPECT_THAT(server::FieldViolations(not_a_date), ElementsAre(Pair("date", ::testing::_)));
  absl::Status unknown_site = Generate(Leader(), "g3", "2022-04-01", {"atlantis"}).status();
  EXPECT_THAT(server::FieldViolations(unknown_site),
              ElementsAre(Pair("site_ids[0]", "unknown site")));
  absl::Status no_request_id = Generate(Leader(), "", "2022-04-01").status();
  EXPECT_THAT(server::FieldViolations(no_request_id), ElementsAre(Pair("request_id", ::testing::_)));
  EXPECT_THAT(stand_ins_.gate().roles(), IsEmpty());  // nothing was asked

  ASSERT_OK_AND_ASSIGN(v1::DailyReport report, Generate(Leader(), "g4", "2022-04-01"));
  absl::Status format = Export(Viewer(), report.report_id(), v1::EXPORT_FORMAT_UNSPECIFIED).status();
  EXPECT_THAT(format, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(server::FieldViolations(format), ElementsAre(Pair("format", ::testing::_)));
  EXPECT_THAT(Export(Viewer(), report.report_id(), static_cast<v1::ExportFormat>(42)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Get(Viewer(), ""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Submit(Leader(), "s1", ""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Status(Viewer(), "2022-4-1"), StatusIs(absl::StatusCode::kInvalidArgument));
  v1::ListDailyReportsRequest backwards;
  backwards.set_start_date("2022-04-02");
  backwards.set_end_date("2022-04-01");
  EXPECT_THAT(List(Viewer(), backwards), StatusIs(absl::StatusCode::kInvalidArgument));
  v1::ListDailyReportsRequest bad_token;
  bad_token.set_page_token("not-a-token");
  EXPECT_THAT(List(Viewer(), bad_token), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ReportServiceTest, UnknownReportIdsAreNotFound) {
  EXPECT_THAT(Get(Viewer(), "20990101-v1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Submit(Leader(), "s1", "20990101-v1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Export(Viewer(), "20990101-v1", v1::EXPORT_FORMAT_CSV),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ReportServiceTest, LeadersGenerateAndSubmitWhileViewersOnlyRead) {
  EXPECT_THAT(Generate(Viewer(), "g1", "2022-04-01"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Generate(Token(auth::Role::kGuard, "guard-1"), "g1", "2022-04-01"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Generate("", "g1", "2022-04-01"), StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK_AND_ASSIGN(v1::DailyReport report, Generate(Leader(), "g1", "2022-04-01"));
  EXPECT_THAT(Submit(Viewer(), "s1", report.report_id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Submit(Token(auth::Role::kVolunteer, "v1"), "s1", report.report_id()),
              StatusIs(absl::StatusCode::kPermissionDenied));

  EXPECT_OK(Get(Viewer(), report.report_id()));
  EXPECT_OK(Export(Viewer(), report.report_id(), v1::EXPORT_FORMAT_HTML));
  EXPECT_OK(List(Viewer(), {}));
  EXPECT_OK(Status(Viewer(), ""));
  EXPECT_OK(Get(Token(auth::Role::kService, "gateway"), report.report_id()));
  EXPECT_THAT(Export(Token(auth::Role::kService, "gateway"), report.report_id(),
                     v1::EXPORT_FORMAT_CSV),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Get(Token(auth::Role::kGuard, "guard-1"), report.report_id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_OK(Submit(Token(auth::Role::kAdmin, "admin"), "s1", report.report_id()));
}

TEST_F(ReportServiceTest, EveryExportFormatCarriesTheReport) {
  ASSERT_OK_AND_ASSIGN(v1::DailyReport draft, Generate(Leader(), "g1", "2022-04-01"));
  ASSERT_OK_AND_ASSIGN(v1::DailyReport report, Submit(Leader(), "s1", draft.report_id()));

  ASSERT_OK_AND_ASSIGN(auto csv, Export(Viewer(), report.report_id(), v1::EXPORT_FORMAT_CSV));
  EXPECT_EQ(csv.filename(), "lianfang-2022-04-01-v1.csv");
  EXPECT_EQ(csv.content_type(), "text/csv; charset=utf-8");
  EXPECT_THAT(csv.content(), StartsWith("\xEF\xBB\xBF站点,站点编号,进入人次,外出人次,劝返人次,"));
  std::vector<std::string> lines = absl::StrSplit(csv.content(), "\r\n", absl::SkipEmpty());
  ASSERT_THAT(lines, SizeIs(5));
  EXPECT_THAT(lines[1], StartsWith("党校校园,campus,5,"));
  EXPECT_THAT(lines[3], StartsWith("驻村扶贫村,village,0,0,0,0,"));
  EXPECT_THAT(lines[4], StartsWith("合计,,7,"));

  ASSERT_OK_AND_ASSIGN(auto json, Export(Viewer(), report.report_id(), v1::EXPORT_FORMAT_JSON));
  v1::DailyReport parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json.content(), &parsed).ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, report));

  ASSERT_OK_AND_ASSIGN(auto md, Export(Viewer(), report.report_id(), v1::EXPORT_FORMAT_MARKDOWN));
  EXPECT_THAT(md.content(), StartsWith("# 联防联控工作组 每日疫情防控情况报告 2022-04-01"));
  EXPECT_THAT(md.content(), HasSubstr("| 党校校园 | 5 | 3 |"));

  ASSERT_OK_AND_ASSIGN(auto html, Export(Viewer(), report.report_id(), v1::EXPORT_FORMAT_HTML));
  EXPECT_EQ(html.content_type(), "text/html; charset=utf-8");
  EXPECT_THAT(html.content(), HasSubstr("联防联控工作组 每日疫情防控情况报告 2022-04-01"));
  EXPECT_THAT(html.content(), HasSubstr("上报人：leader-li　上报时间：2022-04-02 09:00"));
  for (const char* name : {"党校校园", "家属区", "驻村扶贫村"}) {
    EXPECT_THAT(html.content(), HasSubstr(name));
  }
}

TEST_F(ReportServiceTest, AQuietDayExportsAsAZeroReport) {
  stand_ins_.Answer(QuietDay("2022-04-01"));
  ASSERT_OK_AND_ASSIGN(v1::DailyReport report, Generate(Leader(), "g1", "2022-04-01"));
  EXPECT_TRUE(IsZeroReport(report));
  ASSERT_OK_AND_ASSIGN(auto html, Export(Viewer(), report.report_id(), v1::EXPORT_FORMAT_HTML));
  EXPECT_THAT(html.content(), HasSubstr("零报告"));
  ASSERT_OK(Submit(Leader(), "s1", report.report_id()));  // a zero report is a report
}

TEST_F(ReportServiceTest, ReportingStatusFollowsSubmissionsAgainstTheDeadline) {
  // 09:00 on April 2nd: the report of April 1st is due at 10:00.
  ASSERT_OK_AND_ASSIGN(auto before, Status(Viewer(), "2022-04-01"));
  EXPECT_EQ(before.date(), "2022-04-01");
  EXPECT_EQ(time::FromTimestamp(before.deadline()), Local(2, 10, 0));
  ASSERT_THAT(before.sites(), SizeIs(3));
  for (const auto& site : before.sites()) {
    EXPECT_FALSE(site.submitted());
    EXPECT_EQ(site.state(), v1::REPORTING_STATE_PENDING);
  }

  // The campus alone reports on time.
  ASSERT_OK_AND_ASSIGN(v1::DailyReport campus, Generate(Leader(), "g1", "2022-04-01", {"campus"}));
  ASSERT_OK(Submit(Leader(), "s1", campus.report_id()));
  clock_.Set(Local(2, 10, 30));
  ASSERT_OK_AND_ASSIGN(auto after, Status(Viewer(), "2022-04-01"));
  EXPECT_EQ(after.sites(0).site_id(), "campus");
  EXPECT_TRUE(after.sites(0).submitted());
  EXPECT_EQ(after.sites(0).report_id(), campus.report_id());
  EXPECT_EQ(time::FromTimestamp(after.sites(0).submitted_at()), Local(2, 9, 0));
  EXPECT_EQ(after.sites(0).state(), v1::REPORTING_STATE_ON_TIME);
  EXPECT_EQ(after.sites(1).state(), v1::REPORTING_STATE_MISSING);
  EXPECT_EQ(after.sites(2).state(), v1::REPORTING_STATE_MISSING);

  // The whole report, late.
  ASSERT_OK_AND_ASSIGN(v1::DailyReport all, Generate(Leader(), "g2", "2022-04-01"));
  ASSERT_OK(Submit(Leader(), "s2", all.report_id()));
  ASSERT_OK_AND_ASSIGN(auto late, Status(Viewer(), "2022-04-01"));
  EXPECT_EQ(late.sites(0).state(), v1::REPORTING_STATE_ON_TIME);
  EXPECT_EQ(late.sites(0).report_id(), all.report_id());  // the latest covering it
  EXPECT_EQ(late.sites(1).state(), v1::REPORTING_STATE_LATE);
  EXPECT_EQ(late.sites(2).state(), v1::REPORTING_STATE_LATE);

  // No date means today, whose report is not due yet.
  ASSERT_OK_AND_ASSIGN(auto today, Status(Viewer(), ""));
  EXPECT_EQ(today.date(), "2022-04-02");
  EXPECT_THAT(today.sites(), Each(::testing::Property(&v1::SiteReportingStatus::state,
                                                      v1::REPORTING_STATE_PENDING)));
}

TEST_F(ReportServiceTest, ListingPagesThroughTheHistory) {
  for (int i = 0; i < 5; ++i) ASSERT_OK(Generate(Leader(), absl::StrCat("g", i), "2022-04-01"));
  ASSERT_OK(Generate(Leader(), "g-old", "2022-03-20"));
  std::vector<int> versions;
  v1::ListDailyReportsRequest request;
  request.set_start_date("2022-04-01");
  request.set_page_size(2);
  for (int pages = 0; pages < 10; ++pages) {
    ASSERT_OK_AND_ASSIGN(auto page, List(Viewer(), request));
    for (const auto& r : page.reports()) versions.push_back(r.version());
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  EXPECT_THAT(versions, ElementsAre(5, 4, 3, 2, 1));
  v1::ListDailyReportsRequest drafts;
  drafts.set_status(v1::REPORT_STATUS_DRAFT);
  ASSERT_OK_AND_ASSIGN(auto all, List(Viewer(), drafts));
  EXPECT_THAT(all.reports(), SizeIs(6));
}

TEST_F(ReportServiceTest, TheAuditTrailIsForAdminsAndNamesWhoDidWhat) {
  ASSERT_OK_AND_ASSIGN(v1::DailyReport report, Generate(Leader(), "g1", "2022-04-01"));
  ASSERT_OK(Submit(Leader(), "s1", report.report_id()));
  common::v1::ListAuditEventsRequest request;
  common::v1::ListAuditEventsResponse response;
  {
    auto context = NewClientContext(Leader());
    EXPECT_EQ(stub_->ListAuditEvents(context.get(), request, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  auto context = NewClientContext(Token(auth::Role::kAdmin, "admin"));
  ASSERT_TRUE(stub_->ListAuditEvents(context.get(), request, &response).ok());
  ASSERT_THAT(response.events(), SizeIs(2));
  EXPECT_EQ(response.events(0).method(), "/lianfang.report.v1.ReportService/SubmitDailyReport");
  EXPECT_EQ(response.events(0).subject(), "leader-li");
  EXPECT_EQ(response.events(0).role(), common::v1::ROLE_LEADER);
  EXPECT_EQ(response.events(0).object(), report.report_id());
  EXPECT_EQ(response.events(0).request_id(), "s1");
  EXPECT_EQ(response.events(1).method(), "/lianfang.report.v1.ReportService/GenerateDailyReport");
}

TEST_F(ReportServiceTest, TheAutomaticDraftPullsTheSourcesAndIsListed) {
  AutoDrafter drafter(generator_.get(), db_.get(), &clock_, tz_, TimeOfDay{8, 30});
  ASSERT_OK_AND_ASSIGN(auto drafted, drafter.Tick(clock_.Now()));
  ASSERT_TRUE(drafted.has_value());
  EXPECT_EQ(drafted->date(), "2022-04-01");
  EXPECT_EQ(drafted->totals().gate().entries(), 7);
  ASSERT_OK_AND_ASSIGN(auto listed, List(Viewer(), {}));
  ASSERT_THAT(listed.reports(), SizeIs(1));
  EXPECT_EQ(listed.reports(0).generated_by(), "report");
  ASSERT_OK_AND_ASSIGN(drafted, drafter.Tick(clock_.Now() + absl::Hours(1)));
  EXPECT_FALSE(drafted.has_value());
}

// ---- Site rules (services/report/site_access.h) ----

TEST_F(ReportServiceTest, ASiteRestrictedLeaderGeneratesOnlyReportsOfItsOwnSites) {
  const std::string campus_leader = Token(auth::Role::kLeader, "leader-campus", {"campus"});
  ASSERT_OK_AND_ASSIGN(v1::DailyReport own,
                       Generate(campus_leader, "g-own", "2022-04-01", {"campus"}));
  EXPECT_THAT(own.site_ids(), ElementsAre("campus"));
  EXPECT_THAT(Generate(campus_leader, "g-other", "2022-04-01", {"village"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Generate(campus_leader, "g-mixed", "2022-04-01", {"campus", "village"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // No site_ids means every site, which includes sites outside the token.
  EXPECT_THAT(Generate(campus_leader, "g-all", "2022-04-01"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("name them in site_ids")));
  // A token listing every site may ask for all of them.
  EXPECT_OK(Generate(Token(auth::Role::kLeader, "leader-all", {"campus", "family-area", "village"}),
                     "g-every", "2022-04-01"));
}

TEST_F(ReportServiceTest, ASiteRestrictedCallerCannotReadOrSubmitAReportCoveringOtherSites) {
  ASSERT_OK_AND_ASSIGN(v1::DailyReport all, Generate(Leader(), "g-all", "2022-04-01"));
  ASSERT_OK_AND_ASSIGN(v1::DailyReport village,
                       Generate(Leader(), "g-village", "2022-04-01", {"village"}));
  ASSERT_OK_AND_ASSIGN(v1::DailyReport campus,
                       Generate(Leader(), "g-campus", "2022-04-01", {"campus"}));
  const std::string campus_viewer = Token(auth::Role::kViewer, "office-campus", {"campus"});
  const std::string campus_leader = Token(auth::Role::kLeader, "leader-campus", {"campus"});

  for (const v1::DailyReport* other : {&all, &village}) {
    EXPECT_THAT(Get(campus_viewer, other->report_id()),
                StatusIs(absl::StatusCode::kPermissionDenied));
    EXPECT_THAT(Export(campus_viewer, other->report_id(), v1::EXPORT_FORMAT_CSV),
                StatusIs(absl::StatusCode::kPermissionDenied));
    EXPECT_THAT(Submit(campus_leader, absl::StrCat("s-", other->report_id()), other->report_id()),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
  ASSERT_OK_AND_ASSIGN(v1::DailyReport read, Get(campus_viewer, campus.report_id()));
  EXPECT_THAT(read.sites(), SizeIs(1));
  EXPECT_OK(Export(campus_viewer, campus.report_id(), v1::EXPORT_FORMAT_JSON));
  EXPECT_OK(Submit(campus_leader, "s-campus", campus.report_id()));
  // Nothing was submitted for the refused ones.
  ASSERT_OK_AND_ASSIGN(v1::DailyReport still_draft, Get(Viewer(), village.report_id()));
  EXPECT_EQ(still_draft.status(), v1::REPORT_STATUS_DRAFT);
  // Unrestricted tokens read everything, as before.
  EXPECT_OK(Get(Viewer(), all.report_id()));
  EXPECT_OK(Get(Token(auth::Role::kService, "gateway"), village.report_id()));
}

TEST_F(ReportServiceTest, ListingShowsASiteRestrictedCallerOnlyReportsOfItsSites) {
  // Newest first: campus v2, village, campus v1, all (same day), then an older all-site day.
  ASSERT_OK(Generate(Leader(), "g-old", "2022-03-20"));
  ASSERT_OK(Generate(Leader(), "g-all", "2022-04-01"));
  ASSERT_OK(Generate(Leader(), "g-c1", "2022-04-01", {"campus"}));
  ASSERT_OK(Generate(Leader(), "g-v", "2022-04-01", {"village"}));
  ASSERT_OK(Generate(Leader(), "g-cv", "2022-04-01", {"campus", "village"}));
  ASSERT_OK(Generate(Leader(), "g-c2", "2022-04-01", {"campus"}));

  const std::string campus_viewer = Token(auth::Role::kViewer, "office-campus", {"campus"});
  // Pages of one: every page that has a report holds a campus-only report, and the pages
  // together hold exactly the two campus versions.
  std::vector<std::string> seen;
  v1::ListDailyReportsRequest request;
  request.set_page_size(1);
  for (int pages = 0; pages < 20; ++pages) {
    ASSERT_OK_AND_ASSIGN(auto page, List(campus_viewer, request));
    for (const auto& r : page.reports()) {
      EXPECT_THAT(r.site_ids(), ElementsAre("campus")) << r.report_id();
      seen.push_back(absl::StrCat(r.date(), " v", r.version()));
    }
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  EXPECT_THAT(seen, ElementsAre("2022-04-01 v2", "2022-04-01 v1"));

  const std::string both = Token(auth::Role::kViewer, "office-two", {"campus", "village"});
  ASSERT_OK_AND_ASSIGN(auto two, List(both, {}));
  EXPECT_THAT(two.reports(), SizeIs(4)) << "campus x2, village, campus+village";
  ASSERT_OK_AND_ASSIGN(auto everything, List(Viewer(), {}));
  EXPECT_THAT(everything.reports(), SizeIs(6));
}

TEST_F(ReportServiceTest, ReportingStatusShowsASiteRestrictedCallerOnlyItsSites) {
  ASSERT_OK_AND_ASSIGN(v1::DailyReport village,
                       Generate(Leader(), "g-village", "2022-04-01", {"village"}));
  ASSERT_OK(Submit(Leader(), "s-village", village.report_id()));
  ASSERT_OK_AND_ASSIGN(auto mine, Status(Token(auth::Role::kViewer, "office-campus",
                                               {"campus", "village"}),
                                         "2022-04-01"));
  ASSERT_THAT(mine.sites(), SizeIs(2));
  EXPECT_EQ(mine.sites(0).site_id(), "campus");
  EXPECT_FALSE(mine.sites(0).submitted());
  EXPECT_EQ(mine.sites(1).site_id(), "village");
  EXPECT_TRUE(mine.sites(1).submitted());
  ASSERT_OK_AND_ASSIGN(auto all, Status(Viewer(), "2022-04-01"));
  EXPECT_THAT(all.sites(), SizeIs(3));
}

}  // namespace
}  // namespace lianfang::report
