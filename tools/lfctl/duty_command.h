// lfctl duty start|end|list: guards on duty (值守) at the gates.
#ifndef LIANFANG_TOOLS_LFCTL_DUTY_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_DUTY_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command DutyCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_DUTY_COMMAND_H_
