// Time for Lianfang: an injectable clock and the calendar day ("today") in the deployment's
// time zone (LF_TZ, default Asia/Shanghai).
//
// Everything that depends on the time (today's date, overdue tasks, observation windows,
// schedules, token expiry) takes a `const Clock&` so tests drive it with a FakeClock.
#ifndef LIANFANG_COMMON_TIME_CLOCK_H_
#define LIANFANG_COMMON_TIME_CLOCK_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace lianfang::time {

// The source of "now". Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The system's wall clock.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// A clock that only moves when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override;
  void Set(absl::Time t);
  void Advance(absl::Duration d);

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

// The default time zone of a deployment.
inline constexpr char kDefaultTimeZone[] = "Asia/Shanghai";

// Loads an IANA time zone ("Asia/Shanghai", "UTC"). INVALID_ARGUMENT when unknown.
absl::StatusOr<absl::TimeZone> LoadTimeZone(absl::string_view name);

// The calendar day of `t` in `tz`.
absl::CivilDay DayOf(absl::Time t, absl::TimeZone tz);

// "YYYY-MM-DD" of a day, and of the day of `t` in `tz`.
std::string FormatDate(absl::CivilDay day);
std::string DateOf(absl::Time t, absl::TimeZone tz);

// Parses a strict "YYYY-MM-DD" (real calendar dates only: "2026-02-30" is an error).
// INVALID_ARGUMENT otherwise.
absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view text);

// The first instant of `day` in `tz`, and the first instant of the next day.
absl::Time StartOfDay(absl::CivilDay day, absl::TimeZone tz);
absl::Time EndOfDay(absl::CivilDay day, absl::TimeZone tz);

}  // namespace lianfang::time

#endif  // LIANFANG_COMMON_TIME_CLOCK_H_
