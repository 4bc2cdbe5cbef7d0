// Delivers outbox messages over gRPC: the message's `payload` is sent, as it is, as the
// request of its `method` to the address of its `destination`, with the SERVICE token and a
// deadline. One deliverer serves every cross-service effect (gate -> dispatch fever tasks,
// survey -> gate passes and holds), since the payload is already the serialized request.
#ifndef LIANFANG_COMMON_APP_GRPC_DELIVERER_H_
#define LIANFANG_COMMON_APP_GRPC_DELIVERER_H_

#include <map>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/auth/service_token.h"
#include "common/outbox/outbox.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace lianfang::server {
struct ClientTls;
}  // namespace lianfang::server

namespace lianfang::app {

class GrpcDeliverer final : public outbox::Deliverer {
 public:
  // `addresses`: destination name ("dispatch") -> "host:port". `token` is not owned and must
  // outlive this object.
  GrpcDeliverer(const std::map<std::string, std::string>& addresses,
                const auth::ServiceToken* token, absl::Duration deadline = absl::Seconds(5));
  // The same over TLS when `tls` is non-null (copied; see server::MakeChannel): a deployment
  // whose services serve TLS (LF_TLS_CERT) must deliver to them over TLS too — pass
  // Runtime::client_tls_or_null().
  GrpcDeliverer(const std::map<std::string, std::string>& addresses,
                const auth::ServiceToken* token, const server::ClientTls* tls,
                absl::Duration deadline = absl::Seconds(5));
  ~GrpcDeliverer() override;

  // Returns the call's status (UNAVAILABLE/DEADLINE_EXCEEDED when the destination is down,
  // which the outbox retries); NOT_FOUND for an unknown destination.
  absl::Status Deliver(const outbox::PendingMessage& message) override;

 private:
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
  const auth::ServiceToken* token_;
  absl::Duration deadline_;
};

}  // namespace lianfang::app

#endif  // LIANFANG_COMMON_APP_GRPC_DELIVERER_H_
