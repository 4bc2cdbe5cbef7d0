// Schedules as plans in time, free of SQL and gRPC: times of day ("HH:MM"), and which slots
// of a schedule should have their task at a given instant.
//
// A slot is one (date, time of day, area) of a schedule. Its task is created once `now`
// reaches the slot's start minus the lead time, and is due at start + duration. Rules:
//   - only slots starting at or after the schedule became active (created, or last resumed)
//     are created: a schedule made at 09:00 begins with the afternoon round;
//   - slots of the current day that were missed (the service was down, or busy) are still
//     created late, and show as overdue once past due; slots of earlier days are not;
//   - with a lead time, tomorrow's early slots may be created before midnight.
// Exactly-once creation is the store's business (a UNIQUE slot key); this file only says
// which slots are due.
//
// Every function is pure and thread-safe.
#ifndef LIANFANG_SERVICES_DISPATCH_SCHEDULE_PLAN_H_
#define LIANFANG_SERVICES_DISPATCH_SCHEDULE_PLAN_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace lianfang::dispatch {

// The times of day a schedule gets when none are given: the morning and afternoon rounds
// (消毒 上、下午各一次).
inline constexpr const char* kDefaultTimesOfDay[] = {"08:00", "14:00"};

// A time of day, minute precision.
struct TimeOfDay {
  int hour = 0;    // 0..23
  int minute = 0;  // 0..59
  // "HH:MM", zero-padded.
  std::string ToString() const;
  friend bool operator==(const TimeOfDay&, const TimeOfDay&) = default;
};

// Parses strict "HH:MM" (two digits each, 00..23 and 00..59). INVALID_ARGUMENT otherwise.
absl::StatusOr<TimeOfDay> ParseTimeOfDay(absl::string_view text);

// What the slot computation needs of a schedule.
struct SchedulePlan {
  std::string schedule_id{};
  std::vector<std::string> areas{};
  std::vector<std::string> times_of_day{};  // "HH:MM", already validated
  absl::Duration duration{};                // from start to due
  absl::Time active_since{};                // creation or last resume
};

// One slot whose task should exist.
struct Slot {
  std::string schedule_id{};
  std::string date{};  // "YYYY-MM-DD" of the slot's start, in the deployment's time zone
  std::string time{};  // "HH:MM"
  std::string area{};
  absl::Time start{};
  absl::Time due{};
  friend bool operator==(const Slot&, const Slot&) = default;
};

// The slots of `plan` on `today` and the day after whose task should exist at `now` (see the
// file comment), ordered by start, then area. `today` is the day of `now` in `tz`.
std::vector<Slot> DueSlots(const SchedulePlan& plan, absl::Time now, absl::TimeZone tz,
                           absl::Duration lead);

}  // namespace lianfang::dispatch

#endif  // LIANFANG_SERVICES_DISPATCH_SCHEDULE_PLAN_H_
