// The rules of daily reports, free of gRPC and SQL: which sites a request covers, which dates
// may be reported, how the three services' figures merge into one report (per site and in
// total, zeros written out), when a report may be submitted, how report ids are formed, and
// where each site stands against the reporting deadline.
//
//   ASSIGN_OR_RETURN(GenerateInput input, ValidateGenerateRequest(request, sites, today));
//   FetchedStats fetched = ...;               // gate, survey, dispatch and supplies answers
//   DailyReport report = MergeDailyReport(input.date, input.coverage, fetched);
//   RETURN_IF_ERROR(CheckSubmittable(report));
//
// Figures are summed field by field through protobuf reflection, so integer fields that the
// services add to their DailyStats later are merged (and exported) without a change here.
//
// Everything here is a pure function of its arguments; thread-safe.
#ifndef LIANFANG_SERVICES_REPORT_DAILY_REPORT_H_
#define LIANFANG_SERVICES_REPORT_DAILY_REPORT_H_

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/sites/site_directory.h"
#include "google/protobuf/timestamp.pb.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"
#include "lianfang/gate/v1/gate.pb.h"
#include "lianfang/report/v1/report.pb.h"
#include "lianfang/supplies/v1/supplies.pb.h"
#include "lianfang/survey/v1/survey.pb.h"
#include "services/report/config.h"

namespace lianfang::report {

using ::lianfang::report::v1::DailyReport;
using ::lianfang::report::v1::SiteReport;

// The names of the sources, as they appear in DailyReport.incomplete_sources.
inline constexpr char kSourceGate[] = "gate";
inline constexpr char kSourceSurvey[] = "survey";
inline constexpr char kSourceDispatch[] = "dispatch";
inline constexpr char kSourceSupplies[] = "supplies";

// The site name of a report's totals row.
inline constexpr char kTotalsName[] = "合计";

// Longest string accepted in a request field, in bytes (API rule).
inline constexpr size_t kMaxFieldBytes = 256;

// What the four services answered for one day; nullopt = the source did not answer (down,
// deadline exceeded, refused the call, or answered for another day).
struct FetchedStats {
  std::optional<gate::v1::GetDailyStatsResponse> gate;
  std::optional<survey::v1::GetDailyStatsResponse> survey;
  std::optional<dispatch::v1::GetDailyStatsResponse> dispatch;
  std::optional<supplies::v1::GetDailyStatsResponse> supplies;
};

// The sites a report covers.
struct Coverage {
  // The sites, ordered by id. Pointers into the SiteDirectory (valid while it lives).
  std::vector<const sites::Site*> sites;
  // The requested ids, sorted and without duplicates; empty when the report covers every
  // site of the directory (also when every site was listed explicitly).
  std::vector<std::string> site_ids;
  // The key that numbers versions: "" for every site, else the ids joined with ",".
  std::string scope;
};

// A validated GenerateDailyReport request.
struct GenerateInput {
  absl::CivilDay day;
  std::string date;  // "YYYY-MM-DD"
  Coverage coverage;
};

// The sites named by `site_ids` (empty = every site). INVALID_ARGUMENT with a violation of
// "site_ids[i]" for each unknown, empty or over-long id.
absl::StatusOr<Coverage> ResolveCoverage(const sites::SiteDirectory& directory,
                                         std::span<const std::string> site_ids);

// Parses a report date: a real calendar day "YYYY-MM-DD" not after `today`. INVALID_ARGUMENT
// naming `field` otherwise ("must be a date YYYY-MM-DD", "must not be in the future").
absl::StatusOr<absl::CivilDay> ParseReportDate(absl::string_view date, absl::CivilDay today,
                                               absl::string_view field = "date");

// Validates a GenerateDailyReport request against the directory and today's date (in the
// deployment's time zone). INVALID_ARGUMENT with a google.rpc.BadRequest naming every bad
// field (request_id, date, site_ids[i]).
absl::StatusOr<GenerateInput> ValidateGenerateRequest(
    const v1::GenerateDailyReportRequest& request, const sites::SiteDirectory& directory,
    absl::CivilDay today);

// Merges the sources' figures into a report for `date` covering `coverage`: one SiteReport per
// covered site (ordered by site id; a site a source did not mention gets zeros, written out),
// the totals (site_name kTotalsName; peak_onsite is the sum of the sites' peaks), and
// incomplete_sources naming each source that did not answer (its figures are left unset in
// every site and in the totals). Every deny reason is listed in denied_by_reason, zeros
// included. Supplies: each site's key_balances as answered (by item code); the totals' are
// summed per item (quantity and min_stock summed, low when the sum is below the summed
// minimum, nearest_expiry the earliest, batches left out); the day's donations go to
// report.donations. Figures of sites outside the coverage are ignored. Sets date, sites,
// totals, incomplete_sources, site_ids and donations; leaves id, version, status and times to
// the caller.
DailyReport MergeDailyReport(absl::string_view date, const Coverage& coverage,
                             const FetchedStats& fetched);

// True when nothing happened at the site during the day (零报告): every source answered and
// every figure counting the day's events is zero. Figures describing a standing state
// (peak_onsite, gates_without_guard_minutes, households_total, households_surveyed,
// residents, tenants_pending, under_observation, health_reports_missing,
// volunteers_on_duty, and the supplies' key_balances and low_stock_items) do not count: an
// idle site with unguarded gates, registered households or stock on its shelves still has
// nothing to report. Works on the totals row too.
bool IsZeroSite(const SiteReport& site);
// True when the report is complete, nothing happened at any of its sites and no donation was
// recorded that day.
bool IsZeroReport(const DailyReport& report);

// OK when `report` may be submitted now: a draft with every source's figures, and not
// superseded (`latest_version` is the highest version of its date and sites).
// FAILED_PRECONDITION saying why otherwise (already submitted; incomplete, naming the
// sources; a newer version exists).
absl::Status CheckSubmittable(const DailyReport& report, int latest_version);

// The id of a version: "20220401-v2" for every site, "20220401-v1-<8 hex>" for a subset of
// sites (a stable hash of `scope`).
std::string ReportIdFor(absl::string_view date, absl::string_view scope, int version);

// The moment day `day`'s report is due: `deadline` local time (in `tz`) on the next day.
absl::Time DeadlineOf(absl::CivilDay day, TimeOfDay deadline, absl::TimeZone tz);

// The latest day whose report was due before `now` (its DeadlineOf is earlier than `now`):
// yesterday once today's `deadline` has passed, else the day before.
absl::CivilDay LastDueDay(absl::Time now, TimeOfDay deadline, absl::TimeZone tz);

// One submitted report, as the reporting status needs it.
struct Submission {
  std::string report_id;
  std::vector<std::string> site_ids;  // empty = every site
  absl::Time submitted_at;
};

// Per site of the directory (ordered by id): submitted or not, the latest submitted report
// covering it, and its state against `deadline` at `now` (on time / late by the FIRST
// submission covering it; pending / missing when none).
v1::GetReportingStatusResponse BuildReportingStatus(absl::string_view date,
                                                    const sites::SiteDirectory& directory,
                                                    std::span<const Submission> submissions,
                                                    absl::Time deadline, absl::Time now);

}  // namespace lianfang::report

#endif  // LIANFANG_SERVICES_REPORT_DAILY_REPORT_H_
