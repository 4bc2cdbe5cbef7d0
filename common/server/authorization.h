// The gRPC side of authorization: reading the bearer token of a call, and refusing every call
// the binary has no handler for — after authorizing it.
//
// Every handler starts with
//
//   absl::StatusOr<auth::Principal> who = AuthorizeCall(authorizer_, context, kMethod);
//   if (!who.ok()) { reactor->Finish(ToGrpcStatus(who.status())); return reactor; }
//
// (gRPC C++ interceptors cannot reject calls; see common/auth/authorizer.h for the check).
//
// Unserved methods. A method of the API that this release does not implement yet must still
// enforce tokens, so that the authorization matrix holds for EVERY method and an anonymous
// caller learns nothing. A generated typed `CallbackService` registers every method of its
// service and answers UNIMPLEMENTED for those it does not override *without* looking at the
// token. So a binary registers a service's typed class (AddService) only once it overrides
// every method, each handler calling AuthorizeCall first; until then it lists the service in
// ServerOptions::served_services and every call of it reaches the refusal below, through the
// placeholder (see "Reflection") or the AuthorizingFallbackService for anything else:
//   - a method of the API (present in the generated descriptor pool): the caller is
//     authorized exactly as the real handler would do it; the call then finishes with
//     UNAUTHENTICATED or PERMISSION_DENIED from the check, or else with UNIMPLEMENTED
//     "method /pkg.Service/Method is not served by this release";
//   - a method outside the API (made-up names, other packages): the token is still verified
//     first, so an anonymous caller gets UNAUTHENTICATED; an authenticated one gets
//     UNIMPLEMENTED "unknown method /x.Y/Z" (never PERMISSION_DENIED, which would suggest the
//     method exists). The token is verified directly rather than through the Authorizer,
//     whose per-method cache and configuration-bug log must not grow with made-up names.
// The request message is never read.
//
// Reflection. The reflection service lists only services that have registered methods (it
// takes the server's service list when the server starts); a generic (catch-all) service is
// invisible to it, although descriptors stay reachable by symbol (file_containing_symbol
// reads the generated pool). So ServiceServer registers, for each API
// service named in ServerOptions::served_services that no typed service covers, an
// "unserved" placeholder built from the service's descriptor: every method registered by name
// (as a raw bidi handler, so nothing is deserialized) and answered by the fallback's logic
// above. Reflection then lists the service and its descriptors; health reports it SERVING.
// Once a service registers its typed class, the placeholder is simply not created.
#ifndef LIANFANG_COMMON_SERVER_AUTHORIZATION_H_
#define LIANFANG_COMMON_SERVER_AUTHORIZATION_H_

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/impl/service_type.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/auth/authorizer.h"
#include "common/auth/jwt.h"
#include "common/auth/principal.h"

namespace google::protobuf {
class ServiceDescriptor;
}  // namespace google::protobuf

namespace lianfang::server {

// The value of the call's `authorization` metadata (the first one when several were sent), or
// an empty view when absent. The view is valid as long as the call's context.
absl::string_view AuthorizationMetadata(const grpc::ServerContextBase& context);

// Authorizes the call in `context` for `full_method` ("/lianfang.gate.v1.GateService/X"):
// RESOURCE_EXHAUSTED when the server refused the call at admission (too many calls in flight,
// see admission.h; checked first, before the token), else UNAUTHENTICATED or
// PERMISSION_DENIED as Authorizer::Authorize says, else the caller.
// Pass the method as a constant of the handler (not context->method(), which callback
// contexts do not have). Thread-safe.
absl::StatusOr<auth::Principal> AuthorizeCall(const auth::Authorizer& authorizer,
                                              const grpc::ServerContextBase* context,
                                              absl::string_view full_method);

// Admits a call of a method declared `{ anonymous: true }` (signing in), whose handler starts
// with it instead of AuthorizeCall; the `authorization` metadata is not read.
// RESOURCE_EXHAUSTED when the server refused the call at admission (as AuthorizeCall);
// PERMISSION_DENIED when `full_method` is not declared anonymous (a handler calling the wrong
// check fails closed); OK otherwise. Thread-safe.
absl::Status AdmitAnonymousCall(const auth::Authorizer& authorizer,
                                const grpc::ServerContextBase* context,
                                absl::string_view full_method);

// The status an unserved call of `full_method` finishes with, given its `authorization`
// header (see the header comment): UNAUTHENTICATED, PERMISSION_DENIED or UNIMPLEMENTED.
// Never OK. `verifier` is the one `authorizer` uses. Thread-safe.
absl::Status UnservedCallStatus(const auth::Authorizer& authorizer,
                                const auth::TokenVerifier& verifier, absl::string_view full_method,
                                absl::string_view authorization_header);

// Catch-all service for calls without a handler: authorizes, then refuses (see above).
// Register with ServiceServer::SetFallback. Thread-safe.
class AuthorizingFallbackService final : public grpc::CallbackGenericService {
 public:
  // Neither is owned; both must outlive the service. `verifier` is the one `authorizer` uses.
  AuthorizingFallbackService(const auth::Authorizer* authorizer,
                             const auth::TokenVerifier* verifier);

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override;

  // A reactor that finishes the call of `full_method` with UnservedCallStatus. Used by the
  // generic path and by the placeholders of unserved services.
  grpc::ServerGenericBidiReactor* RefuseCall(const grpc::ServerContextBase* context,
                                             absl::string_view full_method) const;

  const auth::Authorizer& authorizer() const { return *authorizer_; }

 private:
  const auth::Authorizer* authorizer_;
  const auth::TokenVerifier* verifier_;
};

// A placeholder for `service` (an API service of the generated pool): every method registered
// by name and refused through `fallback->RefuseCall`. `fallback` is not owned and must outlive
// the returned service. Used by ServiceServer (see "Reflection" above).
std::shared_ptr<grpc::Service> MakeUnservedService(
    const google::protobuf::ServiceDescriptor* service, const AuthorizingFallbackService* fallback);

}  // namespace lianfang::server

#endif  // LIANFANG_COMMON_SERVER_AUTHORIZATION_H_
