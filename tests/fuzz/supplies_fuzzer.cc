// Fuzz target: lianfang.supplies.v1.SuppliesService (see service_fuzzer.h for the input format
// and the invariants). The real SuppliesService and Storekeeper over SQLite: every request's
// validation (services/supplies/validation.h), the stock ledger's rules and SQL, without Redis
// live counts, the outbox sender or a dispatch channel (a volunteer's IssueStock is then
// UNAVAILABLE, which the invariants allow).
#include <cstddef>
#include <cstdint>
#include <memory>

#include "services/supplies/store.h"
#include "services/supplies/storekeeper.h"
#include "services/supplies/supplies_service.h"
#include "tests/fuzz/service_fuzzer.h"

namespace {

struct SuppliesTarget {
  SuppliesTarget()
      : fuzzer("lianfang.supplies.v1.SuppliesService"), storekeeper(&fuzzer.sites(), fuzzer.tz()) {
    fuzzer.Migrate(lianfang::supplies::kComponent, lianfang::supplies::Migrations());
    service = std::make_unique<lianfang::supplies::SuppliesService>(
        lianfang::supplies::SuppliesService::Deps{.db = &fuzzer.db(),
                                                  .clock = &fuzzer.clock(),
                                                  .authorizer = &fuzzer.authorizer(),
                                                  .sites = &fuzzer.sites(),
                                                  .storekeeper = &storekeeper,
                                                  .tz = fuzzer.tz()});
    fuzzer.Serve(service.get());
  }
  lianfang::fuzz::ServiceFuzzer fuzzer;
  lianfang::supplies::Storekeeper storekeeper;
  std::unique_ptr<lianfang::supplies::SuppliesService> service;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static SuppliesTarget* target = new SuppliesTarget();  // lives until exit
  return target->fuzzer.Run(data, size);
}
