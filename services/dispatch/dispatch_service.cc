#include "services/dispatch/dispatch_service.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/app/audit_rpc.h"
#include "common/app/audited_read.h"
#include "common/app/unary.h"
#include "common/audit/audit.h"
#include "common/server/authorization.h"
#include "common/server/errors.h"
#include "common/server/grpc_status.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"
#include "services/dispatch/event_relay.h"
#include "services/dispatch/initiative_book.h"
#include "services/dispatch/plan_book.h"
#include "services/dispatch/store.h"
#include "services/dispatch/validation.h"
#include "services/dispatch/workload.h"

namespace lianfang::dispatch {
namespace {

using auth::Principal;

#define LF_DISPATCH_METHOD(name) "/lianfang.dispatch.v1.DispatchService/" #name
constexpr char kCreateTeam[] = LF_DISPATCH_METHOD(CreateTeam);
constexpr char kListTeams[] = LF_DISPATCH_METHOD(ListTeams);
constexpr char kEnrollVolunteer[] = LF_DISPATCH_METHOD(EnrollVolunteer);
constexpr char kRecordPledge[] = LF_DISPATCH_METHOD(RecordPledge);
constexpr char kSetOnDuty[] = LF_DISPATCH_METHOD(SetOnDuty);
constexpr char kListVolunteers[] = LF_DISPATCH_METHOD(ListVolunteers);
constexpr char kCreateTask[] = LF_DISPATCH_METHOD(CreateTask);
constexpr char kGetTask[] = LF_DISPATCH_METHOD(GetTask);
constexpr char kListTasks[] = LF_DISPATCH_METHOD(ListTasks);
constexpr char kWatchTasks[] = LF_DISPATCH_METHOD(WatchTasks);
constexpr char kCreateSchedule[] = LF_DISPATCH_METHOD(CreateSchedule);
constexpr char kListSchedules[] = LF_DISPATCH_METHOD(ListSchedules);
constexpr char kPauseSchedule[] = LF_DISPATCH_METHOD(PauseSchedule);
constexpr char kGetTaskSummary[] = LF_DISPATCH_METHOD(GetTaskSummary);
constexpr char kGetDailyStats[] = LF_DISPATCH_METHOD(GetDailyStats);
constexpr char kListAuditEvents[] = LF_DISPATCH_METHOD(ListAuditEvents);
constexpr char kPublishNotice[] = LF_DISPATCH_METHOD(PublishNotice);
constexpr char kListNotices[] = LF_DISPATCH_METHOD(ListNotices);
constexpr char kAcknowledgeNotice[] = LF_DISPATCH_METHOD(AcknowledgeNotice);
constexpr char kGetNoticeReceipts[] = LF_DISPATCH_METHOD(GetNoticeReceipts);
constexpr char kWatchNotices[] = LF_DISPATCH_METHOD(WatchNotices);
constexpr char kPublishInitiative[] = LF_DISPATCH_METHOD(PublishInitiative);
constexpr char kGetInitiative[] = LF_DISPATCH_METHOD(GetInitiative);
constexpr char kListInitiatives[] = LF_DISPATCH_METHOD(ListInitiatives);
constexpr char kGetVolunteerRecord[] = LF_DISPATCH_METHOD(GetVolunteerRecord);
constexpr char kCreatePlan[] = LF_DISPATCH_METHOD(CreatePlan);
constexpr char kReviewPlan[] = LF_DISPATCH_METHOD(ReviewPlan);
constexpr char kListPlans[] = LF_DISPATCH_METHOD(ListPlans);
constexpr char kActivatePlan[] = LF_DISPATCH_METHOD(ActivatePlan);
constexpr char kGetActivation[] = LF_DISPATCH_METHOD(GetActivation);
constexpr char kListActivations[] = LF_DISPATCH_METHOD(ListActivations);
constexpr char kEndActivation[] = LF_DISPATCH_METHOD(EndActivation);
#undef LF_DISPATCH_METHOD

// A mutating call: `effect(session, who, request, now, changes)` inside RunMutation, the
// changes published from the commit's completion (never for a replayed request_id).
template <typename Request, typename Response, typename Effect, typename ObjectOf>
grpc::ServerUnaryReactor* Mutate(const DispatchService::Deps& deps,
                                 grpc::CallbackServerContext* ctx, absl::string_view method,
                                 const Principal& who, const Request* req, Response* resp,
                                 Effect effect, ObjectOf object_of) {
  auto changes = std::make_shared<Changes>();
  const ChangeFeed* feed = deps.feed;
  const time::Clock* clock = deps.clock;
  return app::RunMutation(
      ctx, *deps.db, *deps.clock, method, who, *req, resp,
      [changes, effect = std::move(effect), who, req,
       clock](sql::Session& s) -> absl::StatusOr<Response> {
        *changes = Changes();
        ASSIGN_OR_RETURN(Response response, effect(s, who, *req, clock->Now(), changes.get()));
        // In the change's transaction: the events get their seq, the replicas their notice.
        RETURN_IF_ERROR(LogTaskEvents(s, &changes->events));
        return response;
      },
      std::move(object_of),
      [changes, feed](Response&, bool replayed) {
        if (!replayed && feed != nullptr) feed->Publish(*changes);
      });
}

// A read: `read(session)` on a snapshot, its result the response.
template <typename Response, typename ReadFn>
grpc::ServerUnaryReactor* ReadInto(const DispatchService::Deps& deps,
                                   grpc::CallbackServerContext* ctx, absl::string_view method,
                                   Response* resp, ReadFn read) {
  absl::Status status = deps.db->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(*resp, read(s));
    return absl::OkStatus();
  });
  return app::FinishWith(ctx, method, status);
}

