#include "services/accounts/throttle.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "absl/strings/str_cat.h"

namespace lianfang::accounts {
namespace {

std::string LoginKey(absl::string_view login) { return absl::StrCat("login:", login); }
std::string AddressKey(absl::string_view address) { return absl::StrCat("addr:", address); }

}  // namespace

SignInThrottle::SignInThrottle(const time::Clock* clock, Options options)
    : clock_(clock), options_(options) {}

absl::Time SignInThrottle::WaitUntilLocked(const std::string& key, int free_failures) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return absl::InfinitePast();
  const Entry& e = it->second;
  if (e.failures < free_failures) return absl::InfinitePast();
  // 1 s after the first failure beyond the free ones, doubling, capped.
  const int beyond = std::min(e.failures - free_failures, 30);
  const absl::Duration wait = std::min(absl::Seconds(int64_t{1} << beyond), options_.max_wait);
  return e.last_failure + wait;
}

absl::Status SignInThrottle::Check(absl::string_view login, absl::string_view address) const {
  const absl::Time now = clock_->Now();
  absl::Time until = absl::InfinitePast();
  {
    absl::MutexLock lock(&mu_);
    if (!login.empty()) {
      until = std::max(until, WaitUntilLocked(LoginKey(login), options_.account_free_failures));
    }
    if (!address.empty()) {
      until =
          std::max(until, WaitUntilLocked(AddressKey(address), options_.address_free_failures));
    }
  }
  if (until <= now) return absl::OkStatus();
  const int64_t seconds =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(until - now))));
  return absl::ResourceExhaustedError(
      absl::StrCat("too many failed attempts; try again in ", seconds, " s"));
}

void SignInThrottle::FailLocked(const std::string& key, absl::Time now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= options_.max_keys) {
      // Drop the entry idle longest: an attacker filling the map forgets its own oldest keys
      // first. Linear, but only when the map is full.
      auto oldest = entries_.begin();
      for (auto e = entries_.begin(); e != entries_.end(); ++e) {
        if (e->second.last_failure < oldest->second.last_failure) oldest = e;
      }
      entries_.erase(oldest);
    }
    it = entries_.emplace(key, Entry{}).first;
  }
  Entry& e = it->second;
  if (now - e.last_failure > options_.forget_after) e.failures = 0;
  ++e.failures;
  e.last_failure = now;
}

void SignInThrottle::RecordFailure(absl::string_view login, absl::string_view address) {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  if (!login.empty()) FailLocked(LoginKey(login), now);
  if (!address.empty()) FailLocked(AddressKey(address), now);
}

void SignInThrottle::RecordSuccess(absl::string_view login) {
  absl::MutexLock lock(&mu_);
  entries_.erase(LoginKey(login));
}

}  // namespace lianfang::accounts
