#include "services/report/daily_report.h"

#include <string>
#include <vector>

#include "common/server/errors.h"
#include "common/status/status_matchers.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/report/report_fixtures.h"

namespace lianfang::report {
namespace {

using ::lianfang::report::testing::BusyDay;
using ::lianfang::report::testing::QuietDay;
using ::lianfang::report::testing::TestSites;
using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

constexpr char kDate[] = "2022-04-01";

Coverage AllSites(const sites::SiteDirectory& directory) {
  absl::StatusOr<Coverage> coverage = ResolveCoverage(directory, {});
  EXPECT_OK(coverage);
  return *coverage;
}

int ReasonCount(const gate::v1::DailyStats& stats, gate::v1::DenyReason reason) {
  for (const auto& c : stats.denied_by_reason()) {
    if (c.reason() == reason) return c.count();
  }
  return -1;  // not listed
}

TEST(MergeDailyReportTest, EverySiteAppearsOrderedByIdWithItsNameAndKind) {
  sites::SiteDirectory directory = TestSites();
  DailyReport report = MergeDailyReport(kDate, AllSites(directory), BusyDay(kDate));
  EXPECT_EQ(report.date(), kDate);
  ASSERT_THAT(report.sites(), SizeIs(3));
  EXPECT_EQ(report.sites(0).site_id(), "campus");
  EXPECT_EQ(report.sites(0).site_name(), "党校校园");
  EXPECT_EQ(report.sites(0).site_kind(), common::v1::SITE_KIND_CAMPUS);
  EXPECT_EQ(report.sites(1).site_id(), "family-area");
  EXPECT_EQ(report.sites(2).site_id(), "village");
  EXPECT_THAT(report.incomplete_sources(), ::testing::IsEmpty());
}

TEST(MergeDailyReportTest, EachSiteCarriesItsOwnFiguresFromEverySource) {
  sites::SiteDirectory directory = TestSites();
  DailyReport report = MergeDailyReport(kDate, AllSites(directory), BusyDay(kDate));
  const SiteReport& campus = report.sites(0);
  EXPECT_EQ(campus.gate().site_id(), "campus");
  EXPECT_EQ(campus.gate().entries(), 5);
  EXPECT_EQ(campus.gate().exits(), 3);
  EXPECT_EQ(campus.gate().denied(), 2);
  EXPECT_EQ(campus.gate().fevers(), 1);
  EXPECT_EQ(campus.gate().peak_onsite(), 4);
  EXPECT_EQ(ReasonCount(campus.gate(), gate::v1::DENY_REASON_FEVER), 1);
  EXPECT_EQ(ReasonCount(campus.gate(), gate::v1::DENY_REASON_NO_VALID_PASS), 1);
  EXPECT_EQ(campus.survey().households_total(), 10);
  EXPECT_EQ(campus.survey().residents(), 30);
  EXPECT_EQ(campus.survey().health_reports_missing(), 5);
  EXPECT_EQ(campus.dispatch().tasks_created(), 3);
  EXPECT_EQ(campus.dispatch().volunteers_on_duty(), 4);
}

TEST(MergeDailyReportTest, AnIdleSiteHasEveryFigureWrittenOutAsZero) {
  sites::SiteDirectory directory = TestSites();
  DailyReport report = MergeDailyReport(kDate, AllSites(directory), BusyDay(kDate));
  const SiteReport& village = report.sites(2);
  ASSERT_TRUE(village.has_gate());
  ASSERT_TRUE(village.has_survey());
  ASSERT_TRUE(village.has_dispatch());
  EXPECT_EQ(village.gate().site_id(), "village");
  EXPECT_EQ(village.gate().entries(), 0);
  EXPECT_EQ(village.survey().site_id(), "village");
  EXPECT_EQ(village.dispatch().site_id(), "village");
  // Every deny reason is listed, zeros included.
  EXPECT_THAT(village.gate().denied_by_reason(), SizeIs(6));
  EXPECT_EQ(ReasonCount(village.gate(), gate::v1::DENY_REASON_SITE_FULL), 0);
  EXPECT_TRUE(IsZeroSite(village));
  EXPECT_FALSE(IsZeroSite(report.sites(0)));
}

TEST(MergeDailyReportTest, TotalsAreTheSumsOfTheSites) {
  sites::SiteDirectory directory = TestSites();
  DailyReport report = MergeDailyReport(kDate, AllSites(directory), BusyDay(kDate));
  const SiteReport& totals = report.totals();
  EXPECT_EQ(totals.site_id(), "");
  EXPECT_EQ(totals.site_name(), "合计");
  EXPECT_EQ(totals.gate().entries(), 7);
  EXPECT_EQ(totals.gate().exits(), 5);
  EXPECT_EQ(totals.gate().denied(), 2);
  EXPECT_EQ(totals.gate().fevers(), 1);
  EXPECT_EQ(totals.gate().peak_onsite(), 6);  // the sum of the sites' peaks
  EXPECT_EQ(ReasonCount(totals.gate(), gate::v1::DENY_REASON_NO_VALID_PASS), 1);
  EXPECT_THAT(totals.gate().denied_by_reason(), SizeIs(6));
  EXPECT_EQ(totals.survey().households_total(), 14);
  EXPECT_EQ(totals.survey().households_surveyed(), 12);
  EXPECT_EQ(totals.survey().residents(), 42);
  EXPECT_EQ(totals.survey().health_reports(), 37);
  EXPECT_EQ(totals.survey().health_reports_missing(), 5);
  EXPECT_EQ(totals.dispatch().tasks_created(), 3);
  EXPECT_EQ(totals.dispatch().tasks_done(), 2);
  EXPECT_EQ(totals.dispatch().tasks_overdue(), 1);
}

TEST(MergeDailyReportTest, ASourceThatDidNotAnswerIsNamedAndItsFiguresLeftUnset) {
  sites::SiteDirectory directory = TestSites();
  FetchedStats fetched = BusyDay(kDate);
  fetched.survey.reset();
  DailyReport report = MergeDailyReport(kDate, AllSites(directory), fetched);
  EXPECT_THAT(report.incomplete_sources(), ElementsAre("survey"));
  for (const SiteReport& site : report.sites()) {
    EXPECT_FALSE(site.has_survey()) << site.site_id();
    EXPECT_TRUE(site.has_gate()) << site.site_id();
    EXPECT_TRUE(site.has_dispatch()) << site.site_id();
  }
  EXPECT_FALSE(report.totals().has_survey());
  EXPECT_EQ(report.totals().gate().entries(), 7);
  EXPECT_FALSE(IsZeroSite(report.sites(2)));  // unknown is not zero
}

TEST(MergeDailyReportTest, EverySourceDownNamesAllFourInOrder) {
  sites::SiteDirectory directory = TestSites();
  DailyReport report = MergeDailyReport(kDate, AllSites(directory), FetchedStats{});
  EXPECT_THAT(report.incomplete_sources(), ElementsAre("gate", "survey", "dispatch", "supplies"));
  EXPECT_FALSE(report.has_donations());
  EXPECT_THAT(report.sites(), SizeIs(3));
  EXPECT_FALSE(IsZeroReport(report));
}

TEST(MergeDailyReportTest, EachSiteCarriesItsSuppliesAndTheTotalsSumThemPerItem) {
  sites::SiteDirectory directory = TestSites();
  DailyReport report = MergeDailyReport(kDate, AllSites(directory), BusyDay(kDate));
  const supplies::v1::DailyStats& campus = report.sites(0).supplies();
  EXPECT_EQ(campus.site_id(), "campus");
  EXPECT_EQ(campus.receipts(), 1);
  EXPECT_EQ(campus.issues(), 2);
  EXPECT_EQ(campus.canteen_purchases(), 3);
  EXPECT_EQ(campus.canteen_rejections(), 1);
  EXPECT_EQ(campus.low_stock_items(), 1);
  ASSERT_THAT(campus.key_balances(), SizeIs(2));
  EXPECT_EQ(campus.key_balances(0).item_code(), "disinfectant-84");
  EXPECT_EQ(campus.key_balances(0).quantity(), 800);
  EXPECT_TRUE(campus.key_balances(0).low());

  const supplies::v1::DailyStats& village = report.sites(2).supplies();
  ASSERT_TRUE(report.sites(2).has_supplies());
  EXPECT_EQ(village.site_id(), "village");
  EXPECT_EQ(village.receipts(), 0);
  EXPECT_TRUE(IsZeroSite(report.sites(2)));

  const supplies::v1::DailyStats& totals = report.totals().supplies();
  EXPECT_EQ(totals.receipts(), 1);
  EXPECT_EQ(totals.issues(), 3);
  EXPECT_EQ(totals.canteen_purchases(), 3);
  EXPECT_EQ(totals.canteen_rejections(), 1);
  EXPECT_EQ(totals.low_stock_items(), 2);
  ASSERT_THAT(totals.key_balances(), SizeIs(2));
  // 84消毒液: 800 + 2000 against 1000 + 1000, the earliest expiry of the two.
  EXPECT_EQ(totals.key_balances(0).item_code(), "disinfectant-84");
  EXPECT_EQ(totals.key_balances(0).item_name(), "84消毒液");
  EXPECT_EQ(totals.key_balances(0).quantity(), 2800);
  EXPECT_EQ(totals.key_balances(0).min_stock(), 2000);
  EXPECT_FALSE(totals.key_balances(0).low());
  EXPECT_EQ(totals.key_balances(0).nearest_expiry(), "2022-12-31");
  // N95口罩: 300 + 50 against 100 + 100.
  EXPECT_EQ(totals.key_balances(1).item_code(), "mask-n95");
  EXPECT_EQ(totals.key_balances(1).quantity(), 350);
  EXPECT_EQ(totals.key_balances(1).min_stock(), 200);

  EXPECT_EQ(report.donations().received_count(), 2);
  EXPECT_EQ(report.donations().received_money_fen(), 150000);
  EXPECT_EQ(report.donations().given_count(), 0);
}

TEST(MergeDailyReportTest, SuppliesDownLeavesItsFiguresUnsetAndTheRestWhole) {
  sites::SiteDirectory directory = TestSites();
  FetchedStats fetched = BusyDay(kDate);
  fetched.supplies.reset();
  DailyReport report = MergeDailyReport(kDate, AllSites(directory), fetched);
  EXPECT_THAT(report.incomplete_sources(), ElementsAre("supplies"));
  for (const SiteReport& site : report.sites()) EXPECT_FALSE(site.has_supplies());
  EXPECT_FALSE(report.totals().has_supplies());
  EXPECT_FALSE(report.has_donations());
  EXPECT_EQ(report.totals().gate().entries(), 7);
  EXPECT_FALSE(IsZeroSite(report.sites(2)));
}

TEST(MergeDailyReportTest, StockOnTheShelvesIsNoEventButADonationIs) {
  sites::SiteDirectory directory = TestSites();
  FetchedStats fetched = QuietDay(kDate);
  supplies::v1::DailyStats* village = fetched.supplies->add_stats();
  village->set_site_id("village");
  village->set_low_stock_items(1);
  *village->add_key_balances() = testing::Balance("village", "mask-n95", "N95口罩", "piece", 5, 100);
  DailyReport report = MergeDailyReport(kDate, AllSites(directory), fetched);
  EXPECT_TRUE(IsZeroSite(report.sites(2)));
  EXPECT_TRUE(IsZeroReport(report));

  fetched.supplies->mutable_donations()->set_given_count(1);
  report = MergeDailyReport(kDate, AllSites(directory), fetched);
  EXPECT_TRUE(IsZeroSite(report.sites(2)));
  EXPECT_FALSE(IsZeroReport(report)) << "a donation was recorded that day";

  fetched.supplies->clear_donations();
  village->set_issues(1);
  report = MergeDailyReport(kDate, AllSites(directory), fetched);
  EXPECT_FALSE(IsZeroSite(report.sites(2)));
}

TEST(MergeDailyReportTest, AQuietDayIsAZeroReport) {
  sites::SiteDirectory directory = TestSites();
  DailyReport report = MergeDailyReport(kDate, AllSites(directory), QuietDay(kDate));
  EXPECT_TRUE(IsZeroReport(report));
  EXPECT_FALSE(IsZeroReport(MergeDailyReport(kDate, AllSites(directory), BusyDay(kDate))));
}

TEST(MergeDailyReportTest, StandingFiguresDoNotMakeAnIdleSiteReportSomething) {
  sites::SiteDirectory directory = TestSites();
  FetchedStats fetched = QuietDay(kDate);
  gate::v1::DailyStats* gate = fetched.gate->add_stats();
  gate->set_site_id("village");
  gate->set_gates_without_guard_minutes(1440);
  gate->set_peak_onsite(12);
  survey::v1::DailyStats* survey = fetched.survey->add_stats();
  survey->set_site_id("village");
  survey->set_households_total(40);
  survey->set_residents(120);
  survey->set_under_observation(2);
  DailyReport report = MergeDailyReport(kDate, AllSites(directory), fetched);
  EXPECT_EQ(report.sites(2).gate().gates_without_guard_minutes(), 1440);
  EXPECT_TRUE(IsZeroSite(report.sites(2)));
  EXPECT_TRUE(IsZeroReport(report));

  fetched.survey->mutable_stats(0)->set_observations_opened(1);  // an event of the day
  report = MergeDailyReport(kDate, AllSites(directory), fetched);
  EXPECT_FALSE(IsZeroSite(report.sites(2)));
  EXPECT_FALSE(IsZeroReport(report));
}

TEST(MergeDailyReportTest, FiguresOfSitesOutsideTheCoverageAreIgnored) {
  sites::SiteDirectory directory = TestSites();
  std::vector<std::string> ids = {"village", "campus"};
  ASSERT_OK_AND_ASSIGN(Coverage coverage, ResolveCoverage(directory, ids));
  DailyReport report = MergeDailyReport(kDate, coverage, BusyDay(kDate));
  ASSERT_THAT(report.sites(), SizeIs(2));
  EXPECT_EQ(report.sites(0).site_id(), "campus");
  EXPECT_EQ(report.sites(1).site_id(), "village");
  EXPECT_EQ(report.totals().gate().entries(), 5);  // the family area's 2 are not counted
  EXPECT_THAT(report.site_ids(), ElementsAre("campus", "village"));
}

TEST(MergeDailyReportTest, SeveralEntriesForOneSiteAreAddedUp) {
  sites::SiteDirectory directory = TestSites();
  FetchedStats fetched = QuietDay(kDate);
  *fetched.gate->add_stats() = testing::GateStats("campus", 1, 0, 0, 0, 1);
  *fetched.gate->add_stats() = testing::GateStats("campus", 2, 1, 1, 1, 1);
  *fetched.gate->add_stats() = testing::GateStats("elsewhere", 9, 9, 9, 9, 9);
  DailyReport report = MergeDailyReport(kDate, AllSites(directory), fetched);
  EXPECT_EQ(report.sites(0).gate().entries(), 3);
  EXPECT_EQ(report.totals().gate().entries(), 3);
  EXPECT_EQ(report.totals().gate().fevers(), 1);
}

TEST(ResolveCoverageTest, NoSitesMeansEverySite) {
  sites::SiteDirectory directory = TestSites();
  ASSERT_OK_AND_ASSIGN(Coverage coverage, ResolveCoverage(directory, {}));
  EXPECT_THAT(coverage.sites, SizeIs(3));
  EXPECT_EQ(coverage.scope, "");
  EXPECT_THAT(coverage.site_ids, ::testing::IsEmpty());
}

TEST(ResolveCoverageTest, ListingEverySiteIsTheSameAsListingNone) {
  sites::SiteDirectory directory = TestSites();
  std::vector<std::string> ids = {"village", "campus", "family-area", "campus"};
  ASSERT_OK_AND_ASSIGN(Coverage coverage, ResolveCoverage(directory, ids));
  EXPECT_EQ(coverage.scope, "");
  EXPECT_THAT(coverage.site_ids, ::testing::IsEmpty());
}

TEST(ResolveCoverageTest, ASubsetIsSortedWithoutDuplicates) {
  sites::SiteDirectory directory = TestSites();
  std::vector<std::string> ids = {"village", "campus", "village"};
  ASSERT_OK_AND_ASSIGN(Coverage coverage, ResolveCoverage(directory, ids));
  EXPECT_THAT(coverage.site_ids, ElementsAre("campus", "village"));
  EXPECT_EQ(coverage.scope, "campus,village");
}

TEST(ResolveCoverageTest, UnknownSitesAreInvalidArgumentNamingEachOne) {
  sites::SiteDirectory directory = TestSites();
  std::vector<std::string> ids = {"campus", "mars", "", std::string(300, 'a')};
  absl::Status status = ResolveCoverage(directory, ids).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(server::FieldViolations(status),
              ElementsAre(Pair("site_ids[1]", "unknown site"), Pair("site_ids[2]", ::testing::_),
                          Pair("site_ids[3]", ::testing::_)));
}

TEST(ParseReportDateTest, TodayAndPastDaysAreAccepted) {
  const absl::CivilDay today(2022, 4, 2);
  ASSERT_OK_AND_ASSIGN(absl::CivilDay day, ParseReportDate("2022-04-02", today));
  EXPECT_EQ(day, today);
  ASSERT_OK_AND_ASSIGN(day, ParseReportDate("2021-12-31", today));
  EXPECT_EQ(day, absl::CivilDay(2021, 12, 31));
}

TEST(ParseReportDateTest, NotADateIsInvalidArgument) {
  const absl::CivilDay today(2022, 4, 2);
  for (const char* bad : {"", "yesterday", "2022-4-1", "2022-02-30", "2022-04-01T00:00"}) {
    absl::Status status = ParseReportDate(bad, today).status();
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    EXPECT_THAT(server::FieldViolations(status), ElementsAre(Pair("date", ::testing::_))) << bad;
  }
}

TEST(ParseReportDateTest, AFutureDateIsInvalidArgument) {
  absl::Status status = ParseReportDate("2022-04-03", absl::CivilDay(2022, 4, 2)).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("future")));
}