std::string TaskIdOf(const v1::Task& t) { return t.task_id(); }

// A lifecycle transition (task_board.h): its RPC's name, validation and effect all come from
// the table entry of `action`; `fields` are the request's fields in the table's terms.
template <typename Request, typename Response>
grpc::ServerUnaryReactor* Transit(const DispatchService::Deps& deps,
                                  grpc::CallbackServerContext* ctx, TaskAction action,
                                  const Request* req, Response* resp, TransitionRequest fields) {
  const TaskTransition& t = TransitionOf(action);
  const std::string method = absl::StrCat("/lianfang.dispatch.v1.DispatchService/", t.method);
  ASSIGN_OR_FINISH(ctx, method, Principal who,
                   server::AuthorizeCall(*deps.authorizer, ctx, method));
  FINISH_IF_ERROR(ctx, method, ValidateTransition(t, fields));
  const Dispatcher* d = deps.dispatcher;
  return Mutate(
      deps, ctx, method, who, req, resp,
      [d, action, fields = std::move(fields)](sql::Session& s, const Principal& w, const Request&,
                                              absl::Time now,
                                              Changes* c) -> absl::StatusOr<Response> {
        ASSIGN_OR_RETURN(v1::Task task, d->Transit(s, w, action, fields, now, c));
        Response out;
        *out.mutable_task() = std::move(task);
        return out;
      },
      [](const Response& r) { return r.task().task_id(); });
}

}  // namespace

// ---- WatchTasks ----

template <typename Event, typename Hub>
class DispatchService::Watcher final : public grpc::ServerWriteReactor<Event>,
                                       public EventWatcher<Event> {
 public:
  using Ptr = std::shared_ptr<const Event>;

  // `lagging` is the message of the RESOURCE_EXHAUSTED that drops a client not keeping up.
  Watcher(Hub* hub, size_t capacity, const char* lagging)
      : hub_(hub), capacity_(capacity), queue_(capacity), lagging_(lagging) {}

  // Subscribes, then sends the initial metadata: a client holding it sees every later change.
  // `after_seq` > 0 (resuming): the handler then reads the events stored after that point and
  // hands them to Resume(); live events arriving meanwhile wait until then, and a live event of
  // seq <= after_seq is not sent (the client has it: on PostgreSQL this replica's relay may
  // hand it over after the client saw it through another replica).
  template <typename Filter>
  void Begin(Filter filter, int64_t after_seq) {
    {
      absl::MutexLock lock(&mu_);
      after_seq_ = std::max<int64_t>(after_seq, 0);
      resuming_ = after_seq_ > 0;
    }
    hub_->Subscribe(this, std::move(filter));
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    this->StartSendInitialMetadata();
    ready_ = true;
    PumpLocked();
  }

  // The events of the client stored after its resume point (oldest first), or why they could
  // not be read. They are sent first, then the live events held meanwhile and the later ones.
  // An event committed between the subscription and the read is both read and delivered live:
  // the read's seqs are kept and a live event with one of them is dropped, so each is sent once.
  // REQUIRES: Begin(..., after_seq > 0) ran; called once.
  void Resume(const absl::Status& read, std::vector<Ptr> backlog) {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    if (!read.ok()) {
      FinishLocked(grpc::Status(
          grpc::StatusCode::UNAVAILABLE,
          "cannot read the events missed since after_seq; reconnect (the database is out of "
          "reach)"));
      return;
    }
    for (Ptr& event : backlog) {
      backlog_seqs_.insert(event->seq());
      if (!PushLocked(std::move(event))) return;
    }
    resuming_ = false;
    std::deque<Ptr> held = std::move(held_);
    held_.clear();
    for (Ptr& event : held) {
      if (backlog_seqs_.erase(event->seq()) > 0) continue;  // sent from the read
      if (!PushLocked(std::move(event))) return;
    }
  }

  void FinishNow(const grpc::Status& status) {
    absl::MutexLock lock(&mu_);
    FinishLocked(status);
  }

  void OnEvent(const Ptr& event) override {
    absl::MutexLock lock(&mu_);
    if (finished_ || event->seq() <= after_seq_) return;
    if (resuming_) {
      if (held_.size() >= capacity_) {
        FinishLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, lagging_));
        return;
      }
      held_.push_back(event);
      return;
    }
    // Each event of the read arrives live at most once: its seq is then forgotten.
    if (!backlog_seqs_.empty() && backlog_seqs_.erase(event->seq()) > 0) return;
    PushLocked(event);
  }

  void Close() override {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                              "the dispatch service is shutting down; reconnect"));
  }

  void OnWriteDone(bool ok) override {
    queue_.WriteDone();
    absl::MutexLock lock(&mu_);
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the stream broke"));
      return;
    }
    PumpLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    hub_->Unsubscribe(this);
    delete this;
  }

 private:
  // Queues `event` and starts its write when none is in flight; false (the stream finished
  // with RESOURCE_EXHAUSTED) when the queue is full.
  bool PushLocked(Ptr event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!queue_.Push(std::move(event))) {
      FinishLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, lagging_));
      return false;
    }
    PumpLocked();
    return true;
  }

  void PumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || !ready_) return;
    if (Ptr next = queue_.StartNext(); next != nullptr) this->StartWrite(next.get());
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    this->Finish(status);
  }

  Hub* const hub_;
  const size_t capacity_;
  BasicEventQueue<Event> queue_;
  const char* const lagging_;
  absl::Mutex mu_;
  bool ready_ ABSL_GUARDED_BY(mu_) = false;     // initial metadata started
  bool finished_ ABSL_GUARDED_BY(mu_) = false;  // Finish called
  // The client's resume point (0: none); live events up to it are not sent.
  int64_t after_seq_ ABSL_GUARDED_BY(mu_) = 0;
  // While true (between the subscription and Resume), live events wait in held_.
  bool resuming_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<Ptr> held_ ABSL_GUARDED_BY(mu_);
  // Seqs of the events sent from the read that have not (yet) arrived live.
  absl::flat_hash_set<int64_t> backlog_seqs_ ABSL_GUARDED_BY(mu_);
};

