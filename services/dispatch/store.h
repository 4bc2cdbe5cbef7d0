// The SQL of the dispatch service: its schema (Migrations(), component "dispatch") and every
// statement it runs, as named constants with $N placeholders in store.cc, behind typed
// functions on a sql::Session (the caller owns the transaction: Database::Write/WriteAsync
// for changes, Database::Read for reads).
//
// Ids are server-assigned from per-kind counters kept in the database ("team-1",
// "volunteer-7", "task-42", "schedule-3"), so they are unique across processes sharing the
// database and their numbers give creation order (earliest team, earliest enrolled).
// Times are microseconds since the epoch; a task without a due time stores kNoDue.
//
// DispatchStore is stateless and thread-safe; a Session is not (one thread per transaction).
// Unless stated otherwise, functions return the statement errors of sql::Session::Execute
// (common/sql/database.h).
#ifndef LIANFANG_SERVICES_DISPATCH_STORE_H_
#define LIANFANG_SERVICES_DISPATCH_STORE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/sql/database.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"
#include "services/dispatch/task_board.h"
#include "services/dispatch/workload.h"

namespace lianfang::dispatch {

// The component name of Migrations() in lf_schema_migrations.
inline constexpr char kComponent[] = "dispatch";

// The schema of the dispatch service; apply with Database::Migrate(kComponent, ...).
std::span<const sql::Migration> Migrations();

struct TeamRow {
  std::string team_id{};
  int64_t seq = 0;
  std::string name{};
  std::vector<std::string> site_ids{};
  std::string leader_sub{};
  absl::Time created_at{};
  int64_t volunteer_count = 0;  // filled by reads
};

struct VolunteerRow {
  std::string volunteer_id{};
  int64_t seq = 0;
  std::string team_id{};
  std::string user_sub{};
  std::string person_key{};
  std::string name{};   // clear: ADMIN and LEADER read it back
  std::string phone{};  // clear, may be empty
  bool party_member = false;
  std::string pledge_text{};
  std::optional<absl::Time> pledged_at{};
  bool on_duty = false;
  absl::Time enrolled_at{};
  int64_t unfinished_tasks = 0;  // filled by reads
  // Filled by the dispatcher (workload.h): minutes on duty today, and the workload rule.
  int32_t minutes_on_duty_today = 0;
  bool overworked = false;

  VolunteerRef ref() const { return {volunteer_id, team_id}; }
};

struct TaskRow {
  std::string task_id{};
  int64_t seq = 0;
  v1::TaskKind kind = v1::TASK_KIND_UNSPECIFIED;
  std::string site_id{};
  std::string location{};
  std::string title{};
  std::string details{};
  v1::Priority priority = v1::PRIORITY_NORMAL;
  std::optional<absl::Time> due_at{};
  std::string team_id{};   // "" when no team covers the site
  std::string assignee{};  // volunteer id, "" while open
  v1::TaskStatus status = v1::TASK_STATUS_OPEN;
  std::string created_by{};
  absl::Time created_at{};
  std::optional<absl::Time> assigned_at{};
  std::optional<absl::Time> started_at{};
  std::optional<absl::Time> completed_at{};
  std::optional<absl::Time> cancelled_at{};
  std::string completion_note{};
  std::string cancel_reason{};
  std::string schedule_id{};
  std::string person_key{};
  std::string source_ref{};
  std::string item_code{};  // supply deliveries: the supplies item; "" otherwise

