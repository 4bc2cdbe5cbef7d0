// The volunteer workload rules: how long a volunteer has been on duty, when it counts as
// overworked (auto-assignment then skips it), and its per-day record for recognition (表彰).
//
//   WorkloadLimits limits{.max_open_tasks = 3, .max_duty = absl::Hours(10)};
//   absl::Duration today = TimeOnDutyToday(periods, now, tz);
//   bool tired = Overworked(unfinished_tasks, today, limits);
//   std::vector<Candidate> fit = Assignable(candidates, on_duty_today, limits);
//
// A volunteer is overworked when it has `max_open_tasks` unfinished (assigned or in progress)
// tasks or more, or has been on duty for more than `max_duty` today (in the deployment's time
// zone, the current duty period counted up to now).
//
// Pure functions; thread-safe.
#ifndef LIANFANG_SERVICES_DISPATCH_WORKLOAD_H_
#define LIANFANG_SERVICES_DISPATCH_WORKLOAD_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"
#include "services/dispatch/task_board.h"

namespace lianfang::dispatch {

// The limits of LF_MAX_OPEN_TASKS and LF_MAX_DUTY_HOURS.
struct WorkloadLimits {
  int64_t max_open_tasks = 3;
  absl::Duration max_duty = absl::Hours(10);
};

// The longest period GetVolunteerRecord covers: to_date at most this many days after from_date.
inline constexpr int kMaxRecordDays = 366;

// One period on duty; `ended_at` unset while it lasts.
struct DutyPeriod {
  absl::Time started_at{};
  std::optional<absl::Time> ended_at{};
};

// Time on duty within [from, to): the overlap of every period with it, a period still open
// counting up to `to`. Zero when to <= from.
absl::Duration TimeOnDuty(std::span<const DutyPeriod> periods, absl::Time from, absl::Time to);

// Time on duty today (the calendar day of `now` in `tz`), up to `now`.
absl::Duration TimeOnDutyToday(std::span<const DutyPeriod> periods, absl::Time now,
                               absl::TimeZone tz);

// Whole minutes of `d` (rounded down), clamped to int32.
int32_t WholeMinutes(absl::Duration d);

// The workload rule above.
bool Overworked(int64_t unfinished_tasks, absl::Duration on_duty_today,
                const WorkloadLimits& limits);

// The candidates auto-assignment may pick: those not overworked. `on_duty_today` holds each
// candidate's time on duty today by volunteer id (a missing id counts as zero).
std::vector<Candidate> Assignable(
    std::span<const Candidate> candidates,
    const absl::flat_hash_map<std::string, absl::Duration>& on_duty_today,
    const WorkloadLimits& limits);

// Checks GetVolunteerRecord's dates: both "YYYY-MM-DD", to_date not before from_date and at
// most kMaxRecordDays after it; INVALID_ARGUMENT naming `from_date` / `to_date` otherwise.
absl::Status ValidateGetVolunteerRecord(const v1::GetVolunteerRecordRequest& req);

// The per-day record of [from, to] (inclusive) in `tz`: every day in order (zeros included),
// minutes on duty that day (periods clipped to the day and to `now`), tasks completed that day
// (`completed`: completion times). Totals in `record` (minutes, tasks, dates, days); the
// volunteer fields are left to the caller.
void FillRecord(std::span<const DutyPeriod> periods, std::span<const absl::Time> completed,
                absl::CivilDay from, absl::CivilDay to, absl::TimeZone tz, absl::Time now,
                v1::VolunteerRecord* record);

}  // namespace lianfang::dispatch

#endif  // LIANFANG_SERVICES_DISPATCH_WORKLOAD_H_