namespace {

// Events a resuming watcher is sent from the log, at most: half its queue, leaving the other
// half for the live events arriving while the backlog is written.
int ResumeLimit(size_t watch_queue) {
  return static_cast<int>(std::max<size_t>(watch_queue / 2, 1));
}

}  // namespace

DispatchService::DispatchService(Deps deps) : deps_(std::move(deps)) {}

DispatchService::~DispatchService() {
  if (relay_ != nullptr) relay_->Stop();
}

absl::Status DispatchService::ListenForReplicas(absl::string_view database_url) {
  if (deps_.db->dialect() != sql::Dialect::kPostgres) return absl::OkStatus();
  if (relay_ != nullptr) return absl::FailedPreconditionError("already listening for replicas");
  auto relay = std::make_unique<EventRelay>(deps_.db, deps_.hub, deps_.notice_hub);
  RETURN_IF_ERROR(relay->Start(database_url));
  relay_ = std::move(relay);
  if (deps_.feed != nullptr) deps_.feed->set_events_relayed(true);
  return absl::OkStatus();
}

void DispatchService::CloseWatchers() {
  deps_.hub->CloseAll();
  if (deps_.notice_hub != nullptr) deps_.notice_hub->CloseAll();
}

grpc::ServerWriteReactor<v1::TaskEvent>* DispatchService::WatchTasks(
    grpc::CallbackServerContext* ctx, const v1::WatchTasksRequest* req) {
  auto* watcher = new Watcher<v1::TaskEvent, TaskEventHub>(
      deps_.hub, deps_.watch_queue,
      "the client did not keep up with task events; reconnect and list the tasks again");
  absl::StatusOr<Principal> who = server::AuthorizeCall(*deps_.authorizer, ctx, kWatchTasks);
  absl::Status status = who.status();
  if (status.ok()) status = ValidateWatchTasks(*req);
  std::optional<WatchFilter> filter;
  if (status.ok()) {
    status = deps_.db->Read([&](sql::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(filter, deps_.dispatcher->WatchFilterFor(s, *who, *req));
      return absl::OkStatus();
    });
  }
  if (!status.ok()) {
    watcher->FinishNow(server::ToGrpcStatus(status, kWatchTasks));
    return watcher;
  }
  watcher->Begin(*filter, req->after_seq());
  if (req->after_seq() <= 0) return watcher;
  // Subscribed first, read second (see Watcher::Resume).
  std::vector<EventPtr> backlog;
  const absl::Status read = deps_.db->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<v1::TaskEvent> stored,
                     TaskEventsAfter(s, req->after_seq(), ResumeLimit(deps_.watch_queue)));
    for (const v1::TaskEvent& e : stored) {
      if (std::optional<v1::TaskEvent> mine = TaskEventFor(e, *filter); mine.has_value()) {
        backlog.push_back(std::make_shared<const v1::TaskEvent>(*std::move(mine)));
      }
    }
    return absl::OkStatus();
  });
  watcher->Resume(read, std::move(backlog));
  return watcher;
}

// ---- Teams and volunteers ----

grpc::ServerUnaryReactor* DispatchService::CreateTeam(grpc::CallbackServerContext* ctx,
                                                      const v1::CreateTeamRequest* req,
                                                      v1::Team* resp) {
  ASSIGN_OR_FINISH(ctx, kCreateTeam, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kCreateTeam));
  FINISH_IF_ERROR(ctx, kCreateTeam, ValidateCreateTeam(*req, *deps_.sites));
  const Dispatcher* d = deps_.dispatcher;
  return Mutate(
      deps_, ctx, kCreateTeam, who, req, resp,
      [d](sql::Session& s, const Principal& w, const v1::CreateTeamRequest& r, absl::Time now,
          Changes*) { return d->CreateTeam(s, w, r, now); },
      [](const v1::Team& t) { return t.team_id(); });
}

