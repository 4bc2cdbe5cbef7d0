// The example of common/app/runtime.h's header comment, as a program: runtime_example_test
// checks that the header shows exactly the main() below, builds it and runs it.
#include "common/app/runtime.h"
#include "services/gate/gate_service.h"
#include "services/gate/gate_store.h"

namespace gate = ::lianfang::gate;

int main(int argc, char** argv) {
  auto rt = lianfang::app::StartOrExit(
      {.service = "gate", .argc = argc, .argv = argv, .migrations = gate::Migrations()});
  gate::GateService service({.sites = rt->sites.get(),
                             .clock = &rt->clock,
                             .db = rt->db.get(),
                             .keyer = rt->keyer.get(),
                             .authorizer = rt->authorizer.get(),
                             .tz = rt->config.tz});
  return lianfang::app::Serve(*rt, {&service}, {"lianfang.gate.v1.GateService"});
}