TEST(ValidateGenerateRequestTest, EveryBadFieldIsNamed) {
  sites::SiteDirectory directory = TestSites();
  v1::GenerateDailyReportRequest request;
  request.set_date("2022-13-01");
  request.add_site_ids("campus");
  request.add_site_ids("nowhere");
  absl::Status status =
      ValidateGenerateRequest(request, directory, absl::CivilDay(2022, 4, 2)).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  std::vector<std::string> fields;
  for (const auto& [field, description] : server::FieldViolations(status)) fields.push_back(field);
  EXPECT_THAT(fields, UnorderedElementsAre("request_id", "date", "site_ids[1]"));
}

TEST(ValidateGenerateRequestTest, AGoodRequestGivesTheDayAndCoverage) {
  sites::SiteDirectory directory = TestSites();
  v1::GenerateDailyReportRequest request;
  request.set_request_id("r1");
  request.set_date("2022-04-01");
  ASSERT_OK_AND_ASSIGN(GenerateInput input,
                       ValidateGenerateRequest(request, directory, absl::CivilDay(2022, 4, 2)));
  EXPECT_EQ(input.date, "2022-04-01");
  EXPECT_EQ(input.day, absl::CivilDay(2022, 4, 1));
  EXPECT_THAT(input.coverage.sites, SizeIs(3));
}

