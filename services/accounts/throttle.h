// SignInThrottle: the brute-force brake of sign-in, activation and enrollment.
//
// Failures are counted per key (the normalized login, "login:<login>", and the client address,
// "addr:<ip>"). Once a key has `free_failures` failures, it must wait before its next attempt:
// 1 s after the first failure beyond the free ones, doubling with each further failure, at most
// `max_wait`. While a key waits, attempts are refused at once without checking anything (the
// password is not even hashed), so an attacker gains nothing from a flood. A success clears the
// key of the account (not the address: one right password does not excuse a thousand wrong
// ones on other accounts). Counts fade: a key idle for `forget_after` starts afresh.
//
// Unknown logins are counted exactly like known ones, so the wait never tells whether a login
// exists. State is in memory, per process, bounded to `max_keys` (the oldest entries are
// dropped first); a restart forgets it.
//
// Thread-safe.
#ifndef LIANFANG_SERVICES_ACCOUNTS_THROTTLE_H_
#define LIANFANG_SERVICES_ACCOUNTS_THROTTLE_H_

#include <cstddef>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/time/clock.h"

namespace lianfang::accounts {

class SignInThrottle final {
 public:
  struct Options {
    // Failures of one login before it waits.
    int account_free_failures = 5;
    // Failures from one client address (across logins) before it waits; higher than the
    // account's, since many people may share an office's address.
    int address_free_failures = 20;
    absl::Duration max_wait = absl::Minutes(15);
    absl::Duration forget_after = absl::Hours(1);
    size_t max_keys = 100000;
  };

  // `clock` is not owned and must outlive the throttle.
  SignInThrottle(const time::Clock* clock, Options options);
  explicit SignInThrottle(const time::Clock* clock) : SignInThrottle(clock, Options()) {}

  // OK when neither the login nor the address waits; else RESOURCE_EXHAUSTED "too many failed
  // attempts; try again in N s" (the same text for both keys). `login` may be empty (codes).
  absl::Status Check(absl::string_view login, absl::string_view address) const;
  // Counts one failure for both keys.
  void RecordFailure(absl::string_view login, absl::string_view address);
  // Clears the login's count.
  void RecordSuccess(absl::string_view login);

 private:
  struct Entry {
    int failures = 0;
    absl::Time last_failure;
  };
  // The time `key` may try again, or InfinitePast.
  absl::Time WaitUntilLocked(const std::string& key, int free_failures) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FailLocked(const std::string& key, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const time::Clock* clock_;
  const Options options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lianfang::accounts

#endif  // LIANFANG_SERVICES_ACCOUNTS_THROTTLE_H_
