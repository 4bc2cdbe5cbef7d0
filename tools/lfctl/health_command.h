// `lfctl health`: asks every service's gRPC health service whether it is SERVING.
#ifndef LIANFANG_TOOLS_LFCTL_HEALTH_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_HEALTH_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

// Exit 0 only when every service answers SERVING; 1 otherwise; 2 on bad flags.
Command HealthCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_HEALTH_COMMAND_H_
