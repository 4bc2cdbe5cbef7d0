// Retention of the survey's health data (issue #11): daily health reports — temperature,
// symptoms, note, masked name, linked to a person_key — and their history are deleted once
// their date is older than a configurable period (`--retention-days` / `LF_RETENTION_DAYS`,
// default 30 days) by a background job. The daily statistics of those days count reports by
// joining them to residents, so before deleting a day's reports the job adds that day's
// figures (reports and fever reports per site, exactly as GetDailyStats counts them) to
// survey_report_days, which GetDailyStats adds back: old days' statistics stay right.
// The same job removes the fever follow-up markers of those days. The stored replies of the
// requests (idempotency records) go with the shared housekeeping purge of every service, on
// the same period (common/app/housekeeping.h).
//
//   survey::Retention retention(db, clock, tz, absl::Hours(24) * rt->config.retention_days);
//   app::PeriodicJob job(absl::Hours(1), [&] { (void)retention.RunOnce(); });
//
// What stays: households, residents and people (the register the working group keeps),
// movements and observations, survey_report_days and the audit trail.
//
// Thread-safe (the database serializes writes); RunOnce may be called from any thread.
#ifndef LIANFANG_SERVICES_SURVEY_RETENTION_H_
#define LIANFANG_SERVICES_SURVEY_RETENTION_H_

#include <cstdint>
#include <functional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/sql/database.h"
#include "common/time/clock.h"

namespace lianfang::survey {

// What one purge removed.
struct PurgeCounts {
  int64_t days = 0;                 // dates whose reports were folded into survey_report_days
  int64_t reports = 0;              // current reports deleted
  int64_t history = 0;              // report versions deleted
};

class Retention final {
 public:
  // `db` and `clock` are not owned and must outlive this object. `tz` gives the calendar day
  // of "now" and the bounds of each purged day.
  Retention(sql::Database* db, const time::Clock* clock, absl::TimeZone tz, absl::Duration period);

  // For every date before the date of Clock::Now() - period that still has reports, in one
  // transaction per date: adds its per-site figures to survey_report_days, then deletes its
  // reports, their history and fever follow-up markers. Then deletes what history and markers
  // remain before that date. Between transactions it stops early when `keep_going` (if given) returns false; the rest
  // goes at the next run. Returns the counts, or the database's error (the transactions
  // committed before it stay).
  absl::StatusOr<PurgeCounts> RunOnce(const std::function<bool()>& keep_going = {}) const;

 private:
  sql::Database* db_;
  const time::Clock* clock_;
  const absl::TimeZone tz_;
  const absl::Duration period_;
};

}  // namespace lianfang::survey

#endif  // LIANFANG_SERVICES_SURVEY_RETENTION_H_
