// Bounded polling for tests: wait for a condition without fixed sleeps.
//
//   ASSERT_TRUE(lianfang::testing::PollUntil([&] { return server.Ready(); }, absl::Seconds(10)));
//
// The condition is evaluated at once, then with a short growing interval (1 ms up to
// `max_interval`) until it holds or `timeout` has passed. Test-only.
#ifndef LIANFANG_COMMON_TESTING_POLL_H_
#define LIANFANG_COMMON_TESTING_POLL_H_

#include <functional>

#include "absl/time/time.h"

namespace lianfang::testing {

// Returns true as soon as `condition()` returns true; false when `timeout` passes first.
// `condition` runs on the calling thread; it is called at least once.
bool PollUntil(const std::function<bool()>& condition, absl::Duration timeout,
               absl::Duration max_interval = absl::Milliseconds(20));

}  // namespace lianfang::testing

#endif  // LIANFANG_COMMON_TESTING_POLL_H_
