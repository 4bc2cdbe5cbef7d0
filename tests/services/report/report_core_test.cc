// The report core over a real SQLite file: generating versions (with fake sources), the
// store's history and pages, and the automatic draft driven by a FakeClock.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/audit/audit.h"
#include "common/idempotency/idempotency.h"
#include "common/server/errors.h"
#include "common/sql/database.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/testing/poll.h"
#include "common/testing/temp_dir.h"
#include "common/testing/test_database.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/report/auto_draft.h"
#include "services/report/report_generator.h"
#include "services/report/report_store.h"
#include "tests/services/report/report_fixtures.h"

namespace lianfang::report {
namespace {

using ::lianfang::report::testing::BusyDay;
using ::lianfang::report::testing::FakeSources;
using ::lianfang::report::testing::QuietDay;
using ::lianfang::report::testing::TestSites;
using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

absl::TimeZone Shanghai() {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &tz));
  return tz;
}

// 2022-04-02 15:00 in Shanghai.
absl::Time Afternoon() {
  return absl::FromCivil(absl::CivilSecond(2022, 4, 2, 15, 0, 0), Shanghai());
}

auth::Principal Leader() {
  auth::Principal who;
  who.subject = "leader-li";
  who.name = "李组长";
  who.role = auth::Role::kLeader;
  return who;
}

class ReportCoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(db_, sql::Database::Open(::lianfang::testing::TestDatabaseUrl(dir_, "report.db")));
    ASSERT_OK(db_->Migrate(idempotency::kComponent, idempotency::Migrations()));
    ASSERT_OK(db_->Migrate(audit::kComponent, audit::Migrations()));
    ASSERT_OK(db_->Migrate("report", ReportMigrations()));
    generator_ = std::make_unique<ReportGenerator>(db_.get(), &sources_, &sites_, &clock_, tz_);
    sources_.Set(BusyDay("2022-04-01"));
  }

  absl::StatusOr<Generated> Generate(const std::string& request_id, const std::string& date,
                                     std::vector<std::string> site_ids = {}) {
    v1::GenerateDailyReportRequest request;
    request.set_request_id(request_id);
    request.set_date(date);
    for (auto& id : site_ids) request.add_site_ids(id);
    return generator_->GenerateAndWait(request, leader_, {});
  }

  absl::StatusOr<ReportPage> List(ListQuery query) {
    ReportPage page;
    RETURN_IF_ERROR(db_->Read([&](sql::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(page, ListReports(s, query));
      return absl::OkStatus();
    }));
    return page;
  }

  int CountRows() {
    int count = 0;
    EXPECT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(auto row, s.QueryRow("SELECT COUNT(*) FROM report_daily_reports"));
      count = static_cast<int>(row->Int(0));
      return absl::OkStatus();
    }));
    return count;
  }

  lianfang::testing::TempDir dir_;
  std::unique_ptr<sql::Database> db_;
  absl::TimeZone tz_ = Shanghai();
  time::FakeClock clock_{Afternoon()};
  sites::SiteDirectory sites_ = TestSites();
  FakeSources sources_;
  std::unique_ptr<ReportGenerator> generator_;
  auth::Principal leader_ = Leader();
};

TEST_F(ReportCoreTest, GeneratingStoresADraftVersionOneWithTheMergedFigures) {
  ASSERT_OK_AND_ASSIGN(Generated g, Generate("r1", "2022-04-01"));
  EXPECT_FALSE(g.replayed);
  const DailyReport& report = g.report;
  EXPECT_EQ(report.report_id(), "20220401-v1");
  EXPECT_EQ(report.date(), "2022-04-01");
  EXPECT_EQ(report.version(), 1);
  EXPECT_EQ(report.status(), v1::REPORT_STATUS_DRAFT);
  EXPECT_EQ(report.generated_by(), "leader-li");
  EXPECT_EQ(time::FromTimestamp(report.generated_at()), Afternoon());
  EXPECT_THAT(report.sites(), SizeIs(3));
  EXPECT_EQ(report.totals().gate().entries(), 7);
  EXPECT_EQ(sources_.last_date(), "2022-04-01");

  std::optional<DailyReport> stored;
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(stored, LoadReport(s, "20220401-v1"));
    return absl::OkStatus();
  }));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->SerializeAsString(), report.SerializeAsString());
}

