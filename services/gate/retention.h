// Retention of the gate's personal data (issue #11): passages — who passed (person_key and
// masks), their temperature, plate and pass code — are kept for a configurable period
// (`--retention-days` / `LF_RETENTION_DAYS`, default 30 days, as venue check-in systems did)
// and then deleted by a background job. The aggregate figures are NOT derived from the
// passages but kept per site and day in gate_daily (updated with each passage), so the daily
// statistics of old days stay exactly right after the purge. The stored replies of those
// passages (idempotency records, masks included) go with the shared housekeeping purge of every
// service, on the same period (common/app/housekeeping.h).
//
//   gate::Retention retention(db, clock, sites->ids(),
//                             absl::Hours(24) * rt->config.retention_days);
//   app::PeriodicJob job(absl::Hours(1), [&] { (void)retention.RunOnce(); });
//
// What stays: gate_daily (figures per site and day), gate_presence (who is inside now),
// passes, holds, vehicles, duty history and the audit trail (which holds ids, never clear
// personal data).
//
// Thread-safe (the database serializes writes); RunOnce may be called from any thread.
#ifndef LIANFANG_SERVICES_GATE_RETENTION_H_
#define LIANFANG_SERVICES_GATE_RETENTION_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/sql/database.h"
#include "common/time/clock.h"

namespace lianfang::gate {

// What one purge removed.
struct PurgeCounts {
  int64_t passages = 0;
};

class Retention final {
 public:
  // None of the pointers is owned; `db` and `clock` must outlive this object. `site_ids` are
  // the sites whose passages are purged (each purge runs on the (site_id, captured_at) index).
  Retention(sql::Database* db, const time::Clock* clock, std::vector<std::string> site_ids,
            absl::Duration period);

  // Deletes the passages captured before Clock::Now() - period, in transactions of at most
  // app::kPurgeChunk rows each (app::PurgeInChunks) so that a large backlog never holds the
  // writer (and the passages waiting on it) for long; logs what it removed. Between chunks it stops early when `keep_going` (if given) returns false — the
  // rest goes at the next run. Returns the counts, or the database's error (the chunks
  // committed before it stay removed).
  absl::StatusOr<PurgeCounts> RunOnce(const std::function<bool()>& keep_going = {}) const;

  absl::Duration period() const { return period_; }

 private:
  sql::Database* db_;
  const time::Clock* clock_;
  const std::vector<std::string> site_ids_;
  const absl::Duration period_;
};

}  // namespace lianfang::gate

#endif  // LIANFANG_SERVICES_GATE_RETENTION_H_
