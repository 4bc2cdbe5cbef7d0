// The migration bookkeeping both SQL drivers share (internal to common/sql): validates a
// component's migration list, keeps `lf_schema_migrations`, refuses a schema newer than the
// binary, and applies each missing migration in its own write transaction. The drivers supply
// how a multi-statement script runs on their session and which text a migration uses.
#ifndef LIANFANG_COMMON_SQL_MIGRATION_RUNNER_H_
#define LIANFANG_COMMON_SQL_MIGRATION_RUNNER_H_

#include <span>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/sql/database.h"

namespace lianfang::sql::internal {

// Implements Database::Migrate (see its contract in database.h) on top of `db.Write`.
// `exec_script(session, text)` runs a parameterless script of one or more statements in the
// session's transaction; `text_of(migration)` is the migration's SQL for this driver's dialect.
absl::Status RunMigrations(
    Database& db, absl::string_view component, std::span<const Migration> migrations,
    absl::FunctionRef<absl::Status(Session&, absl::string_view)> exec_script,
    absl::FunctionRef<std::string(const Migration&)> text_of);

}  // namespace lianfang::sql::internal

#endif  // LIANFANG_COMMON_SQL_MIGRATION_RUNNER_H_
