// The SQL of the accounts service: its schema (Migrations(), component "accounts") and every
// statement it runs, as named constants with $N placeholders in store.cc, behind typed
// functions on a sql::Session (the caller owns the transaction).
//
// Secrets are never stored in clear: passwords as Argon2id hashes, activation and enrollment
// codes and refresh tokens as SHA-256 hashes (credentials.h). Ids come from per-kind counters
// ("user-12", "device-3", "session-40"). Times are microseconds since the epoch.
//
// AccountsStore is stateless and thread-safe; a Session is not. Functions return the statement
// errors of sql::Session::Execute unless stated otherwise.
#ifndef LIANFANG_SERVICES_ACCOUNTS_STORE_H_
#define LIANFANG_SERVICES_ACCOUNTS_STORE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/sql/database.h"
#include "lianfang/accounts/v1/accounts.pb.h"

namespace lianfang::accounts {

// The component name of Migrations() in lf_schema_migrations.
inline constexpr char kComponent[] = "accounts";

// The schema of the accounts service; apply with Database::Migrate(kComponent, ...).
std::span<const sql::Migration> Migrations();

struct UserRow {
  std::string user_id{};
  int64_t seq = 0;
  std::string login{};
  std::string display_name{};
  common::v1::Role role = common::v1::ROLE_UNSPECIFIED;
  std::vector<std::string> site_ids{};
  std::string team_id{};
  std::string phone{};
  v1::UserStatus status = v1::USER_STATUS_PENDING;
  std::string password_hash{};    // "" until activated
  std::string activation_hash{};  // "" when no code is pending
  std::optional<absl::Time> activation_expires_at{};
  absl::Time created_at{};
  std::string created_by{};
  std::optional<absl::Time> last_sign_in_at{};
};

struct DeviceRow {
  std::string device_id{};
  int64_t seq = 0;
  std::string device_name{};
  std::string site_id{};
  std::string gate_id{};
  std::string enrolled_by{};
  absl::Time enrolled_at{};
  absl::Time last_seen_at{};
  std::string app_version{};
  int64_t offline_queue_length = 0;
  std::optional<absl::Time> revoked_at{};
};

// A session and the refresh token presented for it.
struct RefreshRow {
  std::string token_hash{};
  std::string session_id{};
  absl::Time expires_at{};
  std::optional<absl::Time> used_at{};
  // The session's.
  std::string user_id{};    // "" for a device session
  std::string device_id{};  // "" for a user session
  std::optional<absl::Time> session_revoked_at{};
};

struct EnrollmentRow {
  std::string site_id{};
  std::string gate_id{};
  std::string created_by{};
};

class AccountsStore final {
 public:
  // The next id of `kind` ("user", "device", "session") and its number.
  struct NewId {
    std::string id{};
    int64_t seq = 0;
  };
  absl::StatusOr<NewId> NextId(sql::Session& s, absl::string_view kind) const;

  // ---- Users ----
  // ALREADY_EXISTS "login already taken".
  absl::Status InsertUser(sql::Session& s, const UserRow& user) const;
  absl::StatusOr<std::optional<UserRow>> FindUser(sql::Session& s, absl::string_view user_id) const;
  absl::StatusOr<std::optional<UserRow>> FindUserByLogin(sql::Session& s,
                                                         absl::string_view login) const;
  // The user whose pending activation code hashes to `code_hash` (expired or not).
  absl::StatusOr<std::optional<UserRow>> FindUserByActivation(sql::Session& s,
                                                              absl::string_view code_hash) const;
  // Users by login after `after_login` ("" = from the first), at most `limit`.
  absl::StatusOr<std::vector<UserRow>> ListUsers(sql::Session& s, absl::string_view after_login,
                                                 int64_t limit) const;
  absl::Status SetStatus(sql::Session& s, absl::string_view user_id, v1::UserStatus status) const;
  // Sets a pending activation code and clears the password (status PENDING unless DISABLED).
  absl::Status SetActivation(sql::Session& s, absl::string_view user_id,
                             absl::string_view code_hash, absl::Time expires_at) const;
  // Consumes the activation code: sets the password, clears the code, status ACTIVE — only
  // while the code is `code_hash`, unexpired at `now` and the user not DISABLED. False when
  // that no longer holds (a concurrent activation won, or the code expired).
  absl::StatusOr<bool> Activate(sql::Session& s, absl::string_view user_id,
                                absl::string_view code_hash, absl::string_view password_hash,
                                absl::Time now) const;
  absl::Status SetPasswordHash(sql::Session& s, absl::string_view user_id,
                               absl::string_view password_hash) const;
  absl::Status SetLastSignIn(sql::Session& s, absl::string_view user_id, absl::Time at) const;

