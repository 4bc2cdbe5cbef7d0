#include "common/sql/database.h"

#include <string>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/sql/migration_runner.h"
#include "common/sql/sqlite_database.h"
#ifdef LF_HAVE_POSTGRES
#include "common/sql/postgres_database.h"
#endif
#include "common/status/status_macros.h"

namespace lianfang::sql {
namespace {

// The payload key that marks a driver's constraint-violation status. Never leaves the process:
// WriteOutcome replaces the status before it reaches a caller of Write.
constexpr char kConstraintViolationUrl[] = "lianfang.sql/constraint-violation";
// The payload key that marks a serialization failure or deadlock (the batch is run again).
constexpr char kConflictUrl[] = "lianfang.sql/conflict";

}  // namespace

bool IsConstraintViolation(const absl::Status& status) {
  return !status.ok() && status.GetPayload(kConstraintViolationUrl).has_value();
}

namespace internal {

absl::Status MarkConstraintViolation(absl::Status status) {
  status.SetPayload(kConstraintViolationUrl, absl::Cord());
  return status;
}

absl::Status MarkConflict(absl::Status status) {
  status.SetPayload(kConflictUrl, absl::Cord());
  return status;
}

bool IsConflict(const absl::Status& status) {
  return !status.ok() && status.GetPayload(kConflictUrl).has_value();
}

absl::Status WriteOutcome(absl::Status status) {
  if (!IsConstraintViolation(status)) return status;
  return absl::InternalError(
      absl::StrCat("unexpected database constraint violation: ", status.message()));
}

}  // namespace internal

absl::StatusOr<std::optional<Row>> Session::QueryRow(absl::string_view sql,
                                                     std::span<const Value> params) {
  ASSIGN_OR_RETURN(Result result, DoExecute(sql, params));
  if (result.rows.empty()) return std::nullopt;
  return std::move(result.rows.front());
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(absl::string_view url,
                                                         const Options& options) {
  if (options.busy_timeout < absl::ZeroDuration() || options.write_lock_attempts < 1 ||
      options.max_batch < 1 || options.max_readers < 1 || options.conflict_retries < 0 ||
      options.writers < 1 || options.writers > kMaxWriters) {
    return absl::InvalidArgumentError(absl::StrCat(
        "database options need busy_timeout >= 0, write_lock_attempts, max_batch and "
        "max_readers >= 1, conflict_retries >= 0 and writers 1..",
        kMaxWriters));
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

namespace internal {
namespace {

constexpr char kCreateMigrationsTable[] =
    "CREATE TABLE IF NOT EXISTS lf_schema_migrations ("
    " component TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " name TEXT NOT NULL,"
    " applied_at BIGINT NOT NULL,"
    " PRIMARY KEY (component, version))";
constexpr char kMaxVersion[] =
    "SELECT COALESCE(MAX(version), 0) FROM lf_schema_migrations WHERE component = $1";
constexpr char kInsertVersion[] =
    "INSERT INTO lf_schema_migrations (component, version, name, applied_at)"
    " VALUES ($1, $2, $3, $4)";

}  // namespace

absl::Status RunMigrations(
    Database& db, absl::string_view component, std::span<const Migration> migrations,
    absl::FunctionRef<absl::Status(Session&, absl::string_view)> exec_script,
    absl::FunctionRef<std::string(const Migration&)> text_of) {
  if (component.empty()) {
    return absl::InvalidArgumentError("a migration component needs a name");
  }
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i + 1) || migrations[i].sql.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the migrations of ", component,
                       " must be numbered 1, 2, 3... in order, each with SQL text"));
    }
  }
  const int64_t known = static_cast<int64_t>(migrations.size());
  const std::string name(component.data(), component.size());

  // Refuses a schema newer than this binary. The driver makes migrators in several processes
  // take turns (SQLite: the file's write lock; PostgreSQL: a migration lock held around this
  // call), and each re-reads the version.
  bool too_new = false;
  auto check_version = [&](Session& session) -> absl::StatusOr<int64_t> {
    ASSIGN_OR_RETURN(std::optional<Row> row, session.QueryRow(kMaxVersion, {name}));
    const int64_t current = row.has_value() ? row->Int(0) : 0;
    if (current > known) {
      too_new = true;
      return absl::FailedPreconditionError(
          absl::StrCat("the database schema of ", name, " is at version ", current,
                       " but this binary knows versions up to ", known,
                       "; run a binary at least as new as the one that last used this database"));
    }
    return current;
  };
  RETURN_IF_ERROR(db.Write([&](Session& session) -> absl::Status {
    RETURN_IF_ERROR(exec_script(session, kCreateMigrationsTable));
    return check_version(session).status();
  }));

  for (const Migration& migration : migrations) {
    const std::string text = text_of(migration);
    absl::Status status = db.Write([&](Session& session) -> absl::Status {
      // Checked again in the migration's own transaction: another process may have applied
      // it (or a newer one) meanwhile.
      ASSIGN_OR_RETURN(int64_t current, check_version(session));
      if (current >= migration.version) return absl::OkStatus();
      RETURN_IF_ERROR(exec_script(session, text));
      return session.Execute(kInsertVersion, {name, migration.version, migration.name, absl::Now()})
          .status();
    });
    if (!status.ok()) {
      if (too_new) return status;
      return absl::Status(status.code(),
                          absl::StrCat("migration ", migration.version, " (", migration.name,
                                       ") of ", name, " failed: ", status.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace internal

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
