// AutoDrafter: the optional automatic draft (LF_REPORT_AUTO_DRAFT). Each day, once the local
// time reaches the configured time, the previous day's report is generated as a draft for
// every site, so that leaders find it ready to check and submit before the deadline.
//
//   AutoDrafter drafter(&generator, db, &clock, tz, settings.auto_draft);
//   drafter.Start();            // a thread calling Tick(clock.Now()) every poll interval
//   ...
//   drafter.Stop();             // before the generator and database go away
//
// At most one automatic draft per day: the day is recorded in the draft's own transaction
// (report_auto_drafts), and it is skipped when the day already has a report for every site
// (drafted or submitted by hand). A failed attempt (e.g. the database busy) is retried at the
// next tick; a draft whose sources did not all answer is still a draft (incomplete) and is
// not redone — leaders generate a new version.
//
// Thread-safe. Tests call Tick(now) directly with a FakeClock's times instead of Start().
#ifndef LIANFANG_SERVICES_REPORT_AUTO_DRAFT_H_
#define LIANFANG_SERVICES_REPORT_AUTO_DRAFT_H_

#include <optional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/sql/database.h"
#include "common/time/clock.h"
#include "services/report/config.h"
#include "services/report/report_generator.h"

namespace lianfang::report {

// The token subject the automatic drafts are generated (and audited) under.
inline constexpr char kAutoDraftSubject[] = "report";

class AutoDrafter final {
 public:
  // None owned; all must outlive this object. `at` empty = automatic drafts off (Tick does
  // nothing, Start starts no thread). `poll` is the scheduler thread's interval.
  AutoDrafter(ReportGenerator* generator, sql::Database* db, const time::Clock* clock,
              absl::TimeZone tz, std::optional<TimeOfDay> at,
              absl::Duration poll = absl::Seconds(20));
  ~AutoDrafter();  // Stop()
  AutoDrafter(const AutoDrafter&) = delete;
  AutoDrafter& operator=(const AutoDrafter&) = delete;

  // Drafts the report of the day before `now`'s day when `now` is at or past that day's draft
  // time and no draft was made for it yet. Returns the draft made; nullopt when drafts are
  // off, it is not time yet, or the day is done (drafted, or already reported by hand);
  // the generation's error otherwise (the next tick tries again). Blocks while generating.
  absl::StatusOr<std::optional<DailyReport>> Tick(absl::Time now);

  // Starts the scheduler thread (no-op when drafts are off or it already runs).
  void Start();
  // Stops and joins it; waits for a Tick in progress. Idempotent.
  void Stop();

 private:
  void Run();

  ReportGenerator* generator_;
  sql::Database* db_;
  const time::Clock* clock_;
  absl::TimeZone tz_;
  std::optional<TimeOfDay> at_;
  absl::Duration poll_;

  absl::Mutex tick_mu_;  // serialises ticks
  // The last reported day known to be done (drafted or not needed).
  std::optional<absl::CivilDay> done_day_ ABSL_GUARDED_BY(tick_mu_);

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace lianfang::report

#endif  // LIANFANG_SERVICES_REPORT_AUTO_DRAFT_H_
