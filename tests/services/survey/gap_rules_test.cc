// Unit tests of the follow-up rules and the rote-report flags (services/survey/gap_rules.h):
// pure functions, driven by a FakeClock.
#include "services/survey/gap_rules.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/pii/pii.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::survey {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

absl::TimeZone Shanghai() { return *time::LoadTimeZone("Asia/Shanghai"); }

absl::Time At(int day, int hour, int minute, int second = 0) {
  return absl::FromCivil(absl::CivilSecond(2026, 3, day, hour, minute, second), Shanghai());
}

TEST(GapRulesTest, CheckTimeIsTheSitePolicysLocalTimeDefaultTen) {
  sites::SitePolicy policy;
  const absl::CivilDay day(2026, 3, 10);
  EXPECT_EQ(MissingReportsCheckTime(policy, day, Shanghai()), At(10, 10, 0));
  policy.set_missing_reports_check_time("16:45");
  EXPECT_EQ(MissingReportsCheckTime(policy, day, Shanghai()), At(10, 16, 45));
}

TEST(GapRulesTest, OneTaskPerHouseholdListingWhoByMaskedName) {
  time::FakeClock clock(At(10, 10, 0, 30));
  MissingReportsCheck check{
      .site_id = "family-area",
      .day = absl::CivilDay(2026, 3, 10),
      .check_time = At(10, 10, 0),
      .now = clock.Now(),
      .tz = Shanghai(),
      .missing = {{"hh-b", "res-3", "赵*勇"}, {"hh-a", "res-1", "王*明"}, {"hh-a", "res-2", "李*"}},
      .addresses = {{"hh-a", "3栋 2单元 502"}, {"hh-b", "1栋 101"}}};
  const std::vector<GapTask> tasks = MissingReportTasks(check);
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].subject_id, "hh-a");
  const dispatch::v1::CreateTaskRequest& a = tasks[0].request;
  EXPECT_EQ(a.request_id(), "survey-missing-reports-hh-a-20260310");
  EXPECT_TRUE(a.auto_assign());
  EXPECT_EQ(a.task().kind(), dispatch::v1::TASK_KIND_DOOR_TO_DOOR_SURVEY);
  EXPECT_EQ(a.task().site_id(), "family-area");
  EXPECT_EQ(a.task().location(), "3栋 2单元 502");
  EXPECT_EQ(a.task().source_ref(), "survey.missing_reports/hh-a/2026-03-10");
  EXPECT_EQ(
      a.task().details(),
      "截至10:00仍有2人未报2026-03-10健康报告：王*明、李*。请上门或电话提醒补报，了解健康状况。");
  EXPECT_THAT(a.task().title(), HasSubstr("3栋 2单元 502"));
  EXPECT_EQ(time::FromTimestamp(a.task().due_at()), clock.Now() + kMissingReportsDue);
  EXPECT_EQ(tasks[1].request.request_id(), "survey-missing-reports-hh-b-20260310");
  EXPECT_THAT(tasks[1].request.task().details(), HasSubstr("1人未报"));
  EXPECT_THAT(tasks[1].request.task().details(), HasSubstr("赵*勇"));
}

TEST(GapRulesTest, ManyMissingResidentsFitDispatchsLimitWithACount) {
  MissingReportsCheck check{.site_id = "family-area",
                            .day = absl::CivilDay(2026, 3, 10),
                            .check_time = At(10, 10, 0),
                            .now = At(10, 10, 0),
                            .tz = Shanghai()};
  for (int i = 0; i < 40; ++i) check.missing.push_back({"hh-a", absl::StrCat("res-", i), "欧*阳"});
  check.addresses["hh-a"] = std::string(300, 'x');
  const std::vector<GapTask> tasks = MissingReportTasks(check);
  ASSERT_EQ(tasks.size(), 1u);
  const dispatch::v1::Task& t = tasks[0].request.task();
  EXPECT_LE(t.details().size(), 256u);
  EXPECT_LE(t.title().size(), 256u);
  EXPECT_LE(t.location().size(), 256u);
  EXPECT_THAT(t.details(), HasSubstr("等40人"));
  EXPECT_THAT(t.details(), HasSubstr("40人未报"));
}

TEST(GapRulesTest, TenantIsOverdueOnlyAfterMoreThanItsDays) {
  const absl::Time registered = At(10, 9, 0);
  time::FakeClock clock(registered);
  clock.Advance(absl::Hours(72));
  EXPECT_FALSE(TenantOverdue(registered, 3, clock.Now())) << "exactly 3 days is not more";
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(TenantOverdue(registered, 3, clock.Now()));
  EXPECT_FALSE(TenantOverdue(registered, 4, clock.Now()));
}

TEST(GapRulesTest, TenantTaskNamesTheTenantMaskedOnly) {
  PendingTenant tenant{.resident_id = "res-1",
                       .household_id = "hh-a",
                       .site_id = "family-area",
                       .person_key = "pk",
                       .name_masked = "王*明",
                       .address = "5栋 301",
                       .registered_at = At(5, 9, 0)};
  const dispatch::v1::CreateTaskRequest r =
      TenantVerificationTask(tenant, 3, At(10, 9, 0), Shanghai());
  EXPECT_EQ(r.request_id(), "survey-tenant-verification-res-1");
  EXPECT_EQ(r.task().kind(), dispatch::v1::TASK_KIND_TENANT_VERIFICATION);
  EXPECT_EQ(r.task().person_key(), "pk");
  EXPECT_EQ(r.task().source_ref(), "survey.tenant_verification/res-1");
  EXPECT_EQ(r.task().location(), "5栋 301");
  EXPECT_THAT(r.task().title(), HasSubstr("3天"));
  EXPECT_THAT(r.task().details(), HasSubstr("王*明于2026-03-05登记"));
  EXPECT_FALSE(pii::ContainsIdNumberOrPhone(r.task().details()));
}

