#include "services/accounts/store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/status/status_macros.h"
#include "google/protobuf/util/time_util.h"

namespace lianfang::accounts {
namespace {

using google::protobuf::util::TimeUtil;

// ---- Schema ----

// Written once for SQLite; PostgreSQL wants BIGINT for microsecond times (PostgresText).
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE accounts_ids (
  name TEXT PRIMARY KEY,
  next_value INTEGER NOT NULL
);
INSERT INTO accounts_ids (name, next_value) VALUES ('user', 0), ('device', 0), ('session', 0);
CREATE TABLE accounts_users (
  user_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  login TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  user_role INTEGER NOT NULL,
  site_ids TEXT NOT NULL,
  team_id TEXT NOT NULL,
  phone TEXT NOT NULL,
  status INTEGER NOT NULL,
  password_hash TEXT NOT NULL,
  activation_hash TEXT NOT NULL,
  activation_expires_at INTEGER,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  last_sign_in_at INTEGER
);
CREATE INDEX accounts_users_by_activation ON accounts_users (activation_hash);
CREATE TABLE accounts_sessions (
  session_id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX accounts_sessions_by_user ON accounts_sessions (user_id);
CREATE INDEX accounts_sessions_by_device ON accounts_sessions (device_id);
CREATE TABLE accounts_refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  session_id TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE INDEX accounts_refresh_tokens_by_session ON accounts_refresh_tokens (session_id);
CREATE TABLE accounts_enrollments (
  code_hash TEXT PRIMARY KEY,
  site_id TEXT NOT NULL,
  gate_id TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE TABLE accounts_devices (
  device_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  device_name TEXT NOT NULL,
  site_id TEXT NOT NULL,
  gate_id TEXT NOT NULL,
  enrolled_by TEXT NOT NULL,
  enrolled_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  app_version TEXT NOT NULL,
  offline_queue_length INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX accounts_devices_by_site ON accounts_devices (site_id, seq)
)sql";

std::string PostgresText(absl::string_view sqlite) {
  return absl::StrReplaceAll(sqlite, {{" INTEGER", " BIGINT"}});
}

// ---- Statements ----

constexpr char kNextId[] =
    "UPDATE accounts_ids SET next_value = next_value + 1 WHERE name = $1 RETURNING next_value";

#define LF_USER_COLUMNS                                                                  \
  "user_id, seq, login, display_name, user_role, site_ids, team_id, phone, status, "     \
  "password_hash, activation_hash, activation_expires_at, created_at, created_by, "      \
  "last_sign_in_at"
constexpr char kLoginTaken[] = "SELECT 1 FROM accounts_users WHERE login = $1";
constexpr char kInsertUser[] =
    "INSERT INTO accounts_users (" LF_USER_COLUMNS
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
constexpr char kSelectUser[] = "SELECT " LF_USER_COLUMNS " FROM accounts_users WHERE user_id = $1";
constexpr char kSelectUserByLogin[] =
    "SELECT " LF_USER_COLUMNS " FROM accounts_users WHERE login = $1";
constexpr char kSelectUserByActivation[] =
    "SELECT " LF_USER_COLUMNS " FROM accounts_users WHERE activation_hash = $1";
constexpr char kListUsers[] =
    "SELECT " LF_USER_COLUMNS " FROM accounts_users WHERE login > $1 ORDER BY login LIMIT $2";
constexpr char kSetStatus[] = "UPDATE accounts_users SET status = $2 WHERE user_id = $1";
// A reset clears the password: a stolen one stops working with the old sessions.
constexpr char kSetActivation[] =
    "UPDATE accounts_users SET activation_hash = $2, activation_expires_at = $3, "
    "password_hash = '', status = CASE WHEN status = 3 THEN 3 ELSE 1 END WHERE user_id = $1";
constexpr char kActivate[] =
    "UPDATE accounts_users SET password_hash = $3, activation_hash = '', "
    "activation_expires_at = NULL, status = 2 "
    "WHERE user_id = $1 AND activation_hash = $2 AND activation_hash <> '' "
    "AND activation_expires_at > $4 AND status <> 3";
constexpr char kSetPasswordHash[] =
    "UPDATE accounts_users SET password_hash = $2 WHERE user_id = $1";
constexpr char kSetLastSignIn[] =
    "UPDATE accounts_users SET last_sign_in_at = $2 WHERE user_id = $1";

constexpr char kInsertSession[] =
    "INSERT INTO accounts_sessions (session_id, user_id, device_id, created_at, revoked_at) "
    "VALUES ($1, $2, $3, $4, NULL)";
constexpr char kInsertRefreshToken[] =
    "INSERT INTO accounts_refresh_tokens (token_hash, session_id, issued_at, expires_at, "
    "used_at) VALUES ($1, $2, $3, $4, NULL)";
constexpr char kSelectRefreshToken[] =
    "SELECT t.token_hash, t.session_id, t.expires_at, t.used_at, s.user_id, s.device_id, "
    "s.revoked_at FROM accounts_refresh_tokens t "
    "JOIN accounts_sessions s ON s.session_id = t.session_id WHERE t.token_hash = $1";
constexpr char kUseRefreshToken[] =
    "UPDATE accounts_refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL";
constexpr char kRevokeSession[] =
    "UPDATE accounts_sessions SET revoked_at = $2 WHERE session_id = $1 AND revoked_at IS NULL";
constexpr char kRevokeUserSessions[] =
    "UPDATE accounts_sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL";
constexpr char kRevokeDeviceSessions[] =
    "UPDATE accounts_sessions SET revoked_at = $2 WHERE device_id = $1 AND revoked_at IS NULL";

constexpr char kInsertEnrollment[] =
    "INSERT INTO accounts_enrollments (code_hash, site_id, gate_id, created_by, created_at, "
    "expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)";
constexpr char kUseEnrollment[] =
    "UPDATE accounts_enrollments SET used_at = $2 "
    "WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2 "
    "RETURNING site_id, gate_id, created_by";

#define LF_DEVICE_COLUMNS                                                                    \
  "device_id, seq, device_name, site_id, gate_id, enrolled_by, enrolled_at, last_seen_at, " \
  "app_version, offline_queue_length, revoked_at"
constexpr char kInsertDevice[] = "INSERT INTO accounts_devices (" LF_DEVICE_COLUMNS
                                 ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
constexpr char kSelectDevice[] =
    "SELECT " LF_DEVICE_COLUMNS " FROM accounts_devices WHERE device_id = $1";
constexpr char kListDevices[] =
    "SELECT " LF_DEVICE_COLUMNS
    " FROM accounts_devices WHERE ($1 = '' OR site_id = $1) AND ($2 = 0 OR seq < $2) "
    "ORDER BY seq DESC LIMIT $3";
constexpr char kRevokeDevice[] =
    "UPDATE accounts_devices SET revoked_at = $2 WHERE device_id = $1 AND revoked_at IS NULL";
constexpr char kTouchDevice[] =
    "UPDATE accounts_devices SET last_seen_at = $2, app_version = $3, offline_queue_length = $4 "
    "WHERE device_id = $1";
constexpr char kLongestOfflineQueues[] =
    "SELECT site_id, gate_id, MAX(offline_queue_length) FROM accounts_devices "
    "WHERE revoked_at IS NULL GROUP BY site_id, gate_id";

// ---- Rows ----

UserRow UserFrom(const sql::Row& r) {
  UserRow u;
  u.user_id = r.Text(0);
  u.seq = r.Int(1);
  u.login = r.Text(2);
  u.display_name = r.Text(3);
  u.role = static_cast<common::v1::Role>(r.Int(4));
  u.site_ids = absl::StrSplit(r.Text(5), ',', absl::SkipEmpty());
  u.team_id = r.Text(6);
  u.phone = r.Text(7);
  u.status = static_cast<v1::UserStatus>(r.Int(8));
  u.password_hash = r.Text(9);
  u.activation_hash = r.Text(10);
  u.activation_expires_at = r.OptionalTime(11);
  u.created_at = r.Time(12);
  u.created_by = r.Text(13);
  u.last_sign_in_at = r.OptionalTime(14);
  return u;
}

DeviceRow DeviceFrom(const sql::Row& r) {
  DeviceRow d;
  d.device_id = r.Text(0);
  d.seq = r.Int(1);
  d.device_name = r.Text(2);
  d.site_id = r.Text(3);
  d.gate_id = r.Text(4);
  d.enrolled_by = r.Text(5);
  d.enrolled_at = r.Time(6);
  d.last_seen_at = r.Time(7);
  d.app_version = r.Text(8);
  d.offline_queue_length = r.Int(9);
  d.revoked_at = r.OptionalTime(10);
  return d;
}

absl::StatusOr<std::optional<UserRow>> OneUser(absl::StatusOr<std::optional<sql::Row>> row) {
  if (!row.ok()) return row.status();
  if (!row->has_value()) return std::nullopt;
  return UserFrom(**row);
}

}  // namespace

std::span<const sql::Migration> Migrations() {
  static const auto* const kMigrations = new std::vector<sql::Migration>{
      {.version = 1,
       .name = "users, sessions, refresh tokens, enrollments and devices",
       .sql = kSchemaV1,
       .postgres_sql = PostgresText(kSchemaV1)},
  };
  return *kMigrations;
}

absl::StatusOr<AccountsStore::NewId> AccountsStore::NextId(sql::Session& s,
                                                           absl::string_view kind) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kNextId, {kind}));
  if (!row.has_value()) return absl::InternalError("id counter missing");
  const int64_t n = row->Int(0);
  return NewId{absl::StrCat(kind, "-", n), n};
}

