// Fuzz target: lianfang.report.v1.ReportService (see service_fuzzer.h for the input format and
// the invariants). The real ReportService and ReportGenerator over SQLite; the gate, survey and
// dispatch figures come from an in-process source that answers fixed figures at once.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "services/report/daily_report.h"
#include "services/report/report_generator.h"
#include "services/report/report_service.h"
#include "services/report/report_store.h"
#include "services/report/stats_sources.h"
#include "tests/fuzz/service_fuzzer.h"

namespace {

// Answers every date with the same small figures (gate and dispatch up, survey down, so the
// "source unavailable" path runs too).
class FixedSources final : public lianfang::report::DailyStatsSources {
 public:
  void Fetch(absl::string_view date, Done done) override {
    lianfang::report::FetchedStats stats;
    stats.gate.emplace();
    stats.gate->set_date(std::string(date));
    stats.dispatch.emplace();
    stats.dispatch->set_date(std::string(date));
    done(std::move(stats));
  }
};

struct ReportTarget {
  ReportTarget()
      : fuzzer("lianfang.report.v1.ReportService"),
        generator(&fuzzer.db(), &sources, &fuzzer.sites(), &fuzzer.clock(), fuzzer.tz()) {
    fuzzer.Migrate("report", lianfang::report::ReportMigrations());
    service = std::make_unique<lianfang::report::ReportService>(
        lianfang::report::ReportService::Deps{.authorizer = &fuzzer.authorizer(),
                                              .db = &fuzzer.db(),
                                              .sites = &fuzzer.sites(),
                                              .clock = &fuzzer.clock(),
                                              .tz = fuzzer.tz(),
                                              .generator = &generator});
    fuzzer.Serve(service.get());
  }
  lianfang::fuzz::ServiceFuzzer fuzzer;
  FixedSources sources;
  lianfang::report::ReportGenerator generator;
  std::unique_ptr<lianfang::report::ReportService> service;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ReportTarget* target = new ReportTarget();  // lives until exit
  return target->fuzzer.Run(data, size);
}