  TaskState state() const { return {status, team_id, assignee}; }
};

// What a transition writes besides the status and time of its table entry (task_board.h).
struct TransitionArgs {
  std::string assignee{};  // entries that assign: the new assignee
  std::string team_id{};   // entries that assign: the task's team afterwards
  std::string text{};      // the entry's text_column (completion note, cancel reason)
  // The acting volunteer, when a volunteer acts: the UPDATE then also checks the entry's
  // actor rule, so no concurrent change slips between the check and the write.
  std::optional<VolunteerRef> by{};
};

struct ScheduleRow {
  v1::Schedule schedule{};  // every field filled, `paused` included
  int64_t seq = 0;
  absl::Time active_since{};  // creation or last resume
};

// Filters of ListTasks; empty / zero members do not filter.
struct TaskFilter {
  std::string team_id{};
  std::string site_id{};
  v1::TaskStatus status = v1::TASK_STATUS_UNSPECIFIED;
  v1::TaskKind kind = v1::TASK_KIND_UNSPECIFIED;
  std::string assignee{};
  bool overdue_only = false;
  std::vector<std::string> sites_any_of{};  // the caller's token sites; empty = all
};

// The keyset position of ListTasks: (priority desc, due asc, seq asc).
struct TaskCursor {
  int64_t priority = 0;
  int64_t due_micros = 0;
  int64_t seq = 0;
};

// One site's figures read from SQL (live: now; day: one calendar day).
struct SiteTaskFigures {
  int64_t open = 0;
  int64_t assigned = 0;
  int64_t in_progress = 0;
  int64_t overdue = 0;  // unfinished with due < now
  int64_t volunteers_on_duty = 0;
};
struct SiteDayFigures {
  int64_t created = 0;
  int64_t done = 0;
  int64_t overdue = 0;  // due in the day, due < now, not cancelled, not done by its due time
  int64_t disinfection_planned = 0;  // disinfection due in the day, not cancelled
  int64_t disinfection_done = 0;     // disinfection due in the day and done
  int64_t volunteers_on_duty = 0;    // on duty at any time of the day
  int64_t fever_followups = 0;       // fever follow-ups created in the day
  int64_t cancelled = 0;
};

class DispatchStore final {
 public:
  // The next id of `kind` ("team", "volunteer", "task", "schedule") with its number.
  struct NewId {
    std::string id{};
    int64_t seq = 0;
  };
  absl::StatusOr<NewId> NextId(sql::Session& s, absl::string_view kind) const;

  // ---- Teams ----
  // ALREADY_EXISTS "a team with this name already exists".
  absl::Status InsertTeam(sql::Session& s, const TeamRow& team) const;
  absl::StatusOr<std::optional<TeamRow>> FindTeam(sql::Session& s, absl::string_view team_id) const;
  // Teams by name, optionally only those working on `site_id`.
  absl::StatusOr<std::vector<TeamRow>> ListTeams(sql::Session& s, absl::string_view site_id,
                                                 int64_t offset, int64_t limit) const;
  // The same, and when `site_id` is empty and `sites_any_of` is not, only the teams working on
  // at least one of `sites_any_of` (a caller restricted to some sites).
  absl::StatusOr<std::vector<TeamRow>> ListTeams(sql::Session& s, absl::string_view site_id,
                                                 std::span<const std::string> sites_any_of,
                                                 int64_t offset, int64_t limit) const;
  // The earliest created team working on `site_id`, if any.
  absl::StatusOr<std::optional<std::string>> TeamCoveringSite(sql::Session& s,
                                                              absl::string_view site_id) const;

  // ---- Volunteers ----
  // ALREADY_EXISTS naming the clash (user_sub, or the person).
  absl::Status InsertVolunteer(sql::Session& s, const VolunteerRow& v) const;
  absl::StatusOr<std::optional<VolunteerRow>> FindVolunteer(sql::Session& s,
                                                            absl::string_view volunteer_id) const;
  absl::StatusOr<std::optional<VolunteerRow>> FindVolunteerBySub(sql::Session& s,
                                                                 absl::string_view user_sub) const;
  // Volunteers of a team by enrolment, after `after_seq` (0 = from the first).
  absl::StatusOr<std::vector<VolunteerRow>> ListVolunteers(sql::Session& s,
                                                           absl::string_view team_id,
                                                           bool on_duty_only, int64_t after_seq,
                                                           int64_t limit) const;
  absl::Status SetPledge(sql::Session& s, absl::string_view volunteer_id, absl::string_view text,
                         absl::Time at) const;
  // Sets the flag and opens or closes the volunteer's duty period. REQUIRES: the flag changes.
  absl::Status SetOnDuty(sql::Session& s, absl::string_view volunteer_id, bool on_duty,
                         absl::Time at) const;
  // The on-duty volunteers of a team with their unfinished task counts.
  absl::StatusOr<std::vector<Candidate>> OnDutyCandidates(sql::Session& s,
                                                          absl::string_view team_id) const;

