// Live counts: the figures a service keeps in Redis for the dashboard, exactly equal to its
// SQL truth even though Redis may be flushed, killed or slow at any moment.
//
// Two kinds of update reach Redis, in one ordered queue drained by one background thread:
//   - Apply(site, delta): increments after a commit (HINCRBY on the site's live hash and on
//     the hash of the delta's day), then a change notice on lf:changes;
//   - a reconcile: the service's Snapshot of every site, read from SQL, replaces the live
//     hash and today's day hash of each site.
// Exactness with one writer (SQLite). A reconcile reads its snapshot inside a write
// transaction (Database::WriteAsync) and queues the replacement from that write's completion;
// Apply is called from the completion of the write that made the change. Completions run on
// the database's writer thread in commit order, so every change is either inside a snapshot
// and applied before the replacement (and overwritten by it) or after it and applied after
// it: never lost, never counted twice.
// Exactness with several writers (PostgreSQL: replicas of the service on one database, each
// with its own LiveCounts). Commit order is no longer one thread's: each increment carries
// the transaction id of its commit (sql::CommittedTransactionId, read by Apply) and each
// reconcile reads its snapshot in a read transaction together with that snapshot's
// pg_current_snapshot(); Redis decides, atomically, whether an increment is already in the
// installed snapshot and re-applies after a replacement the increments it does not contain
// (versioned_counts.h). Every process's increments and reconciles may then reach Redis in
// any order: never lost, never counted twice.
// Healing. Redis down never fails a write: Apply only queues. When a Redis call fails the
// queue is dropped and the counts are marked stale; once Redis answers again (checked every
// `health_interval`) a reconcile rewrites them. A heartbeat key (SET … XX) detects a Redis
// that came back empty (restart, FLUSHALL) without any failed call in between, and the
// client's master_changes() a Sentinel failover to a replica that may lack the last writes
// (checked after every drain and health tick): both are healed like a flush, by a reconcile.
// Reconciles also run at Start() and every `reconcile_interval`.
//
// Thread-safety: all public methods are thread-safe. The snapshot function runs inside the
// database's write transaction and must only read.
#ifndef LIANFANG_COMMON_LIVE_LIVE_COUNTS_H_
#define LIANFANG_COMMON_LIVE_LIVE_COUNTS_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/live/versioned_counts.h"
#include "common/redis/client.h"
#include "common/server/metrics.h"
#include "common/sql/database.h"
#include "common/time/clock.h"

namespace lianfang::live {

// Figures of one site: `live` (current state, e.g. onsite) and `today` (counters of the
// current day, e.g. entries). Field names come from common/redis/keys.h.
struct SiteFigures {
  std::map<std::string, int64_t> live;
  std::map<std::string, int64_t> today;
};
// Site id -> figures. A site of the directory missing here is written as zeros only for the
// fields the service lists in Options::fields.
using Snapshot = std::map<std::string, SiteFigures>;

// Reads the truth from SQL for `today`. Runs inside a write transaction; must only read.
using SnapshotFn = std::function<absl::StatusOr<Snapshot>(sql::Session&, absl::CivilDay today)>;

// A change to apply after a commit.
struct Delta {
  std::vector<std::pair<std::string, int64_t>> live;   // field -> increment
  std::vector<std::pair<std::string, int64_t>> today;  // field -> increment on `day`
  absl::CivilDay day;  // the calendar day the `today` increments count for
  bool empty() const { return live.empty() && today.empty(); }
};

struct Options {
  // Counts every reconcile written to Redis in lf_live_count_reconciles_total
  // (docs/metrics.md); null = none. Not owned; must outlive the LiveCounts.
  server::Metrics* metrics = nullptr;
  absl::Duration reconcile_interval = absl::Seconds(60);
  absl::Duration health_interval = absl::Seconds(1);
  // Queued deltas beyond this are dropped and a reconcile is scheduled instead (a slow Redis
  // must not grow memory without bound).
  size_t max_queue = 100000;
};

class LiveCounts final {
 public:
  // `service` is a name of keys.h ("gate"); `site_ids` every site of the directory (each gets
  // its hashes written at reconcile, zeros included). None of the pointers is owned; all must
  // outlive this object.
  LiveCounts(std::string service, std::vector<std::string> site_ids, redis::Client* redis,
             sql::Database* db, const time::Clock* clock, absl::TimeZone tz, SnapshotFn snapshot,
             Options options = Options());
  ~LiveCounts();  // Stop()
  LiveCounts(const LiveCounts&) = delete;
  LiveCounts& operator=(const LiveCounts&) = delete;

