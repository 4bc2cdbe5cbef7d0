#include "services/dispatch/dispatch_service.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
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
#include "services/dispatch/store.h"
#include "services/dispatch/validation.h"

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
        return effect(s, who, *req, clock->Now(), changes.get());
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

class DispatchService::Watcher final : public grpc::ServerWriteReactor<v1::TaskEvent>,
                                       public TaskWatcher {
 public:
  Watcher(TaskEventHub* hub, size_t capacity) : hub_(hub), queue_(capacity) {}

  // Subscribes, then sends the initial metadata: a client holding it sees every later change.
  void Begin(WatchFilter filter) {
    hub_->Subscribe(this, std::move(filter));
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    StartSendInitialMetadata();
    ready_ = true;
    PumpLocked();
  }

  void FinishNow(const grpc::Status& status) {
    absl::MutexLock lock(&mu_);
    FinishLocked(status);
  }

  void OnEvent(const EventPtr& event) override {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    if (!queue_.Push(event)) {
      FinishLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                "the client did not keep up with task events; reconnect and "
                                "list the tasks again"));
      return;
    }
    PumpLocked();
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
  void PumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || !ready_) return;
    if (EventPtr next = queue_.StartNext(); next != nullptr) StartWrite(next.get());
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  TaskEventHub* const hub_;
  EventQueue queue_;
  absl::Mutex mu_;
  bool ready_ ABSL_GUARDED_BY(mu_) = false;     // initial metadata started
  bool finished_ ABSL_GUARDED_BY(mu_) = false;  // Finish called
};

DispatchService::DispatchService(Deps deps) : deps_(std::move(deps)) {}

void DispatchService::CloseWatchers() { deps_.hub->CloseAll(); }

grpc::ServerWriteReactor<v1::TaskEvent>* DispatchService::WatchTasks(
    grpc::CallbackServerContext* ctx, const v1::WatchTasksRequest* req) {
  auto* watcher = new Watcher(deps_.hub, deps_.watch_queue);
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
  watcher->Begin(*std::move(filter));
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
    ASSIGN_OR_RETURN(*resp, deps_.dispatcher->ListVolunteers(s, who, *req));
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

}  // namespace lianfang::dispatch
