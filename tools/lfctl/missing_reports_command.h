// lfctl missing-reports: residents of a site who have not reported today (未报).
#ifndef LIANFANG_TOOLS_LFCTL_MISSING_REPORTS_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_MISSING_REPORTS_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command MissingReportsCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_MISSING_REPORTS_COMMAND_H_
