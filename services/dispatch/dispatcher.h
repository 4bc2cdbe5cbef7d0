// The dispatch core: every DispatchService operation as a function of a SQL session, the
// caller and the instant, combining the store (store.h) with the rules (task_board.h,
// schedule_plan.h, task_counts.h). No gRPC here: the adapter (dispatch_service.h) authorizes,
// validates (validation.h) and runs these inside app::RunMutation or Database::Read; the
// scheduler (scheduler.h) runs the slot functions.
//
// Mutations run inside the caller's write transaction and record in `changes` what to do
// once it commits (watch events, live-count increments, a scheduler wake-up); nothing leaves
// the process before the commit. Reads run on a read snapshot.
//
// Status codes, beyond the statement errors of sql::Session:
//   NOT_FOUND           unknown team, volunteer, task or schedule;
//   PERMISSION_DENIED   a caller acting outside its token's sites, a volunteer acting on
//                       another team's task or on a task assigned to someone else, a
//                       VOLUNTEER token whose subject is not an enrolled volunteer;
//   FAILED_PRECONDITION the task's state does not allow the change, or team and
//                       volunteer/site do not belong together;
//   ALREADY_EXISTS      a duplicate team name, user_sub or enrolled person;
//   INVALID_ARGUMENT    due_at in the past at creation (not for tasks raised by services);
//                       a malformed page token.
//
// Thread-safety: a Dispatcher is immutable and may be shared; each call uses its own session.
#ifndef LIANFANG_SERVICES_DISPATCH_DISPATCHER_H_
#define LIANFANG_SERVICES_DISPATCH_DISPATCHER_H_

#include <atomic>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/live/live_counts.h"
#include "common/pii/pii.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"
#include "services/dispatch/initiative_book.h"
#include "services/dispatch/schedule_plan.h"
#include "services/dispatch/store.h"
#include "services/dispatch/task_counts.h"
#include "services/dispatch/task_events.h"
#include "services/dispatch/workload.h"

namespace lianfang::dispatch {

// What a committed change leaves to do.
struct Changes {
  std::vector<v1::TaskEvent> events{};
  std::vector<SiteDelta> deltas{};
  bool schedules_changed = false;  // a schedule was created or resumed
};

// Where committed changes go. Any of the three may be null/empty. Publish must be called from
// the completion of the write that made the changes (the writer thread, in commit order) so
// that live counts stay exact; it never blocks.
//
// The writes store their events in the event log first (event_relay.h: LogTaskEvents, in the
// transaction), so the events published carry their seq. Once events_relayed is set (on
// PostgreSQL, by DispatchService::ListenForReplicas), the events reach the hubs through the
// event relay instead (every replica's, each once): Publish then applies only the counts and
// the scheduler's wake-up.
class ChangeFeed final {
 public:
  ChangeFeed(TaskEventHub* hub, live::LiveCounts* counts,
             std::function<void()> on_schedules_changed);
  void Publish(const Changes& changes) const;
  // Late binding of the scheduler's wake-up (the scheduler is built after the feed).
  void set_on_schedules_changed(std::function<void()> fn) { on_schedules_changed_ = std::move(fn); }
  // Events (task and notice ones) are published by the event relay, not from the commits.
  void set_events_relayed(bool relayed) { events_relayed_.store(relayed); }
  bool events_relayed() const { return events_relayed_.load(); }

 private:
  std::atomic<bool> events_relayed_{false};
  TaskEventHub* hub_;
  live::LiveCounts* counts_;
  std::function<void()> on_schedules_changed_;
};

class Dispatcher final {
 public:
  // None of the pointers is owned; all must outlive the Dispatcher. `limits` are the workload
  // rule's (workload.h): auto-assignment skips overworked volunteers.
  Dispatcher(const sites::SiteDirectory* sites, const pii::PersonKeyer* keyer, absl::TimeZone tz,
             WorkloadLimits limits = {});

  const DispatchStore& store() const { return store_; }
  absl::TimeZone tz() const { return tz_; }
  const WorkloadLimits& limits() const { return limits_; }
  // Initiatives (initiative_book.h): Publish, Get, List; RecordPledge pledges through it.
  const InitiativeBook& initiatives() const { return book_; }

