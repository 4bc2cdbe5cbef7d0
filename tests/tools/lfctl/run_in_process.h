// Runs lfctl in-process (RunLfctl) with captured output and an empty environment. Test-only.
#ifndef LIANFANG_TESTS_TOOLS_LFCTL_RUN_IN_PROCESS_H_
#define LIANFANG_TESTS_TOOLS_LFCTL_RUN_IN_PROCESS_H_

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tools/lfctl/command.h"
#include "tools/lfctl/lfctl.h"

namespace lianfang::lfctl {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

inline Outcome RunInProcess(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const CommandIo io{.out = out, .err = err, .getenv = [](absl::string_view) {
                       return std::optional<std::string>();
                     }};
  const int code = RunLfctl(args, io);
  return Outcome{code, out.str(), err.str()};
}

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TESTS_TOOLS_LFCTL_RUN_IN_PROCESS_H_
