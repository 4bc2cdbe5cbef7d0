// Cost of the per-request PII work: validation, masks, and the person_key HMAC.
//   ninja pii_benchmark && build/bin/pii_benchmark
#include <string>

#include "benchmark/benchmark.h"
#include "common/pii/pii.h"

namespace lianfang::pii {
namespace {

constexpr char kId[] = "11010519491231002X";

void BM_ValidateIdNumber(benchmark::State& state) {
  const absl::CivilDay today(2026, 3, 15);
  for (auto _ : state) {
    benchmark::DoNotOptimize(ValidateIdNumber(kId, today));
  }
}
BENCHMARK(BM_ValidateIdNumber);

void BM_NormalizeAndMaskAll(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(MaskIdNumber(NormalizeIdNumber(kId)));
    benchmark::DoNotOptimize(MaskName("欧阳娜娜"));
    benchmark::DoNotOptimize(MaskPhone("13812341234"));
  }
}
BENCHMARK(BM_NormalizeAndMaskAll);

void BM_ValidateNameAndPhone(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(ValidateName("买买提·艾力"));
    benchmark::DoNotOptimize(ValidatePhone("+8613812341234"));
  }
}
BENCHMARK(BM_ValidateNameAndPhone);

void BM_PersonKey(benchmark::State& state) {
  const absl::StatusOr<PersonKeyer> keyer =
      PersonKeyer::FromSecret("0123456789abcdef0123456789abcdef");
  if (!keyer.ok()) {
    state.SkipWithError("cannot build the keyer");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(keyer->PersonKey(kId));
  }
}
BENCHMARK(BM_PersonKey);

}  // namespace
}  // namespace lianfang::pii

BENCHMARK_MAIN();
