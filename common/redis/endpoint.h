// Endpoint: where Redis is, parsed from the LF_REDIS setting: one server (redis://), or the
// current master of a group that Redis Sentinel watches (redis-sentinel://).
//
//   ASSIGN_OR_RETURN(redis::Endpoint endpoint, redis::ParseUrl("redis://127.0.0.1:6379/0"));
//   ASSIGN_OR_RETURN(redis::Endpoint group,
//                    redis::ParseUrl("redis-sentinel://10.0.0.5:26379,10.0.0.6:26379/lf/0"));
//
// ParseUrl is the one parser of LF_REDIS: the configuration check (common/config) and the
// clients (Client, Subscriber) both use it.
#ifndef LIANFANG_COMMON_REDIS_ENDPOINT_H_
#define LIANFANG_COMMON_REDIS_ENDPOINT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lianfang::redis {

// A host and a port: a Redis server or a Sentinel.
struct Address {
  std::string host;  // a host name, an IPv4 address, or an IPv6 address without brackets
  int port = 0;

  // "host:port" ("[::1]:26379" for IPv6).
  std::string ToString() const;
  bool operator==(const Address&) const = default;
};

struct Endpoint {
  // redis://: the server. Unused when `sentinels` is not empty.
  std::string host;  // a host name, an IPv4 address, or an IPv6 address without brackets
  int port = 6379;
  // The database selected on every connection (both forms).
  int db = 0;
  // redis-sentinel://: the Sentinels to ask, in order, for the address of the master named
  // `master_name`. Empty for redis://.
  std::vector<Address> sentinels = {};
  std::string master_name = {};

  bool uses_sentinel() const { return !sentinels.empty(); }
  // "host:port/db" ("[::1]:6379/0" for IPv6), or for Sentinel "master NAME via Sentinel
  // h1:p1,h2:p2 (db N)"; for log lines and error messages.
  std::string ToString() const;
  bool operator==(const Endpoint&) const = default;
};

// The forms ParseUrl accepts, for help texts and error messages.
inline constexpr char kUrlForms[] =
    "redis://HOST[:PORT][/DB] or redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTER_NAME[/DB]";

// Parses LF_REDIS:
//   redis://HOST[:PORT][/DB]: HOST a name, an IPv4 address or a bracketed IPv6 address;
//     PORT 1..65535 (default 6379); DB a non-negative integer (default 0).
//   redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTER_NAME[/DB]: one or more Sentinels (each
//     with its port, hosts as above, at most 16), the name of the master they watch (letters,
//     digits, '-', '_', '.'; at most 64), and the database (default 0).
// A trailing slash is allowed. Credentials, query strings, fragments and other schemes
// (rediss://, unix://) are not supported.
// INVALID_ARGUMENT stating the expected form and the problem otherwise; the message never
// repeats any part of the text (it may hold a password).
absl::StatusOr<Endpoint> ParseUrl(absl::string_view url);

}  // namespace lianfang::redis

#endif  // LIANFANG_COMMON_REDIS_ENDPOINT_H_