  // ---- Mutations (write session) ----
  absl::StatusOr<v1::Team> CreateTeam(sql::Session& s, const auth::Principal& who,
                                      const v1::CreateTeamRequest& req, absl::Time now) const;
  absl::StatusOr<v1::Volunteer> EnrollVolunteer(sql::Session& s, const auth::Principal& who,
                                                const v1::EnrollVolunteerRequest& req,
                                                absl::Time now) const;
  // With initiative_id, also a pledge to that initiative (initiative_book.h): once per
  // volunteer, only to an initiative of its team's sites; the response carries the initiative.
  absl::StatusOr<v1::RecordPledgeResponse> RecordPledge(sql::Session& s, const auth::Principal& who,
                                                        const v1::RecordPledgeRequest& req,
                                                        absl::Time now) const;
  absl::StatusOr<v1::SetOnDutyResponse> SetOnDuty(sql::Session& s, const auth::Principal& who,
                                                  const v1::SetOnDutyRequest& req, absl::Time now,
                                                  Changes* changes) const;
  // SERVICE callers' tasks are URGENT, and may be due in the past (a fever follow-up delivered
  // late by an outbox is still owed); everyone else's due_at must not be in the past.
  absl::StatusOr<v1::Task> CreateTask(sql::Session& s, const auth::Principal& who,
                                      const v1::CreateTaskRequest& req, absl::Time now,
                                      Changes* changes) const;
  // The lifecycle transition `action` (AssignTask, ClaimTask, StartTask, CompleteTask,
  // CancelTask), entirely as its entry in the table of task_board.h says: who may make it,
  // from which states, what it sets, the event it announces. The task after the change.
  absl::StatusOr<v1::Task> Transit(sql::Session& s, const auth::Principal& who, TaskAction action,
                                   const TransitionRequest& req, absl::Time now,
                                   Changes* changes) const;
  absl::StatusOr<v1::Schedule> CreateSchedule(sql::Session& s, const auth::Principal& who,
                                              const v1::CreateScheduleRequest& req, absl::Time now,
                                              Changes* changes) const;
  absl::StatusOr<v1::PauseScheduleResponse> PauseSchedule(sql::Session& s,
                                                          const auth::Principal& who,
                                                          const v1::PauseScheduleRequest& req,
                                                          absl::Time now, Changes* changes) const;

  // ---- Schedules' slots ----
  // The slots due at `now` (schedule_plan.h) that have no task yet, as far as this snapshot
  // knows. Read session.
  absl::StatusOr<std::vector<Slot>> MissingSlots(sql::Session& s, absl::Time now,
                                                 absl::Duration lead) const;
  // Creates the task of each slot that no one created yet (INSERT ... ON CONFLICT DO NOTHING
  // on the slot key, in this transaction), skipping schedules paused meanwhile. Returns the
  // number of tasks created. Write session.
  absl::StatusOr<int> CreateSlotTasks(sql::Session& s, std::span<const Slot> slots, absl::Time now,
                                      Changes* changes) const;