absl::Status AccountsStore::InsertUser(sql::Session& s, const UserRow& u) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> taken, s.QueryRow(kLoginTaken, {u.login}));
  if (taken.has_value()) return absl::AlreadyExistsError("login already taken");
  return s
      .Execute(kInsertUser,
               {u.user_id, u.seq, u.login, u.display_name, static_cast<int64_t>(u.role),
                absl::StrJoin(u.site_ids, ","), u.team_id, u.phone,
                static_cast<int64_t>(u.status), u.password_hash, u.activation_hash,
                u.activation_expires_at, u.created_at, u.created_by, u.last_sign_in_at})
      .status();
}

absl::StatusOr<std::optional<UserRow>> AccountsStore::FindUser(sql::Session& s,
                                                               absl::string_view user_id) const {
  return OneUser(s.QueryRow(kSelectUser, {user_id}));
}

absl::StatusOr<std::optional<UserRow>> AccountsStore::FindUserByLogin(
    sql::Session& s, absl::string_view login) const {
  return OneUser(s.QueryRow(kSelectUserByLogin, {login}));
}

absl::StatusOr<std::optional<UserRow>> AccountsStore::FindUserByActivation(
    sql::Session& s, absl::string_view code_hash) const {
  if (code_hash.empty()) return std::nullopt;
  return OneUser(s.QueryRow(kSelectUserByActivation, {code_hash}));
}