TEST(CheckSubmittableTest, ACompleteNewestDraftMayBeSubmitted) {
  DailyReport report;
  report.set_status(v1::REPORT_STATUS_DRAFT);
  report.set_version(2);
  EXPECT_OK(CheckSubmittable(report, 2));
}

TEST(CheckSubmittableTest, ASubmittedReportCannotBeSubmittedAgain) {
  DailyReport report;
  report.set_status(v1::REPORT_STATUS_SUBMITTED);
  report.set_version(1);
  EXPECT_THAT(CheckSubmittable(report, 1),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already submitted")));
}

TEST(CheckSubmittableTest, AnIncompleteReportCannotBeSubmittedAndTheMessageNamesTheSource) {
  DailyReport report;
  report.set_status(v1::REPORT_STATUS_DRAFT);
  report.set_version(1);
  report.add_incomplete_sources("dispatch");
  EXPECT_THAT(CheckSubmittable(report, 1),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("dispatch")));
}

TEST(CheckSubmittableTest, ASupersededDraftCannotBeSubmitted) {
  DailyReport report;
  report.set_status(v1::REPORT_STATUS_DRAFT);
  report.set_version(1);
  EXPECT_THAT(CheckSubmittable(report, 2),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("newer version")));
}

TEST(ReportIdForTest, IdsNameTheDayAndVersion) {
  EXPECT_EQ(ReportIdFor("2022-04-01", "", 1), "20220401-v1");
  EXPECT_EQ(ReportIdFor("2022-04-01", "", 12), "20220401-v12");
  const std::string subset = ReportIdFor("2022-04-01", "campus,village", 1);
  EXPECT_THAT(subset, ::testing::MatchesRegex("20220401-v1-[0-9a-f]{8}"));
  EXPECT_EQ(subset, ReportIdFor("2022-04-01", "campus,village", 1));
  EXPECT_NE(subset, ReportIdFor("2022-04-01", "campus", 1));
}

