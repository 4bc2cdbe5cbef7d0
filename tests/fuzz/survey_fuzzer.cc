// Fuzz target: lianfang.survey.v1.SurveyService (see service_fuzzer.h for the input format and
// the invariants). The real SurveyService over SQLite with the risk regions of
// deploy/risk-regions.txt, without Redis live counts or outbox sender.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "services/survey/config.h"
#include "services/survey/risk_regions.h"
#include "services/survey/survey_service.h"
#include "services/survey/survey_store.h"
#include "tests/fuzz/service_fuzzer.h"

namespace {

struct SurveyTarget {
  SurveyTarget() : fuzzer("lianfang.survey.v1.SurveyService") {
    fuzzer.Migrate("survey", lianfang::survey::Migrations());
    auto regions = lianfang::survey::RiskRegions::LoadFile(
        lianfang::fuzz::SourcePath("deploy/risk-regions.txt"));
    if (!regions.ok()) {
      std::fprintf(stderr, "loading deploy/risk-regions.txt: %s\n",
                   regions.status().ToString().c_str());
      std::abort();
    }
    settings.risk_regions = *std::move(regions);
    service = std::make_unique<lianfang::survey::SurveyService>(lianfang::survey::SurveyServiceDeps{
        .db = &fuzzer.db(),
        .sites = &fuzzer.sites(),
        .clock = &fuzzer.clock(),
        .tz = fuzzer.tz(),
        .keyer = &fuzzer.keyer(),
        .authorizer = &fuzzer.authorizer(),
        .settings = &settings,
    });
    fuzzer.Serve(service.get());
  }
  lianfang::fuzz::ServiceFuzzer fuzzer;
  lianfang::survey::SurveySettings settings;
  std::unique_ptr<lianfang::survey::SurveyService> service;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static SurveyTarget* target = new SurveyTarget();  // lives until exit
  return target->fuzzer.Run(data, size);
}
