// Housekeeping: the one purge of the tables every service shares, run by app::Serve in every
// service binary (gate, survey, dispatch, report, gateway) at start and then every hour.
//
//   - idempotency records (lf_idempotency, common/idempotency) created more than
//     `idempotency_retention` ago: they hold first responses (masks included), and a retry
//     older than that is treated as a new request;
//   - delivered outbox messages (lf_outbox, common/outbox) delivered more than
//     `outbox_retention` ago. Pending and parked messages are never purged.
//
// Both go in transactions of at most `chunk` rows, so that a large backlog never holds the
// database's writer (and the requests waiting on it) for long.
//
//   app::Housekeeping housekeeping(db, clock, app::HousekeepingOptionsFor(rt->config));
//   app::PeriodicJob job(absl::Hours(1), [&] {
//     (void)housekeeping.RunOnce([&job] { return !job.stopping(); });
//   });
//
// The services' own retention of personal data (gate passages, survey health reports) is
// theirs (services/gate/retention.h, services/survey/retention.h); they share PurgeInChunks.
//
// Thread-safe (the database serializes writes); RunOnce may be called from any thread.
#ifndef LIANFANG_COMMON_APP_HOUSEKEEPING_H_
#define LIANFANG_COMMON_APP_HOUSEKEEPING_H_

#include <cstdint>
#include <functional>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config/config.h"
#include "common/sql/database.h"
#include "common/time/clock.h"

namespace lianfang::app {

// How long delivered outbox messages are kept at most (LF_RETENTION_DAYS may shorten it).
inline constexpr absl::Duration kOutboxRetention = absl::Hours(24 * 7);
// Most rows one purge transaction deletes.
inline constexpr int64_t kPurgeChunk = 1000;

struct HousekeepingOptions {
  absl::Duration idempotency_retention = absl::Hours(24 * config::kDefaultRetentionDays);
  absl::Duration outbox_retention = kOutboxRetention;
  int64_t chunk = kPurgeChunk;  // > 0
};

// The options of a service: idempotency records kept LF_RETENTION_DAYS days, delivered outbox
// messages kept kOutboxRetention or LF_RETENTION_DAYS days, whichever is shorter (their
// payloads hold masks and person keys too).
HousekeepingOptions HousekeepingOptionsFor(const config::CommonConfig& config);

// What one run removed.
struct HousekeepingCounts {
  int64_t idempotency_records = 0;
  int64_t outbox_messages = 0;
};

class Housekeeping final {
 public:
  // `db` and `clock` are not owned and must outlive this object.
  Housekeeping(sql::Database* db, const time::Clock* clock, HousekeepingOptions options);

  // Deletes the idempotency records created before Clock::Now() - idempotency_retention and
  // the outbox messages delivered before Clock::Now() - outbox_retention, chunk by chunk (see
  // PurgeInChunks); logs what it removed, or the failure (level warning). Returns the counts,
  // or the database's error (the chunks committed before it stay removed).
  absl::StatusOr<HousekeepingCounts> RunOnce(const std::function<bool()>& keep_going = {}) const;

 private:
  sql::Database* const db_;
  const time::Clock* const clock_;
  const HousekeepingOptions options_;
};

// Runs `purge_chunk(session, chunk)` — which deletes at most `chunk` rows and returns how many
// — each time in a write transaction of its own, until it deletes fewer than `chunk` or
// `keep_going` (if given) returns false before a transaction (the rest goes at the next run).
// Returns the total deleted, or the first error (the chunks committed before it stay).
absl::StatusOr<int64_t> PurgeInChunks(
    sql::Database& db, int64_t chunk,
    absl::FunctionRef<absl::StatusOr<int64_t>(sql::Session&, int64_t chunk)> purge_chunk,
    const std::function<bool()>& keep_going = {});

}  // namespace lianfang::app

#endif  // LIANFANG_COMMON_APP_HOUSEKEEPING_H_
