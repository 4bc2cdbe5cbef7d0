// Constants shared by the fuzz targets and the seed tool (fuzz_seeds.cc), so that the seeds are
// valid inputs of the targets. Test-only.
#ifndef LIANFANG_TESTS_FUZZ_FUZZ_INPUTS_H_
#define LIANFANG_TESTS_FUZZ_FUZZ_INPUTS_H_

#include <cstdint>

namespace lianfang::fuzz {

// The HS256 key of jwt_fuzzer.
inline constexpr char kJwtKey[] = "fuzz-jwt-key-0123456789-abcdefghijklmnopqrstuvwxyz";
// jwt_fuzzer's clock: 2026-03-10 01:30:00 UTC (09:30 in Asia/Shanghai, as FuzzNow()).
inline constexpr int64_t kJwtNowUnixSeconds = 1773106200;

}  // namespace lianfang::fuzz

#endif  // LIANFANG_TESTS_FUZZ_FUZZ_INPUTS_H_