grpc::ServerUnaryReactor* DispatchService::ListTeams(grpc::CallbackServerContext* ctx,
                                                     const v1::ListTeamsRequest* req,
                                                     v1::ListTeamsResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kListTeams, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kListTeams));
  FINISH_IF_ERROR(ctx, kListTeams, ValidateListTeams(*req, *deps_.sites));
  // A site filter outside the caller's token is refused like any other act on that site;
  // without a filter, a caller restricted to some sites sees only their teams.
  if (!req->site_id().empty()) {
    FINISH_IF_ERROR(ctx, kListTeams, auth::CheckSite(who, req->site_id()));
  }
  return ReadInto(deps_, ctx, kListTeams, resp,
                  [&](sql::Session& s) { return deps_.dispatcher->ListTeams(s, who, *req); });
}

grpc::ServerUnaryReactor* DispatchService::EnrollVolunteer(grpc::CallbackServerContext* ctx,
                                                           const v1::EnrollVolunteerRequest* req,
                                                           v1::Volunteer* resp) {
  ASSIGN_OR_FINISH(ctx, kEnrollVolunteer, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kEnrollVolunteer));
  FINISH_IF_ERROR(ctx, kEnrollVolunteer,
                  ValidateEnrollVolunteer(*req, time::DayOf(deps_.clock->Now(), deps_.tz)));
  const Dispatcher* d = deps_.dispatcher;
  return Mutate(
      deps_, ctx, kEnrollVolunteer, who, req, resp,
      [d](sql::Session& s, const Principal& w, const v1::EnrollVolunteerRequest& r, absl::Time now,
          Changes*) { return d->EnrollVolunteer(s, w, r, now); },
      [](const v1::Volunteer& v) { return v.volunteer_id(); });
}

grpc::ServerUnaryReactor* DispatchService::RecordPledge(grpc::CallbackServerContext* ctx,
                                                        const v1::RecordPledgeRequest* req,
                                                        v1::RecordPledgeResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kRecordPledge, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kRecordPledge));
  FINISH_IF_ERROR(ctx, kRecordPledge, ValidateRecordPledge(*req));
  const Dispatcher* d = deps_.dispatcher;
  return Mutate(
      deps_, ctx, kRecordPledge, who, req, resp,
      [d](sql::Session& s, const Principal& w, const v1::RecordPledgeRequest& r, absl::Time now,
          Changes*) { return d->RecordPledge(s, w, r, now); },
      [](const v1::RecordPledgeResponse& r) { return r.volunteer().volunteer_id(); });
}

grpc::ServerUnaryReactor* DispatchService::SetOnDuty(grpc::CallbackServerContext* ctx,
                                                     const v1::SetOnDutyRequest* req,
                                                     v1::SetOnDutyResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kSetOnDuty, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kSetOnDuty));
  FINISH_IF_ERROR(ctx, kSetOnDuty, ValidateSetOnDuty(*req));
  const Dispatcher* d = deps_.dispatcher;
  return Mutate(
      deps_, ctx, kSetOnDuty, who, req, resp,
      [d](sql::Session& s, const Principal& w, const v1::SetOnDutyRequest& r, absl::Time now,
          Changes* c) { return d->SetOnDuty(s, w, r, now, c); },
      [](const v1::SetOnDutyResponse& r) { return r.volunteer().volunteer_id(); });
}

grpc::ServerUnaryReactor* DispatchService::ListVolunteers(grpc::CallbackServerContext* ctx,
                                                          const v1::ListVolunteersRequest* req,
                                                          v1::ListVolunteersResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kListVolunteers, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kListVolunteers));
  FINISH_IF_ERROR(ctx, kListVolunteers, ValidateListVolunteers(*req));
  FINISH_IF_ERROR(ctx, kListVolunteers, deps_.db->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(*resp, deps_.dispatcher->ListVolunteers(s, who, *req, deps_.clock->Now()));
    return absl::OkStatus();
  }));
  // Leaders and administrators read clear names and phones: the read is audited.
  const bool clear = who.role == auth::Role::kAdmin || who.role == auth::Role::kLeader;
  return app::FinishRead(ctx, *deps_.db, *deps_.clock, kListVolunteers, who, req->team_id(),
                         clear);
}

// ---- Tasks ----

grpc::ServerUnaryReactor* DispatchService::CreateTask(grpc::CallbackServerContext* ctx,
                                                      const v1::CreateTaskRequest* req,
                                                      v1::Task* resp) {
  ASSIGN_OR_FINISH(ctx, kCreateTask, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kCreateTask));
  FINISH_IF_ERROR(ctx, kCreateTask, ValidateCreateTask(*req, *deps_.sites));
  const Dispatcher* d = deps_.dispatcher;
  return Mutate(
      deps_, ctx, kCreateTask, who, req, resp,
      [d](sql::Session& s, const Principal& w, const v1::CreateTaskRequest& r, absl::Time now,
          Changes* c) { return d->CreateTask(s, w, r, now, c); },
      TaskIdOf);
}

