// Loopback ports for tests: pick a free one at run time, wait for a server to listen on one.
//
// Tests never hardcode ports: several test binaries run at once on the same machine.
#ifndef LIANFANG_COMMON_TESTING_PORTS_H_
#define LIANFANG_COMMON_TESTING_PORTS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace lianfang::testing {

// Returns a TCP port that was free on 127.0.0.1 a moment ago (binds port 0, reads the port
// the kernel chose, closes). Another process may take it before the caller binds it, so
// callers that can detect "address in use" should retry with a new port.
// INTERNAL when the socket calls fail.
absl::StatusOr<int> PickFreePort();

// Waits until a TCP connection to 127.0.0.1:`port` succeeds, polling with a bound.
// DEADLINE_EXCEEDED when `timeout` passes first.
absl::Status WaitForPort(int port, absl::Duration timeout);

}  // namespace lianfang::testing

#endif  // LIANFANG_COMMON_TESTING_PORTS_H_
