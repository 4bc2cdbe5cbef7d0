#include "common/redis/endpoint.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace lianfang::redis {
namespace {

absl::Status Bad(absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid Redis URL (expected redis://HOST:PORT[/DB]): ", problem));
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

}  // namespace

std::string Endpoint::ToString() const {
  if (absl::StrContains(host, ':')) return absl::StrCat("[", host, "]:", port, "/", db);
  return absl::StrCat(host, ":", port, "/", db);
}

absl::StatusOr<Endpoint> ParseUrl(absl::string_view url) {
  constexpr absl::string_view kScheme = "redis://";
  if (!absl::StartsWith(url, kScheme)) {
    if (absl::StartsWith(url, "rediss://")) return Bad("TLS (rediss://) is not supported");
    return Bad("it must start with redis://");
  }
  absl::string_view rest = url.substr(kScheme.size());
  if (absl::StrContains(rest, '@')) return Bad("credentials in the URL are not supported");
  if (rest.find_first_of("?#") != absl::string_view::npos) {
    return Bad("query strings and fragments are not supported");
  }
  absl::string_view authority = rest;
  absl::string_view path;
  if (const size_t slash = rest.find('/'); slash != absl::string_view::npos) {
    authority = rest.substr(0, slash);
    path = rest.substr(slash + 1);
  }

  Endpoint endpoint;
  absl::string_view port_text;
  bool has_port = false;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return Bad("unterminated [IPv6] host");
    endpoint.host = std::string(authority.substr(1, close - 1));
    if (!ValidIpv6(endpoint.host)) return Bad("the bracketed host is not an IPv6 address");
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Bad("unexpected text after the [IPv6] host");
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    const size_t colon = authority.find(':');
    endpoint.host = std::string(authority.substr(0, colon));
    if (colon != absl::string_view::npos) {
      port_text = authority.substr(colon + 1);
      has_port = true;
    }
    if (endpoint.host.empty()) return Bad("the host is missing");
    if (!ValidHostName(endpoint.host)) {
      return Bad("the host may hold only letters, digits, '-', '.' and '_'");
    }
  }
  if (has_port) {
    int port = 0;
    if (!AllDigits(port_text) || port_text.size() > 5 || !absl::SimpleAtoi(port_text, &port) ||
        port < 1 || port > 65535) {
      return Bad("the port must be a number from 1 to 65535");
    }
    endpoint.port = port;
  }
  if (!path.empty()) {
    int db = 0;
    if (!AllDigits(path) || path.size() > 9 || !absl::SimpleAtoi(path, &db)) {
      return Bad("the database after '/' must be a non-negative number");
    }
    endpoint.db = db;
  }
  return endpoint;
}

}  // namespace lianfang::redis
