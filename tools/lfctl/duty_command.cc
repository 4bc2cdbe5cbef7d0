#include "tools/lfctl/duty_command.h"

#include <string>
#include <vector>

#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {

Command DutyCommand() {
  const std::vector<std::string> duty = {"duty.site_id", "duty.gate_id", "duty.guard",
                                         "duty.started_at", "duty.ended_at"};
  return MakeFamily(
      "duty", "guards on duty (值守) at the gates",
      {
          RpcSpec{.name = "start",
                  .summary = "take duty at a gate (the calling guard)",
                  .service = Service::kGate,
                  .method = "StartDuty",
                  .flags = {{"site", "site_id", "SITE", "site id", true},
                            {"gate", "gate_id", "GATE", "gate id of the site, e.g. east", true}},
                  .columns = duty},
          RpcSpec{.name = "end",
                  .summary = "end duty at a gate (the calling guard)",
                  .service = Service::kGate,
                  .method = "EndDuty",
                  .flags = {{"site", "site_id", "SITE", "site id", true},
                            {"gate", "gate_id", "GATE", "gate id of the site", true}},
                  .columns = duty},
          RpcSpec{.name = "list",
                  .summary = "every gate and the guard on duty there (none: empty)",
                  .service = Service::kGate,
                  .method = "ListDuty",
                  .flags = {{"site", "site_id", "SITE", "only this site's gates"}},
                  .rows = "gates",
                  .columns = {"site_id", "gate_id", "gate_name", "guard", "on_duty_since"}},
      });
}

}  // namespace lianfang::lfctl
