// lfctl coverage: a site's survey coverage (摸排) now.
#ifndef LIANFANG_TOOLS_LFCTL_COVERAGE_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_COVERAGE_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command CoverageCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_COVERAGE_COMMAND_H_
