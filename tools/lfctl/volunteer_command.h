// lfctl volunteer enroll|list|pledge|on-duty|record: volunteers (志愿者).
#ifndef LIANFANG_TOOLS_LFCTL_VOLUNTEER_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_VOLUNTEER_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command VolunteerCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_VOLUNTEER_COMMAND_H_
