#include "services/dispatch/scheduler.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/logging/logging.h"
#include "common/status/status_macros.h"
#include "services/dispatch/event_relay.h"

namespace lianfang::dispatch {

Scheduler::Scheduler(sql::Database* db, const Dispatcher* dispatcher, const ChangeFeed* feed,
                     const time::Clock* clock, Options options)
    : db_(db), dispatcher_(dispatcher), feed_(feed), clock_(clock), options_(options) {}

Scheduler::~Scheduler() { Stop(); }

absl::StatusOr<int> Scheduler::Tick(absl::Time now) {
  // A read first, so that a tick with nothing to create costs no write transaction.
  std::vector<Slot> missing;
  RETURN_IF_ERROR(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(missing, dispatcher_->MissingSlots(s, now, options_.lead));
    return absl::OkStatus();
  }));
  if (missing.empty()) return 0;

  // WriteAsync rather than Write: the after-commit work must run from the write's completion
  // (writer thread, commit order) for the live counts to stay exact.
  auto changes = std::make_shared<Changes>();
  auto created = std::make_shared<int>(0);
  absl::Notification done;
  absl::Status result;
  db_->WriteAsync(
      [this, changes, created, missing = std::move(missing), now](sql::Session& s) -> absl::Status {
        *changes = Changes();
        ASSIGN_OR_RETURN(*created, dispatcher_->CreateSlotTasks(s, missing, now, changes.get()));
        return LogTaskEvents(s, &changes->events);
      },
      [this, changes, &done, &result](absl::Status status) {
        if (status.ok() && feed_ != nullptr) feed_->Publish(*changes);
        result = std::move(status);
        done.Notify();
      });
  done.WaitForNotification();
  RETURN_IF_ERROR(result);
  return *created;
}

void Scheduler::Start() {
  absl::MutexLock lock(&mu_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void Scheduler::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!running_) return;
    stopping_ = true;
  }
  thread_.join();
  absl::MutexLock lock(&mu_);
  running_ = false;
}

void Scheduler::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
}

void Scheduler::Run() {
  while (true) {
    absl::StatusOr<int> created = Tick(clock_->Now());
    if (!created.ok()) {
      logging::Warning(
          absl::StrCat("scheduler: creating scheduled tasks failed, retrying at the "
                       "next tick: ",
                       created.status().message()));
    } else if (*created > 0) {
      logging::Info("scheduler: scheduled tasks created", {}, {{"tasks", absl::StrCat(*created)}});
    }
    absl::MutexLock lock(&mu_);
    auto wake = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || woken_; };
    mu_.AwaitWithTimeout(absl::Condition(&wake), options_.interval);
    if (stopping_) return;
    woken_ = false;
  }
}

}  // namespace lianfang::dispatch
