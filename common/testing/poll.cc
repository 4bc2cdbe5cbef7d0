#include "common/testing/poll.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace lianfang::testing {

bool PollUntil(const std::function<bool()>& condition, absl::Duration timeout,
               absl::Duration max_interval) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration interval = absl::Milliseconds(1);
  while (true) {
    if (condition()) return true;
    const absl::Time now = absl::Now();
    if (now >= deadline) return false;
    absl::SleepFor(std::min(interval, deadline - now));
    interval = std::min(interval * 2, max_interval);
  }
}

}  // namespace lianfang::testing
