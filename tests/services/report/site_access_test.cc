// The site rules of report reads (services/report/site_access.h), without gRPC or SQL.
#include "services/report/site_access.h"

#include <string>
#include <vector>

#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/report/report_fixtures.h"

namespace lianfang::report {
namespace {

using ::lianfang::report::testing::TestSites;
using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;

auth::Principal Caller(std::vector<std::string> sites) {
  auth::Principal who;
  who.subject = "office";
  who.role = auth::Role::kViewer;
  who.sites = std::move(sites);
  return who;
}

v1::DailyReport ReportOf(std::vector<std::string> sites) {
  v1::DailyReport report;
  for (const std::string& site : sites) report.add_site_ids(site);
  return report;
}

TEST(SiteAccessTest, AnUnrestrictedCallerReadsEveryReport) {
  const sites::SiteDirectory directory = TestSites();
  EXPECT_OK(CheckMayRead(Caller({}), ReportOf({}), directory));
  EXPECT_OK(CheckMayRead(Caller({}), ReportOf({"village"}), directory));
}

TEST(SiteAccessTest, ARestrictedCallerReadsOnlyReportsAllOfWhoseSitesAreItsOwn) {
  const sites::SiteDirectory directory = TestSites();
  const auth::Principal campus = Caller({"campus"});
  EXPECT_OK(CheckMayRead(campus, ReportOf({"campus"}), directory));
  EXPECT_THAT(CheckMayRead(campus, ReportOf({"campus", "village"}), directory),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(CheckMayRead(campus, ReportOf({"village"}), directory),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(CheckMayRead(campus, ReportOf({}), directory),
              StatusIs(absl::StatusCode::kPermissionDenied))
      << "a report of every site covers sites outside the token";
  EXPECT_OK(CheckMayRead(Caller({"campus", "family-area", "village"}), ReportOf({}), directory))
      << "a token listing every site reads the all-site report";
}

TEST(SiteAccessTest, AskingForEverySiteNeedsATokenCoveringEverySite) {
  const sites::SiteDirectory directory = TestSites();
  EXPECT_THAT(CheckCoveredSites(Caller({"campus"}), {}, directory),
              StatusIs(absl::StatusCode::kPermissionDenied));
  const std::vector<std::string> own = {"campus"};
  EXPECT_OK(CheckCoveredSites(Caller({"campus"}), own, directory));
  EXPECT_OK(CheckCoveredSites(Caller({}), {}, directory));
}

TEST(SiteAccessTest, ReportingStatusKeepsOnlyTheCallersSitesInOrder) {
  v1::GetReportingStatusResponse response;
  for (const char* id : {"campus", "family-area", "village"}) response.add_sites()->set_site_id(id);
  v1::GetReportingStatusResponse unrestricted = response;
  KeepOwnSites(Caller({}), unrestricted);
  EXPECT_EQ(unrestricted.sites_size(), 3);
  KeepOwnSites(Caller({"village", "campus"}), response);
  std::vector<std::string> ids;
  for (const auto& s : response.sites()) ids.push_back(s.site_id());
  EXPECT_THAT(ids, ElementsAre("campus", "village"));
}

}  // namespace
}  // namespace lianfang::report
