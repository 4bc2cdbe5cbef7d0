#include "common/sql/postgres_database.h"

#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/sql/group_commit.h"
#include "common/sql/migration_runner.h"
#include "common/sql/postgres_target.h"
#include "common/sql/postgres_translate.h"
#include "common/sql/reader_pool.h"
#include "common/status/status_macros.h"

namespace lianfang::sql::internal {
namespace {

// Type OIDs (src/include/catalog/pg_type.dat); stable across releases.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

// The advisory lock a migrator holds while it brings a database's schema up to date, so that
// the migrators of several processes take turns ("LFWRITE": the key older releases took for
// every write transaction, so that they and a migrator of this one exclude each other too).
constexpr int64_t kMigrationLockKey = 0x4C46575249544500;
// How long a migrator waits for another one to finish.
constexpr char kMigrationLockTimeout[] = "300s";

// Statements prepared per connection. Services use a few dozen distinct SQL texts; beyond the
// bound (SQL built dynamically) statements run unprepared.
constexpr size_t kMaxPreparedStatements = 512;

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

void IgnoreNotice(void*, const char*) {}

bool IsConnectionState(absl::string_view sqlstate) {
  return absl::StartsWith(sqlstate, "08") || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

// Maps a failed result (or a failed connection when `res` is null) to the status contract of
// database.h.
absl::Status PgError(const PGresult* res, PGconn* conn, const Target& target) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const absl::string_view sqlstate = state != nullptr ? state : "";
  const char* primary = res != nullptr ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string detail = primary != nullptr ? Scrub(target, primary) : "";
  if (sqlstate.empty() || PQstatus(conn) != CONNECTION_OK || IsConnectionState(sqlstate)) {
    if (PQstatus(conn) != CONNECTION_OK || IsConnectionState(sqlstate)) {
      if (detail.empty()) detail = Scrub(target, PQerrorMessage(conn));
      return absl::UnavailableError(absl::StrCat("the connection to the PostgreSQL database ",
                                                 target.description,
                                                 " was lost; retry later (", detail, ")"));
    }
    if (detail.empty()) detail = Scrub(target, PQerrorMessage(conn));
    return absl::InternalError(absl::StrCat("database error: ", detail));
  }
  const std::string code(sqlstate.data(), sqlstate.size());
  if (sqlstate == "23505") {
    return internal::MarkConstraintViolation(absl::AlreadyExistsError(
        absl::StrCat("a record with the same key already exists (", detail, ")")));
  }
  if (absl::StartsWith(sqlstate, "23")) {
    return internal::MarkConstraintViolation(absl::FailedPreconditionError(
        absl::StrCat("the change violates a database constraint (", detail, ")")));
  }
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return internal::MarkConflict(absl::AbortedError(absl::StrCat(
        "the write conflicted with a concurrent transaction; retry (", detail, ")")));
  }
  if (sqlstate == "55P03" || sqlstate == "57014") {
    return absl::UnavailableError(
        absl::StrCat("the database is busy; retry later (", detail, ")"));
  }
  if (absl::StartsWith(sqlstate, "53")) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the database or its disk is full (", detail, ")"));
  }
  if (sqlstate == "25006") {
    return absl::InternalError(
        "a write was attempted in Database::Read; writes belong in Database::Write");
  }
  if (absl::StartsWith(sqlstate, "22")) {
    // Data exceptions quote the offending input: keep them out of the message.
    return absl::InternalError(absl::StrCat(
        "database error: a value does not fit its column or operator (SQLSTATE ", code, ")"));
  }
  return absl::InternalError(absl::StrCat("database error: ", detail, " (SQLSTATE ", code, ")"));
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// bytea in the text result format: "\x" followed by hex pairs (the server default since 9.0).
std::string DecodeBytea(const char* text, int length) {
  std::string out;
  if (length >= 2 && text[0] == '\\' && text[1] == 'x') {
    out.reserve((length - 2) / 2);
    for (int i = 2; i + 1 < length; i += 2) {
      const int hi = HexDigit(text[i]);
      const int lo = HexDigit(text[i + 1]);
      if (hi < 0 || lo < 0) break;
      out.push_back(static_cast<char>(hi * 16 + lo));
    }
    return out;
  }
  // The old escape format, in case a server is configured with bytea_output = escape.
  size_t n = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &n);
  if (raw != nullptr) {
    out.assign(reinterpret_cast<const char*>(raw), n);
    PQfreemem(raw);
  }
  return out;
}

Value ColumnValue(const PGresult* res, int row, int col) {
  if (PQgetisnull(res, row, col)) return Value();
  const char* text = PQgetvalue(res, row, col);
  const int length = PQgetlength(res, row, col);
  switch (PQftype(res, col)) {
    case kBoolOid:
      return Value(static_cast<int64_t>(text[0] == 't' ? 1 : 0));
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid: {
      int64_t n = 0;
      if (absl::SimpleAtoi(absl::string_view(text, length), &n)) return Value(n);
      return Value(std::string(text, length));
    }
    case kNumericOid: {
      int64_t n = 0;
      if (absl::SimpleAtoi(absl::string_view(text, length), &n)) return Value(n);
      double d = 0;
      if (absl::SimpleAtod(absl::string_view(text, length), &d)) return Value(d);
      return Value(std::string(text, length));
    }
    case kFloat4Oid:
    case kFloat8Oid: {
      double d = 0;
      if (absl::SimpleAtod(absl::string_view(text, length), &d)) return Value(d);
      if (absl::string_view(text, length) == "Infinity") return Value(HUGE_VAL);
      if (absl::string_view(text, length) == "-Infinity") return Value(-HUGE_VAL);
      return Value(std::nan(""));
    }
    case kByteaOid:
      return Value(Bytes{DecodeBytea(text, length)});
    default:
      return Value(std::string(text, length));
  }
}

// The rows and count of a successful statement's result.
Result ToResult(const PGresult* res) {
  Result result;
  const int columns = PQnfields(res);
  const int rows = PQntuples(res);
  result.columns.reserve(columns);
  for (int c = 0; c < columns; ++c) result.columns.emplace_back(PQfname(res, c));
  result.rows.reserve(rows);
  for (int r = 0; r < rows; ++r) {
    std::vector<Value> row;
    row.reserve(columns);
    for (int c = 0; c < columns; ++c) row.push_back(ColumnValue(res, r, c));
    result.rows.emplace_back(std::move(row));
  }
  // PQcmdStatus takes a non-const result but only reads it.
  const absl::string_view command = PQcmdStatus(const_cast<PGresult*>(res));
  if (absl::StartsWith(command, "INSERT") || absl::StartsWith(command, "UPDATE") ||
      absl::StartsWith(command, "DELETE") || absl::StartsWith(command, "MERGE")) {
    int64_t affected = 0;
    if (absl::SimpleAtoi(PQcmdTuples(const_cast<PGresult*>(res)), &affected)) {
      result.rows_affected = affected;
    }
  }
  return result;
}

