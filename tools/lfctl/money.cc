#include "tools/lfctl/money.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lianfang::lfctl {
namespace {

constexpr char kExample[] = "yuan with at most 2 decimals, e.g. 2000 or 31.50";

bool AllDigits(absl::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<int64_t> ParseYuanToFen(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return absl::InvalidArgumentError(absl::StrCat("empty; give ", kExample));
  if (text[0] == '-') {
    return absl::InvalidArgumentError(absl::StrCat("must not be negative; give ", kExample));
  }
  absl::string_view whole = text;
  absl::string_view fraction;
  const size_t dot = text.find('.');
  if (dot != absl::string_view::npos) {
    whole = text.substr(0, dot);
    fraction = text.substr(dot + 1);
    if (AllDigits(fraction) && fraction.size() > 2 && AllDigits(whole) && !whole.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "more than 2 decimals (the smallest amount is 0.01 yuan, one fen); give ", kExample));
    }
    if (fraction.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("digits expected after '.'; give ", kExample));
    }
  }
  if (whole.empty() || !AllDigits(whole) || !AllDigits(fraction)) {
    return absl::InvalidArgumentError(absl::StrCat("not an amount; give ", kExample));
  }
  // Leading zeros carry nothing; past them, more than 10 digits of yuan is over 10^12 fen
  // whatever the decimals (and checking the length first keeps the sum below from overflowing).
  while (whole.size() > 1 && whole[0] == '0') whole.remove_prefix(1);
  constexpr char kTooLarge[] = "too large: at most 10000000000 yuan (10^12 fen)";
  if (whole.size() > 11) return absl::InvalidArgumentError(kTooLarge);
  int64_t fen = 0;
  for (char c : whole) fen = fen * 10 + (c - '0');
  fen *= 100;
  if (fraction.size() >= 1) fen += (fraction[0] - '0') * 10;
  if (fraction.size() == 2) fen += fraction[1] - '0';
  if (fen > kMaxFen) return absl::InvalidArgumentError(kTooLarge);
  return fen;
}

std::string FormatFen(int64_t fen) {
  // Unsigned arithmetic so that the most negative value has a magnitude too.
  const bool negative = fen < 0;
  const uint64_t magnitude =
      negative ? static_cast<uint64_t>(-(fen + 1)) + 1 : static_cast<uint64_t>(fen);
  return absl::StrFormat("%s%d.%02d", negative ? "-" : "", magnitude / 100, magnitude % 100);
}

}  // namespace lianfang::lfctl
