// The SQL database every Lianfang service stores through: a driver-neutral interface
// (`Database`, `Session`); SQLite and PostgreSQL drivers (postgres_database.h) behind Open.
//
// Writes go through a writer that commits many callers' transactions together (group commit:
// one fsync for a whole batch), so durable writes scale with load; SQLite has one writer per
// Database, PostgreSQL Options::writers, each with its own connection:
//
//   absl::Status st = db->Write([&](sql::Session& s) -> absl::Status {
//     ASSIGN_OR_RETURN(sql::Result r, s.Execute(kInsertPassage, {site_id, gate_id, now}));
//     RETURN_IF_ERROR(audit::Record(s, event));
//     return absl::OkStatus();     // commit; any error rolls back this function's changes only
//   });
//
//   // From a gRPC callback handler, finish the reactor once the commit is durable:
//   db->WriteAsync(std::move(fn), [reactor](absl::Status st) { reactor->Finish(ToGrpc(st)); });
//
//   absl::Status st = db->Read([&](sql::Session& s) { ...SELECTs on one snapshot... });
//
// SQL text is portable between SQLite and PostgreSQL: `$1..$N` placeholders (each supplied
// parameter must be used), `INSERT ... ON CONFLICT`, `RETURNING`, times as microseconds in
// INTEGER/BIGINT columns, booleans as 0/1 integers (see value.h). Where the dialects differ
// (DDL mostly), `Migration::postgres_sql` (else postgres_translate.h) carries the variant.
//
// Status codes of statement errors (Session::Execute):
//   ALREADY_EXISTS       a UNIQUE or PRIMARY KEY constraint was violated (statement undone);
//   FAILED_PRECONDITION  a CHECK, FOREIGN KEY or NOT NULL constraint was violated;
//   UNAVAILABLE          busy (locked beyond the timeout), or PostgreSQL unreachable/lost;
//   ABORTED              a serialization failure or deadlock (PostgreSQL 40001/40P01): the
//                        writer rolls the whole batch back and runs it again (up to
//                        Options::conflict_retries times), so a write function sees it only
//                        in passing; Write returns it only when every run conflicted;
//   RESOURCE_EXHAUSTED   the disk or database is full;
//   INTERNAL             anything else (bad SQL, wrong parameter count, a write in Read...).
// Messages never contain bound parameter values or the SQL text (they may name tables and
// columns).
//
// Constraint violations (the ALREADY_EXISTS and FAILED_PRECONDITION above, IsConstraintViolation)
// are for the write function to handle, e.g. by drawing another random code, or by answering
// its own domain status ("this plate is already registered for the site"). One that the
// function returns unhandled is a defect of the store code, not an answer: Write and WriteAsync
// return it as INTERNAL ("unexpected database constraint violation: <detail>"), so that no
// caller takes it for a domain code and no client sees the `table.column` it names (the gRPC
// adapter logs INTERNAL details and shows the client a generic message).
#ifndef LIANFANG_COMMON_SQL_DATABASE_H_
#define LIANFANG_COMMON_SQL_DATABASE_H_

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/sql/value.h"

namespace lianfang::server {
class Metrics;
}  // namespace lianfang::server

namespace lianfang::sql {

// The SQL dialect behind a Database; selects per-dialect migration text.
enum class Dialect { kSqlite, kPostgres };

// A transaction in progress, handed to the functions given to Database::Write/Read.
// Valid only during that call; not thread-safe (use it from the calling thread only).
// Do not issue BEGIN/COMMIT/ROLLBACK through it: the Database owns the transaction.
class Session {
 public:
  virtual ~Session() = default;

  // Runs one statement with `params` bound to $1..$N and returns its rows (SELECT or
  // RETURNING) and affected-row count. Exactly one statement per call; the number of
  // parameters must equal the number of distinct $N in the text. Codes: see the file comment.
  absl::StatusOr<Result> Execute(absl::string_view sql, std::span<const Value> params) {
    return DoExecute(sql, params);
  }
  absl::StatusOr<Result> Execute(absl::string_view sql, std::initializer_list<Value> params = {}) {
    return DoExecute(sql, std::span<const Value>(params.begin(), params.size()));
  }

  // Like Execute, and returns the first row, or nullopt when the statement returned none.
  absl::StatusOr<std::optional<Row>> QueryRow(absl::string_view sql, std::span<const Value> params);
  absl::StatusOr<std::optional<Row>> QueryRow(absl::string_view sql,
                                              std::initializer_list<Value> params = {}) {
    return QueryRow(sql, std::span<const Value>(params.begin(), params.size()));
  }

