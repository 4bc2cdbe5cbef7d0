// PeriodicJob: runs a function on its own thread at start and then every `interval` until
// stopped — for background housekeeping such as the retention purges of gate and survey.
//
//   app::PeriodicJob job(absl::Hours(1), [&] { (void)retention.RunOnce(); });
//   job.Start();
//   ...
//   job.Stop();   // also done by the destructor
//
// The interval is measured on the real clock (a wait, not a schedule): the function itself
// reads the service's injected Clock for anything that matters. Thread-safe: Start and Stop may
// be called from any thread; `fn` runs on the job's thread only, never concurrently with
// itself.
#ifndef LIANFANG_COMMON_APP_PERIODIC_JOB_H_
#define LIANFANG_COMMON_APP_PERIODIC_JOB_H_

#include <functional>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace lianfang::app {

class PeriodicJob final {
 public:
  PeriodicJob(absl::Duration interval, std::function<void()> fn)
      : interval_(interval), fn_(std::move(fn)) {}
  ~PeriodicJob() { Stop(); }
  PeriodicJob(const PeriodicJob&) = delete;
  PeriodicJob& operator=(const PeriodicJob&) = delete;

  // Starts the thread (a second call does nothing).
  void Start() {
    absl::MutexLock lock(&mu_);
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] { Loop(); });
  }

  // True once Stop was called: a long run of `fn` checks it between steps and returns early.
  bool stopping() const {
    absl::MutexLock lock(&mu_);
    return stopping_;
  }

  // Wakes the thread, waits for a run in progress to finish and joins. Idempotent.
  void Stop() {
    std::thread thread;
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
      thread = std::move(thread_);
    }
    if (thread.joinable()) thread.join();
  }

 private:
  void Loop() {
    while (true) {
      fn_();
      absl::MutexLock lock(&mu_);
      const absl::Time until = absl::Now() + interval_;
      while (!stopping_ && absl::Now() < until) {
        mu_.AwaitWithDeadline(absl::Condition(&stopping_), until);
      }
      if (stopping_) return;
    }
  }

  const absl::Duration interval_;
  const std::function<void()> fn_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lianfang::app

#endif  // LIANFANG_COMMON_APP_PERIODIC_JOB_H_
