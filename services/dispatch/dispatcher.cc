#include "services/dispatch/dispatcher.h"

#include <algorithm>
#include <limits>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/auth/authorizer.h"
#include "common/redis/keys.h"
#include "common/request/request.h"
#include "common/server/errors.h"
#include "common/sql/page_token.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"
#include "services/dispatch/task_board.h"

namespace lianfang::dispatch {
namespace {

using auth::Principal;
using auth::Role;

bool FullView(const Principal& who) {
  return who.role == Role::kAdmin || who.role == Role::kLeader;
}

// The Chinese label of a kind, for the titles of scheduled tasks (GLOSSARY.md).
absl::string_view KindLabel(v1::TaskKind kind) {
  switch (kind) {
    case v1::TASK_KIND_DISINFECTION:
      return "消毒";
    case v1::TASK_KIND_DOOR_TO_DOOR_SURVEY:
      return "入户摸排";
    case v1::TASK_KIND_TENANT_VERIFICATION:
      return "租户核实";
    case v1::TASK_KIND_PUBLICITY:
      return "宣传";
    case v1::TASK_KIND_SUPPLY_DELIVERY:
      return "物资配送";
    case v1::TASK_KIND_GATE_DUTY:
      return "门岗值守";
    case v1::TASK_KIND_FEVER_FOLLOWUP:
      return "发热随访";
    default:
      return "任务";
  }
}

bool Covers(const TeamRow& team, absl::string_view site_id) {
  return std::find(team.site_ids.begin(), team.site_ids.end(), site_id) != team.site_ids.end();
}

// The id ToProto marks assigned_to_caller with: the calling volunteer's, for VOLUNTEER callers.
std::string CallerVolunteerId(const Principal& who, const std::optional<VolunteerRow>& me) {
  if (who.role != Role::kVolunteer || !me.has_value()) return "";
  return me->volunteer_id;
}

// Explains why a conditional UPDATE found nothing to change: the rules applied to the state
// read earlier in the same transaction.
absl::Status Refusal(const TaskRow& before, TaskAction action) {
  if (absl::Status s = CheckTransition(before.state(), action); !s.ok()) return s;
  return absl::FailedPreconditionError("the task changed meanwhile; read it again");
}

}  // namespace

ChangeFeed::ChangeFeed(TaskEventHub* hub, live::LiveCounts* counts,
                       std::function<void()> on_schedules_changed)
    : hub_(hub), counts_(counts), on_schedules_changed_(std::move(on_schedules_changed)) {}

void ChangeFeed::Publish(const Changes& changes) const {
  if (counts_ != nullptr) {
    for (const SiteDelta& d : changes.deltas) counts_->Apply(d.first, d.second);
  }
  if (hub_ != nullptr && !events_relayed()) {
    for (const v1::TaskEvent& e : changes.events) hub_->Publish(e);
  }
  if (changes.schedules_changed && on_schedules_changed_) on_schedules_changed_();
}

Dispatcher::Dispatcher(const sites::SiteDirectory* sites, const pii::PersonKeyer* keyer,
                       absl::TimeZone tz, WorkloadLimits limits)
    : sites_(sites), keyer_(keyer), tz_(tz), limits_(limits) {}

// ---- Lookups ----

absl::StatusOr<VolunteerRow> Dispatcher::CallerVolunteer(sql::Session& s,
                                                         const Principal& who) const {
  ASSIGN_OR_RETURN(std::optional<VolunteerRow> me, store_.FindVolunteerBySub(s, who.subject));
  if (!me.has_value()) {
    return absl::PermissionDeniedError(
        "the caller is not an enrolled volunteer; ask a leader to enrol this login");
  }
  return *std::move(me);
}

absl::StatusOr<TaskRow> Dispatcher::LoadTask(sql::Session& s, absl::string_view task_id) const {
  ASSIGN_OR_RETURN(std::optional<TaskRow> task, store_.FindTask(s, task_id));
  if (!task.has_value()) return absl::NotFoundError("no task has this task_id");
  return *std::move(task);
}

absl::StatusOr<TeamRow> Dispatcher::LoadTeam(sql::Session& s, absl::string_view team_id) const {
  ASSIGN_OR_RETURN(std::optional<TeamRow> team, store_.FindTeam(s, team_id));
  if (!team.has_value()) return absl::NotFoundError("no team has this team_id");
  return *std::move(team);
}

absl::StatusOr<VolunteerRow> Dispatcher::LoadVolunteer(sql::Session& s,
                                                       absl::string_view volunteer_id) const {
  ASSIGN_OR_RETURN(std::optional<VolunteerRow> v, store_.FindVolunteer(s, volunteer_id));
  if (!v.has_value()) return absl::NotFoundError("no volunteer has this volunteer_id");
  return *std::move(v);
}

absl::StatusOr<std::optional<std::string>> Dispatcher::AutoAssignee(sql::Session& s,
                                                                    absl::string_view team_id,
                                                                    absl::Time now) const {
  ASSIGN_OR_RETURN(std::vector<Candidate> candidates, store_.OnDutyCandidates(s, team_id));
  if (candidates.empty()) return std::nullopt;
  // Overworked volunteers (workload.h) are skipped: too many unfinished tasks, or too long on
  // duty today.
  const absl::Time day_start = time::StartOfDay(time::DayOf(now, tz_), tz_);
  ASSIGN_OR_RETURN(auto periods, initiative_store_.TeamDutyPeriodsSince(s, team_id, day_start));
  absl::flat_hash_map<std::string, absl::Duration> on_duty_today;
  for (const auto& [volunteer_id, list] : periods) {
    on_duty_today[volunteer_id] = TimeOnDuty(list, day_start, now);
  }
  return ChooseAssignee(Assignable(candidates, on_duty_today, limits_));
}

absl::Status Dispatcher::FillWorkload(sql::Session& s, absl::string_view team_id,
                                      std::span<VolunteerRow> volunteers, absl::Time now) const {
  if (volunteers.empty()) return absl::OkStatus();
  const absl::Time day_start = time::StartOfDay(time::DayOf(now, tz_), tz_);
  ASSIGN_OR_RETURN(auto periods, initiative_store_.TeamDutyPeriodsSince(s, team_id, day_start));
  for (VolunteerRow& v : volunteers) {
    absl::Duration today = absl::ZeroDuration();
    if (auto it = periods.find(v.volunteer_id); it != periods.end()) {
      today = TimeOnDuty(it->second, day_start, now);
    }
    v.minutes_on_duty_today = WholeMinutes(today);
    v.overworked = Overworked(v.unfinished_tasks, today, limits_);
  }
  return absl::OkStatus();
}

absl::Status Dispatcher::CheckTeamSites(const Principal& who, const TeamRow& team) const {
  if (who.sites.empty()) return absl::OkStatus();
  for (const std::string& site : team.site_ids) {
    if (who.MayActOnSite(site)) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      "this team works on none of the sites of your token; ask an administrator for access");
}

absl::StatusOr<std::vector<std::string>> Dispatcher::SitesFor(
    const Principal& who, absl::string_view requested_site) const {
  if (!requested_site.empty()) {
    RETURN_IF_ERROR(auth::CheckSite(who, requested_site));
    return std::vector<std::string>{std::string(requested_site)};
  }
  return who.sites;
}

// ---- Changes ----

absl::Status Dispatcher::AddTask(sql::Session& s, const TaskRow& task, absl::string_view actor,
                                 absl::Time now, Changes* changes) const {
  RETURN_IF_ERROR(store_.InsertTask(s, task));
  v1::TaskEvent created;
  *created.mutable_task() = ToProto(task, now);
  created.set_event(v1::TaskEvent::TASK_EVENT_CREATED);
  *created.mutable_at() = time::ToTimestamp(now);
  created.set_actor(std::string(actor));
  changes->events.push_back(created);
  if (task.status == v1::TASK_STATUS_ASSIGNED) {
    // The assignee's app reacts to ASSIGNED events, whatever way the task was assigned.
    created.set_event(v1::TaskEvent::TASK_EVENT_ASSIGNED);
    changes->events.push_back(std::move(created));
  }
  for (SiteDelta& d : TaskDeltas(nullptr, task, now, tz_)) changes->deltas.push_back(std::move(d));
  return absl::OkStatus();
}

void Dispatcher::Changed(const TaskRow& before, const TaskRow& after, TaskAction action,
                         absl::string_view actor, absl::Time now, Changes* changes) const {
  v1::TaskEvent event;
  *event.mutable_task() = ToProto(after, now);
  event.set_event(EventOf(action));
  *event.mutable_at() = time::ToTimestamp(now);
  event.set_actor(std::string(actor));
  changes->events.push_back(std::move(event));
  for (SiteDelta& d : TaskDeltas(&before, after, now, tz_)) {
    changes->deltas.push_back(std::move(d));
  }
}

// ---- Teams and volunteers ----

absl::StatusOr<v1::Team> Dispatcher::CreateTeam(sql::Session& s, const Principal& who,
                                                const v1::CreateTeamRequest& req,
                                                absl::Time now) const {
  for (const std::string& site : req.site_ids()) RETURN_IF_ERROR(auth::CheckSite(who, site));
  ASSIGN_OR_RETURN(DispatchStore::NewId id, store_.NextId(s, "team"));
  TeamRow team{.team_id = id.id,
               .seq = id.seq,
               .name = req.name(),
               .site_ids = {req.site_ids().begin(), req.site_ids().end()},
               .leader_sub = req.leader_sub(),
               .created_at = now};
  RETURN_IF_ERROR(store_.InsertTeam(s, team));
  return ToProto(team);
}

absl::StatusOr<v1::Volunteer> Dispatcher::EnrollVolunteer(sql::Session& s, const Principal& who,
                                                          const v1::EnrollVolunteerRequest& req,
                                                          absl::Time now) const {
  RETURN_IF_ERROR(LoadTeam(s, req.team_id()).status());
  ASSIGN_OR_RETURN(DispatchStore::NewId id, store_.NextId(s, "volunteer"));
  request::Person person = request::DerivePerson(req.person(), *keyer_);
  VolunteerRow v{.volunteer_id = id.id,
                 .seq = id.seq,
                 .team_id = req.team_id(),
                 .user_sub = req.user_sub(),
                 .person_key = std::move(person.person_key),
                 .name = std::move(person.name),
                 .phone = std::move(person.phone),
                 .party_member = req.party_member(),
                 .enrolled_at = now};
  RETURN_IF_ERROR(store_.InsertVolunteer(s, v));
  return ToProto(v, FullView(who));
}

absl::StatusOr<v1::RecordPledgeResponse> Dispatcher::RecordPledge(
    sql::Session& s, const Principal& who, const v1::RecordPledgeRequest& req,
    absl::Time now) const {
  ASSIGN_OR_RETURN(VolunteerRow v, LoadVolunteer(s, req.volunteer_id()));
  if (who.role == Role::kVolunteer && v.user_sub != who.subject) {
    return absl::PermissionDeniedError("a volunteer may record only its own pledge");
  }
  v1::RecordPledgeResponse resp;
  if (!req.initiative_id().empty()) {
    if (who.role != Role::kVolunteer) {
      ASSIGN_OR_RETURN(TeamRow team, LoadTeam(s, v.team_id));
      RETURN_IF_ERROR(CheckTeamSites(who, team));
    }
    ASSIGN_OR_RETURN(*resp.mutable_initiative(),
                     book_.Pledge(s, v, req.initiative_id(), req.text(), now));
    // pledged_by_caller speaks of the calling volunteer; a leader pledging on a volunteer's
    // behalf has pledged nothing itself.
    if (who.role != Role::kVolunteer) resp.mutable_initiative()->set_pledged_by_caller(false);
  }
  RETURN_IF_ERROR(store_.SetPledge(s, v.volunteer_id, req.text(), now));
  v.pledge_text = req.text();
  v.pledged_at = now;
  RETURN_IF_ERROR(FillWorkload(s, v.team_id, std::span<VolunteerRow>(&v, 1), now));
  *resp.mutable_volunteer() = ToProto(v, FullView(who));
  return resp;
}

absl::StatusOr<v1::SetOnDutyResponse> Dispatcher::SetOnDuty(sql::Session& s, const Principal& who,
                                                            const v1::SetOnDutyRequest& req,
                                                            absl::Time now,
                                                            Changes* changes) const {
  ASSIGN_OR_RETURN(VolunteerRow me, CallerVolunteer(s, who));
  if (me.on_duty != req.on_duty()) {
    RETURN_IF_ERROR(store_.SetOnDuty(s, me.volunteer_id, req.on_duty(), now));
    ASSIGN_OR_RETURN(TeamRow team, LoadTeam(s, me.team_id));
    for (SiteDelta& d : DutyDeltas(team.site_ids, req.on_duty() ? 1 : -1, now, tz_)) {
      changes->deltas.push_back(std::move(d));
    }
    me.on_duty = req.on_duty();
  }
  RETURN_IF_ERROR(FillWorkload(s, me.team_id, std::span<VolunteerRow>(&me, 1), now));
  v1::SetOnDutyResponse resp;
  *resp.mutable_volunteer() = ToProto(me, FullView(who));
  return resp;
}

// ---- Tasks ----

absl::StatusOr<v1::Task> Dispatcher::CreateTask(sql::Session& s, const Principal& who,
                                                const v1::CreateTaskRequest& req, absl::Time now,
                                                Changes* changes) const {
  const v1::Task& in = req.task();
  const bool by_service = who.role == Role::kService;
  RETURN_IF_ERROR(auth::CheckSite(who, in.site_id()));
  std::optional<absl::Time> due;
  if (in.has_due_at()) due = time::FromTimestamp(in.due_at());
  if (due.has_value() && *due < now && !by_service) {
    return server::InvalidField("task.due_at", "must not be in the past");
  }

  ASSIGN_OR_RETURN(TaskRow task, NewTask(s, who, in, due, req.auto_assign(), now, changes));
  return ToProto(task, now);
}

absl::StatusOr<TaskRow> Dispatcher::NewTask(sql::Session& s, const Principal& who,
                                            const v1::Task& in, std::optional<absl::Time> due,
                                            bool auto_assign, absl::Time now,
                                            Changes* changes) const {
  const bool by_service = who.role == Role::kService;
  std::string team_id = in.team_id();
  std::string assignee;
  if (!in.assignee_volunteer_id().empty()) {
    ASSIGN_OR_RETURN(VolunteerRow v, LoadVolunteer(s, in.assignee_volunteer_id()));
    if (team_id.empty()) {
      team_id = v.team_id;
    } else if (v.team_id != team_id) {
      return absl::FailedPreconditionError("the volunteer is not a member of the task's team");
    }
    assignee = v.volunteer_id;
  }
  if (!team_id.empty()) {
    ASSIGN_OR_RETURN(TeamRow team, LoadTeam(s, team_id));
    if (!Covers(team, in.site_id())) {
      return absl::FailedPreconditionError("the team does not work on the task's site");
    }
  } else {
    // No team named: the team covering the site (the earliest created), if any.
    ASSIGN_OR_RETURN(std::optional<std::string> covering, store_.TeamCoveringSite(s, in.site_id()));
    team_id = covering.value_or("");
  }
  if (assignee.empty() && auto_assign && !team_id.empty()) {
    ASSIGN_OR_RETURN(std::optional<std::string> pick, AutoAssignee(s, team_id, now));
    assignee = pick.value_or("");
  }

  ASSIGN_OR_RETURN(DispatchStore::NewId id, store_.NextId(s, "task"));
  TaskRow task{.task_id = id.id,
               .seq = id.seq,
               .kind = in.kind(),
               .site_id = in.site_id(),
               .location = in.location(),
               .title = in.title(),
               .details = in.details(),
               .priority = EffectivePriority(in.priority(), by_service),
               .due_at = due,
               .team_id = team_id,
               .assignee = assignee,
               .status = assignee.empty() ? v1::TASK_STATUS_OPEN : v1::TASK_STATUS_ASSIGNED,
               .created_by = who.subject,
               .created_at = now,
               .person_key = in.person_key(),
               .source_ref = in.source_ref(),
               .item_code = in.item_code()};
  if (!assignee.empty()) task.assigned_at = now;
  RETURN_IF_ERROR(AddTask(s, task, who.subject, now, changes));
  return task;
}

absl::StatusOr<v1::Task> Dispatcher::Transit(sql::Session& s, const Principal& who,
                                             TaskAction action, const TransitionRequest& req,
                                             absl::Time now, Changes* changes) const {
  const TaskTransition& t = TransitionOf(action);
  // Transitions only a volunteer makes resolve the caller first; the others only when a
  // volunteer calls (a leader completing on the assignee's behalf has no volunteer row).
  const bool volunteer_only =
      t.actor == TaskActor::kTeamVolunteer || t.actor == TaskActor::kAssignee;
  std::optional<VolunteerRow> me;
  if (volunteer_only) {
    ASSIGN_OR_RETURN(me, CallerVolunteer(s, who));
  }
  ASSIGN_OR_RETURN(TaskRow before, LoadTask(s, req.task_id));
  RETURN_IF_ERROR(auth::CheckSite(who, before.site_id));
  if (!me.has_value() && t.actor == TaskActor::kAssigneeOrLeader && who.role == Role::kVolunteer) {
    ASSIGN_OR_RETURN(me, CallerVolunteer(s, who));
  }
  TransitionArgs args{.text = req.text};
  if (me.has_value()) {
    RETURN_IF_ERROR(CheckVolunteerAccess(me->ref(), before.state(), action));
    args.by = me->ref();
  }
  if (t.assigns && t.names_volunteer) {
    ASSIGN_OR_RETURN(VolunteerRow v, LoadVolunteer(s, req.volunteer_id));
    RETURN_IF_ERROR(CheckTransition(before.state(), action));
    std::string team_id = before.team_id;
    if (team_id.empty()) {
      // A task no team covered goes to the volunteer's team, if that team works on the site.
      ASSIGN_OR_RETURN(TeamRow team, LoadTeam(s, v.team_id));
      if (!Covers(team, before.site_id)) {
        return absl::FailedPreconditionError(
            "the volunteer's team does not work on the task's site");
      }
      team_id = team.team_id;
    } else if (v.team_id != team_id) {
      return absl::FailedPreconditionError("the volunteer is not a member of the task's team");
    }
    args.assignee = v.volunteer_id;
    args.team_id = team_id;
  } else if (t.assigns) {
    // The calling volunteer takes it for itself, within its own team (the UPDATE checks).
    if (!me.has_value()) return absl::InternalError("a claim without a calling volunteer");
    args.assignee = me->volunteer_id;
    args.team_id = me->team_id;
  }
  ASSIGN_OR_RETURN(std::optional<TaskRow> after, store_.Transit(s, t, before.task_id, args, now));
  if (!after.has_value()) return Refusal(before, action);
  Changed(before, *after, action, who.subject, now, changes);
  return ToProto(*after, now, CallerVolunteerId(who, me));
}

// ---- Schedules ----

absl::StatusOr<v1::Schedule> Dispatcher::CreateSchedule(sql::Session& s, const Principal& who,
                                                        const v1::CreateScheduleRequest& req,
                                                        absl::Time now, Changes* changes) const {
  RETURN_IF_ERROR(auth::CheckSite(who, req.site_id()));
  ASSIGN_OR_RETURN(TeamRow team, LoadTeam(s, req.team_id()));
  if (!Covers(team, req.site_id())) {
    return absl::FailedPreconditionError("the team does not work on the schedule's site");
  }
  ASSIGN_OR_RETURN(DispatchStore::NewId id, store_.NextId(s, "schedule"));
  ScheduleRow row;
  row.seq = id.seq;
  row.active_since = now;
  v1::Schedule& sc = row.schedule;
  sc.set_schedule_id(id.id);
  sc.set_kind(req.kind());
  sc.set_site_id(req.site_id());
  for (const std::string& area : req.areas()) sc.add_areas(area);
  if (req.times_of_day().empty()) {
    for (const char* t : kDefaultTimesOfDay) sc.add_times_of_day(t);
  } else {
    for (const std::string& t : req.times_of_day()) sc.add_times_of_day(t);
  }
  sc.set_team_id(req.team_id());
  sc.set_duration_minutes(req.duration_minutes());
  sc.set_paused(false);
  sc.set_created_by(who.subject);
  *sc.mutable_created_at() = time::ToTimestamp(now);
  sc.set_priority(EffectivePriority(req.priority(), false));
  sc.set_auto_assign(req.auto_assign());
  RETURN_IF_ERROR(store_.InsertSchedule(s, row));
  changes->schedules_changed = true;
  return sc;
}

absl::StatusOr<v1::PauseScheduleResponse> Dispatcher::PauseSchedule(
    sql::Session& s, const Principal& who, const v1::PauseScheduleRequest& req, absl::Time now,
    Changes* changes) const {
  ASSIGN_OR_RETURN(std::optional<ScheduleRow> row, store_.FindSchedule(s, req.schedule_id()));
  if (!row.has_value()) return absl::NotFoundError("no schedule has this schedule_id");
  RETURN_IF_ERROR(auth::CheckSite(who, row->schedule.site_id()));
  if (row->schedule.paused() != req.paused()) {
    RETURN_IF_ERROR(store_.SetPaused(s, req.schedule_id(), req.paused(), now));
    row->schedule.set_paused(req.paused());
    if (!req.paused()) changes->schedules_changed = true;
  }
  v1::PauseScheduleResponse resp;
  *resp.mutable_schedule() = row->schedule;
  return resp;
}

absl::StatusOr<std::vector<Slot>> Dispatcher::MissingSlots(sql::Session& s, absl::Time now,
                                                           absl::Duration lead) const {
  ASSIGN_OR_RETURN(std::vector<ScheduleRow> schedules, store_.ActiveSchedules(s));
  const std::string today = time::DateOf(now, tz_);
  std::vector<Slot> missing;
  for (const ScheduleRow& row : schedules) {
    const v1::Schedule& sc = row.schedule;
    SchedulePlan plan{.schedule_id = sc.schedule_id(),
                      .areas = {sc.areas().begin(), sc.areas().end()},
                      .times_of_day = {sc.times_of_day().begin(), sc.times_of_day().end()},
                      .duration = absl::Minutes(sc.duration_minutes()),
                      .active_since = row.active_since};
    std::vector<Slot> due = DueSlots(plan, now, tz_, lead);
    if (due.empty()) continue;
    ASSIGN_OR_RETURN(std::vector<std::string> keys, store_.SlotKeys(s, sc.schedule_id(), today));
    const absl::flat_hash_set<std::string> existing(keys.begin(), keys.end());
    for (Slot& slot : due) {
      if (!existing.contains(absl::StrCat(slot.date, "|", slot.time, "|", slot.area))) {
        missing.push_back(std::move(slot));
      }
    }
  }
  return missing;
}

absl::StatusOr<int> Dispatcher::CreateSlotTasks(sql::Session& s, std::span<const Slot> slots,
                                                absl::Time now, Changes* changes) const {
  // Schedules are read again inside this transaction: one paused since MissingSlots ran
  // creates nothing.
  absl::flat_hash_map<std::string, std::optional<ScheduleRow>> schedules;
  int created = 0;
  for (const Slot& slot : slots) {
    auto it = schedules.find(slot.schedule_id);
    if (it == schedules.end()) {
      ASSIGN_OR_RETURN(std::optional<ScheduleRow> row, store_.FindSchedule(s, slot.schedule_id));
      it = schedules.emplace(slot.schedule_id, std::move(row)).first;
    }
    if (!it->second.has_value() || it->second->schedule.paused()) continue;
    const v1::Schedule& sc = it->second->schedule;

    // The slot key is claimed first; a slot someone (this process earlier, another process, a
    // previous run) already claimed creates nothing.
    ASSIGN_OR_RETURN(bool claimed,
                     store_.ClaimSlot(s, slot.schedule_id, slot.date, slot.time, slot.area, now));
    if (!claimed) continue;

    std::string assignee;
    if (sc.auto_assign()) {
      ASSIGN_OR_RETURN(std::optional<std::string> pick, AutoAssignee(s, sc.team_id(), now));
      assignee = pick.value_or("");
    }
    ASSIGN_OR_RETURN(DispatchStore::NewId id, store_.NextId(s, "task"));
    TaskRow task{.task_id = id.id,
                 .seq = id.seq,
                 .kind = sc.kind(),
                 .site_id = sc.site_id(),
                 .location = slot.area,
                 .title = absl::StrCat(KindLabel(sc.kind()), " · ", slot.area, " · ", slot.time),
                 .priority = sc.priority(),
                 .due_at = slot.due,
                 .team_id = sc.team_id(),
                 .assignee = assignee,
                 .status = assignee.empty() ? v1::TASK_STATUS_OPEN : v1::TASK_STATUS_ASSIGNED,
                 .created_by = sc.created_by(),
                 .created_at = now,
                 .schedule_id = sc.schedule_id()};
    if (!assignee.empty()) task.assigned_at = now;
    RETURN_IF_ERROR(AddTask(s, task, sc.created_by(), now, changes));
    RETURN_IF_ERROR(
        store_.SetSlotTask(s, slot.schedule_id, slot.date, slot.time, slot.area, task.task_id));
    ++created;
  }
  return created;
}

// ---- Reads ----

absl::StatusOr<v1::ListTeamsResponse> Dispatcher::ListTeams(sql::Session& s, const Principal& who,
                                                            const v1::ListTeamsRequest& req) const {
  ASSIGN_OR_RETURN(int size, sql::PageSize(req.page_size()));
  ASSIGN_OR_RETURN(int64_t offset, sql::DecodeOffsetPageToken("ListTeams", req.page_token()));
  // A named site was checked against the token by the caller; without one, a caller restricted
  // to some sites sees the teams working on at least one of them.
  if (!req.site_id().empty()) RETURN_IF_ERROR(auth::CheckSite(who, req.site_id()));
  ASSIGN_OR_RETURN(std::vector<TeamRow> teams,
                   store_.ListTeams(s, req.site_id(), who.sites, offset, size + 1));
  v1::ListTeamsResponse resp;
  for (size_t i = 0; i < teams.size() && i < static_cast<size_t>(size); ++i) {
    *resp.add_teams() = ToProto(teams[i]);
  }
  if (teams.size() > static_cast<size_t>(size)) {
    resp.set_next_page_token(sql::EncodeOffsetPageToken("ListTeams", offset + size));
  }
  return resp;
}

absl::StatusOr<v1::ListVolunteersResponse> Dispatcher::ListVolunteers(
    sql::Session& s, const Principal& who, const v1::ListVolunteersRequest& req,
    absl::Time now) const {
  ASSIGN_OR_RETURN(int size, sql::PageSize(req.page_size()));
  ASSIGN_OR_RETURN(std::vector<sql::Value> after,
                   sql::DecodePageToken("ListVolunteers", req.page_token(), 1));
  ASSIGN_OR_RETURN(TeamRow team, LoadTeam(s, req.team_id()));
  RETURN_IF_ERROR(CheckTeamSites(who, team));
  ASSIGN_OR_RETURN(std::vector<VolunteerRow> rows,
                   store_.ListVolunteers(s, team.team_id, req.on_duty_only(),
                                         after.empty() ? 0 : after[0].AsInt(), size + 1));
  RETURN_IF_ERROR(FillWorkload(s, team.team_id, std::span<VolunteerRow>(rows), now));
  v1::ListVolunteersResponse resp;
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(size); ++i) {
    *resp.add_volunteers() = ToProto(rows[i], FullView(who));
  }
  if (rows.size() > static_cast<size_t>(size)) {
    resp.set_next_page_token(sql::EncodePageToken("ListVolunteers", {rows[size - 1].seq}));
  }
  return resp;
}

