#include "common/sql/sqlite_database.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/sql/group_commit.h"
#include "common/sql/migration_runner.h"
#include "common/sql/reader_pool.h"
#include "common/status/status_macros.h"

namespace lianfang::sql::internal {
namespace {

struct StmtDeleter {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
struct DbDeleter {
  // close_v2 defers the close until every statement is finalized, so the order in which a
  // Connection's members are destroyed cannot leak the handle.
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;
using DbPtr = std::unique_ptr<sqlite3, DbDeleter>;

// Statements cached per connection. Services use a few dozen distinct SQL texts; the bound
// only protects against a caller that builds SQL dynamically.
constexpr size_t kMaxCachedStatements = 512;

// Checkpoints (copying committed WAL frames into the main file) run on a thread of their own
// instead of inside the writer's COMMIT, where SQLite's automatic checkpoint would put them:
// the writer is the one thread every write waits for. The writer connection's WAL hook asks
// for a checkpoint once the WAL holds kCheckpointFrames frames (SQLite's own default); should
// the checkpoint thread fall far behind (or have no connection), the writer checkpoints
// itself at kWriterCheckpointFrames, as SQLite would.
constexpr int kCheckpointFrames = 1000;
constexpr int kWriterCheckpointFrames = 20000;
// The writer finishes a checkpoint itself when at most this many frames are left to copy.
constexpr int kWriterCatchUpFrames = 256;
// Most checkpoint passes per request (see CheckpointLoop).
constexpr int kCheckpointPasses = 16;

// The page cache of the writer connection, in KiB (readers keep SQLite's default). 8 MB
// holds the hot index pages of a busy gate; it stays allocated once filled, so it counts
// against the 50 MB a service may use idle (16 MB brought the gate to 49 MB after load).
constexpr int kWriterCacheKib = 8192;

constexpr char kSavepoint[] = "SAVEPOINT lf_write";
constexpr char kRelease[] = "RELEASE lf_write";
constexpr char kRollbackToSavepoint[] = "ROLLBACK TO lf_write";

// Maps an SQLite result code to the status contract of database.h. `db` (may be null) gives
// the detailed message; SQLite's messages name tables and columns, never bound values.
absl::Status SqliteError(int rc, sqlite3* db) {
  const std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_ROWID:
      return internal::MarkConstraintViolation(absl::AlreadyExistsError(
          absl::StrCat("a record with the same key already exists (", detail, ")")));
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return internal::MarkConstraintViolation(absl::FailedPreconditionError(
          absl::StrCat("the change violates a database constraint (", detail, ")")));
    case SQLITE_BUSY:
      return absl::UnavailableError(
          absl::StrCat("the database is busy; retry later (", detail, ")"));
    case SQLITE_LOCKED:
      return absl::AbortedError(absl::StrCat("a database lock conflict occurred (", detail, ")"));
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(
          absl::StrCat("the database or its disk is full (", detail, ")"));
    default:
      return absl::InternalError(absl::StrCat("database error: ", detail));
  }
}

// Resets a statement (and forgets its bindings, which point into the caller's Values) when
// the statement's use ends, however it ends.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~ResetOnExit() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

// One SQLite connection with its prepared-statement cache. Used by one thread at a time.
class Connection final {
 public:
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& path,
                                                          const Options& options, bool reader);

  sqlite3* db() const { return db_.get(); }
  bool in_transaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

  // Runs one statement; `read_only` refuses statements that would write.
  absl::StatusOr<Result> Execute(absl::string_view sql, std::span<const Value> params,
                                 bool read_only);
  // Runs one parameterless statement and discards its rows.
  absl::Status Exec(absl::string_view sql) { return Execute(sql, {}, false).status(); }
  // Runs every statement of `script` in order (migrations); not cached.
  absl::Status ExecScript(absl::string_view script);

 private:
  struct Prepared {
    StmtPtr stmt;
    // bind_index[k - 1] is SQLite's parameter index of `$k`.
    std::vector<int> bind_index;
    bool read_only = false;
  };