grpc::ServerUnaryReactor* DispatchService::AssignTask(grpc::CallbackServerContext* ctx,
                                                      const v1::AssignTaskRequest* req,
                                                      v1::AssignTaskResponse* resp) {
  return Transit(deps_, ctx, TaskAction::kAssign, req, resp,
                 {req->request_id(), req->task_id(), req->volunteer_id(), ""});
}

grpc::ServerUnaryReactor* DispatchService::ClaimTask(grpc::CallbackServerContext* ctx,
                                                     const v1::ClaimTaskRequest* req,
                                                     v1::ClaimTaskResponse* resp) {
  return Transit(deps_, ctx, TaskAction::kClaim, req, resp,
                 {req->request_id(), req->task_id(), "", ""});
}

grpc::ServerUnaryReactor* DispatchService::StartTask(grpc::CallbackServerContext* ctx,
                                                     const v1::StartTaskRequest* req,
                                                     v1::StartTaskResponse* resp) {
  return Transit(deps_, ctx, TaskAction::kStart, req, resp,
                 {req->request_id(), req->task_id(), "", ""});
}

grpc::ServerUnaryReactor* DispatchService::CompleteTask(grpc::CallbackServerContext* ctx,
                                                        const v1::CompleteTaskRequest* req,
                                                        v1::CompleteTaskResponse* resp) {
  return Transit(deps_, ctx, TaskAction::kComplete, req, resp,
                 {req->request_id(), req->task_id(), "", req->note()});
}

grpc::ServerUnaryReactor* DispatchService::CancelTask(grpc::CallbackServerContext* ctx,
                                                      const v1::CancelTaskRequest* req,
                                                      v1::CancelTaskResponse* resp) {
  return Transit(deps_, ctx, TaskAction::kCancel, req, resp,
                 {req->request_id(), req->task_id(), "", req->reason()});
}

grpc::ServerUnaryReactor* DispatchService::GetTask(grpc::CallbackServerContext* ctx,
                                                   const v1::GetTaskRequest* req, v1::Task* resp) {
  ASSIGN_OR_FINISH(ctx, kGetTask, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kGetTask));
  FINISH_IF_ERROR(ctx, kGetTask, ValidateGetTask(*req));
  return ReadInto(deps_, ctx, kGetTask, resp, [&](sql::Session& s) {
    return deps_.dispatcher->GetTask(s, who, *req, deps_.clock->Now());
  });
}

grpc::ServerUnaryReactor* DispatchService::ListTasks(grpc::CallbackServerContext* ctx,
                                                     const v1::ListTasksRequest* req,
                                                     v1::ListTasksResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kListTasks, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kListTasks));
  FINISH_IF_ERROR(ctx, kListTasks, ValidateListTasks(*req, *deps_.sites));
  return ReadInto(deps_, ctx, kListTasks, resp, [&](sql::Session& s) {
    return deps_.dispatcher->ListTasks(s, who, *req, deps_.clock->Now());
  });
}

// ---- Schedules ----

grpc::ServerUnaryReactor* DispatchService::CreateSchedule(grpc::CallbackServerContext* ctx,
                                                          const v1::CreateScheduleRequest* req,
                                                          v1::Schedule* resp) {
  ASSIGN_OR_FINISH(ctx, kCreateSchedule, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kCreateSchedule));
  FINISH_IF_ERROR(ctx, kCreateSchedule, ValidateCreateSchedule(*req, *deps_.sites));
  const Dispatcher* d = deps_.dispatcher;
  return Mutate(
      deps_, ctx, kCreateSchedule, who, req, resp,
      [d](sql::Session& s, const Principal& w, const v1::CreateScheduleRequest& r, absl::Time now,
          Changes* c) { return d->CreateSchedule(s, w, r, now, c); },
      [](const v1::Schedule& sc) { return sc.schedule_id(); });
}

grpc::ServerUnaryReactor* DispatchService::ListSchedules(grpc::CallbackServerContext* ctx,
                                                         const v1::ListSchedulesRequest* req,
                                                         v1::ListSchedulesResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kListSchedules, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kListSchedules));
  FINISH_IF_ERROR(ctx, kListSchedules, ValidateListSchedules(*req, *deps_.sites));
  if (!req->site_id().empty()) {
    FINISH_IF_ERROR(ctx, kListSchedules, auth::CheckSite(who, req->site_id()));
  }
  return ReadInto(deps_, ctx, kListSchedules, resp,
                  [&](sql::Session& s) { return deps_.dispatcher->ListSchedules(s, who, *req); });
}

grpc::ServerUnaryReactor* DispatchService::PauseSchedule(grpc::CallbackServerContext* ctx,
                                                         const v1::PauseScheduleRequest* req,
                                                         v1::PauseScheduleResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kPauseSchedule, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kPauseSchedule));
  FINISH_IF_ERROR(ctx, kPauseSchedule, ValidatePauseSchedule(*req));
  const Dispatcher* d = deps_.dispatcher;
  return Mutate(
      deps_, ctx, kPauseSchedule, who, req, resp,
      [d](sql::Session& s, const Principal& w, const v1::PauseScheduleRequest& r, absl::Time now,
          Changes* c) { return d->PauseSchedule(s, w, r, now, c); },
      [](const v1::PauseScheduleResponse& r) { return r.schedule().schedule_id(); });
}

// ---- Notices ----

