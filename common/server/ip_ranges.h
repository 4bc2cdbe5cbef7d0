// IpRanges: a list of IP addresses and CIDR blocks ("127.0.0.1/32,::1/128,10.0.0.0/8"), and
// whether an address falls in one of them. Used to decide which peers are trusted proxies
// (whose `x-lf-client-address` metadata is believed).
//
//   ASSIGN_OR_RETURN(IpRanges trusted, IpRanges::Parse("127.0.0.1/32, ::1/128"));
//   trusted.Contains("127.0.0.1");   // true
//   trusted.Contains("10.0.0.1");    // false
//
// A bare address is a block of one (/32 or /128). IPv4 and IPv6 are separate families: an
// IPv4 block never matches an IPv6 address, except that an IPv4-mapped IPv6 address
// ("::ffff:127.0.0.1") is matched as the IPv4 address it carries. Immutable after Parse;
// thread-safe.
#ifndef LIANFANG_COMMON_SERVER_IP_RANGES_H_
#define LIANFANG_COMMON_SERVER_IP_RANGES_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lianfang::server {

// The 16 bytes of an IPv6 address, IPv4 as IPv4-mapped (::ffff:a.b.c.d); nullopt when `text`
// is not an address ("1.2.3.4", "::1", "[::1]" and an IPv6 zone "%eth0" are accepted).
std::optional<std::array<uint8_t, 16>> ParseIpAddress(absl::string_view text);

class IpRanges final {
 public:
  // Comma-separated addresses and blocks, spaces ignored; an empty list trusts nobody.
  // INVALID_ARGUMENT naming the bad item (not an address, a prefix out of range, bits set
  // beyond the prefix are accepted and ignored).
  static absl::StatusOr<IpRanges> Parse(absl::string_view list);

  // True when `address` (as ParseIpAddress reads it) is in one of the blocks; false for
  // anything that is not an address.
  bool Contains(absl::string_view address) const;

  bool empty() const { return blocks_.empty(); }

 private:
  struct Block {
    std::array<uint8_t, 16> base{};
    int prefix = 0;  // over the 128 bits (an IPv4 /n is 96 + n)
  };
  std::vector<Block> blocks_;
};

}  // namespace lianfang::server

#endif  // LIANFANG_COMMON_SERVER_IP_RANGES_H_
