// lianfang.dispatch.v1.DispatchService over gRPC (callback API): the thin adapter between the
// wire and the dispatch core (dispatcher.h). Every method, ListAuditEvents included, starts
// with the shared authorization check (server::AuthorizeCall), validates its request
// (validation.h), then runs the core: mutations through app::RunMutation (idempotent by
// request_id, audited, group-committed, answered from the commit's completion, which also
// publishes the watch events and live-count increments), reads on a read snapshot.
//
// WatchTasks (and WatchNotices, on the NoticeEventHub, notice_board.h) keeps one
// server-streaming reactor per client, subscribed to the TaskEventHub
// with a bounded queue: a client that does not keep up is dropped with RESOURCE_EXHAUSTED
// (it reconnects and lists again); a client that goes away is unsubscribed at once. The
// reactor sends its initial metadata as soon as it is subscribed, so a client that has
// received it (ClientReader::WaitForInitialMetadata) sees every later change. Every event
// carries its seq in the event log (event_relay.h); a client reconnecting with after_seq is
// first sent the events it missed (at most half its queue, the latest), then the live ones.
// On PostgreSQL, after ListenForReplicas, the hubs are fed by the event relay with the events
// of every replica on the database.
//
// Thread-safety: all handlers may run concurrently. The service must outlive the server that
// serves it; call CloseWatchers() before shutting the server down so that open streams end at
// once instead of holding the drain.
#ifndef LIANFANG_SERVICES_DISPATCH_DISPATCH_SERVICE_H_
#define LIANFANG_SERVICES_DISPATCH_DISPATCH_SERVICE_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <cstddef>
#include <memory>

#include "absl/time/time.h"
#include "common/auth/authorizer.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "common/time/clock.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"
#include "services/dispatch/dispatcher.h"
#include "services/dispatch/event_relay.h"
#include "services/dispatch/notice_board.h"
#include "services/dispatch/task_events.h"

namespace lianfang::dispatch {

class DispatchService final : public v1::DispatchService::CallbackService {
 public:
  // What the service uses; nothing is owned and everything must outlive the service.
  struct Deps {
    sql::Database* db = nullptr;
    const time::Clock* clock = nullptr;
    const auth::Authorizer* authorizer = nullptr;
    const sites::SiteDirectory* sites = nullptr;
    const Dispatcher* dispatcher = nullptr;
    // Where committed task changes go; ListenForReplicas marks its events relayed.
    ChangeFeed* feed = nullptr;
    TaskEventHub* hub = nullptr;
    absl::TimeZone tz{};
    // Events buffered per WatchTasks (and WatchNotices) client before it is dropped.
    size_t watch_queue = 256;
    const NoticeBoard* notices = nullptr;
    NoticeEventHub* notice_hub = nullptr;
  };

  explicit DispatchService(Deps deps);
  ~DispatchService() override;
  DispatchService(const DispatchService&) = delete;
  DispatchService& operator=(const DispatchService&) = delete;

  // Finishes every open WatchTasks and WatchNotices stream with UNAVAILABLE ("reconnect").
  void CloseWatchers();

  // On PostgreSQL: feeds WatchTasks and WatchNotices from the events every replica on the
  // database commits (EventRelay, listening on `database_url`, the URL `db` was opened from)
  // instead of from this process' own commits (the feed's events_relayed is set). Call once,
  // before serving. OK and nothing done on SQLite; errors of EventRelay::Start (UNAVAILABLE
  // when the database cannot be reached).
  absl::Status ListenForReplicas(absl::string_view database_url);
  // The relay started by ListenForReplicas; null when none (for tests).
  EventRelay* relay() { return relay_.get(); }

