#include "services/report/site_access.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/auth/authorizer.h"

namespace lianfang::report {

absl::Status CheckCoveredSites(const auth::Principal& who, std::span<const std::string> site_ids,
                               const sites::SiteDirectory& directory) {
  if (who.sites.empty()) return absl::OkStatus();
  if (!site_ids.empty()) {
    for (const std::string& site : site_ids) {
      if (absl::Status s = auth::CheckSite(who, site); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  // Every site of the directory: allowed only when the token happens to list them all.
  for (const sites::Site& site : directory.sites()) {
    if (!who.MayActOnSite(site.id())) {
      return absl::PermissionDeniedError(absl::StrCat(
          "role ", auth::RoleName(who.role),
          " may not act on every site: the token is limited to some sites; name them in "
          "site_ids"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckMayRead(const auth::Principal& who, const v1::DailyReport& report,
                          const sites::SiteDirectory& directory) {
  if (who.sites.empty()) return absl::OkStatus();
  const std::vector<std::string> ids(report.site_ids().begin(), report.site_ids().end());
  if (absl::Status s = CheckCoveredSites(who, ids, directory); !s.ok()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "this report covers sites outside the token of role ", auth::RoleName(who.role),
        "; read a report of your own sites"));
  }
  return absl::OkStatus();
}

void KeepOwnSites(const auth::Principal& who, v1::GetReportingStatusResponse& response) {
  if (who.sites.empty()) return;
  auto* sites = response.mutable_sites();
  int kept = 0;
  for (int i = 0; i < sites->size(); ++i) {
    if (!who.MayActOnSite(sites->Get(i).site_id())) continue;
    if (kept != i) sites->SwapElements(kept, i);
    ++kept;
  }
  sites->DeleteSubrange(kept, sites->size() - kept);
}

}  // namespace lianfang::report
