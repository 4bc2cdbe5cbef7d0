#include "common/testing/postgres_server.h"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/testing/poll.h"
#include "common/testing/ports.h"
#include "common/testing/subprocess.h"

extern char** environ;

namespace lianfang::testing {
namespace {

// Generous: a loaded 2-core machine running several test binaries may be slow.
constexpr absl::Duration kStartTimeout = absl::Seconds(60);
constexpr absl::Duration kStopTimeout = absl::Seconds(30);
constexpr int kPortAttempts = 5;

std::string Tail(const std::string& text, size_t n) {
  return text.size() <= n ? text : text.substr(text.size() - n);
}

// The folder holding initdb and postgres: $LF_POSTGRES_BIN, else the highest version under
// /usr/lib/postgresql.
absl::StatusOr<std::string> FindBinDir() {
  if (const char* env = std::getenv("LF_POSTGRES_BIN"); env != nullptr && env[0] != '\0') {
    return std::string(env);
  }
  std::error_code ec;
  int best = -1;
  std::string best_dir;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    int version = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &version)) continue;
    const std::string bin = entry.path().string() + "/bin";
    if (access((bin + "/postgres").c_str(), X_OK) == 0 &&
        access((bin + "/initdb").c_str(), X_OK) == 0 && version > best) {
      best = version;
      best_dir = bin;
    }
  }
  if (best < 0) {
    return absl::NotFoundError(
        "PostgreSQL's server binaries are not installed (apt-get install postgresql); set "
        "LF_POSTGRES_BIN to their folder if they live elsewhere");
  }
  return best_dir;
}

// Who runs the cluster: nobody else when we are not root, else the `postgres` user.
struct RunAs {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

absl::StatusOr<RunAs> ClusterUser() {
  RunAs who;
  if (geteuid() != 0) return who;
  struct passwd* pw = getpwnam("postgres");
  if (pw == nullptr) {
    return absl::NotFoundError(
        "running as root, and PostgreSQL refuses root: a `postgres` system user is needed "
        "(the postgresql package creates it)");
  }
  who.switch_user = true;
  who.uid = pw->pw_uid;
  who.gid = pw->pw_gid;
  return who;
}

// Starts `args` as `who`, output to `log`, in `dir`. The child gets SIGQUIT (PostgreSQL's
// immediate shutdown) when the calling thread dies.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& args, const RunAs& who,
                            const std::string& log, const std::string& dir) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // The child's environment: ours, minus PG* variables that could point it elsewhere.
  std::vector<std::string> env_store;
  for (char** e = environ; *e != nullptr; ++e) {
    if (absl::StartsWith(*e, "PG")) continue;
    env_store.emplace_back(*e);
  }
  env_store.emplace_back("LC_ALL=C");
  std::vector<char*> envp;
  for (std::string& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    // Only async-signal-safe calls from here to execve.
    if (who.switch_user) {
      if (setgroups(0, nullptr) != 0 || setgid(who.gid) != 0 || setuid(who.uid) != 0) _exit(126);
    }
    // Set after the user switch, which would clear it.
    prctl(PR_SET_PDEATHSIG, SIGQUIT);
    if (getppid() != parent) _exit(126);
    const int null_fd = open("/dev/null", O_RDONLY);
    const int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (null_fd < 0 || log_fd < 0) _exit(126);
    dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    if (chdir(dir.c_str()) != 0) _exit(126);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

// Waits for `pid` up to `timeout`; its wait status, or nullopt when it still runs.
std::optional<int> WaitFor(pid_t pid, absl::Duration timeout) {
  std::optional<int> result;
  PollUntil(
      [&] {
        int status = 0;
        const pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD)) {
          result = status;
          return true;
        }
        return false;
      },
      timeout, absl::Milliseconds(50));
  return result;
}

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};

