// The report service's SQL: one row per version of a daily report (the DailyReport
// serialized as bytes, plus the columns it is looked up and listed by), and one row per day
// drafted automatically. Functions run inside the caller's transaction (sql::Session); the
// SQL is portable ($N placeholders, SQLite and PostgreSQL).
//
//   db.Write([&](sql::Session& s) -> absl::Status {
//     ASSIGN_OR_RETURN(int latest, LatestVersion(s, "2022-04-01", ""));
//     ...
//     return InsertReport(s, report, "");
//   });
//
// Thread-compatible: a Session is used by one thread.
#ifndef LIANFANG_SERVICES_REPORT_REPORT_STORE_H_
#define LIANFANG_SERVICES_REPORT_REPORT_STORE_H_

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/sql/database.h"
#include "lianfang/report/v1/report.pb.h"
#include "services/report/daily_report.h"

namespace lianfang::report {

// The schema (component "report"); applied by app::StartOrExit.
std::span<const sql::Migration> ReportMigrations();

// The scope key of a stored report's site_ids ("" = every site).
std::string ScopeOf(const DailyReport& report);

// The highest version stored for `date` and `scope`; 0 when none.
absl::StatusOr<int> LatestVersion(sql::Session& session, absl::string_view date,
                                  absl::string_view scope);

// True when any version (draft or submitted) exists for `date` and `scope`.
absl::StatusOr<bool> HasReport(sql::Session& session, absl::string_view date,
                               absl::string_view scope);

// Stores a new version. REQUIRES: a write session; report_id, date, version set.
// ALREADY_EXISTS when the id or (date, sites, version) is taken.
absl::Status InsertReport(sql::Session& session, const DailyReport& report);

// Rewrites a stored version (status, submission columns and the serialized report).
// NOT_FOUND "report not found" when no row has its report_id.
absl::Status UpdateReport(sql::Session& session, const DailyReport& report);

// The version `report_id`, or nullopt. INTERNAL when the stored bytes do not parse.
absl::StatusOr<std::optional<DailyReport>> LoadReport(sql::Session& session,
                                                      absl::string_view report_id);

// The most rows one ListReports call examines when a `visible` filter skips some.
inline constexpr int kMaxListScan = 2000;

// A ListDailyReports query; dates are validated "YYYY-MM-DD" or empty (no bound).
struct ListQuery {
  std::string start_date{};
  std::string end_date{};
  v1::ReportStatus status = v1::REPORT_STATUS_UNSPECIFIED;  // unspecified = any
  int page_size = 50;  // already resolved by sql::PageSize
  std::string page_token{};
  // When set, only the reports it accepts are listed (the caller's sites, see site_access.h).
  std::function<bool(const DailyReport&)> visible{};
};
struct ReportPage {
  std::vector<DailyReport> reports;
  std::string next_page_token;  // empty on the last page
};

// Reports with start_date <= date <= end_date, newest day first, then highest version (ties:
// newest row). INVALID_ARGUMENT naming page_token for a bad token. With `visible`, the rows it
// refuses are skipped: a page is filled from the following rows, and after kMaxListScan rows
// examined in one call the page is returned as it is (possibly short or empty) with a token to
// continue.
absl::StatusOr<ReportPage> ListReports(sql::Session& session, const ListQuery& query);

// The submitted reports of `date`, oldest submission first.
absl::StatusOr<std::vector<Submission>> SubmissionsOn(sql::Session& session,
                                                      absl::string_view date);

// True when the automatic draft of `date` was made.
absl::StatusOr<bool> AutoDraftRecorded(sql::Session& session, absl::string_view date);

// Records the automatic draft of `date`. ALREADY_EXISTS when one is recorded (so a restart or
// a second replica never drafts the same day twice).
absl::Status RecordAutoDraft(sql::Session& session, absl::string_view date,
                             absl::string_view report_id, absl::Time now);

}  // namespace lianfang::report

#endif  // LIANFANG_SERVICES_REPORT_REPORT_STORE_H_
