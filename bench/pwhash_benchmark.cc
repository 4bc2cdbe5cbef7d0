// Cost of one password hash in the accounts service (services/accounts/credentials.h):
// Argon2id (libsodium crypto_pwhash) at the configured defaults (LF_PWHASH_OPS=2,
// LF_PWHASH_MEM_MIB=64) and a few alternatives, so the defaults can be sized to 50-100 ms per
// sign-in on the server that runs them. Each figure is one Hash (a Verify costs the same).
//   build/bin/lf_pwhash_benchmark --benchmark_repetitions=3 --benchmark_report_aggregates_only
// services/accounts/README.md records the figures and the machine's load when they were taken.
#include <cstddef>
#include <cstdint>

#include "benchmark/benchmark.h"
#include "services/accounts/credentials.h"

namespace lianfang::accounts {
namespace {

// Args: ops limit (passes), memory in MiB.
void BM_HashPassword(benchmark::State& state) {
  const PasswordHasher hasher(
      PasswordHasher::Params{.ops_limit = static_cast<uint64_t>(state.range(0)),
                             .mem_limit_bytes = static_cast<size_t>(state.range(1)) << 20});
  for (auto _ : state) {
    auto hash = hasher.Hash("correct horse battery staple");
    if (!hash.ok()) state.SkipWithError("hashing failed");
    benchmark::DoNotOptimize(hash);
  }
}
BENCHMARK(BM_HashPassword)
    ->ArgNames({"ops", "MiB"})
    ->Args({2, 64})  // the default
    ->Args({1, 64})
    ->Args({3, 64})
    ->Args({2, 32})
    ->Args({3, 32})
    ->Args({2, 19})  // OWASP's minimum for Argon2id (m=19 MiB, t=2)
    ->Args({1, 8})   // what the tests use
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(10);

}  // namespace
}  // namespace lianfang::accounts

BENCHMARK_MAIN();
