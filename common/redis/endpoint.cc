#include "common/redis/endpoint.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace lianfang::redis {
namespace {

constexpr absl::string_view kScheme = "redis://";
constexpr absl::string_view kSentinelScheme = "redis-sentinel://";
// Bounds that no real deployment reaches; they keep a pasted mistake from becoming a list of
// thousands of connection attempts.
constexpr size_t kMaxSentinels = 16;
constexpr size_t kMaxMasterName = 64;

absl::Status Bad(absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid Redis URL (expected ", kUrlForms, "): ", problem));
}

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool ValidHostName(absl::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (!absl::ascii_isalnum(u) && c != '-' && c != '.' && c != '_') return false;
  }
  return true;
}

bool ValidIpv6(absl::string_view host) {
  if (host.empty() || host.size() > 45) return false;
  for (char c : host) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (!absl::ascii_isxdigit(u) && c != ':' && c != '.') return false;
  }
  return absl::StrContains(host, ':');
}

bool ValidMasterName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxMasterName) return false;
  for (char c : name) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (!absl::ascii_isalnum(u) && c != '-' && c != '.' && c != '_') return false;
  }
  return true;
}

// HOST[:PORT] with HOST a name, an IPv4 address or a bracketed IPv6 address. Without a port,
// `default_port` is used, or the port is reported missing when `default_port` is 0.
absl::StatusOr<Address> ParseAddress(absl::string_view authority, int default_port) {
  Address address;
  absl::string_view port_text;
  bool has_port = false;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return Bad("unterminated [IPv6] host");
    address.host = std::string(authority.substr(1, close - 1));
    if (!ValidIpv6(address.host)) return Bad("the bracketed host is not an IPv6 address");
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Bad("unexpected text after the [IPv6] host");
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    const size_t colon = authority.find(':');
    address.host = std::string(authority.substr(0, colon));
    if (colon != absl::string_view::npos) {
      port_text = authority.substr(colon + 1);
      has_port = true;
    }
    if (address.host.empty()) return Bad("the host is missing");
    if (!ValidHostName(address.host)) {
      return Bad("the host may hold only letters, digits, '-', '.' and '_'");
    }
  }
  if (!has_port) {
    if (default_port == 0) return Bad("each Sentinel needs its port (HOST:PORT)");
    address.port = default_port;
    return address;
  }
  int port = 0;
  if (!AllDigits(port_text) || port_text.size() > 5 || !absl::SimpleAtoi(port_text, &port) ||
      port < 1 || port > 65535) {
    return Bad("the port must be a number from 1 to 65535");
  }
  address.port = port;
  return address;
}

absl::StatusOr<int> ParseDb(absl::string_view text) {
  int db = 0;
  if (!AllDigits(text) || text.size() > 9 || !absl::SimpleAtoi(text, &db)) {
    return Bad("the database after '/' must be a non-negative number");
  }
  return db;
}

// redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTER_NAME[/DB], `rest` after the scheme.
absl::StatusOr<Endpoint> ParseSentinel(absl::string_view rest) {
  const size_t slash = rest.find('/');
  const absl::string_view authority = rest.substr(0, slash);
  if (authority.empty()) return Bad("no Sentinel HOST:PORT is given");
  if (slash == absl::string_view::npos) return Bad("the master name after '/' is missing");
  const std::vector<absl::string_view> path = absl::StrSplit(rest.substr(slash + 1), '/');
  Endpoint endpoint;
  for (absl::string_view one : absl::StrSplit(authority, ',')) {
    if (endpoint.sentinels.size() == kMaxSentinels) {
      return Bad(absl::StrCat("at most ", kMaxSentinels, " Sentinels may be listed"));
    }
    absl::StatusOr<Address> address = ParseAddress(one, /*default_port=*/0);
    if (!address.ok()) return address.status();
    endpoint.sentinels.push_back(*std::move(address));
  }
  // path: NAME, NAME/, NAME/DB or NAME/DB/ (a trailing slash is allowed, as for redis://).
  size_t parts = path.size();
  if (parts > 1 && path.back().empty()) --parts;
  if (path[0].empty()) return Bad("the master name after '/' is missing");
  if (!ValidMasterName(path[0])) {
    return Bad(absl::StrCat("the master name may hold only letters, digits, '-', '.' and '_' (",
                            kMaxMasterName, " at most)"));
  }
  endpoint.master_name = std::string(path[0]);
  if (parts > 2) return Bad("unexpected text after the database");
  if (parts == 2) {
    absl::StatusOr<int> db = ParseDb(path[1]);
    if (!db.ok()) return db.status();
    endpoint.db = *db;
  }
  return endpoint;
}

}  // namespace

std::string Address::ToString() const {
  if (absl::StrContains(host, ':')) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

std::string Endpoint::ToString() const {
  if (uses_sentinel()) {
    return absl::StrCat("master ", master_name, " via Sentinel ",
                        absl::StrJoin(sentinels, ",",
                                      [](std::string* out, const Address& a) {
                                        absl::StrAppend(out, a.ToString());
                                      }),
                        " (db ", db, ")");
  }
  return absl::StrCat(Address{host, port}.ToString(), "/", db);
}

absl::StatusOr<Endpoint> ParseUrl(absl::string_view url) {
  const bool sentinel = absl::StartsWith(url, kSentinelScheme);
  if (!sentinel && !absl::StartsWith(url, kScheme)) {
    if (absl::StartsWith(url, "rediss://")) return Bad("TLS (rediss://) is not supported");
    return Bad("it must start with redis:// or redis-sentinel://");
  }
  absl::string_view rest = url.substr(sentinel ? kSentinelScheme.size() : kScheme.size());
  if (absl::StrContains(rest, '@')) return Bad("credentials in the URL are not supported");
  if (rest.find_first_of("?#") != absl::string_view::npos) {
    return Bad("query strings and fragments are not supported");
  }
  if (sentinel) return ParseSentinel(rest);

  absl::string_view authority = rest;
  absl::string_view path;
  if (const size_t slash = rest.find('/'); slash != absl::string_view::npos) {
    authority = rest.substr(0, slash);
    path = rest.substr(slash + 1);
  }
  if (absl::StrContains(authority, ',')) {
    return Bad("a list of hosts is only for Sentinels (redis-sentinel://)");
  }
  absl::StatusOr<Address> address = ParseAddress(authority, /*default_port=*/6379);
  if (!address.ok()) return address.status();
  Endpoint endpoint;
  endpoint.host = std::move(address->host);
  endpoint.port = address->port;
  if (!path.empty()) {
    absl::StatusOr<int> db = ParseDb(path);
    if (!db.ok()) return db.status();
    endpoint.db = *db;
  }
  return endpoint;
}

}  // namespace lianfang::redis
