// Admission control: a bound on the API calls a server handles at once, so that an overload
// is shed at the door with RESOURCE_EXHAUSTED instead of queueing until every caller times out
// and memory runs out.
//
// How a call is shed. gRPC C++ server interceptors cannot reject a call (grpc/grpc#24017), so
// the two existing shared paths do it together:
//   - the call observer (interceptors.h) takes a slot of the server's InflightLimit when a
//     unary call of an API method (lianfang.*) arrives (its initial metadata is received,
//     before the handler runs) and gives it back when the call is torn down. When no slot is
//     free the call is marked as shed (a key in the call's received metadata that the server
//     sets and a client cannot: kShedMetadataKey);
//   - AuthorizeCall (authorization.h), which every handler calls first, returns
//     RESOURCE_EXHAUSTED for a marked call before looking at the token or the request, so the
//     handler finishes it at once without touching the database.
// Health checks, reflection and streaming calls (Watch*) never take a slot and are never
// shed: a saturated server still answers its probes, and long-lived watchers are bounded by
// the per-connection stream limit instead (ServerOptions::max_concurrent_streams).
//
// The bound: ServerOptions::max_inflight_calls. The service binaries set it from the
// validated LF_MAX_INFLIGHT setting (common/config/config.h: --max-inflight, a whole number
// 0..kMaxInflightSetting, 0 = no bound, default kDefaultMaxInflightCalls; a bad value stops
// the binary at start-up with exit code 2 and one line naming the setting). A server built
// without it (tests, tools) reads the environment variable leniently
// (MaxInflightFromEnvironment). The gateway bounds its JSON API with the same setting and
// InflightLimit (services/gateway/http_gateway.h). Clients treat
// RESOURCE_EXHAUSTED from a busy server like UNAVAILABLE: retry later with backoff, with the
// same request_id for mutations.
#ifndef LIANFANG_COMMON_SERVER_ADMISSION_H_
#define LIANFANG_COMMON_SERVER_ADMISSION_H_

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"

namespace grpc {
class ServerContextBase;
}  // namespace grpc

namespace lianfang::server {

// The default bound on unary API calls in flight per server: far above what the 2-core
// reference machine completes concurrently (group commit keeps ~100 calls in flight at full
// rate), low enough that a flood is refused before it exhausts memory.
inline constexpr int kDefaultMaxInflightCalls = 1000;
// The largest accepted LF_MAX_INFLIGHT.
inline constexpr int kMaxInflightSetting = 1000000;
// The environment variable naming the bound.
inline constexpr char kMaxInflightEnv[] = "LF_MAX_INFLIGHT";

// The status a shed call finishes with: RESOURCE_EXHAUSTED, "the server is busy ...".
absl::Status OverloadedStatus();

// The bound from LF_MAX_INFLIGHT for servers built without an explicit bound: its value when
// it is a whole number 0..kMaxInflightSetting (0 = no bound), kDefaultMaxInflightCalls when it
// is unset; an unparsable value logs a warning naming the variable and gives the default (the
// service binaries validate the setting at start-up instead, so they never get here).
// Thread-safe.
int MaxInflightFromEnvironment();

// Counts the calls a server handles at once against a bound. Thread-safe (atomics).
class InflightLimit final {
 public:
  // `max` <= 0 means no bound (TryAcquire always succeeds, and still counts).
  explicit InflightLimit(int max) : max_(max) {}
  InflightLimit(const InflightLimit&) = delete;
  InflightLimit& operator=(const InflightLimit&) = delete;

  // Takes a slot: true when one was free (the caller must Release it later), false when the
  // bound is reached (nothing to release).
  bool TryAcquire();
  // Gives back a slot taken by a successful TryAcquire.
  void Release();

  int max() const { return max_; }
  // Calls holding a slot now.
  int64_t inflight() const { return inflight_.load(std::memory_order_relaxed); }
  // Calls refused so far.
  int64_t shed() const { return shed_.load(std::memory_order_relaxed); }

 private:
  const int max_;
  std::atomic<int64_t> inflight_{0};
  std::atomic<int64_t> shed_{0};
};

// The mark of a shed call: the observer adds this key (value "1") to the call's received
// metadata before the handler runs, after erasing whatever a client sent under it, so only the
// server can set it. Internal to common/server.
inline constexpr char kShedMetadataKey[] = "lf-admission-shed";

// True when the call of `context` was refused at admission (see the header comment). Reads
// the call's metadata; thread-safe as ServerContextBase::client_metadata is.
bool IsShed(const grpc::ServerContextBase& context);

}  // namespace lianfang::server

#endif  // LIANFANG_COMMON_SERVER_ADMISSION_H_
