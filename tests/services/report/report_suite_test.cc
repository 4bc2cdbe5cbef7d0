// The daily report end to end: the real lf-gate, lf-survey, lf-dispatch, lf-supplies and
// lf-report binaries over a real redis-server and SQLite files. A day of activity is recorded through the
// services' own APIs, then the report is generated and its figures checked against what was
// recorded: the campus's gate passages (an admission, a fever, a denial), the family area's
// survey (a household, a resident, a health report), the community's task (created and
// completed) and the fever follow-up task raised by the gate, the family area's supplies (a
// receipt and an issue leaving it low on masks), the idle village as a zero report; submission, a correction as version 2, every export format, and the incomplete case
// with one service stopped.
#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/pii/pii.h"
#include "common/server/client.h"
#include "common/server/grpc_status.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/poll.h"
#include "common/testing/ports.h"
#include "common/testing/redis_server.h"
#include "common/testing/service_binaries.h"
#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"
#include "common/testing/test_database.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "lianfang/report/v1/report.grpc.pb.h"
#include "lianfang/survey/v1/survey.grpc.pb.h"
#include "lianfang/supplies/v1/supplies.grpc.pb.h"
#include "services/report/daily_report.h"

namespace lianfang::report {
namespace {

using ::lianfang::testing::NewClientContext;
using ::lianfang::testing::StatusIs;
using ::lianfang::testing::Subprocess;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

absl::TimeZone Shanghai() {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &tz));
  return tz;
}

// A valid resident ID number (GB 11643 check digit), distinct for each `n`.
std::string IdNumber(int n) {
  const std::string first17 = absl::StrFormat("11010519900307%03d", n);
  return absl::StrCat(first17, std::string(1, pii::IdNumberCheckDigit(first17)));
}

common::v1::PersonInput Person(int n, const std::string& name) {
  common::v1::PersonInput person;
  person.set_id_number(IdNumber(n));
  person.set_name(name);
  person.set_phone(absl::StrFormat("13800138%03d", n));
  return person;
}

// One unary call with a token and a deadline; the gRPC status as an absl::Status.
template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> Call(Stub& stub,
                              grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                           Response*),
                              const std::string& token, const Request& request) {
  Response response;
  auto context = NewClientContext(token, absl::Seconds(30));
  RETURN_IF_ERROR(server::FromGrpcStatus((stub.*method)(context.get(), request, &response)));
  return response;
}

const SiteReport* SiteOf(const DailyReport& report, const std::string& site_id) {
  for (const SiteReport& site : report.sites()) {
    if (site.site_id() == site_id) return &site;
  }
  return nullptr;
}

int Reason(const gate::v1::DailyStats& stats, gate::v1::DenyReason reason) {
  for (const auto& c : stats.denied_by_reason()) {
    if (c.reason() == reason) return c.count();
  }
  return -1;
}

