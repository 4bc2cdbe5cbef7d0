// lf-load: the load generator of the Lianfang suite (see lf_load.h and README.md).
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "tools/lf-load/echo.h"
#include "tools/lf-load/http_load.h"
#include "tools/lf-load/lf_load.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args.front() == "echo-server") {
    std::string listen = "127.0.0.1:0";
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "--listen" && i + 1 < args.size()) {
        listen = args[++i];
      } else if (absl::string_view(args[i]).substr(0, 9) == "--listen=") {
        listen = args[i].substr(9);
      } else {
        std::cerr << "lf-load echo-server: unknown argument " << args[i] << "\n";
        return 2;
      }
    }
    return lianfang::load::RunEchoServer(listen);
  }
  if (!args.empty() && args.front() == "http") {
    return lianfang::load::RunHttpLoad(std::vector<std::string>(args.begin() + 1, args.end()),
                                       [](const char* name) { return std::getenv(name); },
                                       std::cout, std::cerr);
  }
  return lianfang::load::RunLoad(
      args, [](const char* name) { return std::getenv(name); }, "/proc/self/exe", std::cout,
      std::cerr);
}
