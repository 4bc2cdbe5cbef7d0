// The harness of the reliability tests: the real service binaries (lf-gate, lf-survey,
// lf-dispatch, lf-report, lf-gateway) started one at a time by the end-to-end launcher
// (common/testing/grpc/suite.h) with the settings of these tests, a private redis-server, SQLite
// files in a temporary directory, ports picked at run time, TLS material made at run time; and
// read-only looks into the SQLite files, an HTTP client and a client load.
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<Suite> suite, Suite::Create({}));
//   ASSERT_OK(suite->Start("gate"));                     // waits until it reports SERVING
//   auto stub = gate::v1::GateService::NewStub(suite->Channel("gate"));
//   ASSERT_OK(suite->Kill("gate"));                      // SIGKILL, no goodbye
//   ASSERT_OK(suite->Start("gate"));                     // same port, same database
//
// The reliability tests are about SQLite's crash behaviour, so they always use SQLite (whatever
// LF_TEST_DB says) and name each service's file for read-only checks (integrity, row counts).
//
// Test-only. Not thread-safe: drive a Suite from one thread (channels and stubs it hands out
// may be used from any thread).
#ifndef LIANFANG_TESTS_RELIABILITY_SUITE_H_
#define LIANFANG_TESTS_RELIABILITY_SUITE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/server/client.h"
#include "common/testing/grpc/suite.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/redis_server.h"
#include "common/testing/temp_dir.h"

namespace lianfang::reliability {

// A valid (check digit correct) resident ID number, distinct for each n in 0..99999.
std::string ValidId(int n);

// The sites every reliability test runs with:
//   open    open to outsiders and vehicles, no capacity, gate "main" (every passage admitted
//           unless feverish);
//   campus  closed to outsiders, gates "east" and "north", fever threshold 37.3.
inline constexpr char kSitesTextproto[] = R"pb(
  sites {
    id: "open"
    name: "帮建社区"
    kind: SITE_KIND_COMMUNITY
    gates { id: "main" name: "正门" }
    policy { outsiders_allowed: true outside_vehicles_allowed: true capacity: 0 }
  }
  sites {
    id: "campus"
    name: "党校校园"
    kind: SITE_KIND_CAMPUS
    gates { id: "east" name: "东大门" }
    gates { id: "north" name: "北门" }
    policy { outsiders_allowed: false fever_threshold_c: 37.3 }
  }
)pb";

// TLS material made at run time (common/testing/grpc/suite.h).
using TestPki = testing::TestPki;
using testing::MakeTestPki;

// An adapter over the one end-to-end launcher (testing::Suite) with the reliability tests'
// settings: no service started until asked, SQLite always, kSitesTextproto, LF_TZ=UTC (the
// checks compute "today" the same way), LF_LOG_LEVEL=warning (one log line per call would cost
// more than the calls under a load).
class Suite final {
 public:
  struct Options {
    // Serve TLS everywhere (LF_TLS_CERT, LF_TLS_KEY, LF_TLS_CA: mutual TLS) with a PKI made at
    // run time; clients of Channel() use it too.
    bool tls = false;
    // Settings added to every service's environment (e.g. {"LF_MAX_INFLIGHT", "8"}).
    std::vector<std::pair<std::string, std::string>> extra_env = {};
  };

  // Picks a port for each service (and the gateway's HTTP), writes the keys and the sites
  // file, makes the PKI when asked and starts a redis-server. Services are not started.
  static absl::StatusOr<std::unique_ptr<Suite>> Create(Options options);
  ~Suite() = default;  // SIGTERM to every service still running (SIGKILL after a grace), then Redis
  Suite(const Suite&) = delete;
  Suite& operator=(const Suite&) = delete;