std::string DoubleText(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", d);
  return buf;
}

// What a connection is for.
enum class Role { kWriter, kReader };

// One libpq connection with its prepared statements. Used by one thread at a time.
class Connection final {
 public:
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const Target& target,
                                                          const Options& options, Role role);

  PGconn* conn() const { return conn_.get(); }
  bool broken() const { return lost_ || PQstatus(conn_.get()) != CONNECTION_OK; }
  // True once a write on this writer connection was refused because the server is read-only
  // (SQLSTATE 25006: a standby, or an old primary fenced with default_transaction_read_only):
  // the connection is of no more use for writing and is replaced.
  bool read_only() const { return read_only_; }
  // True once a statement on this connection failed with a serialization failure or a
  // deadlock (40001/40P01) since ClearConflict: the transaction must be run again as a whole.
  bool conflicted() const { return conflicted_; }
  void ClearConflict() { conflicted_ = false; }
  PGTransactionStatusType txn() const { return PQtransactionStatus(conn_.get()); }
  bool idle() const { return !broken() && txn() == PQTRANS_IDLE; }

  // One statement of a round trip. `prepare`: run it as a prepared statement (kept on the
  // connection for the next time); false for parameterless commands run once in a while
  // (savepoints).
  struct Statement {
    absl::string_view sql;
    std::span<const Value> params = {};
    bool prepare = true;
    // Where the rows of a statement before the last go, when it succeeds; null = dropped.
    Result* answer = nullptr;
  };
  // What Execute did besides the last statement's own outcome.
  struct Sent {
    bool any = false;  // something reached the server (false: refused beforehand)
    int failed = -1;   // the index of the statement that failed (the later ones did not run)
  };
  // Runs one statement with parameters.
  absl::StatusOr<Result> Execute(absl::string_view sql, std::span<const Value> params) {
    const Statement one{.sql = sql, .params = params};
    return Execute(std::span<const Statement>(&one, 1));
  }
  // Runs `statements` in order in one round trip (libpq's pipeline mode) and returns the last
  // one's result (and the others' in their `answer`); when one fails, the later ones do not
  // run and its error is returned (`sent->failed` says which). Nothing is sent when one of them is
  // malformed (a wrong number of parameters: INTERNAL, `sent->any` false).
  absl::StatusOr<Result> Execute(std::span<const Statement> statements, Sent* sent_out = nullptr);
  // OK when `sql` with `count` parameters can be sent (what Execute checks before sending).
  absl::Status Check(absl::string_view sql, size_t count);
  // Runs parameterless SQL (one or more statements) through the simple query protocol and
  // discards the rows.
  absl::Status Exec(absl::string_view sql);
  // Like Exec, and returns the first value of the last statement's first row as an integer.
  absl::StatusOr<int64_t> ExecInt(absl::string_view sql);

  // The status of a failed result. On a writer connection a read-only server (25006) is
  // UNAVAILABLE (another server is, or soon will be, the primary) and marks it read_only();
  // on a reader 25006 means a write in Database::Read (PgError).
  absl::Status Error(const PGresult* res);

 private:
  struct Prepared {
    std::string name;
  };

  Connection(ConnPtr conn, const Target* target, Role role)
      : conn_(std::move(conn)), target_(target), role_(role) {}

  ConnPtr conn_;
  const Target* target_;
  const Role role_;
  bool read_only_ = false;
  bool conflicted_ = false;
  bool lost_ = false;  // a pipeline failed mid-way: the connection's state is unknown
  absl::flat_hash_map<std::string, Prepared> prepared_;
  int next_name_ = 0;
};

absl::Status Connection::Error(const PGresult* res) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  if (state != nullptr &&
      (absl::string_view(state) == "40001" || absl::string_view(state) == "40P01")) {
    conflicted_ = true;
  }
  if (role_ == Role::kWriter && state != nullptr && absl::string_view(state) == "25006" &&
      !broken()) {
    read_only_ = true;
    return absl::UnavailableError(
        absl::StrCat("the PostgreSQL database ", target_->description,
                     " is read-only (a standby, or a primary being switched over); retry later"));
  }
  return PgError(res, conn_.get(), *target_);
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const Target& target,
                                                             const Options& options, Role role) {
  // Earlier keywords are defaults the URL may override (expand_dbname processes in order).
  // target_session_attrs=read-write: of the hosts a multi-host URL lists, the primary (a
  // standby, or a server in recovery, is skipped), so that a failover is followed by
  // reconnecting; reads go there too, to see every acknowledged write.
  const char* keywords[] = {"connect_timeout", "application_name", "target_session_attrs", "dbname",
                            nullptr};
  const char* values[] = {"10", "lianfang", "read-write", target.url.c_str(), nullptr};
  ConnPtr conn(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (conn == nullptr) {
    return absl::ResourceExhaustedError("cannot allocate a PostgreSQL connection");
  }
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return absl::UnavailableError(absl::StrCat("cannot connect to the PostgreSQL database ",
                                               target.description, ": ",
                                               Scrub(target, PQerrorMessage(conn.get()))));
  }
  PQsetNoticeProcessor(conn.get(), &IgnoreNotice, nullptr);
  std::unique_ptr<Connection> c(new Connection(std::move(conn), &target, role));
  // lock_timeout 0 would mean "wait forever"; SQLite's busy_timeout 0 means "do not wait".
  const int64_t lock_ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(options.busy_timeout));
  absl::Status st = c->Exec(absl::StrCat("SET client_min_messages = warning; SET lock_timeout = ",
                                         lock_ms, "; SET TimeZone = 'UTC'"));
  if (!st.ok()) {
    return absl::UnavailableError(absl::StrCat("cannot set up a connection to the PostgreSQL "
                                               "database ",
                                               target.description, ": ", st.message()));
  }
  return c;
}

absl::Status Connection::Exec(absl::string_view sql) {
  const std::string text(sql.data(), sql.size());
  ResultPtr res(PQexec(conn_.get(), text.c_str()));
  const ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
    return absl::OkStatus();
  }
  return Error(res.get());
}

absl::StatusOr<int64_t> Connection::ExecInt(absl::string_view sql) {
  const std::string text(sql.data(), sql.size());
  ResultPtr res(PQexec(conn_.get(), text.c_str()));
  const ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK) return Error(res.get());
  int64_t value = 0;
  if (PQntuples(res.get()) < 1 || PQnfields(res.get()) < 1 ||
      !absl::SimpleAtoi(PQgetvalue(res.get(), 0, 0), &value)) {
    return absl::InternalError("database error: expected an integer result");
  }
  return value;
}