absl::StatusOr<v1::Task> Dispatcher::GetTask(sql::Session& s, const Principal& who,
                                             const v1::GetTaskRequest& req, absl::Time now) const {
  ASSIGN_OR_RETURN(TaskRow task, LoadTask(s, req.task_id()));
  RETURN_IF_ERROR(auth::CheckSite(who, task.site_id));
  if (who.role == Role::kVolunteer) {
    ASSIGN_OR_RETURN(VolunteerRow me, CallerVolunteer(s, who));
    RETURN_IF_ERROR(CheckVolunteerMayView(me.ref(), task.state()));
    return ToProto(task, now, me.volunteer_id);
  }
  return ToProto(task, now);
}

absl::StatusOr<v1::ListTasksResponse> Dispatcher::ListTasks(sql::Session& s, const Principal& who,
                                                            const v1::ListTasksRequest& req,
                                                            absl::Time now) const {
  ASSIGN_OR_RETURN(int size, sql::PageSize(req.page_size()));
  ASSIGN_OR_RETURN(std::vector<sql::Value> key,
                   sql::DecodePageToken("ListTasks", req.page_token(), 3));
  TaskFilter filter{.team_id = req.team_id(),
                    .site_id = req.site_id(),
                    .status = req.status(),
                    .kind = req.kind(),
                    .assignee = req.assignee(),
                    .overdue_only = req.overdue_only()};
  ASSIGN_OR_RETURN(std::vector<std::string> sites, SitesFor(who, req.site_id()));
  if (req.site_id().empty()) filter.sites_any_of = std::move(sites);
  std::string caller_volunteer_id;
  if (who.role == Role::kVolunteer) {
    ASSIGN_OR_RETURN(VolunteerRow me, CallerVolunteer(s, who));
    if (!req.team_id().empty() && req.team_id() != me.team_id) {
      return absl::PermissionDeniedError("volunteers may list only their own team's tasks");
    }
    filter.team_id = me.team_id;
    caller_volunteer_id = me.volunteer_id;
  } else if (!req.team_id().empty()) {
    RETURN_IF_ERROR(LoadTeam(s, req.team_id()).status());
  }
  if (!req.assignee().empty()) RETURN_IF_ERROR(LoadVolunteer(s, req.assignee()).status());

  std::optional<TaskCursor> cursor;
  if (!key.empty()) cursor = TaskCursor{key[0].AsInt(), key[1].AsInt(), key[2].AsInt()};
  ASSIGN_OR_RETURN(std::vector<TaskRow> rows, store_.ListTasks(s, filter, cursor, now, size + 1));
  v1::ListTasksResponse resp;
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(size); ++i) {
    *resp.add_tasks() = ToProto(rows[i], now, caller_volunteer_id);
  }
  if (rows.size() > static_cast<size_t>(size)) {
    const TaskRow& last = rows[size - 1];
    const sql::Value due = last.due_at.has_value()
                               ? sql::Value(*last.due_at)
                               : sql::Value(std::numeric_limits<int64_t>::max());
    resp.set_next_page_token(
        sql::EncodePageToken("ListTasks", {static_cast<int64_t>(last.priority), due, last.seq}));
  }
  return resp;
}

