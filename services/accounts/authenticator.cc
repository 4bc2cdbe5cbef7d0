#include "services/accounts/authenticator.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/audit/audit.h"
#include "common/auth/principal.h"
#include "common/logging/logging.h"
#include "common/pii/pii.h"
#include "common/server/errors.h"
#include "common/status/status_macros.h"

namespace lianfang::accounts {
namespace {

#define LF_ACCOUNTS_METHOD(name) "/lianfang.accounts.v1.AccountsService/" #name
constexpr char kSignIn[] = LF_ACCOUNTS_METHOD(SignIn);
constexpr char kActivate[] = LF_ACCOUNTS_METHOD(Activate);
constexpr char kRefresh[] = LF_ACCOUNTS_METHOD(Refresh);
constexpr char kSignOut[] = LF_ACCOUNTS_METHOD(SignOut);
constexpr char kRedeemEnrollment[] = LF_ACCOUNTS_METHOD(RedeemEnrollment);
#undef LF_ACCOUNTS_METHOD

// The subject of audit events about a caller nobody knows (unknown login, unknown code).
constexpr char kAnonymous[] = "anonymous";
constexpr size_t kMaxAppVersionBytes = 64;

absl::Status WrongLoginOrPassword() {
  return absl::UnauthenticatedError("wrong login or password");
}

audit::Event Event(absl::string_view method, absl::string_view subject, absl::string_view role,
                   absl::Time at, absl::string_view outcome) {
  return audit::Event{.subject = std::string(subject),
                      .role = std::string(role),
                      .method = std::string(method),
                      .object = subject == kAnonymous ? std::string() : std::string(subject),
                      .request_id = {},
                      .at = at,
                      .outcome = std::string(outcome)};
}

std::string RoleNameOf(common::v1::Role role) {
  return std::string(auth::RoleName(static_cast<auth::Role>(static_cast<int>(role) - 1)));
}

}  // namespace

class Authenticator::HashSlot {
 public:
  explicit HashSlot(Authenticator* a) : a_(a), held_(a->TryAcquire()) {}
  ~HashSlot() {
    if (held_) a_->Release();
  }
  HashSlot(const HashSlot&) = delete;
  HashSlot& operator=(const HashSlot&) = delete;
  absl::Status status() const {
    return held_ ? absl::OkStatus()
                 : absl::ResourceExhaustedError("too many sign-ins at once; try again shortly");
  }

