#include "common/text/text.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace lianfang::text {
namespace {

// Decodes the code point at `text[i]`, advancing `i`; nullopt on malformed input.
std::optional<uint32_t> NextCodePoint(absl::string_view text, size_t& i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) {
    ++i;
    return lead;
  }
  size_t extra;
  uint32_t cp;
  uint32_t min;
  if ((lead & 0xE0) == 0xC0) {
    extra = 1, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    extra = 2, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    extra = 3, cp = lead & 0x07, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (i + extra >= text.size()) return std::nullopt;
  for (size_t k = 1; k <= extra; ++k) {
    const unsigned char c = byte(i + k);
    if ((c & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (c & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  i += extra + 1;
  return cp;
}

// "-12", "-0.50": a negative number, which a spreadsheet must keep as a number.
bool IsNegativeNumber(absl::string_view value) {
  if (value.size() < 2 || value[0] != '-') return false;
  bool dot = false;
  for (size_t i = 1; i < value.size(); ++i) {
    if (value[i] == '.' && !dot && i > 1 && i + 1 < value.size()) {
      dot = true;
    } else if (!absl::ascii_isdigit(value[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string SpreadsheetText(absl::string_view value) {
  if (!value.empty() && (value[0] == '=' || value[0] == '+' || value[0] == '@' ||
                         (value[0] == '-' && !IsNegativeNumber(value)))) {
    return absl::StrCat("'", value);
  }
  return std::string(value);
}

std::string HtmlEscape(absl::string_view value) {
  return absl::StrReplaceAll(
      value, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&#39;"}});
}

std::optional<size_t> Utf8Length(absl::string_view value) {
  size_t n = 0;
  for (size_t i = 0; i < value.size();) {
    if (!NextCodePoint(value, i)) return std::nullopt;
    ++n;
  }
  return n;
}

bool IsPlainText(absl::string_view value) {
  for (size_t i = 0; i < value.size();) {
    const std::optional<uint32_t> cp = NextCodePoint(value, i);
    if (!cp || *cp < 0x20 || (*cp >= 0x7F && *cp <= 0x9F)) return false;
  }
  return true;
}

}  // namespace lianfang::text
