// RealStack: the real binaries behind the gateway's JSON API and pages, for integration and
// browser tests — a redis-server, lf-gate, lf-dispatch (and lf-survey when asked) with their
// databases (testing::TestDatabaseUrl: SQLite files in a temporary folder, or PostgreSQL with
// LF_TEST_DB=postgres), and lf-gateway in front of them, all on ports picked at run time. Services not started point at a port where nothing listens (so calls to them are
// UNAVAILABLE).
//
//   RealStack stack;
//   ASSERT_OK(stack.Start({}));          // NOT_FOUND when a binary is not built
//   httplib::Client http("127.0.0.1", stack.http_port());
//
// Test-only; not thread-safe. The destructor stops every process.
#ifndef LIANFANG_TESTS_SERVICES_GATEWAY_REAL_STACK_H_
#define LIANFANG_TESTS_SERVICES_GATEWAY_REAL_STACK_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/redis_server.h"
#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace lianfang::gateway::testing {

class RealStack final {
 public:
  struct Options {
    bool survey = false;
    // Point LF_REPORT_ADDR at the gate (which does not serve ReportService), so report calls
    // answer UNIMPLEMENTED.
    bool report_on_gate = false;
    // Extra settings of lf-gateway (e.g. {"LF_HTTP_MAX_BODY", "4096"}).
    std::vector<std::pair<std::string, std::string>> gateway_env = {};
  };

  RealStack();
  ~RealStack();
  RealStack(const RealStack&) = delete;
  RealStack& operator=(const RealStack&) = delete;

  // Starts everything and waits until each serves. NOT_FOUND when a binary is not built;
  // otherwise the failure with the process's stderr.
  absl::Status Start(const Options& options);

  const lianfang::testing::TestTokens& tokens() const { return tokens_; }
  int http_port() const { return http_port_; }
  std::string redis_url() const;
  std::shared_ptr<grpc::Channel> GateChannel() const;
  std::shared_ptr<grpc::Channel> DispatchChannel() const;
  std::string GatewayStderr() const;

  // Stops lf-gate (SIGTERM) / starts it again on the same port and database.
  absl::Status StopGate();
  absl::Status RestartGate();

 private:
  std::vector<std::pair<std::string, std::string>> Environment(const std::string& service,
                                                               int port) const;
  absl::StatusOr<std::unique_ptr<lianfang::testing::Subprocess>> Run(
      const std::string& binary, const std::string& service, int port,
      const std::vector<std::pair<std::string, std::string>>& extra) const;

  lianfang::testing::TempDir dir_;
  lianfang::testing::TestTokens tokens_;
  std::unique_ptr<lianfang::testing::RedisServer> redis_;
  std::string pii_key_file_;
  Options options_;
  int gateway_port_ = 0, http_port_ = 0, gate_port_ = 0, dispatch_port_ = 0, survey_port_ = 0,
      nobody_port_ = 0;
  std::unique_ptr<lianfang::testing::Subprocess> gate_, dispatch_, survey_, gateway_;
};

}  // namespace lianfang::gateway::testing

#endif  // LIANFANG_TESTS_SERVICES_GATEWAY_REAL_STACK_H_
