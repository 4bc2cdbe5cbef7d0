// Suite: the whole Lianfang suite as a sysadmin starts it, for end-to-end tests — the seven
// service binaries (lf-gate, lf-survey, lf-dispatch, lf-report, lf-gateway, lf-accounts,
// lf-supplies) from the build tree, a private redis-server, the database of each service (by
// default the test database, common/testing/test_database.h: SQLite files in a temporary directory,
// or PostgreSQL with LF_TEST_DB=postgres; or always SQLite), test tokens, TLS material made at run
// time when asked, all on loopback ports picked at run time.
//
// The one launcher of every end-to-end test: the reliability, security and gateway browser
// harnesses (tests/reliability/suite.h, tests/security/suite.h,
// tests/services/gateway/real_stack.h) are adapters over it.
//
//   Suite suite;
//   ASSERT_OK(suite.Start());                       // every service, each reporting SERVING
//   auto stub = gate::v1::GateService::NewStub(suite.Channel("gate"));
//   std::string leader = suite.tokens().For(auth::Role::kLeader, "leader-li");
//   options.env = suite.ClientEnvironment();        // LF_*_ADDR + LF_JWT_SECRET_FILE for lfctl
//
//   Suite crashy;                                    // one service at a time, faults injected
//   ASSERT_OK(crashy.Start({.services = {}, .database = Suite::Database::kSqlite}));
//   ASSERT_OK(crashy.StartService("gate"));
//   ASSERT_OK(crashy.Kill("gate"));                  // SIGKILL, no goodbye
//   ASSERT_OK(crashy.StartService("gate"));          // same port, same database
//
//   // A second replica of the gate on the same database (PostgreSQL: LF_TEST_DB=postgres or
//   // an LF_DB of service_env), on a port of its own picked at run time:
//   ASSERT_OK(suite.StartService(Suite::Replica("gate", 2)));   // "gate#2"
//   auto b = gate::v1::GateService::NewStub(suite.Channel(Suite::Replica("gate", 2)));
//
// Starting the suite takes seconds: start it once per test binary (a static in
// SetUpTestSuite, or a ::testing::Environment) and share it between tests.
// Test-only. Not thread-safe: drive a Suite from one thread (the channels it hands out may be
// used from any thread). The destructor stops every process and removes the files.
#ifndef LIANFANG_COMMON_TESTING_GRPC_SUITE_H_
#define LIANFANG_COMMON_TESTING_GRPC_SUITE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/server/client.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/redis_server.h"
#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"

namespace lianfang::testing {

// TLS material made at run time with the `openssl` command: a CA and one certificate it signs
// for 127.0.0.1 and localhost, usable by servers and by clients (serverAuth + clientAuth).
struct TestPki {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
  // A second CA, unrelated to the first (a client trusting only it must not connect).
  std::string other_ca_pem;
};

// Writes the files into `dir`. NOT_FOUND when `openssl` is not installed, INTERNAL when a
// command fails (the message carries its output).
absl::StatusOr<TestPki> MakeTestPki(const TempDir& dir);

class Suite final {
 public:
  // Where each service keeps its data.
  enum class Database {
    kTestDatabase,  // testing::TestDatabaseUrl: SQLite, or PostgreSQL with LF_TEST_DB=postgres
    kSqlite,        // always a SQLite file (db_path())
  };

  using Env = std::vector<std::pair<std::string, std::string>>;

  struct Options {
    // The services Start() starts, in this order ("gate", "survey", "dispatch", "report",
    // "gateway", "accounts", "supplies"); every service has a port all the same, so one not started
    // has an address where nothing listens (calls to it are UNAVAILABLE) and can be started later.
    // lf-accounts gets the Ed25519 pair of tokens() (it accepts tokens().EdDsaFor for people);
    // the others get no public key and accept the HS256 tokens().For of every role.
    std::vector<std::string> services = {"gate", "survey", "dispatch", "report", "gateway"};
    // Settings given to every service, after the suite's own (a name given again replaces it).
    Env env = {};
    // Settings given to one service, after `env` (e.g. {"gate", {{"LF_RETENTION_DAYS", "30"}}}).
    std::map<std::string, Env> service_env = {};
    // Addresses handed out for one service that point at another: {"report", "gate"} makes
    // LF_REPORT_ADDR (and address("report")) the gate's, which answers UNIMPLEMENTED.
    std::map<std::string, std::string> served_by = {};
    // The sites file (LF_SITES): this text written to the suite's directory, or
    // deploy/sites.textproto when empty.
    std::string sites_textproto = "";
    // The content of the key file of LF_PII_KEY_FILE.
    std::string pii_key = "a-test-only-pii-key-of-32-bytes!!";
    // LF_TZ.
    std::string time_zone = "Asia/Shanghai";
    Database database = Database::kTestDatabase;
    // Serve mutual TLS everywhere (LF_TLS_CERT, LF_TLS_KEY, LF_TLS_CA) with a PKI made at run
    // time; Channel() and the health checks use it too.
    bool tls = false;
    // How long a service may take to report SERVING.
    absl::Duration start_timeout = absl::Seconds(60);
    // Give every service a metrics listener (LF_METRICS_LISTEN) on a port of its own, picked at
    // run time (metrics_port()); a service is started once it also listens there.
    bool metrics = false;
  };

  // "gate", "survey", "dispatch", "report", "gateway", "accounts", "supplies".
  static const std::vector<std::string>& AllServices();
  // The API service of `service` ("gate" -> "lianfang.gate.v1.GateService"); empty for a name
  // that is not one of the seven.
  static std::string ApiService(absl::string_view service);
  // The name of the n-th replica (n >= 2) of `service`: "gate#2". Every method taking a
  // service name takes it: the replica is its own process, on a port of its own picked when it
  // is first started (fixed from then on), with the environment of `service` (settings,
  // service_env, database: several processes on one database, so PostgreSQL) except LF_LISTEN
  // and the metrics port. Not started by Start(); Replica(service, 1) is `service` itself.
  static std::string Replica(absl::string_view service, int n);