  // ---- Tasks ----
  absl::Status InsertTask(sql::Session& s, const TaskRow& task) const;
  absl::StatusOr<std::optional<TaskRow>> FindTask(sql::Session& s, absl::string_view task_id) const;
  // The check-and-set of transition `t` (task_board.h), one conditional UPDATE built from the
  // table entry: the row after the change, or nullopt when the task was not in one of
  // `t.from` or, with `args.by` set, fails the entry's actor rule (kTeamVolunteer: not of the
  // volunteer's team; kAssignee, kAssigneeOrLeader: not assigned to the volunteer).
  absl::StatusOr<std::optional<TaskRow>> Transit(sql::Session& s, const TaskTransition& t,
                                                 absl::string_view task_id,
                                                 const TransitionArgs& args, absl::Time at) const;
  // Tasks matching `filter`, most urgent then earliest due first, after `after` (nullopt =
  // from the first); `now` decides overdue_only.
  absl::StatusOr<std::vector<TaskRow>> ListTasks(sql::Session& s, const TaskFilter& filter,
                                                 const std::optional<TaskCursor>& after,
                                                 absl::Time now, int64_t limit) const;

  // ---- Schedules ----
  absl::Status InsertSchedule(sql::Session& s, const ScheduleRow& row) const;
  absl::StatusOr<std::optional<ScheduleRow>> FindSchedule(sql::Session& s,
                                                          absl::string_view schedule_id) const;
  absl::StatusOr<std::vector<ScheduleRow>> ListSchedules(sql::Session& s, absl::string_view site_id,
                                                         absl::string_view team_id,
                                                         int64_t after_seq, int64_t limit) const;
  // The same, and when `sites_any_of` is not empty, only schedules of one of those sites.
  absl::StatusOr<std::vector<ScheduleRow>> ListSchedules(sql::Session& s, absl::string_view site_id,
                                                         absl::string_view team_id,
                                                         std::span<const std::string> sites_any_of,
                                                         int64_t after_seq, int64_t limit) const;
  // Every schedule that is not paused.
  absl::StatusOr<std::vector<ScheduleRow>> ActiveSchedules(sql::Session& s) const;
  // Pauses or resumes; a resume sets active_since to `at`.
  absl::Status SetPaused(sql::Session& s, absl::string_view schedule_id, bool paused,
                         absl::Time at) const;
  // The "date|time|area" keys of the slots of `schedule_id` created on or after `from_date`.
  absl::StatusOr<std::vector<std::string>> SlotKeys(sql::Session& s, absl::string_view schedule_id,
                                                    absl::string_view from_date) const;
  // Claims a slot: INSERT ... ON CONFLICT DO NOTHING. True when this call inserted it (its
  // task must then be created in the same transaction), false when it already existed.
  absl::StatusOr<bool> ClaimSlot(sql::Session& s, absl::string_view schedule_id,
                                 absl::string_view date, absl::string_view time,
                                 absl::string_view area, absl::Time at) const;
  // Records the task created for a claimed slot.
  absl::Status SetSlotTask(sql::Session& s, absl::string_view schedule_id, absl::string_view date,
                           absl::string_view time, absl::string_view area,
                           absl::string_view task_id) const;