 private:
  Authenticator* a_;
  bool held_;
};

Authenticator::Authenticator(Deps deps) : deps_(deps) {}

bool Authenticator::TryAcquire() {
  absl::MutexLock lock(&mu_);
  if (hashing_ >= deps_.max_concurrent_hashes) return false;
  ++hashing_;
  return true;
}

void Authenticator::Release() {
  absl::MutexLock lock(&mu_);
  --hashing_;
}

void Authenticator::AuditAlone(absl::string_view method, absl::string_view subject,
                               absl::string_view role, absl::string_view outcome) {
  const audit::Event event = Event(method, subject, role, deps_.clock->Now(), outcome);
  absl::Status s = deps_.db->Write([&](sql::Session& session) {
    return audit::Record(session, event);
  });
  if (!s.ok()) {
    logging::Warning("could not record an audit event", {.method = method, .request_id = {}},
                     {{"error", s.ToString()}});
  }
}

absl::StatusOr<v1::Session> Authenticator::SignIn(const v1::SignInRequest& r,
                                                  absl::string_view address) {
  ASSIGN_OR_RETURN(std::string login, NormalizeLogin(r.login()));
  RETURN_IF_ERROR(CheckPasswordShape(r.password()));
  RETURN_IF_ERROR(deps_.throttle->Check(login, address));
  HashSlot slot(this);
  RETURN_IF_ERROR(slot.status());

  std::optional<UserRow> user;
  RETURN_IF_ERROR(deps_.db->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(user, AccountsStore().FindUserByLogin(s, login));
    return absl::OkStatus();
  }));
  // Unknown logins and users without a password are verified against the dummy hash: every
  // failure costs one Argon2id verification, so time tells nothing.
  bool verified = false;
  if (user.has_value() && !user->password_hash.empty()) {
    verified = deps_.hasher->Verify(user->password_hash, r.password());
  } else {
    deps_.hasher->VerifyDummy(r.password());
  }
  if (!verified) {
    deps_.throttle->RecordFailure(login, address);
    AuditAlone(kSignIn, user.has_value() ? user->user_id : kAnonymous,
               user.has_value() ? RoleNameOf(user->role) : "", "UNAUTHENTICATED");
    return WrongLoginOrPassword();
  }
  deps_.throttle->RecordSuccess(login);
  if (user->status == v1::USER_STATUS_DISABLED) {
    AuditAlone(kSignIn, user->user_id, RoleNameOf(user->role), "FAILED_PRECONDITION");
    return absl::FailedPreconditionError("this account is disabled; ask your leader");
  }
  // Hashes made with older (weaker) parameters are upgraded while the password is at hand.
  std::optional<std::string> rehashed;
  if (deps_.hasher->NeedsRehash(user->password_hash)) {
    absl::StatusOr<std::string> h = deps_.hasher->Hash(r.password());
    if (h.ok()) rehashed = *std::move(h);
  }
  const absl::Time now = deps_.clock->Now();
  v1::Session session;
  RETURN_IF_ERROR(deps_.db->Write([&](sql::Session& s) -> absl::Status {
    const AccountsStore store{};
    // Read again inside the transaction: a disable or reset committed meanwhile wins.
    ASSIGN_OR_RETURN(std::optional<UserRow> current, store.FindUser(s, user->user_id));
    if (!current.has_value() || current->password_hash != user->password_hash) {
      return WrongLoginOrPassword();
    }
    if (rehashed.has_value()) RETURN_IF_ERROR(store.SetPasswordHash(s, user->user_id, *rehashed));
    ASSIGN_OR_RETURN(session, deps_.book->OpenUserSession(s, *current, now));
    return audit::Record(s, Event(kSignIn, user->user_id, RoleNameOf(user->role), now, "OK"));
  }));
  return session;
}

absl::StatusOr<v1::Session> Authenticator::Activate(const v1::ActivateRequest& r,
                                                    absl::string_view address) {
  ASSIGN_OR_RETURN(std::string code, NormalizeCode(r.activation_code(), "activation_code"));
  RETURN_IF_ERROR(CheckPasswordShape(r.password()));
  RETURN_IF_ERROR(deps_.throttle->Check("", address));
  const std::string code_hash = SecretHash(code);
  const absl::Time now = deps_.clock->Now();
  std::optional<UserRow> user;
  RETURN_IF_ERROR(deps_.db->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(user, AccountsStore().FindUserByActivation(s, code_hash));
    return absl::OkStatus();
  }));
  if (!user.has_value() || !user->activation_expires_at.has_value() ||
      *user->activation_expires_at <= now || user->status == v1::USER_STATUS_DISABLED) {
    deps_.throttle->RecordFailure("", address);
    AuditAlone(kActivate, user.has_value() ? user->user_id : kAnonymous,
               user.has_value() ? RoleNameOf(user->role) : "", "UNAUTHENTICATED");
    return absl::UnauthenticatedError("the activation code is unknown, already used or expired");
  }
  RETURN_IF_ERROR(CheckPasswordPolicy(r.password(), user->login));
  HashSlot slot(this);
  RETURN_IF_ERROR(slot.status());
  ASSIGN_OR_RETURN(std::string password_hash, deps_.hasher->Hash(r.password()));
  v1::Session session;
  RETURN_IF_ERROR(deps_.db->Write([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(session, deps_.book->Activate(s, user->user_id, code_hash, password_hash,
                                                   deps_.clock->Now()));
    return audit::Record(s, Event(kActivate, user->user_id, RoleNameOf(user->role),
                                  deps_.clock->Now(), "OK"));
  }));
  return session;
}