  // Starts `service` ("gate", "survey", "dispatch", "report", "gateway") on its port with its
  // database and waits (bounded by `timeout`) until it reports SERVING. FAILED_PRECONDITION
  // when it already runs, or exits first; DEADLINE_EXCEEDED (with the tail of its log) when it
  // does not come up.
  absl::Status Start(const std::string& service, absl::Duration timeout = absl::Seconds(60)) {
    return suite_.StartService(service, timeout);
  }
  // SIGKILL and reap: the process dies in the middle of whatever it was doing.
  absl::Status Kill(const std::string& service) { return suite_.Kill(service); }
  // SIGTERM and wait for the graceful drain (SIGKILL after `grace`).
  absl::Status Stop(const std::string& service, absl::Duration grace = absl::Seconds(20)) {
    return suite_.Stop(service, grace);
  }
  bool Running(const std::string& service) { return suite_.Running(service); }

  // "127.0.0.1:PORT" of the service's gRPC server (fixed for the Suite's life).
  std::string address(const std::string& service) const { return suite_.address(service); }
  // The gateway's HTTP port.
  int http_port() const { return suite_.http_port(); }
  // The service's SQLite file.
  std::string db_path(const std::string& service) const { return suite_.db_path(service); }
  // The service's stderr so far (its JSON log lines), for failure messages; the last
  // `max_chars` characters.
  std::string Logs(const std::string& service, size_t max_chars = 4000) const;

  // A new channel to the service: TLS with the suite's CA and client certificate when the
  // suite serves TLS, plaintext otherwise.
  std::shared_ptr<grpc::Channel> Channel(const std::string& service) const {
    return suite_.Channel(service);
  }
  // The client TLS of Channel(), or null without TLS.
  const server::ClientTls* client_tls() const { return suite_.client_tls(); }
  const TestPki* pki() const { return suite_.pki(); }

  testing::RedisServer& redis() { return suite_.redis(); }
  const testing::TestTokens& tokens() const { return suite_.tokens(); }
  const testing::TempDir& dir() const { return suite_.dir(); }
  // The launcher itself, for what this adapter does not forward.
  testing::Suite& launcher() { return suite_; }

 private:
  Suite() = default;

  testing::Suite suite_;
};

// Read-only looks into a SQLite file while its service may be writing it (WAL readers do not
// block the writer). The first column of the first row of `sql` as an integer; INTERNAL
// naming the file when it cannot be opened or the query fails.
absl::StatusOr<int64_t> QueryInt(const std::string& db_path, const std::string& sql);
// The rows of `PRAGMA integrity_check`, joined with newlines ("ok" for a sound file).
absl::StatusOr<std::string> IntegrityCheck(const std::string& db_path);

// One HTTP/1.1 GET to 127.0.0.1:`port` (Connection: close) with `headers` ("Name: value"
// lines), over TLS verified against `ca_pem` (certificate chain and the IP address 127.0.0.1)
// when `ca_pem` is not empty, else in plaintext. Returns the whole response (status line,
// headers, body); UNAVAILABLE when the connection or the TLS handshake fails. Bounded by
// `timeout` on each socket operation.
absl::StatusOr<std::string> HttpGet(int port, const std::string& path,
                                    const std::vector<std::string>& headers,
                                    const std::string& ca_pem,
                                    absl::Duration timeout = absl::Seconds(20));

// Unique request ids for one test run ("<prefix>-<n>").
std::string RequestId(const std::string& prefix, int64_t n);

// A client load: `threads` threads, each calling `call(thread, n)` for n = 0, 1, 2, ... (its
// own sequence) until Stop() or until `call` returns false. Calls are synchronous: one call in
// flight per thread.
class Load final {
 public:
  Load(int threads, std::function<bool(int thread, int64_t n)> call);
  ~Load();  // Stop()
  Load(const Load&) = delete;
  Load& operator=(const Load&) = delete;

  // Asks the threads to stop after their current call and joins them. Idempotent.
  void Stop();
  // Calls completed so far (any outcome), by every thread.
  int64_t calls() const { return calls_.load(); }
  // Polls (bounded) until calls() >= `n`; false when `timeout` passes first or every thread
  // has ended.
  bool WaitForCalls(int64_t n, absl::Duration timeout) const;

 private:
  std::function<bool(int, int64_t)> call_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> calls_{0};
  std::atomic<int> running_{0};
  std::vector<std::thread> threads_;
};

}  // namespace lianfang::reliability

#endif  // LIANFANG_TESTS_RELIABILITY_SUITE_H_
