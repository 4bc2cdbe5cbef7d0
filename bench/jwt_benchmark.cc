// Cost of the bearer-token check every call pays first (common/auth): HS256 verification of a
// valid token, and the early refusals of forged and malformed ones.
//   build/bin/lf_jwt_benchmark
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "common/auth/jwt.h"
#include "common/auth/principal.h"
#include "common/time/clock.h"

namespace lianfang::auth {
namespace {

constexpr char kKey[] = "benchmark-jwt-key-0123456789abcdef0123456789abcdef";

std::string Token(const std::string& key, std::vector<std::string> sites) {
  Principal p;
  p.subject = "guard-0042";
  p.name = "张小三";
  p.role = Role::kGuard;
  p.sites = std::move(sites);
  return *TokenSigner(key).Sign(p, absl::Now(), absl::Hours(12));
}

void BM_VerifyValidToken(benchmark::State& state) {
  time::RealClock clock;
  const TokenVerifier verifier(kKey, clock);
  const std::string token = Token(kKey, {"campus", "family-area"});
  for (auto _ : state) {
    auto who = verifier.Verify(token);
    if (!who.ok()) state.SkipWithError("the token did not verify");
    benchmark::DoNotOptimize(who);
  }
}
BENCHMARK(BM_VerifyValidToken);

void BM_VerifyAllSitesToken(benchmark::State& state) {
  time::RealClock clock;
  const TokenVerifier verifier(kKey, clock);
  const std::string token = Token(kKey, {});
  for (auto _ : state) benchmark::DoNotOptimize(verifier.Verify(token));
}
BENCHMARK(BM_VerifyAllSitesToken);

void BM_RejectBadSignature(benchmark::State& state) {
  time::RealClock clock;
  const TokenVerifier verifier(kKey, clock);
  const std::string token = Token("another-key-0123456789abcdef0123456789", {"campus"});
  for (auto _ : state) benchmark::DoNotOptimize(verifier.Verify(token));
}
BENCHMARK(BM_RejectBadSignature);

void BM_RejectMalformed(benchmark::State& state) {
  time::RealClock clock;
  const TokenVerifier verifier(kKey, clock);
  const std::string token = "not.a.token";
  for (auto _ : state) benchmark::DoNotOptimize(verifier.Verify(token));
}
BENCHMARK(BM_RejectMalformed);

void BM_SignToken(benchmark::State& state) {
  const TokenSigner signer(kKey);
  Principal p;
  p.subject = "guard-0042";
  p.role = Role::kGuard;
  p.sites = {"campus"};
  const absl::Time now = absl::Now();
  for (auto _ : state) benchmark::DoNotOptimize(signer.Sign(p, now, absl::Hours(12)));
}
BENCHMARK(BM_SignToken);

}  // namespace
}  // namespace lianfang::auth

BENCHMARK_MAIN();
