// lfctl user create|list|disable|enable|reset and lfctl device enroll|list|revoke: the people
// who sign in and the enrolled gate phones (the accounts service, LF_ACCOUNTS_ADDR).
#ifndef LIANFANG_TOOLS_LFCTL_ACCOUNT_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_ACCOUNT_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command UserCommand();
Command DeviceCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_ACCOUNT_COMMAND_H_