absl::StatusOr<std::vector<UserRow>> AccountsStore::ListUsers(sql::Session& s,
                                                              absl::string_view after_login,
                                                              int64_t limit) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kListUsers, {after_login, limit}));
  std::vector<UserRow> out;
  out.reserve(r.rows.size());
  for (const sql::Row& row : r.rows) out.push_back(UserFrom(row));
  return out;
}

absl::Status AccountsStore::SetStatus(sql::Session& s, absl::string_view user_id,
                                      v1::UserStatus status) const {
  return s.Execute(kSetStatus, {user_id, static_cast<int64_t>(status)}).status();
}

absl::Status AccountsStore::SetActivation(sql::Session& s, absl::string_view user_id,
                                          absl::string_view code_hash,
                                          absl::Time expires_at) const {
  return s.Execute(kSetActivation, {user_id, code_hash, expires_at}).status();
}

absl::StatusOr<bool> AccountsStore::Activate(sql::Session& s, absl::string_view user_id,
                                             absl::string_view code_hash,
                                             absl::string_view password_hash,
                                             absl::Time now) const {
  ASSIGN_OR_RETURN(sql::Result r,
                   s.Execute(kActivate, {user_id, code_hash, password_hash, now}));
  return r.rows_affected == 1;
}

absl::Status AccountsStore::SetPasswordHash(sql::Session& s, absl::string_view user_id,
                                            absl::string_view password_hash) const {
  return s.Execute(kSetPasswordHash, {user_id, password_hash}).status();
}