TEST(DeadlineTest, TheDeadlineIsTheConfiguredLocalTimeOnTheNextDay) {
  absl::TimeZone shanghai;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
  // 10:00 in Shanghai (UTC+8) on April 2nd is 02:00 UTC.
  EXPECT_EQ(DeadlineOf(absl::CivilDay(2022, 4, 1), {10, 0}, shanghai),
            absl::FromCivil(absl::CivilSecond(2022, 4, 2, 2, 0, 0), absl::UTCTimeZone()));
  EXPECT_EQ(DeadlineOf(absl::CivilDay(2022, 12, 31), {8, 30}, absl::UTCTimeZone()),
            absl::FromCivil(absl::CivilSecond(2023, 1, 1, 8, 30, 0), absl::UTCTimeZone()));
}

TEST(DeadlineTest, TheLastDueDayIsYesterdayOnceTodaysDeadlineTimeHasPassed) {
  absl::TimeZone shanghai;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
  auto at = [&](int day, int hour, int minute) {
    return absl::FromCivil(absl::CivilSecond(2022, 4, day, hour, minute, 0), shanghai);
  };
  EXPECT_EQ(LastDueDay(at(2, 9, 59), {10, 0}, shanghai), absl::CivilDay(2022, 3, 31));
  EXPECT_EQ(LastDueDay(at(2, 10, 0), {10, 0}, shanghai), absl::CivilDay(2022, 3, 31));
  EXPECT_EQ(LastDueDay(at(2, 10, 1), {10, 0}, shanghai), absl::CivilDay(2022, 4, 1));
  EXPECT_EQ(LastDueDay(at(2, 23, 59), {10, 0}, shanghai), absl::CivilDay(2022, 4, 1));
  // A deadline at midnight: always yesterday.
  EXPECT_EQ(LastDueDay(at(2, 0, 1), {0, 0}, shanghai), absl::CivilDay(2022, 4, 1));
}

