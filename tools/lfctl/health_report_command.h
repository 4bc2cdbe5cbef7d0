// lfctl health-report submit|list: the daily health report (每日一报).
#ifndef LIANFANG_TOOLS_LFCTL_HEALTH_REPORT_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_HEALTH_REPORT_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command HealthReportCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_HEALTH_REPORT_COMMAND_H_
