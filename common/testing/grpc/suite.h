// Suite: the whole Lianfang suite as a sysadmin starts it, for end-to-end tests — the five
// service binaries (lf-gate, lf-survey, lf-dispatch, lf-report, lf-gateway) from the build
// tree, a private redis-server, the test database of each service (SQLite files in a temporary
// directory, or PostgreSQL with LF_TEST_DB=postgres; see common/testing/test_database.h), test
// tokens, all on loopback ports picked at run time.
//
//   Suite suite;
//   ASSERT_OK(suite.Start());                       // waits until every service is SERVING
//   auto stub = gate::v1::GateService::NewStub(server::MakeChannel(suite.address("gate"),
//                                                                  nullptr));
//   std::string leader = suite.tokens().For(auth::Role::kLeader, "leader-li");
//   options.env = suite.ClientEnvironment();        // LF_*_ADDR + LF_JWT_SECRET_FILE for lfctl
//
// Starting the suite takes seconds: start it once per test binary (a static in
// SetUpTestSuite, or a ::testing::Environment) and share it between tests.
// Test-only; not thread-safe. The destructor stops every process and removes the files.
#ifndef LIANFANG_COMMON_TESTING_GRPC_SUITE_H_
#define LIANFANG_COMMON_TESTING_GRPC_SUITE_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/redis_server.h"
#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"

namespace lianfang::testing {

class Suite final {
 public:
  struct Options {
    // Which services to start ("gate", "survey", "dispatch", "report", "gateway"); the others
    // get an address where nothing listens (their calls are UNAVAILABLE).
    std::vector<std::string> services = {"gate", "survey", "dispatch", "report", "gateway"};
    // Extra settings given to every service (e.g. {"LF_REPORT_SOURCE_TIMEOUT", "2s"}).
    std::vector<std::pair<std::string, std::string>> env = {};
  };

  Suite();
  ~Suite();
  Suite(const Suite&) = delete;
  Suite& operator=(const Suite&) = delete;

  // Starts redis-server and the services, then waits (up to 60 s each) until each reports
  // SERVING. NOT_FOUND when a binary is not built (`ninja lf-gate ...`); otherwise the failure
  // with the tail of the service's stderr. Call once.
  absl::Status Start(const Options& options);
  absl::Status Start() { return Start(Options()); }

  // "127.0.0.1:PORT" of `service` (one of the five names).
  std::string address(absl::string_view service) const;
  const TestTokens& tokens() const { return tokens_; }
  std::string redis_url() const;
  const std::string& pii_key_file() const { return pii_key_file_; }
  const TempDir& dir() const { return dir_; }

  // What a client of the suite needs: LF_GATE_ADDR, LF_SURVEY_ADDR, LF_DISPATCH_ADDR,
  // LF_REPORT_ADDR, LF_GATEWAY_ADDR and LF_JWT_SECRET_FILE.
  std::vector<std::pair<std::string, std::string>> ClientEnvironment() const;

  // The stderr of a started service so far (empty for one not started).
  std::string Stderr(absl::string_view service) const;

  // Stops a service (SIGTERM) / starts it again on the same port and database, waiting until
  // it serves.
  absl::Status Stop(absl::string_view service);
  absl::Status Restart(absl::string_view service);

 private:
  std::vector<std::pair<std::string, std::string>> Environment(const std::string& service) const;
  absl::Status Launch(const std::string& service);

  TempDir dir_;
  TestTokens tokens_;
  std::unique_ptr<RedisServer> redis_;
  std::string pii_key_file_;
  Options options_;
  std::map<std::string, int> ports_;
  int http_port_ = 0;
  std::map<std::string, std::unique_ptr<Subprocess>> processes_;
};

}  // namespace lianfang::testing

#endif  // LIANFANG_COMMON_TESTING_GRPC_SUITE_H_