namespace {

// A statement's parameters in libpq's form, and the key of its prepared statement (the text
// and the parameters' types).
struct Bound {
  std::vector<Oid> types;
  std::vector<std::string> texts;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  std::string key;
  std::string text;            // the SQL, NUL-terminated
  const char* name = nullptr;  // the prepared statement's name; null: run unprepared
  std::string prepare_as;      // not yet prepared: prepare under this name first
};

void Bind(absl::string_view sql, std::span<const Value> params, Bound& b) {
  const size_t n = params.size();
  b.types.assign(n, 0);
  b.texts.assign(n, std::string());
  b.values.assign(n, nullptr);
  b.lengths.assign(n, 0);
  b.formats.assign(n, 0);
  b.text.assign(sql.data(), sql.size());
  b.key.assign(sql.data(), sql.size());
  b.key.push_back('\0');
  for (size_t k = 0; k < n; ++k) {
    const Value& v = params[k];
    switch (v.type()) {
      case Value::Type::kNull:
        b.types[k] = 0;  // inferred from the statement
        b.key.push_back('n');
        break;
      case Value::Type::kInt:
        b.types[k] = kInt8Oid;
        b.texts[k] = absl::StrCat(v.AsInt());
        b.values[k] = b.texts[k].c_str();
        b.key.push_back('i');
        break;
      case Value::Type::kDouble:
        b.types[k] = kFloat8Oid;
        b.texts[k] = DoubleText(v.AsDouble());
        b.values[k] = b.texts[k].c_str();
        b.key.push_back('d');
        break;
      case Value::Type::kText: {
        b.types[k] = kTextOid;
        const absl::string_view text = v.StringView();
        // Text parameters are NUL-terminated C strings in libpq's text format.
        b.texts[k] = std::string(text.data(), text.size());
        b.values[k] = b.texts[k].c_str();
        b.key.push_back('t');
        break;
      }
      case Value::Type::kBytes: {
        b.types[k] = kByteaOid;
        const absl::string_view bytes = v.StringView();
        b.values[k] = bytes.empty() ? "" : bytes.data();
        b.lengths[k] = static_cast<int>(bytes.size());
        b.formats[k] = 1;  // binary
        b.key.push_back('b');
        break;
      }
    }
  }
}

}  // namespace

