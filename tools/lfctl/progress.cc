#include "tools/lfctl/progress.h"

#include <utility>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace lianfang::lfctl {

Progress::Progress(std::ostream& err, bool enabled, std::string label)
    : err_(err), enabled_(enabled), label_(std::move(label)), start_(absl::Now()) {}

Progress::~Progress() { Finish(); }

void Progress::DrawLocked(const std::string& text) {
  // "\r" back to the start of the line, the text, then clear what a longer text left.
  err_ << "\r" << text << "\033[K" << std::flush;
  drawn_ = true;
  last_draw_ = absl::Now();
}

void Progress::Update(int64_t done, int64_t total) {
  if (!enabled_) return;
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  if (done < total && absl::Now() - last_draw_ < absl::Milliseconds(100)) return;
  const int percent = total > 0 ? static_cast<int>(done * 100 / total) : 100;
  DrawLocked(absl::StrFormat("%s  %d/%d (%d%%)", label_, done, total, percent));
}

void Progress::StartTicker() {
  if (!enabled_ || ticker_.joinable()) return;
  ticker_ = std::thread([this] {
    absl::MutexLock lock(&mu_);
    while (!finished_) {
      DrawLocked(absl::StrFormat("%s ... %ds", label_,
                                 static_cast<int>(absl::ToInt64Seconds(absl::Now() - start_))));
      mu_.AwaitWithTimeout(absl::Condition(&finished_), absl::Milliseconds(200));
    }
  });
}

void Progress::Finish() {
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    finished_ = true;
  }
  if (ticker_.joinable()) ticker_.join();
  absl::MutexLock lock(&mu_);
  if (drawn_) err_ << "\r\033[K" << std::flush;
}

}  // namespace lianfang::lfctl
