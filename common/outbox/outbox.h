// Transactional outbox: cross-service effects that must not be lost (a fever at the gate
// raises a dispatch task; a verified tenant gets a gate pass; an observation places a gate
// hold) are written in the SAME SQL transaction as their cause, then delivered by a
// background Sender with retries. Each message carries an idempotency key that the receiver
// uses as its `request_id`, so redelivery (after a crash or a lost reply) has one effect:
// exactly-once delivery as the receiver sees it.
//
//   // In the cause's write transaction:
//   RETURN_IF_ERROR(outbox::Enqueue(session, {.destination = "dispatch",
//       .method = "/lianfang.dispatch.v1.DispatchService/CreateTask",
//       .idempotency_key = absl::StrCat("fever:", passage_id),
//       .payload = request.SerializeAsString()}, clock.Now()));
//   // After the commit: sender.Wake();
//
//   // At start-up:
//   RETURN_IF_ERROR(db.Migrate(outbox::kComponent, outbox::Migrations()));
//   outbox::Sender sender(db, grpc_deliverer, clock, outbox::SenderOptions());
//   sender.Start();   // ... sender.Stop() on shutdown
//
// Retryable delivery errors (IsRetryable) are retried with exponential backoff and jitter,
// forever, each failure logged and counted; any other error parks the message as failed
// (a dead letter kept with its last error, logged and counted) until an operator calls
// RequeueFailed. Delivered messages are purged by the service's housekeeping
// (common/app/housekeeping.h) with PurgeDelivered. Failures are logged through
// common/logging (component "outbox"), labelled with the delivery's method and key.
#ifndef LIANFANG_COMMON_OUTBOX_OUTBOX_H_
#define LIANFANG_COMMON_OUTBOX_OUTBOX_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/logging/logging.h"
#include "common/server/metrics.h"
#include "common/sql/database.h"
#include "common/time/clock.h"

