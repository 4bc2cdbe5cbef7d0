#include "common/server/authorization.h"

#include <grpcpp/impl/rpc_method.h>
#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/status.h>

#include <deque>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/server/admission.h"
#include "common/server/grpc_status.h"
#include "common/server/method_names.h"
#include "google/protobuf/descriptor.h"

namespace lianfang::server {
namespace {

// Method names made up by clients are echoed at most this long.
constexpr size_t kMaxEchoedMethodChars = 200;

absl::string_view Clip(absl::string_view text) {
  return text.substr(0, std::min(text.size(), kMaxEchoedMethodChars));
}

// Finishes at once with a fixed status; the request stream is never read. Calling Finish from
// the constructor is allowed: the library replays it once the reactor is bound to the call.
class RefusingReactor final : public grpc::ServerGenericBidiReactor {
 public:
  explicit RefusingReactor(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

// A grpc::Service whose methods are those of an API service, registered by name with raw bidi
// callback handlers (any call shape fits a bidi stream; nothing is deserialized), each refused
// through the fallback.
class UnservedService final : public grpc::Service {
 public:
  UnservedService(const google::protobuf::ServiceDescriptor* service,
                  const AuthorizingFallbackService* fallback) {
    for (int i = 0; i < service->method_count(); ++i) {
      // RpcServiceMethod keeps the name pointer: the strings live in a deque owned here.
      const std::string& name = names_.emplace_back(FullMethodName(*service->method(i)));
      AddMethod(new grpc::internal::RpcServiceMethod(
          name.c_str(), grpc::internal::RpcMethod::BIDI_STREAMING, nullptr));
      MarkMethodRawCallback(
          i, new grpc::internal::CallbackBidiHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
                 [fallback, method = absl::string_view(name)](grpc::CallbackServerContext* ctx) {
                   return fallback->RefuseCall(ctx, method);
                 }));
    }
  }

 private:
  std::deque<std::string> names_;
};

}  // namespace

absl::string_view AuthorizationMetadata(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return {};
  return absl::string_view(it->second.data(), it->second.size());
}

absl::StatusOr<auth::Principal> AuthorizeCall(const auth::Authorizer& authorizer,
                                              const grpc::ServerContextBase* context,
                                              absl::string_view full_method) {
  if (IsShed(*context)) return OverloadedStatus();
  return authorizer.Authorize(full_method, AuthorizationMetadata(*context));
}

absl::Status AdmitAnonymousCall(const auth::Authorizer& authorizer,
                                const grpc::ServerContextBase* context,
                                absl::string_view full_method) {
  if (IsShed(*context)) return OverloadedStatus();
  if (!authorizer.IsAnonymous(full_method)) {
    return absl::PermissionDeniedError(
        absl::StrCat("method ", Clip(full_method), " requires a token"));
  }
  return absl::OkStatus();
}

absl::Status UnservedCallStatus(const auth::Authorizer& authorizer,
                                const auth::TokenVerifier& verifier, absl::string_view full_method,
                                absl::string_view authorization_header) {
  if (FindMethod(full_method) == nullptr) {
    absl::StatusOr<absl::string_view> token = auth::BearerToken(authorization_header);
    if (!token.ok()) return token.status();
    absl::StatusOr<auth::Principal> who = verifier.Verify(*token);
    if (!who.ok()) return who.status();
    return absl::UnimplementedError(absl::StrCat("unknown method ", Clip(full_method)));
  }
  absl::StatusOr<auth::Principal> who = authorizer.Authorize(full_method, authorization_header);
  if (!who.ok()) return who.status();
  return absl::UnimplementedError(
      absl::StrCat("method ", full_method, " is not served by this release"));
}

AuthorizingFallbackService::AuthorizingFallbackService(const auth::Authorizer* authorizer,
                                                       const auth::TokenVerifier* verifier)
    : authorizer_(authorizer), verifier_(verifier) {}

grpc::ServerGenericBidiReactor* AuthorizingFallbackService::CreateReactor(
    grpc::GenericCallbackServerContext* context) {
  return RefuseCall(context, context->method());
}

grpc::ServerGenericBidiReactor* AuthorizingFallbackService::RefuseCall(
    const grpc::ServerContextBase* context, absl::string_view full_method) const {
  const absl::Status status =
      UnservedCallStatus(*authorizer_, *verifier_, full_method, AuthorizationMetadata(*context));
  return new RefusingReactor(ToGrpcStatus(status, Clip(full_method)));
}

std::shared_ptr<grpc::Service> MakeUnservedService(
    const google::protobuf::ServiceDescriptor* service,
    const AuthorizingFallbackService* fallback) {
  return std::make_shared<UnservedService>(service, fallback);
}

}  // namespace lianfang::server