  // Runs a write statement whose rows and count the function does not need and whose failure
  // it does not handle: return the status as for Execute. PostgreSQL may send it later, with
  // the function's next statement or when the function returns (one round trip for several),
  // so an OK here can be provisional; should the statement fail then, its error becomes the
  // function's result, whatever the function returned, and the function's changes are undone.
  // The function's later statements see its effect. SQLite runs it at once. Not for a
  // statement whose constraint violation the function answers (use Execute).
  absl::Status ExecuteDeferred(absl::string_view sql, std::span<const Value> params) {
    return DoExecuteDeferred(sql, params);
  }
  absl::Status ExecuteDeferred(absl::string_view sql, std::initializer_list<Value> params = {}) {
    return DoExecuteDeferred(sql, std::span<const Value>(params.begin(), params.size()));
  }

  // Announces a read (a SELECT) the function will then run with Execute or QueryRow: in a
  // write transaction PostgreSQL sends it with the function's next statement, in one round
  // trip, and the later Execute of the same text and parameters gets that answer without
  // another (once; one never asked for is dropped). Only for a read no statement run in
  // between can change: the answer is of the state it was sent in. If it fails, the statement
  // it went with, the read when asked and later ones fail (as after any failed read). Writes,
  // and reads in Database::Read, are not announced; SQLite ignores it (reads run when asked).
  void Prefetch(absl::string_view sql, std::span<const Value> params) { DoPrefetch(sql, params); }
  void Prefetch(absl::string_view sql, std::initializer_list<Value> params = {}) {
    DoPrefetch(sql, std::span<const Value>(params.begin(), params.size()));
  }

  virtual Dialect dialect() const = 0;
  // False inside Database::Read: writes there fail with INTERNAL.
  virtual bool writable() const = 0;

 protected:
  virtual absl::StatusOr<Result> DoExecute(absl::string_view sql,
                                           std::span<const Value> params) = 0;
  virtual absl::Status DoExecuteDeferred(absl::string_view sql, std::span<const Value> params) {
    return DoExecute(sql, params).status();
  }
  virtual void DoPrefetch(absl::string_view /*sql*/, std::span<const Value> /*params*/) {}
};

// One schema step of a component (a service or a common library). Versions of a component
// start at 1 and increase by one per migration; a released migration is never edited.
struct Migration {
  int version = 0;
  std::string name{};          // short description, e.g. "create passages"
  std::string sql{};           // one or more statements separated by ';' (SQLite, and the default)
  std::string postgres_sql{};  // PostgreSQL text when it differs from `sql`; empty = use `sql`
};

// Counters for metrics. Monotonic since Open.
struct Stats {
  int64_t commits = 0;        // write transactions committed (each one fsync)
  int64_t writes = 0;         // Write/WriteAsync functions committed
  int64_t failed_writes = 0;  // functions that ended in an error (theirs or the commit's)
  int64_t largest_batch = 0;  // most functions committed together
  int64_t conflict_retries = 0;  // batches run again after a serialization failure or deadlock
};

// Options::writers: its default and largest accepted value.
inline constexpr int kDefaultPostgresWriters = 1;
inline constexpr int kMaxWriters = 16;

// Settings for Database::Open.
struct Options {
  // Where the writer records its metrics (docs/metrics.md): lf_sql_commit_batch_size,
  // lf_sql_commit_seconds, lf_sql_errors_total; null = none. Not owned; must outlive the
  // Database.
  server::Metrics* metrics = nullptr;
  // How long a connection waits for a lock held by another connection (another process on
  // the same file, mostly) before giving up on a statement.
  absl::Duration busy_timeout = absl::Seconds(5);
  // Attempts to take the write lock for a batch (each waiting up to busy_timeout) before the
  // batch's functions fail with UNAVAILABLE (SQLite: the file's write lock; PostgreSQL takes
  // no database-wide lock).
  int write_lock_attempts = 3;
  // PostgreSQL: how many times a batch that hit a serialization failure or a deadlock with
  // another writer (another replica's transaction) is rolled back and run again, after a
  // short random pause, before its functions fail with ABORTED. Every write function must
  // therefore be a function of its inputs: it may run more than once, and only the last run's
  // changes are kept (reset what it fills in at its start).
  int conflict_retries = 8;
  // Most functions committed in one transaction.
  int max_batch = 256;
  // Most concurrent Read transactions (reader connections, opened on demand). Further Read
  // calls wait for a free connection.
  int max_readers = 4;
  // PostgreSQL: writer connections, 1..kMaxWriters, each with its own group commit (its own
  // thread, queue and batches; SQLite has one writer whatever this says). A function queued
  // by a thread while another it queued is still in progress goes to the same writer, behind
  // it; otherwise to the writer with the fewest functions in progress. So one thread's
  // functions queued without waiting run (and their `done` callbacks are called) in the order
  // queued, while the functions of different threads may commit in either order, in
  // concurrent transactions that serializable isolation orders (a conflict between two
  // writers of one process is retried like one between two processes). Each writer's batches
  // keep every other promise of this file (CommittedTransactionId, conflict_retries, the
  // metrics, which all writers add to). One is the default: writers whose transactions touch
  // the same rows (the gate's per-site counters) mostly fail each other with serialization
  // failures and run their batches again; docs/performance.md, "Several writer connections on
  // PostgreSQL", has the measurements.
  int writers = kDefaultPostgresWriters;
};

// A function run inside a transaction. Its return value decides commit (OK) or rollback.
using TransactionFn = absl::FunctionRef<absl::Status(Session&)>;
using AsyncTransactionFn = absl::AnyInvocable<absl::Status(Session&)>;
using DoneFn = absl::AnyInvocable<void(absl::Status)>;

// A database. Thread-safe: every method may be called from any thread concurrently.
// Destroying it runs the queued writes (their `done` callbacks are called), then closes the
// connections. REQUIRES: no Write/Read/Migrate call is in progress or made during or after
// destruction.
class Database {
 public:
  virtual ~Database() = default;

