// The SQLite implementation of sql::Database. Internal to lf_sql: use Database::Open.
//
// One writer thread owns the write connection and commits queued write functions in batches
// (BEGIN IMMEDIATE, one SAVEPOINT per function, one COMMIT); a small pool of reader
// connections serves Read. The file is in WAL mode with synchronous=FULL, so a committed
// batch survives a crash and readers run alongside the writer.
#ifndef LIANFANG_COMMON_SQL_SQLITE_DATABASE_H_
#define LIANFANG_COMMON_SQL_SQLITE_DATABASE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/sql/database.h"

namespace lianfang::sql::internal {

// Opens (creating when missing) the SQLite file at `path`. REQUIRES: options validated.
// FAILED_PRECONDITION when the directory is missing or the file cannot be opened, is not a
// database or cannot use WAL.
absl::StatusOr<std::unique_ptr<Database>> OpenSqlite(const std::string& path,
                                                     const Options& options);

}  // namespace lianfang::sql::internal

#endif  // LIANFANG_COMMON_SQL_SQLITE_DATABASE_H_
