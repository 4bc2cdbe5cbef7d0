// Cost of a gate decision without the database: the rules with in-memory facts, and the
// validation of a RecordPassage request (ID check digit, person_key HMAC, masks, plate).
//   ninja gate_decision_benchmark && build/bin/gate_decision_benchmark
#include <string>

#include "benchmark/benchmark.h"
#include "common/pii/pii.h"
#include "common/time/clock.h"
#include "services/gate/passage_rules.h"
#include "services/gate/validation.h"
#include "tests/services/gate/gate_test_util.h"

namespace lianfang::gate {
namespace {

class MemoryFacts final : public PassageFacts {
 public:
  absl::StatusOr<bool> HasValidPass() override { return true; }
  absl::StatusOr<bool> UnderHold() override { return false; }
  absl::StatusOr<bool> VehicleRegistered() override { return true; }
  absl::StatusOr<bool> Inside() override { return false; }
  absl::StatusOr<int64_t> Onsite() override { return 42; }
};

PassageQuery Query(double temperature, v1::Direction direction) {
  return PassageQuery{.direction = direction,
                      .temperature_c = temperature,
                      .has_vehicle = true,
                      .fever_threshold_c = 37.3,
                      .outsiders_allowed = false,
                      .outside_vehicles_allowed = false,
                      .capacity = 1500};
}

void BM_DecideAdmittedEntry(benchmark::State& state) {
  MemoryFacts facts;
  const PassageQuery q = Query(36.5, v1::DIRECTION_ENTRY);
  for (auto _ : state) benchmark::DoNotOptimize(DecidePassage(q, facts));
}
BENCHMARK(BM_DecideAdmittedEntry);

void BM_DecideFever(benchmark::State& state) {
  MemoryFacts facts;
  const PassageQuery q = Query(38.4, v1::DIRECTION_ENTRY);
  for (auto _ : state) benchmark::DoNotOptimize(DecidePassage(q, facts));
}
BENCHMARK(BM_DecideFever);

void BM_DecideExit(benchmark::State& state) {
  MemoryFacts facts;
  const PassageQuery q = Query(0, v1::DIRECTION_EXIT);
  for (auto _ : state) benchmark::DoNotOptimize(DecidePassage(q, facts));
}
BENCHMARK(BM_DecideExit);

void BM_ValidateRecordPassage(benchmark::State& state) {
  const sites::SiteDirectory sites = testing::TestSites();
  const pii::PersonKeyer keyer = *pii::PersonKeyer::FromSecret("benchmark-pii-key-0123456789");
  const absl::TimeZone tz = *time::LoadTimeZone("Asia/Shanghai");
  const absl::Time now = absl::Now();
  v1::RecordPassageRequest r;
  r.set_request_id("bench-1");
  r.set_site_id("campus");
  r.set_gate_id("east");
  r.set_direction(v1::DIRECTION_ENTRY);
  r.mutable_person()->set_id_number(testing::ValidId(1));
  r.mutable_person()->set_name("张小三");
  r.set_temperature_c(36.5);
  r.set_vehicle_plate("京AD12345");
  for (auto _ : state) {
    benchmark::DoNotOptimize(ValidateRecordPassage(r, sites, keyer, now, tz));
  }
}
BENCHMARK(BM_ValidateRecordPassage);

}  // namespace
}  // namespace lianfang::gate

BENCHMARK_MAIN();