absl::StatusOr<v1::ListSchedulesResponse> Dispatcher::ListSchedules(
    sql::Session& s, const Principal& who, const v1::ListSchedulesRequest& req) const {
  ASSIGN_OR_RETURN(int size, sql::PageSize(req.page_size()));
  ASSIGN_OR_RETURN(std::vector<sql::Value> after,
                   sql::DecodePageToken("ListSchedules", req.page_token(), 1));
  if (!req.site_id().empty()) RETURN_IF_ERROR(auth::CheckSite(who, req.site_id()));
  // A caller restricted to some sites sees only the schedules of those sites.
  ASSIGN_OR_RETURN(std::vector<ScheduleRow> rows,
                   store_.ListSchedules(s, req.site_id(), req.team_id(), who.sites,
                                        after.empty() ? 0 : after[0].AsInt(), size + 1));
  v1::ListSchedulesResponse resp;
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(size); ++i) {
    *resp.add_schedules() = rows[i].schedule;
  }
  if (rows.size() > static_cast<size_t>(size)) {
    resp.set_next_page_token(sql::EncodePageToken("ListSchedules", {rows[size - 1].seq}));
  }
  return resp;
}

absl::StatusOr<v1::GetTaskSummaryResponse> Dispatcher::GetTaskSummary(
    sql::Session& s, const Principal& who, const v1::GetTaskSummaryRequest& req,
    absl::Time now) const {
  ASSIGN_OR_RETURN(std::vector<std::string> sites, SitesFor(who, req.site_id()));
  if (sites.empty()) sites = sites_->ids();
  std::sort(sites.begin(), sites.end());
  ASSIGN_OR_RETURN(auto live_figures, store_.LiveFigures(s, now));
  const absl::CivilDay today = time::DayOf(now, tz_);
  ASSIGN_OR_RETURN(auto day_figures, store_.DayFigures(s, time::StartOfDay(today, tz_),
                                                       time::EndOfDay(today, tz_), now));
  ASSIGN_OR_RETURN(auto overworked, OverworkedPerSite(s, now));
  v1::GetTaskSummaryResponse resp;
  for (const std::string& site : sites) {
    const SiteTaskFigures l = live_figures.count(site) ? live_figures[site] : SiteTaskFigures{};
    const SiteDayFigures d = day_figures.count(site) ? day_figures[site] : SiteDayFigures{};
    v1::TaskSummary* out = resp.add_sites();
    out->set_site_id(site);
    out->set_tasks_open(static_cast<int32_t>(l.open));
    out->set_tasks_assigned(static_cast<int32_t>(l.assigned));
    out->set_tasks_in_progress(static_cast<int32_t>(l.in_progress));
    out->set_tasks_done_today(static_cast<int32_t>(d.done));
    out->set_tasks_overdue(static_cast<int32_t>(l.overdue));
    out->set_volunteers_on_duty(static_cast<int32_t>(l.volunteers_on_duty));
    out->set_volunteers_overworked(overworked.count(site) ? overworked[site] : 0);
  }
  *resp.mutable_as_of() = time::ToTimestamp(now);
  return resp;
}