class ReportSuiteTest : public ::testing::Test {
 protected:
  static constexpr const char* kServices[] = {"gate", "survey", "dispatch", "supplies", "report"};

  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(redis_, lianfang::testing::RedisServer::Launch());
    ASSERT_OK_AND_ASSIGN(pii_key_file_,
                         dir_.WriteFile("pii.key", "a-test-only-pii-key-of-32-bytes!!"));
    for (const char* name : kServices) {
      ASSERT_OK_AND_ASSIGN(int port, lianfang::testing::PickFreePort());
      addresses_[name] = absl::StrCat("127.0.0.1:", port);
    }
    for (const char* name : kServices) ASSERT_OK(Start(name));
    for (const char* name : kServices) ASSERT_OK(WaitServing(name));
    date_ = time::DateOf(absl::Now(), Shanghai());
    gate_ = gate::v1::GateService::NewStub(server::MakeChannel(addresses_["gate"], nullptr));
    survey_ =
        survey::v1::SurveyService::NewStub(server::MakeChannel(addresses_["survey"], nullptr));
    dispatch_ = dispatch::v1::DispatchService::NewStub(
        server::MakeChannel(addresses_["dispatch"], nullptr));
    report_ = v1::ReportService::NewStub(server::MakeChannel(addresses_["report"], nullptr));
    supplies_ = supplies::v1::SuppliesService::NewStub(
        server::MakeChannel(addresses_["supplies"], nullptr));
  }

  absl::Status Start(const std::string& name) {
    ASSIGN_OR_RETURN(std::string binary, lianfang::testing::BinaryPath(absl::StrCat("lf-", name)));
    Subprocess::Options options;
    options.args = {binary};
    options.env = {{"LF_LISTEN", addresses_[name]},
                   {"LF_DB", ::lianfang::testing::TestDatabaseUrl(dir_, name + ".db")},
                   {"LF_REDIS", redis_->url()},
                   {"LF_SITES", lianfang::testing::SourcePath("deploy/sites.textproto")},
                   {"LF_JWT_SECRET_FILE", tokens_.secret_file()},
                   {"LF_PII_KEY_FILE", pii_key_file_},
                   {"LF_TZ", "Asia/Shanghai"},
                   {"LF_GATE_ADDR", addresses_["gate"]},
                   {"LF_SURVEY_ADDR", addresses_["survey"]},
                   {"LF_DISPATCH_ADDR", addresses_["dispatch"]},
                   {"LF_REPORT_ADDR", addresses_["report"]},
                   {"LF_SUPPLIES_ADDR", addresses_["supplies"]},
                   {"LF_REPORT_SOURCE_TIMEOUT", "2s"}};
    if (name == "survey") {
      options.env.emplace_back("LF_RISK_REGIONS",
                               lianfang::testing::SourcePath("deploy/risk-regions.txt"));
    }
    ASSIGN_OR_RETURN(processes_[name], Subprocess::Start(std::move(options)));
    return absl::OkStatus();
  }

  absl::Status WaitServing(const std::string& name) {
    absl::Status s = server::WaitForServing(addresses_[name], absl::Seconds(60));
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat("lf-", name, ": ", s.message(), "\n",
                                                 processes_[name]->ReadStderr()));
    }
    return absl::OkStatus();
  }

  std::string Leader() const { return tokens_.For(auth::Role::kLeader, "leader-li"); }
  std::string Guard() const { return tokens_.For(auth::Role::kGuard, "guard-chen", {"campus"}); }
  std::string Viewer() const { return tokens_.For(auth::Role::kViewer, "municipal-office"); }

  absl::StatusOr<gate::v1::RecordPassageResponse> Pass(const std::string& request_id,
                                                       gate::v1::Direction direction,
                                                       const common::v1::PersonInput& person,
                                                       double temperature) {
    gate::v1::RecordPassageRequest request;
    request.set_request_id(request_id);
    request.set_site_id("campus");
    request.set_gate_id("east");
    request.set_direction(direction);
    *request.mutable_person() = person;
    if (direction == gate::v1::DIRECTION_ENTRY) request.set_temperature_c(temperature);
    return Call(*gate_, &gate::v1::GateService::Stub::RecordPassage, Guard(), request);
  }

  absl::StatusOr<DailyReport> Generate(const std::string& request_id) {
    v1::GenerateDailyReportRequest request;
    request.set_request_id(request_id);
    request.set_date(date_);
    return Call(*report_, &v1::ReportService::Stub::GenerateDailyReport, Leader(), request);
  }

  absl::StatusOr<DailyReport> Submit(const std::string& request_id, const std::string& report_id) {
    v1::SubmitDailyReportRequest request;
    request.set_request_id(request_id);
    request.set_report_id(report_id);
    return Call(*report_, &v1::ReportService::Stub::SubmitDailyReport, Leader(), request);
  }

  absl::StatusOr<std::string> Export(const std::string& report_id, v1::ExportFormat format) {
    v1::ExportDailyReportRequest request;
    request.set_report_id(report_id);
    request.set_format(format);
    ASSIGN_OR_RETURN(v1::ExportDailyReportResponse file,
                     Call(*report_, &v1::ReportService::Stub::ExportDailyReport, Viewer(),
                          request));
    return file.content();
  }

  // The campus at the gate: a staff member with a pass comes in and goes out, a visitor with
  // fever is turned back, another without a pass is turned back.
  void RecordGateActivity() {
    gate::v1::IssuePassRequest issue;
    issue.set_request_id("pass-1");
    issue.set_site_id("campus");
    *issue.mutable_person() = Person(1, "王晓明");
    issue.set_kind(gate::v1::PASS_KIND_STAFF);
    ASSERT_OK(Call(*gate_, &gate::v1::GateService::Stub::IssuePass, Leader(), issue));

    ASSERT_OK_AND_ASSIGN(auto in, Pass("p-1", gate::v1::DIRECTION_ENTRY, Person(1, "王晓明"), 36.6));
    EXPECT_EQ(in.passage().decision(), gate::v1::DECISION_ADMITTED);
    ASSERT_OK_AND_ASSIGN(auto fever,
                         Pass("p-2", gate::v1::DIRECTION_ENTRY, Person(2, "刘一凡"), 38.4));
    EXPECT_EQ(fever.passage().deny_reason(), gate::v1::DENY_REASON_FEVER);
    ASSERT_OK_AND_ASSIGN(auto no_pass,
                         Pass("p-3", gate::v1::DIRECTION_ENTRY, Person(3, "周子涵"), 36.4));
    EXPECT_EQ(no_pass.passage().deny_reason(), gate::v1::DENY_REASON_NO_VALID_PASS);
    ASSERT_OK_AND_ASSIGN(auto out, Pass("p-4", gate::v1::DIRECTION_EXIT, Person(1, "王晓明"), 0));
    EXPECT_EQ(out.passage().decision(), gate::v1::DECISION_ADMITTED);
  }

  // The family area: one household surveyed, one resident registered, who files the day's
  // health report.
  void RecordSurveyActivity() {
    survey::v1::UpsertHouseholdRequest upsert;
    upsert.set_request_id("hh-1");
    survey::v1::Household* household = upsert.mutable_household();
    household->set_site_id("family-area");
    household->set_building("3");
    household->set_unit("2");
    household->set_room("501");
    household->set_kind(survey::v1::HOUSEHOLD_KIND_OWNER_OCCUPIED);
    upsert.set_surveyed(true);
    ASSERT_OK_AND_ASSIGN(survey::v1::Household saved,
                         Call(*survey_, &survey::v1::SurveyService::Stub::UpsertHousehold,
                              Leader(), upsert));

    survey::v1::RegisterResidentRequest resident;
    resident.set_request_id("res-1");
    resident.set_household_id(saved.household_id());
    *resident.mutable_person() = Person(4, "陈静怡");
    resident.set_relation("户主");
    ASSERT_OK_AND_ASSIGN(survey::v1::Resident registered,
                         Call(*survey_, &survey::v1::SurveyService::Stub::RegisterResident,
                              Leader(), resident));

    survey::v1::SubmitHealthReportRequest health;
    health.set_request_id("health-1");
    health.set_person_key(registered.person_key());
    health.set_date(date_);
    health.set_temperature_c(36.5);
    ASSERT_OK(Call(*survey_, &survey::v1::SurveyService::Stub::SubmitHealthReport, Leader(),
                   health));
  }

  // The community: a team with one volunteer, who disinfects a stairwell (created, started,
  // completed today).
  void RecordDispatchActivity() {
    dispatch::v1::CreateTeamRequest team_request;
    team_request.set_request_id("team-1");
    team_request.set_name("帮建社区党员突击队");
    team_request.add_site_ids("community");
    team_request.set_leader_sub("leader-li");
    ASSERT_OK_AND_ASSIGN(dispatch::v1::Team team,
                         Call(*dispatch_, &dispatch::v1::DispatchService::Stub::CreateTeam,
                              Leader(), team_request));

    dispatch::v1::EnrollVolunteerRequest enroll;
    enroll.set_request_id("vol-1");
    enroll.set_team_id(team.team_id());
    *enroll.mutable_person() = Person(5, "赵志强");
    enroll.set_user_sub("vol-zhao");
    enroll.set_party_member(true);
    ASSERT_OK_AND_ASSIGN(dispatch::v1::Volunteer volunteer,
                         Call(*dispatch_, &dispatch::v1::DispatchService::Stub::EnrollVolunteer,
                              Leader(), enroll));

    // Due later today (well before midnight), so it is planned and done on the same day.
    const absl::Time now = absl::Now();
    const absl::Time end_of_day = time::EndOfDay(time::DayOf(now, Shanghai()), Shanghai());
    const absl::Time due = now + std::min(absl::Hours(1), (end_of_day - now) / 2);
    dispatch::v1::CreateTaskRequest create;
    create.set_request_id("task-1");
    dispatch::v1::Task* task = create.mutable_task();
    task->set_kind(dispatch::v1::TASK_KIND_DISINFECTION);
    task->set_site_id("community");
    task->set_location("3号楼楼道");
    task->set_title("楼道消毒");
    task->set_priority(dispatch::v1::PRIORITY_NORMAL);
    *task->mutable_due_at() = time::ToTimestamp(due);
    task->set_team_id(team.team_id());
    task->set_assignee_volunteer_id(volunteer.volunteer_id());
    ASSERT_OK_AND_ASSIGN(dispatch::v1::Task created,
                         Call(*dispatch_, &dispatch::v1::DispatchService::Stub::CreateTask,
                              Leader(), create));

    const std::string volunteer_token =
        tokens_.For(auth::Role::kVolunteer, "vol-zhao", {"community"});
    dispatch::v1::StartTaskRequest start;
    start.set_request_id("start-1");
    start.set_task_id(created.task_id());
    ASSERT_OK(Call(*dispatch_, &dispatch::v1::DispatchService::Stub::StartTask, volunteer_token,
                   start));
    dispatch::v1::CompleteTaskRequest complete;
    complete.set_request_id("done-1");
    complete.set_task_id(created.task_id());
    complete.set_note("已完成消毒");
    ASSERT_OK(Call(*dispatch_, &dispatch::v1::DispatchService::Stub::CompleteTask,
                   volunteer_token, complete));
  }

  // The family area's supplies: masks (minimum 10 a site) received, 5, and issued, 2, so it is
  // low on them (it never was at the minimum, so no restock task is raised).
  void RecordSuppliesActivity() {
    supplies::v1::CreateItemRequest item;
    item.set_request_id("item-1");
    item.mutable_item()->set_code("mask-n95");
    item.mutable_item()->set_name("N95口罩");
    item.mutable_item()->set_unit("只");
    item.mutable_item()->set_category(supplies::v1::ITEM_CATEGORY_PROTECTION);
    item.mutable_item()->set_min_stock_per_site(10);
    ASSERT_OK(Call(*supplies_, &supplies::v1::SuppliesService::Stub::CreateItem, Leader(), item));
    supplies::v1::ReceiveStockRequest receive;
    receive.set_request_id("in-1");
    receive.set_site_id("family-area");
    receive.set_item_code("mask-n95");
    receive.set_quantity(5);
    receive.set_source(supplies::v1::STOCK_SOURCE_PURCHASE);
    ASSERT_OK(
        Call(*supplies_, &supplies::v1::SuppliesService::Stub::ReceiveStock, Leader(), receive));
    supplies::v1::IssueStockRequest issue;
    issue.set_request_id("out-1");
    issue.set_site_id("family-area");
    issue.set_item_code("mask-n95");
    issue.set_quantity(2);
    issue.mutable_to()->set_area("3号楼楼道");
    ASSERT_OK(Call(*supplies_, &supplies::v1::SuppliesService::Stub::IssueStock, Leader(), issue));
  }

  // The gate's fever raised a follow-up task in dispatch through its outbox; wait (bounded)
  // until dispatch counts it, so the report sees a settled day.
  void WaitForFeverFollowUp() {
    dispatch::v1::GetDailyStatsRequest request;
    request.set_date(date_);
    request.set_site_id("campus");
    const bool raised = lianfang::testing::PollUntil(
        [&] {
          auto stats = Call(*dispatch_, &dispatch::v1::DispatchService::Stub::GetDailyStats,
                            Leader(), request);
          return stats.ok() && stats->stats_size() == 1 &&
                 stats->stats(0).fever_followups() == 1;
        },
        absl::Seconds(60), absl::Milliseconds(200));
    ASSERT_TRUE(raised) << "the fever at the gate raised no follow-up task in dispatch";
  }

  lianfang::testing::TempDir dir_;
  lianfang::testing::TestTokens tokens_;
  std::unique_ptr<lianfang::testing::RedisServer> redis_;
  std::string pii_key_file_;
  std::map<std::string, std::string> addresses_;
  std::map<std::string, std::unique_ptr<Subprocess>> processes_;
  std::string date_;
  std::unique_ptr<gate::v1::GateService::Stub> gate_;
  std::unique_ptr<survey::v1::SurveyService::Stub> survey_;
  std::unique_ptr<dispatch::v1::DispatchService::Stub> dispatch_;
  std::unique_ptr<v1::ReportService::Stub> report_;
  std::unique_ptr<supplies::v1::SuppliesService::Stub> supplies_;
};