  // Starts the background thread and schedules a first reconcile.
  void Start();
  // Stops the thread and waits until no work of this object is left in the database's queue:
  // every reconcile it queued (Database::WriteAsync, whose snapshot function and completion
  // use this object) has run its completion. Queued updates not yet written to Redis are
  // dropped (the next start reconciles). Once it returns, destroying this object is safe even
  // though the database lives on. REQUIRES: not called from a write function or completion
  // of `db` (it would wait for itself); `db` still accepts or fails writes.
  void Stop();

  // Queues `delta` for `site_id`. Call it from the completion of the write that made the
  // change (see the header comment). Never blocks on Redis. On PostgreSQL, called anywhere
  // else (no committed transaction id), it schedules a reconcile instead.
  void Apply(absl::string_view site_id, Delta delta);

  // Schedules a reconcile now (its snapshot is read on the writer thread, in commit order).
  // Asked for while another is still pending, it runs after that one: never dropped.
  void RequestReconcile();

  // Blocks until a reconcile scheduled after this call has been written to Redis, or
  // `timeout` passes: OK, UNAVAILABLE (Redis failed), DEADLINE_EXCEEDED. For tests and tools.
  absl::Status ReconcileAndWait(absl::Duration timeout);

  // Completed reconciles, and whether the last Redis call succeeded.
  int64_t reconciles() const;
  bool redis_up() const;

 private:
  struct Item {
    std::string site_id;
    Delta delta;                         // an increment, or
    std::shared_ptr<Snapshot> snapshot;  // a replacement of every site
    absl::CivilDay snapshot_day;
    int64_t reconcile_seq = 0;  // which scheduled reconcile this snapshot is
    int64_t xid = 0;            // PostgreSQL: the increment's transaction id
    std::string position;       // PostgreSQL: the replacement's pg_current_snapshot()
  };

  void Run();
  // PostgreSQL: reads the snapshot of reconcile `seq` in a read transaction, with its
  // position, and adds it to `items`; then lets the next reconcile be scheduled.
  void ReadVersionedSnapshot(int64_t seq, std::deque<Item>& items);
  absl::Status WriteVersionedDeltas(const std::deque<Item>& items, size_t begin, size_t end);
  absl::Status WriteVersionedSnapshot(const Item& item);
  // Queues a reconcile write unless one is pending or the object is not running.
  void ScheduleReconcileLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Write(const Item& item);
  // Writes the increments of items[begin, end) (no snapshots among them) summed per key and
  // field, in one pipeline.
  absl::Status WriteDeltas(const std::deque<Item>& items, size_t begin, size_t end);
  absl::Status WriteSnapshot(const Snapshot& snapshot, absl::CivilDay day);
  absl::Status Heartbeat(bool* lost);
  // The live and day hashes of every site as `snapshot` has them.
  absl::StatusOr<std::vector<VersionedCounts::Hash>> HashesOf(const Snapshot& snapshot,
                                                             absl::CivilDay day) const;

  const std::string service_;
  const std::vector<std::string> site_ids_;
  redis::Client* const redis_;
  sql::Database* const db_;
  const time::Clock* const clock_;
  const absl::TimeZone tz_;
  const SnapshotFn snapshot_;
  const Options options_;
  server::Metrics::Counter* const reconciles_counter_;  // null without metrics
  // Several writers may share the database (PostgreSQL): increments and reconciles are
  // placed by transaction ids (versioned_counts.h) instead of by commit order.
  const bool versioned_;
  absl::StatusOr<VersionedCounts> versioned_counts_;  // used by the background thread only

  mutable absl::Mutex mu_;
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  bool stale_ ABSL_GUARDED_BY(mu_) = true;  // Redis may not hold the truth
  bool reconcile_pending_ ABSL_GUARDED_BY(mu_) = false;
  // A reconcile was asked for while one was pending: that one's snapshot may be older than
  // the reason (a day change, a commit), so another follows it.
  bool reconcile_again_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  int64_t reconciles_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t reconcile_requests_ ABSL_GUARDED_BY(mu_) = 0;  // sequence of scheduled reconciles
  int64_t reconcile_written_ ABSL_GUARDED_BY(mu_) = 0;   // the last one written to Redis
  bool redis_up_ ABSL_GUARDED_BY(mu_) = false;
  // PostgreSQL: a reconcile's snapshot is to be read by the background thread.
  bool read_wanted_ ABSL_GUARDED_BY(mu_) = false;
  // redis::Client::master_changes() when last looked at; a different value means a failover.
  uint64_t seen_master_changes_ ABSL_GUARDED_BY(mu_) = 0;
  // Reconcile writes queued on `db_` whose completion has not finished yet (Stop waits for 0).
  int writes_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace lianfang::live

#endif  // LIANFANG_COMMON_LIVE_LIVE_COUNTS_H_