namespace {

// A notice mutation: `effect(session, who, request, now, changes)` inside RunMutation, its
// notice events published from the commit's completion (never for a replayed request_id).
template <typename Request, typename Response, typename Effect, typename ObjectOf>
grpc::ServerUnaryReactor* MutateNotices(const DispatchService::Deps& deps,
                                        grpc::CallbackServerContext* ctx, absl::string_view method,
                                        const Principal& who, const Request* req, Response* resp,
                                        Effect effect, ObjectOf object_of) {
  auto changes = std::make_shared<std::vector<NoticeChange>>();
  NoticeEventHub* hub = deps.notice_hub;
  const ChangeFeed* feed = deps.feed;
  const time::Clock* clock = deps.clock;
  return app::RunMutation(
      ctx, *deps.db, *deps.clock, method, who, *req, resp,
      [changes, effect = std::move(effect), who, req,
       clock](sql::Session& s) -> absl::StatusOr<Response> {
        changes->clear();
        ASSIGN_OR_RETURN(Response response, effect(s, who, *req, clock->Now(), changes.get()));
        RETURN_IF_ERROR(LogNoticeEvents(s, changes.get()));
        return response;
      },
      std::move(object_of),
      [changes, hub, feed](Response&, bool replayed) {
        // With a relay (PostgreSQL) the events reach the hub through it, every replica's.
        if (replayed || hub == nullptr || (feed != nullptr && feed->events_relayed())) return;
        for (const NoticeChange& c : *changes) hub->Publish(c);
      });
}

}  // namespace

grpc::ServerUnaryReactor* DispatchService::PublishNotice(grpc::CallbackServerContext* ctx,
                                                         const v1::PublishNoticeRequest* req,
                                                         v1::Notice* resp) {
  ASSIGN_OR_FINISH(ctx, kPublishNotice, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kPublishNotice));
  FINISH_IF_ERROR(ctx, kPublishNotice, ValidatePublishNotice(*req, *deps_.sites));
  const NoticeBoard* board = deps_.notices;
  return MutateNotices(
      deps_, ctx, kPublishNotice, who, req, resp,
      [board](sql::Session& s, const Principal& w, const v1::PublishNoticeRequest& r,
              absl::Time now,
              std::vector<NoticeChange>* c) { return board->Publish(s, w, r, now, c); },
      [](const v1::Notice& n) { return n.notice_id(); });
}

grpc::ServerUnaryReactor* DispatchService::ListNotices(grpc::CallbackServerContext* ctx,
                                                       const v1::ListNoticesRequest* req,
                                                       v1::ListNoticesResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kListNotices, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kListNotices));
  FINISH_IF_ERROR(ctx, kListNotices, ValidateListNotices(*req));
  return ReadInto(deps_, ctx, kListNotices, resp,
                  [&](sql::Session& s) { return deps_.notices->List(s, who, *req); });
}

grpc::ServerUnaryReactor* DispatchService::AcknowledgeNotice(
    grpc::CallbackServerContext* ctx, const v1::AcknowledgeNoticeRequest* req,
    v1::AcknowledgeNoticeResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kAcknowledgeNotice, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kAcknowledgeNotice));
  FINISH_IF_ERROR(ctx, kAcknowledgeNotice, ValidateAcknowledgeNotice(*req));
  const NoticeBoard* board = deps_.notices;
  return MutateNotices(
      deps_, ctx, kAcknowledgeNotice, who, req, resp,
      [board](sql::Session& s, const Principal& w, const v1::AcknowledgeNoticeRequest& r,
              absl::Time now,
              std::vector<NoticeChange>* c) { return board->Acknowledge(s, w, r, now, c); },
      [](const v1::AcknowledgeNoticeResponse& r) { return r.notice().notice_id(); });
}

grpc::ServerUnaryReactor* DispatchService::GetNoticeReceipts(
    grpc::CallbackServerContext* ctx, const v1::GetNoticeReceiptsRequest* req,
    v1::GetNoticeReceiptsResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kGetNoticeReceipts, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kGetNoticeReceipts));
  FINISH_IF_ERROR(ctx, kGetNoticeReceipts, ValidateGetNoticeReceipts(*req));
  return ReadInto(deps_, ctx, kGetNoticeReceipts, resp,
                  [&](sql::Session& s) { return deps_.notices->Receipts(s, who, *req); });
}

