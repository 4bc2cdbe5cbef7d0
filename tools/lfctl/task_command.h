// lfctl task create|assign|list|watch|claim|start|complete|cancel|get: tasks (任务).
#ifndef LIANFANG_TOOLS_LFCTL_TASK_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_TASK_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command TaskCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_TASK_COMMAND_H_