  // ---- Reads (read session) ----
  // A caller whose token lists sites sees only the teams working on at least one of them
  // (PERMISSION_DENIED for a site_id filter outside its token).
  absl::StatusOr<v1::ListTeamsResponse> ListTeams(sql::Session& s, const auth::Principal& who,
                                                  const v1::ListTeamsRequest& req) const;
  // PERMISSION_DENIED when the team works on none of the caller's sites. `now` gives each
  // volunteer's minutes on duty today and the workload rule.
  absl::StatusOr<v1::ListVolunteersResponse> ListVolunteers(sql::Session& s,
                                                            const auth::Principal& who,
                                                            const v1::ListVolunteersRequest& req,
                                                            absl::Time now) const;
  absl::StatusOr<v1::Task> GetTask(sql::Session& s, const auth::Principal& who,
                                   const v1::GetTaskRequest& req, absl::Time now) const;
  absl::StatusOr<v1::ListTasksResponse> ListTasks(sql::Session& s, const auth::Principal& who,
                                                  const v1::ListTasksRequest& req,
                                                  absl::Time now) const;
  // A caller whose token lists sites sees only the schedules of those sites.
  absl::StatusOr<v1::ListSchedulesResponse> ListSchedules(
      sql::Session& s, const auth::Principal& who, const v1::ListSchedulesRequest& req) const;
  absl::StatusOr<v1::GetTaskSummaryResponse> GetTaskSummary(sql::Session& s,
                                                            const auth::Principal& who,
                                                            const v1::GetTaskSummaryRequest& req,
                                                            absl::Time now) const;
  absl::StatusOr<v1::GetDailyStatsResponse> GetDailyStats(sql::Session& s,
                                                          const auth::Principal& who,
                                                          const v1::GetDailyStatsRequest& req,
                                                          absl::Time now) const;
  // The events `who` may watch: a volunteer its own team's (PERMISSION_DENIED for another
  // team), others the requested team (NOT_FOUND when unknown) or all; always limited to the
  // token's sites.
  absl::StatusOr<WatchFilter> WatchFilterFor(sql::Session& s, const auth::Principal& who,
                                             const v1::WatchTasksRequest& req) const;

  // A volunteer's minutes on duty and tasks done per day (workload.h): ADMIN and LEADER any
  // volunteer of a team working on one of their token's sites, a VOLUNTEER only itself (an
  // empty volunteer_id means the caller; another one is PERMISSION_DENIED).
  absl::StatusOr<v1::VolunteerRecord> GetVolunteerRecord(sql::Session& s,
                                                         const auth::Principal& who,
                                                         const v1::GetVolunteerRecordRequest& req,
                                                         absl::Time now) const;

  // The live counts' truth (task_counts.h) of every directory site.
  absl::StatusOr<live::Snapshot> Snapshot(sql::Session& s, absl::CivilDay today,
                                          absl::Time now) const;

  // ---- Plans and activations (dispatcher_plans.cc; rules in plan_book.h) ----
  // A LEADER (any caller whose token lists sites) acts only on plans of its sites: the plan's
  // site and every step's (PERMISSION_DENIED). A step's team must exist and work on the step's
  // site (INVALID_ARGUMENT naming plan.steps[i].team_id). With plan_id set, replaces that plan
  // (NOT_FOUND when unknown): version + 1, reviewed now by the caller.
  absl::StatusOr<v1::Plan> CreatePlan(sql::Session& s, const auth::Principal& who,
                                      const v1::CreatePlanRequest& req, absl::Time now) const;
  absl::StatusOr<v1::Plan> ReviewPlan(sql::Session& s, const auth::Principal& who,
                                      const v1::ReviewPlanRequest& req, absl::Time now) const;
  // Activates the plan (NOT_FOUND when unknown): the activation and one task per step (through
  // NewTask, as CreateTask creates tasks), each step recorded with its task under the UNIQUE
  // (activation_id, step_index), all in this transaction.
  absl::StatusOr<v1::Activation> ActivatePlan(sql::Session& s, const auth::Principal& who,
                                              const v1::ActivatePlanRequest& req, absl::Time now,
                                              Changes* changes) const;
  // Ends a running activation (FAILED_PRECONDITION when it has ended), cancelling its tasks not
  // finished through the lifecycle table (CancelTask's transition) when asked.
  absl::StatusOr<v1::Activation> EndActivation(sql::Session& s, const auth::Principal& who,
                                               const v1::EndActivationRequest& req, absl::Time now,
                                               Changes* changes) const;
  // Reads: plans by name, stale marked at `now`; activations with their steps and progress
  // read from the tasks at `now`.
  absl::StatusOr<v1::ListPlansResponse> ListPlans(sql::Session& s, const auth::Principal& who,
                                                  const v1::ListPlansRequest& req,
                                                  absl::Time now) const;
  absl::StatusOr<v1::Activation> GetActivation(sql::Session& s, const auth::Principal& who,
                                               const v1::GetActivationRequest& req,
                                               absl::Time now) const;
  absl::StatusOr<v1::ListActivationsResponse> ListActivations(sql::Session& s,
                                                              const auth::Principal& who,
                                                              const v1::ListActivationsRequest& req,
                                                              absl::Time now) const;