grpc::ServerWriteReactor<v1::NoticeEvent>* DispatchService::WatchNotices(
    grpc::CallbackServerContext* ctx, const v1::WatchNoticesRequest* req) {
  auto* watcher = new Watcher<v1::NoticeEvent, NoticeEventHub>(
      deps_.notice_hub, deps_.watch_queue,
      "the client did not keep up with notice events; reconnect and list the notices again");
  absl::StatusOr<Principal> who = server::AuthorizeCall(*deps_.authorizer, ctx, kWatchNotices);
  absl::Status status = who.status();
  if (status.ok()) status = ValidateWatchNotices(*req);
  std::optional<NoticeReader> reader;
  if (status.ok()) {
    status = deps_.db->Read([&](sql::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(reader, deps_.notices->ReaderFor(s, *who));
      return absl::OkStatus();
    });
  }
  if (!status.ok()) {
    watcher->FinishNow(server::ToGrpcStatus(status, kWatchNotices));
    return watcher;
  }
  watcher->Begin(*reader, req->after_seq());
  if (req->after_seq() <= 0) return watcher;
  // Subscribed first, read second (see Watcher::Resume).
  std::vector<NoticeEventPtr> backlog;
  const absl::Status read = deps_.db->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<NoticeChange> stored,
                     NoticeEventsAfter(s, req->after_seq(), ResumeLimit(deps_.watch_queue)));
    for (const NoticeChange& c : stored) {
      if (std::optional<v1::NoticeEvent> mine = NoticeEventFor(c, *reader); mine.has_value()) {
        backlog.push_back(std::make_shared<const v1::NoticeEvent>(*std::move(mine)));
      }
    }
    return absl::OkStatus();
  });
  watcher->Resume(read, std::move(backlog));
  return watcher;
}

// ---- Figures and audit ----

grpc::ServerUnaryReactor* DispatchService::GetTaskSummary(grpc::CallbackServerContext* ctx,
                                                          const v1::GetTaskSummaryRequest* req,
                                                          v1::GetTaskSummaryResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kGetTaskSummary, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kGetTaskSummary));
  FINISH_IF_ERROR(ctx, kGetTaskSummary, ValidateGetTaskSummary(*req, *deps_.sites));
  return ReadInto(deps_, ctx, kGetTaskSummary, resp, [&](sql::Session& s) {
    return deps_.dispatcher->GetTaskSummary(s, who, *req, deps_.clock->Now());
  });
}

grpc::ServerUnaryReactor* DispatchService::GetDailyStats(grpc::CallbackServerContext* ctx,
                                                         const v1::GetDailyStatsRequest* req,
                                                         v1::GetDailyStatsResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kGetDailyStats, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kGetDailyStats));
  FINISH_IF_ERROR(ctx, kGetDailyStats, ValidateGetDailyStats(*req, *deps_.sites));
  return ReadInto(deps_, ctx, kGetDailyStats, resp, [&](sql::Session& s) {
    return deps_.dispatcher->GetDailyStats(s, who, *req, deps_.clock->Now());
  });
}

grpc::ServerUnaryReactor* DispatchService::ListAuditEvents(
    grpc::CallbackServerContext* ctx, const common::v1::ListAuditEventsRequest* req,
    common::v1::ListAuditEventsResponse* resp) {
  FINISH_IF_ERROR(ctx, kListAuditEvents,
                  server::AuthorizeCall(*deps_.authorizer, ctx, kListAuditEvents).status());
  ASSIGN_OR_FINISH(ctx, kListAuditEvents, *resp, app::ListAuditEvents(*deps_.db, *req));
  return app::FinishWith(ctx, kListAuditEvents, absl::OkStatus());
}

// --- initiatives and workload ---

grpc::ServerUnaryReactor* DispatchService::PublishInitiative(
    grpc::CallbackServerContext* ctx, const v1::PublishInitiativeRequest* req,
    v1::Initiative* resp) {
  ASSIGN_OR_FINISH(ctx, kPublishInitiative, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kPublishInitiative));
  FINISH_IF_ERROR(ctx, kPublishInitiative, ValidatePublishInitiative(*req, *deps_.sites));
  const InitiativeBook* book = &deps_.dispatcher->initiatives();
  return Mutate(
      deps_, ctx, kPublishInitiative, who, req, resp,
      [book](sql::Session& s, const Principal& w, const v1::PublishInitiativeRequest& r,
             absl::Time now, Changes*) { return book->Publish(s, w, r, now); },
      [](const v1::Initiative& i) { return i.initiative_id(); });
}

grpc::ServerUnaryReactor* DispatchService::GetInitiative(grpc::CallbackServerContext* ctx,
                                                         const v1::GetInitiativeRequest* req,
                                                         v1::Initiative* resp) {
  ASSIGN_OR_FINISH(ctx, kGetInitiative, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kGetInitiative));
  FINISH_IF_ERROR(ctx, kGetInitiative, ValidateGetInitiative(*req));
  return ReadInto(deps_, ctx, kGetInitiative, resp, [&](sql::Session& s) {
    return deps_.dispatcher->initiatives().Get(s, who, *req);
  });
}

grpc::ServerUnaryReactor* DispatchService::ListInitiatives(grpc::CallbackServerContext* ctx,
                                                           const v1::ListInitiativesRequest* req,
                                                           v1::ListInitiativesResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kListInitiatives, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kListInitiatives));
  FINISH_IF_ERROR(ctx, kListInitiatives, ValidateListInitiatives(*req));
  return ReadInto(deps_, ctx, kListInitiatives, resp, [&](sql::Session& s) {
    return deps_.dispatcher->initiatives().List(s, who, *req);
  });
}

grpc::ServerUnaryReactor* DispatchService::GetVolunteerRecord(
    grpc::CallbackServerContext* ctx, const v1::GetVolunteerRecordRequest* req,
    v1::VolunteerRecord* resp) {
  ASSIGN_OR_FINISH(ctx, kGetVolunteerRecord, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kGetVolunteerRecord));
  FINISH_IF_ERROR(ctx, kGetVolunteerRecord, ValidateGetVolunteerRecord(*req));
  return ReadInto(deps_, ctx, kGetVolunteerRecord, resp, [&](sql::Session& s) {
    return deps_.dispatcher->GetVolunteerRecord(s, who, *req, deps_.clock->Now());
  });
}

