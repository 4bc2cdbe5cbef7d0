// lfctl passage record|list|watch|occupancy: passages at the gates (实名登记, 检测体温) and the
// people inside a site.
#ifndef LIANFANG_TOOLS_LFCTL_PASSAGE_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_PASSAGE_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command PassageCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_PASSAGE_COMMAND_H_
