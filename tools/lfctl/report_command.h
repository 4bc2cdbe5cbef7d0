// lfctl report generate|submit|export|list|get|status: the daily report (日报) to the
// municipal departments.
#ifndef LIANFANG_TOOLS_LFCTL_REPORT_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_REPORT_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command ReportCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_REPORT_COMMAND_H_
