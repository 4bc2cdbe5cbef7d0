// Delivers outbox messages over gRPC: the message's `payload` is sent, as it is, as the
// request of its `method` to the address of its `destination`, with the SERVICE token and a
// deadline. One deliverer serves every cross-service effect (gate -> dispatch fever tasks,
// survey -> gate passes and holds), since the payload is already the serialized request.
//
// A sender that keeps part of the receiver's answer registers a reply handler for that method
// (OnReply): survey stores the code of each pass gate issued (services/survey/pass_codes.h).
#ifndef LIANFANG_COMMON_APP_GRPC_DELIVERER_H_
#define LIANFANG_COMMON_APP_GRPC_DELIVERER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
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

  // What is done with the serialized reply of an accepted call, before Deliver returns.
  using ReplyFn = std::function<absl::Status(const outbox::PendingMessage& message,
                                             absl::string_view reply)>;

  // Calls `fn` with the reply of every call of `method` (the full gRPC name) that the
  // receiver accepted; its status becomes Deliver's, so an error retries (IsRetryable) or
  // parks the message like a failed call, and the retry gets the same reply (the receiver
  // replays it: the message's key is its request_id). Register every handler before the
  // outbox Sender starts (not synchronized with Deliver); a second one for a method replaces
  // the first.
  void OnReply(std::string method, ReplyFn fn);

  // Returns the call's status (UNAVAILABLE/DEADLINE_EXCEEDED when the destination is down,
  // which the outbox retries), or the reply handler's; NOT_FOUND for an unknown destination.
  absl::Status Deliver(const outbox::PendingMessage& message) override;

 private:
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
  std::map<std::string, ReplyFn, std::less<>> on_reply_;
  const auth::ServiceToken* token_;
  absl::Duration deadline_;
};

}  // namespace lianfang::app

#endif  // LIANFANG_COMMON_APP_GRPC_DELIVERER_H_
