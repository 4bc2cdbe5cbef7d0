// lfctl resident register|list: residents of households (常住人口).
#ifndef LIANFANG_TOOLS_LFCTL_RESIDENT_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_RESIDENT_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command ResidentCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_RESIDENT_COMMAND_H_