// Runs one parameterless statement on a fresh connection to `url`.
absl::Status AdminExec(const std::string& url, const std::string& statement) {
  std::unique_ptr<PGconn, PgConnDeleter> conn(PQconnectdb(url.c_str()));
  if (conn == nullptr || PQstatus(conn.get()) != CONNECTION_OK) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to the test PostgreSQL cluster: ",
                     conn ? PQerrorMessage(conn.get()) : "out of memory"));
  }
  std::unique_ptr<PGresult, PgResultDeleter> res(PQexec(conn.get(), statement.c_str()));
  if (res == nullptr || PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
    return absl::InternalError(absl::StrCat("the test PostgreSQL cluster refused `", statement,
                                            "`: ", PQerrorMessage(conn.get())));
  }
  return absl::OkStatus();
}

// Runs one parameterless query on a fresh connection to `url`; the first column of its first
// row ("" when it returned none).
absl::StatusOr<std::string> AdminQuery(const std::string& url, const std::string& query) {
  std::unique_ptr<PGconn, PgConnDeleter> conn(PQconnectdb(url.c_str()));
  if (conn == nullptr || PQstatus(conn.get()) != CONNECTION_OK) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to the test PostgreSQL cluster: ",
                     conn ? PQerrorMessage(conn.get()) : "out of memory"));
  }
  std::unique_ptr<PGresult, PgResultDeleter> res(PQexec(conn.get(), query.c_str()));
  const ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return absl::InternalError(absl::StrCat("the test PostgreSQL cluster refused `", query,
                                            "`: ", PQerrorMessage(conn.get())));
  }
  if (status != PGRES_TUPLES_OK || PQntuples(res.get()) == 0 || PQnfields(res.get()) == 0) {
    return std::string();
  }
  return std::string(PQgetvalue(res.get(), 0, 0));
}

// A new directory under /tmp for a cluster, owned by the cluster's user. Not $TMPDIR: the
// `postgres` user must be able to reach it.
absl::StatusOr<std::string> MakeClusterDir(const RunAs& who) {
  char templ[] = "/tmp/lf-pg-XXXXXX";
  if (mkdtemp(templ) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp under /tmp: ", std::strerror(errno)));
  }
  if (who.switch_user && chown(templ, who.uid, who.gid) != 0) {
    const std::string message = absl::StrCat("chown ", templ, ": ", std::strerror(errno));
    rmdir(templ);
    return absl::InternalError(message);
  }
  return std::string(templ);
}

// Runs a PostgreSQL tool as `who` in `dir` to its end (bounded by `timeout`), output to `log`.
// INTERNAL with the tail of its output when it fails or does not finish.
absl::Status RunTool(const std::vector<std::string>& args, const RunAs& who, const std::string& log,
                     const std::string& dir, absl::Duration timeout) {
  absl::StatusOr<pid_t> pid = Spawn(args, who, log, dir);
  if (!pid.ok()) return pid.status();
  const std::string name = std::filesystem::path(args.front()).filename().string();
  std::optional<int> status = WaitFor(*pid, timeout);
  if (!status.has_value()) {
    kill(*pid, SIGKILL);
    WaitFor(*pid, absl::Seconds(10));
    return absl::InternalError(absl::StrCat(name, " did not finish in time"));
  }
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return absl::InternalError(
        absl::StrCat(name, " failed; output tail: ", Tail(ReadFileOrEmpty(log), 800)));
  }
  return absl::OkStatus();
}

// `url` with its database name replaced by `dbname` (query parameters kept).
std::string WithDatabase(const std::string& url, const std::string& dbname) {
  const size_t scheme = url.find("://");
  const size_t authority = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t query = url.find('?', authority);
  const std::string head = url.substr(0, query == std::string::npos ? url.size() : query);
  const std::string tail = query == std::string::npos ? "" : url.substr(query);
  const size_t slash = head.find('/', authority);
  return absl::StrCat(slash == std::string::npos ? head : head.substr(0, slash), "/", dbname,
                      tail);
}

