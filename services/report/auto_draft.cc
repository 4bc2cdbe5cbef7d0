#include "services/report/auto_draft.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging/logging.h"
#include "common/status/status_macros.h"
#include "services/report/report_store.h"

namespace lianfang::report {

AutoDrafter::AutoDrafter(ReportGenerator* generator, sql::Database* db, const time::Clock* clock,
                         absl::TimeZone tz, std::optional<TimeOfDay> at, absl::Duration poll)
    : generator_(generator), db_(db), clock_(clock), tz_(tz), at_(at), poll_(poll) {}

AutoDrafter::~AutoDrafter() { Stop(); }

absl::StatusOr<std::optional<DailyReport>> AutoDrafter::Tick(absl::Time now) {
  if (!at_.has_value()) return std::nullopt;
  const absl::CivilDay today = time::DayOf(now, tz_);
  const absl::Time due =
      absl::FromCivil(absl::CivilMinute(today.year(), today.month(), today.day(), at_->hour,
                                        at_->minute),
                      tz_);
  if (now < due) return std::nullopt;
  const absl::CivilDay day = today - 1;
  const std::string date = time::FormatDate(day);

  absl::MutexLock lock(&tick_mu_);
  if (done_day_ == day) return std::nullopt;

  // Cheap check first, so a restarted process does not ask the sources again.
  bool done = false;
  RETURN_IF_ERROR(db_->Read([&](sql::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(bool drafted, AutoDraftRecorded(session, date));
    ASSIGN_OR_RETURN(bool reported, HasReport(session, date, ""));
    done = drafted || reported;
    return absl::OkStatus();
  }));
  if (done) {
    done_day_ = day;
    return std::nullopt;
  }

  v1::GenerateDailyReportRequest request;
  request.set_request_id(absl::StrCat("auto-draft-", date));
  request.set_date(date);
  auth::Principal who;
  who.subject = kAutoDraftSubject;
  who.name = kAutoDraftSubject;
  who.role = auth::Role::kService;
  absl::StatusOr<Generated> generated =
      generator_->GenerateAndWait(std::move(request), std::move(who), {.auto_draft = true});
  if (!generated.ok()) {
    if (absl::IsFailedPrecondition(generated.status())) {
      done_day_ = day;  // reported by hand meanwhile
      return std::nullopt;
    }
    logging::Warning("the automatic draft failed; retrying at the next tick", {},
                     {{"date", date}, {"error", generated.status().message()}});
    return generated.status();
  }
  done_day_ = day;
  if (generated->replayed) return std::nullopt;
  logging::Info("automatic draft generated", {},
                {{"date", date},
                 {"report_id", generated->report.report_id()},
                 {"incomplete", generated->report.incomplete_sources_size() > 0 ? "yes" : "no"}});
  return std::optional<DailyReport>(std::move(generated->report));
}

void AutoDrafter::Start() {
  if (!at_.has_value() || thread_.joinable()) return;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void AutoDrafter::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void AutoDrafter::Run() {
  while (true) {
    (void)Tick(clock_->Now());  // errors are logged by Tick and retried at the next tick
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), poll_)) return;
  }
}

}  // namespace lianfang::report
