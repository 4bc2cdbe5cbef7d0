// Subscriber: listens to Redis pub/sub channels on a background thread with its own
// connection, and survives Redis going away.
//
//   redis::Subscriber subscriber(endpoint);
//   RETURN_IF_ERROR(subscriber.Subscribe({
//       .channels = {redis::kChangesChannel},
//       .on_message = [&](absl::string_view channel, absl::string_view payload) { ... },
//       .on_reconnect = [&] { reconciler.RebuildAll(); },  // Redis is back, maybe empty
//   }));
//   ...
//   subscriber.Stop();
//
// When the connection is lost (or cannot be made), the thread reconnects with an
// exponential backoff (initial_backoff doubling up to max_backoff) and subscribes again.
// Messages published while it was disconnected are lost (Redis pub/sub keeps nothing), which
// is why `on_reconnect` exists: it runs each time the subscription is established again after
// a loss or after failed attempts, i.e. whenever Redis "comes back" — not when the very first
// attempt succeeds. A message matching both a subscribed channel and a pattern is delivered
// twice (Redis semantics). An idle connection is checked with PING every
// health_check_interval, so a silently dead peer is noticed too.
//
// With a redis-sentinel:// endpoint each connection goes to the master the Sentinels name
// (checked with ROLE). A failover closes the subscription's connection (the old master dies,
// or Sentinel disconnects clients when it demotes it); the next attempt asks the Sentinels
// again and subscribes on the new master, and on_reconnect runs as after any loss.
//
// Thread-safety: Subscribe, Stop, connected and WaitUntilSubscribed may be called from any
// thread. Callbacks run on the subscriber's thread, one at a time; they must not call Stop()
// or destroy the Subscriber, and should return quickly (hand long work to another thread).
#ifndef LIANFANG_COMMON_REDIS_SUBSCRIBER_H_
#define LIANFANG_COMMON_REDIS_SUBSCRIBER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/redis/endpoint.h"

namespace lianfang::redis {

class Subscriber final {
 public:
  struct Options {
    absl::Duration connect_timeout = absl::Milliseconds(200);
    absl::Duration initial_backoff = absl::Milliseconds(100);
    absl::Duration max_backoff = absl::Seconds(1);
    // PING after this much silence; the connection counts as lost when the PING is not
    // answered within another interval.
    absl::Duration health_check_interval = absl::Seconds(1);
  };

  // `channel` is the channel the message was published on (also for pattern matches).
  using MessageCallback = std::function<void(absl::string_view channel, absl::string_view message)>;
  using ReconnectCallback = std::function<void()>;

  struct Subscription {
    std::vector<std::string> channels;  // SUBSCRIBE
    std::vector<std::string> patterns;  // PSUBSCRIBE (glob-style)
    MessageCallback on_message;         // required
    ReconnectCallback on_reconnect;     // optional
  };

  explicit Subscriber(Endpoint endpoint);
  Subscriber(Endpoint endpoint, Options options);
  // Stop()s.
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // Starts the background thread, which connects and subscribes (asynchronously: Redis may be
  // down). INVALID_ARGUMENT when there is neither a channel nor a pattern or no on_message;
  // FAILED_PRECONDITION when called twice or after Stop().
  absl::Status Subscribe(Subscription subscription);

  // Stops the thread (promptly: it is woken, not polled) and closes the connection. No
  // callback runs after Stop returns. Idempotent.
  void Stop();

  // True while every channel and pattern is subscribed on a live connection.
  bool connected() const;

  // Waits until connected(); false when `timeout` passes first. Publish after this returns
  // true and the message is delivered.
  bool WaitUntilSubscribed(absl::Duration timeout) const;

  // How many times the subscription was established again after a loss or failed attempts
  // (the number of times on_reconnect ran, or would have run had it been given).
  uint64_t reconnects() const;

  // How many times the subscription was established, the first time included.
  uint64_t subscriptions() const;

 private:
  enum class Outcome { kStopped, kLost };
  void Run();
  // One connection's life: subscribe, then dispatch until it is lost or Stop() is called.
  Outcome Session(bool* lost_before);
  // Waits up to `d` or until Stop(); true when stopping.
  bool SleepOrStop(absl::Duration d);
  bool stopping() const;
  void SetConnected(bool connected);

  const Endpoint endpoint_;
  const Options options_;
  Subscription subscription_;  // written before the thread starts, then read-only
  int wake_read_fd_ = -1;      // a self-pipe: Stop() writes, the thread polls it
  int wake_write_fd_ = -1;

  mutable absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t reconnects_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t subscriptions_ ABSL_GUARDED_BY(mu_) = 0;

  absl::Mutex thread_mu_;  // serializes Stop() callers around join
  std::thread thread_;
};

}  // namespace lianfang::redis

#endif  // LIANFANG_COMMON_REDIS_SUBSCRIBER_H_
