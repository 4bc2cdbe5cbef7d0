// The scheduler: turns schedules into tasks, one per (schedule, date, time of day, area),
// exactly once even across restarts and with several dispatch processes on one database.
//
//   Scheduler scheduler(db, &dispatcher, &feed, &clock, {.lead = absl::Minutes(30)});
//   scheduler.Start();                       // a thread calling Tick(clock.Now()) periodically
//   absl::StatusOr<int> n = scheduler.Tick(clock.Now());   // tests call it directly
//
// Each Tick reads which due slots (schedule_plan.h) have no task yet, then creates them in one
// write transaction where every slot is first claimed with INSERT ... ON CONFLICT DO NOTHING
// on its UNIQUE key: whoever claims it creates its task in the same transaction, everyone
// else (a concurrent Tick, another process, a run before a restart) creates nothing. The
// after-commit work (watch events, live counts) runs from the write's completion, like every
// other write.
//
// Thread-safety: Tick may be called from any thread, concurrently with the thread of Start().
#ifndef LIANFANG_SERVICES_DISPATCH_SCHEDULER_H_
#define LIANFANG_SERVICES_DISPATCH_SCHEDULER_H_

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/sql/database.h"
#include "common/time/clock.h"
#include "services/dispatch/dispatcher.h"

namespace lianfang::dispatch {

class Scheduler final {
 public:
  struct Options {
    // A slot's task is created this long before the slot's time of day.
    absl::Duration lead = absl::Minutes(30);
    // How often the thread of Start() ticks (real time).
    absl::Duration interval = absl::Seconds(15);
  };

  // None of the pointers is owned; all must outlive the Scheduler.
  Scheduler(sql::Database* db, const Dispatcher* dispatcher, const ChangeFeed* feed,
            const time::Clock* clock, Options options);
  ~Scheduler();  // Stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Creates the task of every slot due at `now` that has none yet. Returns how many this call
  // created (0 when another caller or process created them first). Errors: the database's
  // (the next tick retries).
  absl::StatusOr<int> Tick(absl::Time now);

  // Starts the background thread: Tick(clock->Now()) now, then every `interval` or at once
  // after Wake(). Failures are logged and retried at the next tick.
  void Start();
  // Stops the thread (waits for a running tick). Idempotent.
  void Stop();
  // Makes the thread tick soon (a schedule was created or resumed). Never blocks.
  void Wake();

 private:
  void Run();

  sql::Database* const db_;
  const Dispatcher* const dispatcher_;
  const ChangeFeed* const feed_;
  const time::Clock* const clock_;
  const Options options_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace lianfang::dispatch

#endif  // LIANFANG_SERVICES_DISPATCH_SCHEDULER_H_
