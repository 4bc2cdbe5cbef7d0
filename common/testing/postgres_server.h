// PostgresServer: a real, private PostgreSQL cluster for integration tests, and the shared
// cluster the test suite runs on.
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresServer> pg, PostgresServer::Launch());
//   ASSERT_OK_AND_ASSIGN(std::string url, pg->CreateDatabase("gate"));
//   auto db = sql::Database::Open(url);
//   pg->Restart();     // the server goes away and comes back on the same port
//
//   // Failover: a synchronous streaming standby, the primary crashed, the standby promoted.
//   ASSERT_OK_AND_ASSIGN(auto standby, PostgresServer::LaunchStandby(*pg));
//   ASSERT_OK(pg->RequireSynchronousStandby());
//   std::string both = MultiHostUrl({pg.get(), standby.get()}, "lf_gate_...");
//   ASSERT_OK(pg->Crash());         // immediate shutdown: every session cut, nothing completes
//   ASSERT_OK(standby->Promote());  // it now accepts writes
//
// Launch() runs initdb (from /usr/lib/postgresql/<highest>/bin, or $LF_POSTGRES_BIN) into a
// fresh directory under /tmp and starts `postgres` on a free loopback port, with trust
// authentication for the `postgres` role, fsync on and its socket in that directory. When the
// test runs as root the cluster runs as the `postgres` system user (PostgreSQL refuses root):
// the directory is handed to that user and the child switches user before exec. The server
// gets SIGQUIT if the thread that launched it dies; the destructor stops it and removes the
// directory.
//
// Starting a cluster takes seconds, and ctest runs every test case as its own process, so
// test suites share one: `tools/test-postgres.sh start DIR` starts it and prints its URL, which
// goes into LF_TEST_POSTGRES (e.g. postgresql://postgres@127.0.0.1:PORT/postgres).
// SharedPostgresUrl() returns that URL, or, when the variable is unset, starts a private
// cluster for this process on first use (from a thread that lives as long as the process, so
// the cluster outlives the thread that asked first). NewPostgresDatabase() creates a fresh database
// on it; the databases a process created are dropped when it exits.
//
// Test-only. A PostgresServer is not thread-safe (drive it from one thread); the free
// functions are thread-safe.
#ifndef LIANFANG_COMMON_TESTING_POSTGRES_SERVER_H_
#define LIANFANG_COMMON_TESTING_POSTGRES_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lianfang::testing {

class PostgresServer final {
 public:
  // initdb into a new directory and Start(). NOT_FOUND when PostgreSQL's server binaries (or,
  // as root, the `postgres` user) are missing; INTERNAL when initdb fails (its output in the
  // message); UNAVAILABLE when the server does not come up.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Launch();

  // A streaming standby of `primary`, which must run: `pg_basebackup -R -X stream` of it into a
  // new directory under /tmp (the databases `primary` holds come along), started on a free
  // loopback port as a hot standby (read-only sessions; a libpq URL with
  // target_session_attrs=read-write refuses it until it is promoted). Errors as Launch();
  // FAILED_PRECONDITION when `primary` does not run; INTERNAL when pg_basebackup fails.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> LaunchStandby(
      const PostgresServer& primary);

  // Stops the server and removes its directory.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Starts the server (on a free port the first time, on the same port afterwards) and waits,
  // polling with a bound, until it accepts connections. FAILED_PRECONDITION when it runs.
  absl::Status Start();
  // Fast shutdown (SIGINT: sessions are disconnected), waiting for the process to end.
  // OK when it is not running.
  absl::Status Stop();
  // Stop() then Start(): clients see their connections drop.
  absl::Status Restart();
  bool running() const { return pid_ > 0; }

  // Makes this primary's commits synchronous (synchronous_standby_names = '*' by ALTER SYSTEM,
  // reloaded; synchronous_commit stays `on`: a COMMIT returns once a standby has flushed it)
  // and waits, polling up to `timeout`, until a standby streams from it as `sync`. Call it after
  // LaunchStandby: the standby's base backup then does not carry the setting, so once promoted
  // it does not wait for a standby of its own. DEADLINE_EXCEEDED when no standby becomes
  // synchronous in time; UNAVAILABLE when this server cannot be reached.
  absl::Status RequireSynchronousStandby(absl::Duration timeout = absl::Seconds(30));
  // Promotes this standby (`pg_ctl promote -w`): when it returns OK the server accepts writes.
  // FAILED_PRECONDITION when it does not run; INTERNAL when pg_ctl fails (not a standby).
  absl::Status Promote();
  // Immediate shutdown (SIGQUIT to the postmaster, as `pg_ctl stop -m immediate`): every
  // session is cut at once, no transaction in progress completes, no checkpoint is written.
  // For its clients, the server crashed. Waits for the process to end; OK when not running.
  absl::Status Crash();

  int port() const { return port_; }
  // postgresql://postgres@127.0.0.1:PORT/postgres (the maintenance database).
  std::string url() const;
  // The server log (for failure messages).
  std::string log_path() const { return dir_ + "/server.log"; }

  // A new, empty database on this server; its URL. See NewPostgresDatabase.
  absl::StatusOr<std::string> CreateDatabase(absl::string_view hint = "test");

 private:
  PostgresServer() = default;
  absl::Status StartOnPort(int port);

  std::string bin_dir_;
  std::string dir_;  // holds data/, the socket and the log
  int port_ = 0;
  pid_t pid_ = -1;
};

// The admin URL of the cluster tests share: $LF_TEST_POSTGRES when set, else a private
// cluster started for this process on first call (kept until the process exits). Errors of
// PostgresServer::Launch.
absl::StatusOr<std::string> SharedPostgresUrl();

// Creates a database with a unique name (starting lf_<hint>) on the cluster at `admin_url`
// and returns its URL (the admin URL with the database name replaced). The database is
// dropped when this process exits normally. UNAVAILABLE when the cluster cannot be reached;
// INTERNAL when CREATE DATABASE fails.
absl::StatusOr<std::string> CreatePostgresDatabase(const std::string& admin_url,
                                                   absl::string_view hint);

// CreatePostgresDatabase(SharedPostgresUrl(), hint).
absl::StatusOr<std::string> NewPostgresDatabase(absl::string_view hint);

// Runs one parameterless statement on a fresh connection to `url` (outside any transaction
// block: ALTER SYSTEM, pg_reload_conf() and the like); the first column of its first row, ""
// when it returns none. UNAVAILABLE when the server cannot be reached; INTERNAL (with the
// server's message) when it refuses the statement.
absl::StatusOr<std::string> PostgresQuery(const std::string& url, const std::string& statement);

// Cuts the LISTEN connections (sql::Listener's, application_name "lianfang-listener") to the
// database of `url` and keeps them from coming back: new sessions on that database are made
// read-only, which a listener (asking for a read-write session) refuses, while the connections
// opened before keep writing. For tests of how replicas catch up on what they did not hear.
absl::Status CutListenersOfDatabase(const std::string& url);
// Undoes CutListenersOfDatabase: new sessions on the database of `url` may write again.
absl::Status LetListenersBackIntoDatabase(const std::string& url);

// The libpq multi-host URL of database `dbname` on `servers`, in order, for the read-write
// one among them: postgresql://postgres@127.0.0.1:P1,127.0.0.1:P2/DBNAME
// ?target_session_attrs=read-write (the form services use to follow a failover).
std::string MultiHostUrl(const std::vector<const PostgresServer*>& servers,
                         absl::string_view dbname);

}  // namespace lianfang::testing

#endif  // LIANFANG_COMMON_TESTING_POSTGRES_SERVER_H_