  // ---- Sessions and refresh tokens ----
  absl::Status InsertSession(sql::Session& s, absl::string_view session_id,
                             absl::string_view user_id, absl::string_view device_id,
                             absl::Time at) const;
  absl::Status InsertRefreshToken(sql::Session& s, absl::string_view token_hash,
                                  absl::string_view session_id, absl::Time issued_at,
                                  absl::Time expires_at) const;
  absl::StatusOr<std::optional<RefreshRow>> FindRefreshToken(sql::Session& s,
                                                             absl::string_view token_hash) const;
  // Marks the token used, only if it was not: false when another use came first.
  absl::StatusOr<bool> UseRefreshToken(sql::Session& s, absl::string_view token_hash,
                                       absl::Time at) const;
  // Revokes sessions (those not yet revoked); returns how many.
  absl::StatusOr<int64_t> RevokeSession(sql::Session& s, absl::string_view session_id,
                                        absl::Time at) const;
  absl::StatusOr<int64_t> RevokeUserSessions(sql::Session& s, absl::string_view user_id,
                                             absl::Time at) const;
  absl::StatusOr<int64_t> RevokeDeviceSessions(sql::Session& s, absl::string_view device_id,
                                               absl::Time at) const;

  // ---- Enrollments and devices ----
  absl::Status InsertEnrollment(sql::Session& s, absl::string_view code_hash,
                                absl::string_view site_id, absl::string_view gate_id,
                                absl::string_view created_by, absl::Time at,
                                absl::Time expires_at) const;
  // Consumes an unused, unexpired enrollment code; nullopt when there is none.
  absl::StatusOr<std::optional<EnrollmentRow>> UseEnrollment(sql::Session& s,
                                                             absl::string_view code_hash,
                                                             absl::Time now) const;
  absl::Status InsertDevice(sql::Session& s, const DeviceRow& device) const;
  absl::StatusOr<std::optional<DeviceRow>> FindDevice(sql::Session& s,
                                                      absl::string_view device_id) const;
  // Devices newest first with seq < `before_seq` (0 = from the newest), optionally of one site.
  absl::StatusOr<std::vector<DeviceRow>> ListDevices(sql::Session& s, absl::string_view site_id,
                                                     int64_t before_seq, int64_t limit) const;
  absl::Status SetDeviceRevoked(sql::Session& s, absl::string_view device_id, absl::Time at) const;
  absl::Status TouchDevice(sql::Session& s, absl::string_view device_id, absl::Time at,
                           absl::string_view app_version, int64_t offline_queue_length) const;
  // (site_id, gate_id) -> the longest offline queue reported by a device of that gate that is
  // not revoked; gates without such a device are absent.
  absl::StatusOr<std::map<std::pair<std::string, std::string>, int64_t>> LongestOfflineQueues(
      sql::Session& s) const;
};

// The API views. `activation_code` is never set here (the caller adds it once).
v1::User ToProto(const UserRow& user);
v1::Device ToProto(const DeviceRow& device);
google::protobuf::Timestamp ToTimestamp(absl::Time t);

}  // namespace lianfang::accounts

#endif  // LIANFANG_SERVICES_ACCOUNTS_STORE_H_
