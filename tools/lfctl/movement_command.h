// lfctl movement record|observations|end-observation: movements (行程) and home
// observation (居家观察).
#ifndef LIANFANG_TOOLS_LFCTL_MOVEMENT_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_MOVEMENT_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command MovementCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_MOVEMENT_COMMAND_H_
