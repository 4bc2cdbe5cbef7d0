// The one authorization check every RPC handler passes first.
//
// gRPC C++ server interceptors cannot reject a call, so instead of an interceptor each handler
// starts with
//
//   const auto& md = context->client_metadata();
//   const auto it = md.find("authorization");
//   const absl::string_view header =
//       it == md.end() ? "" : absl::string_view(it->second.data(), it->second.size());
//   absl::StatusOr<auth::Principal> who = authorizer.Authorize(context->method(), header);
//   if (!who.ok()) return Finish(who.status());   // UNAUTHENTICATED or PERMISSION_DENIED
//
// The roles allowed on each method are the `(lianfang.common.v1.access)` option of the method
// in the .proto, read from the generated descriptor pool. Object-level rules (a guard's sites,
// a volunteer's own tasks) are checked in the handler afterwards, CheckSite for the former.
//
// The interface is free of gRPC headers: the method is gRPC's full name as a string and the
// header is the raw `authorization` metadata value.
#ifndef LIANFANG_COMMON_AUTH_AUTHORIZER_H_
#define LIANFANG_COMMON_AUTH_AUTHORIZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/jwt.h"
#include "common/auth/principal.h"

namespace lianfang::auth {

// Thread-safe. Holds a per-method cache of allowed roles, filled on first use.
class Authorizer final {
 public:
  // `verifier` is not owned and must outlive the Authorizer.
  explicit Authorizer(const TokenVerifier* verifier);

  Authorizer(const Authorizer&) = delete;
  Authorizer& operator=(const Authorizer&) = delete;

  // Authenticates the caller from `authorization_header` ("Bearer <jwt>", scheme
  // case-insensitive) and checks that its role is declared on `full_method` (gRPC's form,
  // "/lianfang.gate.v1.GateService/RecordPassage").
  // Returns the caller's Principal, or
  //   UNAUTHENTICATED   missing/empty header, a scheme other than Bearer, or a token the
  //                     verifier rejects (checked before anything else);
  //   PERMISSION_DENIED the role is not declared on the method ("role viewer may not call
  //                     RecordPassage"), or the method is unknown or declares no roles — this
  //                     fails closed and is logged once per method as a configuration bug;
  //                     or the method is declared `anonymous` (its handler admits callers
  //                     with IsAnonymous / server::AdmitAnonymousCall instead).
  // Messages never contain the token.
  absl::StatusOr<Principal> Authorize(absl::string_view full_method,
                                      absl::string_view authorization_header) const;

  // True when `full_method` declares `{ anonymous: true }` and no roles: it is called without
  // a token (signing in). Cached like the roles.
  bool IsAnonymous(absl::string_view full_method) const;

 private:
  // Bit (1 << Role) per allowed role; 0 = nobody (unknown method or no access option);
  // 1 << 31 alone = anonymous.
  uint32_t AllowedRoleMask(absl::string_view full_method) const;

  const TokenVerifier* verifier_;
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, uint32_t> allowed_ ABSL_GUARDED_BY(mu_);
};

// The bare token of an `authorization` header value: "Bearer <jwt>" with the scheme in any
// case and surrounding spaces ignored. UNAUTHENTICATED ("missing bearer token",
// "authorization scheme must be Bearer") otherwise.
absl::StatusOr<absl::string_view> BearerToken(absl::string_view authorization_header);

// OK when `principal` may act on `site_id` (its token lists no sites, or lists this one);
// otherwise PERMISSION_DENIED. Applies to every role; in practice GUARD and VOLUNTEER tokens
// carry site lists.
absl::Status CheckSite(const Principal& principal, absl::string_view site_id);

// The role names ("admin", "leader", ...) declared on `full_method` (gRPC's
// "/pkg.Service/Method" form), in the order of the Role enum; empty when the method is unknown,
// declares none or is anonymous. Thread-safe. For the authorization-matrix tests and tools.
std::vector<std::string> AllowedRoles(absl::string_view full_method);

// True when `full_method` is declared `{ anonymous: true }` without roles (see
// Authorizer::IsAnonymous). Thread-safe.
bool IsAnonymousMethod(absl::string_view full_method);

// Every method of every service of the API (packages lianfang.<name>.v1) in the generated
// descriptor pool, in gRPC's "/pkg.Service/Method" form, sorted. Makes sure every API file is
// linked in first (lianfang::EnsureApiDescriptorsLinked). Thread-safe.
std::vector<std::string> AllApiMethods();

}  // namespace lianfang::auth

#endif  // LIANFANG_COMMON_AUTH_AUTHORIZER_H_
