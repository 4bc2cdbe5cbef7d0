#include "tools/lfctl/missing_reports_command.h"

#include <string>
#include <vector>

#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {

Command MissingReportsCommand() {
  return MakeFamily(
      "missing-reports", "residents who have not filed today's health report (未报)",
      {
          RpcSpec{.summary = "residents of a site without a health report for a day",
                  .service = Service::kSurvey,
                  .method = "ListMissingReports",
                  .flags = {{"site", "site_id", "SITE", "site id", true},
                            {"date", "date", "DATE", "the day (default today)", false, "today"}},
                  .rows = "residents",
                  .columns = {"name|name_masked", "id_masked", "phone|phone_masked", "household_id",
                              "relation", "resident_id"}},
      });
}

}  // namespace lianfang::lfctl