  // ---- Figures ----
  // Live figures of every site with tasks or on-duty volunteers (others are zero).
  absl::StatusOr<std::map<std::string, SiteTaskFigures>> LiveFigures(sql::Session& s,
                                                                     absl::Time now) const;
  // Figures of the day [start, end) for every site with any (others are zero); `now` decides
  // what is overdue.
  absl::StatusOr<std::map<std::string, SiteDayFigures>> DayFigures(sql::Session& s,
                                                                   absl::Time start, absl::Time end,
                                                                   absl::Time now) const;
};

// The API view of a task at `now` (overdue derived). `caller_volunteer_id` is the calling
// volunteer's id when a VOLUNTEER asks ("" for every other role): assigned_to_caller is true
// when the task is assigned to it.
v1::Task ToProto(const TaskRow& task, absl::Time now, absl::string_view caller_volunteer_id = "");
// The API view of a team.
v1::Team ToProto(const TeamRow& team);
// The API view of a volunteer; name and phone in clear only when `full` (ADMIN, LEADER).
v1::Volunteer ToProto(const VolunteerRow& volunteer, bool full);

// --- notices ---
// The notices (notice_board.h) and their acknowledgements, schema version 3. A notice is
// stored as its Notice message (title, body, audience, requires_study, published_by,
// published_at) with its number and its sites ("a,b"; "" for everywhere).

struct NoticeRow {
  v1::Notice notice{};  // notice_id, title, body, audience, requires_study, published_*
  int64_t seq = 0;
  std::vector<std::string> sites{};
};

// One acknowledgement: the reader's subject, its volunteer and team when it is one, the
// sites recorded with it, when it read and when it studied.
struct NoticeAckRow {
  std::string notice_id{};
  std::string user_sub{};
  std::string volunteer_id{};
  std::string team_id{};
  std::vector<std::string> site_ids{};
  absl::Time read_at{};
  std::optional<absl::Time> studied_at{};
};

// An enrolled volunteer with what audience matching needs.
struct NoticeVolunteer {
  std::string volunteer_id{};
  int64_t seq = 0;
  std::string user_sub{};
  std::string team_id{};
  std::string name{};  // clear: masked before it leaves the service
  std::vector<std::string> team_sites{};
};

class NoticeStore final {
 public:
  absl::Status InsertNotice(sql::Session& s, const NoticeRow& row) const;
  absl::StatusOr<std::optional<NoticeRow>> FindNotice(sql::Session& s,
                                                      absl::string_view notice_id) const;
  // Every notice, newest first.
  absl::StatusOr<std::vector<NoticeRow>> AllNotices(sql::Session& s) const;
  absl::StatusOr<std::optional<NoticeAckRow>> FindAck(sql::Session& s, absl::string_view notice_id,
                                                      absl::string_view user_sub) const;
  absl::Status InsertAck(sql::Session& s, const NoticeAckRow& ack) const;
  // Sets studied_at where it is not set yet.
  absl::Status SetStudied(sql::Session& s, absl::string_view notice_id, absl::string_view user_sub,
                          absl::Time at) const;
  // The acknowledgements of one notice, earliest read first.
  absl::StatusOr<std::vector<NoticeAckRow>> AcksOf(sql::Session& s,
                                                   absl::string_view notice_id) const;
  // The acknowledgements of one reader, by notice id.
  absl::StatusOr<std::map<std::string, NoticeAckRow>> AcksBy(sql::Session& s,
                                                             absl::string_view user_sub) const;
  // Every enrolled volunteer with its team's sites, by enrolment.
  absl::StatusOr<std::vector<NoticeVolunteer>> Volunteers(sql::Session& s) const;
};

// --- initiatives and workload ---

// An initiative (倡议) as stored.
struct InitiativeRow {
  std::string initiative_id{};
  int64_t seq = 0;
  std::string title{};
  std::string body{};
  std::vector<std::string> site_ids{};
  std::string published_by{};
  absl::Time published_at{};
};

// A volunteer of a team working on an initiative's sites, and whether it pledged to it.
struct InitiativeMember {
  std::string team_id{};
  bool party_member = false;
  bool pledged = false;
};

// A team working on some sites: id and name.
struct TeamName {
  std::string team_id{};
  std::string name{};
};

// A volunteer of a team working on a site, with its unfinished task count (one row per site
// of its team).
struct SiteVolunteerLoad {
  std::string site_id{};
  std::string volunteer_id{};
  int64_t unfinished_tasks = 0;
};

// The statements of initiatives, pledges to them and the workload figures (schema version 4:
// dispatch_initiatives, dispatch_initiative_sites, dispatch_initiative_pledges, the
// "initiative" id counter). Stateless and thread-safe like DispatchStore.
class InitiativeStore final {
 public:
  absl::Status InsertInitiative(sql::Session& s, const InitiativeRow& row) const;
  absl::StatusOr<std::optional<InitiativeRow>> FindInitiative(
      sql::Session& s, absl::string_view initiative_id) const;
  // Newest first, with seq < `before_seq` (0 = from the newest); when `sites_any_of` is not
  // empty, only initiatives addressed to at least one of them.
  absl::StatusOr<std::vector<InitiativeRow>> ListInitiatives(
      sql::Session& s, std::span<const std::string> sites_any_of, int64_t before_seq,
      int64_t limit) const;
  // The teams working on at least one site of the initiative.
  absl::StatusOr<std::vector<TeamName>> InitiativeTeams(sql::Session& s,
                                                        absl::string_view initiative_id) const;
  // The volunteers of those teams, each with whether it pledged to the initiative.
  absl::StatusOr<std::vector<InitiativeMember>> InitiativeMembers(
      sql::Session& s, absl::string_view initiative_id) const;
  // Records a pledge: true when inserted, false when the volunteer had already pledged to it.
  absl::StatusOr<bool> InsertPledge(sql::Session& s, absl::string_view initiative_id,
                                    absl::string_view volunteer_id, absl::string_view text,
                                    absl::Time at) const;
  absl::StatusOr<bool> HasPledged(sql::Session& s, absl::string_view initiative_id,
                                  absl::string_view volunteer_id) const;

