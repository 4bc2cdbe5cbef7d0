// The accounts core: users, the leader rules, sessions with rotating refresh tokens, enrollment
// codes and devices — on a sql::Session, without gRPC. Every function runs inside the
// caller's transaction (Database::Write for changes, Read for reads); `now` is passed in.
//
// Who may manage whom: ADMIN every user and device; a LEADER only GUARD, VOLUNTEER and VIEWER
// users whose sites are all among its own (a LEADER whose token names no sites: any such user)
// and the devices of its sites. Anything else is PERMISSION_DENIED.
//
// Sessions: a session is opened by activation, sign-in or enrollment and carries a chain of
// refresh tokens, stored as hashes; each Refresh marks the token used and issues the next one.
// A used token presented again revokes the whole session (the token was copied: theft), as do
// disabling or resetting the user and revoking the device. Access tokens are signed here and
// live `access_ttl`; they are not revocable, so what one still allows is bounded by that.
//
// Thread-safe (immutable after construction).
#ifndef LIANFANG_SERVICES_ACCOUNTS_ACCOUNT_BOOK_H_
#define LIANFANG_SERVICES_ACCOUNTS_ACCOUNT_BOOK_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/auth/jwt.h"
#include "common/auth/principal.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "lianfang/accounts/v1/accounts.pb.h"
#include "services/accounts/store.h"

namespace lianfang::accounts {

// A refused refresh: the refusal (UNAUTHENTICATED) and whether the whole session was revoked
// because the token had already been used. The revocation must be committed even though the
// call fails, so it is returned as a value rather than as an error of the transaction.
struct RefreshOutcome {
  std::optional<v1::Session> session{};  // set on success
  absl::Status refusal = absl::OkStatus();
  bool chain_revoked = false;
  std::string subject{};  // the user or device, when known (for the audit trail)
};

class AccountBook final {
 public:
  struct Options {
    absl::Duration access_ttl = absl::Minutes(15);
    absl::Duration refresh_ttl = absl::Hours(24 * 14);
    absl::Duration activation_ttl = absl::Hours(72);
    absl::Duration enrollment_ttl = absl::Minutes(10);
  };

  // Neither is owned; both must outlive the book. `signer` signs people's and devices' access
  // tokens (Ed25519 in production).
  AccountBook(const sites::SiteDirectory* sites, const auth::TokenSigner* signer,
              Options options);

  const Options& options() const { return options_; }

  // ---- Validation (no SQL) ----
  // INVALID_ARGUMENT naming the field; PERMISSION_DENIED for what `who` may not create.
  absl::Status ValidateCreateUser(const auth::Principal& who,
                                  const v1::CreateUserRequest& request) const;
  // INVALID_ARGUMENT for a bad site or gate; PERMISSION_DENIED for a site outside the token.
  absl::Status ValidateCreateEnrollment(const auth::Principal& who,
                                        const v1::CreateEnrollmentRequest& request) const;

  // ---- Users (write transaction) ----
  // The new user (PENDING) and, in `*code`, its activation code. ALREADY_EXISTS for a login
  // already taken. REQUIRES: ValidateCreateUser passed.
  absl::StatusOr<v1::User> CreateUser(sql::Session& s, const auth::Principal& who,
                                      const v1::CreateUserRequest& request, absl::Time now,
                                      std::string* code) const;
  // Disables (revoking every session) or enables the user. NOT_FOUND, PERMISSION_DENIED.
  absl::StatusOr<v1::User> SetDisabled(sql::Session& s, const auth::Principal& who,
                                       absl::string_view user_id, bool disabled,
                                       absl::Time now) const;
  // A new activation code in `*code`; the password is cleared and every session revoked.
  absl::StatusOr<v1::User> ResetActivation(sql::Session& s, const auth::Principal& who,
                                           absl::string_view user_id, absl::Time now,
                                           std::string* code) const;

