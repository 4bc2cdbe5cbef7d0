// lfctl dashboard [--watch]: the merged live view of every site, once or redrawn live.
#ifndef LIANFANG_TOOLS_LFCTL_DASHBOARD_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_DASHBOARD_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command DashboardCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_DASHBOARD_COMMAND_H_