  explicit Connection(DbPtr db) : db_(std::move(db)) {}
  absl::StatusOr<Prepared*> Prepare(absl::string_view sql);

  DbPtr db_;  // declared first: destroyed after the statements
  absl::flat_hash_map<std::string, std::unique_ptr<Prepared>> cache_;
};

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& path,
                                                             const Options& options, bool reader) {
  sqlite3* raw = nullptr;
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);  // closed on every early return
  if (rc != SQLITE_OK) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open the SQLite database ", path, ": ",
                     raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), static_cast<int>(std::min<int64_t>(
                                     absl::ToInt64Milliseconds(options.busy_timeout), INT32_MAX)));
  std::unique_ptr<Connection> conn(new Connection(std::move(db)));

  auto fail = [&path](const absl::Status& st) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot use the SQLite database ", path, ": ", st.message()));
  };
  if (!reader) {
    // WAL lets readers run during writes; the mode is stored in the file, so readers opened
    // afterwards use it too. Reading the reply catches a file that refuses the mode.
    absl::StatusOr<Result> mode = conn->Execute("PRAGMA journal_mode=WAL", {}, false);
    if (!mode.ok()) return fail(mode.status());
    if (mode->rows.empty() || mode->rows[0].Text(0) != "wal") {
      return absl::FailedPreconditionError(absl::StrCat("cannot use the SQLite database ", path,
                                                        ": the file refuses write-ahead logging"));
    }
    // Every write goes through this connection: a page cache larger than SQLite's 2 MB
    // default keeps the pages of the random-keyed indexes (passage ids, person keys) that
    // each batch touches in memory instead of reading them back from the OS (see
    // kWriterCacheKib). Filled on demand only, so an idle service does not pay for it.
    if (absl::Status st = conn->Exec(absl::StrCat("PRAGMA cache_size=-", kWriterCacheKib));
        !st.ok()) {
      return fail(st);
    }
    // Each write function runs under its own savepoint, so SQLite saves every page it changes
    // that existed before the savepoint into a sub-journal (for ROLLBACK TO). By default that
    // sub-journal spills to a temporary file after 64 KiB: two pwrite calls per page and
    // function, about six pages per passage. Kept in memory it is a copy instead, and it is
    // emptied at each RELEASE, so it never holds more than one function's pages.
    if (absl::Status st = conn->Exec("PRAGMA temp_store=MEMORY"); !st.ok()) return fail(st);
  }
  // synchronous=FULL: a commit returns only after its WAL frames are on disk.
  for (absl::string_view pragma : {"PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
    if (absl::Status st = conn->Exec(pragma); !st.ok()) return fail(st);
  }
  if (reader) {
    if (absl::Status st = conn->Exec("PRAGMA query_only=ON"); !st.ok()) return fail(st);
  }
  return conn;
}

absl::StatusOr<Connection::Prepared*> Connection::Prepare(absl::string_view sql) {
  // Looked up by the caller's text itself (the map's hash is transparent): a statement that
  // is already prepared costs no copy of its SQL.
  if (auto it = cache_.find(sql); it != cache_.end()) return it->second.get();
  const std::string key(sql.data(), sql.size());

  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db_.get(), key.data(), static_cast<int>(key.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, &tail);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return SqliteError(rc, db_.get());
  if (stmt == nullptr) return absl::InternalError("the SQL text holds no statement");
  // Refuse a second statement instead of silently ignoring it.
  if (tail != nullptr && tail < key.data() + key.size()) {
    sqlite3_stmt* extra_raw = nullptr;
    rc = sqlite3_prepare_v2(db_.get(), tail, static_cast<int>(key.data() + key.size() - tail),
                            &extra_raw, nullptr);
    StmtPtr extra(extra_raw);
    if (rc != SQLITE_OK || extra != nullptr) {
      return absl::InternalError("Execute takes exactly one SQL statement");
    }
  }

  auto prepared = std::make_unique<Prepared>();
  const int count = sqlite3_bind_parameter_count(stmt.get());
  prepared->bind_index.assign(count, 0);
  // SQLite numbers distinct parameter names in order of appearance; require them to be
  // exactly $1..$count (the PostgreSQL form) so the same text serves both dialects.
  for (int i = 1; i <= count; ++i) {
    const char* name = sqlite3_bind_parameter_name(stmt.get(), i);
    int k = 0;
    if (name == nullptr || name[0] != '$' || !absl::SimpleAtoi(name + 1, &k) || k < 1 ||
        k > count || prepared->bind_index[k - 1] != 0) {
      return absl::InternalError("SQL parameters must be named $1..$N with none skipped");
    }
    prepared->bind_index[k - 1] = i;
  }
  prepared->read_only = sqlite3_stmt_readonly(stmt.get()) != 0;
  prepared->stmt = std::move(stmt);

  if (cache_.size() >= kMaxCachedStatements) cache_.clear();
  Prepared* result = prepared.get();
  cache_.emplace(key, std::move(prepared));
  return result;
}

