#include "common/time/clock.h"

#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lianfang::time {

absl::Time FakeClock::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

void FakeClock::Set(absl::Time t) {
  absl::MutexLock lock(&mu_);
  now_ = t;
}

void FakeClock::Advance(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  now_ += d;
}

absl::StatusOr<absl::TimeZone> LoadTimeZone(absl::string_view name) {
  absl::TimeZone tz;
  if (name.empty() || !absl::LoadTimeZone(std::string(name), &tz)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown time zone \"", name, "\""));
  }
  return tz;
}

absl::CivilDay DayOf(absl::Time t, absl::TimeZone tz) { return absl::ToCivilDay(t, tz); }

std::string FormatDate(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

std::string DateOf(absl::Time t, absl::TimeZone tz) { return FormatDate(DayOf(t, tz)); }

absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError("not a date: expected YYYY-MM-DD");
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad();
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (text[i] < '0' || text[i] > '9') return bad();
  }
  auto num = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  const int y = num(0, 4), m = num(5, 2), d = num(8, 2);
  const absl::CivilDay day(y, m, d);
  // CivilDay normalises out-of-range fields (Feb 30 -> Mar 2); a real date survives unchanged.
  if (day.year() != y || day.month() != m || day.day() != d || y < 1900) return bad();
  return day;
}

absl::Time StartOfDay(absl::CivilDay day, absl::TimeZone tz) { return absl::FromCivil(day, tz); }

absl::Time EndOfDay(absl::CivilDay day, absl::TimeZone tz) {
  return absl::FromCivil(day + 1, tz);
}

}  // namespace lianfang::time
