// The subcommand table of lfctl: what a command is and what it gets to run.
//
// Adding a command: write `<name>_command.{h,cc}` exposing `Command <Name>Command()`, and add
// it to Commands() in lfctl.cc. A command parses its own flags (tools/lfctl/flags.h), writes
// its result to `io.out`, and on failure one line to `io.err`, returning an exit code.
#ifndef LIANFANG_TOOLS_LFCTL_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_COMMAND_H_

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace lianfang::lfctl {

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the operation failed (a service said no, or is down)
inline constexpr int kExitUsage = 2;    // bad flags or settings: nothing was attempted

// What a command may touch besides its arguments: injected so tests run commands in-process.
struct CommandIo {
  std::ostream& out;  // results (the token, JSON, tables)
  std::ostream& err;  // one-line errors
  // The value of an environment variable, or nullopt when unset.
  std::function<std::optional<std::string>(absl::string_view name)> getenv;
};

struct Command {
  std::string name;     // "token"
  std::string summary;  // one line for `lfctl --help`
  // Runs the command with the words after its name. `--help` is handled by the command itself
  // (it prints its usage to io.out and returns kExitOk).
  std::function<int(const std::vector<std::string>& args, const CommandIo& io)> run;
};

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_COMMAND_H_
