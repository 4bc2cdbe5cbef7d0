// Fuzz target: lianfang.dispatch.v1.DispatchService (see service_fuzzer.h for the input format
// and the invariants). The real DispatchService and Dispatcher over SQLite, with a task event
// hub but without Redis live counts or the schedule runner.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "services/dispatch/dispatch_service.h"
#include "services/dispatch/dispatcher.h"
#include "services/dispatch/store.h"
#include "services/dispatch/task_events.h"
#include "tests/fuzz/service_fuzzer.h"

namespace {

struct DispatchTarget {
  DispatchTarget()
      : fuzzer("lianfang.dispatch.v1.DispatchService"),
        dispatcher(&fuzzer.sites(), &fuzzer.keyer(), fuzzer.tz()),
        feed(&hub, nullptr, nullptr) {
    fuzzer.Migrate("dispatch", lianfang::dispatch::Migrations());
    service = std::make_unique<lianfang::dispatch::DispatchService>(
        lianfang::dispatch::DispatchService::Deps{.db = &fuzzer.db(),
                                                  .clock = &fuzzer.clock(),
                                                  .authorizer = &fuzzer.authorizer(),
                                                  .sites = &fuzzer.sites(),
                                                  .dispatcher = &dispatcher,
                                                  .feed = &feed,
                                                  .hub = &hub,
                                                  .tz = fuzzer.tz(),
                                                  .notices = &notices,
                                                  .notice_hub = &notice_hub});
    fuzzer.Serve(service.get());
  }
  lianfang::fuzz::ServiceFuzzer fuzzer;
  lianfang::dispatch::Dispatcher dispatcher;
  lianfang::dispatch::TaskEventHub hub;
  lianfang::dispatch::ChangeFeed feed;
  lianfang::dispatch::NoticeBoard notices;
  lianfang::dispatch::NoticeEventHub notice_hub;
  std::unique_ptr<lianfang::dispatch::DispatchService> service;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static DispatchTarget* target = new DispatchTarget();  // lives until exit
  return target->fuzzer.Run(data, size);
}
