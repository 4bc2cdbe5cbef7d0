#include "services/report/report_generator.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "common/audit/audit.h"
#include "common/idempotency/idempotency.h"
#include "common/status/status_macros.h"
#include "common/time/timestamp.h"
#include "services/report/report_store.h"

namespace lianfang::report {

// One generation in flight, from validation to the commit.
struct ReportGenerator::Pending {
  v1::GenerateDailyReportRequest request;
  auth::Principal who;
  Options options;
  GenerateInput input;
  Done done;
  DailyReport merged;
  idempotency::Outcome<DailyReport> outcome;
};

ReportGenerator::ReportGenerator(sql::Database* db, DailyStatsSources* sources,
                                 const sites::SiteDirectory* sites, const time::Clock* clock,
                                 absl::TimeZone tz)
    : db_(db), sources_(sources), sites_(sites), clock_(clock), tz_(tz) {}

absl::CivilDay ReportGenerator::Today() const { return time::DayOf(clock_->Now(), tz_); }

void ReportGenerator::Generate(v1::GenerateDailyReportRequest request, auth::Principal who,
                               Options options, Done done) {
  absl::StatusOr<GenerateInput> input = ValidateGenerateRequest(request, *sites_, Today());
  if (!input.ok()) {
    done(input.status());
    return;
  }

  // A retry is answered from the stored first response, without asking the sources again.
  // (The transaction below checks again, so two concurrent retries still store one version.)
  std::optional<std::string> stored;
  absl::Status looked_up = db_->Read([&](sql::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(stored, idempotency::Lookup(session, kGenerateMethod, request.request_id(),
                                                 idempotency::Fingerprint(request)));
    return absl::OkStatus();
  });
  if (!looked_up.ok()) {
    done(looked_up);
    return;
  }
  if (stored.has_value()) {
    Generated generated;
    if (!generated.report.ParseFromString(*stored)) {
      done(absl::InternalError("the stored response of this request_id cannot be read"));
      return;
    }
    generated.replayed = true;
    done(std::move(generated));
    return;
  }

  auto pending = std::make_shared<Pending>();
  pending->request = std::move(request);
  pending->who = std::move(who);
  pending->options = options;
  pending->input = *std::move(input);
  pending->done = std::move(done);
  const std::string date = pending->input.date;
  sources_->Fetch(date, [this, pending](FetchedStats fetched) mutable {
    Store(std::move(pending), std::move(fetched));
  });
}

void ReportGenerator::Store(std::shared_ptr<Pending> pending, FetchedStats fetched) {
  pending->merged = MergeDailyReport(pending->input.date, pending->input.coverage, fetched);
  db_->WriteAsync(
      [this, pending](sql::Session& session) -> absl::Status {
        const absl::Time now = clock_->Now();
        ASSIGN_OR_RETURN(
            pending->outcome,
            idempotency::RunOnce<DailyReport>(
                session, kGenerateMethod, pending->request, now,
                [&](sql::Session& s) -> absl::StatusOr<DailyReport> {
                  const GenerateInput& input = pending->input;
                  if (pending->options.auto_draft) {
                    ASSIGN_OR_RETURN(bool exists, HasReport(s, input.date, input.coverage.scope));
                    if (exists) {
                      return absl::FailedPreconditionError(
                          "the day already has a report; no automatic draft is needed");
                    }
                  }
                  ASSIGN_OR_RETURN(int latest, LatestVersion(s, input.date, input.coverage.scope));
                  DailyReport report = pending->merged;
                  report.set_version(latest + 1);
                  report.set_report_id(
                      ReportIdFor(input.date, input.coverage.scope, report.version()));
                  report.set_status(v1::REPORT_STATUS_DRAFT);
                  *report.mutable_generated_at() = time::ToTimestamp(now);
                  report.set_generated_by(pending->who.subject);
                  RETURN_IF_ERROR(InsertReport(s, report));
                  if (pending->options.auto_draft) {
                    RETURN_IF_ERROR(RecordAutoDraft(s, input.date, report.report_id(), now));
                  }
                  return report;
                }));
        if (pending->outcome.replayed) return absl::OkStatus();
        return audit::Record(session,
                             {.subject = pending->who.subject,
                              .role = std::string(auth::RoleName(pending->who.role)),
                              .method = kGenerateMethod,
                              .object = pending->outcome.response.report_id(),
                              .request_id = pending->request.request_id(),
                              .at = now,
                              .outcome = "OK"});
      },
      [pending](absl::Status status) {
        Done done = std::move(pending->done);
        if (!status.ok()) {
          done(status);
          return;
        }
        done(Generated{.report = std::move(pending->outcome.response),
                       .replayed = pending->outcome.replayed});
      });
}

absl::StatusOr<Generated> ReportGenerator::GenerateAndWait(v1::GenerateDailyReportRequest request,
                                                           auth::Principal who, Options options) {
  absl::Notification finished;
  absl::StatusOr<Generated> result = absl::UnknownError("not finished");
  Generate(std::move(request), std::move(who), options,
           [&](absl::StatusOr<Generated> generated) {
             result = std::move(generated);
             finished.Notify();
           });
  finished.WaitForNotification();
  return result;
}

}  // namespace lianfang::report
