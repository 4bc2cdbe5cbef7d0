// What a PostgreSQL URL names, shared by the connections of lf_sql (the driver,
// postgres_database.h, and the notification listener, listener.h). Internal to lf_sql.
//
// A Target keeps the URL as given (handed to libpq), a description for messages
// ("host:port/dbname", several hosts comma-separated) and the password, so that every message
// built from libpq's text can be scrubbed of it. No message built here names the password.
#ifndef LIANFANG_COMMON_SQL_POSTGRES_TARGET_H_
#define LIANFANG_COMMON_SQL_POSTGRES_TARGET_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lianfang::sql::internal {

struct Target {
  std::string url;
  std::string description;  // "host:port/dbname"
  std::string password;     // "" when none
};

// Parses a libpq URL (postgresql://user[:password]@host[:port][,host[:port]...]/dbname[?...]).
// INVALID_ARGUMENT when libpq cannot parse it (the message does not quote the URL).
absl::StatusOr<Target> ParseTarget(absl::string_view url);

// `message` (libpq's or the server's) on one line, without trailing blanks, with the target's
// password replaced by "***".
std::string Scrub(const Target& target, absl::string_view message);

}  // namespace lianfang::sql::internal

#endif  // LIANFANG_COMMON_SQL_POSTGRES_TARGET_H_