  grpc::ServerUnaryReactor* CreateTeam(grpc::CallbackServerContext* ctx,
                                       const v1::CreateTeamRequest* req, v1::Team* resp) override;
  grpc::ServerUnaryReactor* ListTeams(grpc::CallbackServerContext* ctx,
                                      const v1::ListTeamsRequest* req,
                                      v1::ListTeamsResponse* resp) override;
  grpc::ServerUnaryReactor* EnrollVolunteer(grpc::CallbackServerContext* ctx,
                                            const v1::EnrollVolunteerRequest* req,
                                            v1::Volunteer* resp) override;
  grpc::ServerUnaryReactor* RecordPledge(grpc::CallbackServerContext* ctx,
                                         const v1::RecordPledgeRequest* req,
                                         v1::RecordPledgeResponse* resp) override;
  grpc::ServerUnaryReactor* SetOnDuty(grpc::CallbackServerContext* ctx,
                                      const v1::SetOnDutyRequest* req,
                                      v1::SetOnDutyResponse* resp) override;
  grpc::ServerUnaryReactor* ListVolunteers(grpc::CallbackServerContext* ctx,
                                           const v1::ListVolunteersRequest* req,
                                           v1::ListVolunteersResponse* resp) override;
  grpc::ServerUnaryReactor* CreateTask(grpc::CallbackServerContext* ctx,
                                       const v1::CreateTaskRequest* req, v1::Task* resp) override;
  grpc::ServerUnaryReactor* AssignTask(grpc::CallbackServerContext* ctx,
                                       const v1::AssignTaskRequest* req,
                                       v1::AssignTaskResponse* resp) override;
  grpc::ServerUnaryReactor* ClaimTask(grpc::CallbackServerContext* ctx,
                                      const v1::ClaimTaskRequest* req,
                                      v1::ClaimTaskResponse* resp) override;
  grpc::ServerUnaryReactor* StartTask(grpc::CallbackServerContext* ctx,
                                      const v1::StartTaskRequest* req,
                                      v1::StartTaskResponse* resp) override;
  grpc::ServerUnaryReactor* CompleteTask(grpc::CallbackServerContext* ctx,
                                         const v1::CompleteTaskRequest* req,
                                         v1::CompleteTaskResponse* resp) override;
  grpc::ServerUnaryReactor* CancelTask(grpc::CallbackServerContext* ctx,
                                       const v1::CancelTaskRequest* req,
                                       v1::CancelTaskResponse* resp) override;
  grpc::ServerUnaryReactor* GetTask(grpc::CallbackServerContext* ctx, const v1::GetTaskRequest* req,
                                    v1::Task* resp) override;
  grpc::ServerUnaryReactor* ListTasks(grpc::CallbackServerContext* ctx,
                                      const v1::ListTasksRequest* req,
                                      v1::ListTasksResponse* resp) override;
  grpc::ServerWriteReactor<v1::TaskEvent>* WatchTasks(grpc::CallbackServerContext* ctx,
                                                      const v1::WatchTasksRequest* req) override;
  grpc::ServerUnaryReactor* CreateSchedule(grpc::CallbackServerContext* ctx,
                                           const v1::CreateScheduleRequest* req,
                                           v1::Schedule* resp) override;
  grpc::ServerUnaryReactor* ListSchedules(grpc::CallbackServerContext* ctx,
                                          const v1::ListSchedulesRequest* req,
                                          v1::ListSchedulesResponse* resp) override;
  grpc::ServerUnaryReactor* PauseSchedule(grpc::CallbackServerContext* ctx,
                                          const v1::PauseScheduleRequest* req,
                                          v1::PauseScheduleResponse* resp) override;
  grpc::ServerUnaryReactor* GetTaskSummary(grpc::CallbackServerContext* ctx,
                                           const v1::GetTaskSummaryRequest* req,
                                           v1::GetTaskSummaryResponse* resp) override;
  grpc::ServerUnaryReactor* GetDailyStats(grpc::CallbackServerContext* ctx,
                                          const v1::GetDailyStatsRequest* req,
                                          v1::GetDailyStatsResponse* resp) override;
  grpc::ServerUnaryReactor* PublishNotice(grpc::CallbackServerContext* ctx,
                                          const v1::PublishNoticeRequest* req,
                                          v1::Notice* resp) override;
  grpc::ServerUnaryReactor* ListNotices(grpc::CallbackServerContext* ctx,
                                        const v1::ListNoticesRequest* req,
                                        v1::ListNoticesResponse* resp) override;
  grpc::ServerUnaryReactor* AcknowledgeNotice(grpc::CallbackServerContext* ctx,
                                              const v1::AcknowledgeNoticeRequest* req,
                                              v1::AcknowledgeNoticeResponse* resp) override;
  grpc::ServerUnaryReactor* GetNoticeReceipts(grpc::CallbackServerContext* ctx,
                                              const v1::GetNoticeReceiptsRequest* req,
                                              v1::GetNoticeReceiptsResponse* resp) override;
  grpc::ServerWriteReactor<v1::NoticeEvent>* WatchNotices(
      grpc::CallbackServerContext* ctx, const v1::WatchNoticesRequest* req) override;
  // --- initiatives and workload ---
  grpc::ServerUnaryReactor* PublishInitiative(grpc::CallbackServerContext* ctx,
                                              const v1::PublishInitiativeRequest* req,
                                              v1::Initiative* resp) override;
  grpc::ServerUnaryReactor* GetInitiative(grpc::CallbackServerContext* ctx,
                                          const v1::GetInitiativeRequest* req,
                                          v1::Initiative* resp) override;
  grpc::ServerUnaryReactor* ListInitiatives(grpc::CallbackServerContext* ctx,
                                            const v1::ListInitiativesRequest* req,
                                            v1::ListInitiativesResponse* resp) override;
  grpc::ServerUnaryReactor* GetVolunteerRecord(grpc::CallbackServerContext* ctx,
                                               const v1::GetVolunteerRecordRequest* req,
                                               v1::VolunteerRecord* resp) override;
  grpc::ServerUnaryReactor* ListAuditEvents(grpc::CallbackServerContext* ctx,
                                            const common::v1::ListAuditEventsRequest* req,
                                            common::v1::ListAuditEventsResponse* resp) override;

