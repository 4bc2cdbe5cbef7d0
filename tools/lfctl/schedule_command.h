// lfctl schedule create|list|pause: recurring tasks such as disinfection twice a day.
#ifndef LIANFANG_TOOLS_LFCTL_SCHEDULE_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_SCHEDULE_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command ScheduleCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_SCHEDULE_COMMAND_H_
