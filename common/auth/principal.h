// Who is calling: the roles of Lianfang and the Principal a verified token describes.
//
// A Principal is what every handler receives from the shared authorization check
// (common/auth/authorizer.h): the token subject, display name, role and the sites it may act
// on (empty = all sites). Role names are the lower-case strings of the token's `role` claim.
#ifndef LIANFANG_COMMON_AUTH_PRINCIPAL_H_
#define LIANFANG_COMMON_AUTH_PRINCIPAL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace lianfang::auth {

// The roles of the API (lianfang.common.v1.Role without ROLE_UNSPECIFIED).
enum class Role { kAdmin, kLeader, kGuard, kVolunteer, kViewer, kService };

// Every role, in declaration order.
inline constexpr Role kAllRoles[] = {Role::kAdmin,     Role::kLeader, Role::kGuard,
                                     Role::kVolunteer, Role::kViewer, Role::kService};

// "admin", "leader", "guard", "volunteer", "viewer", "service".
absl::string_view RoleName(Role role);

// The inverse of RoleName: exactly the lower-case name. INVALID_ARGUMENT for anything else
// (the message names the accepted values, never echoes long input).
absl::StatusOr<Role> ParseRole(absl::string_view name);

// The caller of a request, as its verified token describes it. A plain value type.
struct Principal {
  std::string subject;             // `sub`: the user or service id (non-empty)
  std::string name;                // `name`: display name, UTF-8 (may be Chinese), may be empty
  Role role = Role::kViewer;       // `role`
  std::vector<std::string> sites;  // `sites`: site ids it may act on; empty = all sites
  absl::Time issued_at;            // `iat`
  absl::Time expires_at;           // `exp`

  // True when `sites` is empty (all sites) or contains `site_id`.
  bool MayActOnSite(absl::string_view site_id) const;
};

}  // namespace lianfang::auth

#endif  // LIANFANG_COMMON_AUTH_PRINCIPAL_H_
