// Services for the server tests, independent of the API protos' handlers: a raw (ByteBuffer)
// service "lianfang.test.Echo" and a typed GateService answering RecordPassage.
#ifndef LIANFANG_TESTS_COMMON_SERVER_TEST_SERVICES_H_
#define LIANFANG_TESTS_COMMON_SERVER_TEST_SERVICES_H_

#include <grpcpp/impl/service_type.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/authorizer.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"

namespace lianfang::server::testing {

inline constexpr char kEchoService[] = "lianfang.test.Echo";
inline constexpr char kEchoMethod[] = "/lianfang.test.Echo/Echo";          // returns the request
inline constexpr char kInternalMethod[] = "/lianfang.test.Echo/Internal";  // INTERNAL with SQL text
inline constexpr char kHoldMethod[] = "/lianfang.test.Echo/Hold";          // waits for Release()

// What the Echo method saw of its last call.
struct SeenCall {
  std::string authorization;
  std::string request_id;
  std::chrono::system_clock::time_point deadline;
};

// Raw unary methods on ByteBuffers. Thread-safe.
class EchoService final : public grpc::Service {
 public:
  EchoService();
  ~EchoService() override;

  SeenCall last_call() const;

  // Hold calls currently waiting.
  int holding() const;
  // Finishes every waiting Hold call with OK.
  void ReleaseHolds();

 private:
  class HoldReactor;
  void Forget(HoldReactor* reactor);

  std::deque<std::string> names_;
  mutable absl::Mutex mu_;
  SeenCall last_ ABSL_GUARDED_BY(mu_);
  // Every Hold reactor ever created, kept until the service is destroyed (after the server),
  // so ReleaseHolds never touches a deleted one; `holding_` counts those not done yet.
  std::vector<std::unique_ptr<HoldReactor>> holds_ ABSL_GUARDED_BY(mu_);
  int holding_ ABSL_GUARDED_BY(mu_) = 0;
};

// GateService with RecordPassage implemented as a real handler would start: authorize, then
// validate. It always finds site_id and temperature_c invalid; the other methods are left to
// the generated default (UNIMPLEMENTED without authorization).
class FakeGateService final : public lianfang::gate::v1::GateService::CallbackService {
 public:
  explicit FakeGateService(const auth::Authorizer* authorizer) : authorizer_(authorizer) {}

  grpc::ServerUnaryReactor* RecordPassage(
      grpc::CallbackServerContext* context, const lianfang::gate::v1::RecordPassageRequest* request,
      lianfang::gate::v1::RecordPassageResponse* response) override;

 private:
  const auth::Authorizer* authorizer_;
};

}  // namespace lianfang::server::testing

#endif  // LIANFANG_TESTS_COMMON_SERVER_TEST_SERVICES_H_