absl::StatusOr<Result> Connection::Execute(absl::string_view sql, std::span<const Value> params,
                                           bool read_only) {
  ASSIGN_OR_RETURN(Prepared * prepared, Prepare(sql));
  if (params.size() != prepared->bind_index.size()) {
    return absl::InternalError(absl::StrCat("the SQL statement takes ", prepared->bind_index.size(),
                                            " parameters but ", params.size(), " were given"));
  }
  if (read_only && !prepared->read_only) {
    return absl::InternalError(
        "a write was attempted in Database::Read; writes belong in Database::Write");
  }
  sqlite3_stmt* stmt = prepared->stmt.get();
  ResetOnExit reset(stmt);

  for (size_t k = 0; k < params.size(); ++k) {
    const Value& v = params[k];
    const int index = prepared->bind_index[k];
    int rc = SQLITE_OK;
    switch (v.type()) {
      case Value::Type::kNull:
        rc = sqlite3_bind_null(stmt, index);
        break;
      case Value::Type::kInt:
        rc = sqlite3_bind_int64(stmt, index, v.AsInt());
        break;
      case Value::Type::kDouble:
        rc = sqlite3_bind_double(stmt, index, v.AsDouble());
        break;
      case Value::Type::kText: {
        // SQLITE_STATIC: the caller's Values outlive this call, and the bindings are cleared
        // before it returns.
        const absl::string_view text = v.StringView();
        rc = sqlite3_bind_text64(stmt, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
        break;
      }
      case Value::Type::kBytes: {
        const absl::string_view bytes = v.StringView();
        // A null pointer would bind NULL; an empty blob stays an empty blob.
        rc = bytes.empty()
                 ? sqlite3_bind_zeroblob(stmt, index, 0)
                 : sqlite3_bind_blob64(stmt, index, bytes.data(), bytes.size(), SQLITE_STATIC);
        break;
      }
    }
    if (rc != SQLITE_OK) return SqliteError(rc, db_.get());
  }

  Result result;
  const int columns = sqlite3_column_count(stmt);
  result.columns.reserve(columns);
  for (int c = 0; c < columns; ++c) result.columns.emplace_back(sqlite3_column_name(stmt, c));

  const sqlite3_int64 changes_before = sqlite3_total_changes64(db_.get());
  for (;;) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return SqliteError(rc, db_.get());
    std::vector<Value> values;
    values.reserve(columns);
    for (int c = 0; c < columns; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_INTEGER:
          values.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, c)));
          break;
        case SQLITE_FLOAT:
          values.emplace_back(sqlite3_column_double(stmt, c));
          break;
        case SQLITE_TEXT: {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          const int size = sqlite3_column_bytes(stmt, c);
          values.emplace_back(text != nullptr ? std::string(text, size) : std::string());
          break;
        }
        case SQLITE_BLOB: {
          const auto* blob = static_cast<const char*>(sqlite3_column_blob(stmt, c));
          const int size = sqlite3_column_bytes(stmt, c);
          values.emplace_back(Bytes{blob != nullptr ? std::string(blob, size) : std::string()});
          break;
        }
        default:
          values.emplace_back();
          break;
      }
    }
    result.rows.emplace_back(std::move(values));
  }
  // sqlite3_changes64 keeps the count of the last INSERT/UPDATE/DELETE, even across a later
  // SELECT or DDL; the total moving tells whether this statement changed anything.
  if (sqlite3_total_changes64(db_.get()) != changes_before) {
    result.rows_affected = sqlite3_changes64(db_.get());
  }
  return result;
}

