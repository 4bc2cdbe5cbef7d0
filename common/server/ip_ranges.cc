#include "common/server/ip_ranges.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace lianfang::server {
namespace {

constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool IsMapped(const std::array<uint8_t, 16>& a) {
  return std::memcmp(a.data(), kMappedPrefix.data(), kMappedPrefix.size()) == 0;
}

bool Matches(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& base, int prefix) {
  for (int bit = 0; bit < prefix; bit += 8) {
    const int bits = std::min(8, prefix - bit);
    const uint8_t mask = static_cast<uint8_t>(0xff << (8 - bits));
    if ((a[bit / 8] & mask) != (base[bit / 8] & mask)) return false;
  }
  return true;
}

}  // namespace

std::optional<std::array<uint8_t, 16>> ParseIpAddress(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (absl::ConsumePrefix(&text, "[")) {
    if (!absl::ConsumeSuffix(&text, "]")) return std::nullopt;
  }
  if (const size_t zone = text.find('%'); zone != absl::string_view::npos) {
    text = text.substr(0, zone);
  }
  if (text.empty() || text.size() > 64) return std::nullopt;
  const std::string s(text);
  std::array<uint8_t, 16> out{};
  in_addr v4{};
  if (::inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    std::memcpy(out.data(), kMappedPrefix.data(), kMappedPrefix.size());
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

absl::StatusOr<IpRanges> IpRanges::Parse(absl::string_view list) {
  IpRanges ranges;
  for (absl::string_view item : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    item = absl::StripAsciiWhitespace(item);
    absl::string_view address = item;
    std::optional<int> prefix;
    if (const size_t slash = item.find('/'); slash != absl::string_view::npos) {
      address = item.substr(0, slash);
      int n = -1;
      if (!absl::SimpleAtoi(item.substr(slash + 1), &n)) n = -1;
      prefix = n;
    }
    const std::string shown(item.substr(0, 64));
    std::optional<std::array<uint8_t, 16>> base = ParseIpAddress(address);
    if (!base.has_value() || absl::StartsWith(address, "[")) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", shown, "\" is not an IP address or CIDR block"));
    }
    const bool v4 = address.find(':') == absl::string_view::npos;
    const int width = v4 ? 32 : 128;
    if (prefix.has_value() && (*prefix < 0 || *prefix > width)) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", shown, "\": the prefix length must be 0..", width));
    }
    ranges.blocks_.push_back({.base = *base, .prefix = (v4 ? 96 : 0) + prefix.value_or(width)});
  }
  return ranges;
}

bool IpRanges::Contains(absl::string_view address) const {
  std::optional<std::array<uint8_t, 16>> a = ParseIpAddress(address);
  if (!a.has_value()) return false;
  for (const Block& b : blocks_) {
    // An IPv4 block (prefix >= 96 over a mapped base) only matches IPv4(-mapped) addresses.
    if (IsMapped(b.base) && b.prefix >= 96 && !IsMapped(*a)) continue;
    if (Matches(*a, b.base, b.prefix)) return true;
  }
  return false;
}

}  // namespace lianfang::server
