// ReportGenerator: makes a new version of a daily report. Validates the request, answers a
// retried request_id from the stored first answer, asks the three sources for the day's
// figures (in parallel, without blocking the caller), merges them, and stores the version as
// a draft in one transaction with its idempotency record and audit event.
//
//   generator.Generate(request, caller, {}, [reactor, response](auto generated) {
//     if (generated.ok()) *response = generated->report;
//     reactor->Finish(server::ToGrpcStatus(generated.status()));
//   });
//
// The automatic draft (auto_draft.h) uses the same path with Options::auto_draft: it is
// skipped (FAILED_PRECONDITION) when the day already has a report for every site, and it is
// recorded per day in the same transaction, so it happens at most once per day even across
// restarts and replicas.
//
// Thread-safe. The generator does not own its collaborators; they must outlive it and every
// pending callback.
#ifndef LIANFANG_SERVICES_REPORT_REPORT_GENERATOR_H_
#define LIANFANG_SERVICES_REPORT_REPORT_GENERATOR_H_

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "common/time/clock.h"
#include "lianfang/report/v1/report.pb.h"
#include "services/report/daily_report.h"
#include "services/report/stats_sources.h"

namespace lianfang::report {

// Full gRPC method names of the service (idempotency scopes and audit records).
inline constexpr char kGenerateMethod[] = "/lianfang.report.v1.ReportService/GenerateDailyReport";
inline constexpr char kSubmitMethod[] = "/lianfang.report.v1.ReportService/SubmitDailyReport";

// A generated version, or the stored answer of a retried request (replayed).
struct Generated {
  DailyReport report;
  bool replayed = false;
};

class ReportGenerator final {
 public:
  using Done = absl::AnyInvocable<void(absl::StatusOr<Generated>)>;

  struct Options {
    // Generating the automatic draft (see the file comment).
    bool auto_draft = false;
  };

  // None owned. `tz` gives "today" for the date check.
  ReportGenerator(sql::Database* db, DailyStatsSources* sources,
                  const sites::SiteDirectory* sites, const time::Clock* clock, absl::TimeZone tz);

  // Generates a version for `request` on behalf of `who` and calls `done` once with it, or
  // with: INVALID_ARGUMENT (bad request_id, date not a date or in the future, unknown
  // site_ids, each named in a BadRequest); ALREADY_EXISTS (request_id reused with another
  // payload); FAILED_PRECONDITION (auto draft not needed); a database error. A source that
  // does not answer is not an error: the version is stored with incomplete_sources.
  // `done` runs on the caller's thread (bad input, replay) or on a gRPC or database thread.
  void Generate(v1::GenerateDailyReportRequest request, auth::Principal who, Options options,
                Done done);

  // Generate, blocking until done. For the scheduler thread and tests; never from a gRPC
  // callback or a database callback.
  absl::StatusOr<Generated> GenerateAndWait(v1::GenerateDailyReportRequest request,
                                            auth::Principal who, Options options);

  // Today in the deployment's time zone, by the injected clock.
  absl::CivilDay Today() const;

 private:
  struct Pending;
  void Store(std::shared_ptr<Pending> pending, FetchedStats fetched);

  sql::Database* db_;
  DailyStatsSources* sources_;
  const sites::SiteDirectory* sites_;
  const time::Clock* clock_;
  absl::TimeZone tz_;
};

}  // namespace lianfang::report

#endif  // LIANFANG_SERVICES_REPORT_REPORT_GENERATOR_H_
