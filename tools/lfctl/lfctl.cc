#include "tools/lfctl/lfctl.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "tools/lfctl/health_command.h"
#include "tools/lfctl/token_command.h"

namespace lianfang::lfctl {

std::vector<Command> Commands() {
  return {
      HealthCommand(),
      TokenCommand(),
  };
}

std::string TopLevelUsage() {
  std::string usage =
      "lfctl - command-line tool for the Lianfang services\n"
      "\n"
      "Usage: lfctl <command> [flags]\n"
      "\n"
      "Commands:\n";
  const std::vector<Command> commands = Commands();
  size_t width = 0;
  for (const Command& c : commands) width = std::max(width, c.name.size());
  for (const Command& c : commands) {
    absl::StrAppend(&usage, "  ", c.name, std::string(width - c.name.size() + 2, ' '), c.summary,
                    "\n");
  }
  absl::StrAppend(&usage,
                  "\nRun `lfctl <command> --help` for the flags of a command.\n"
                  "Exit codes: 0 success, 1 the operation failed, 2 bad flags or settings.\n");
  return usage;
}

int RunLfctl(const std::vector<std::string>& args, const CommandIo& io) {
  if (args.empty()) {
    io.err << "lfctl: missing command\n\n" << TopLevelUsage();
    return kExitUsage;
  }
  const std::string& name = args[0];
  if (name == "--help" || name == "-h" || name == "help") {
    if (name == "help" && args.size() > 1) {
      // `lfctl help token` is `lfctl token --help`.
      return RunLfctl({args[1], "--help"}, io);
    }
    io.out << TopLevelUsage();
    return kExitOk;
  }
  for (const Command& command : Commands()) {
    if (command.name == name) {
      return command.run(std::vector<std::string>(args.begin() + 1, args.end()), io);
    }
  }
  io.err << "lfctl: unknown command \"" << name.substr(0, 40) << "\"\n\n" << TopLevelUsage();
  return kExitUsage;
}

}  // namespace lianfang::lfctl
