#include "common/app/grpc_deliverer.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <future>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/server/client.h"
#include "common/server/grpc_status.h"

namespace lianfang::app {

GrpcDeliverer::GrpcDeliverer(const std::map<std::string, std::string>& addresses,
                             const auth::ServiceToken* token, absl::Duration deadline)
    : GrpcDeliverer(addresses, token, nullptr, deadline) {}

GrpcDeliverer::GrpcDeliverer(const std::map<std::string, std::string>& addresses,
                             const auth::ServiceToken* token, const server::ClientTls* tls,
                             absl::Duration deadline)
    : token_(token), deadline_(deadline) {
  for (const auto& [destination, address] : addresses) {
    channels_[destination] = server::MakeChannel(address, tls);
  }
}

GrpcDeliverer::~GrpcDeliverer() = default;

void GrpcDeliverer::OnReply(std::string method, ReplyFn fn) {
  on_reply_[std::move(method)] = std::move(fn);
}

absl::Status GrpcDeliverer::Deliver(const outbox::PendingMessage& message) {
  auto it = channels_.find(message.destination);
  if (it == channels_.end()) {
    return absl::NotFoundError(absl::StrCat("unknown destination ", message.destination));
  }
  grpc::GenericStub stub(it->second);
  grpc::ClientContext context;
  server::PrepareClientContext(&context, token_->Current(), deadline_, message.idempotency_key);
  grpc::Slice slice(message.payload);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, message.method, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  absl::Status status = server::FromGrpcStatus(done.get_future().get());
  if (!status.ok()) return status;
  auto handler = on_reply_.find(message.method);
  if (handler == on_reply_.end()) return absl::OkStatus();
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) {
    return absl::InternalError(absl::StrCat("the reply of ", message.method, " is unreadable"));
  }
  std::string reply;
  for (const grpc::Slice& slice : slices) {
    reply.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return handler->second(message, reply);
}

}  // namespace lianfang::app
