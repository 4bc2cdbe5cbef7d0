#include "services/dispatch/schedule_plan.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "common/time/clock.h"

namespace lianfang::dispatch {

std::string TimeOfDay::ToString() const { return absl::StrFormat("%02d:%02d", hour, minute); }

absl::StatusOr<TimeOfDay> ParseTimeOfDay(absl::string_view text) {
  auto bad = [] { return absl::InvalidArgumentError("must be a time of day HH:MM, e.g. 08:00"); };
  if (text.size() != 5 || text[2] != ':') return bad();
  for (size_t i : {0, 1, 3, 4}) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) return bad();
  }
  TimeOfDay t{.hour = (text[0] - '0') * 10 + (text[1] - '0'),
              .minute = (text[3] - '0') * 10 + (text[4] - '0')};
  if (t.hour > 23 || t.minute > 59) return bad();
  return t;
}

std::vector<Slot> DueSlots(const SchedulePlan& plan, absl::Time now, absl::TimeZone tz,
                           absl::Duration lead) {
  std::vector<Slot> slots;
  const absl::CivilDay today = time::DayOf(now, tz);
  for (absl::CivilDay day : {today, today + 1}) {
    for (const std::string& text : plan.times_of_day) {
      absl::StatusOr<TimeOfDay> t = ParseTimeOfDay(text);
      if (!t.ok()) continue;  // validated at creation; never stored otherwise
      const absl::Time start = absl::FromCivil(
          absl::CivilMinute(day.year(), day.month(), day.day(), t->hour, t->minute), tz);
      if (start < plan.active_since || now < start - lead) continue;
      for (const std::string& area : plan.areas) {
        slots.push_back(Slot{.schedule_id = plan.schedule_id,
                             .date = time::FormatDate(day),
                             .time = t->ToString(),
                             .area = area,
                             .start = start,
                             .due = start + plan.duration});
      }
    }
  }
  std::sort(slots.begin(), slots.end(), [](const Slot& a, const Slot& b) {
    return std::tie(a.start, a.area) < std::tie(b.start, b.area);
  });
  return slots;
}

}  // namespace lianfang::dispatch
