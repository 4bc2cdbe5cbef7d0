#include "common/auth/authorizer.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/descriptor_database.h>

#include <algorithm>
#include <optional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/logging/logging.h"
#include "lianfang/common/v1/access.pb.h"
#include "lianfang/common/v1/common.pb.h"
#include "lianfang/proto_registry.h"

namespace lianfang::auth {
namespace {

namespace pb = ::google::protobuf;
namespace apiv1 = ::lianfang::common::v1;

// The cache only ever holds the methods the server registered, a few hundred at most; the
// bound keeps a caller that feeds arbitrary names (e.g. through an HTTP bridge) from growing
// it without limit.
constexpr size_t kMaxCachedMethods = 4096;

uint32_t Bit(Role role) { return 1u << static_cast<int>(role); }

// The mask bit of a method declared `anonymous` (no role bit is ever this high).
constexpr uint32_t kAnonymousBit = 1u << 31;

std::optional<Role> FromProtoRole(int role) {
  switch (role) {
    case apiv1::ROLE_ADMIN:
      return Role::kAdmin;
    case apiv1::ROLE_LEADER:
      return Role::kLeader;
    case apiv1::ROLE_GUARD:
      return Role::kGuard;
    case apiv1::ROLE_VOLUNTEER:
      return Role::kVolunteer;
    case apiv1::ROLE_VIEWER:
      return Role::kViewer;
    case apiv1::ROLE_SERVICE:
      return Role::kService;
    default:
      return std::nullopt;  // ROLE_UNSPECIFIED admits nobody
  }
}

// "/pkg.Service/Method" -> "pkg.Service.Method"; empty when not of that form.
std::string DescriptorMethodName(absl::string_view full_method) {
  if (full_method.size() < 4 || full_method[0] != '/') return "";
  const absl::string_view rest = full_method.substr(1);
  const size_t slash = rest.find('/');
  if (slash == absl::string_view::npos || slash == 0 || slash + 1 == rest.size() ||
      rest.find('/', slash + 1) != absl::string_view::npos) {
    return "";
  }
  return absl::StrCat(rest.substr(0, slash), ".", rest.substr(slash + 1));
}

// The allowed-role bit set declared on `full_method`; 0 when unknown or undeclared.
uint32_t ComputeRoleMask(absl::string_view full_method) {
  const std::string name = DescriptorMethodName(full_method);
  if (name.empty()) return 0;
  EnsureApiDescriptorsLinked();
  const pb::MethodDescriptor* method = pb::DescriptorPool::generated_pool()->FindMethodByName(name);
  if (method == nullptr || !method->options().HasExtension(apiv1::access)) return 0;
  const apiv1::AccessRule& rule = method->options().GetExtension(apiv1::access);
  // Anonymous and roles together is a contradiction: nobody is admitted.
  if (rule.anonymous()) return rule.roles_size() == 0 ? kAnonymousBit : 0;
  uint32_t mask = 0;
  for (int i = 0; i < rule.roles_size(); ++i) {
    if (std::optional<Role> role = FromProtoRole(rule.roles(i)); role.has_value()) {
      mask |= Bit(*role);
    }
  }
  return mask;
}

absl::string_view ShortMethodName(absl::string_view full_method) {
  const size_t slash = full_method.rfind('/');
  return slash == absl::string_view::npos ? full_method : full_method.substr(slash + 1);
}

// Site ids are echoed in messages only when they look like ids, never arbitrary input.
bool LooksLikeSiteId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

bool IsApiPackage(absl::string_view package) {
  constexpr absl::string_view kPrefix = "lianfang.";
  constexpr absl::string_view kSuffix = ".v1";
  if (package.size() <= kPrefix.size() + kSuffix.size() || !absl::StartsWith(package, kPrefix) ||
      !absl::EndsWith(package, kSuffix)) {
    return false;
  }
  const absl::string_view name =
      package.substr(kPrefix.size(), package.size() - kPrefix.size() - kSuffix.size());
  return name.find('.') == absl::string_view::npos;
}

void AddMethods(const pb::ServiceDescriptor* service, std::set<std::string>* out) {
  if (service == nullptr || !IsApiPackage(service->file()->package())) return;
  for (int i = 0; i < service->method_count(); ++i) {
    out->insert(absl::StrCat("/", service->full_name(), "/", service->method(i)->name()));
  }
}

}  // namespace

Authorizer::Authorizer(const TokenVerifier* verifier) : verifier_(verifier) {
  EnsureApiDescriptorsLinked();
}

uint32_t Authorizer::AllowedRoleMask(absl::string_view full_method) const {
  {
    absl::ReaderMutexLock lock(&mu_);
    if (auto it = allowed_.find(full_method); it != allowed_.end()) return it->second;
  }
  const uint32_t mask = ComputeRoleMask(full_method);
  bool first_time = true;
  {
    absl::MutexLock lock(&mu_);
    if (allowed_.size() < kMaxCachedMethods) {
      first_time = allowed_.emplace(std::string(full_method), mask).second;
    }
  }
  if (mask == 0 && first_time) {
    // Fail closed, loudly: a method without a declared role set is a bug in the .proto (or a
    // handler passing the wrong name), and nobody may call it until it is fixed.
    logging::Error(
        "method is unknown or declares no roles in its (lianfang.common.v1.access) option; "
        "every call to it is refused (configuration bug)",
        {.method = full_method, .request_id = {}});
  }
  return mask;
}

absl::StatusOr<Principal> Authorizer::Authorize(absl::string_view full_method,
                                                absl::string_view authorization_header) const {
  absl::StatusOr<absl::string_view> token = BearerToken(authorization_header);
  if (!token.ok()) return token.status();
  absl::StatusOr<Principal> principal = verifier_->Verify(*token);
  if (!principal.ok()) return principal.status();

  const uint32_t mask = AllowedRoleMask(full_method);
  if (mask == kAnonymousBit) {
    return absl::PermissionDeniedError(
        absl::StrCat("method ", ShortMethodName(full_method), " is called without a token"));
  }
  if (mask == 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("method ", ShortMethodName(full_method), " is not open to any role"));
  }
  if ((mask & Bit(principal->role)) == 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "role ", RoleName(principal->role), " may not call ", ShortMethodName(full_method)));
  }
  return principal;
}

