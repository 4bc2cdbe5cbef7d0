// Endpoint: where a Redis server is, parsed from the LF_REDIS setting.
//
//   ASSIGN_OR_RETURN(redis::Endpoint endpoint, redis::ParseUrl("redis://127.0.0.1:6379/0"));
#ifndef LIANFANG_COMMON_REDIS_ENDPOINT_H_
#define LIANFANG_COMMON_REDIS_ENDPOINT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lianfang::redis {

struct Endpoint {
  std::string host;  // a host name, an IPv4 address, or an IPv6 address without brackets
  int port = 6379;
  int db = 0;

  // "host:port/db" ("[::1]:6379/0" for IPv6); for log lines and error messages.
  std::string ToString() const;
  bool operator==(const Endpoint&) const = default;
};

// Parses `redis://HOST[:PORT][/DB]`: HOST a name, an IPv4 address or a bracketed IPv6
// address; PORT 1..65535 (default 6379); DB a non-negative integer (default 0). A trailing
// slash is allowed. Credentials, query strings, fragments and other schemes (rediss://,
// unix://) are not supported.
// INVALID_ARGUMENT naming the problem otherwise; the message never repeats a credential.
absl::StatusOr<Endpoint> ParseUrl(absl::string_view url);

}  // namespace lianfang::redis

#endif  // LIANFANG_COMMON_REDIS_ENDPOINT_H_
