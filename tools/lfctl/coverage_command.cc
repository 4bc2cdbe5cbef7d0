#include "tools/lfctl/coverage_command.h"

#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {

Command CoverageCommand() {
  return MakeFamily(
      "coverage", "a site's survey coverage (摸排) now",
      {
          RpcSpec{
              .summary = "households surveyed, residents, tenants, observations and today's "
                         "health reports of a site",
              .service = Service::kSurvey,
              .method = "GetCoverage",
              .flags = {{"site", "site_id", "SITE", "site id", true}},
              .columns = {"site_id", "households_total", "households_surveyed", "residents",
                          "tenants_total", "tenants_verified", "tenants_pending",
                          "under_observation", "reports_today", "reports_missing_today", "as_of"}},
      });
}

}  // namespace lianfang::lfctl
