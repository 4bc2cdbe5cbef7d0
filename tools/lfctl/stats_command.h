// lfctl stats gate|survey|dispatch: one day's figures of a service, per site.
#ifndef LIANFANG_TOOLS_LFCTL_STATS_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_STATS_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command StatsCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_STATS_COMMAND_H_
