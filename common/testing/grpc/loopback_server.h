// An in-process gRPC server on 127.0.0.1 (a port picked by the kernel) for tests, with the
// production bootstrap (common/server/server.h): health, reflection, limits, the call observer,
// the authorizing fallback.
//
//   TestTokens tokens;
//   GateServiceImpl gate(...);
//   LoopbackServer server({.served_services = {"lianfang.gate.v1.GateService"}});
//   server.AddService(&gate);
//   server.UseFallback(tokens);
//   ASSERT_OK(server.Start());
//   auto stub = lianfang::gate::v1::GateService::NewStub(server.channel());
//   auto context = NewClientContext(tokens.For(auth::Role::kGuard, "g1"));
//   grpc::Status status = stub->RecordPassage(context.get(), request, &response);
//
// Test-only. The server shuts down (gracefully) in the destructor.
#ifndef LIANFANG_COMMON_TESTING_GRPC_LOOPBACK_SERVER_H_
#define LIANFANG_COMMON_TESTING_GRPC_LOOPBACK_SERVER_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/impl/service_type.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/server/authorization.h"
#include "common/server/server.h"
#include "common/testing/grpc/test_tokens.h"

namespace lianfang::testing {

class LoopbackServer final {
 public:
  // `options.listen` is replaced by "127.0.0.1:0"; an empty service_name becomes "test".
  // Other options are used as given (drain_timeout defaults to 10 s, as in production).
  explicit LoopbackServer(server::ServerOptions options = {});
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  // Before Start(): a typed service (not owned; must outlive this object).
  void AddService(grpc::Service* service);
  // Before Start(): the authorizing fallback, using the verifier and authorizer of `tokens`
  // (not owned; must outlive this object).
  void UseFallback(const TestTokens& tokens);

  // Starts the server and waits (bounded, 10 s) until it reports SERVING. The status of
  // ServiceServer::Start, or DEADLINE_EXCEEDED.
  absl::Status Start();

  // "127.0.0.1:<port>"; valid after Start().
  std::string address() const { return server_.address(); }
  int port() const { return server_.port(); }
  // A plaintext channel to the server (created by Start(), shared by callers).
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  server::ServiceServer& server() { return server_; }

  // Graceful shutdown (as in production); the destructor calls it too.
  void Shutdown() { server_.Shutdown(); }

 private:
  static server::ServerOptions Loopback(server::ServerOptions options);

  server::ServiceServer server_;
  std::unique_ptr<server::AuthorizingFallbackService> fallback_;
  std::shared_ptr<grpc::Channel> channel_;
};

// A client context with a 5 s deadline (or `deadline`) and, when `token` is not empty, the
// metadata "authorization: Bearer <token>".
std::unique_ptr<grpc::ClientContext> NewClientContext(absl::string_view token,
                                                      absl::Duration deadline = absl::Seconds(5));

// The services a server lists through gRPC reflection (grpc.reflection.v1alpha, the version
// gRPC 1.51 serves), sorted. Speaks the protocol with hand-encoded messages
// (ServerReflectionRequest{list_services = 7}, ServerReflectionResponse{list_services_response
// = 6 {service = 1 {name = 1}}}), as Debian does not package the reflection client.
absl::StatusOr<std::vector<std::string>> ListServicesByReflection(
    const std::shared_ptr<grpc::Channel>& channel, absl::Duration timeout = absl::Seconds(5));

// True when the server's reflection service can return the descriptor file defining `symbol`
// (e.g. "lianfang.gate.v1.GateService"); the error otherwise.
absl::Status ReflectionKnowsSymbol(const std::shared_ptr<grpc::Channel>& channel,
                                   absl::string_view symbol,
                                   absl::Duration timeout = absl::Seconds(5));

}  // namespace lianfang::testing

#endif  // LIANFANG_COMMON_TESTING_GRPC_LOOPBACK_SERVER_H_
