// The settings of the report service beyond the shared ones (common/config/config.h):
//
//   --report-deadline        LF_REPORT_DEADLINE        "10:00"  when a day's report is due, as
//                            a local time (LF_TZ) on the day AFTER the day reported (a day's
//                            figures are complete only once it has ended)
//   --report-auto-draft      LF_REPORT_AUTO_DRAFT      ""       "HH:MM": each day at that
//                            local time, draft the previous day's report for every site
//                            (at most once per day); empty = off
//   --report-source-timeout  LF_REPORT_SOURCE_TIMEOUT  "5s"     deadline of each GetDailyStats
//                            call to gate, survey and dispatch
//
//   report::ReportFlags flags;
//   config::FlagSet extra("lf-report");
//   report::AddReportFlags(extra, &flags);
//   ... app::StartOrExit({..., .extra_flags = &extra});     // validates the values
//   report::ReportSettings settings = report::ToSettings(flags).value();
//
// Everything here is a plain value; thread-compatible.
#ifndef LIANFANG_SERVICES_REPORT_CONFIG_H_
#define LIANFANG_SERVICES_REPORT_CONFIG_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/config/flags.h"

namespace lianfang::report {

// A local time of day, minute precision.
struct TimeOfDay {
  int hour = 0;    // 0..23
  int minute = 0;  // 0..59
  friend bool operator==(const TimeOfDay&, const TimeOfDay&) = default;
};

// Parses "HH:MM" (two digits each, 00:00..23:59; "9:30" is accepted as 09:30).
// INVALID_ARGUMENT saying what is expected otherwise.
absl::StatusOr<TimeOfDay> ParseTimeOfDay(absl::string_view text);

// "HH:MM".
std::string FormatTimeOfDay(TimeOfDay t);

inline constexpr char kDefaultDeadline[] = "10:00";
inline constexpr absl::Duration kDefaultSourceTimeout = absl::Seconds(5);

// The typed settings.
struct ReportSettings {
  // The report of day D is due at this local time on day D+1.
  TimeOfDay deadline{10, 0};
  // When set, the previous day's report is drafted automatically at this local time.
  std::optional<TimeOfDay> auto_draft{};
  // Deadline of each outbound GetDailyStats call.
  absl::Duration source_timeout = kDefaultSourceTimeout;
};

// The raw values the flags fill in (validated by the FlagSet).
struct ReportFlags {
  std::string deadline = kDefaultDeadline;
  std::string auto_draft{};  // empty = off
  absl::Duration source_timeout = kDefaultSourceTimeout;
};

// Declares the three settings above on `flags`, storing into `*out` (owned by the caller,
// must outlive flags.Parse). Bad values make Parse fail with a line naming the setting, e.g.
// `LF_REPORT_DEADLINE (--report-deadline): expected HH:MM (00:00..23:59)`.
void AddReportFlags(config::FlagSet& flags, ReportFlags* out);

// Converts parsed flags. INVALID_ARGUMENT naming the setting when a value is bad (which
// cannot happen after a successful Parse).
absl::StatusOr<ReportSettings> ToSettings(const ReportFlags& flags);

}  // namespace lianfang::report

#endif  // LIANFANG_SERVICES_REPORT_CONFIG_H_
