// lfctl vehicle register: vehicles (车辆) admitted to a site where outside vehicles are banned.
#ifndef LIANFANG_TOOLS_LFCTL_VEHICLE_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_VEHICLE_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command VehicleCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_VEHICLE_COMMAND_H_
