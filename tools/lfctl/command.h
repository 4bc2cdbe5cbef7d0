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

// Exit codes shared by every command (documented in tools/lfctl/README.md; scripts rely on
// them, so never renumber one).
inline constexpr int kExitOk = 0;
// The operation failed: a service refused it in its current state (FAILED_PRECONDITION,
// ALREADY_EXISTS, ABORTED), an internal error, or some rows of an import failed.
inline constexpr int kExitFailure = 1;
// Bad flags, settings or input, found by lfctl (nothing was attempted) or by the service
// (INVALID_ARGUMENT: nothing was written).
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotFound = 3;     // NOT_FOUND: an id that does not exist
inline constexpr int kExitDenied = 4;       // UNAUTHENTICATED or PERMISSION_DENIED
inline constexpr int kExitUnavailable = 5;  // UNAVAILABLE or DEADLINE_EXCEEDED: retry later

// What a command may touch besides its arguments: injected so tests run commands in-process.
struct CommandIo {
  std::ostream& out;  // results (the token, JSON, tables)
  std::ostream& err;  // one-line errors
  // The value of an environment variable, or nullopt when unset.
  std::function<std::optional<std::string>(absl::string_view name)> getenv;
  // Whether stdout / stderr are terminals (progress lines and live redraws only go there).
  bool out_is_terminal = false;
  bool err_is_terminal = false;
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