absl::StatusOr<v1::GetDailyStatsResponse> Dispatcher::GetDailyStats(
    sql::Session& s, const Principal& who, const v1::GetDailyStatsRequest& req,
    absl::Time now) const {
  absl::CivilDay day = time::DayOf(now, tz_);
  if (!req.date().empty()) {
    absl::StatusOr<absl::CivilDay> parsed = time::ParseDate(req.date());
    if (!parsed.ok()) return server::InvalidField("date", "must be a calendar date YYYY-MM-DD");
    day = *parsed;
  }
  ASSIGN_OR_RETURN(std::vector<std::string> sites, SitesFor(who, req.site_id()));
  if (sites.empty()) sites = sites_->ids();
  std::sort(sites.begin(), sites.end());
  ASSIGN_OR_RETURN(auto figures,
                   store_.DayFigures(s, time::StartOfDay(day, tz_), time::EndOfDay(day, tz_), now));
  v1::GetDailyStatsResponse resp;
  resp.set_date(time::FormatDate(day));
  for (const std::string& site : sites) {
    const SiteDayFigures d = figures.count(site) ? figures[site] : SiteDayFigures{};
    v1::DailyStats* out = resp.add_stats();
    out->set_site_id(site);
    out->set_tasks_created(static_cast<int32_t>(d.created));
    out->set_tasks_done(static_cast<int32_t>(d.done));
    out->set_tasks_overdue(static_cast<int32_t>(d.overdue));
    out->set_disinfection_planned(static_cast<int32_t>(d.disinfection_planned));
    out->set_disinfection_done(static_cast<int32_t>(d.disinfection_done));
    out->set_volunteers_on_duty(static_cast<int32_t>(d.volunteers_on_duty));
    out->set_fever_followups(static_cast<int32_t>(d.fever_followups));
    out->set_tasks_cancelled(static_cast<int32_t>(d.cancelled));
  }
  return resp;
}