// Process-wide state: the private cluster (when LF_TEST_POSTGRES is unset) and the databases
// to drop at exit. Destroyed at exit; the mutex guards everything.
class SharedState final {
 public:
  static SharedState& Get() {
    static SharedState state;
    return state;
  }

  ~SharedState() {
    bool private_cluster = false;
    {
      absl::MutexLock lock(&mu_);
      private_cluster = owner_.joinable();
      if (!private_cluster) {
        for (const auto& [admin, name] : created_) {
          AdminExec(admin, absl::StrCat("DROP DATABASE IF EXISTS \"", name, "\" WITH (FORCE)"))
              .IgnoreError();
        }
      }
    }
    if (private_cluster) {  // it goes away with its databases
      shutdown_.Notify();
      owner_.join();
    }
  }

  absl::StatusOr<std::string> AdminUrl() {
    if (const char* env = std::getenv("LF_TEST_POSTGRES"); env != nullptr && env[0] != '\0') {
      return std::string(env);
    }
    absl::MutexLock lock(&mu_);
    if (!owner_.joinable()) {
      // The cluster is started, owned and stopped by a thread that lives as long as the
      // process: the server's parent-death signal follows the thread that started it, and a
      // test's first caller may be a short-lived thread.
      absl::Notification started;
      owner_ = std::thread([this, &started] {
        std::unique_ptr<PostgresServer> server;
        absl::StatusOr<std::unique_ptr<PostgresServer>> launched = PostgresServer::Launch();
        if (launched.ok()) {
          server = *std::move(launched);
          launch_result_ = server->url();
        } else {
          launch_result_ = launched.status();
        }
        started.Notify();
        shutdown_.WaitForNotification();
        server.reset();
      });
      started.WaitForNotification();
    }
    return launch_result_;
  }

  void Created(const std::string& admin, const std::string& name) {
    absl::MutexLock lock(&mu_);
    created_.emplace_back(admin, name);
  }

