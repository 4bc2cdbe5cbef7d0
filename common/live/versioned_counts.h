// VersionedCounts: the Redis side of live counts written by several processes at once (replicas
// of a service on one PostgreSQL database), kept exactly equal to SQL without ordering the
// processes against each other.
//
// Every increment carries the transaction id (xid8) of the commit it comes from
// (sql::CommittedTransactionId), and every rebuild from SQL carries the snapshot it was read
// on (pg_current_snapshot(): "xmin:xmax:xip,..."; a transaction is visible in it when below
// xmin, or below xmax and not listed). Redis keeps, per service, the snapshot the counts were
// last rebuilt from and a log of the increments applied since that the snapshot does not
// contain. Two Lua scripts, each atomic in Redis:
//   - Apply(xid, increments): skipped when the installed snapshot already contains `xid`
//     (the rebuild counted it); otherwise the HINCRBYs are applied and logged.
//   - Install(snapshot, hashes): refused when the installed snapshot already sees everything
//     this one sees (a rebuild read earlier, arriving late); otherwise the hashes are replaced
//     by the snapshot's values, the logged increments the snapshot does not contain are
//     applied again to the replaced hashes, and the log entries every later snapshot will
//     contain (xid below this one's xmin) are dropped.
// So an increment is counted once whichever order increments and rebuilds of any number of
// processes reach Redis in. A process that dies between its commit and its Apply loses the
// increment until the next rebuild of any process (which sees the commit). The log holds the
// increments since the last rebuild: rebuilding periodically bounds it.
//
// Keys: redis::SnapshotKey and redis::DeltaLogKey of the service, and the hashes of keys.h. The
// scripts touch keys of several sites, so they need one Redis (or Sentinel-managed failover),
// not Redis Cluster.
//
// Thread-safety: thread-compatible; LiveCounts drives it from its one background thread.
#ifndef LIANFANG_COMMON_LIVE_VERSIONED_COUNTS_H_
#define LIANFANG_COMMON_LIVE_VERSIONED_COUNTS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/redis/client.h"

namespace lianfang::live {

class VersionedCounts final {
 public:
  // One HINCRBY; `ttl` (when positive) is set on the key afterwards (day hashes).
  struct Increment {
    std::string key;
    std::string field;
    int64_t by = 0;
    absl::Duration ttl = absl::ZeroDuration();
  };
  // The increments of one committed transaction.
  struct Commit {
    int64_t xid = 0;
    std::vector<Increment> increments;
  };
  // A hash replaced by a rebuild; `ttl` as for Increment.
  struct Hash {
    std::string key;
    std::map<std::string, int64_t> fields;
    absl::Duration ttl = absl::ZeroDuration();
  };

  // `service` is a name of keys.h. `redis` is not owned and must outlive this object.
  static absl::StatusOr<VersionedCounts> Create(absl::string_view service, redis::Client* redis);

  // Applies `commits` (one pipeline). UNAVAILABLE when Redis failed (some may be applied:
  // the caller rebuilds). Returns how many commits were applied (not already in the snapshot).
  absl::StatusOr<int> Apply(const std::vector<Commit>& commits);

  // Installs a rebuild read on `snapshot` (pg_current_snapshot()'s text). True when installed,
  // false when Redis already holds one that sees at least as much. INVALID_ARGUMENT for a
  // malformed snapshot.
  absl::StatusOr<bool> Install(absl::string_view snapshot, const std::vector<Hash>& hashes);

 private:
  VersionedCounts(std::string snapshot_key, std::string log_key, redis::Client* redis);

  std::string snapshot_key_;
  std::string log_key_;
  redis::Client* redis_;
  std::string origin_;  // tells this object's log entries from another process's
  int64_t next_entry_ = 0;
};

// True when `text` has the form of pg_current_snapshot()'s text: "xmin:xmax:" then
// comma-separated in-progress ids, all decimal.
bool IsSnapshotText(absl::string_view text);

}  // namespace lianfang::live

#endif  // LIANFANG_COMMON_LIVE_VERSIONED_COUNTS_H_