absl::StatusOr<v1::VolunteerRecord> Dispatcher::GetVolunteerRecord(
    sql::Session& s, const Principal& who, const v1::GetVolunteerRecordRequest& req,
    absl::Time now) const {
  VolunteerRow v;
  if (who.role == Role::kVolunteer) {
    ASSIGN_OR_RETURN(v, CallerVolunteer(s, who));
    if (!req.volunteer_id().empty() && req.volunteer_id() != v.volunteer_id) {
      return absl::PermissionDeniedError("a volunteer may read only its own record");
    }
  } else {
    if (req.volunteer_id().empty()) {
      return server::InvalidField("volunteer_id", "is required (only a volunteer may omit it)");
    }
    ASSIGN_OR_RETURN(v, LoadVolunteer(s, req.volunteer_id()));
    ASSIGN_OR_RETURN(TeamRow team, LoadTeam(s, v.team_id));
    RETURN_IF_ERROR(CheckTeamSites(who, team));
  }
  ASSIGN_OR_RETURN(absl::CivilDay from, time::ParseDate(req.from_date()));
  ASSIGN_OR_RETURN(absl::CivilDay to, time::ParseDate(req.to_date()));
  const absl::Time start = time::StartOfDay(from, tz_);
  const absl::Time end = time::EndOfDay(to, tz_);
  ASSIGN_OR_RETURN(std::vector<DutyPeriod> periods,
                   initiative_store_.DutyPeriods(s, v.volunteer_id, start, end));
  ASSIGN_OR_RETURN(std::vector<absl::Time> completed,
                   initiative_store_.CompletionTimes(s, v.volunteer_id, start, end));
  v1::VolunteerRecord record;
  record.set_volunteer_id(v.volunteer_id);
  record.set_team_id(v.team_id);
  record.set_name_masked(pii::MaskName(v.name));
  FillRecord(periods, completed, from, to, tz_, now, &record);
  return record;
}