TEST_F(ReportSuiteTest, TheReportOfADayHoldsWhatWasRecorded) {
  ASSERT_NO_FATAL_FAILURE(RecordGateActivity());
  ASSERT_NO_FATAL_FAILURE(RecordSurveyActivity());
  ASSERT_NO_FATAL_FAILURE(RecordDispatchActivity());
  ASSERT_NO_FATAL_FAILURE(RecordSuppliesActivity());
  ASSERT_NO_FATAL_FAILURE(WaitForFeverFollowUp());

  ASSERT_OK_AND_ASSIGN(DailyReport report, Generate("gen-1"));
  EXPECT_EQ(report.date(), date_);
  EXPECT_EQ(report.version(), 1);
  EXPECT_THAT(report.incomplete_sources(), IsEmpty());
  ASSERT_THAT(report.sites(), SizeIs(4));

  const SiteReport* campus = SiteOf(report, "campus");
  ASSERT_NE(campus, nullptr);
  EXPECT_EQ(campus->site_name(), "党校校园");
  EXPECT_EQ(campus->gate().entries(), 1);
  EXPECT_EQ(campus->gate().exits(), 1);
  EXPECT_EQ(campus->gate().denied(), 2);
  EXPECT_EQ(campus->gate().fevers(), 1);
  EXPECT_EQ(Reason(campus->gate(), gate::v1::DENY_REASON_FEVER), 1);
  EXPECT_EQ(Reason(campus->gate(), gate::v1::DENY_REASON_NO_VALID_PASS), 1);
  EXPECT_EQ(campus->gate().peak_onsite(), 1);
  EXPECT_EQ(campus->dispatch().tasks_created(), 1);  // the fever follow-up
  EXPECT_EQ(campus->dispatch().fever_followups(), 1);

  const SiteReport* family = SiteOf(report, "family-area");
  ASSERT_NE(family, nullptr);
  EXPECT_EQ(family->survey().households_total(), 1);
  EXPECT_EQ(family->survey().households_surveyed(), 1);
  EXPECT_EQ(family->survey().households_surveyed_today(), 1);
  EXPECT_EQ(family->survey().residents(), 1);
  EXPECT_EQ(family->survey().residents_registered(), 1);
  EXPECT_EQ(family->survey().health_reports(), 1);
  EXPECT_EQ(family->survey().health_reports_missing(), 0);
  EXPECT_EQ(family->gate().entries(), 0);
  EXPECT_EQ(family->supplies().receipts(), 1);
  EXPECT_EQ(family->supplies().issues(), 1);
  EXPECT_EQ(family->supplies().low_stock_items(), 1);
  ASSERT_EQ(family->supplies().key_balances_size(), 1);
  EXPECT_EQ(family->supplies().key_balances(0).item_code(), "mask-n95");
  EXPECT_EQ(family->supplies().key_balances(0).quantity(), 3);
  EXPECT_TRUE(family->supplies().key_balances(0).low());

  const SiteReport* community = SiteOf(report, "community");
  ASSERT_NE(community, nullptr);
  EXPECT_EQ(community->dispatch().tasks_created(), 1);
  EXPECT_EQ(community->dispatch().tasks_done(), 1);
  EXPECT_EQ(community->dispatch().disinfection_planned(), 1);
  EXPECT_EQ(community->dispatch().disinfection_done(), 1);
  EXPECT_EQ(community->dispatch().tasks_overdue(), 0);

  // The idle village: every figure written out, nothing to report.
  const SiteReport* village = SiteOf(report, "village");
  ASSERT_NE(village, nullptr);
  ASSERT_TRUE(village->has_gate() && village->has_survey() && village->has_dispatch());
  EXPECT_EQ(village->gate().entries(), 0);
  EXPECT_EQ(village->survey().residents(), 0);
  EXPECT_EQ(village->dispatch().tasks_created(), 0);
  EXPECT_TRUE(IsZeroSite(*village));
  EXPECT_FALSE(IsZeroReport(report));

  EXPECT_EQ(report.totals().gate().entries(), 1);
  EXPECT_EQ(report.totals().gate().denied(), 2);
  EXPECT_EQ(report.totals().survey().residents(), 1);
  EXPECT_EQ(report.totals().dispatch().tasks_created(), 2);
  EXPECT_EQ(report.totals().dispatch().tasks_done(), 1);
  EXPECT_EQ(report.totals().supplies().receipts(), 1);
  EXPECT_EQ(report.totals().supplies().issues(), 1);
  ASSERT_EQ(report.totals().supplies().key_balances_size(), 1);
  EXPECT_EQ(report.totals().supplies().key_balances(0).quantity(), 3);
  EXPECT_TRUE(report.has_donations());
  EXPECT_EQ(report.donations().received_count(), 0);

  // Every export carries it.
  ASSERT_OK_AND_ASSIGN(std::string csv, Export(report.report_id(), v1::EXPORT_FORMAT_CSV));
  EXPECT_THAT(csv, StartsWith("\xEF\xBB\xBF站点,站点编号,进入人次,外出人次,劝返人次,发热人数"));
  EXPECT_THAT(csv, HasSubstr("\r\n党校校园,campus,1,1,2,1,"));
  EXPECT_THAT(csv, HasSubstr("\r\n驻村扶贫村,village,0,0,0,0,"));
  EXPECT_THAT(csv, HasSubstr("\r\n合计,,1,1,2,1,"));
  EXPECT_THAT(csv, HasSubstr(",库存：N95口罩（只）,低库存物资,"));
  EXPECT_THAT(csv, HasSubstr(",3,N95口罩,,,,\r\n"));  // the family area: 3 left, low
  ASSERT_OK_AND_ASSIGN(std::string json, Export(report.report_id(), v1::EXPORT_FORMAT_JSON));
  DailyReport parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, report));
  ASSERT_OK_AND_ASSIGN(std::string md, Export(report.report_id(), v1::EXPORT_FORMAT_MARKDOWN));
  EXPECT_THAT(md, HasSubstr("| 党校校园 | 1 | 1 | 2 | 1 |"));
  EXPECT_THAT(md, HasSubstr("| 家属区 | 3（低） | N95口罩 |"));
  ASSERT_OK_AND_ASSIGN(std::string html, Export(report.report_id(), v1::EXPORT_FORMAT_HTML));
  EXPECT_THAT(html, HasSubstr(absl::StrCat("联防联控工作组 每日疫情防控情况报告 ", date_)));
  for (const char* name : {"党校校园", "家属区", "帮建社区", "驻村扶贫村"}) {
    EXPECT_THAT(html, HasSubstr(name));
  }
  EXPECT_THAT(html, HasSubstr("<td class=\"name\">零报告</td>"));  // the village
  EXPECT_THAT(html, HasSubstr("、物资保障</h2>"));
  EXPECT_THAT(html, HasSubstr("当日捐赠：受赠 0 笔，受赠款 0.00 元；捐出 0 笔，捐出款 0.00 元。"));

  // Submitted, then corrected: one more passage, generated again as version 2.
  ASSERT_OK_AND_ASSIGN(DailyReport submitted, Submit("sub-1", report.report_id()));
  EXPECT_EQ(submitted.status(), v1::REPORT_STATUS_SUBMITTED);
  EXPECT_EQ(submitted.submitted_by(), "leader-li");
  EXPECT_THAT(Submit("sub-2", report.report_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK(Pass("p-5", gate::v1::DIRECTION_ENTRY, Person(1, "王晓明"), 36.7));
  ASSERT_OK_AND_ASSIGN(DailyReport correction, Generate("gen-2"));
  EXPECT_EQ(correction.version(), 2);
  EXPECT_EQ(correction.status(), v1::REPORT_STATUS_DRAFT);
  EXPECT_EQ(SiteOf(correction, "campus")->gate().entries(), 2);
  ASSERT_OK_AND_ASSIGN(DailyReport v2, Submit("sub-3", correction.report_id()));
  EXPECT_EQ(v2.status(), v1::REPORT_STATUS_SUBMITTED);

  // The first version is kept as submitted; the day counts as reported.
  v1::GetDailyReportRequest get;
  get.set_report_id(report.report_id());
  ASSERT_OK_AND_ASSIGN(DailyReport first,
                       Call(*report_, &v1::ReportService::Stub::GetDailyReport, Viewer(), get));
  EXPECT_EQ(SiteOf(first, "campus")->gate().entries(), 1);
  EXPECT_EQ(first.status(), v1::REPORT_STATUS_SUBMITTED);
  v1::GetReportingStatusRequest status_request;
  status_request.set_date(date_);
  ASSERT_OK_AND_ASSIGN(
      v1::GetReportingStatusResponse status,
      Call(*report_, &v1::ReportService::Stub::GetReportingStatus, Viewer(), status_request));
  ASSERT_THAT(status.sites(), SizeIs(4));
  for (const auto& site : status.sites()) {
    EXPECT_TRUE(site.submitted()) << site.site_id();
    EXPECT_EQ(site.report_id(), correction.report_id());
  }
}

TEST_F(ReportSuiteTest, WithAServiceStoppedTheReportIsIncompleteAndCannotBeSubmitted) {
  ASSERT_NO_FATAL_FAILURE(RecordGateActivity());
  ASSERT_OK_AND_ASSIGN(auto exit, processes_["survey"]->Terminate(absl::Seconds(20)));
  EXPECT_TRUE(exit.Success()) << exit.ToString();

  ASSERT_OK_AND_ASSIGN(DailyReport report, Generate("gen-1"));
  EXPECT_THAT(report.incomplete_sources(), ElementsAre("survey"));
  EXPECT_EQ(report.status(), v1::REPORT_STATUS_DRAFT);
  const SiteReport* campus = SiteOf(report, "campus");
  ASSERT_NE(campus, nullptr);
  EXPECT_FALSE(campus->has_survey());
  EXPECT_EQ(campus->gate().entries(), 1);
  EXPECT_THAT(Submit("sub-1", report.report_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("survey")));
  ASSERT_OK_AND_ASSIGN(std::string csv, Export(report.report_id(), v1::EXPORT_FORMAT_CSV));
  EXPECT_THAT(csv, HasSubstr("未获取"));

  // Back up: the next version is complete and can be submitted.
  ASSERT_OK(Start("survey"));
  ASSERT_OK(WaitServing("survey"));
  ASSERT_OK_AND_ASSIGN(DailyReport complete, Generate("gen-2"));
  EXPECT_THAT(complete.incomplete_sources(), IsEmpty());
  EXPECT_EQ(complete.version(), 2);
  EXPECT_OK(Submit("sub-2", complete.report_id()));
}

}  // namespace
}  // namespace lianfang::report
