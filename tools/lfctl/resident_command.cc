#include "tools/lfctl/resident_command.h"

#include <string>
#include <vector>

#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {

Command ResidentCommand() {
  const std::vector<std::string> columns = {"resident_id", "household_id",       "name|name_masked",
                                            "id_masked",   "phone|phone_masked", "relation",
                                            "is_tenant",   "tenant_status",      "pass_code"};
  std::vector<FlagSpec> register_flags = {
      {"household", "household_id", "ID", "household id (see `lfctl household list`)", true},
      {"relation", "relation", "TEXT", "relation to the household, e.g. 户主, 配偶, 子女"},
      {"tenant", "is_tenant", "", "the person rents (gets a pass once verified)"},
  };
  for (FlagSpec& f : PersonFlags("person", true)) register_flags.push_back(f);
  return MakeFamily(
      "resident", "residents of households (常住人口)",
      {
          RpcSpec{.name = "register",
                  .summary = "register a resident (a non-tenant gets a gate pass at once)",
                  .service = Service::kSurvey,
                  .method = "RegisterResident",
                  .flags = register_flags,
                  .columns = columns},
          RpcSpec{.name = "list",
                  .summary = "residents of a site or household",
                  .service = Service::kSurvey,
                  .method = "ListResidents",
                  .flags = {{"site", "site_id", "SITE", "site id", true},
                            {"household", "household_id", "ID", "only this household"},
                            {"tenant-status", "tenant_status", "STATUS",
                             "only tenants in this state: pending, verified, rejected"}},
                  .rows = "residents",
                  .columns = columns},
      });
}

}  // namespace lianfang::lfctl