 private:
  // The enrolled volunteer behind a VOLUNTEER token (PERMISSION_DENIED when none).
  absl::StatusOr<VolunteerRow> CallerVolunteer(sql::Session& s, const auth::Principal& who) const;
  absl::StatusOr<TaskRow> LoadTask(sql::Session& s, absl::string_view task_id) const;
  absl::StatusOr<TeamRow> LoadTeam(sql::Session& s, absl::string_view team_id) const;
  absl::StatusOr<VolunteerRow> LoadVolunteer(sql::Session& s, absl::string_view volunteer_id) const;
  // Picks the assignee of a new task of `team_id` at `now` (nullopt: none on duty and not
  // overworked).
  absl::StatusOr<std::optional<std::string>> AutoAssignee(sql::Session& s,
                                                          absl::string_view team_id,
                                                          absl::Time now) const;
  // Volunteers overworked at `now` (workload.h) per site of their team.
  absl::StatusOr<std::map<std::string, int32_t>> OverworkedPerSite(sql::Session& s,
                                                                   absl::Time now) const;
  // Fills minutes_on_duty_today and overworked of the volunteers of one team at `now`.
  absl::Status FillWorkload(sql::Session& s, absl::string_view team_id,
                            std::span<VolunteerRow> volunteers, absl::Time now) const;
  // The task `in` asks for (kind, site, title, details, priority, team, assignee, person_key,
  // source_ref, item_code; due at `due`), created by `who` as CreateTask creates it: the team
  // named (it must work on the site) or the earliest one covering the site, the assignee named
  // or picked by auto-assignment, inserted with its events and deltas. The one path every new
  // task takes (CreateTask, plan activations).
  absl::StatusOr<TaskRow> NewTask(sql::Session& s, const auth::Principal& who, const v1::Task& in,
                                  std::optional<absl::Time> due, bool auto_assign, absl::Time now,
                                  Changes* changes) const;
  // Inserts `task` and records its events and deltas.
  absl::Status AddTask(sql::Session& s, const TaskRow& task, absl::string_view actor,
                       absl::Time now, Changes* changes) const;
  // Records the event and deltas of a transition from `before` to `after`.
  void Changed(const TaskRow& before, const TaskRow& after, TaskAction action,
               absl::string_view actor, absl::Time now, Changes* changes) const;
  // The sites a read of `who` is limited to (empty = all), or PERMISSION_DENIED when it asks
  // for a site outside its token.
  absl::StatusOr<std::vector<std::string>> SitesFor(const auth::Principal& who,
                                                    absl::string_view requested_site) const;
  // OK when `who` may act on every site (its token lists none) or on one of the team's sites;
  // PERMISSION_DENIED otherwise.
  absl::Status CheckTeamSites(const auth::Principal& who, const TeamRow& team) const;

  const sites::SiteDirectory* sites_;
  const pii::PersonKeyer* keyer_;
  const absl::TimeZone tz_;
  const DispatchStore store_{};
  const WorkloadLimits limits_;
  const InitiativeStore initiative_store_{};
  const InitiativeBook book_{&store_, &initiative_store_};

  // ---- Plans (dispatcher_plans.cc) ----
  absl::StatusOr<PlanRow> LoadPlan(sql::Session& s, const auth::Principal& who,
                                   absl::string_view plan_id) const;
  // The activation with its steps and progress at `now`; NOT_FOUND when unknown,
  // PERMISSION_DENIED outside the caller's sites.
  absl::StatusOr<v1::Activation> LoadActivation(sql::Session& s, const auth::Principal& who,
                                                absl::string_view activation_id,
                                                absl::Time now) const;
  absl::StatusOr<v1::Activation> WithSteps(sql::Session& s, v1::Activation activation,
                                           absl::Time now) const;
  const PlanStore plans_{};
};

}  // namespace lianfang::dispatch

#endif  // LIANFANG_SERVICES_DISPATCH_DISPATCHER_H_
