// lfctl tenant verify: tenant verification (租户核实).
#ifndef LIANFANG_TOOLS_LFCTL_TENANT_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_TENANT_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command TenantCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_TENANT_COMMAND_H_
