#include "services/survey/gap_job.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging/logging.h"
#include "common/outbox/outbox.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"
#include "services/survey/gap_rules.h"
#include "services/survey/survey_book.h"

namespace lianfang::survey {
namespace {

// Portable SQL ($N placeholders; runs on SQLite and PostgreSQL).
constexpr char kMissingCandidates[] =
    "SELECT r.household_id, r.resident_id, COALESCE(p.name_masked, '')"
    " FROM survey_residents r LEFT JOIN survey_people p ON p.person_key = r.person_key"
    " WHERE r.site_id = $1 AND r.registered_at < $2"
    " AND NOT EXISTS (SELECT 1 FROM survey_reports h"
    "   WHERE h.person_key = r.person_key AND h.date = $3)"
    " AND NOT EXISTS (SELECT 1 FROM survey_gap_tasks g"
    "   WHERE g.rule = $4 AND g.subject_id = r.household_id AND g.date = $3)"
    " ORDER BY r.household_id, r.registered_at, r.resident_id";
constexpr char kPendingCandidates[] =
    "SELECT r.resident_id, r.household_id, r.person_key, COALESCE(p.name_masked, ''),"
    " r.registered_at"
    " FROM survey_residents r LEFT JOIN survey_people p ON p.person_key = r.person_key"
    " WHERE r.site_id = $1 AND r.tenant_status = $2 AND r.registered_at < $3"
    " AND NOT EXISTS (SELECT 1 FROM survey_gap_tasks g"
    "   WHERE g.rule = $4 AND g.subject_id = r.resident_id AND g.date = '')"
    " ORDER BY r.registered_at, r.resident_id";
constexpr char kHouseholdAddress[] =
    "SELECT building, unit, room FROM survey_households WHERE household_id = $1";
constexpr char kClaim[] =
    "INSERT INTO survey_gap_tasks (rule, subject_id, date, site_id, request_id, raised_at)"
    " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (rule, subject_id, date) DO NOTHING";
// Only today's rows of the missing-reports rule matter; earlier days' go with the next claims.
constexpr char kForgetPastDays[] = "DELETE FROM survey_gap_tasks WHERE rule = $1 AND date < $2";
constexpr char kReportsOfWeek[] =
    "SELECT h.person_key, r.household_id, h.name_masked, h.date, h.temperature_c,"
    " h.submitted_at, h.submitted_by"
    " FROM survey_reports h JOIN survey_residents r ON r.person_key = h.person_key"
    " WHERE r.site_id = $1 AND h.date >= $2 AND h.date <= $3"
    " ORDER BY h.person_key, h.date, r.household_id";

absl::StatusOr<std::string> AddressOf(sql::Session& s, absl::string_view household_id) {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kHouseholdAddress, {household_id}));
  if (!row.has_value()) return std::string();
  std::vector<std::string> parts;
  for (size_t i = 0; i < 3; ++i) {
    if (!row->Text(i).empty()) parts.push_back(row->Text(i));
  }
  return absl::StrJoin(parts, " ");
}

// Claims (rule, subject, date) and queues `request` in the same transaction; false when it
// was claimed before.
absl::StatusOr<bool> ClaimAndQueue(sql::Session& s, absl::string_view rule,
                                   absl::string_view subject, absl::string_view date,
                                   absl::string_view site_id,
                                   const dispatch::v1::CreateTaskRequest& request, absl::Time now) {
  ASSIGN_OR_RETURN(sql::Result claimed,
                   s.Execute(kClaim, {rule, subject, date, site_id, request.request_id(), now}));
  if (claimed.rows_affected == 0) return false;
  RETURN_IF_ERROR(outbox::Enqueue(s,
                                  {.destination = kDispatchDestination,
                                   .method = kCreateTaskMethod,
                                   .idempotency_key = request.request_id(),
                                   .payload = request.SerializeAsString()},
                                  now));
  return true;
}

}  // namespace

GapJob::GapJob(sql::Database* db, const sites::SiteDirectory* sites, absl::TimeZone tz)
    : db_(db), sites_(sites), tz_(tz) {}

absl::StatusOr<GapJob::Counts> GapJob::RunOnce(absl::Time now) const {
  Counts counts;
  for (const sites::Site& site : sites_->sites()) {
    ASSIGN_OR_RETURN(int missing, MissingReports(site, now));
    ASSIGN_OR_RETURN(int tenants, PendingTenants(site, now));
    counts.missing_reports += missing;
    counts.tenant_verifications += tenants;
  }
  if (counts.queued() > 0) {
    logging::Info("follow-up tasks queued for dispatch", {},
                  {{"missing_reports", absl::StrCat(counts.missing_reports)},
                   {"tenant_verifications", absl::StrCat(counts.tenant_verifications)}});
  }
  return counts;
}