bool Authorizer::IsAnonymous(absl::string_view full_method) const {
  return AllowedRoleMask(full_method) == kAnonymousBit;
}

bool IsAnonymousMethod(absl::string_view full_method) {
  return ComputeRoleMask(full_method) == kAnonymousBit;
}

absl::StatusOr<absl::string_view> BearerToken(absl::string_view authorization_header) {
  const absl::string_view header = absl::StripAsciiWhitespace(authorization_header);
  if (header.empty()) return absl::UnauthenticatedError("missing bearer token");
  const size_t space = header.find_first_of(" \t");
  const absl::string_view scheme = header.substr(0, space);
  if (!absl::EqualsIgnoreCase(scheme, "bearer")) {
    return absl::UnauthenticatedError("authorization scheme must be Bearer");
  }
  if (space == absl::string_view::npos) return absl::UnauthenticatedError("missing bearer token");
  const absl::string_view token = absl::StripLeadingAsciiWhitespace(header.substr(space));
  if (token.empty()) return absl::UnauthenticatedError("missing bearer token");
  return token;
}

absl::Status CheckSite(const Principal& principal, absl::string_view site_id) {
  if (principal.MayActOnSite(site_id)) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "role ", RoleName(principal.role), " may not act on ",
      LooksLikeSiteId(site_id) ? absl::StrCat("site ", site_id) : std::string("this site"),
      ": it is not among the sites of the token"));
}

std::vector<std::string> AllowedRoles(absl::string_view full_method) {
  const uint32_t mask = ComputeRoleMask(full_method) & ~kAnonymousBit;
  std::vector<std::string> names;
  for (const Role role : kAllRoles) {
    if (mask & Bit(role)) names.emplace_back(RoleName(role));
  }
  return names;
}

std::vector<std::string> AllApiMethods() {
  EnsureApiDescriptorsLinked();
  std::set<std::string> methods;
  for (const pb::ServiceDescriptor* service : ApiServices()) AddMethods(service, &methods);
  // Also every linked-in API file, so a service missing from ApiServices() is still walked.
  const pb::DescriptorPool* pool = pb::DescriptorPool::generated_pool();
  std::vector<std::string> files;
  pb::DescriptorPool::internal_generated_database()->FindAllFileNames(&files);
  for (const std::string& file_name : files) {
    if (!absl::StartsWith(file_name, "lianfang/")) continue;
    const pb::FileDescriptor* file = pool->FindFileByName(file_name);
    if (file == nullptr) continue;
    for (int i = 0; i < file->service_count(); ++i) AddMethods(file->service(i), &methods);
  }
  return std::vector<std::string>(methods.begin(), methods.end());
}

}  // namespace lianfang::auth