TEST_F(ReportCoreTest, EachGenerationIsANewVersionOfTheDay) {
  ASSERT_OK_AND_ASSIGN(Generated v1, Generate("r1", "2022-04-01"));
  sources_.Set(QuietDay("2022-04-01"));
  ASSERT_OK_AND_ASSIGN(Generated v2, Generate("r2", "2022-04-01"));
  EXPECT_EQ(v2.report.version(), 2);
  EXPECT_EQ(v2.report.report_id(), "20220401-v2");
  ASSERT_OK_AND_ASSIGN(Generated other_day, Generate("r3", "2022-03-31"));
  EXPECT_EQ(other_day.report.version(), 1);
  ASSERT_OK_AND_ASSIGN(Generated subset, Generate("r4", "2022-04-01", {"campus"}));
  EXPECT_EQ(subset.report.version(), 1);  // versions count per day and set of sites
  EXPECT_THAT(subset.report.site_ids(), ElementsAre("campus"));
  EXPECT_EQ(CountRows(), 4);
}

TEST_F(ReportCoreTest, ARetryReturnsTheFirstAnswerWithoutAskingTheSourcesAgain) {
  ASSERT_OK_AND_ASSIGN(Generated first, Generate("r1", "2022-04-01"));
  ASSERT_EQ(sources_.fetches(), 1);
  ASSERT_OK_AND_ASSIGN(Generated again, Generate("r1", "2022-04-01"));
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.report.report_id(), first.report.report_id());
  EXPECT_EQ(sources_.fetches(), 1);
  EXPECT_EQ(CountRows(), 1);
}

