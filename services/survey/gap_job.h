// GapJob: runs the follow-up rules of gap_rules.h over the survey database and queues their
// dispatch CreateTask requests in the transactional outbox, exactly once across runs, restarts
// and several survey processes on one database, the way dispatch's scheduler creates its slots:
//
//   GapJob gaps(db, sites, tz);
//   app::PeriodicJob job(absl::Minutes(1), [&] {
//     if (auto n = gaps.RunOnce(clock.Now()); n.ok() && n->queued() > 0) sender.Wake();
//   });
//
// Each run reads, per site, the candidates not raised yet (missing reports once the site's
// check time of today has come; tenants pending too long), then in one write transaction per
// site claims each with INSERT ... ON CONFLICT DO NOTHING into survey_gap_tasks (the "already
// raised" record: rule, household or resident, date) and queues the outbox message only when
// the claim inserted a row. A concurrent run, another process or a run after a restart claims
// nothing and queues nothing; the outbox delivers each message once dispatch is reachable,
// with the key as dispatch's request_id (survey_book.h).
//
// Thread-safe: the database serializes the writes; RunOnce may be called from any thread.
#ifndef LIANFANG_SERVICES_SURVEY_GAP_JOB_H_
#define LIANFANG_SERVICES_SURVEY_GAP_JOB_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "lianfang/survey/v1/survey.pb.h"

namespace lianfang::survey {

// The survey_gap_tasks table (survey schema version 4).
inline constexpr char kGapTasksMigrationSql[] =
    "CREATE TABLE survey_gap_tasks ("
    " rule TEXT NOT NULL,"
    " subject_id TEXT NOT NULL,"
    " date TEXT NOT NULL,"
    " site_id TEXT NOT NULL,"
    " request_id TEXT NOT NULL,"
    " raised_at BIGINT NOT NULL,"
    " PRIMARY KEY (rule, subject_id, date))";

class GapJob final {
 public:
  // What one run queued.
  struct Counts {
    int missing_reports = 0;       // door-to-door tasks (households)
    int tenant_verifications = 0;  // verification tasks (tenants)
    int queued() const { return missing_reports + tenant_verifications; }
  };

  // Neither pointer is owned; both must outlive the job. `tz` gives today and the check times.
  GapJob(sql::Database* db, const sites::SiteDirectory* sites, absl::TimeZone tz);

  // Runs both rules at `now` for every site. Returns what this call queued (0 when an earlier
  // run or another process raised everything already). Errors: the database's (the
  // transactions committed before it stay; the next run goes on).
  absl::StatusOr<Counts> RunOnce(absl::Time now) const;

 private:
  absl::StatusOr<int> MissingReports(const sites::Site& site, absl::Time now) const;
  absl::StatusOr<int> PendingTenants(const sites::Site& site, absl::Time now) const;

  sql::Database* db_;
  const sites::SiteDirectory* sites_;
  absl::TimeZone tz_;
};

// The rote-report flags (gap_rules.h RoteReportFlags) of `site_id` for `day`, read in the
// caller's transaction.
absl::StatusOr<std::vector<v1::ReportFlag>> ReadRoteReportFlags(sql::Session& s,
                                                                absl::string_view site_id,
                                                                absl::CivilDay day);

}  // namespace lianfang::survey

#endif  // LIANFANG_SERVICES_SURVEY_GAP_JOB_H_
