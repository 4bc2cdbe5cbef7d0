#include "common/auth/principal.h"

#include "absl/status/status.h"

namespace lianfang::auth {

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kLeader:
      return "leader";
    case Role::kGuard:
      return "guard";
    case Role::kVolunteer:
      return "volunteer";
    case Role::kViewer:
      return "viewer";
    case Role::kService:
      return "service";
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  for (const Role role : kAllRoles) {
    if (RoleName(role) == name) return role;
  }
  return absl::InvalidArgumentError(
      "unknown role; expected one of admin, leader, guard, volunteer, viewer, service");
}

bool Principal::MayActOnSite(absl::string_view site_id) const {
  if (sites.empty()) return true;
  for (const std::string& site : sites) {
    if (site == site_id) return true;
  }
  return false;
}

}  // namespace lianfang::auth
