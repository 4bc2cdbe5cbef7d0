// A small command-line flag parser for lfctl's subcommands.
//
// Each subcommand declares its own flags on a FlagSet, so flags are local to the command that
// uses them and `lfctl <command> --help` lists exactly those. Accepted forms: `--name value`,
// `--name=value`, boolean `--name` (or `--name=true|false`), `--help`/`-h`, and `--` to end
// the flags. Unknown flags, missing values and repeated flags (except those declared
// repeatable) are errors naming the flag.
#ifndef LIANFANG_TOOLS_LFCTL_FLAGS_H_
#define LIANFANG_TOOLS_LFCTL_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lianfang::lfctl {

// Not thread-safe; one per command invocation. Targets must outlive the FlagSet.
class FlagSet final {
 public:
  // `command` is what usage lines start with, e.g. "lfctl token".
  explicit FlagSet(std::string command);

  // Declares `--name VALUE`. `*target` keeps its value when the flag is absent.
  // `value_name` is shown in the usage ("ROLE"); `help` is one line.
  void AddString(std::string name, std::string value_name, std::string help, std::string* target);
  // Declares `--name VALUE` that may be given more than once: the values are joined with ","
  // in `*target` (the separator of repeated request fields, rpc_command.h).
  void AddRepeatable(std::string name, std::string value_name, std::string help,
                     std::string* target);
  // Declares the boolean `--name`.
  void AddBool(std::string name, std::string help, bool* target);
  // Accepts positional arguments (otherwise they are errors).
  void AllowPositional(std::string usage, std::vector<std::string>* target);

  // Parses `args` (the words after the command name). Returns true when help was asked for
  // (the caller prints Usage() and exits 0), false otherwise. INVALID_ARGUMENT with a message
  // starting with the flag ("--ttl: ...") on any error.
  absl::StatusOr<bool> Parse(const std::vector<std::string>& args);

  // True when `--name` appeared on the command line.
  bool WasSet(absl::string_view name) const;

  // The flags' help, one per line, after a "Usage:" line.
  std::string Usage(absl::string_view summary) const;

 private:
  struct Flag {
    std::string name;
    std::string value_name;  // empty for booleans
    std::string help;
    std::string* string_target = nullptr;
    bool* bool_target = nullptr;
    bool set = false;
    bool repeatable = false;
  };
  Flag* Find(absl::string_view name);

  std::string command_;
  std::vector<Flag> flags_;
  std::string positional_usage_;
  std::vector<std::string>* positional_ = nullptr;
};

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_FLAGS_H_
