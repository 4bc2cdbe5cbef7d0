// The survey's live counts in Redis (common/live/live_counts.h, service "survey"):
//   lf:{site}:survey:live            households_total, households_surveyed, residents,
//                                    tenants_total, tenants_verified, tenants_pending,
//                                    under_observation
//   lf:{site}:survey:day:<date>      reports, reports_missing (today)
// Increments come from the commits' CommitEffects (Publish, called from after_commit on the
// database's writer thread); the whole set is rebuilt from SQL at start, every minute, after
// Redis comes back, and whenever the calendar day changes (observations end and the missing
// list starts afresh at midnight without any write).
//
// Thread-safety: all methods are thread-safe.
#ifndef LIANFANG_SERVICES_SURVEY_SURVEY_LIVE_H_
#define LIANFANG_SERVICES_SURVEY_SURVEY_LIVE_H_

#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/live/live_counts.h"
#include "common/redis/client.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "common/time/clock.h"
#include "services/survey/survey_book.h"
#include "services/survey/survey_store.h"

namespace lianfang::survey {

// The SQL truth of every site of `sites` for `today` (zeros written out). Only reads.
absl::StatusOr<live::Snapshot> SurveySnapshot(sql::Session& session, absl::CivilDay today,
                                              absl::TimeZone tz, const sites::SiteDirectory& sites);

class SurveyLive final {
 public:
  struct Options {
    live::Options counts;
    // How often (real time) the clock's calendar day is checked for a change.
    absl::Duration day_check_interval = absl::Seconds(1);
  };

  // None of the pointers is owned; all must outlive this object.
  SurveyLive(redis::Client* redis, sql::Database* db, const sites::SiteDirectory* sites,
             const time::Clock* clock, absl::TimeZone tz, Options options);
  SurveyLive(redis::Client* redis, sql::Database* db, const sites::SiteDirectory* sites,
             const time::Clock* clock, absl::TimeZone tz)
      : SurveyLive(redis, db, sites, clock, tz, Options()) {}
  ~SurveyLive();  // Stop()
  SurveyLive(const SurveyLive&) = delete;
  SurveyLive& operator=(const SurveyLive&) = delete;

  void Start();
  void Stop();

  // Queues the increments of a committed mutation. Call from its after_commit (never for a
  // replayed request). Never blocks on Redis.
  void Publish(const CommitEffects& effects);

  // The underlying counts (ReconcileAndWait for tests and tools).
  live::LiveCounts& counts() { return counts_; }

 private:
  void WatchDay();

  const time::Clock* clock_;
  const absl::TimeZone tz_;
  const Options options_;
  live::LiveCounts counts_;

  absl::Mutex mu_;
  absl::CivilDay day_ ABSL_GUARDED_BY(mu_);
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread watcher_;
};

}  // namespace lianfang::survey

#endif  // LIANFANG_SERVICES_SURVEY_SURVEY_LIVE_H_
