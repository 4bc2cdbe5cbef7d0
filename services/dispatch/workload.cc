#include "services/dispatch/workload.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/server/errors.h"
#include "common/time/clock.h"

namespace lianfang::dispatch {

absl::Duration TimeOnDuty(std::span<const DutyPeriod> periods, absl::Time from, absl::Time to) {
  absl::Duration total = absl::ZeroDuration();
  if (to <= from) return total;
  for (const DutyPeriod& p : periods) {
    const absl::Time start = std::max(p.started_at, from);
    const absl::Time end = std::min(p.ended_at.value_or(to), to);
    if (end > start) total += end - start;
  }
  return total;
}

absl::Duration TimeOnDutyToday(std::span<const DutyPeriod> periods, absl::Time now,
                               absl::TimeZone tz) {
  return TimeOnDuty(periods, time::StartOfDay(time::DayOf(now, tz), tz), now);
}

int32_t WholeMinutes(absl::Duration d) {
  const int64_t minutes = absl::ToInt64Minutes(d);
  return static_cast<int32_t>(std::clamp<int64_t>(minutes, 0, std::numeric_limits<int32_t>::max()));
}

bool Overworked(int64_t unfinished_tasks, absl::Duration on_duty_today,
                const WorkloadLimits& limits) {
  return unfinished_tasks >= limits.max_open_tasks || on_duty_today > limits.max_duty;
}

std::vector<Candidate> Assignable(
    std::span<const Candidate> candidates,
    const absl::flat_hash_map<std::string, absl::Duration>& on_duty_today,
    const WorkloadLimits& limits) {
  std::vector<Candidate> out;
  for (const Candidate& c : candidates) {
    auto it = on_duty_today.find(c.volunteer_id);
    const absl::Duration today = it == on_duty_today.end() ? absl::ZeroDuration() : it->second;
    if (!Overworked(c.unfinished_tasks, today, limits)) out.push_back(c);
  }
  return out;
}

absl::Status ValidateGetVolunteerRecord(const v1::GetVolunteerRecordRequest& req) {
  server::FieldErrors errors;
  if (req.volunteer_id().size() > 256) errors.Add("volunteer_id", "must be at most 256 bytes");
  absl::StatusOr<absl::CivilDay> from = time::ParseDate(req.from_date());
  absl::StatusOr<absl::CivilDay> to = time::ParseDate(req.to_date());
  if (!from.ok()) errors.Add("from_date", "must be a calendar date YYYY-MM-DD");
  if (!to.ok()) errors.Add("to_date", "must be a calendar date YYYY-MM-DD");
  if (from.ok() && to.ok()) {
    if (*to < *from) {
      errors.Add("to_date", "must not be before from_date");
    } else if (*to - *from > kMaxRecordDays) {
      errors.Add("to_date",
                 absl::StrCat("must be at most ", kMaxRecordDays, " days after from_date"));
    }
  }
  return errors.ToStatus();
}

void FillRecord(std::span<const DutyPeriod> periods, std::span<const absl::Time> completed,
                absl::CivilDay from, absl::CivilDay to, absl::TimeZone tz, absl::Time now,
                v1::VolunteerRecord* record) {
  record->set_from_date(time::FormatDate(from));
  record->set_to_date(time::FormatDate(to));
  record->clear_days();
  int64_t minutes = 0;
  int32_t done = 0;
  for (absl::CivilDay day = from; day <= to; ++day) {
    const absl::Time start = time::StartOfDay(day, tz);
    const absl::Time end = std::min(time::EndOfDay(day, tz), now);
    v1::VolunteerDay* out = record->add_days();
    out->set_date(time::FormatDate(day));
    out->set_minutes_on_duty(WholeMinutes(TimeOnDuty(periods, start, end)));
    const absl::Time day_end = time::EndOfDay(day, tz);
    const auto n = std::count_if(completed.begin(), completed.end(),
                                 [&](absl::Time t) { return t >= start && t < day_end; });
    out->set_tasks_done(static_cast<int32_t>(n));
    minutes += out->minutes_on_duty();
    done += out->tasks_done();
  }
  record->set_minutes_on_duty(minutes);
  record->set_tasks_done(done);
}

}  // namespace lianfang::dispatch
