// PostgresServer: a real, private PostgreSQL cluster for integration tests, and the shared
// cluster the test suite runs on.
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresServer> pg, PostgresServer::Launch());
//   ASSERT_OK_AND_ASSIGN(std::string url, pg->CreateDatabase("gate"));
//   auto db = sql::Database::Open(url);
//   pg->Restart();     // the server goes away and comes back on the same port
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
// the cluster outlives the thread that asked first). NewPostgresDatabase() creates a fresh database on it;
// the databases a process created are dropped when it exits.
//
// Test-only. A PostgresServer is not thread-safe (drive it from one thread); the free
// functions are thread-safe.
#ifndef LIANFANG_COMMON_TESTING_POSTGRES_SERVER_H_
#define LIANFANG_COMMON_TESTING_POSTGRES_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

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

}  // namespace lianfang::testing

#endif  // LIANFANG_COMMON_TESTING_POSTGRES_SERVER_H_