class ReportingStatusTest : public ::testing::Test {
 protected:
  const absl::Time deadline_ =
      absl::FromCivil(absl::CivilSecond(2022, 4, 2, 10, 0, 0), absl::UTCTimeZone());
  sites::SiteDirectory directory_ = TestSites();
};

TEST_F(ReportingStatusTest, BeforeTheDeadlineEverySiteWithoutASubmissionIsPending) {
  v1::GetReportingStatusResponse status = BuildReportingStatus(
      "2022-04-01", directory_, {}, deadline_, deadline_ - absl::Hours(1));
  EXPECT_EQ(status.date(), "2022-04-01");
  EXPECT_EQ(time::FromTimestamp(status.deadline()), deadline_);
  ASSERT_THAT(status.sites(), SizeIs(3));
  EXPECT_EQ(status.sites(0).site_id(), "campus");
  EXPECT_EQ(status.sites(0).site_name(), "党校校园");
  for (const auto& site : status.sites()) {
    EXPECT_FALSE(site.submitted());
    EXPECT_EQ(site.state(), v1::REPORTING_STATE_PENDING);
  }
}

TEST_F(ReportingStatusTest, AfterTheDeadlineASiteWithoutASubmissionIsMissing) {
  v1::GetReportingStatusResponse status = BuildReportingStatus(
      "2022-04-01", directory_, {}, deadline_, deadline_ + absl::Minutes(1));
  for (const auto& site : status.sites()) EXPECT_EQ(site.state(), v1::REPORTING_STATE_MISSING);
}

