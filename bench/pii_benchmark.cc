// Cost of the personal-data functions on every passage, report and registration
// (common/pii): ID validation, masks, and the person_key HMAC.
//   build/bin/lf_pii_benchmark
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "benchmark/benchmark.h"
#include "common/pii/pii.h"

namespace lianfang::pii {
namespace {

std::string Id(int n) {
  const std::string first17 = absl::StrFormat("32010219900101%03d", n % 1000);
  return first17 + IdNumberCheckDigit(first17);
}

void BM_NormalizeAndValidateIdNumber(benchmark::State& state) {
  const std::string id = Id(7);
  const absl::CivilDay today(2026, 11, 28);
  for (auto _ : state) {
    std::string normalized = NormalizeIdNumber(id);
    benchmark::DoNotOptimize(ValidateIdNumber(normalized, today));
  }
}
BENCHMARK(BM_NormalizeAndValidateIdNumber);

void BM_ValidateIdNumberWithBadCheckDigit(benchmark::State& state) {
  std::string id = Id(7);
  id[17] = id[17] == '0' ? '1' : '0';
  const absl::CivilDay today(2026, 11, 28);
  for (auto _ : state) benchmark::DoNotOptimize(ValidateIdNumber(id, today));
}
BENCHMARK(BM_ValidateIdNumberWithBadCheckDigit);

void BM_MaskIdNumber(benchmark::State& state) {
  const std::string id = Id(7);
  for (auto _ : state) benchmark::DoNotOptimize(MaskIdNumber(id));
}
BENCHMARK(BM_MaskIdNumber);

void BM_MaskName(benchmark::State& state) {
  const std::string name = "欧阳娜娜";
  for (auto _ : state) benchmark::DoNotOptimize(MaskName(name));
}
BENCHMARK(BM_MaskName);

void BM_MaskPhone(benchmark::State& state) {
  const std::string phone = "13812341234";
  for (auto _ : state) benchmark::DoNotOptimize(MaskPhone(phone));
}
BENCHMARK(BM_MaskPhone);

void BM_ValidatePhoneAndName(benchmark::State& state) {
  const std::string phone = "13812341234", name = "李小妮";
  for (auto _ : state) {
    benchmark::DoNotOptimize(ValidatePhone(phone));
    benchmark::DoNotOptimize(ValidateName(name));
  }
}
BENCHMARK(BM_ValidatePhoneAndName);

void BM_PersonKeyHmac(benchmark::State& state) {
  const PersonKeyer keyer = *PersonKeyer::FromSecret("benchmark-pii-key-0123456789abcdef");
  std::vector<std::string> ids;
  for (int i = 0; i < 64; ++i) ids.push_back(Id(i));
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(keyer.PersonKey(ids[i++ % ids.size()]));
}
BENCHMARK(BM_PersonKeyHmac);

// The keyer shared by several threads, as in a service.
void BM_PersonKeyHmacThreaded(benchmark::State& state) {
  static const PersonKeyer* const keyer =
      new PersonKeyer(*PersonKeyer::FromSecret("benchmark-pii-key-0123456789abcdef"));
  const std::string id = Id(state.thread_index());
  for (auto _ : state) benchmark::DoNotOptimize(keyer->PersonKey(id));
}
BENCHMARK(BM_PersonKeyHmacThreaded)->Threads(2);

}  // namespace
}  // namespace lianfang::pii

BENCHMARK_MAIN();
