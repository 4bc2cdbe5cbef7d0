// Money as people type and read it: yuan (元) with at most two decimals on the command line,
// integer fen (分) on the wire (lianfang.supplies.v1 never carries money as floating point).
//
//   ParseYuanToFen("2000")   -> 200000
//   ParseYuanToFen("31.5")   -> 3150
//   ParseYuanToFen("31.505") -> INVALID_ARGUMENT (a third decimal is not a fen)
//   FormatFen(3150)          -> "31.50"
//
// The conversion reads the digits; no floating point is involved anywhere. Pure, thread-safe.
#ifndef LIANFANG_TOOLS_LFCTL_MONEY_H_
#define LIANFANG_TOOLS_LFCTL_MONEY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lianfang::lfctl {

// The largest amount the supplies service takes: 10^12 fen (ten billion yuan).
inline constexpr int64_t kMaxFen = 1'000'000'000'000;

// `text` in yuan: ASCII digits, optionally a '.' followed by one or two digits ("2000",
// "0.05", "31.50"); surrounding spaces are ignored. Returns the amount in fen, 0..kMaxFen.
// INVALID_ARGUMENT otherwise (empty, a sign, more than two decimals, separators, exponents,
// more than kMaxFen), with a reason that does not name the flag (the caller does) and does
// not repeat the text.
absl::StatusOr<int64_t> ParseYuanToFen(absl::string_view text);

// `fen` as yuan with exactly two decimals: 3150 -> "31.50", 5 -> "0.05", -120 -> "-1.20".
std::string FormatFen(int64_t fen);

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_MONEY_H_