absl::StatusOr<v1::Session> Authenticator::Refresh(const v1::RefreshRequest& r,
                                                   absl::string_view address) {
  server::FieldErrors errors;
  if (r.refresh_token().empty() || r.refresh_token().size() > kMaxRefreshTokenChars) {
    errors.Add("refresh_token", "is required and at most 128 characters");
  }
  if (!r.app_version().empty() &&
      (r.app_version().size() > kMaxAppVersionBytes || !pii::ValidateName(r.app_version()).ok())) {
    errors.Add("app_version", "must be at most 64 bytes of UTF-8 without control characters");
  }
  if (r.offline_queue_length() < 0) errors.Add("offline_queue_length", "must not be negative");
  RETURN_IF_ERROR(errors.ToStatus());
  RETURN_IF_ERROR(deps_.throttle->Check("", address));
  RefreshOutcome outcome;
  const absl::Status written = deps_.db->Write([&](sql::Session& s) -> absl::Status {
    const absl::Time now = deps_.clock->Now();
    ASSIGN_OR_RETURN(outcome, deps_.book->Refresh(s, r, now));
    if (!outcome.refusal.ok()) {
      // A token nobody issued: nothing to keep, so no commit (a flood of guesses must not
      // become a flood of transactions).
      if (outcome.subject.empty()) return outcome.refusal;
      // Committed with the revocation it may carry.
      RETURN_IF_ERROR(audit::Record(
          s, Event(kRefresh, outcome.subject, "", now,
                   outcome.chain_revoked ? "REUSED_CHAIN_REVOKED" : "UNAUTHENTICATED")));
    }
    return absl::OkStatus();
  });
  if (!outcome.refusal.ok()) {
    // Guessing tokens counts as failures; a known token refused (revoked, reused) does not.
    if (outcome.subject.empty()) deps_.throttle->RecordFailure("", address);
    return outcome.refusal;
  }
  RETURN_IF_ERROR(written);
  return *std::move(outcome.session);
}

absl::Status Authenticator::SignOut(const v1::SignOutRequest& r) {
  if (r.refresh_token().empty() || r.refresh_token().size() > kMaxRefreshTokenChars) {
    return server::InvalidField("refresh_token", "is required and at most 128 characters");
  }
  return deps_.db->Write([&](sql::Session& s) -> absl::Status {
    const absl::Time now = deps_.clock->Now();
    ASSIGN_OR_RETURN(std::string subject, deps_.book->SignOut(s, r.refresh_token(), now));
    if (subject.empty()) return absl::OkStatus();
    return audit::Record(s, Event(kSignOut, subject, "", now, "OK"));
  });
}

absl::StatusOr<v1::Session> Authenticator::RedeemEnrollment(const v1::RedeemEnrollmentRequest& r,
                                                            absl::string_view address) {
  ASSIGN_OR_RETURN(std::string code, NormalizeCode(r.enrollment_code(), "enrollment_code"));
  if (!pii::ValidateName(r.device_name()).ok()) {
    return server::InvalidField("device_name",
                                "must be 1..64 bytes of UTF-8 without control characters");
  }
  RETURN_IF_ERROR(deps_.throttle->Check("", address));
  v1::Session session;
  absl::Status status = deps_.db->Write([&](sql::Session& s) -> absl::Status {
    const absl::Time now = deps_.clock->Now();
    ASSIGN_OR_RETURN(session, deps_.book->RedeemEnrollment(s, code, r.device_name(), now));
    return audit::Record(
        s, Event(kRedeemEnrollment, session.device().device_id(), "guard", now, "OK"));
  });
  if (status.code() == absl::StatusCode::kUnauthenticated) {
    deps_.throttle->RecordFailure("", address);
    AuditAlone(kRedeemEnrollment, kAnonymous, "", "UNAUTHENTICATED");
  }
  RETURN_IF_ERROR(status);
  return session;
}

}  // namespace lianfang::accounts
