// lfctl audit <service>: a service's audit events (ADMIN only).
#ifndef LIANFANG_TOOLS_LFCTL_AUDIT_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_AUDIT_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command AuditCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_AUDIT_COMMAND_H_