  // Duty periods of one volunteer overlapping [from, to).
  absl::StatusOr<std::vector<DutyPeriod>> DutyPeriods(sql::Session& s,
                                                      absl::string_view volunteer_id,
                                                      absl::Time from, absl::Time to) const;
  // Duty periods of every volunteer that lasted past `since` (still open, or ended after it),
  // by volunteer id.
  absl::StatusOr<std::map<std::string, std::vector<DutyPeriod>>> DutyPeriodsSince(
      sql::Session& s, absl::Time since) const;
  // The same, for the volunteers of one team.
  absl::StatusOr<std::map<std::string, std::vector<DutyPeriod>>> TeamDutyPeriodsSince(
      sql::Session& s, absl::string_view team_id, absl::Time since) const;
  // Completion times in [from, to) of the tasks done by one volunteer.
  absl::StatusOr<std::vector<absl::Time>> CompletionTimes(sql::Session& s,
                                                          absl::string_view volunteer_id,
                                                          absl::Time from, absl::Time to) const;
  // Every volunteer with the sites of its team and its unfinished task count.
  absl::StatusOr<std::vector<SiteVolunteerLoad>> SiteVolunteerLoads(sql::Session& s) const;
};

// --- plans ---

// A stored plan: `plan` has every field but `stale` (derived at each read).
struct PlanRow {
  v1::Plan plan{};
  int64_t seq = 0;
};

// A stored activation: `activation` has its own fields, no steps and no progress.
struct ActivationRow {
  v1::Activation activation{};
  int64_t seq = 0;
};

// One step of an activation with what its task says now.
struct ActivationStepRow {
  int index = 0;
  std::string title{};
  std::string task_id{};
  std::optional<absl::Time> due_at{};
  v1::TaskStatus status = v1::TASK_STATUS_UNSPECIFIED;
};

// The plans and activations of the dispatch service (schema version 5). Plans keep their
// current version (the steps as a serialized v1::Plan); an activation keeps the plan's name and
// version as activated and one row per step naming its task, UNIQUE (activation_id,
// step_index), written in the transaction that creates the task.
class PlanStore final {
 public:
  absl::Status InsertPlan(sql::Session& s, const PlanRow& row) const;
  // Replaces name, scenario, site, steps, version and review of `plan` (by plan_id).
  absl::Status UpdatePlan(sql::Session& s, const v1::Plan& plan) const;
  absl::StatusOr<std::optional<PlanRow>> FindPlan(sql::Session& s, absl::string_view plan_id) const;
  absl::Status SetPlanReviewed(sql::Session& s, absl::string_view plan_id, absl::Time at,
                               absl::string_view by) const;
  // Plans by name (then creation), of `site_id` when set, else of one of `sites_any_of` when
  // that is not empty; with `reviewed_before` set, only those reviewed before it (stale).
  absl::StatusOr<std::vector<PlanRow>> ListPlans(sql::Session& s, absl::string_view site_id,
                                                 std::span<const std::string> sites_any_of,
                                                 std::optional<absl::Time> reviewed_before,
                                                 int64_t offset, int64_t limit) const;

