// The small service the live-count tests play: a `visits` table (site, day, inside) whose
// truth is people inside and today's entries per site, written the way a service writes
// (the change in SQL, the increment from the write's completion), and read back from Redis
// the way the dashboard reads it. Test-only.
#ifndef LIANFANG_TESTS_COMMON_LIVE_VISITS_H_
#define LIANFANG_TESTS_COMMON_LIVE_VISITS_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/live/live_counts.h"
#include "common/redis/client.h"
#include "common/redis/keys.h"
#include "common/sql/database.h"
#include "common/status/status_macros.h"
#include "common/testing/poll.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"

namespace lianfang::live::testing {

// Opens (and migrates) the visits database at `url`.
inline absl::StatusOr<std::unique_ptr<sql::Database>> OpenVisits(const std::string& url) {
  static const sql::Migration kMigrations[] = {
      {1, "visits",
       "CREATE TABLE visits (site_id TEXT NOT NULL, day TEXT NOT NULL, inside INTEGER NOT NULL)",
       ""}};
  ASSIGN_OR_RETURN(std::unique_ptr<sql::Database> db, sql::Database::Open(url));
  RETURN_IF_ERROR(db->Migrate("test", kMigrations));
  return db;
}

// The truth: people inside and today's entries per site.
inline absl::StatusOr<Snapshot> VisitsSnapshot(sql::Session& s, absl::CivilDay today) {
  Snapshot snapshot;
  ASSIGN_OR_RETURN(sql::Result rows,
                   s.Execute("SELECT site_id, SUM(inside), SUM(CASE WHEN day = $1 THEN 1 ELSE 0 "
                             "END) FROM visits GROUP BY site_id",
                             {time::FormatDate(today)}));
  for (const sql::Row& row : rows.rows) {
    snapshot[row.Text(0)].live["onsite"] = row.Int(1);
    snapshot[row.Text(0)].today["entries"] = row.Int(2);
  }
  return snapshot;
}

// One visit of `site` today: a row and, from the write's completion, its increment.
// `*done` is set once the completion ran.
inline void SubmitVisit(sql::Database& db, LiveCounts& counts, absl::CivilDay today,
                        const std::string& site, std::atomic<bool>* done) {
  db.WriteAsync(
      [site, today](sql::Session& s) {
        return s.Execute("INSERT INTO visits VALUES ($1, $2, 1)", {site, time::FormatDate(today)})
            .status();
      },
      [&counts, site, today, done](absl::Status status) {
        if (status.ok()) {
          counts.Apply(site, Delta{.live = {{"onsite", 1}}, .today = {{"entries", 1}}, .day = today});
        }
        *done = true;
      });
}

// Records a visit as a service does, plus one row without an increment (only a reconcile can
// make Redis count that one). Fails when the writes do not complete within `bound`.
inline absl::Status Visit(sql::Database& db, LiveCounts& counts, absl::CivilDay today,
                          const std::string& site, absl::Duration bound = absl::Seconds(10)) {
  RETURN_IF_ERROR(db.Write([&](sql::Session& s) {
    return s.Execute("INSERT INTO visits VALUES ($1, $2, 1)", {site, time::FormatDate(today)})
        .status();
  }));
  std::atomic<bool> done = false;
  SubmitVisit(db, counts, today, site, &done);
  if (!lianfang::testing::PollUntil([&] { return done.load(); }, bound)) {
    return absl::DeadlineExceededError("the visit's write did not complete");
  }
  return absl::OkStatus();
}

// A figure of the gate's hashes as the dashboard reads it; -1 when unreadable.
inline int64_t GateField(redis::Client& redis, const std::string& site, absl::CivilDay today,
                         bool live, const std::string& field) {
  auto key = live ? redis::LiveKey("gate", site) : redis::DayKey("gate", site, today);
  if (!key.ok()) return -1;
  auto hash = redis.HGetAll(*key);
  if (!hash.ok()) return -1;
  auto it = hash->find(field);
  int64_t value = 0;
  if (it != hash->end() && !absl::SimpleAtoi(it->second, &value)) return -1;
  return value;
}

// Every figure in Redis equals the SQL count: `campus` and `village` people inside, as many
// entries today.
inline bool MatchesSql(redis::Client& redis, absl::CivilDay today, int64_t campus,
                       int64_t village) {
  return GateField(redis, "campus", today, true, "onsite") == campus &&
         GateField(redis, "campus", today, false, "entries") == campus &&
         GateField(redis, "village", today, true, "onsite") == village &&
         GateField(redis, "village", today, false, "entries") == village;
}

}  // namespace lianfang::live::testing

#endif  // LIANFANG_TESTS_COMMON_LIVE_VISITS_H_