  // ---- Contingency plans (plan_book.h, dispatcher_plans.cc) ----
  grpc::ServerUnaryReactor* CreatePlan(grpc::CallbackServerContext* ctx,
                                       const v1::CreatePlanRequest* req, v1::Plan* resp) override;
  grpc::ServerUnaryReactor* ReviewPlan(grpc::CallbackServerContext* ctx,
                                       const v1::ReviewPlanRequest* req, v1::Plan* resp) override;
  grpc::ServerUnaryReactor* ListPlans(grpc::CallbackServerContext* ctx,
                                      const v1::ListPlansRequest* req,
                                      v1::ListPlansResponse* resp) override;
  grpc::ServerUnaryReactor* ActivatePlan(grpc::CallbackServerContext* ctx,
                                         const v1::ActivatePlanRequest* req,
                                         v1::Activation* resp) override;
  grpc::ServerUnaryReactor* GetActivation(grpc::CallbackServerContext* ctx,
                                          const v1::GetActivationRequest* req,
                                          v1::Activation* resp) override;
  grpc::ServerUnaryReactor* ListActivations(grpc::CallbackServerContext* ctx,
                                            const v1::ListActivationsRequest* req,
                                            v1::ListActivationsResponse* resp) override;
  grpc::ServerUnaryReactor* EndActivation(grpc::CallbackServerContext* ctx,
                                          const v1::EndActivationRequest* req,
                                          v1::Activation* resp) override;

 private:
  // One server stream of `Event`s fed by `Hub` (TaskEventHub, NoticeEventHub).
  template <typename Event, typename Hub>
  class Watcher;

  const Deps deps_;
  // Set by ListenForReplicas before serving; stopped before the hubs it publishes to go.
  std::unique_ptr<EventRelay> relay_;
};

}  // namespace lianfang::dispatch

#endif  // LIANFANG_SERVICES_DISPATCH_DISPATCH_SERVICE_H_