  // ---- Users (read) ----
  absl::StatusOr<v1::User> GetUser(sql::Session& s, const auth::Principal& who,
                                   absl::string_view user_id) const;
  absl::StatusOr<v1::ListUsersResponse> ListUsers(sql::Session& s, const auth::Principal& who,
                                                  const v1::ListUsersRequest& request) const;

  // ---- Sessions (write transaction) ----
  // Opens a session for an ACTIVE user, recording the sign-in time.
  absl::StatusOr<v1::Session> OpenUserSession(sql::Session& s, const UserRow& user,
                                              absl::Time now) const;
  // Consumes the activation code of `user_id` (hash `code_hash`) with the password hash and
  // opens a session. UNAUTHENTICATED when the code was used or expired meanwhile.
  absl::StatusOr<v1::Session> Activate(sql::Session& s, absl::string_view user_id,
                                       absl::string_view code_hash,
                                       absl::string_view password_hash, absl::Time now) const;
  // Rotates the refresh token (see RefreshOutcome); statement errors only as errors.
  absl::StatusOr<RefreshOutcome> Refresh(sql::Session& s, const v1::RefreshRequest& request,
                                         absl::Time now) const;
  // Ends the session of `refresh_token` if it exists; the subject ended, or "".
  absl::StatusOr<std::string> SignOut(sql::Session& s, absl::string_view refresh_token,
                                      absl::Time now) const;
  // Ends every session of `who` (a user or a device); how many.
  absl::StatusOr<int64_t> SignOutEverywhere(sql::Session& s, const auth::Principal& who,
                                            absl::Time now) const;

  // ---- Enrollment and devices ----
  // An enrollment code in `*code` (stored hashed). REQUIRES: ValidateCreateEnrollment passed.
  absl::StatusOr<v1::Enrollment> CreateEnrollment(sql::Session& s, const auth::Principal& who,
                                                  const v1::CreateEnrollmentRequest& request,
                                                  absl::Time now, std::string* code) const;
  // Consumes the code (normalized) and enrols the device. UNAUTHENTICATED when the code is
  // unknown, used or expired (one answer for all three).
  absl::StatusOr<v1::Session> RedeemEnrollment(sql::Session& s, absl::string_view code,
                                               absl::string_view device_name,
                                               absl::Time now) const;
  absl::StatusOr<v1::ListDevicesResponse> ListDevices(sql::Session& s, const auth::Principal& who,
                                                      const v1::ListDevicesRequest& request) const;
  // Revokes the device and its sessions. NOT_FOUND, PERMISSION_DENIED.
  absl::StatusOr<v1::Device> RevokeDevice(sql::Session& s, const auth::Principal& who,
                                          absl::string_view device_id, absl::Time now) const;

  // OK when `who` may manage `user` (see the header comment); PERMISSION_DENIED otherwise.
  static absl::Status CheckManages(const auth::Principal& who, const UserRow& user);

 private:
  // A new session (ids, first refresh token) for the principal `token_for`.
  absl::StatusOr<v1::Session> OpenSession(sql::Session& s, absl::string_view user_id,
                                          absl::string_view device_id,
                                          const auth::Principal& token_for,
                                          absl::Time now) const;
  // The access token and a new refresh token of `session_id` into `*out`.
  absl::Status Issue(sql::Session& s, absl::string_view session_id,
                     const auth::Principal& token_for, absl::Time now, v1::Session* out) const;
  absl::StatusOr<UserRow> ManagedUser(sql::Session& s, const auth::Principal& who,
                                      absl::string_view user_id) const;

  const sites::SiteDirectory* sites_;
  const auth::TokenSigner* signer_;
  const Options options_;
  const AccountsStore store_{};
};

// The token principal of a user (sub = user id, its role and sites) and of a device (sub =
// device id, GUARD at its site).
auth::Principal PrincipalOf(const UserRow& user);
auth::Principal PrincipalOf(const DeviceRow& device);

}  // namespace lianfang::accounts

#endif  // LIANFANG_SERVICES_ACCOUNTS_ACCOUNT_BOOK_H_
