// The rules that turn the survey's gaps into dispatch tasks, and the rote-report flags, as pure
// functions of what the database holds (no SQL, no gRPC, no clock: `now` is an argument). The
// job that reads the database and queues the tasks is gap_job.h.
//
// Missing health reports: at a site's SitePolicy.missing_reports_check_time (local time in the
// deployment's time zone, default 10:00), every household with residents registered before
// that time and still without a report of the day gets one TASK_KIND_DOOR_TO_DOOR_SURVEY task,
// exactly once per household and day: request_id survey-missing-reports-<household_id>-<YYYYMMDD>,
// source_ref survey.missing_reports/<household_id>/<YYYY-MM-DD>. Its details list who by
// masked name only (at most what fits dispatch's 256-byte limit, then "等N人").
//
// Tenants pending verification: a tenant still PENDING more than
// SitePolicy.tenant_verification_days days (default 3) after registration gets one
// TASK_KIND_TENANT_VERIFICATION task, exactly once per tenant: request_id
// survey-tenant-verification-<resident_id>, source_ref survey.tenant_verification/<resident_id>.
//
// Task texts are Chinese and hold no ID number or phone (masked names, addresses, dates only).
//
// Rote reports (ListMissingReportsResponse.flags): reports that look filled in by rote, for a
// check, never a penalty — the same temperature to the tenth on each of the 7 days ending on
// the day; every report of a household (at least 3) that day submitted within 60 seconds; one
// account submitting that day for 5 households or more.
//
// Thread-safe: free functions without state.
#ifndef LIANFANG_SERVICES_SURVEY_GAP_RULES_H_
#define LIANFANG_SERVICES_SURVEY_GAP_RULES_H_

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/sites/site_directory.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"
#include "lianfang/survey/v1/survey.pb.h"

namespace lianfang::survey {

// The rule names of survey_gap_tasks (the "already raised" record).
inline constexpr char kMissingReportsRule[] = "missing_reports";
inline constexpr char kTenantVerificationRule[] = "tenant_verification";

// How long after it is raised a task is due.
inline constexpr absl::Duration kMissingReportsDue = absl::Hours(4);
inline constexpr absl::Duration kTenantVerificationDue = absl::Hours(24);

// Rote-report thresholds.
inline constexpr int kSameTemperatureDays = 7;
inline constexpr int kHouseholdAtOnceMinReports = 3;
inline constexpr absl::Duration kHouseholdAtOnceWindow = absl::Seconds(60);
inline constexpr int kOneAccountMinHouseholds = 5;
inline constexpr size_t kMaxReportFlags = 200;

// Idempotency keys (the receiver's request_id), at most 64 characters for survey's ids.
std::string MissingReportsKey(absl::string_view household_id, absl::CivilDay day);
std::string TenantVerificationKey(absl::string_view resident_id);

// When `day`'s missing-reports check of a site with `policy` is (its local time in `tz`).
absl::Time MissingReportsCheckTime(const sites::SitePolicy& policy, absl::CivilDay day,
                                   absl::TimeZone tz);

// A resident the missing-reports check found without the day's report.
struct MissingResident {
  std::string household_id = {};
  std::string resident_id = {};
  std::string name_masked = {};
};

// One site's missing-reports check.
struct MissingReportsCheck {
  std::string site_id = {};
  absl::CivilDay day = {};
  // The check time of the day (the details say "截至HH:MM").
  absl::Time check_time = {};
  absl::Time now = {};
  absl::TimeZone tz = {};
  // Residents registered before check_time without a report of `day`, of households not
  // raised yet for `day`.
  std::vector<MissingResident> missing = {};
  // household_id -> address ("3栋 2单元 502"); a household without one gets no location.
  std::map<std::string, std::string> addresses = {};
};

// A task a rule raises, with what it is raised for (a household or a resident).
struct GapTask {
  std::string subject_id = {};
  dispatch::v1::CreateTaskRequest request = {};
};

// One CreateTask request per household of `check.missing`, by household_id; each lists its
// residents in the order given. Due now + kMissingReportsDue, auto-assigned, NORMAL priority.
std::vector<GapTask> MissingReportTasks(const MissingReportsCheck& check);

// A tenant still pending verification.
struct PendingTenant {
  std::string resident_id = {};
  std::string household_id = {};
  std::string site_id = {};
  std::string person_key = {};
  std::string name_masked = {};
  std::string address = {};
  absl::Time registered_at = {};
};

// True when a tenant registered at `registered_at` has been pending more than `days` days.
bool TenantOverdue(absl::Time registered_at, int days, absl::Time now);

// The verification task of an overdue tenant. Due now + kTenantVerificationDue.
dispatch::v1::CreateTaskRequest TenantVerificationTask(const PendingTenant& tenant, int days,
                                                       absl::Time now, absl::TimeZone tz);

// A current health report as the rote-report rules read it.
struct ReportRow {
  std::string person_key = {};
  std::string household_id = {};
  std::string name_masked = {};
  absl::CivilDay date = {};
  double temperature_c = 0;
  absl::Time submitted_at = {};
  std::string submitted_by = {};
};

// The flags of `day` over `rows` (reports of the site's residents of the 7 days ending on
// `day`; a person living in two households may appear twice). Ordered by kind, then person,
// household or account; at most `limit`.
std::vector<v1::ReportFlag> RoteReportFlags(const std::vector<ReportRow>& rows, absl::CivilDay day,
                                            size_t limit = kMaxReportFlags);

}  // namespace lianfang::survey

#endif  // LIANFANG_SERVICES_SURVEY_GAP_RULES_H_
