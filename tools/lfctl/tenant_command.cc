#include "tools/lfctl/tenant_command.h"

#include <string>
#include <vector>

#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {

Command TenantCommand() {
  return MakeFamily(
      "tenant", "tenant verification (租户核实)",
      {
          RpcSpec{.name = "verify",
                  .summary = "record the outcome of a tenant check (verified gets a pass)",
                  .service = Service::kSurvey,
                  .method = "VerifyTenant",
                  .flags = {{"resident", "resident_id", "ID", "the tenant's resident id", true},
                            {"outcome", "outcome", "verified|rejected", "the outcome", true},
                            {"note", "note", "TEXT", "what was checked"}},
                  .columns = {"resident_id", "name|name_masked", "tenant_status",
                              "verification_note", "pass_code"}},
      });
}

}  // namespace lianfang::lfctl
