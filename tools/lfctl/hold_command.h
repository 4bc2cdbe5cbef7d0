// lfctl hold place|release: observation holds (居家观察) at the gates.
#ifndef LIANFANG_TOOLS_LFCTL_HOLD_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_HOLD_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command HoldCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_HOLD_COMMAND_H_