TEST_F(ReportingStatusTest, SubmissionsMarkTheSitesTheyCoverOnTimeOrLate) {
  std::vector<Submission> submissions = {
      {"20220401-v1-aaaa", {"campus"}, deadline_ - absl::Hours(2)},
      {"20220401-v1-bbbb", {"village"}, deadline_ + absl::Hours(1)},
      {"20220401-v2-aaaa", {"campus"}, deadline_ + absl::Hours(3)},
  };
  v1::GetReportingStatusResponse status = BuildReportingStatus(
      "2022-04-01", directory_, submissions, deadline_, deadline_ + absl::Hours(4));
  const auto& campus = status.sites(0);
  EXPECT_TRUE(campus.submitted());
  EXPECT_EQ(campus.report_id(), "20220401-v2-aaaa");  // the latest
  EXPECT_EQ(time::FromTimestamp(campus.submitted_at()), deadline_ + absl::Hours(3));
  EXPECT_EQ(campus.state(), v1::REPORTING_STATE_ON_TIME);  // the first was on time
  const auto& family = status.sites(1);
  EXPECT_FALSE(family.submitted());
  EXPECT_EQ(family.report_id(), "");
  EXPECT_EQ(family.state(), v1::REPORTING_STATE_MISSING);
  const auto& village = status.sites(2);
  EXPECT_TRUE(village.submitted());
  EXPECT_EQ(village.state(), v1::REPORTING_STATE_LATE);
}

TEST_F(ReportingStatusTest, AReportOfEverySiteCoversThemAll) {
  std::vector<Submission> submissions = {{"20220401-v1", {}, deadline_ - absl::Hours(1)}};
  v1::GetReportingStatusResponse status = BuildReportingStatus(
      "2022-04-01", directory_, submissions, deadline_, deadline_ + absl::Hours(1));
  for (const auto& site : status.sites()) {
    EXPECT_TRUE(site.submitted());
    EXPECT_EQ(site.report_id(), "20220401-v1");
    EXPECT_EQ(site.state(), v1::REPORTING_STATE_ON_TIME);
  }
}

}  // namespace
}  // namespace lianfang::report
