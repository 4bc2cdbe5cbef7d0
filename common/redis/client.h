// Client: a thread-safe Redis client with a deadline on every call, for the live counts.
//
// Redis is a cache in Lianfang: SQL is the source of truth and Redis being down must never
// fail a write. So every call is bounded (connect and command timeouts), a lost connection is
// reported as UNAVAILABLE at once, and while Redis stays unreachable calls fail fast without
// touching the network until the reconnect backoff has passed. Callers log/count the error
// and carry on; the reconciler rewrites the counts when Redis returns.
//
//   ASSIGN_OR_RETURN(redis::Endpoint endpoint, redis::ParseUrl(config.redis_url));
//   redis::Client client(endpoint);
//   ASSIGN_OR_RETURN(std::string key, redis::DayKey(redis::kGate, site_id, today));
//   absl::StatusOr<int64_t> entries = client.HIncrBy(key, redis::kFieldEntries, 1);
//   if (!entries.ok()) { /* log, count, continue: the write already committed */ }
//
// Sentinel. Given a redis-sentinel:// endpoint, every new connection asks the Sentinels in
// turn for the master's address and checks with ROLE that the server is a master (see
// internal::ConnectToServer). A connection is replaced after any failure (lost, timed out, or
// a READONLY reply: the master was demoted), so after the reconnect backoff the next call
// follows a failover by itself. Connecting to a different address than the previous
// connection's counts in master_changes(): the new master may lack the last writes.
//
// Error model:
//   - UNAVAILABLE: Redis could not be reached (with Sentinel: no Sentinel named a usable
//     master), the connection broke, a command timed out (the connection is then dropped:
//     its state is unknown), or Redis answered with a transient error (LOADING, BUSY,
//     MASTERDOWN, READONLY, TRYAGAIN, CLUSTERDOWN, OOM).
//     A timed-out command may still have been applied by Redis.
//   - FAILED_PRECONDITION: Redis answered a single command with another error reply
//     (WRONGTYPE, ERR syntax...): a bug or a foreign key, not an outage. The message carries
//     Redis's error text (which never holds our values).
//   - INVALID_ARGUMENT: an empty command.
//   - INTERNAL: a reply of a kind the command never returns.
// Pipeline() reports a broken connection for the whole batch and error replies per command.
//
// Thread-safety: all methods may be called concurrently; calls share one connection and are
// serialized on it, each holding it for at most about connect_timeout + command_timeout (with
// Sentinel, a reconnection adds that much per Sentinel asked and for the ROLE check).
// SIGPIPE from a write to a dead socket is suppressed without changing process-wide signal
// dispositions.
#ifndef LIANFANG_COMMON_REDIS_CLIENT_H_
#define LIANFANG_COMMON_REDIS_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/redis/context_ptr.h"
#include "common/redis/endpoint.h"
#include "common/redis/reply.h"

namespace lianfang::redis {

class Client final {
 public:
  struct Options {
    // Bound on establishing the TCP connection (and SELECT).
    absl::Duration connect_timeout = absl::Milliseconds(200);
    // Bound on each socket read or write of a command or pipeline.
    absl::Duration command_timeout = absl::Milliseconds(200);
    // After a failure, no new connection is attempted before this much time has passed;
    // calls meanwhile fail at once with UNAVAILABLE.
    absl::Duration reconnect_backoff = absl::Milliseconds(500);
  };

  // Counters for metrics (monotonic since construction).
  struct Stats {
    uint64_t calls = 0;         // Command and Pipeline calls
    uint64_t failed_calls = 0;  // calls that returned UNAVAILABLE
    uint64_t connects = 0;      // connections established
    // Connections made to a different server than the previous one (a Sentinel failover).
    uint64_t master_changes = 0;
  };