  absl::Status InsertActivation(sql::Session& s, const ActivationRow& row) const;
  // ALREADY_EXISTS (a constraint violation) when the step was recorded before.
  absl::Status InsertActivationStep(sql::Session& s, absl::string_view activation_id, int index,
                                    absl::string_view title, absl::string_view task_id) const;
  absl::StatusOr<std::optional<ActivationRow>> FindActivation(
      sql::Session& s, absl::string_view activation_id) const;
  // Activations newest first, of `plan_id` when set, of one of `sites_any_of` when that is not
  // empty.
  absl::StatusOr<std::vector<ActivationRow>> ListActivations(
      sql::Session& s, absl::string_view plan_id, std::span<const std::string> sites_any_of,
      int64_t offset, int64_t limit) const;
  // The steps of an activation in order, with their tasks' due time and status.
  absl::StatusOr<std::vector<ActivationStepRow>> ActivationSteps(
      sql::Session& s, absl::string_view activation_id) const;
  // Sets ended_at; false when the activation had already ended (nothing changed).
  absl::StatusOr<bool> EndActivation(sql::Session& s, absl::string_view activation_id,
                                     absl::Time at) const;
};

// --- the event log (schema version 6) ---

// One stored watch event: a TaskEvent (stream "task") or a NoticeEvent (stream "notice"),
// serialized without its seq, with the sites that decide who receives a notice event.
struct EventRow {
  int64_t seq = 0;
  std::string stream{};
  absl::Time at{};
  std::vector<std::string> sites{};
  std::string event{};
};

// dispatch_events: every task and notice event, written in the transaction of its change, so
// that WatchTasks and WatchNotices can resume (after_seq) and every replica on one PostgreSQL
// database can relay every replica's events (event_relay.h). seq is the row's serial key.
class EventStore final {
 public:
  // Stores the event and returns its seq.
  absl::StatusOr<int64_t> InsertEvent(sql::Session& s, const EventRow& row) const;
  absl::StatusOr<std::optional<EventRow>> FindEvent(sql::Session& s, int64_t seq) const;
  // The latest `limit` events of seq > `after` (of `stream` when not empty), oldest first.
  absl::StatusOr<std::vector<EventRow>> EventsAfter(sql::Session& s, int64_t after,
                                                    absl::string_view stream, int limit) const;
  // The highest seq stored; 0 when none.
  absl::StatusOr<int64_t> LatestEventSeq(sql::Session& s) const;
  // Deletes at most `limit` events that happened before `before`, oldest first; how many.
  absl::StatusOr<int64_t> PurgeEvents(sql::Session& s, absl::Time before, int64_t limit) const;
};

}  // namespace lianfang::dispatch

#endif  // LIANFANG_SERVICES_DISPATCH_STORE_H_
