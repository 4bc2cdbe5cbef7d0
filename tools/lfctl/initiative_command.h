// lfctl initiative publish|list|get: initiatives (倡议) and the pledges to them.
#ifndef LIANFANG_TOOLS_LFCTL_INITIATIVE_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_INITIATIVE_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command InitiativeCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_INITIATIVE_COMMAND_H_