absl::Status AccountsStore::SetLastSignIn(sql::Session& s, absl::string_view user_id,
                                          absl::Time at) const {
  return s.Execute(kSetLastSignIn, {user_id, at}).status();
}

absl::Status AccountsStore::InsertSession(sql::Session& s, absl::string_view session_id,
                                          absl::string_view user_id,
                                          absl::string_view device_id, absl::Time at) const {
  return s.Execute(kInsertSession, {session_id, user_id, device_id, at}).status();
}

absl::Status AccountsStore::InsertRefreshToken(sql::Session& s, absl::string_view token_hash,
                                               absl::string_view session_id,
                                               absl::Time issued_at,
                                               absl::Time expires_at) const {
  return s.Execute(kInsertRefreshToken, {token_hash, session_id, issued_at, expires_at})
      .status();
}

absl::StatusOr<std::optional<RefreshRow>> AccountsStore::FindRefreshToken(
    sql::Session& s, absl::string_view token_hash) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kSelectRefreshToken, {token_hash}));
  if (!row.has_value()) return std::nullopt;
  RefreshRow t;
  t.token_hash = row->Text(0);
  t.session_id = row->Text(1);
  t.expires_at = row->Time(2);
  t.used_at = row->OptionalTime(3);
  t.user_id = row->Text(4);
  t.device_id = row->Text(5);
  t.session_revoked_at = row->OptionalTime(6);
  return t;
}

absl::StatusOr<bool> AccountsStore::UseRefreshToken(sql::Session& s, absl::string_view token_hash,
                                                    absl::Time at) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kUseRefreshToken, {token_hash, at}));
  return r.rows_affected == 1;
}

absl::StatusOr<int64_t> AccountsStore::RevokeSession(sql::Session& s,
                                                     absl::string_view session_id,
                                                     absl::Time at) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kRevokeSession, {session_id, at}));
  return r.rows_affected;
}

absl::StatusOr<int64_t> AccountsStore::RevokeUserSessions(sql::Session& s,
                                                          absl::string_view user_id,
                                                          absl::Time at) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kRevokeUserSessions, {user_id, at}));
  return r.rows_affected;
}

absl::StatusOr<int64_t> AccountsStore::RevokeDeviceSessions(sql::Session& s,
                                                            absl::string_view device_id,
                                                            absl::Time at) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kRevokeDeviceSessions, {device_id, at}));
  return r.rows_affected;
}

absl::Status AccountsStore::InsertEnrollment(sql::Session& s, absl::string_view code_hash,
                                             absl::string_view site_id,
                                             absl::string_view gate_id,
                                             absl::string_view created_by, absl::Time at,
                                             absl::Time expires_at) const {
  return s.Execute(kInsertEnrollment, {code_hash, site_id, gate_id, created_by, at, expires_at})
      .status();
}

