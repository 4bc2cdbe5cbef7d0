// lfctl import households|residents --file X.csv: bulk import of the working group's
// spreadsheets, row by row (see tools/lfctl/README.md for the columns).
#ifndef LIANFANG_TOOLS_LFCTL_IMPORT_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_IMPORT_COMMAND_H_

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

Command ImportCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_IMPORT_COMMAND_H_