namespace lianfang::outbox {

// The component name of Migrations() in lf_schema_migrations.
inline constexpr char kComponent[] = "outbox";

// A message to deliver.
struct Message {
  // The receiving service, e.g. "dispatch".
  std::string destination{};
  // The full gRPC method, e.g. "/lianfang.dispatch.v1.DispatchService/CreateTask".
  std::string method{};
  // 1..64 characters without control characters; becomes the receiver's request_id.
  std::string idempotency_key{};
  // The serialized request message.
  std::string payload{};
};

// Queues `message` in the caller's write transaction (delivered only if it commits).
// Enqueueing the same (destination, method, idempotency_key) again is a no-op: the first
// message wins. `now` is the enqueue time (from the service's clock). INVALID_ARGUMENT when
// destination or method is empty or the key is not a valid request_id; statement errors
// otherwise.
absl::Status Enqueue(sql::Session& session, const Message& message, absl::Time now);

// A queued message handed to a Deliverer.
struct PendingMessage {
  int64_t id = 0;  // the outbox row
  std::string destination{};
  std::string method{};
  std::string idempotency_key{};
  std::string payload{};
  int64_t attempts = 0;  // earlier delivery attempts
  absl::Time created_at{};
};

// Delivers messages to their destination (services implement it with a gRPC client that
// sends `payload` as the request of `method`, with `idempotency_key` as its request_id and a
// deadline). Called from the Sender's thread only, one message at a time.
class Deliverer {
 public:
  virtual ~Deliverer() = default;
  // OK when the receiver accepted the message (a replayed reply to a repeated request_id is
  // OK too). A retryable code (IsRetryable) means "try again later"; any other code parks
  // the message.
  virtual absl::Status Deliver(const PendingMessage& message) = 0;
};

// True for the codes that mean the receiver may accept the message later: UNAVAILABLE,
// DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, CANCELLED, INTERNAL, UNKNOWN.
bool IsRetryable(absl::StatusCode code);

// Messages by state.
struct Counts {
  int64_t pending = 0;
  int64_t delivered = 0;  // still within retention
  int64_t failed = 0;     // parked
};
absl::StatusOr<Counts> CountMessages(sql::Session& session);

// Moves every parked message back to pending (due at once, attempts reset), e.g. after the
// cause of a permanent error was fixed. Returns how many. REQUIRES: a write session.
absl::StatusOr<int64_t> RequeueFailed(sql::Session& session);

// Deletes at most `limit` (> 0) messages delivered before `cutoff` and returns how many, so
// that a backlog is purged in short transactions: call it until it returns less than `limit`.
// Pending and parked messages are never deleted. REQUIRES: a write session.
absl::StatusOr<int64_t> PurgeDelivered(sql::Session& session, absl::Time cutoff, int64_t limit);

// The schema of the outbox table; apply with Database::Migrate(kComponent, ...).
std::span<const sql::Migration> Migrations();

// Settings of a Sender.
struct SenderOptions {
  // Where the sender loop publishes the outbox's state after its passes, at most once per
  // `metrics_interval` (docs/metrics.md): lf_outbox_backlog (undelivered messages: pending,
  // including those backing off, and parked) and lf_outbox_oldest_age_seconds (the age of the
  // oldest of them by the sender's clock; 0 when there is none). Null = none. Not owned; must
  // outlive the Sender.
  server::Metrics* metrics = nullptr;
  absl::Duration metrics_interval = absl::Seconds(1);
  // How often the table is checked when nobody calls Wake (real time).
  absl::Duration poll_interval = absl::Seconds(1);
  // Backoff after the n-th failed attempt: min_backoff * 2^(n-1), capped at max_backoff,
  // randomized to between half and all of it.
  absl::Duration min_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Minutes(5);
  // Messages claimed and delivered per pass.
  int batch_size = 32;
  // While a message is being delivered it is hidden from other senders on the same database
  // for this long (a sender that dies mid-delivery is taken over after it).
  absl::Duration claim_lease = absl::Minutes(1);
};

// Delivers queued messages in the background. Thread-safe. The Database, Deliverer and Clock
// must outlive it. `next_attempt_at` times come from `clock`; waiting between passes uses
// real time, so the sender makes progress with a RealClock.
class Sender final {
 public:
  Sender(sql::Database& db, Deliverer& deliverer, const time::Clock& clock,
         SenderOptions options = SenderOptions());
  ~Sender();  // Stop()s.

  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  // Starts the delivery thread. Calling it again has no effect. REQUIRES: Stop not called.
  void Start();
  // Stops the delivery thread and waits for it: a delivery in progress finishes and is
  // recorded; messages claimed but not attempted are released for the next start.
  // Idempotent.
  void Stop();
  // Makes the thread look for due messages now (call after committing an Enqueue).
  void Wake();

  // Messages waiting for delivery (pending, including those backing off), for metrics.
  absl::StatusOr<int64_t> Backlog();
  // Deliveries recorded by this Sender: successes, failed attempts that will be retried,
  // and messages parked.
  int64_t delivered() const { return delivered_.load(); }
  int64_t retried() const { return retried_.load(); }
  int64_t parked() const { return parked_.load(); }

 private:
  struct Pass {
    size_t claimed = 0;
    std::optional<absl::Time> next_due;  // the earliest pending next_attempt_at
  };

  void Run();
  absl::StatusOr<Pass> DeliverDue();
  // Reads the undelivered messages and sets the gauges (options_.metrics).
  void PublishMetrics();
  absl::Duration Backoff(int64_t attempts);
  // One line through common/logging per failed attempt, parked message or database error.
  void Log(logging::Level level, absl::string_view message, const PendingMessage* msg,
           const absl::Status& status);
  bool WakeOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return wake_ || stopping_; }
  bool Stopping() const {
    absl::MutexLock lock(&mu_);
    return stopping_;
  }

  sql::Database& db_;
  Deliverer& deliverer_;
  const time::Clock& clock_;
  const SenderOptions options_;

  mutable absl::Mutex mu_;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex start_stop_mu_;  // serializes Start and Stop
  std::thread thread_ ABSL_GUARDED_BY(start_stop_mu_);

  absl::BitGen rng_;  // used by the delivery thread only
  absl::Time metrics_published_ = absl::InfinitePast();  // delivery thread only
  std::atomic<int64_t> delivered_{0};
  std::atomic<int64_t> retried_{0};
  std::atomic<int64_t> parked_{0};
};

}  // namespace lianfang::outbox

#endif  // LIANFANG_COMMON_OUTBOX_OUTBOX_H_
