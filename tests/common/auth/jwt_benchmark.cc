// Cost of the per-call token check: Verify (HS256 + claim parsing) and the full Authorize.
#include <string>

#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "common/auth/authorizer.h"
#include "common/auth/jwt.h"
#include "common/auth/principal.h"
#include "common/time/clock.h"

namespace lianfang::auth {
namespace {

constexpr char kKey[] = "benchmark-key-0123456789-abcdefghijklmnopqrstuvwxyz";

std::string MakeToken(const time::Clock& clock) {
  Principal p;
  p.subject = "guard-0042";
  p.name = "李娜";
  p.role = Role::kGuard;
  p.sites = {"campus", "family-area"};
  return TokenSigner(kKey).Sign(p, clock.Now(), absl::Hours(12)).value();
}

void BM_Verify(benchmark::State& state) {
  const time::RealClock clock;
  const TokenVerifier verifier(kKey, clock);
  const std::string token = MakeToken(clock);
  for (auto _ : state) {
    absl::StatusOr<Principal> p = verifier.Verify(token);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_Verify)->ThreadRange(1, 2);

void BM_VerifyBadSignature(benchmark::State& state) {
  const time::RealClock clock;
  const TokenVerifier verifier("another-key-0123456789-abcdefghijklmnopqrstuvwxyz", clock);
  const std::string token = MakeToken(clock);
  for (auto _ : state) {
    absl::StatusOr<Principal> p = verifier.Verify(token);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_VerifyBadSignature);

void BM_Authorize(benchmark::State& state) {
  const time::RealClock clock;
  const TokenVerifier verifier(kKey, clock);
  const Authorizer authorizer(&verifier);
  const std::string header = "Bearer " + MakeToken(clock);
  for (auto _ : state) {
    absl::StatusOr<Principal> p =
        authorizer.Authorize("/lianfang.gate.v1.GateService/RecordPassage", header);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_Authorize)->ThreadRange(1, 2);

void BM_Sign(benchmark::State& state) {
  const time::RealClock clock;
  const TokenSigner signer(kKey);
  Principal p;
  p.subject = "gate";
  p.role = Role::kService;
  for (auto _ : state) {
    absl::StatusOr<std::string> token = signer.Sign(p, clock.Now(), absl::Hours(1));
    benchmark::DoNotOptimize(token);
  }
}
BENCHMARK(BM_Sign);

}  // namespace
}  // namespace lianfang::auth

BENCHMARK_MAIN();
