// lfctl: see tools/lfctl/lfctl.h.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "tools/lfctl/command.h"
#include "tools/lfctl/lfctl.h"

int main(int argc, char** argv) {
  const lianfang::lfctl::CommandIo io{
      .out = std::cout,
      .err = std::cerr,
      .getenv = [](absl::string_view name) -> std::optional<std::string> {
        const char* value = std::getenv(std::string(name).c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
      },
      .out_is_terminal = ::isatty(STDOUT_FILENO) == 1,
      .err_is_terminal = ::isatty(STDERR_FILENO) == 1,
  };
  const int code = lianfang::lfctl::RunLfctl(std::vector<std::string>(argv + 1, argv + argc), io);
  std::cout.flush();
  return std::cout.good() ? code : lianfang::lfctl::kExitFailure;
}