// ---- Rote reports ---------------------------------------------------------------------------

ReportRow Row(const std::string& person, const std::string& household, int day, double t,
              absl::Time at, const std::string& by = "volunteer-1") {
  return {.person_key = person,
          .household_id = household,
          .name_masked = absl::StrCat(person, "*"),
          .date = absl::CivilDay(2026, 3, day),
          .temperature_c = t,
          .submitted_at = at,
          .submitted_by = by};
}

TEST(GapRulesTest, SameTemperatureSevenDaysRunningIsFlagged) {
  time::FakeClock clock(At(4, 8, 0));
  std::vector<ReportRow> rows;
  for (int day = 4; day <= 10; ++day) {
    // 36.50 and 36.54 are the same to the tenth; submitted by the person's own account.
    rows.push_back(Row("steady", "hh-a", day, day % 2 ? 36.5 : 36.54, clock.Now(), "steady"));
    rows.push_back(Row("varies", "hh-b", day, day == 7 ? 36.6 : 36.5, clock.Now(), "varies"));
    if (day > 4) rows.push_back(Row("sixdays", "hh-c", day, 36.5, clock.Now(), "sixdays"));
    clock.Advance(absl::Hours(24));
  }
  const std::vector<v1::ReportFlag> flags = RoteReportFlags(rows, absl::CivilDay(2026, 3, 10));
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_EQ(flags[0].kind(), v1::ReportFlag::KIND_SAME_TEMPERATURE);
  EXPECT_EQ(flags[0].person_key(), "steady");
  EXPECT_EQ(flags[0].name_masked(), "steady*");
  EXPECT_EQ(flags[0].detail(), "连续7天体温均为36.5℃");
  // The day before, only 6 days of the 7 were there.
  EXPECT_THAT(RoteReportFlags(rows, absl::CivilDay(2026, 3, 9)), IsEmpty());
}

TEST(GapRulesTest, HouseholdReportsWithinSixtySecondsAreFlagged) {
  time::FakeClock clock(At(10, 8, 0));
  std::vector<ReportRow> rows;
  const auto add = [&](const std::string& person, const std::string& household,
                       absl::Duration later, const std::string& by) {
    clock.Advance(later);
    rows.push_back(Row(person, household, 10, 36.4, clock.Now(), by));
  };
  add("a1", "hh-at-once", absl::ZeroDuration(), "a1");
  add("a2", "hh-at-once", absl::Seconds(30), "a2");
  add("a3", "hh-at-once", absl::Seconds(30), "a3");  // 60 s after the first: flagged
  add("b1", "hh-slow", absl::Minutes(5), "b1");
  add("b2", "hh-slow", absl::Seconds(30), "b2");
  add("b3", "hh-slow", absl::Seconds(31), "b3");  // 61 s: not flagged
  add("c1", "hh-two", absl::Minutes(5), "c1");
  add("c2", "hh-two", absl::Seconds(1), "c2");  // only two people: not flagged
  const std::vector<v1::ReportFlag> flags = RoteReportFlags(rows, absl::CivilDay(2026, 3, 10));
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_EQ(flags[0].kind(), v1::ReportFlag::KIND_HOUSEHOLD_AT_ONCE);
  EXPECT_EQ(flags[0].household_id(), "hh-at-once");
  EXPECT_EQ(flags[0].detail(), "全户3人的当日报告在60秒内提交");
}

TEST(GapRulesTest, OneAccountFilingForFiveHouseholdsIsFlagged) {
  time::FakeClock clock(At(10, 8, 0));
  std::vector<ReportRow> rows;
  for (int h = 0; h < 5; ++h) {
    clock.Advance(absl::Minutes(10));
    rows.push_back(
        Row(absl::StrCat("p", h), absl::StrCat("hh-", h), 10, 36.5, clock.Now(), "volunteer-busy"));
    if (h < 4) {
      rows.push_back(Row(absl::StrCat("q", h), absl::StrCat("hh-", h), 10, 36.5, clock.Now(),
                         "volunteer-four"));
    }
  }
  // Yesterday's reports of the same account do not count for today.
  rows.push_back(Row("y", "hh-y", 9, 36.5, clock.Now(), "volunteer-four"));
  const std::vector<v1::ReportFlag> flags = RoteReportFlags(rows, absl::CivilDay(2026, 3, 10));
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_EQ(flags[0].kind(), v1::ReportFlag::KIND_ONE_ACCOUNT_MANY_HOUSEHOLDS);
  EXPECT_EQ(flags[0].submitted_by(), "volunteer-busy");
  EXPECT_EQ(flags[0].detail(), "同一账号当日为5户提交健康报告");
  EXPECT_THAT(flags, Not(IsEmpty()));
}

TEST(GapRulesTest, FlagsAreCappedAtTheLimit) {
  std::vector<ReportRow> rows;
  for (int p = 0; p < 5; ++p) {
    for (int day = 4; day <= 10; ++day) {
      rows.push_back(Row(absl::StrCat("p", p), absl::StrCat("hh-", p), day, 36.5, At(day, 8, p),
                         absl::StrCat("p", p)));
    }
  }
  EXPECT_EQ(RoteReportFlags(rows, absl::CivilDay(2026, 3, 10)).size(), 5u);
  EXPECT_EQ(RoteReportFlags(rows, absl::CivilDay(2026, 3, 10), 3).size(), 3u);
}

}  // namespace
}  // namespace lianfang::survey
