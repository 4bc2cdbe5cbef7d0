// RealStack: the real binaries behind the gateway's JSON API and pages, for integration and
// browser tests — a redis-server, lf-gate, lf-dispatch (and lf-survey, lf-supplies when asked)
// with their
// databases (testing::TestDatabaseUrl: SQLite files in a temporary folder, or PostgreSQL with
// LF_TEST_DB=postgres), and lf-gateway in front of them, all on ports picked at run time.
// Services not started point at a port where nothing listens (so calls to them are
// UNAVAILABLE). An adapter over the end-to-end launcher (common/testing/grpc/suite.h).
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
#include "common/testing/grpc/suite.h"
#include "common/testing/grpc/test_tokens.h"

namespace lianfang::gateway::testing {

class RealStack final {
 public:
  struct Options {
    bool survey = false;
    bool supplies = false;
    // Point LF_REPORT_ADDR at the gate (which does not serve ReportService), so report calls
    // answer UNIMPLEMENTED.
    bool report_on_gate = false;
    // Extra settings of lf-gateway (e.g. {"LF_HTTP_MAX_BODY", "4096"}).
    std::vector<std::pair<std::string, std::string>> gateway_env = {};
  };

  RealStack() = default;
  ~RealStack() = default;
  RealStack(const RealStack&) = delete;
  RealStack& operator=(const RealStack&) = delete;

  // Starts everything and waits until each serves. NOT_FOUND when a binary is not built;
  // otherwise the failure with the process's stderr.
  absl::Status Start(const Options& options);

  const lianfang::testing::TestTokens& tokens() const { return suite_.tokens(); }
  int http_port() const { return suite_.http_port(); }
  std::string redis_url() const { return suite_.redis_url(); }
  std::shared_ptr<grpc::Channel> GateChannel() const { return suite_.Channel("gate"); }
  std::shared_ptr<grpc::Channel> DispatchChannel() const { return suite_.Channel("dispatch"); }
  std::string GatewayStderr() const { return suite_.Stderr("gateway"); }

  // Stops lf-gate (SIGTERM) / starts it again on the same port and database.
  absl::Status StopGate() { return suite_.Stop("gate"); }
  absl::Status RestartGate() { return suite_.StartService("gate"); }

  // The launcher itself, for what this adapter does not forward.
  lianfang::testing::Suite& launcher() { return suite_; }

 private:
  lianfang::testing::Suite suite_;
};

}  // namespace lianfang::gateway::testing

#endif  // LIANFANG_TESTS_SERVICES_GATEWAY_REAL_STACK_H_
