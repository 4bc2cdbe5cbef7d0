#include "services/survey/retention.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/logging/logging.h"
#include "common/status/status_macros.h"

namespace lianfang::survey {
namespace {

// Portable SQL ($N placeholders; runs on SQLite and PostgreSQL).
constexpr char kDatesBefore[] = "SELECT DISTINCT date FROM survey_reports WHERE date < $1";
// One day's figures per site, counted as SurveyStore::DailyStatsOf counts them: residents
// registered before the end of the day ($2) with a report of the day ($1), and those of them
// whose report had a fever.
constexpr char kFiguresOfDay[] =
    "SELECT r.site_id, COUNT(*), COALESCE(SUM(CASE WHEN h.fever = 1 THEN 1 ELSE 0 END), 0)"
    " FROM survey_residents r JOIN survey_reports h ON h.person_key = r.person_key"
    " WHERE h.date = $1 AND r.registered_at < $2 GROUP BY r.site_id";
constexpr char kAddFigures[] =
    "INSERT INTO survey_report_days (site_id, date, health_reports, fever_reports)"
    " VALUES ($1, $2, $3, $4) ON CONFLICT (site_id, date) DO UPDATE SET"
    " health_reports = survey_report_days.health_reports + excluded.health_reports,"
    " fever_reports = survey_report_days.fever_reports + excluded.fever_reports";
constexpr char kDeleteReports[] = "DELETE FROM survey_reports WHERE date = $1";
constexpr char kDeleteHistory[] = "DELETE FROM survey_report_history WHERE date < $1";
constexpr char kDeleteFollowups[] = "DELETE FROM survey_fever_followups WHERE date < $1";
constexpr char kDeleteHistoryOfDay[] = "DELETE FROM survey_report_history WHERE date = $1";
constexpr char kDeleteFollowupsOfDay[] = "DELETE FROM survey_fever_followups WHERE date = $1";

}  // namespace

Retention::Retention(sql::Database* db, const time::Clock* clock, absl::TimeZone tz,
                     absl::Duration period)
    : db_(db), clock_(clock), tz_(tz), period_(period) {}

absl::StatusOr<PurgeCounts> Retention::RunOnce(const std::function<bool()>& keep_going) const {
  const absl::Time cutoff = clock_->Now() - period_;
  // Reports are kept for whole days: every date before the cutoff's date goes.
  const std::string first_kept = time::DateOf(cutoff, tz_);
  const auto go_on = [&] { return !keep_going || keep_going(); };
  PurgeCounts counts;
  absl::Status status = [&]() -> absl::Status {
    std::vector<std::string> dates;
    RETURN_IF_ERROR(db_->Read([&](sql::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(sql::Result r, s.Execute(kDatesBefore, {first_kept}));
      for (const sql::Row& row : r.rows) dates.push_back(row.Text(0));
      return absl::OkStatus();
    }));
    for (const std::string& date : dates) {
      if (!go_on()) return absl::OkStatus();
      ASSIGN_OR_RETURN(absl::CivilDay day, time::ParseDate(date));
      RETURN_IF_ERROR(db_->Write([&](sql::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(sql::Result figures,
                         s.Execute(kFiguresOfDay, {date, time::EndOfDay(day, tz_)}));
        for (const sql::Row& f : figures.rows) {
          RETURN_IF_ERROR(
              s.Execute(kAddFigures, {f.Text(0), date, f.Int(1), f.Int(2)}).status());
        }
        ASSIGN_OR_RETURN(sql::Result deleted, s.Execute(kDeleteReports, {date}));
        ASSIGN_OR_RETURN(sql::Result history, s.Execute(kDeleteHistoryOfDay, {date}));
        RETURN_IF_ERROR(s.Execute(kDeleteFollowupsOfDay, {date}).status());
        counts.reports += deleted.rows_affected;
        counts.history += history.rows_affected;
        ++counts.days;
        return absl::OkStatus();
      }));
    }
    RETURN_IF_ERROR(db_->Write([&](sql::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(sql::Result history, s.Execute(kDeleteHistory, {first_kept}));
      counts.history += history.rows_affected;
      return s.Execute(kDeleteFollowups, {first_kept}).status();
    }));
    return absl::OkStatus();
  }();
  if (!status.ok()) {
    logging::Warning("retention purge failed; it is retried at the next run", {},
                     {{"error", status.ToString()}});
    return status;
  }
  if (counts.reports > 0 || counts.history > 0) {
    logging::Info("retention purge", {},
                  {{"days", absl::StrCat(counts.days)},
                   {"reports_deleted", absl::StrCat(counts.reports)},
                   {"history_deleted", absl::StrCat(counts.history)},
                   {"first_kept_date", first_kept}});
  }
  return counts;
}

}  // namespace lianfang::survey
