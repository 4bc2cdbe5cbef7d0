// The PostgreSQL implementation of sql::Database (libpq). Internal to lf_sql: use
// Database::Open("postgresql://user[:password]@host[:port]/dbname[?param=value...]"), or the
// libpq multi-host form "postgresql://user@h1:p1,h2:p2/dbname?target_session_attrs=read-write"
// (a primary and its standbys: every connection goes to the one that accepts writes).
//
// Same semantics as the SQLite driver:
//   - Options::writers writer threads, each owning a write connection of its own, commit the
//     queued write functions in batches (a function goes to one of them, see Options::writers):
//     BEGIN ISOLATION LEVEL SERIALIZABLE, one SAVEPOINT per function, one COMMIT.
//     Each statement of a write function that writes (anything but SELECT) runs under its own
//     savepoint too, so a failed write (a UNIQUE violation the function handles) is undone
//     alone and the function goes on, as on SQLite. A failed SELECT is not: the function's
//     later statements fail with ABORTED and its changes are rolled back (the batch goes on).
//     The savepoints ride in the round trip of the statement they guard (libpq's pipeline
//     mode), and a function's is released with the next function's first statement or by the
//     COMMIT: a statement costs one round trip. A deferred statement
//     (Session::ExecuteDeferred: a write whose answer the function does not need) costs
//     none and no savepoint: it waits for the function's next statement, or else for the next
//     function's first one or the COMMIT, and goes in their round trip, ahead of them.
//     Should it fail, the function it belongs to fails alone: the error becomes its result,
//     its savepoint is rolled back (a function whose first round trip carried the failed
//     statement has run nothing yet and runs again). synchronous_commit is left at the
//     server's setting (keep it `on`: a committed batch then survives a crash).
//   - No lock covers the database: the writers of one process, and of several processes
//     (replicas of a service), commit side by side. Serializable isolation keeps every rule that
//     reads then writes (a person's presence, a site's capacity, a task's claim, a stock balance)
//     as if the transactions ran one after another: of two that conflict, PostgreSQL fails one with
//     40001 (or 40P01 for a deadlock), and the writer rolls its batch back and runs every
//     function of it again (Options::conflict_retries, database.h). Row locks wait up to
//     Options::busy_timeout (lock_timeout), then UNAVAILABLE.
//   - Reads run on a pool of Options::max_readers connections, each Read in one
//     REPEATABLE READ READ ONLY transaction (one snapshot; writes fail with INTERNAL). Open
//     makes every writer's and every reader's connection (and fails when one cannot be made),
//     so no request waits for a connection, or for the server's name to resolve, later.
//   - Statements are prepared once per connection (keyed by text and parameter types) and
//     bound natively: integers as int8, doubles as float8, text as text, Bytes as binary
//     bytea, NULL untyped. Results: integer types and booleans (as 0/1) read as integers,
//     numeric as an integer when integral else a double, bytea as Bytes, anything else text.
//   - Codes by SQLSTATE: 23505 ALREADY_EXISTS; 23503/23502/23514 (any other 23xxx too)
//     FAILED_PRECONDITION; 40001/40P01 ABORTED (a conflict: the batch is run again); 55P03 (lock
//     timeout), 57P0x and a lost connection UNAVAILABLE; 53xxx RESOURCE_EXHAUSTED; 25006 (a write
//     in Read) and the rest INTERNAL. Messages carry the server's primary message only (never
//     DETAIL, which quotes row values; data-exception messages, which quote input, are replaced),
//     never a password.
//   - Every connection asks for a read-write session (target_session_attrs=read-write unless
//     the URL sets it): libpq tries the listed hosts in order and skips a standby.
//   - A connection lost (server restart, primary crashed) fails the batch or Read in progress
//     with UNAVAILABLE; the next batch or Read reconnects (a Read skips every dead idle
//     connection), and fails UNAVAILABLE while no listed host accepts writes (a standby not
//     yet promoted). After a failed connection attempt the next one waits 20 ms, doubling up
//     to 1 s, one attempt at a time (the writer's and the readers' alike); calls in between
//     fail at once with the last attempt's UNAVAILABLE, so retrying callers do not storm the
//     standby, and a promotion is noticed within about a second.
//   - A write refused because the server is read-only (SQLSTATE 25006 on the writer: a
//     standby, or a primary fenced with default_transaction_read_only) fails its whole batch
//     with UNAVAILABLE, and the next batch reconnects.
//   - Nothing is retried by the driver. A write is acknowledged (OK) only after its COMMIT
//     succeeded, i.e. with a synchronous standby and synchronous_commit on, once the standby
//     has flushed it too; a batch whose COMMIT got no answer may or may not be committed, and
//     its functions get UNAVAILABLE: callers retry with their idempotency keys
//     (docs/deployment.md, "PostgreSQL failover").
//   - Migrate applies `postgres_sql`, or TranslateToPostgres(sql) when it is empty, while it
//     holds a session advisory lock on a connection of its own (waiting up to 5 minutes for
//     another migrator), so concurrent migrators (several processes) apply each step once.
//
// Writing SQL that runs on both: `$N` placeholders; ON CONFLICT instead of INSERT OR
// IGNORE/REPLACE; COALESCE instead of IFNULL; CASE instead of two-argument MAX/MIN; no bare
// integer columns as conditions (`WHERE flag = 1`); no LIMIT -1; times as int64 micros, not
// strftime. Differences to keep in mind: ascending ORDER BY puts NULLs last on PostgreSQL and
// first on SQLite; text compares by the database collation (create databases with C or
// C.UTF-8 collation to sort as SQLite does); LIKE is case-sensitive on PostgreSQL.
#ifndef LIANFANG_COMMON_SQL_POSTGRES_DATABASE_H_
#define LIANFANG_COMMON_SQL_POSTGRES_DATABASE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/sql/database.h"

namespace lianfang::sql::internal {

// Connects to the database named by the libpq URL `url`. REQUIRES: options validated.
// INVALID_ARGUMENT when the URL is malformed; UNAVAILABLE when the server cannot be reached
// or refuses the connection (bad credentials, missing database: the message says which).
absl::StatusOr<std::unique_ptr<Database>> OpenPostgres(absl::string_view url,
                                                       const Options& options);

}  // namespace lianfang::sql::internal

#endif  // LIANFANG_COMMON_SQL_POSTGRES_DATABASE_H_