  // Does not connect: the first call does. Construction never fails, so a service starts
  // while Redis is down.
  explicit Client(Endpoint endpoint);
  Client(Endpoint endpoint, Options options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Parses `url` (see ParseUrl) and builds a client. INVALID_ARGUMENT for a bad URL.
  static absl::StatusOr<std::unique_ptr<Client>> FromUrl(absl::string_view url);
  static absl::StatusOr<std::unique_ptr<Client>> FromUrl(absl::string_view url, Options options);

  const Endpoint& endpoint() const { return endpoint_; }

  // Sends one command (argv[0] is the command name; arguments are binary-safe) and returns
  // the reply. An error reply is returned as a status (see the error model above), never as
  // a Reply of kind error.
  absl::StatusOr<Reply> Command(const std::vector<std::string>& argv);

  // Sends `commands` in one round trip and returns one reply per command, in order. Error
  // replies come back as Reply kind error in their slot (MULTI/EXEC blocks work). An empty
  // batch returns an empty vector without I/O. UNAVAILABLE when the connection fails (some
  // commands may then have been applied) or, with Sentinel, when a command was refused with
  // READONLY; INVALID_ARGUMENT when a command is empty.
  absl::StatusOr<std::vector<Reply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);

  // Whether the last call reached Redis (false before the first call). No I/O, no locking:
  // cheap enough for a health or dashboard "source" decision.
  bool available() const { return available_.load(std::memory_order_relaxed); }

  Stats stats() const;

  // How many times a new connection reached a different server than the previous connection
  // (stats().master_changes). Always 0 for redis://. No I/O, no locking: callers compare it
  // with the value they saw last to notice a failover.
  uint64_t master_changes() const;

  // --- Conveniences (same error model) -------------------------------------------------
  absl::Status Ping();
  // nullopt when the key does not exist.
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key);
  absl::Status Set(absl::string_view key, absl::string_view value);
  // SET with an expiry (PX, millisecond precision; at least 1 ms).
  absl::Status SetWithTtl(absl::string_view key, absl::string_view value, absl::Duration ttl);
  // The number of keys removed (0 or 1).
  absl::StatusOr<int64_t> Del(absl::string_view key);
  absl::StatusOr<bool> Exists(absl::string_view key);
  // PEXPIRE; false when the key does not exist.
  absl::StatusOr<bool> Expire(absl::string_view key, absl::Duration ttl);
  // Every field of a hash; empty when the key does not exist.
  absl::StatusOr<std::map<std::string, std::string>> HGetAll(absl::string_view key);
  // One field; nullopt when the field or the key does not exist.
  absl::StatusOr<std::optional<std::string>> HGet(absl::string_view key, absl::string_view field);
  // Sets the given fields (others are kept). No-op for an empty map.
  absl::Status HSet(absl::string_view key, const std::map<std::string, std::string>& fields);
  // Adds `delta` to a hash field (missing = 0) and returns the new value.
  absl::StatusOr<int64_t> HIncrBy(absl::string_view key, absl::string_view field, int64_t delta);
  // Atomically (MULTI/EXEC) replaces the whole hash with `fields` (an empty map deletes it),
  // and sets its expiry when `ttl` is given. What the reconciler uses to rewrite counts.
  absl::Status ReplaceHash(absl::string_view key, const std::map<std::string, std::string>& fields,
                           std::optional<absl::Duration> ttl = std::nullopt);
  // The number of subscribers that received the message.
  absl::StatusOr<int64_t> Publish(absl::string_view channel, absl::string_view message);

 private:
  // Returns a usable connection, connecting if needed and allowed by the backoff.
  absl::StatusOr<redisContext*> ConnectedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the connection after a failure and starts the backoff; returns UNAVAILABLE.
  absl::Status FailLocked(absl::string_view what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether an error reply means the server is no longer the master (READONLY, Sentinel only).
  bool DemotedLocked(absl::string_view error) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Endpoint endpoint_;
  const Options options_;
  std::atomic<bool> available_{false};
  std::atomic<uint64_t> master_changes_{0};

  mutable absl::Mutex mu_;
  internal::ContextPtr context_ ABSL_GUARDED_BY(mu_);
  absl::Time next_attempt_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  // The server of the connection, for messages: the endpoint, or with Sentinel the master's
  // address once known.
  std::string server_ ABSL_GUARDED_BY(mu_);
  // The address the last connection reached (none before the first).
  std::optional<Address> master_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lianfang::redis

#endif  // LIANFANG_COMMON_REDIS_CLIENT_H_
