// Cost of a gate decision without the database (services/gate): the rules with in-memory
// facts for each outcome, and the validation of a RecordPassage request (ID check digit,
// person_key HMAC, masks, plate).
//   build/bin/lf_gate_rules_benchmark
#include <string>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "common/pii/pii.h"
#include "common/sites/site_directory.h"
#include "common/time/clock.h"
#include "services/gate/passage_rules.h"
#include "services/gate/validation.h"

namespace lianfang::gate {
namespace {

PassageFacts MemoryFacts(bool pass, bool hold, int64_t onsite) {
  return PassageFacts{.has_valid_pass = pass,
                      .under_hold = hold,
                      .vehicle_registered = false,
                      .inside = false,
                      .onsite = onsite};
}

PassageQuery Query(double temperature, v1::Direction direction, bool vehicle) {
  return PassageQuery{.direction = direction,
                      .temperature_c = temperature,
                      .has_vehicle = vehicle,
                      .fever_threshold_c = 37.3,
                      .outsiders_allowed = false,
                      .outside_vehicles_allowed = false,
                      .capacity = 1500};
}

void Decide(benchmark::State& state, const PassageQuery& q, const PassageFacts& facts) {
  for (auto _ : state) benchmark::DoNotOptimize(DecidePassage(q, facts));
}

void BM_DecideAdmittedEntry(benchmark::State& state) {
  Decide(state, Query(36.5, v1::DIRECTION_ENTRY, false), MemoryFacts(true, false, 42));
}
BENCHMARK(BM_DecideAdmittedEntry);

void BM_DecideFever(benchmark::State& state) {
  Decide(state, Query(38.4, v1::DIRECTION_ENTRY, false), MemoryFacts(true, false, 42));
}
BENCHMARK(BM_DecideFever);

void BM_DecideNoValidPass(benchmark::State& state) {
  Decide(state, Query(36.5, v1::DIRECTION_ENTRY, false), MemoryFacts(false, false, 42));
}
BENCHMARK(BM_DecideNoValidPass);

void BM_DecideExitUnderObservation(benchmark::State& state) {
  Decide(state, Query(0, v1::DIRECTION_EXIT, false), MemoryFacts(true, true, 42));
}
BENCHMARK(BM_DecideExitUnderObservation);

void BM_DecideVehicleNotAllowed(benchmark::State& state) {
  Decide(state, Query(36.5, v1::DIRECTION_ENTRY, true), MemoryFacts(true, false, 42));
}
BENCHMARK(BM_DecideVehicleNotAllowed);

void BM_DecideSiteFull(benchmark::State& state) {
  Decide(state, Query(36.5, v1::DIRECTION_ENTRY, false), MemoryFacts(true, false, 1500));
}
BENCHMARK(BM_DecideSiteFull);

void BM_ValidateRecordPassage(benchmark::State& state) {
  const sites::SiteDirectory sites = *sites::SiteDirectory::LoadFile("deploy/sites.textproto");
  const pii::PersonKeyer keyer = *pii::PersonKeyer::FromSecret("benchmark-pii-key-0123456789");
  const absl::TimeZone tz = *time::LoadTimeZone("Asia/Shanghai");
  const absl::Time now = absl::Now();
  const std::string first17 = "32010219900101042";
  v1::RecordPassageRequest r;
  r.set_request_id("bench-1");
  r.set_site_id("campus");
  r.set_gate_id("east");
  r.set_direction(v1::DIRECTION_ENTRY);
  r.mutable_person()->set_id_number(first17 + pii::IdNumberCheckDigit(first17));
  r.mutable_person()->set_name("张小三");
  r.set_temperature_c(36.5);
  r.set_vehicle_plate("京AD12345");
  for (auto _ : state) {
    auto input = ValidateRecordPassage(r, sites, keyer, now, tz);
    if (!input.ok()) state.SkipWithError("the request did not validate");
    benchmark::DoNotOptimize(input);
  }
}
BENCHMARK(BM_ValidateRecordPassage);

}  // namespace
}  // namespace lianfang::gate

BENCHMARK_MAIN();