// ---- Contingency plans ----

grpc::ServerUnaryReactor* DispatchService::CreatePlan(grpc::CallbackServerContext* ctx,
                                                      const v1::CreatePlanRequest* req,
                                                      v1::Plan* resp) {
  ASSIGN_OR_FINISH(ctx, kCreatePlan, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kCreatePlan));
  FINISH_IF_ERROR(ctx, kCreatePlan, ValidateCreatePlan(*req, *deps_.sites));
  const Dispatcher* d = deps_.dispatcher;
  return Mutate(
      deps_, ctx, kCreatePlan, who, req, resp,
      [d](sql::Session& s, const Principal& w, const v1::CreatePlanRequest& r, absl::Time now,
          Changes*) { return d->CreatePlan(s, w, r, now); },
      [](const v1::Plan& p) { return p.plan_id(); });
}

grpc::ServerUnaryReactor* DispatchService::ReviewPlan(grpc::CallbackServerContext* ctx,
                                                      const v1::ReviewPlanRequest* req,
                                                      v1::Plan* resp) {
  ASSIGN_OR_FINISH(ctx, kReviewPlan, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kReviewPlan));
  FINISH_IF_ERROR(ctx, kReviewPlan, ValidateReviewPlan(*req));
  const Dispatcher* d = deps_.dispatcher;
  return Mutate(
      deps_, ctx, kReviewPlan, who, req, resp,
      [d](sql::Session& s, const Principal& w, const v1::ReviewPlanRequest& r, absl::Time now,
          Changes*) { return d->ReviewPlan(s, w, r, now); },
      [](const v1::Plan& p) { return p.plan_id(); });
}

grpc::ServerUnaryReactor* DispatchService::ListPlans(grpc::CallbackServerContext* ctx,
                                                     const v1::ListPlansRequest* req,
                                                     v1::ListPlansResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kListPlans, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kListPlans));
  FINISH_IF_ERROR(ctx, kListPlans, ValidateListPlans(*req, *deps_.sites));
  return ReadInto(deps_, ctx, kListPlans, resp, [&](sql::Session& s) {
    return deps_.dispatcher->ListPlans(s, who, *req, deps_.clock->Now());
  });
}

grpc::ServerUnaryReactor* DispatchService::ActivatePlan(grpc::CallbackServerContext* ctx,
                                                        const v1::ActivatePlanRequest* req,
                                                        v1::Activation* resp) {
  ASSIGN_OR_FINISH(ctx, kActivatePlan, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kActivatePlan));
  FINISH_IF_ERROR(ctx, kActivatePlan, ValidateActivatePlan(*req));
  const Dispatcher* d = deps_.dispatcher;
  return Mutate(
      deps_, ctx, kActivatePlan, who, req, resp,
      [d](sql::Session& s, const Principal& w, const v1::ActivatePlanRequest& r, absl::Time now,
          Changes* c) { return d->ActivatePlan(s, w, r, now, c); },
      [](const v1::Activation& a) { return a.activation_id(); });
}

grpc::ServerUnaryReactor* DispatchService::GetActivation(grpc::CallbackServerContext* ctx,
                                                         const v1::GetActivationRequest* req,
                                                         v1::Activation* resp) {
  ASSIGN_OR_FINISH(ctx, kGetActivation, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kGetActivation));
  FINISH_IF_ERROR(ctx, kGetActivation, ValidateGetActivation(*req));
  return ReadInto(deps_, ctx, kGetActivation, resp, [&](sql::Session& s) {
    return deps_.dispatcher->GetActivation(s, who, *req, deps_.clock->Now());
  });
}

grpc::ServerUnaryReactor* DispatchService::ListActivations(grpc::CallbackServerContext* ctx,
                                                           const v1::ListActivationsRequest* req,
                                                           v1::ListActivationsResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kListActivations, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kListActivations));
  FINISH_IF_ERROR(ctx, kListActivations, ValidateListActivations(*req));
  return ReadInto(deps_, ctx, kListActivations, resp, [&](sql::Session& s) {
    return deps_.dispatcher->ListActivations(s, who, *req, deps_.clock->Now());
  });
}

grpc::ServerUnaryReactor* DispatchService::EndActivation(grpc::CallbackServerContext* ctx,
                                                         const v1::EndActivationRequest* req,
                                                         v1::Activation* resp) {
  ASSIGN_OR_FINISH(ctx, kEndActivation, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kEndActivation));
  FINISH_IF_ERROR(ctx, kEndActivation, ValidateEndActivation(*req));
  const Dispatcher* d = deps_.dispatcher;
  return Mutate(
      deps_, ctx, kEndActivation, who, req, resp,
      [d](sql::Session& s, const Principal& w, const v1::EndActivationRequest& r, absl::Time now,
          Changes* c) { return d->EndActivation(s, w, r, now, c); },
      [](const v1::Activation& a) { return a.activation_id(); });
}

}  // namespace lianfang::dispatch