absl::Status Connection::ExecScript(absl::string_view script) {
  const char* next = script.data();
  const char* const end = script.data() + script.size();
  while (next < end) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v2(db_.get(), next, static_cast<int>(end - next), &raw, &tail);
    StmtPtr stmt(raw);
    if (rc != SQLITE_OK) return SqliteError(rc, db_.get());
    if (tail == nullptr || tail <= next) break;  // nothing consumed: only blanks remain
    next = tail;
    if (stmt == nullptr) continue;  // blanks or a comment
    int step;
    while ((step = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    }
    if (step != SQLITE_DONE) return SqliteError(step, db_.get());
  }
  return absl::OkStatus();
}

class SqliteSession final : public Session {
 public:
  SqliteSession(Connection* conn, bool writable) : conn_(conn), writable_(writable) {}

  Dialect dialect() const override { return Dialect::kSqlite; }
  bool writable() const override { return writable_; }

  Connection* connection() const { return conn_; }
  // Ends the session: later use (a Session& kept past its transaction) fails cleanly.
  void Invalidate() { conn_ = nullptr; }

 protected:
  absl::StatusOr<Result> DoExecute(absl::string_view sql, std::span<const Value> params) override {
    if (conn_ == nullptr) {
      return absl::InternalError("a Session was used after its transaction ended");
    }
    return conn_->Execute(sql, params, !writable_);
  }

  // Runs at once; a failure is also the function's result (as on PostgreSQL, where it may
  // come to light only when the function returns).
  absl::Status DoExecuteDeferred(absl::string_view sql, std::span<const Value> params) override {
    absl::Status status = DoExecute(sql, params).status();
    if (!status.ok() && writable_ && deferred_error_.ok()) deferred_error_ = status;
    return status;
  }

 public:
  // The first error of a deferred statement: the function's result, whatever it returned.
  const absl::Status& deferred_error() const { return deferred_error_; }

 private:
  Connection* conn_;
  const bool writable_;
  absl::Status deferred_error_;
};


class SqliteDatabase final : public Database, private BatchTransaction {
 public:
  SqliteDatabase(std::string path, const Options& options, std::unique_ptr<Connection> writer)
      : path_(std::move(path)),
        options_(options),
        writer_conn_(std::move(writer)),
        readers_(options.max_readers,
                 [this] { return Connection::Open(path_, options_, /*reader=*/true); }),
        writer_(this, options.max_batch, options.metrics) {
    // Replaces SQLite's automatic checkpoint of this connection (see kCheckpointFrames).
    sqlite3_wal_hook(writer_conn_->db(), &SqliteDatabase::OnWalCommit, this);
    checkpoint_thread_ = std::thread([this] { CheckpointLoop(); });
    writer_.Start();  // last: every member is ready
  }

  ~SqliteDatabase() override {
    writer_.Stop();  // runs what is queued first
    {
      absl::MutexLock lock(&checkpoint_mu_);
      checkpoint_stopping_ = true;
    }
    checkpoint_thread_.join();
  }

  absl::Status Write(TransactionFn fn) override { return writer_.Write(fn); }

  void WriteAsync(AsyncTransactionFn fn, DoneFn done) override {
    writer_.WriteAsync(std::move(fn), std::move(done));
  }

