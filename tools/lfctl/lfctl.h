// lfctl: the leaders' and sysadmins' command-line tool. This is the dispatcher over the
// subcommand table; main.cc only calls RunLfctl.
//
//   lfctl --help                 list the commands
//   lfctl <command> --help       the flags of one command
//   lfctl token --role leader --sub wang   mint a token (see token_command.h)
#ifndef LIANFANG_TOOLS_LFCTL_LFCTL_H_
#define LIANFANG_TOOLS_LFCTL_LFCTL_H_

#include <string>
#include <vector>

#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

// Every command, in the order `lfctl --help` lists them.
std::vector<Command> Commands();

// Runs lfctl with `args` (argv without the program name). Returns the process exit code:
// kExitOk, kExitFailure, or kExitUsage for no/unknown command (the usage goes to io.err).
int RunLfctl(const std::vector<std::string>& args, const CommandIo& io);

// The top-level usage text.
std::string TopLevelUsage();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_LFCTL_H_
