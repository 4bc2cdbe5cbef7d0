// The follow-up rules end to end over the real lf-survey and lf-dispatch binaries (the test
// database: SQLite, or PostgreSQL with LF_TEST_DB=postgres): survey raises the missing-reports
// task of a household once its site's check time has come (and not for a site whose check time
// has not), and the verification task of a tenant pending too long; survey is restarted and
// killed while dispatch is down, and when dispatch comes up each task arrives exactly once.
//
// The binaries run on the real clock, so the time zone is chosen for the local time to be
// around noon: a check time of 00:00 has come, one of 23:59 has not. The registrations are
// moved 4 days back in survey's database (the passage of time).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/pii/pii.h"
#include "common/sql/database.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/suite.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/poll.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"
#include "lianfang/survey/v1/survey.grpc.pb.h"

namespace lianfang::survey {
namespace {

using ::lianfang::testing::NewClientContext;
using ::lianfang::testing::PollUntil;
using ::lianfang::testing::Suite;

constexpr char kSites[] = R"pb(
  sites {
    id: "estate"
    name: "早查小区"
    kind: SITE_KIND_COMMUNITY
    gates { id: "main" name: "正门" }
    policy { missing_reports_check_time: "00:00" tenant_verification_days: 3 }
  }
  sites {
    id: "late"
    name: "晚查小区"
    kind: SITE_KIND_COMMUNITY
    gates { id: "main" name: "正门" }
    policy { missing_reports_check_time: "23:59" }
  }
)pb";

std::string IdNumber(int n) {
  const std::string first17 = absl::StrFormat("11010519850101%03d", n);
  return absl::StrCat(first17, std::string(1, pii::IdNumberCheckDigit(first17)));
}

// A fixed-offset zone whose local time now is between 12:00 and 13:00 (Etc/GMT-N is UTC+N).
std::string NoonZone() {
  const int utc_hour = absl::ToCivilHour(absl::Now(), absl::UTCTimeZone()).hour();
  const int offset = 12 - utc_hour;  // -11..12
  if (offset == 0) return "Etc/GMT";
  return offset > 0 ? absl::StrCat("Etc/GMT-", offset) : absl::StrCat("Etc/GMT+", -offset);
}

class GapRulesSuiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    zone_ = NoonZone();
    ASSERT_OK(
        suite_.Start({.services = {"survey"}, .sites_textproto = kSites, .time_zone = zone_}));
    survey_ = v1::SurveyService::NewStub(suite_.Channel("survey"));
  }

  std::unique_ptr<grpc::ClientContext> Admin() const {
    return NewClientContext(suite_.tokens().For(auth::Role::kAdmin, "admin-1"), absl::Seconds(20));
  }

  v1::Household AddHousehold(const std::string& site, const std::string& room) {
    v1::UpsertHouseholdRequest req;
    req.set_request_id(absl::StrCat("hh-", site, "-", room));
    req.mutable_household()->set_site_id(site);
    req.mutable_household()->set_building("1栋");
    req.mutable_household()->set_room(room);
    req.mutable_household()->set_kind(v1::HOUSEHOLD_KIND_OWNER_OCCUPIED);
    v1::Household h;
    grpc::Status status = survey_->UpsertHousehold(Admin().get(), req, &h);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return h;
  }

  v1::Resident AddResident(const std::string& household_id, int n, bool tenant = false) {
    v1::RegisterResidentRequest req;
    req.set_request_id(absl::StrCat("res-", n));
    req.set_household_id(household_id);
    req.mutable_person()->set_id_number(IdNumber(n));
    req.mutable_person()->set_name(absl::StrCat("居民", n));
    req.set_is_tenant(tenant);
    v1::Resident r;
    grpc::Status status = survey_->RegisterResident(Admin().get(), req, &r);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return r;
  }

  // Opens survey's database (as the binary does) for a look or a change.
  std::unique_ptr<sql::Database> SurveyDb() {
    absl::StatusOr<std::unique_ptr<sql::Database>> db =
        sql::Database::Open(suite_.database_url("survey"));
    EXPECT_OK(db.status());
    return db.ok() ? *std::move(db) : nullptr;
  }

  // Messages for dispatch still waiting in survey's outbox (gate does not run here: its passes
  // wait for good).
  int64_t DispatchPending() {
    std::unique_ptr<sql::Database> db = SurveyDb();
    if (db == nullptr) return -1;
    int64_t pending = -1;
    if (!db->Read([&](sql::Session& s) -> absl::Status {
             ASSIGN_OR_RETURN(std::optional<sql::Row> row,
                              s.QueryRow("SELECT COUNT(*) FROM lf_outbox"
                                         " WHERE destination = 'dispatch' AND state = 'pending'"));
             pending = row.has_value() ? row->Int(0) : 0;
             return absl::OkStatus();
           }).ok()) {
      return -1;
    }
    return pending;
  }

  // Dispatch's tasks whose source_ref starts with `prefix`.
  std::vector<dispatch::v1::Task> Tasks(const std::string& prefix) {
    auto stub = dispatch::v1::DispatchService::NewStub(suite_.Channel("dispatch"));
    dispatch::v1::ListTasksRequest req;
    req.set_page_size(500);
    dispatch::v1::ListTasksResponse resp;
    std::vector<dispatch::v1::Task> out;
    if (!stub->ListTasks(Admin().get(), req, &resp).ok()) return out;
    for (const dispatch::v1::Task& t : resp.tasks()) {
      if (absl::StartsWith(t.source_ref(), prefix)) out.push_back(t);
    }
    return out;
  }

  // Today in the suite's time zone, "YYYY-MM-DD".
  std::string Today() const {
    absl::TimeZone tz;
    EXPECT_TRUE(absl::LoadTimeZone(zone_, &tz)) << zone_;
    return absl::FormatTime("%Y-%m-%d", absl::Now(), tz);
  }

  std::string zone_;
  Suite suite_;
  std::unique_ptr<v1::SurveyService::Stub> survey_;
};