  absl::Status Read(TransactionFn fn) override {
    ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, readers_.Acquire());
    absl::Status status = conn->Exec("BEGIN");
    if (status.ok()) {
      SqliteSession session(conn.get(), /*writable=*/false);
      status = fn(session);
      session.Invalidate();
      // The snapshot was read-only: ending it either way releases it.
      absl::Status end = conn->Exec("ROLLBACK");
      if (status.ok()) status = end;
    }
    ReleaseReader(std::move(conn));
    return status;
  }

  absl::Status Migrate(absl::string_view component, std::span<const Migration> migrations) override;

  Dialect dialect() const override { return Dialect::kSqlite; }

  Stats stats() const override { return writer_.stats(); }

 private:
  // BatchTransaction, on the writer thread (group_commit.h).
  absl::Status BeginBatch() override;
  absl::Status RunFunction(AsyncTransactionFn& fn, absl::Status* result) override;
  absl::Status CommitBatch() override { return writer_conn_->Exec("COMMIT"); }
  void RollbackBatch() override {
    if (writer_conn_->in_transaction()) (void)writer_conn_->Exec("ROLLBACK");
  }

  // The writer connection's WAL hook: runs on the writer thread after each commit, with the
  // number of frames in the WAL.
  static int OnWalCommit(void* self, sqlite3* db, const char* schema, int frames);
  void CheckpointLoop();
  bool CheckpointWantedOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(checkpoint_mu_) {
    return checkpoint_wanted_ || checkpoint_stopping_;
  }

  void ReleaseReader(std::unique_ptr<Connection> conn);

  const std::string path_;
  const Options options_;
  // Used only by the writer thread once the constructor has returned.
  const std::unique_ptr<Connection> writer_conn_;

  internal::ReaderPool<Connection> readers_;

  absl::Mutex checkpoint_mu_;
  bool checkpoint_wanted_ ABSL_GUARDED_BY(checkpoint_mu_) = false;
  bool checkpoint_stopping_ ABSL_GUARDED_BY(checkpoint_mu_) = false;
  // False when the checkpoint thread has no connection: the writer checkpoints itself.
  std::atomic<bool> checkpointer_ready_{true};
  // Set by the checkpoint thread around each pass, and to the frames its last pass copied.
  std::atomic<bool> checkpoint_running_{false};
  std::atomic<int> frames_copied_{0};
  int wal_frames_seen_ = 0;  // used by the writer thread only (OnWalCommit)

  std::thread checkpoint_thread_;
  GroupCommitWriter writer_;  // started last by the constructor, stopped first
};

