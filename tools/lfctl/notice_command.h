// lfctl notice publish|list|ack|receipts|watch: notices relayed to staff and volunteers and
// who has read and studied them (通知与传达学习).
#ifndef LIANFANG_TOOLS_LFCTL_NOTICE_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_NOTICE_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command NoticeCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_NOTICE_COMMAND_H_