absl::Status Connection::Check(absl::string_view sql, size_t count) {
  ASSIGN_OR_RETURN(StatementShape shape, ScanStatement(sql));
  if (shape.parameters != static_cast<int>(count)) {
    return absl::InternalError(absl::StrCat("the SQL statement takes ", shape.parameters,
                                            " parameters but ", count, " were given"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Result> Connection::Execute(std::span<const Statement> statements, Sent* sent_out) {
  Sent ignored;
  Sent& outcome = sent_out != nullptr ? *sent_out : ignored;
  outcome = Sent();
  if (statements.empty()) return absl::InternalError("no SQL statement to run");
  // Every statement bound (and checked) before anything is sent. Each one's prepared name,
  // or (beyond kMaxPreparedStatements) none: run unprepared.
  std::vector<Bound> bound(statements.size());
  size_t new_names = 0;
  for (size_t i = 0; i < statements.size(); ++i) {
    const Statement& st = statements[i];
    Bound& b = bound[i];
    Bind(st.sql, st.params, b);
    if (!st.prepare) continue;
    auto it = prepared_.find(b.key);
    if (it != prepared_.end()) {
      b.name = it->second.name.c_str();
      continue;
    }
    RETURN_IF_ERROR(Check(st.sql, st.params.size()));
    // The same new statement twice in one round trip is prepared once.
    for (size_t j = 0; j < i && b.name == nullptr; ++j) {
      if (!bound[j].prepare_as.empty() && bound[j].key == b.key) {
        b.name = bound[j].prepare_as.c_str();
      }
    }
    if (b.name == nullptr && prepared_.size() + new_names < kMaxPreparedStatements) {
      b.prepare_as = absl::StrCat("lf_", next_name_++);
      b.name = b.prepare_as.c_str();
      ++new_names;
    }
  }
  auto send = [this](const Bound& b) {
    const int n = static_cast<int>(b.values.size());
    return b.name != nullptr
               ? PQsendQueryPrepared(conn_.get(), b.name, n, b.values.data(), b.lengths.data(),
                                     b.formats.data(), 0) == 1
               : PQsendQueryParams(conn_.get(), b.text.c_str(), n, b.types.data(), b.values.data(),
                                   b.lengths.data(), b.formats.data(), 0) == 1;
  };

  ResultPtr res;
  outcome.any = true;
  if (statements.size() == 1) {
    const Bound& b = bound[0];
    const int n = static_cast<int>(b.values.size());
    if (!b.prepare_as.empty()) {
      ResultPtr prep(PQprepare(conn_.get(), b.name, b.text.c_str(), n, b.types.data()));
      if (prep == nullptr || PQresultStatus(prep.get()) != PGRES_COMMAND_OK) {
        outcome.failed = 0;
        return Error(prep.get());
      }
      prepared_.emplace(b.key, Prepared{b.prepare_as});
    }
    res.reset(b.name != nullptr
                  ? PQexecPrepared(conn_.get(), b.name, n, b.values.data(), b.lengths.data(),
                                   b.formats.data(), /*resultFormat=*/0)
                  : PQexecParams(conn_.get(), b.text.c_str(), n, b.types.data(), b.values.data(),
                                 b.lengths.data(), b.formats.data(), /*resultFormat=*/0));
  } else {
    // One round trip: each statement (after its preparation, if new), then a sync point.
    // Inside the explicit transaction the sync point commits nothing.
    if (PQenterPipelineMode(conn_.get()) != 1) return Error(nullptr);
    bool sent = true;
    size_t expected = 0;
    for (const Bound& b : bound) {
      if (!b.prepare_as.empty()) {
        sent = sent && PQsendPrepare(conn_.get(), b.name, b.text.c_str(),
                                     static_cast<int>(b.values.size()), b.types.data()) == 1;
        ++expected;
      }
      sent = sent && send(b);
      ++expected;
    }
    sent = sent && PQpipelineSync(conn_.get()) == 1;
    // The results in the order sent; each is followed by a null, the sync point ends them.
    std::vector<ResultPtr> results;
    for (int nulls = 0; sent && nulls <= static_cast<int>(expected) + 1;) {
      ResultPtr r(PQgetResult(conn_.get()));
      if (r == nullptr) {
        if (broken()) break;
        ++nulls;
        continue;
      }
      if (PQresultStatus(r.get()) == PGRES_PIPELINE_SYNC) break;
      results.push_back(std::move(r));
    }
    (void)PQexitPipelineMode(conn_.get());
    if (!sent || results.size() != expected || broken()) {
      // The connection failed mid-way (or the server answered out of step): its state is
      // unknown, so it is given up (replaced like a lost one).
      lost_ = true;
      return absl::UnavailableError(absl::StrCat(
          "the connection to the PostgreSQL database ", target_->description,
          " was lost; retry later (", Scrub(*target_, PQerrorMessage(conn_.get())), ")"));
    }
    size_t r = 0;
    for (size_t i = 0; i < bound.size(); ++i) {
      const Bound& b = bound[i];
      if (!b.prepare_as.empty()) {
        if (PQresultStatus(results[r].get()) != PGRES_COMMAND_OK) {
          outcome.failed = static_cast<int>(i);
          return Error(results[r].get());
        }
        prepared_.emplace(b.key, Prepared{b.prepare_as});
        ++r;
      }
      const ExecStatusType status = PQresultStatus(results[r].get());
      if (i + 1 < bound.size() && status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        outcome.failed = static_cast<int>(i);
        return Error(results[r].get());
      }
      if (i + 1 < bound.size() && statements[i].answer != nullptr) {
        *statements[i].answer = ToResult(results[r].get());
      }
      ++r;
    }
    res = std::move(results.back());
  }
  const ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    outcome.failed = static_cast<int>(statements.size()) - 1;
    return Error(res.get());
  }
  return ToResult(res.get());
}

// Opens the connections of one database, for the writer and the readers alike. While the
// server cannot be reached, or no host the URL lists accepts writes (a primary lost, its
// standby not yet promoted), attempts are spaced: after a failed one the next waits
// kFirstRetryDelay, doubling up to kMaxRetryDelay, and only one runs at a time; calls in
// between fail at once with the last attempt's error (UNAVAILABLE). A successful attempt ends
// the backing off. So the callers' retries do not become a connection storm against the
// standby, and a promotion is noticed within about kMaxRetryDelay. Thread-safe.
class Connector final {
 public:
  static constexpr absl::Duration kFirstRetryDelay = absl::Milliseconds(20);
  static constexpr absl::Duration kMaxRetryDelay = absl::Seconds(1);

  // `target` and `options` must outlive the Connector.
  Connector(const Target* target, const Options* options) : target_(target), options_(options) {}

  absl::StatusOr<std::unique_ptr<Connection>> Open(Role role) {
    {
      absl::MutexLock lock(&mu_);
      if (!last_error_.ok()) {
        if (attempting_ || absl::Now() < next_attempt_) return last_error_;
        attempting_ = true;
      }
    }
    absl::StatusOr<std::unique_ptr<Connection>> conn = Connection::Open(*target_, *options_, role);
    absl::MutexLock lock(&mu_);
    attempting_ = false;
    if (conn.ok()) {
      last_error_ = absl::OkStatus();
      delay_ = absl::ZeroDuration();
      return conn;
    }
    delay_ =
        delay_ == absl::ZeroDuration() ? kFirstRetryDelay : std::min(delay_ * 2, kMaxRetryDelay);
    next_attempt_ = absl::Now() + delay_;
    last_error_ = conn.status();
    return conn;
  }

 private:
  const Target* const target_;
  const Options* const options_;
  absl::Mutex mu_;
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);  // OK while connections can be made
  absl::Duration delay_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  absl::Time next_attempt_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool attempting_ ABSL_GUARDED_BY(mu_) = false;
};

constexpr char kFunctionRollback[] = "ROLLBACK TO lf_write; RELEASE lf_write";

// True for a statement that only reads (SELECT ...): it runs without a savepoint of its own.
bool IsRead(absl::string_view sql) {
  sql = absl::StripLeadingAsciiWhitespace(sql);
  return sql.size() >= 6 && absl::EqualsIgnoreCase(sql.substr(0, 6), "SELECT") &&
         (sql.size() == 6 || !absl::ascii_isalnum(static_cast<unsigned char>(sql[6])));
}

// A statement of ExecuteDeferred, kept until it is sent.
struct Deferred {
  std::string sql;
  std::vector<Value> params;
};

// A read announced by Session::Prefetch: sent with the next statement, its answer kept until
// the function asks for it.
struct Prefetched {
  Deferred read;
  bool sent = false;
  Result answer;
  absl::Status error;  // when it failed
};

class PostgresSession final : public Session {
 public:
  // `pending`: commands to run before the first statement, in its round trip (the write
  // function's savepoint). `carried`: the previous function's deferred statements, still to
  // be sent (they go first, and the vector is emptied once they ran); may be null.
  PostgresSession(Connection* conn, bool writable, std::vector<std::string> pending = {},
                  std::vector<Deferred>* carried = nullptr)
      : conn_(conn), writable_(writable), pending_(std::move(pending)), carried_(carried) {}

  Dialect dialect() const override { return Dialect::kPostgres; }
  bool writable() const override { return writable_; }

  // Sends the deferred statements (ExecuteDeferred) that no later statement took along, with
  // whatever else is still to be sent. Their first error, if any (also deferred_error() or
  // carried_error()).
  absl::Status Flush() {
    if (deferred_.empty() && (carried_ == nullptr || carried_->empty())) {
      return absl::OkStatus();
    }
    if (conn_ == nullptr) {
      return absl::InternalError("a Session was used after its transaction ended");
    }
    if (broken_) return BrokenStatus();
    prefetched_.clear();  // never asked for
    std::vector<Connection::Statement> batch;
    const Span span = Gather(batch);
    Connection::Sent sent;
    absl::StatusOr<Result> result = conn_->Execute(batch, &sent);
    return Settle(span, sent, result.status());
  }
  // Ends the session: later use (a Session& kept past its transaction) fails cleanly.
  void Invalidate() { conn_ = nullptr; }
  // True when the transaction cannot go on (a failed read, or a statement savepoint that
  // could not be restored).
  bool broken() const { return broken_; }
  // True once the pending commands ran (a statement was sent); false when the function ran
  // no statement.
  bool pending_sent() const { return pending_sent_; }
  // True when a pending command itself failed: the transaction is lost.
  bool pending_failed() const { return pending_failed_; }
  // The error of a deferred statement (ExecuteDeferred): the function's result, whatever it
  // returned. OK when none failed.
  const absl::Status& deferred_error() const { return deferred_error_; }
  // The error of a statement carried from the previous function: nothing of this function
  // ran (its first round trip stopped there). OK when none failed.
  const absl::Status& carried_error() const { return carried_error_; }
  // The deferred statements not sent yet (ownership passes to the caller).
  bool has_deferred() const { return !deferred_.empty(); }
  std::vector<Deferred> TakeDeferred() { return std::move(deferred_); }

  // Runs a parameterless script (migrations) like one write statement.
  absl::Status ExecScript(absl::string_view script) {
    if (conn_ == nullptr) return absl::InternalError("a Session was used after its transaction ended");
    RETURN_IF_ERROR(Flush());
    if (broken_) return absl::AbortedError("the transaction was rolled back after an error; retry");
    std::string before = absl::StrJoin(pending_, "; ");
    pending_.clear();
    if (!before.empty()) {
      if (absl::Status st = conn_->Exec(before); !st.ok()) {
        pending_failed_ = broken_ = true;
        return st;
      }
      pending_sent_ = true;
    }
    RETURN_IF_ERROR(MarkBroken(
        conn_->Exec(savepoint_open_ ? "RELEASE lf_stmt; SAVEPOINT lf_stmt" : "SAVEPOINT lf_stmt")));
    savepoint_open_ = true;
    absl::Status status = conn_->Exec(script);
    if (!status.ok()) Undo();
    return status;
  }

 protected:
  // In a write transaction every statement that writes runs under the savepoint lf_stmt, so
  // that its failure undoes it alone and the function goes on (as SQLite does); releasing the
  // previous one, setting it and the statement go in one round trip, with the deferred
  // statements before them. A statement that only reads runs without one: should it fail, the
  // function's later statements fail too (its changes are rolled back), which costs nothing on
  // the common path.
  absl::StatusOr<Result> DoExecute(absl::string_view sql, std::span<const Value> params) override {
    if (conn_ == nullptr) {
      return absl::InternalError("a Session was used after its transaction ended");
    }
    const bool write = !IsRead(sql);
    if (writable_ && !write && !prefetched_.empty()) {
      std::optional<absl::StatusOr<Result>> answer = TakePrefetched(sql, params);
      // A failed one's own error, as if it ran now; an answer only while the function can go on.
      if (answer.has_value() && (!answer->ok() || !broken_)) return *std::move(answer);
    }
    if (broken_) return BrokenStatus();
    if (!writable_) return conn_->Execute(sql, params);
    std::vector<Connection::Statement> batch;
    const Span span = Gather(batch);
    if (write) {
      if (savepoint_open_) batch.push_back({.sql = "RELEASE lf_stmt", .prepare = false});
      batch.push_back({.sql = "SAVEPOINT lf_stmt", .prepare = false});
    }
    batch.push_back({.sql = sql, .params = params});
    Connection::Sent sent;
    absl::StatusOr<Result> result = conn_->Execute(batch, &sent);
    if (!sent.any) return result;  // refused before reaching the server: nothing changed
    RETURN_IF_ERROR(Settle(span, sent, result.status()));
    if (!result.ok() && (conn_->broken() || static_cast<size_t>(sent.failed) != batch.size() - 1)) {
      // The connection was lost, or a savepoint command failed: the transaction is lost.
      broken_ = true;
      return result;
    }
    if (write) savepoint_open_ = true;
    if (!result.ok()) {
      if (write) {
        Undo();
      } else {
        broken_ = true;  // the transaction is aborted: the function's later statements fail
      }
    }
    return result;
  }

  absl::Status DoExecuteDeferred(absl::string_view sql, std::span<const Value> params) override {
    if (conn_ == nullptr || !writable_) return DoExecute(sql, params).status();
    if (broken_) return BrokenStatus();
    // A malformed statement is refused now (as Execute would) and fails the function (as on
    // SQLite).
    if (absl::Status malformed = conn_->Check(sql, params.size()); !malformed.ok()) {
      if (deferred_error_.ok()) deferred_error_ = malformed;
      return malformed;
    }
    deferred_.push_back(Deferred{std::string(sql.data(), sql.size()),
                                 std::vector<Value>(params.begin(), params.end())});
    return absl::OkStatus();
  }

  void DoPrefetch(absl::string_view sql, std::span<const Value> params) override {
    if (conn_ == nullptr || !writable_ || broken_ || !IsRead(sql)) return;
    if (!conn_->Check(sql, params.size()).ok()) return;  // Execute will say what is wrong
    Prefetched& read = prefetched_.emplace_back();
    read.read = Deferred{std::string(sql.data(), sql.size()),
                         std::vector<Value>(params.begin(), params.end())};
  }

 private:
  // Where the carried statements, the pending commands, the deferred statements and the
  // prefetched reads are in a round trip: [0, carried), [carried, commands),
  // [commands, deferred) and [deferred, end).
  struct Span {
    size_t carried = 0;
    size_t commands = 0;
    size_t deferred = 0;
    size_t end = 0;
  };

  // Puts the carried statements, the pending commands, the deferred statements and the
  // prefetched reads not sent yet at the start of `batch`.
  Span Gather(std::vector<Connection::Statement>& batch) {
    Span span;
    if (carried_ != nullptr) {
      for (const Deferred& d : *carried_) batch.push_back({.sql = d.sql, .params = d.params});
    }
    span.carried = batch.size();
    for (const std::string& command : pending_) batch.push_back({.sql = command, .prepare = false});
    span.commands = batch.size();
    for (const Deferred& d : deferred_) batch.push_back({.sql = d.sql, .params = d.params});
    span.deferred = batch.size();
    for (Prefetched& p : prefetched_) {
      if (p.sent) continue;
      batch.push_back({.sql = p.read.sql, .params = p.read.params, .answer = &p.answer});
    }
    span.end = batch.size();
    return span;
  }

  // The answer (or error) of a prefetched read of `sql` with `params` that was sent, or
  // nullopt (one announced but not sent yet is dropped: the caller sends it now).
  std::optional<absl::StatusOr<Result>> TakePrefetched(absl::string_view sql,
                                                       std::span<const Value> params) {
    for (auto it = prefetched_.begin(); it != prefetched_.end(); ++it) {
      if (it->read.sql != sql || !std::equal(it->read.params.begin(), it->read.params.end(),
                                             params.begin(), params.end())) {
        continue;
      }
      std::optional<absl::StatusOr<Result>> answer;
      if (it->sent) {
        answer = it->error.ok() ? absl::StatusOr<Result>(std::move(it->answer))
                                : absl::StatusOr<Result>(it->error);
      }
      prefetched_.erase(it);
      return answer;
    }
    return std::nullopt;
  }

  // Accounts for what a round trip did to the carried statements, pending commands and
  // deferred statements it began with. OK when they all ran; else the error to return (the
  // transaction cannot go on).
  absl::Status Settle(const Span& span, const Connection::Sent& sent, const absl::Status& status) {
    if (span.end == 0) return absl::OkStatus();
    const size_t failed = sent.failed < 0 ? span.end : static_cast<size_t>(sent.failed);
    if (failed < span.carried) {
      // A statement of the previous function failed: nothing after it ran.
      carried_error_ = status;
      broken_ = true;
      return status;
    }
    if (failed < span.commands) {
      // A savepoint command failed: the transaction is lost.
      pending_failed_ = broken_ = true;
      return status;
    }
    if (!status.ok() && sent.failed < 0) {
      // Lost before any answer: the statements' fate is unknown.
      broken_ = true;
      return status;
    }
    if (carried_ != nullptr) carried_->clear();
    pending_.clear();
    pending_sent_ = true;
    if (failed < span.deferred) {
      // A deferred statement failed: it is the function's result; the statements after it
      // did not run.
      deferred_.clear();
      prefetched_.clear();
      deferred_error_ = status;
      broken_ = true;
      return status;
    }
    deferred_.clear();
    // The prefetched reads of this round trip are answered (or the failed one has its error;
    // the reads after it did not run: they are dropped).
    size_t index = span.deferred;
    for (auto it = prefetched_.begin(); it != prefetched_.end();) {
      if (it->sent) {
        ++it;
      } else if (index < failed) {
        it->sent = true;
        ++index;
        ++it;
      } else if (index == failed && failed < span.end) {
        it->sent = true;
        it->error = status;
        ++index;
        ++it;
      } else {
        it = prefetched_.erase(it);
      }
    }
    if (failed < span.end) {
      // As after any failed read, the transaction is aborted.
      broken_ = true;
      return status;
    }
    return absl::OkStatus();
  }

  // What a statement of a session that cannot go on returns.
  absl::Status BrokenStatus() const {
    if (!deferred_error_.ok()) return deferred_error_;
    if (!carried_error_.ok()) return carried_error_;
    return absl::AbortedError("the transaction was rolled back after an error; retry");
  }

  // Undoes the failed write statement alone.
  void Undo() {
    if (conn_->broken() || !conn_->Exec("ROLLBACK TO lf_stmt").ok()) broken_ = true;
  }

  absl::Status MarkBroken(absl::Status st) {
    if (!st.ok()) broken_ = true;
    return st;
  }

  Connection* conn_;
  const bool writable_;
  std::vector<std::string> pending_;
  std::vector<Deferred>* const carried_;
  std::vector<Deferred> deferred_;
  std::vector<Prefetched> prefetched_;
  absl::Status deferred_error_;
  absl::Status carried_error_;
  bool pending_sent_ = false;
  bool pending_failed_ = false;
  bool savepoint_open_ = false;
  bool broken_ = false;
};

// One writer connection with its own group commit (group_commit.h). A Database has
// Options::writers of them; each runs its batches as serializable transactions, so two lanes
// of one process are ordered by PostgreSQL exactly as the writers of two processes are.
class WriterLane final : private BatchTransaction {
 public:
  // `target` and `connector` must outlive the lane.
  WriterLane(const Target* target, Connector* connector, std::unique_ptr<Connection> conn,
             const Options& options)
      : target_(target),
        connector_(connector),
        conn_(std::move(conn)),
        writer_(this, options.max_batch, options.metrics, options.conflict_retries) {}

  GroupCommitWriter& writer() { return writer_; }

 private:
  // BatchTransaction, on the lane's writer thread (group_commit.h).
  absl::Status BeginBatch() override;
  absl::Status RunFunction(AsyncTransactionFn& fn, absl::Status* result) override;
  absl::Status CommitBatch() override;
  int64_t committed_transaction_id() const override { return batch_xid_; }
  void RollbackBatch() override {
    carried_.clear();
    carried_result_ = nullptr;
    if (conn_ != nullptr && !conn_->broken() && conn_->txn() != PQTRANS_IDLE) {
      (void)conn_->Exec("ROLLBACK");
    }
  }
  // The batch's end after an error of the connection: UNAVAILABLE, ABORTED marked as a
  // conflict, or OK when the transaction can go on.
  absl::Status ConnectionFailure() const;

  const Target* const target_;
  Connector* const connector_;
  // Used only by the writer thread once it started; replaced after the connection is lost.
  std::unique_ptr<Connection> conn_;
  // The transaction id of the batch in progress (writer thread only).
  int64_t batch_xid_ = 0;
  // The last function's savepoint lf_write is still to be released (writer thread only).
  bool function_open_ = false;
  // The last function's deferred statements, not sent yet: they ride with the next function's
  // first round trip, or with the COMMIT; `carried_result_` is that function's outcome, which
  // becomes their error should one fail (writer thread only).
  std::vector<Deferred> carried_;
  absl::Status* carried_result_ = nullptr;

  GroupCommitWriter writer_;  // started by the Database once every lane is made
};

class PostgresDatabase final : public Database {
 public:
  // `writers`: Options::writers open connections, one per lane.
  PostgresDatabase(std::unique_ptr<Target> target, const Options& options,
                   std::vector<std::unique_ptr<Connection>> writers)
      : target_(std::move(target)),
        options_(options),
        connector_(target_.get(), &options_),
        readers_(options.max_readers, [this] { return connector_.Open(Role::kReader); }) {
    for (std::unique_ptr<Connection>& conn : writers) {
      lanes_.push_back(
          std::make_unique<WriterLane>(target_.get(), &connector_, std::move(conn), options_));
    }
    for (auto& lane : lanes_) lane->writer().Start();  // last: every member is ready
  }

  ~PostgresDatabase() override {
    // Each lane runs what is queued on it; a done callback may still queue on another lane,
    // which then runs it too as long as that lane has not stopped (else UNAVAILABLE).
    for (auto& lane : lanes_) lane->writer().Stop();
  }

  absl::Status Write(TransactionFn fn) override;
  void WriteAsync(AsyncTransactionFn fn, DoneFn done) override;

  absl::Status Read(TransactionFn fn) override;

  // Opens the pool's max_readers read connections now, so that no request waits for a
  // connection (and the resolution of the server's name) later.
  absl::Status OpenReaders();

  absl::Status Migrate(absl::string_view component, std::span<const Migration> migrations) override;

  Dialect dialect() const override { return Dialect::kPostgres; }

  Stats stats() const override;

 private:
  // The lane for the next function queued by this thread (see WriteAsync), and the count of
  // this thread's functions on it still in progress (to be decremented after their `done`).
  size_t ChooseLane(std::shared_ptr<std::atomic<int64_t>>* in_progress);

  void ReleaseReader(std::unique_ptr<Connection> conn);

  const std::unique_ptr<Target> target_;  // connections point at it
  const Options options_;
  Connector connector_;  // every connection after the writers' first ones

  internal::ReaderPool<Connection> readers_;

  std::vector<std::unique_ptr<WriterLane>> lanes_;  // fixed once constructed
  std::atomic<uint64_t> next_lane_{0};              // where the search for the least loaded starts
};

// The lane a thread last queued on, per Database, while functions it queued there are in
// progress.
struct LaneAffinity {
  size_t lane = 0;
  std::shared_ptr<std::atomic<int64_t>> in_progress;
};
thread_local absl::flat_hash_map<const void*, LaneAffinity> t_lane_affinity;

// Entries beyond this many (a thread that used many Databases, e.g. in tests) are pruned when
// none of their functions is in progress.
constexpr size_t kMaxLaneAffinities = 32;

size_t PostgresDatabase::ChooseLane(std::shared_ptr<std::atomic<int64_t>>* in_progress) {
  if (t_lane_affinity.size() > kMaxLaneAffinities) {
    absl::erase_if(t_lane_affinity, [](const auto& entry) {
      return entry.second.in_progress->load() == 0;
    });
  }
  LaneAffinity& affinity = t_lane_affinity[this];
  if (affinity.in_progress == nullptr) {
    affinity.in_progress = std::make_shared<std::atomic<int64_t>>(0);
  }
  // While a function this thread queued is in progress, the next goes to the same lane, behind
  // it: one thread's functions queued without waiting run in the order queued (as with one
  // writer; BatchRecordPassages relies on it). Otherwise the lane with the fewest functions
  // in progress, ties taken in turn.
  if (affinity.in_progress->load() == 0 || affinity.lane >= lanes_.size()) {
    const size_t n = lanes_.size();
    const size_t first = static_cast<size_t>(next_lane_.fetch_add(1) % n);
    size_t best = first;
    int64_t least = lanes_[first]->writer().pending();
    for (size_t k = 1; k < n && least > 0; ++k) {
      const size_t i = (first + k) % n;
      const int64_t load = lanes_[i]->writer().pending();
      if (load < least) {
        least = load;
        best = i;
      }
    }
    affinity.lane = best;
  }
  affinity.in_progress->fetch_add(1);
  *in_progress = affinity.in_progress;
  return affinity.lane;
}

void PostgresDatabase::WriteAsync(AsyncTransactionFn fn, DoneFn done) {
  if (lanes_.size() == 1) {
    lanes_[0]->writer().WriteAsync(std::move(fn), std::move(done));
    return;
  }
  std::shared_ptr<std::atomic<int64_t>> in_progress;
  const size_t lane = ChooseLane(&in_progress);
  lanes_[lane]->writer().WriteAsync(
      std::move(fn), [done = std::move(done), in_progress](absl::Status status) mutable {
        done(std::move(status));
        in_progress->fetch_sub(1);
      });
}

absl::Status PostgresDatabase::Write(TransactionFn fn) {
  const bool on_a_writer = std::any_of(lanes_.begin(), lanes_.end(), [](const auto& lane) {
    return lane->writer().OnWriterThread();
  });
  return WriteAndWait(on_a_writer, std::move(fn), [this](AsyncTransactionFn f, DoneFn d) {
    WriteAsync(std::move(f), std::move(d));
  });
}

Stats PostgresDatabase::stats() const {
  Stats total;
  for (const auto& lane : lanes_) {
    const Stats s = lane->writer().stats();
    total.commits += s.commits;
    total.writes += s.writes;
    total.failed_writes += s.failed_writes;
    total.largest_batch = std::max(total.largest_batch, s.largest_batch);
    total.conflict_retries += s.conflict_retries;
  }
  return total;
}

absl::Status WriterLane::BeginBatch() {
  // No lock on the whole database: concurrent writers (other replicas) are ordered by
  // PostgreSQL's serializable isolation, which fails one of two conflicting transactions
  // (40001) rather than let a rule that read then wrote see a stale read; the group-commit
  // writer then runs the batch again. The transaction id comes in the same round trip, for
  // CommittedTransactionId().
  static constexpr char kBegin[] = "BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT pg_current_xact_id()";
  batch_xid_ = 0;
  function_open_ = false;
  carried_.clear();
  carried_result_ = nullptr;
  auto begin = [this]() -> absl::Status {
    conn_->ClearConflict();
    ASSIGN_OR_RETURN(batch_xid_, conn_->ExecInt(kBegin));
    return absl::OkStatus();
  };
  if (conn_ != nullptr && !conn_->broken() && !conn_->read_only()) {
    absl::Status status = begin();
    if (status.ok()) return status;
    if (!conn_->broken() && !conn_->read_only()) {
      if (conn_->txn() != PQTRANS_IDLE) (void)conn_->Exec("ROLLBACK");
      return status;
    }
    // The server went away (restart, failover) or turned read-only since the last batch:
    // reconnect once.
  }
  conn_.reset();
  absl::StatusOr<std::unique_ptr<Connection>> conn = connector_->Open(Role::kWriter);
  if (!conn.ok()) return conn.status();
  conn_ = *std::move(conn);
  return begin();
}

absl::Status WriterLane::ConnectionFailure() const {
  if (conn_->broken()) {
    return absl::UnavailableError(absl::StrCat("the connection to the PostgreSQL database ",
                                               target_->description,
                                               " was lost during the transaction; retry the "
                                               "request"));
  }
  if (conn_->read_only()) {
    // Nothing of the batch was written: the server refuses writes. The next batch reconnects.
    return absl::UnavailableError(absl::StrCat("the PostgreSQL database ", target_->description,
                                               " is read-only (a standby, or a primary being "
                                               "switched over); retry the request"));
  }
  if (conn_->conflicted()) {
    // A function may have handled the error, but the transaction is doomed: PostgreSQL would
    // fail its COMMIT. The whole batch runs again.
    return internal::MarkConflict(absl::AbortedError(
        "the write conflicted with a concurrent transaction (serialization failure or "
        "deadlock); retry the request"));
  }
  return absl::OkStatus();
}

absl::Status WriterLane::RunFunction(AsyncTransactionFn& fn, absl::Status* result) {
  Connection* const conn = conn_.get();
  // The function's savepoint (and the release of the previous function's) ride with its first
  // statement, after the previous function's deferred statements; a function that runs none
  // costs no round trip.
  std::vector<std::string> pending;
  if (function_open_) pending.emplace_back("RELEASE lf_write");
  pending.emplace_back("SAVEPOINT lf_write");
  PostgresSession session(conn, /*writable=*/true, std::move(pending), &carried_);
  *result = fn(session);
  if (result->ok() && session.has_deferred() && !session.pending_sent()) {
    // Only deferred statements: they go now, with what is still to be sent before them.
    (void)session.Flush();
  }
  // A failed deferred statement is the function's result (its changes are undone below).
  if (!session.deferred_error().ok()) *result = session.deferred_error();
  // The function's deferred statements still unsent ride with the next function's first
  // round trip, or with the COMMIT.
  std::vector<Deferred> unsent = session.TakeDeferred();
  session.Invalidate();
  RETURN_IF_ERROR(ConnectionFailure());
  if (!session.carried_error().ok()) {
    // A deferred statement of the previous function failed in this function's first round
    // trip, before anything of this function ran: the previous function fails alone (its
    // savepoint is still open), and this one runs again.
    *carried_result_ = session.carried_error();
    carried_.clear();
    carried_result_ = nullptr;
    function_open_ = false;
    RETURN_IF_ERROR(conn->Exec(kFunctionRollback));
    return RunFunction(fn, result);
  }
  if (session.pending_failed()) {
    return absl::AbortedError("the write transaction failed; retry the request");
  }
  if (!session.pending_sent()) return absl::OkStatus();  // no statement: nothing to keep or undo
  function_open_ = false;  // the previous function's savepoint was released
  if (conn->txn() != PQTRANS_INTRANS && conn->txn() != PQTRANS_INERROR) {
    // A function issued COMMIT/ROLLBACK itself: the batch's earlier work is gone or split.
    return absl::AbortedError("the database transaction ended early; retry the request");
  }
  if (result->ok() && (session.broken() || conn->txn() == PQTRANS_INERROR)) {
    *result = absl::AbortedError("the write could not be completed after an error; retry");
  }
  if (result->ok()) {
    // Released with the next function's first statement, or by the COMMIT.
    function_open_ = true;
    if (!unsent.empty()) {
      carried_ = std::move(unsent);
      carried_result_ = result;
    }
    return absl::OkStatus();
  }
  return conn->Exec(kFunctionRollback);
}

absl::Status WriterLane::CommitBatch() {
  if (carried_.empty()) return conn_->Exec("COMMIT");
  // The last function's deferred statements and the COMMIT in one round trip.
  std::vector<Connection::Statement> statements;
  for (const Deferred& d : carried_) statements.push_back({.sql = d.sql, .params = d.params});
  statements.push_back({.sql = "COMMIT", .prepare = false});
  Connection::Sent sent;
  absl::StatusOr<Result> committed = conn_->Execute(statements, &sent);
  carried_.clear();
  absl::Status* const last_result = std::exchange(carried_result_, nullptr);
  if (committed.ok()) return absl::OkStatus();
  RETURN_IF_ERROR(ConnectionFailure());
  if (sent.failed < 0 || static_cast<size_t>(sent.failed) + 1 == statements.size()) {
    return committed.status();  // the COMMIT itself failed
  }
  // A deferred statement of the last function failed: that function fails alone, the others
  // commit.
  *last_result = committed.status();
  RETURN_IF_ERROR(conn_->Exec(kFunctionRollback));
  return conn_->Exec("COMMIT");
}

absl::Status PostgresDatabase::Read(TransactionFn fn) {
  constexpr char kBegin[] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, readers_.Acquire());
  absl::Status status = conn->Exec(kBegin);
  // An idle pooled connection died (server restart): it is closed and the next one tried. The
  // pool's other idle ones may have died too; after at most max_readers tries every dead one
  // is gone and the last try is on a fresh connection.
  for (int tries = 0; !status.ok() && conn->broken() && tries < options_.max_readers; ++tries) {
    ReleaseReader(std::move(conn));
    ASSIGN_OR_RETURN(conn, readers_.Acquire());
    status = conn->Exec(kBegin);
  }
  if (status.ok()) {
    PostgresSession session(conn.get(), /*writable=*/false);
    status = fn(session);
    session.Invalidate();
    // The snapshot was read-only: ending it either way releases it.
    if (!conn->broken()) {
      absl::Status end = conn->Exec("ROLLBACK");
      if (status.ok()) status = end;
    }
  }
  ReleaseReader(std::move(conn));
  return status;
}

absl::Status PostgresDatabase::OpenReaders() {
  std::vector<std::unique_ptr<Connection>> opened;
  absl::Status status;
  for (int k = 0; k < options_.max_readers; ++k) {
    absl::StatusOr<std::unique_ptr<Connection>> conn = readers_.Acquire();
    if (!conn.ok()) {
      status = conn.status();
      break;
    }
    opened.push_back(*std::move(conn));
  }
  for (std::unique_ptr<Connection>& conn : opened) readers_.Release(std::move(conn), true);
  return status;
}

void PostgresDatabase::ReleaseReader(std::unique_ptr<Connection> conn) {
  // A lost connection, or one stuck in a transaction (its ROLLBACK failed), is closed.
  const bool reusable = conn->idle();
  readers_.Release(std::move(conn), reusable);
}

absl::Status PostgresDatabase::Migrate(absl::string_view component,
                                       std::span<const Migration> migrations) {
  // Migrators of several processes take turns: each holds the migration lock on a connection
  // of its own while its migration transactions run (they begin after the lock is taken, so
  // each reads the versions another migrator recorded before it).
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> lock, connector_.Open(Role::kWriter));
  RETURN_IF_ERROR(lock->Exec(absl::StrCat("SET lock_timeout = '", kMigrationLockTimeout,
                                          "'; SELECT pg_advisory_lock(", kMigrationLockKey,
                                          ")")));
  absl::Status status = internal::RunMigrations(
      *this, component, migrations,
      [](Session& session, absl::string_view script) {
        return static_cast<PostgresSession&>(session).ExecScript(script);
      },
      [](const Migration& migration) {
        return migration.postgres_sql.empty() ? TranslateToPostgres(migration.sql)
                                              : migration.postgres_sql;
      });
  // Closing the connection (below) releases the lock too, should the unlock fail.
  (void)lock->Exec(absl::StrCat("SELECT pg_advisory_unlock(", kMigrationLockKey, ")"));
  return status;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> OpenPostgres(absl::string_view url,
                                                       const Options& options) {
  ASSIGN_OR_RETURN(Target parsed, ParseTarget(url));
  auto target = std::make_unique<Target>(std::move(parsed));

  std::vector<std::unique_ptr<Connection>> writers;
  for (int k = 0; k < options.writers; ++k) {
    absl::StatusOr<std::unique_ptr<Connection>> writer =
        Connection::Open(*target, options, Role::kWriter);
    if (!writer.ok()) return writer.status();
    writers.push_back(*std::move(writer));
  }
  auto db = std::make_unique<PostgresDatabase>(std::move(target), options, std::move(writers));
  // Every connection is made at start-up, while the service is not yet serving: a later
  // lazily made one could find the server's name unresolvable for a while (a container
  // network's DNS stalling just after containers start made the first sign-in after a
  // restart wait 20 s, two resolver timeouts on each of two name servers).
  RETURN_IF_ERROR(db->OpenReaders());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace lianfang::sql::internal
