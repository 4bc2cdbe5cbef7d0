#include "services/report/config.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lianfang::report {
namespace {

bool ParseBoundedDigits(absl::string_view text, size_t min_len, int max, int* out) {
  if (text.size() < min_len || text.size() > 2) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  int value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < 0 || value > max) return false;
  *out = value;
  return true;
}

}  // namespace

absl::StatusOr<TimeOfDay> ParseTimeOfDay(absl::string_view text) {
  const size_t colon = text.find(':');
  TimeOfDay t;
  if (colon == absl::string_view::npos ||
      !ParseBoundedDigits(text.substr(0, colon), 1, 23, &t.hour) ||
      !ParseBoundedDigits(text.substr(colon + 1), 2, 59, &t.minute)) {
    return absl::InvalidArgumentError("expected HH:MM (00:00..23:59)");
  }
  return t;
}

std::string FormatTimeOfDay(TimeOfDay t) { return absl::StrFormat("%02d:%02d", t.hour, t.minute); }

void AddReportFlags(config::FlagSet& flags, ReportFlags* out) {
  auto validate = [](absl::string_view value) -> absl::Status {
    return ParseTimeOfDay(value).status();
  };
  flags.AddString({.name = "report-deadline",
                   .env = "LF_REPORT_DEADLINE",
                   .default_value = kDefaultDeadline,
                   .help = "HH:MM local time, on the day after the day reported, when a daily "
                           "report is due"},
                  &out->deadline, validate);
  flags.AddString({.name = "report-auto-draft",
                   .env = "LF_REPORT_AUTO_DRAFT",
                   .help = "HH:MM local time to draft the previous day's report automatically; "
                           "empty = off"},
                  &out->auto_draft, validate);
  flags.AddDuration({.name = "report-source-timeout",
                     .env = "LF_REPORT_SOURCE_TIMEOUT",
                     .default_value = "5s",
                     .help = "deadline of each GetDailyStats call to gate, survey and dispatch"},
                    &out->source_timeout, absl::Milliseconds(100), absl::Minutes(1));
}

absl::StatusOr<ReportSettings> ToSettings(const ReportFlags& flags) {
  ReportSettings settings;
  absl::StatusOr<TimeOfDay> deadline = ParseTimeOfDay(flags.deadline);
  if (!deadline.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("LF_REPORT_DEADLINE (--report-deadline): ", deadline.status().message()));
  }
  settings.deadline = *deadline;
  if (!flags.auto_draft.empty()) {
    absl::StatusOr<TimeOfDay> auto_draft = ParseTimeOfDay(flags.auto_draft);
    if (!auto_draft.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "LF_REPORT_AUTO_DRAFT (--report-auto-draft): ", auto_draft.status().message()));
    }
    settings.auto_draft = *auto_draft;
  }
  if (flags.source_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "LF_REPORT_SOURCE_TIMEOUT (--report-source-timeout): must be positive");
  }
  settings.source_timeout = flags.source_timeout;
  return settings;
}

}  // namespace lianfang::report