  Suite();
  ~Suite();  // SIGTERM to every service still running (SIGKILL after a grace), then Redis
  Suite(const Suite&) = delete;
  Suite& operator=(const Suite&) = delete;

  // Writes the keys and the sites file, makes the PKI when asked, starts redis-server, picks a
  // port for each service and the gateway's HTTP (and metrics ports when asked), then starts
  // `options.services` in order, each reporting SERVING before the next starts (a bounded wait).
  // NOT_FOUND (before anything runs) when a binary is not built (`ninja lf-gate ...`),
  // INVALID_ARGUMENT for an unknown service name; otherwise the failure with the tail of the
  // service's log. A service that finds its port taken by another process meanwhile makes the whole
  // start again on new ports (a few times). Call once.
  absl::Status Start(const Options& options);
  absl::Status Start() { return Start(Options()); }

  // Starts one service (or a Replica()) on its port with its database (after Start()) and
  // waits up to `timeout` (default: Options::start_timeout) until it reports SERVING from this
  // process.
  // INVALID_ARGUMENT for an unknown name, FAILED_PRECONDITION when it already runs or exits
  // while starting, DEADLINE_EXCEEDED when it does not come up; both with the tail of its log.
  absl::Status StartService(absl::string_view service,
                            std::optional<absl::Duration> timeout = std::nullopt);
  // SIGTERM and wait for the graceful drain (SIGKILL after `grace`). FAILED_PRECONDITION when
  // the service is not running.
  absl::Status Stop(absl::string_view service, absl::Duration grace = absl::Seconds(15));
  // SIGKILL and reap: the process dies in the middle of whatever it was doing.
  // FAILED_PRECONDITION when the service is not running.
  absl::Status Kill(absl::string_view service);
  // Stop() when it runs, then StartService().
  absl::Status Restart(absl::string_view service);
  bool Running(absl::string_view service);
  // How the latest process of `service` ended (after Stop() or Kill(): a graceful drain exits
  // 0); nullopt while it runs or when it was never started.
  std::optional<ExitStatus> Exit(absl::string_view service);

  // "127.0.0.1:PORT" of `service` (of the service it is served_by), fixed once started.
  std::string address(absl::string_view service) const;
  // The gateway's HTTP port.
  int http_port() const { return http_port_; }
  // The port of `service`'s metrics listener (GET /metrics), 0 without Options::metrics.
  int metrics_port(absl::string_view service) const;
  // A new channel to `service`: TLS with the suite's CA and client certificate when the suite
  // serves TLS, plaintext otherwise.
  std::shared_ptr<grpc::Channel> Channel(absl::string_view service) const;
  // The client TLS of Channel(), or null without TLS.
  const server::ClientTls* client_tls() const {
    return client_tls_.has_value() ? &*client_tls_ : nullptr;
  }
  const TestPki* pki() const { return pki_.has_value() ? &*pki_ : nullptr; }

  // The service's LF_DB, and the SQLite file it is (or would be) with Database::kSqlite.
  std::string database_url(absl::string_view service) const;
  std::string db_path(absl::string_view service) const;

  const TestTokens& tokens() const { return tokens_; }
  RedisServer& redis() { return *redis_; }
  const RedisServer& redis() const { return *redis_; }
  std::string redis_url() const;
  const std::string& pii_key_file() const { return pii_key_file_; }
  const std::string& sites_file() const { return sites_file_; }
  const TempDir& dir() const { return dir_; }

  // What a client of the suite needs: LF_GATE_ADDR, LF_SURVEY_ADDR, LF_DISPATCH_ADDR,
  // LF_REPORT_ADDR, LF_GATEWAY_ADDR, LF_ACCOUNTS_ADDR, LF_SUPPLIES_ADDR and LF_JWT_SECRET_FILE.
  Env ClientEnvironment() const;
  // The whole environment `service` is started with.
  Env Environment(absl::string_view service) const;

  // What the service's latest process printed so far (its JSON log lines go to stderr); empty
  // for a service never started. Each start writes its own files in dir().
  std::string Stderr(absl::string_view service) const;
  std::string Stdout(absl::string_view service) const;

 private:
  // One attempt of Start(): ports, then the services. `*port_taken` tells whether a failure
  // was a port taken meanwhile.
  absl::Status StartServices(bool* port_taken);
  // Starts the process of `service` (without waiting).
  absl::Status Launch(const std::string& service);
  // Waits until `service` reports SERVING from its own process, or fails as StartService().
  absl::Status AwaitServing(const std::string& service, absl::Duration timeout);
  int port(const std::string& service) const;
  // Picks the ports of replica `name` when it has none yet.
  absl::Status AssignReplicaPorts(const std::string& name);

  TempDir dir_;
  TestTokens tokens_;
  Options options_;
  std::unique_ptr<RedisServer> redis_;
  std::string pii_key_file_;
  std::string sites_file_;
  std::optional<TestPki> pki_;
  std::optional<server::ClientTls> client_tls_;
  std::map<std::string, int> ports_;
  std::map<std::string, int> metrics_ports_;  // with Options::metrics
  int http_port_ = 0;
  std::map<std::string, std::unique_ptr<Subprocess>> processes_;
  std::vector<std::string> start_order_;  // services in the order they were first started
  int starts_ = 0;                        // numbers each start's log files
};

}  // namespace lianfang::testing

#endif  // LIANFANG_COMMON_TESTING_GRPC_SUITE_H_