TEST_F(ReportCoreTest, ARequestIdReusedForAnotherRequestIsAlreadyExists) {
  ASSERT_OK(Generate("r1", "2022-04-01"));
  EXPECT_THAT(Generate("r1", "2022-03-31"), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(CountRows(), 1);
}

TEST_F(ReportCoreTest, BadRequestsStoreNothingAndAskNoSource) {
  EXPECT_THAT(Generate("r1", "2022-04-03"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("future")));
  EXPECT_THAT(Generate("r2", "April 1st"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Generate("r3", "2022-04-01", {"nowhere"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Generate("", "2022-04-01"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(sources_.fetches(), 0);
  EXPECT_EQ(CountRows(), 0);
}

TEST_F(ReportCoreTest, TodayMayBeReportedAsADraftSoFar) {
  ASSERT_OK_AND_ASSIGN(Generated g, Generate("r1", "2022-04-02"));
  EXPECT_EQ(g.report.date(), "2022-04-02");
}

TEST_F(ReportCoreTest, AnUnansweredSourceIsStoredAsIncomplete) {
  FetchedStats fetched = BusyDay("2022-04-01");
  fetched.gate.reset();
  sources_.Set(fetched);
  ASSERT_OK_AND_ASSIGN(Generated g, Generate("r1", "2022-04-01"));
  EXPECT_THAT(g.report.incomplete_sources(), ElementsAre("gate"));
  EXPECT_EQ(g.report.status(), v1::REPORT_STATUS_DRAFT);
}

TEST_F(ReportCoreTest, GenerationIsAudited) {
  ASSERT_OK(Generate("r1", "2022-04-01"));
  audit::Page page;
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(page, audit::List(s, std::nullopt, std::nullopt, 10, ""));
    return absl::OkStatus();
  }));
  ASSERT_THAT(page.events, SizeIs(1));
  EXPECT_EQ(page.events[0].subject, "leader-li");
  EXPECT_EQ(page.events[0].role, "leader");
  EXPECT_EQ(page.events[0].method, kGenerateMethod);
  EXPECT_EQ(page.events[0].object, "20220401-v1");
  EXPECT_EQ(page.events[0].request_id, "r1");
}

TEST_F(ReportCoreTest, ListingGoesNewestDayAndVersionFirstInPages) {
  ASSERT_OK(Generate("a", "2022-03-30"));
  ASSERT_OK(Generate("b", "2022-03-31"));
  ASSERT_OK(Generate("c", "2022-04-01"));
  ASSERT_OK(Generate("d", "2022-04-01"));
  ASSERT_OK(Generate("e", "2022-03-31"));
  std::vector<std::string> ids;
  ListQuery query{.page_size = 2};
  for (int pages = 0; pages < 10; ++pages) {
    ASSERT_OK_AND_ASSIGN(ReportPage page, List(query));
    EXPECT_LE(page.reports.size(), 2u);
    for (const auto& r : page.reports) ids.push_back(r.report_id());
    if (page.next_page_token.empty()) break;
    query.page_token = page.next_page_token;
  }
  EXPECT_THAT(ids, ElementsAre("20220401-v2", "20220401-v1", "20220331-v2", "20220331-v1",
                               "20220330-v1"));

  ASSERT_OK_AND_ASSIGN(ReportPage range,
                       List({.start_date = "2022-03-31", .end_date = "2022-03-31", .page_size = 50}));
  ASSERT_THAT(range.reports, SizeIs(2));
  EXPECT_EQ(range.reports[0].report_id(), "20220331-v2");
  EXPECT_TRUE(range.next_page_token.empty());

  ASSERT_OK_AND_ASSIGN(ReportPage submitted,
                       List({.status = v1::REPORT_STATUS_SUBMITTED, .page_size = 50}));
  EXPECT_THAT(submitted.reports, IsEmpty());

  EXPECT_THAT(List({.page_size = 2, .page_token = "garbage"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

class AutoDraftTest : public ReportCoreTest {
 protected:
  absl::Time At(int day, int hour, int minute) {
    return absl::FromCivil(absl::CivilSecond(2022, 4, day, hour, minute, 0), tz_);
  }
  std::unique_ptr<AutoDrafter> Drafter(std::optional<TimeOfDay> at = TimeOfDay{8, 0}) {
    return std::make_unique<AutoDrafter>(generator_.get(), db_.get(), &clock_, tz_, at);
  }
};

TEST_F(AutoDraftTest, NothingHappensBeforeTheConfiguredTime) {
  auto drafter = Drafter();
  ASSERT_OK_AND_ASSIGN(auto drafted, drafter->Tick(At(2, 7, 59)));
  EXPECT_FALSE(drafted.has_value());
  EXPECT_EQ(sources_.fetches(), 0);
}

TEST_F(AutoDraftTest, AtTheConfiguredTimeThePreviousDayIsDraftedOnce) {
  auto drafter = Drafter();
  clock_.Set(At(2, 8, 0));
  ASSERT_OK_AND_ASSIGN(auto drafted, drafter->Tick(At(2, 8, 0)));
  ASSERT_TRUE(drafted.has_value());
  EXPECT_EQ(drafted->date(), "2022-04-01");
  EXPECT_EQ(drafted->status(), v1::REPORT_STATUS_DRAFT);
  EXPECT_EQ(drafted->generated_by(), "report");
  EXPECT_THAT(drafted->site_ids(), IsEmpty());

  ASSERT_OK_AND_ASSIGN(drafted, drafter->Tick(At(2, 9, 0)));
  EXPECT_FALSE(drafted.has_value());
  // A restarted process (a new drafter on the same database) does not draft the day again.
  auto restarted = Drafter();
  ASSERT_OK_AND_ASSIGN(drafted, restarted->Tick(At(2, 23, 0)));
  EXPECT_FALSE(drafted.has_value());
  EXPECT_EQ(CountRows(), 1);
  EXPECT_EQ(sources_.fetches(), 1);

  // The next day drafts its own previous day.
  clock_.Set(At(3, 8, 1));
  ASSERT_OK_AND_ASSIGN(drafted, drafter->Tick(At(3, 8, 1)));
  ASSERT_TRUE(drafted.has_value());
  EXPECT_EQ(drafted->date(), "2022-04-02");
  EXPECT_EQ(CountRows(), 2);
}

TEST_F(AutoDraftTest, ADayAlreadyReportedByHandIsNotDraftedAgain) {
  clock_.Set(At(2, 7, 0));
  ASSERT_OK(Generate("by-hand", "2022-04-01"));
  auto drafter = Drafter();
  clock_.Set(At(2, 8, 30));
  ASSERT_OK_AND_ASSIGN(auto drafted, drafter->Tick(At(2, 8, 30)));
  EXPECT_FALSE(drafted.has_value());
  EXPECT_EQ(CountRows(), 1);
}

TEST_F(AutoDraftTest, OffMeansNoDraftAndNoThread) {
  auto drafter = Drafter(std::nullopt);
  ASSERT_OK_AND_ASSIGN(auto drafted, drafter->Tick(At(2, 12, 0)));
  EXPECT_FALSE(drafted.has_value());
  drafter->Start();
  drafter->Stop();
  EXPECT_EQ(CountRows(), 0);
}

TEST_F(AutoDraftTest, TheSchedulerThreadDraftsWithTheInjectedClock) {
  clock_.Set(At(2, 9, 0));
  auto drafter = std::make_unique<AutoDrafter>(generator_.get(), db_.get(), &clock_, tz_,
                                               TimeOfDay{8, 0}, absl::Milliseconds(10));
  drafter->Start();
  EXPECT_TRUE(lianfang::testing::PollUntil([&] { return CountRows() == 1; }, absl::Seconds(20)));
  drafter->Stop();
  EXPECT_EQ(CountRows(), 1);
}

}  // namespace
}  // namespace lianfang::report