 private:
  absl::Mutex mu_;
  std::thread owner_ ABSL_GUARDED_BY(mu_);  // runs while the private cluster lives
  // The private cluster's URL or why it could not start; written by owner_ before it
  // notifies, read under mu_ afterwards.
  absl::StatusOr<std::string> launch_result_;
  absl::Notification shutdown_;
  std::vector<std::pair<std::string, std::string>> created_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Launch() {
  absl::StatusOr<std::string> bin = FindBinDir();
  if (!bin.ok()) return bin.status();
  absl::StatusOr<RunAs> who = ClusterUser();
  if (!who.ok()) return who.status();

  std::unique_ptr<PostgresServer> server(new PostgresServer());
  server->bin_dir_ = *bin;
  absl::StatusOr<std::string> dir = MakeClusterDir(*who);
  if (!dir.ok()) return dir.status();
  server->dir_ = *dir;

  if (absl::Status st =
          RunTool({server->bin_dir_ + "/initdb", "-D", server->dir_ + "/data", "-U", "postgres",
                   "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"},
                  *who, server->dir_ + "/initdb.log", server->dir_, absl::Minutes(3));
      !st.ok()) {
    return st;
  }
  if (absl::Status st = server->Start(); !st.ok()) return st;
  return server;
}

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::LaunchStandby(
    const PostgresServer& primary) {
  if (!primary.running()) {
    return absl::FailedPreconditionError("the primary of the standby does not run");
  }
  absl::StatusOr<RunAs> who = ClusterUser();
  if (!who.ok()) return who.status();
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  server->bin_dir_ = primary.bin_dir_;
  absl::StatusOr<std::string> dir = MakeClusterDir(*who);
  if (!dir.ok()) return dir.status();
  server->dir_ = *dir;
  // -R writes standby.signal and primary_conninfo: the copy starts as a streaming standby.
  if (absl::Status st =
          RunTool({server->bin_dir_ + "/pg_basebackup", "-D", server->dir_ + "/data", "-h",
                   "127.0.0.1", "-p", absl::StrCat(primary.port()), "-U", "postgres", "-R", "-X",
                   "stream", "--checkpoint=fast", "--no-sync"},
                  *who, server->dir_ + "/basebackup.log", server->dir_, absl::Minutes(3));
      !st.ok()) {
    return st;
  }
  if (absl::Status st = server->Start(); !st.ok()) return st;
  return server;
}

absl::Status PostgresServer::RequireSynchronousStandby(absl::Duration timeout) {
  for (const char* statement :
       {"ALTER SYSTEM SET synchronous_standby_names = '*'", "SELECT pg_reload_conf()"}) {
    absl::StatusOr<std::string> done = AdminQuery(url(), statement);
    if (!done.ok()) return done.status();
  }
  absl::Status last;
  const bool sync = PollUntil(
      [&] {
        absl::StatusOr<std::string> n =
            AdminQuery(url(), "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'");
        last = n.status();
        return n.ok() && *n != "0";
      },
      timeout, absl::Milliseconds(50));
  if (sync) return absl::OkStatus();
  if (!last.ok()) return last;
  return absl::DeadlineExceededError(
      absl::StrCat("no standby became synchronous within ", absl::FormatDuration(timeout)));
}

absl::Status PostgresServer::Promote() {
  if (!running()) return absl::FailedPreconditionError("the standby to promote does not run");
  absl::StatusOr<RunAs> who = ClusterUser();
  if (!who.ok()) return who.status();
  return RunTool({bin_dir_ + "/pg_ctl", "promote", "-D", dir_ + "/data", "-w", "-t", "60"}, *who,
                 dir_ + "/promote.log", dir_, absl::Seconds(90));
}

absl::Status PostgresServer::Crash() {
  if (!running()) return absl::OkStatus();
  kill(pid_, SIGQUIT);  // immediate shutdown
  if (!WaitFor(pid_, kStopTimeout).has_value()) {
    kill(pid_, SIGKILL);
    WaitFor(pid_, kStopTimeout);
  }
  pid_ = -1;
  return absl::OkStatus();
}

PostgresServer::~PostgresServer() {
  Stop().IgnoreError();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string PostgresServer::url() const {
  return absl::StrCat("postgresql://postgres@127.0.0.1:", port_, "/postgres");
}

absl::Status PostgresServer::Start() {
  if (running()) return absl::FailedPreconditionError("postgres already runs");
  if (port_ != 0) return StartOnPort(port_);
  absl::Status last;
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    absl::StatusOr<int> port = PickFreePort();
    if (!port.ok()) return port.status();
    last = StartOnPort(*port);
    if (last.ok()) {
      port_ = *port;
      return last;
    }
    if (!absl::StrContains(last.message(), "in use")) return last;
  }
  return last;
}

absl::Status PostgresServer::StartOnPort(int port) {
  absl::StatusOr<RunAs> who = ClusterUser();
  if (!who.ok()) return who.status();
  const std::string log = log_path();
  unlink(log.c_str());  // this run's log only, for failure messages
  // fsync off, as in tools/test-postgres.sh: a killed server keeps every acknowledged commit
  // (its WAL was written); only a machine crash could lose one.
  absl::StatusOr<pid_t> pid =
      Spawn({bin_dir_ + "/postgres", "-D", dir_ + "/data", "-p", absl::StrCat(port), "-k", dir_,
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=300",
             "-c", "shared_buffers=32MB", "-c", "logging_collector=off"},
            *who, log, dir_);
  if (!pid.ok()) return pid.status();
  pid_ = *pid;

  const std::string conninfo =
      absl::StrCat("postgresql://postgres@127.0.0.1:", port, "/postgres?connect_timeout=2");
  bool exited = false;
  const bool up = PollUntil(
      [&] {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          exited = true;
          return true;
        }
        return PQping(conninfo.c_str()) == PQPING_OK;
      },
      kStartTimeout, absl::Milliseconds(50));
  if (up && !exited) return absl::OkStatus();

