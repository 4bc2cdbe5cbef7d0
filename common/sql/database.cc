#include "common/sql/database.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/sql/sqlite_database.h"
#ifdef LF_HAVE_POSTGRES
#include "common/sql/postgres_database.h"
#endif
#include "common/status/status_macros.h"

namespace lianfang::sql {

absl::StatusOr<std::optional<Row>> Session::QueryRow(absl::string_view sql,
                                                     std::span<const Value> params) {
  ASSIGN_OR_RETURN(Result result, DoExecute(sql, params));
  if (result.rows.empty()) return std::nullopt;
  return std::move(result.rows.front());
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(absl::string_view url,
                                                         const Options& options) {
  if (options.busy_timeout < absl::ZeroDuration() || options.write_lock_attempts < 1 ||
      options.max_batch < 1 || options.max_readers < 1) {
    return absl::InvalidArgumentError(
        "database options need busy_timeout >= 0 and write_lock_attempts, max_batch and "
        "max_readers >= 1");
  }
  if (absl::StartsWith(url, "postgresql://") || absl::StartsWith(url, "postgres://")) {
#ifdef LF_HAVE_POSTGRES
    return internal::OpenPostgres(url, options);
#else
    // The URL is not echoed: it may carry a password.
    return absl::InvalidArgumentError(
        "this build supports sqlite: URLs only (it was built without libpq; install "
        "libpq-dev and reconfigure)");
#endif
  }
  if (!absl::StartsWith(url, "sqlite:")) {
    return absl::InvalidArgumentError(
        "the database URL must be sqlite:PATH (e.g. sqlite:var/gate.db) or postgresql://...");
  }
  absl::string_view path = url.substr(7);
  if (absl::StartsWith(path, "//")) path.remove_prefix(2);  // sqlite:///abs/path
  if (path.empty()) {
    return absl::InvalidArgumentError(
        "the database URL sqlite: needs a file path, e.g. sqlite:var/gate.db");
  }
  if (path == ":memory:" || absl::StartsWith(path, "file:")) {
    return absl::InvalidArgumentError(
        "the database URL must name a plain file path (in-memory and URI forms are not "
        "supported)");
  }
  return internal::OpenSqlite(std::string(path.data(), path.size()), options);
}

absl::StatusOr<int> SchemaVersion(Database& db, absl::string_view component) {
  int version = 0;
  const std::string name(component.data(), component.size());
  RETURN_IF_ERROR(db.Read([&](Session& session) -> absl::Status {
    const char* exists_sql = session.dialect() == Dialect::kSqlite
                                 ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
                                   " AND name = 'lf_schema_migrations'"
                                 : "SELECT COUNT(*) FROM information_schema.tables"
                                   " WHERE table_name = 'lf_schema_migrations'"
                                   " AND table_schema = current_schema()";
    ASSIGN_OR_RETURN(std::optional<Row> exists, session.QueryRow(exists_sql));
    if (!exists.has_value() || exists->Int(0) == 0) return absl::OkStatus();
    ASSIGN_OR_RETURN(
        std::optional<Row> row,
        session.QueryRow(
            "SELECT COALESCE(MAX(version), 0) FROM lf_schema_migrations WHERE component = $1",
            {name}));
    if (row.has_value()) version = static_cast<int>(row->Int(0));
    return absl::OkStatus();
  }));
  return version;
}

}  // namespace lianfang::sql