TEST_F(GapRulesSuiteTest, TasksArriveExactlyOnceAfterSurveyRestartsWhileDispatchIsDown) {
  const v1::Household missing = AddHousehold("estate", "101");
  const v1::Household reported = AddHousehold("estate", "102");
  const v1::Household not_yet = AddHousehold("late", "201");
  AddResident(missing.household_id(), 1);
  AddResident(reported.household_id(), 2);
  AddResident(not_yet.household_id(), 3);
  const v1::Resident tenant = AddResident(missing.household_id(), 4, /*tenant=*/true);
  v1::SubmitHealthReportRequest report;
  report.set_request_id("report-2");
  report.mutable_person()->set_id_number(IdNumber(2));
  report.set_date(Today());
  report.set_temperature_c(36.5);
  v1::HealthReport filed;
  const grpc::Status submitted = survey_->SubmitHealthReport(Admin().get(), report, &filed);
  ASSERT_TRUE(submitted.ok()) << submitted.error_message();

  // Everyone registered 4 days ago: before today's check time, and the tenant pending more
  // than the site's 3 days.
  {
    std::unique_ptr<sql::Database> db = SurveyDb();
    ASSERT_NE(db, nullptr);
    ASSERT_OK(db->Write([&](sql::Session& s) -> absl::Status {
      return s
          .Execute("UPDATE survey_residents SET registered_at = registered_at - $1",
                   {absl::ToInt64Microseconds(absl::Hours(96))})
          .status();
    }));
  }

  // The rules run at start: a restart, then a kill in the middle of whatever it does and a
  // start again, all while dispatch is down.
  ASSERT_OK(suite_.Restart("survey"));
  ASSERT_TRUE(PollUntil([&] { return DispatchPending() == 2; }, absl::Seconds(30)))
      << suite_.Stderr("survey");
  ASSERT_OK(suite_.Kill("survey"));
  ASSERT_OK(suite_.StartService("survey"));

  ASSERT_OK(suite_.StartService("dispatch"));
  ASSERT_TRUE(PollUntil([&] { return DispatchPending() == 0; }, absl::Seconds(120)))
      << suite_.Stderr("survey");

  const std::vector<dispatch::v1::Task> door =
      Tasks(absl::StrCat("survey.missing_reports/", missing.household_id(), "/"));
  ASSERT_EQ(door.size(), 1u);
  EXPECT_EQ(door[0].kind(), dispatch::v1::TASK_KIND_DOOR_TO_DOOR_SURVEY);
  EXPECT_EQ(door[0].site_id(), "estate");
  EXPECT_THAT(door[0].details(), ::testing::HasSubstr("居*1"));
  EXPECT_THAT(Tasks(absl::StrCat("survey.missing_reports/", reported.household_id())),
              ::testing::IsEmpty())
      << "everyone of that household reported";
  EXPECT_THAT(Tasks(absl::StrCat("survey.missing_reports/", not_yet.household_id())),
              ::testing::IsEmpty())
      << "the late site's check time has not come";
  const std::vector<dispatch::v1::Task> verify =
      Tasks(absl::StrCat("survey.tenant_verification/", tenant.resident_id()));
  ASSERT_EQ(verify.size(), 1u);
  EXPECT_EQ(verify[0].kind(), dispatch::v1::TASK_KIND_TENANT_VERIFICATION);

  // What survey recorded as raised: that household today, that tenant; nothing else.
  std::unique_ptr<sql::Database> db = SurveyDb();
  ASSERT_NE(db, nullptr);
  ASSERT_OK(db->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(sql::Result rows,
                     s.Execute("SELECT rule, subject_id FROM survey_gap_tasks ORDER BY rule"));
    EXPECT_EQ(rows.rows.size(), 2u);
    if (rows.rows.size() == 2) {
      EXPECT_EQ(rows.rows[0].Text(1), missing.household_id());
      EXPECT_EQ(rows.rows[1].Text(1), tenant.resident_id());
    }
    return absl::OkStatus();
  }));
}

}  // namespace
}  // namespace lianfang::survey
