// Which reports a caller may read, from the sites of its token (API.md: `sites` lists the site
// ids a user may act on, empty = all; acting on a site outside it is PERMISSION_DENIED).
//
// The rule, the same for every method and every role (in practice LEADER and VIEWER tokens
// may be restricted): a report is readable only by callers that may act on EVERY site it
// covers — a report of all sites (site_ids empty) needs every site of the directory. A report
// is one document with totals across its sites, so it is never cut down to the caller's part:
//   - GenerateDailyReport, SubmitDailyReport, GetDailyReport and ExportDailyReport name the
//     report's sites (directly, or through its id): PERMISSION_DENIED when one is outside the
//     token (generating "all sites" with a restricted token included);
//   - ListDailyReports names no site: it lists only the reports the caller may read;
//   - GetReportingStatus lists only the caller's sites.
//
// Pure functions; thread-safe.
#ifndef LIANFANG_SERVICES_REPORT_SITE_ACCESS_H_
#define LIANFANG_SERVICES_REPORT_SITE_ACCESS_H_

#include <span>
#include <string>

#include "absl/status/status.h"
#include "common/auth/principal.h"
#include "common/sites/site_directory.h"
#include "lianfang/report/v1/report.pb.h"

namespace lianfang::report {

// OK when `who` may act on every site of `site_ids` (empty = every site of `directory`);
// otherwise PERMISSION_DENIED naming the first site outside the token (or, for an empty
// list, saying that the token is limited to some sites and the request must name them).
absl::Status CheckCoveredSites(const auth::Principal& who, std::span<const std::string> site_ids,
                               const sites::SiteDirectory& directory);

// CheckCoveredSites for the sites `report` covers.
absl::Status CheckMayRead(const auth::Principal& who, const v1::DailyReport& report,
                          const sites::SiteDirectory& directory);

// Drops from `response` the sites `who` may not act on (nothing when its token lists none).
void KeepOwnSites(const auth::Principal& who, v1::GetReportingStatusResponse& response);

}  // namespace lianfang::report

#endif  // LIANFANG_SERVICES_REPORT_SITE_ACCESS_H_
