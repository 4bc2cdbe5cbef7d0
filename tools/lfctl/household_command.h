// lfctl household upsert|get|list: households of the survey (摸排).
#ifndef LIANFANG_TOOLS_LFCTL_HOUSEHOLD_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_HOUSEHOLD_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command HouseholdCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_HOUSEHOLD_COMMAND_H_
