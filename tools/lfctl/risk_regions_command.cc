#include "tools/lfctl/risk_regions_command.h"

#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {

Command RiskRegionsCommand() {
  FlagSpec region{"region", "regions", "REGION",
                  "a region on the new list (repeat the flag for each), e.g. 青川市", true};
  region.repeatable = true;
  return MakeFamily(
      "risk-regions",
      "the risk-region list (风险地区): arrivals from these regions are put under home "
      "observation",
      {
          RpcSpec{.name = "get",
                  .summary = "the list in force now",
                  .service = Service::kSurvey,
                  .method = "GetRiskRegions",
                  .columns = {"version", "regions", "effective_from", "updated_by", "updated_at",
                              "observations_opened"}},
          RpcSpec{.name = "update",
                  .summary = "replace the list from --effective-from on (a new version); recent "
                             "arrivals from added regions are put under observation",
                  .service = Service::kSurvey,
                  .method = "UpdateRiskRegions",
                  .flags = {region,
                            {"effective-from", "effective_from", "TIME",
                             "when it takes effect (default now; at most 30 days ahead)"}},
                  .columns = {"version", "regions", "added", "removed", "effective_from",
                              "observations_opened"}},
      });
}

}  // namespace lianfang::lfctl