  const std::string output = ReadFileOrEmpty(log);
  if (!exited) {
    kill(pid_, SIGKILL);
    WaitFor(pid_, kStopTimeout);
  }
  pid_ = -1;
  return absl::UnavailableError(
      absl::StrCat("postgres on port ", port,
                   exited ? " exited at start-up" : " did not accept connections in time",
                   absl::StrContains(output, "already in use") ? " (address in use)" : "",
                   "; log tail: ", Tail(output, 800)));
}

absl::Status PostgresServer::Stop() {
  if (!running()) return absl::OkStatus();
  kill(pid_, SIGINT);  // fast shutdown
  std::optional<int> status = WaitFor(pid_, kStopTimeout);
  if (!status.has_value()) {
    kill(pid_, SIGQUIT);
    status = WaitFor(pid_, kStopTimeout);
    if (!status.has_value()) {
      kill(pid_, SIGKILL);
      WaitFor(pid_, kStopTimeout);
    }
  }
  pid_ = -1;
  return absl::OkStatus();
}

absl::Status PostgresServer::Restart() {
  if (absl::Status s = Stop(); !s.ok()) return s;
  return Start();
}

absl::StatusOr<std::string> PostgresServer::CreateDatabase(absl::string_view hint) {
  return CreatePostgresDatabase(url(), hint);
}

absl::StatusOr<std::string> SharedPostgresUrl() { return SharedState::Get().AdminUrl(); }

absl::StatusOr<std::string> CreatePostgresDatabase(const std::string& admin_url,
                                                   absl::string_view hint) {
  static std::atomic<int> counter{0};
  std::string clean;
  for (char c : hint) {
    if (clean.size() >= 16) break;
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      clean.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    } else if (c == '.') {
      break;  // "gate.db" -> "gate"
    } else {
      clean.push_back('_');
    }
  }
  std::random_device random;
  const std::string name = absl::StrCat("lf_", clean, "_", getpid(), "_", counter++, "_",
                                        random() % 1000000);
  if (absl::Status st = AdminExec(admin_url, absl::StrCat("CREATE DATABASE \"", name, "\""));
      !st.ok()) {
    return st;
  }
  SharedState::Get().Created(admin_url, name);
  return WithDatabase(admin_url, name);
}

absl::StatusOr<std::string> NewPostgresDatabase(absl::string_view hint) {
  absl::StatusOr<std::string> admin = SharedPostgresUrl();
  if (!admin.ok()) return admin.status();
  return CreatePostgresDatabase(*admin, hint);
}

absl::StatusOr<std::string> PostgresQuery(const std::string& url, const std::string& statement) {
  return AdminQuery(url, statement);
}

absl::Status CutListenersOfDatabase(const std::string& url) {
  const std::string dbname = url.substr(url.rfind('/') + 1);
  absl::StatusOr<std::string> altered = AdminQuery(
      url, absl::StrCat("ALTER DATABASE ", dbname, " SET default_transaction_read_only = on"));
  if (!altered.ok()) return altered.status();
  return AdminQuery(url,
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'lianfang-listener'")
      .status();
}

absl::Status LetListenersBackIntoDatabase(const std::string& url) {
  const std::string dbname = url.substr(url.rfind('/') + 1);
  // This session itself must not start read-only.
  return AdminQuery(url + "?options=-c%20default_transaction_read_only%3Doff",
                    absl::StrCat("ALTER DATABASE ", dbname, " RESET default_transaction_read_only"))
      .status();
}

std::string MultiHostUrl(const std::vector<const PostgresServer*>& servers,
                         absl::string_view dbname) {
  std::string hosts;
  for (const PostgresServer* server : servers) {
    absl::StrAppend(&hosts, hosts.empty() ? "" : ",", "127.0.0.1:", server->port());
  }
  return absl::StrCat("postgresql://postgres@", hosts, "/", dbname,
                      "?target_session_attrs=read-write");
}

}  // namespace lianfang::testing
