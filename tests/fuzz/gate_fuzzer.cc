// Fuzz target: lianfang.gate.v1.GateService (see service_fuzzer.h for the input format and the
// invariants). The real GateService over SQLite, without Redis live counts or outbox sender.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "services/gate/gate_service.h"
#include "services/gate/gate_store.h"
#include "tests/fuzz/service_fuzzer.h"

namespace {

struct GateTarget {
  GateTarget() : fuzzer("lianfang.gate.v1.GateService") {
    fuzzer.Migrate("gate", lianfang::gate::Migrations());
    service = std::make_unique<lianfang::gate::GateService>(lianfang::gate::GateServiceOptions{
        .sites = &fuzzer.sites(),
        .clock = &fuzzer.clock(),
        .db = &fuzzer.db(),
        .keyer = &fuzzer.keyer(),
        .authorizer = &fuzzer.authorizer(),
        .tz = fuzzer.tz(),
    });
    fuzzer.Serve(service.get());
  }
  lianfang::fuzz::ServiceFuzzer fuzzer;
  std::unique_ptr<lianfang::gate::GateService> service;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static GateTarget* target = new GateTarget();  // lives until exit
  return target->fuzzer.Run(data, size);
}
