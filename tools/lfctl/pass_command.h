// lfctl pass issue|revoke|list: gate passes (出入证).
#ifndef LIANFANG_TOOLS_LFCTL_PASS_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_PASS_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command PassCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_PASS_COMMAND_H_
