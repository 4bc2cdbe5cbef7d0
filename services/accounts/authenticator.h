// Authenticator: the calls made without a token — signing in, activating, refreshing, signing
// out and redeeming enrollment codes — with what protects them:
//   - the brute-force brake (throttle.h), checked before any work, per login and per client
//     address; failures of every kind (wrong password, unknown login, wrong code) count;
//   - the same answer, UNAUTHENTICATED "wrong login or password", in the same time for an
//     unknown login (a password is verified against a dummy hash) and a wrong password;
//   - a bound of its own on concurrent password hashing (`max_concurrent_hashes`): beyond it
//     calls are refused at once with RESOURCE_EXHAUSTED, so a flood of sign-ins holds at most
//     that many threads and cores and never starves the other calls of the server;
//   - an audit event for each sign-in, activation, enrollment and refresh refusal (not for the
//     attempts refused by the brake: a flood must not become a flood of disk writes).
//
// It calls the database synchronously (Write/Read), on the calling gRPC thread: password
// hashing is CPU work of tens of milliseconds anyway, and the concurrency bound above bounds
// the threads held.
//
// Thread-safe. Nothing is owned; everything must outlive it.
#ifndef LIANFANG_SERVICES_ACCOUNTS_AUTHENTICATOR_H_
#define LIANFANG_SERVICES_ACCOUNTS_AUTHENTICATOR_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/sql/database.h"
#include "common/time/clock.h"
#include "lianfang/accounts/v1/accounts.pb.h"
#include "services/accounts/account_book.h"
#include "services/accounts/credentials.h"
#include "services/accounts/throttle.h"

namespace lianfang::accounts {

class Authenticator final {
 public:
  struct Deps {
    sql::Database* db = nullptr;
    const time::Clock* clock = nullptr;
    const AccountBook* book = nullptr;
    const PasswordHasher* hasher = nullptr;
    SignInThrottle* throttle = nullptr;
    int max_concurrent_hashes = 2;
  };
  explicit Authenticator(Deps deps);

  // `address` is the client's address without port (the throttle's key); may be empty.
  // Errors: INVALID_ARGUMENT (malformed input, naming the field), RESOURCE_EXHAUSTED (the
  // brake or the concurrency bound), UNAUTHENTICATED (wrong credentials, unknown/used/expired
  // code or token), FAILED_PRECONDITION (a disabled account with the right password),
  // UNAVAILABLE (database).
  absl::StatusOr<v1::Session> SignIn(const v1::SignInRequest& request, absl::string_view address);
  absl::StatusOr<v1::Session> Activate(const v1::ActivateRequest& request,
                                       absl::string_view address);
  absl::StatusOr<v1::Session> Refresh(const v1::RefreshRequest& request,
                                      absl::string_view address);
  absl::Status SignOut(const v1::SignOutRequest& request);
  absl::StatusOr<v1::Session> RedeemEnrollment(const v1::RedeemEnrollmentRequest& request,
                                               absl::string_view address);

 private:
  // A slot of the hashing bound, released on destruction.
  class HashSlot;
  bool TryAcquire();
  void Release();
  // Records an audit event in its own transaction (failures; successes are recorded with
  // their change). Errors are logged, never returned.
  void AuditAlone(absl::string_view method, absl::string_view subject, absl::string_view role,
                  absl::string_view outcome);

  const Deps deps_;
  absl::Mutex mu_;
  int hashing_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace lianfang::accounts

#endif  // LIANFANG_SERVICES_ACCOUNTS_AUTHENTICATOR_H_
