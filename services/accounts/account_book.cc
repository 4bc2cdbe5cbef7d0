#include "services/accounts/account_book.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/auth/authorizer.h"
#include "common/pii/pii.h"
#include "common/request/request.h"
#include "common/server/errors.h"
#include "common/sql/page_token.h"
#include "common/status/status_macros.h"
#include "services/accounts/credentials.h"

namespace lianfang::accounts {
namespace {

using auth::Principal;
using auth::Role;

constexpr size_t kMaxAppVersionBytes = 64;
constexpr size_t kMaxSites = 64;

Role ToRole(common::v1::Role role) {
  // ROLE_ADMIN = 1 ... ROLE_SERVICE = 6, in the order of auth::Role.
  return static_cast<Role>(static_cast<int>(role) - 1);
}

bool IsPersonRole(common::v1::Role role) {
  return role == common::v1::ROLE_ADMIN || role == common::v1::ROLE_LEADER ||
         role == common::v1::ROLE_GUARD || role == common::v1::ROLE_VOLUNTEER ||
         role == common::v1::ROLE_VIEWER;
}

bool LeaderMayCreate(common::v1::Role role) {
  return role == common::v1::ROLE_GUARD || role == common::v1::ROLE_VOLUNTEER ||
         role == common::v1::ROLE_VIEWER;
}

// True when every site of `sites` is one `who` may act on, and `who` is unrestricted or
// `sites` names at least one (a restricted leader may not make an all-sites user).
bool WithinSites(const Principal& who, const std::vector<std::string>& sites) {
  if (who.sites.empty()) return true;
  if (sites.empty()) return false;
  return std::all_of(sites.begin(), sites.end(),
                     [&](const std::string& site) { return who.MayActOnSite(site); });
}

absl::Status UnauthenticatedCode(absl::string_view what) {
  return absl::UnauthenticatedError(
      absl::StrCat("the ", what, " is unknown, already used or expired"));
}

}  // namespace

auth::Principal PrincipalOf(const UserRow& user) {
  Principal p;
  p.subject = user.user_id;
  p.name = user.display_name;
  p.role = ToRole(user.role);
  p.sites = user.site_ids;
  return p;
}

auth::Principal PrincipalOf(const DeviceRow& device) {
  Principal p;
  p.subject = device.device_id;
  p.name = device.device_name;
  p.role = Role::kGuard;
  p.sites = {device.site_id};
  return p;
}

AccountBook::AccountBook(const sites::SiteDirectory* sites, const auth::TokenSigner* signer,
                         Options options)
    : sites_(sites), signer_(signer), options_(options) {}

absl::Status AccountBook::CheckManages(const Principal& who, const UserRow& user) {
  if (who.role == Role::kAdmin) return absl::OkStatus();
  if (who.role == Role::kLeader && LeaderMayCreate(user.role) && WithinSites(who, user.site_ids)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      "a leader manages only the guard, volunteer and viewer users of its own sites");
}

absl::Status AccountBook::ValidateCreateUser(const Principal& who,
                                             const v1::CreateUserRequest& r) const {
  server::FieldErrors errors;
  request::CheckRequestId(errors, r.request_id());
  if (absl::StatusOr<std::string> login = NormalizeLogin(r.login()); !login.ok()) {
    errors.AddFromStatus("", login.status());
  }
  if (!pii::ValidateName(r.display_name()).ok()) {
    errors.Add("display_name", "must be 1..64 bytes of UTF-8 without control characters");
  }
  if (!IsPersonRole(r.role())) {
    errors.Add("role", "must be ADMIN, LEADER, GUARD, VOLUNTEER or VIEWER");
  }
  if (r.site_ids_size() > static_cast<int>(kMaxSites)) {
    errors.Add("site_ids", absl::StrCat("at most ", kMaxSites, " sites"));
  } else {
    for (const std::string& site : r.site_ids()) {
      if (sites_->Find(site) == nullptr) {
        errors.Add("site_ids", "unknown site");
        break;
      }
    }
  }
  if (!r.team_id().empty() && !pii::ValidateName(r.team_id()).ok()) {
    errors.Add("team_id", "must be at most 64 bytes of UTF-8 without control characters");
  }
  if (!r.phone().empty() && !pii::ValidatePhone(r.phone()).ok()) {
    errors.Add("phone", "must be digits with an optional leading '+', 5..20 characters");
  }
  RETURN_IF_ERROR(errors.ToStatus());
  if (who.role == Role::kLeader) {
    if (!LeaderMayCreate(r.role())) {
      return absl::PermissionDeniedError(
          "a leader creates only guard, volunteer and viewer users");
    }
    const std::vector<std::string> sites(r.site_ids().begin(), r.site_ids().end());
    if (!WithinSites(who, sites)) {
      return absl::PermissionDeniedError(
          "a leader creates users of its own sites only (name them in site_ids)");
    }
  } else if (who.role != Role::kAdmin) {
    return absl::PermissionDeniedError("only admins and leaders create users");
  }
  return absl::OkStatus();
}

absl::Status AccountBook::ValidateCreateEnrollment(const Principal& who,
                                                   const v1::CreateEnrollmentRequest& r) const {
  server::FieldErrors errors;
  request::CheckRequestId(errors, r.request_id());
  if (sites_->Find(r.site_id()) == nullptr) {
    errors.Add("site_id", "unknown site");
  } else if (sites_->FindGate(r.site_id(), r.gate_id()) == nullptr) {
    errors.Add("gate_id", "unknown gate of this site");
  }
  RETURN_IF_ERROR(errors.ToStatus());
  return auth::CheckSite(who, r.site_id());
}

absl::StatusOr<v1::User> AccountBook::CreateUser(sql::Session& s, const Principal& who,
                                                 const v1::CreateUserRequest& r, absl::Time now,
                                                 std::string* code) const {
  ASSIGN_OR_RETURN(std::string login, NormalizeLogin(r.login()));
  ASSIGN_OR_RETURN(AccountsStore::NewId id, store_.NextId(s, "user"));
  UserRow user;
  user.user_id = id.id;
  user.seq = id.seq;
  user.login = login;
  user.display_name = r.display_name();
  user.role = r.role();
  user.site_ids.assign(r.site_ids().begin(), r.site_ids().end());
  std::sort(user.site_ids.begin(), user.site_ids.end());
  user.site_ids.erase(std::unique(user.site_ids.begin(), user.site_ids.end()),
                      user.site_ids.end());
  user.team_id = r.team_id();
  user.phone = r.phone();
  user.status = v1::USER_STATUS_PENDING;
  *code = NewCode();
  user.activation_hash = SecretHash(*code);
  user.activation_expires_at = now + options_.activation_ttl;
  user.created_at = now;
  user.created_by = who.subject;
  RETURN_IF_ERROR(store_.InsertUser(s, user));
  return ToProto(user);
}

absl::StatusOr<UserRow> AccountBook::ManagedUser(sql::Session& s, const Principal& who,
                                                 absl::string_view user_id) const {
  ASSIGN_OR_RETURN(std::optional<UserRow> user, store_.FindUser(s, user_id));
  if (!user.has_value()) return absl::NotFoundError("no such user");
  RETURN_IF_ERROR(CheckManages(who, *user));
  return *std::move(user);
}

absl::StatusOr<v1::User> AccountBook::SetDisabled(sql::Session& s, const Principal& who,
                                                  absl::string_view user_id, bool disabled,
                                                  absl::Time now) const {
  ASSIGN_OR_RETURN(UserRow user, ManagedUser(s, who, user_id));
  if (user.user_id == who.subject && disabled) {
    return absl::FailedPreconditionError("you cannot disable yourself");
  }
  if (disabled) {
    user.status = v1::USER_STATUS_DISABLED;
    RETURN_IF_ERROR(store_.RevokeUserSessions(s, user.user_id, now).status());
  } else if (user.status == v1::USER_STATUS_DISABLED) {
    user.status = user.password_hash.empty() ? v1::USER_STATUS_PENDING : v1::USER_STATUS_ACTIVE;
  }
  RETURN_IF_ERROR(store_.SetStatus(s, user.user_id, user.status));
  return ToProto(user);
}

absl::StatusOr<v1::User> AccountBook::ResetActivation(sql::Session& s, const Principal& who,
                                                      absl::string_view user_id, absl::Time now,
                                                      std::string* code) const {
  ASSIGN_OR_RETURN(UserRow user, ManagedUser(s, who, user_id));
  *code = NewCode();
  user.activation_hash = SecretHash(*code);
  user.activation_expires_at = now + options_.activation_ttl;
  user.password_hash.clear();
  if (user.status != v1::USER_STATUS_DISABLED) user.status = v1::USER_STATUS_PENDING;
  RETURN_IF_ERROR(store_.SetActivation(s, user.user_id, user.activation_hash,
                                       *user.activation_expires_at));
  RETURN_IF_ERROR(store_.RevokeUserSessions(s, user.user_id, now).status());
  return ToProto(user);
}

absl::StatusOr<v1::User> AccountBook::GetUser(sql::Session& s, const Principal& who,
                                              absl::string_view user_id) const {
  ASSIGN_OR_RETURN(UserRow user, ManagedUser(s, who, user_id));
  return ToProto(user);
}

absl::StatusOr<v1::ListUsersResponse> AccountBook::ListUsers(
    sql::Session& s, const Principal& who, const v1::ListUsersRequest& r) const {
  if (!r.site_id().empty()) {
    if (sites_->Find(r.site_id()) == nullptr) return server::InvalidField("site_id", "unknown site");
    RETURN_IF_ERROR(auth::CheckSite(who, r.site_id()));
  }
  ASSIGN_OR_RETURN(int size, sql::PageSize(r.page_size()));
  ASSIGN_OR_RETURN(std::vector<sql::Value> after,
                   sql::DecodePageToken("ListUsers", r.page_token(), 1));
  std::string cursor = after.empty() ? "" : after[0].AsText();
  v1::ListUsersResponse out;
  // Filtering (the leader rule, site, status) happens here: read batches until the page is
  // full. Users number in the hundreds per deployment.
  constexpr int64_t kBatch = 500;
  while (out.users_size() <= size) {
    ASSIGN_OR_RETURN(std::vector<UserRow> batch, store_.ListUsers(s, cursor, kBatch));
    for (const UserRow& user : batch) {
      cursor = user.login;
      if (!CheckManages(who, user).ok()) continue;
      if (r.status() != v1::USER_STATUS_UNSPECIFIED && user.status != r.status()) continue;
      if (!r.site_id().empty() &&
          std::find(user.site_ids.begin(), user.site_ids.end(), r.site_id()) ==
              user.site_ids.end()) {
        continue;
      }
      *out.add_users() = ToProto(user);
      if (out.users_size() > size) break;
    }
    if (static_cast<int64_t>(batch.size()) < kBatch) break;
  }
  if (out.users_size() > size) {
    out.mutable_users()->RemoveLast();
    out.set_next_page_token(
        sql::EncodePageToken("ListUsers", {out.users(out.users_size() - 1).login()}));
  }
  return out;
}

absl::Status AccountBook::Issue(sql::Session& s, absl::string_view session_id,
                                const Principal& token_for, absl::Time now,
                                v1::Session* out) const {
  ASSIGN_OR_RETURN(std::string access, signer_->Sign(token_for, now, options_.access_ttl));
  const std::string refresh = NewRefreshToken();
  const absl::Time refresh_expires = now + options_.refresh_ttl;
  RETURN_IF_ERROR(store_.InsertRefreshToken(s, SecretHash(refresh), session_id, now,
                                            refresh_expires));
  out->set_access_token(std::move(access));
  // The signer truncates to whole seconds; so does the stated expiry.
  *out->mutable_access_expires_at() =
      ToTimestamp(absl::FromUnixSeconds(absl::ToUnixSeconds(now)) + options_.access_ttl);
  out->set_refresh_token(refresh);
  *out->mutable_refresh_expires_at() = ToTimestamp(refresh_expires);
  return absl::OkStatus();
}

absl::StatusOr<v1::Session> AccountBook::OpenSession(sql::Session& s, absl::string_view user_id,
                                                     absl::string_view device_id,
                                                     const Principal& token_for,
                                                     absl::Time now) const {
  ASSIGN_OR_RETURN(AccountsStore::NewId id, store_.NextId(s, "session"));
  RETURN_IF_ERROR(store_.InsertSession(s, id.id, user_id, device_id, now));
  v1::Session out;
  RETURN_IF_ERROR(Issue(s, id.id, token_for, now, &out));
  return out;
}

absl::StatusOr<v1::Session> AccountBook::OpenUserSession(sql::Session& s, const UserRow& user,
                                                         absl::Time now) const {
  if (user.status != v1::USER_STATUS_ACTIVE) {
    return absl::FailedPreconditionError("the account is not active");
  }
  RETURN_IF_ERROR(store_.SetLastSignIn(s, user.user_id, now));
  ASSIGN_OR_RETURN(v1::Session out, OpenSession(s, user.user_id, "", PrincipalOf(user), now));
  UserRow signed_in = user;
  signed_in.last_sign_in_at = now;
  *out.mutable_user() = ToProto(signed_in);
  return out;
}

absl::StatusOr<v1::Session> AccountBook::Activate(sql::Session& s, absl::string_view user_id,
                                                  absl::string_view code_hash,
                                                  absl::string_view password_hash,
                                                  absl::Time now) const {
  ASSIGN_OR_RETURN(bool activated, store_.Activate(s, user_id, code_hash, password_hash, now));
  if (!activated) return UnauthenticatedCode("activation code");
  ASSIGN_OR_RETURN(std::optional<UserRow> user, store_.FindUser(s, user_id));
  if (!user.has_value()) return UnauthenticatedCode("activation code");
  return OpenUserSession(s, *user, now);
}

absl::StatusOr<RefreshOutcome> AccountBook::Refresh(sql::Session& s,
                                                    const v1::RefreshRequest& r,
                                                    absl::Time now) const {
  RefreshOutcome outcome;
  const std::string hash = SecretHash(r.refresh_token());
  ASSIGN_OR_RETURN(std::optional<RefreshRow> token, store_.FindRefreshToken(s, hash));
  if (!token.has_value()) {
    outcome.refusal = absl::UnauthenticatedError("unknown refresh token; sign in again");
    return outcome;
  }
  outcome.subject = token->user_id.empty() ? token->device_id : token->user_id;
  if (!token->device_id.empty()) {
    // A revoked device must learn why (its app then wipes its queue and token), whatever
    // else holds.
    ASSIGN_OR_RETURN(std::optional<DeviceRow> device, store_.FindDevice(s, token->device_id));
    if (!device.has_value() || device->revoked_at.has_value()) {
      outcome.refusal = absl::UnauthenticatedError("this device was revoked");
      return outcome;
    }
  }
  if (token->session_revoked_at.has_value()) {
    // Disabling and resetting a user revoke its sessions: its apps must learn that it was
    // withdrawn (the guard console then wipes its queue), not merely that a session ended.
    if (!token->user_id.empty()) {
      ASSIGN_OR_RETURN(std::optional<UserRow> user, store_.FindUser(s, token->user_id));
      if (!user.has_value() || user->status != v1::USER_STATUS_ACTIVE) {
        outcome.refusal = absl::UnauthenticatedError("the account is disabled or was reset");
        return outcome;
      }
    }
    outcome.refusal = absl::UnauthenticatedError("the session has ended; sign in again");
    return outcome;
  }
  if (token->used_at.has_value()) {
    // A rotated token came back: whoever holds the chain now, one of the two copies is a
    // thief's. End the session for both.
    RETURN_IF_ERROR(store_.RevokeSession(s, token->session_id, now).status());
    outcome.chain_revoked = true;
    outcome.refusal = absl::UnauthenticatedError(
        "this refresh token was already used; the session is revoked, sign in again");
    return outcome;
  }
  if (token->expires_at <= now) {
    outcome.refusal = absl::UnauthenticatedError("the refresh token expired; sign in again");
    return outcome;
  }
  Principal token_for;
  v1::Session out;
  if (!token->user_id.empty()) {
    ASSIGN_OR_RETURN(std::optional<UserRow> user, store_.FindUser(s, token->user_id));
    if (!user.has_value() || user->status != v1::USER_STATUS_ACTIVE) {
      RETURN_IF_ERROR(store_.RevokeSession(s, token->session_id, now).status());
      outcome.refusal = absl::UnauthenticatedError("the account is disabled or was reset");
      return outcome;
    }
    token_for = PrincipalOf(*user);
    *out.mutable_user() = ToProto(*user);
  } else {
    ASSIGN_OR_RETURN(std::optional<DeviceRow> device, store_.FindDevice(s, token->device_id));
    if (!device.has_value() || device->revoked_at.has_value()) {
      RETURN_IF_ERROR(store_.RevokeSession(s, token->session_id, now).status());
      outcome.refusal = absl::UnauthenticatedError("this device was revoked");
      return outcome;
    }
    device->last_seen_at = now;
    device->app_version = r.app_version().substr(0, kMaxAppVersionBytes);
    device->offline_queue_length = std::max(0, r.offline_queue_length());
    RETURN_IF_ERROR(store_.TouchDevice(s, device->device_id, now, device->app_version,
                                       device->offline_queue_length));
    token_for = PrincipalOf(*device);
    *out.mutable_device() = ToProto(*device);
  }
  ASSIGN_OR_RETURN(bool first_use, store_.UseRefreshToken(s, hash, now));
  if (!first_use) {
    // Another Refresh with the same token committed first: the same theft signal.
    RETURN_IF_ERROR(store_.RevokeSession(s, token->session_id, now).status());
    outcome.chain_revoked = true;
    outcome.refusal = absl::UnauthenticatedError(
        "this refresh token was already used; the session is revoked, sign in again");
    return outcome;
  }
  RETURN_IF_ERROR(Issue(s, token->session_id, token_for, now, &out));
  outcome.session = std::move(out);
  return outcome;
}

absl::StatusOr<std::string> AccountBook::SignOut(sql::Session& s, absl::string_view refresh_token,
                                                 absl::Time now) const {
  ASSIGN_OR_RETURN(std::optional<RefreshRow> token,
                   store_.FindRefreshToken(s, SecretHash(refresh_token)));
  if (!token.has_value()) return std::string();
  RETURN_IF_ERROR(store_.RevokeSession(s, token->session_id, now).status());
  return token->user_id.empty() ? token->device_id : token->user_id;
}

absl::StatusOr<int64_t> AccountBook::SignOutEverywhere(sql::Session& s, const Principal& who,
                                                       absl::Time now) const {
  ASSIGN_OR_RETURN(int64_t users, store_.RevokeUserSessions(s, who.subject, now));
  ASSIGN_OR_RETURN(int64_t devices, store_.RevokeDeviceSessions(s, who.subject, now));
  return users + devices;
}

absl::StatusOr<v1::Enrollment> AccountBook::CreateEnrollment(
    sql::Session& s, const Principal& who, const v1::CreateEnrollmentRequest& r, absl::Time now,
    std::string* code) const {
  *code = NewCode();
  const absl::Time expires = now + options_.enrollment_ttl;
  RETURN_IF_ERROR(store_.InsertEnrollment(s, SecretHash(*code), r.site_id(), r.gate_id(),
                                          who.subject, now, expires));
  v1::Enrollment out;
  *out.mutable_expires_at() = ToTimestamp(expires);
  out.set_site_id(r.site_id());
  out.set_gate_id(r.gate_id());
  return out;
}

absl::StatusOr<v1::Session> AccountBook::RedeemEnrollment(sql::Session& s, absl::string_view code,
                                                          absl::string_view device_name,
                                                          absl::Time now) const {
  ASSIGN_OR_RETURN(std::optional<EnrollmentRow> enrollment,
                   store_.UseEnrollment(s, SecretHash(code), now));
  if (!enrollment.has_value()) return UnauthenticatedCode("enrollment code");
  ASSIGN_OR_RETURN(AccountsStore::NewId id, store_.NextId(s, "device"));
  DeviceRow device;
  device.device_id = id.id;
  device.seq = id.seq;
  device.device_name = std::string(device_name);
  device.site_id = enrollment->site_id;
  device.gate_id = enrollment->gate_id;
  device.enrolled_by = enrollment->created_by;
  device.enrolled_at = now;
  device.last_seen_at = now;
  RETURN_IF_ERROR(store_.InsertDevice(s, device));
  ASSIGN_OR_RETURN(v1::Session out,
                   OpenSession(s, "", device.device_id, PrincipalOf(device), now));
  *out.mutable_device() = ToProto(device);
  return out;
}

absl::StatusOr<v1::ListDevicesResponse> AccountBook::ListDevices(
    sql::Session& s, const Principal& who, const v1::ListDevicesRequest& r) const {
  if (!r.site_id().empty()) {
    if (sites_->Find(r.site_id()) == nullptr) return server::InvalidField("site_id", "unknown site");
    RETURN_IF_ERROR(auth::CheckSite(who, r.site_id()));
  }
  ASSIGN_OR_RETURN(int size, sql::PageSize(r.page_size()));
  ASSIGN_OR_RETURN(std::vector<sql::Value> after,
                   sql::DecodePageToken("ListDevices", r.page_token(), 1));
  int64_t before = after.empty() ? 0 : after[0].AsInt();
  v1::ListDevicesResponse out;
  constexpr int64_t kBatch = 500;
  int64_t last_seq = 0;
  while (out.devices_size() <= size) {
    ASSIGN_OR_RETURN(std::vector<DeviceRow> batch,
                     store_.ListDevices(s, r.site_id(), before, kBatch));
    for (const DeviceRow& device : batch) {
      before = device.seq;
      if (!who.MayActOnSite(device.site_id)) continue;
      *out.add_devices() = ToProto(device);
      if (out.devices_size() <= size) last_seq = device.seq;
      if (out.devices_size() > size) break;
    }
    if (static_cast<int64_t>(batch.size()) < kBatch) break;
  }
  if (out.devices_size() > size) {
    out.mutable_devices()->RemoveLast();
    out.set_next_page_token(sql::EncodePageToken("ListDevices", {last_seq}));
  }
  return out;
}

absl::StatusOr<v1::Device> AccountBook::RevokeDevice(sql::Session& s, const Principal& who,
                                                     absl::string_view device_id,
                                                     absl::Time now) const {
  ASSIGN_OR_RETURN(std::optional<DeviceRow> device, store_.FindDevice(s, device_id));
  if (!device.has_value()) return absl::NotFoundError("no such device");
  RETURN_IF_ERROR(auth::CheckSite(who, device->site_id));
  if (!device->revoked_at.has_value()) {
    RETURN_IF_ERROR(store_.SetDeviceRevoked(s, device->device_id, now));
    device->revoked_at = now;
  }
  RETURN_IF_ERROR(store_.RevokeDeviceSessions(s, device->device_id, now).status());
  return ToProto(*device);
}

}  // namespace lianfang::accounts
