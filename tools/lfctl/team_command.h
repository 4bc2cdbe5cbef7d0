// lfctl team create|list: commando teams (党员突击队).
#ifndef LIANFANG_TOOLS_LFCTL_TEAM_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_TEAM_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command TeamCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_TEAM_COMMAND_H_