  // Opens the database named by `url`:
  //   sqlite:PATH   an SQLite file (created when missing; its directory must exist);
  //                 `sqlite:///abs/path` is accepted too.
  //   postgresql://user[:pw]@host[:port]/db[?param=value] (or postgres://): PostgreSQL.
  // Codes: INVALID_ARGUMENT for a malformed or unsupported URL or bad options;
  // FAILED_PRECONDITION (SQLite) no directory / cannot open or create / not a database;
  // UNAVAILABLE (PostgreSQL) server unreachable or login refused. Never names a password.
  static absl::StatusOr<std::unique_ptr<Database>> Open(absl::string_view url,
                                                        const Options& options = Options());

  // Runs `fn` in a write transaction and blocks until it is durable. Returns fn's status when
  // the commit succeeded (an unhandled constraint violation as INTERNAL, see the file
  // comment): OK means fn's changes are committed, an error means they were
  // undone (other callers' changes in the same batch are unaffected). When the commit itself
  // fails, returns that error and nothing of fn is kept. UNAVAILABLE when the write lock
  // could not be taken (another process kept it). INTERNAL when called from inside a write
  // function or a `done` callback (that would deadlock).
  virtual absl::Status Write(TransactionFn fn) = 0;

  // Like Write without blocking: queues `fn` and calls `done` with the outcome once the
  // transaction is committed (durable) or failed. `fn` and `done` run on the writer thread:
  // keep them short and never block in them on another Write.
  virtual void WriteAsync(AsyncTransactionFn fn, DoneFn done) = 0;

  // Runs `fn` on a read-only snapshot (sees only committed data, including commits of other
  // processes up to the first statement). Returns fn's status. Writes inside fail (INTERNAL).
  // Runs alongside writes; blocks only while `max_readers` other reads are in progress.
  virtual absl::Status Read(TransactionFn fn) = 0;

  // Brings `component`'s schema up to date: applies, in order and each in its own
  // transaction, the migrations whose version is not yet recorded in the
  // `lf_schema_migrations` table. Safe to call concurrently from several processes.
  // Codes: INVALID_ARGUMENT when `migrations` are not numbered 1, 2, 3...;
  // FAILED_PRECONDITION when the database holds a newer version of the component than the
  // binary knows (refusing to run against a schema it does not understand); a migration's
  // statement error otherwise (that migration and the later ones are not applied).
  virtual absl::Status Migrate(absl::string_view component,
                               std::span<const Migration> migrations) = 0;

  virtual Dialect dialect() const = 0;
  virtual Stats stats() const = 0;
};

// True when `status` is a constraint violation as Session::Execute returned it (see the file
// comment); false for every other status, including one a function built itself.
bool IsConstraintViolation(const absl::Status& status);

namespace internal {
// For the drivers: `status` (ALREADY_EXISTS or FAILED_PRECONDITION) marked as a constraint
// violation.
absl::Status MarkConstraintViolation(absl::Status status);
// For the drivers: `status` (ABORTED) marked as a conflict with a concurrent transaction, which
// the writer answers by running the batch again.
absl::Status MarkConflict(absl::Status status);
bool IsConflict(const absl::Status& status);
// For the writer: a write function's outcome as Write/WriteAsync return it (an unhandled
// constraint violation becomes INTERNAL; anything else is returned as is).
absl::Status WriteOutcome(absl::Status status);
}  // namespace internal

// Inside a `done` callback of a successful Write/WriteAsync, on PostgreSQL: the transaction id
// (xid8, as pg_current_xact_id()) of the batch that committed the write, so that what the
// callback derives from it can be placed against snapshots (pg_current_snapshot(): visible
// when below xmin, or below xmax and not listed). 0 on SQLite, outside a done callback, and in
// the callbacks of a failed write.
int64_t CommittedTransactionId();

// The recorded schema version of `component` (0 when none). For diagnostics and tests.
absl::StatusOr<int> SchemaVersion(Database& db, absl::string_view component);

}  // namespace lianfang::sql

#endif  // LIANFANG_COMMON_SQL_DATABASE_H_
