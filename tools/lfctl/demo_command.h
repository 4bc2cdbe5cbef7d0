// lfctl demo: seeds a running suite with invented demo data through the gRPC API.
#ifndef LIANFANG_TOOLS_LFCTL_DEMO_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_DEMO_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command DemoCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_DEMO_COMMAND_H_