absl::StatusOr<std::optional<EnrollmentRow>> AccountsStore::UseEnrollment(
    sql::Session& s, absl::string_view code_hash, absl::Time now) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kUseEnrollment, {code_hash, now}));
  if (!row.has_value()) return std::nullopt;
  return EnrollmentRow{row->Text(0), row->Text(1), row->Text(2)};
}

absl::Status AccountsStore::InsertDevice(sql::Session& s, const DeviceRow& d) const {
  return s
      .Execute(kInsertDevice,
               {d.device_id, d.seq, d.device_name, d.site_id, d.gate_id, d.enrolled_by,
                d.enrolled_at, d.last_seen_at, d.app_version, d.offline_queue_length,
                d.revoked_at})
      .status();
}

absl::StatusOr<std::optional<DeviceRow>> AccountsStore::FindDevice(
    sql::Session& s, absl::string_view device_id) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kSelectDevice, {device_id}));
  if (!row.has_value()) return std::nullopt;
  return DeviceFrom(*row);
}

absl::StatusOr<std::vector<DeviceRow>> AccountsStore::ListDevices(sql::Session& s,
                                                                  absl::string_view site_id,
                                                                  int64_t before_seq,
                                                                  int64_t limit) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kListDevices, {site_id, before_seq, limit}));
  std::vector<DeviceRow> out;
  out.reserve(r.rows.size());
  for (const sql::Row& row : r.rows) out.push_back(DeviceFrom(row));
  return out;
}

absl::Status AccountsStore::SetDeviceRevoked(sql::Session& s, absl::string_view device_id,
                                             absl::Time at) const {
  return s.Execute(kRevokeDevice, {device_id, at}).status();
}

absl::Status AccountsStore::TouchDevice(sql::Session& s, absl::string_view device_id,
                                        absl::Time at, absl::string_view app_version,
                                        int64_t offline_queue_length) const {
  return s.Execute(kTouchDevice, {device_id, at, app_version, offline_queue_length}).status();
}

absl::StatusOr<std::map<std::pair<std::string, std::string>, int64_t>>
AccountsStore::LongestOfflineQueues(sql::Session& s) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kLongestOfflineQueues));
  std::map<std::pair<std::string, std::string>, int64_t> out;
  for (const sql::Row& row : r.rows) out[{row.Text(0), row.Text(1)}] = row.Int(2);
  return out;
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

v1::User ToProto(const UserRow& u) {
  v1::User out;
  out.set_user_id(u.user_id);
  out.set_login(u.login);
  out.set_display_name(u.display_name);
  out.set_role(u.role);
  for (const std::string& site : u.site_ids) out.add_site_ids(site);
  out.set_team_id(u.team_id);
  out.set_phone(u.phone);
  out.set_status(u.status);
  if (!u.activation_hash.empty() && u.activation_expires_at.has_value()) {
    *out.mutable_activation_expires_at() = ToTimestamp(*u.activation_expires_at);
  }
  *out.mutable_created_at() = ToTimestamp(u.created_at);
  out.set_created_by(u.created_by);
  if (u.last_sign_in_at.has_value()) {
    *out.mutable_last_sign_in_at() = ToTimestamp(*u.last_sign_in_at);
  }
  return out;
}

v1::Device ToProto(const DeviceRow& d) {
  v1::Device out;
  out.set_device_id(d.device_id);
  out.set_device_name(d.device_name);
  out.set_site_id(d.site_id);
  out.set_gate_id(d.gate_id);
  out.set_enrolled_by(d.enrolled_by);
  *out.mutable_enrolled_at() = ToTimestamp(d.enrolled_at);
  *out.mutable_last_seen_at() = ToTimestamp(d.last_seen_at);
  out.set_app_version(d.app_version);
  out.set_offline_queue_length(static_cast<int32_t>(d.offline_queue_length));
  out.set_revoked(d.revoked_at.has_value());
  if (d.revoked_at.has_value()) *out.mutable_revoked_at() = ToTimestamp(*d.revoked_at);
  return out;
}

}  // namespace lianfang::accounts