int SqliteDatabase::OnWalCommit(void* self, sqlite3* db, const char* schema, int frames) {
  auto* database = static_cast<SqliteDatabase*>(self);
  // The WAL started over: what the checkpoint thread copied belongs to the previous round.
  if (frames < database->wal_frames_seen_) database->frames_copied_.store(0);
  database->wal_frames_seen_ = frames;
  // Under a steady stream of commits the checkpoint thread rarely finds the WAL with nothing
  // left to copy, and SQLite starts the WAL over only then: once it has copied all but a
  // few frames, the writer copies those itself (a short checkpoint) so that the WAL stays
  // small.
  const int copied = database->frames_copied_.load();
  const bool catch_up = frames >= kCheckpointFrames && copied > 0 &&
                        frames - copied <= kWriterCatchUpFrames &&
                        !database->checkpoint_running_.load();
  if (frames >= kWriterCheckpointFrames || catch_up ||
      (frames >= kCheckpointFrames && !database->checkpointer_ready_.load())) {
    // What SQLite's automatic checkpoint does; a failure (e.g. SQLITE_BUSY) is retried at
    // the next commit.
    (void)sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (frames >= kCheckpointFrames) {
    absl::MutexLock lock(&database->checkpoint_mu_);
    database->checkpoint_wanted_ = true;
  }
  return SQLITE_OK;
}

void SqliteDatabase::CheckpointLoop() {
  std::unique_ptr<Connection> conn;
  for (;;) {
    {
      absl::MutexLock lock(&checkpoint_mu_);
      checkpoint_mu_.Await(absl::Condition(this, &SqliteDatabase::CheckpointWantedOrStopping));
      if (checkpoint_stopping_) return;
      checkpoint_wanted_ = false;
    }
    if (conn == nullptr) {
      absl::StatusOr<std::unique_ptr<Connection>> opened =
          Connection::Open(path_, options_, /*reader=*/false);
      if (!opened.ok()) {
        checkpointer_ready_.store(false);
        return;
      }
      conn = *std::move(opened);
    }
    // PASSIVE: copies what it can without waiting for (or blocking) the writer or readers;
    // with synchronous=FULL it syncs the WAL before and the main file after copying. The
    // writer starts the WAL over only once every frame is copied, so the frames committed
    // during a pass are copied by another (each shorter than the one before) until none is
    // left. A failure (SQLITE_BUSY: another process checkpoints) is retried at the next
    // request.
    for (int pass = 0; pass < kCheckpointPasses; ++pass) {
      int log_frames = 0;
      int copied_frames = 0;
      checkpoint_running_.store(true);
      const int rc = sqlite3_wal_checkpoint_v2(conn->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                               &log_frames, &copied_frames);
      checkpoint_running_.store(false);
      if (rc != SQLITE_OK) break;
      frames_copied_.store(copied_frames);
      if (copied_frames >= log_frames) break;
    }
  }
}

absl::Status SqliteDatabase::BeginBatch() {
  // Each attempt already waits up to busy_timeout inside SQLite for another process to
  // release the write lock; a few attempts ride out a long checkpoint or a big transaction.
  absl::Status status;
  for (int attempt = 0; attempt < options_.write_lock_attempts; ++attempt) {
    status = writer_conn_->Exec("BEGIN IMMEDIATE");
    if (status.ok() || status.code() != absl::StatusCode::kUnavailable) return status;
  }
  return absl::UnavailableError(
      "the database is locked by another process for too long; retry later");
}

absl::Status SqliteDatabase::RunFunction(AsyncTransactionFn& fn, absl::Status* result) {
  Connection* const conn = writer_conn_.get();
  RETURN_IF_ERROR(conn->Exec(kSavepoint));
  SqliteSession session(conn, /*writable=*/true);
  *result = fn(session);
  if (!session.deferred_error().ok()) *result = session.deferred_error();
  session.Invalidate();
  if (!conn->in_transaction()) {
    // SQLite rolled the whole transaction back (I/O error, disk full, or a function that
    // issued COMMIT/ROLLBACK itself): the batch's earlier work is gone with it.
    return absl::AbortedError("the database rolled the transaction back; retry the request");
  }
  if (result->ok()) return conn->Exec(kRelease);
  RETURN_IF_ERROR(conn->Exec(kRollbackToSavepoint));
  return conn->Exec(kRelease);
}

void SqliteDatabase::ReleaseReader(std::unique_ptr<Connection> conn) {
  // A connection stuck in a transaction (its ROLLBACK failed) would pin an old snapshot:
  // close it instead of reusing it.
  const bool reusable = !conn->in_transaction();
  readers_.Release(std::move(conn), reusable);
}

absl::Status SqliteDatabase::Migrate(absl::string_view component,
                                     std::span<const Migration> migrations) {
  return internal::RunMigrations(
      *this, component, migrations,
      [](Session& session, absl::string_view script) {
        return static_cast<SqliteSession&>(session).connection()->ExecScript(script);
      },
      [](const Migration& migration) { return migration.sql; });
}

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> OpenSqlite(const std::string& path,
                                                     const Options& options) {
  std::filesystem::path file(path);
  std::filesystem::path dir = file.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return absl::FailedPreconditionError(absl::StrCat("cannot open the SQLite database ", path,
                                                      ": the directory ", dir.string(),
                                                      " does not exist; create it first"));
  }
  if (std::filesystem::is_directory(file, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open the SQLite database ", path, ": it is a directory"));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> writer,
                   Connection::Open(path, options, /*reader=*/false));
  return std::unique_ptr<Database>(new SqliteDatabase(path, options, std::move(writer)));
}

}  // namespace lianfang::sql::internal
