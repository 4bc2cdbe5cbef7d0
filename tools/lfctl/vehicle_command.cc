#include "tools/lfctl/vehicle_command.h"

#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {

// The gate service has no method listing vehicles; registering is all there is.
Command VehicleCommand() {
  return MakeFamily(
      "vehicle", "register vehicles (车辆) admitted to a site",
      {
          RpcSpec{.name = "register",
                  .summary = "register a vehicle for a site (admitted where outside vehicles "
                             "are banned)",
                  .service = Service::kGate,
                  .method = "RegisterVehicle",
                  .flags = {{"site", "site_id", "SITE", "site id", true},
                            {"plate", "plate", "PLATE", "licence plate, e.g. 京A12345", true},
                            {"owner-key", "owner_person_key", "KEY", "the owner's person key"}},
                  .columns = {"site_id", "plate", "owner_person_key", "registered_at",
                              "registered_by"}},
      });
}

}  // namespace lianfang::lfctl
