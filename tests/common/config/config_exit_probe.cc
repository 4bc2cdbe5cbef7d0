// Test-only: loads the gate's configuration like a service main, then prints "ok" and the
// resolved listen address, or ends through ExitWithConfigError.
#include <cstdio>

#include "common/config/config.h"

int main(int argc, char** argv) {
  auto config = lianfang::config::LoadCommonConfig("gate", argc, argv,
                                                   lianfang::config::Environment::Process());
  if (!config.ok()) lianfang::config::ExitWithConfigError("lf-gate", config.status());
  std::printf("ok %s\n", config->listen.c_str());
  return 0;
}
