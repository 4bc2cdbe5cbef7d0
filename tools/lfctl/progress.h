// A progress line on stderr for long operations (imports, report generation, demo seeding).
//
//   Progress progress(io.err, session.progress(), "importing households.csv");
//   for (...) { ...; progress.Update(done, total); }
//   progress.Finish();                       // clears the line
//
//   Progress waiting(io.err, session.progress(), "generating the daily report");
//   waiting.StartTicker();                   // "generating the daily report ... 3s"
//   ... one long call ...
//   waiting.Finish();
//
// Drawn only when `enabled` (stderr is a terminal, or --progress): scripts that capture
// stderr see only the error lines. The line is redrawn in place with "\r" and cleared by
// Finish (also called by the destructor). Thread-safe.
#ifndef LIANFANG_TOOLS_LFCTL_PROGRESS_H_
#define LIANFANG_TOOLS_LFCTL_PROGRESS_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace lianfang::lfctl {

class Progress final {
 public:
  // `err` must outlive this object.
  Progress(std::ostream& err, bool enabled, std::string label);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // "label  12/40 (30%)"; redrawn at most every 100 ms, and always for the last item.
  void Update(int64_t done, int64_t total);

  // Redraws "label ... Ns" every 200 ms on a background thread until Finish.
  void StartTicker();

  // Stops the ticker and clears the line. Idempotent.
  void Finish();

 private:
  void DrawLocked(const std::string& text) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::ostream& err_;
  const bool enabled_;
  const std::string label_;
  const absl::Time start_;
  std::thread ticker_;
  absl::Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool drawn_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_draw_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_PROGRESS_H_