absl::StatusOr<WatchFilter> Dispatcher::WatchFilterFor(sql::Session& s, const Principal& who,
                                                       const v1::WatchTasksRequest& req) const {
  WatchFilter filter{.team_id = req.team_id(), .sites = who.sites};
  if (who.role == Role::kVolunteer) {
    ASSIGN_OR_RETURN(VolunteerRow me, CallerVolunteer(s, who));
    if (!req.team_id().empty() && req.team_id() != me.team_id) {
      return absl::PermissionDeniedError("volunteers may watch only their own team's tasks");
    }
    filter.team_id = me.team_id;
    filter.caller_volunteer_id = me.volunteer_id;
  } else if (!req.team_id().empty()) {
    RETURN_IF_ERROR(LoadTeam(s, req.team_id()).status());
  }
  return filter;
}

absl::StatusOr<live::Snapshot> Dispatcher::Snapshot(sql::Session& s, absl::CivilDay today,
                                                    absl::Time now) const {
  ASSIGN_OR_RETURN(live::Snapshot snapshot,
                   ReadSnapshot(store_, s, sites_->ids(), today, tz_, now));
  // volunteers_overworked changes with time alone (hours on duty): each reconcile rewrites it.
  ASSIGN_OR_RETURN(auto overworked, OverworkedPerSite(s, now));
  for (auto& [site, figures] : snapshot) {
    figures.live[redis::kFieldVolunteersOverworked] = overworked.count(site) ? overworked[site] : 0;
  }
  return snapshot;
}

absl::StatusOr<std::map<std::string, int32_t>> Dispatcher::OverworkedPerSite(sql::Session& s,
                                                                             absl::Time now) const {
  const absl::Time day_start = time::StartOfDay(time::DayOf(now, tz_), tz_);
  ASSIGN_OR_RETURN(std::vector<SiteVolunteerLoad> loads, initiative_store_.SiteVolunteerLoads(s));
  ASSIGN_OR_RETURN(auto periods, initiative_store_.DutyPeriodsSince(s, day_start));
  std::map<std::string, int32_t> overworked;
  for (const SiteVolunteerLoad& load : loads) {
    absl::Duration on_duty = absl::ZeroDuration();
    if (auto it = periods.find(load.volunteer_id); it != periods.end()) {
      on_duty = TimeOnDuty(it->second, day_start, now);
    }
    if (Overworked(load.unfinished_tasks, on_duty, limits_)) ++overworked[load.site_id];
  }
  return overworked;
}

}  // namespace lianfang::dispatch
