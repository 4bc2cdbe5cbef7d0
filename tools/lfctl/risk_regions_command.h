// lfctl risk-regions get|update: the versions of the risk-region list (survey).
#ifndef LIANFANG_TOOLS_LFCTL_RISK_REGIONS_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_RISK_REGIONS_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command RiskRegionsCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_RISK_REGIONS_COMMAND_H_