absl::StatusOr<int> GapJob::MissingReports(const sites::Site& site, absl::Time now) const {
  const absl::CivilDay today = time::DayOf(now, tz_);
  const absl::Time check_time = MissingReportsCheckTime(site.policy(), today, tz_);
  if (now < check_time) return 0;
  const std::string date = time::FormatDate(today);
  MissingReportsCheck check{
      .site_id = site.id(), .day = today, .check_time = check_time, .now = now, .tz = tz_};
  RETURN_IF_ERROR(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(sql::Result rows, s.Execute(kMissingCandidates, {site.id(), check_time, date,
                                                                      kMissingReportsRule}));
    for (const sql::Row& row : rows.rows) {
      check.missing.push_back({row.Text(0), row.Text(1), row.Text(2)});
      if (!check.addresses.contains(row.Text(0))) {
        ASSIGN_OR_RETURN(check.addresses[row.Text(0)], AddressOf(s, row.Text(0)));
      }
    }
    return absl::OkStatus();
  }));
  if (check.missing.empty()) return 0;
  const std::vector<GapTask> tasks = MissingReportTasks(check);
  int queued = 0;
  RETURN_IF_ERROR(db_->Write([&](sql::Session& s) -> absl::Status {
    queued = 0;
    RETURN_IF_ERROR(s.Execute(kForgetPastDays, {kMissingReportsRule, date}).status());
    for (const GapTask& task : tasks) {
      ASSIGN_OR_RETURN(bool first, ClaimAndQueue(s, kMissingReportsRule, task.subject_id, date,
                                                 site.id(), task.request, now));
      if (first) ++queued;
    }
    return absl::OkStatus();
  }));
  return queued;
}

absl::StatusOr<int> GapJob::PendingTenants(const sites::Site& site, absl::Time now) const {
  const int days = sites::TenantVerificationDays(site.policy());
  std::vector<PendingTenant> tenants;
  RETURN_IF_ERROR(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(
        sql::Result rows,
        s.Execute(kPendingCandidates, {site.id(), static_cast<int64_t>(v1::TENANT_STATUS_PENDING),
                                       now - absl::Hours(24) * days, kTenantVerificationRule}));
    for (const sql::Row& row : rows.rows) {
      PendingTenant t{.resident_id = row.Text(0),
                      .household_id = row.Text(1),
                      .site_id = site.id(),
                      .person_key = row.Text(2),
                      .name_masked = row.Text(3),
                      .registered_at = row.Time(4)};
      if (!TenantOverdue(t.registered_at, days, now)) continue;
      ASSIGN_OR_RETURN(t.address, AddressOf(s, t.household_id));
      tenants.push_back(std::move(t));
    }
    return absl::OkStatus();
  }));
  if (tenants.empty()) return 0;
  int queued = 0;
  RETURN_IF_ERROR(db_->Write([&](sql::Session& s) -> absl::Status {
    queued = 0;
    for (const PendingTenant& t : tenants) {
      ASSIGN_OR_RETURN(bool first,
                       ClaimAndQueue(s, kTenantVerificationRule, t.resident_id, "", site.id(),
                                     TenantVerificationTask(t, days, now, tz_), now));
      if (first) ++queued;
    }
    return absl::OkStatus();
  }));
  return queued;
}

absl::StatusOr<std::vector<v1::ReportFlag>> ReadRoteReportFlags(sql::Session& s,
                                                                absl::string_view site_id,
                                                                absl::CivilDay day) {
  const absl::CivilDay first = day - (kSameTemperatureDays - 1);
  ASSIGN_OR_RETURN(sql::Result rows, s.Execute(kReportsOfWeek, {site_id, time::FormatDate(first),
                                                                time::FormatDate(day)}));
  std::vector<ReportRow> reports;
  reports.reserve(rows.rows.size());
  for (const sql::Row& row : rows.rows) {
    absl::StatusOr<absl::CivilDay> date = time::ParseDate(row.Text(3));
    if (!date.ok()) continue;
    reports.push_back({.person_key = row.Text(0),
                       .household_id = row.Text(1),
                       .name_masked = row.Text(2),
                       .date = *date,
                       .temperature_c = row.Double(4),
                       .submitted_at = row.Time(5),
                       .submitted_by = row.Text(6)});
  }
  return RoteReportFlags(reports, day);
}

}  // namespace lianfang::survey
