#include "services/dispatch/task_board.h"

#include <algorithm>
#include <tuple>

namespace lianfang::dispatch {
namespace {

absl::Status Refuse(absl::string_view why) { return absl::FailedPreconditionError(why); }

}  // namespace

namespace {

using v1::TaskEvent;
constexpr v1::TaskStatus kOpen = v1::TASK_STATUS_OPEN;
constexpr v1::TaskStatus kAssigned = v1::TASK_STATUS_ASSIGNED;
constexpr v1::TaskStatus kInProgress = v1::TASK_STATUS_IN_PROGRESS;
constexpr v1::TaskStatus kNone = v1::TASK_STATUS_UNSPECIFIED;

constexpr std::array<TaskTransition, 5> kTransitions = {{
    {.action = TaskAction::kAssign,
     .method = "AssignTask",
     // A leader may hand an assigned task to someone else as long as it has not started.
     .from = {kOpen, kAssigned, kNone},
     .to = kAssigned,
     .actor = TaskActor::kLeader,
     .event = TaskEvent::TASK_EVENT_ASSIGNED,
     .stamp_column = "assigned_at",
     .assigns = true,
     .names_volunteer = true,
     .text_field = "",
     .text_required = false,
     .text_column = "",
     .refused = {{{kInProgress, "the task is already in progress and cannot be reassigned"}}}},
    {.action = TaskAction::kClaim,
     .method = "ClaimTask",
     .from = {kOpen, kNone, kNone},
     .to = kAssigned,
     .actor = TaskActor::kTeamVolunteer,
     .event = TaskEvent::TASK_EVENT_ASSIGNED,
     .stamp_column = "assigned_at",
     .assigns = true,
     .names_volunteer = false,
     .text_field = "",
     .text_required = false,
     .text_column = "",
     .refused = {{{kAssigned, "the task is already assigned; only open tasks can be claimed"},
                  {kInProgress, "the task is already assigned; only open tasks can be claimed"}}}},
    {.action = TaskAction::kStart,
     .method = "StartTask",
     .from = {kAssigned, kNone, kNone},
     .to = kInProgress,
     .actor = TaskActor::kAssignee,
     .event = TaskEvent::TASK_EVENT_STARTED,
     .stamp_column = "started_at",
     .assigns = false,
     .names_volunteer = false,
     .text_field = "",
     .text_required = false,
     .text_column = "",
     .refused = {{{kOpen, "the task is not assigned yet; claim it first"},
                  {kInProgress, "the task is already started"}}}},
    {.action = TaskAction::kComplete,
     .method = "CompleteTask",
     .from = {kInProgress, kNone, kNone},
     .to = v1::TASK_STATUS_DONE,
     .actor = TaskActor::kAssigneeOrLeader,
     .event = TaskEvent::TASK_EVENT_DONE,
     .stamp_column = "completed_at",
     .assigns = false,
     .names_volunteer = false,
     .text_field = "note",
     .text_required = false,
     .text_column = "completion_note",
     .refused = {{{kOpen, "the task has not been started; start it before completing it"},
                  {kAssigned, "the task has not been started; start it before completing it"}}}},
    {.action = TaskAction::kCancel,
     .method = "CancelTask",
     .from = {kOpen, kAssigned, kInProgress},
     .to = v1::TASK_STATUS_CANCELLED,
     .actor = TaskActor::kLeader,
     .event = TaskEvent::TASK_EVENT_CANCELLED,
     .stamp_column = "cancelled_at",
     .assigns = false,
     .names_volunteer = false,
     .text_field = "reason",
     .text_required = true,
     .text_column = "cancel_reason",
     .refused = {}},
}};

// The table is in TaskAction order (TransitionOf indexes it).
constexpr bool InActionOrder() {
  for (size_t i = 0; i < kTransitions.size(); ++i) {
    if (static_cast<size_t>(kTransitions[i].action) != i) return false;
  }
  return true;
}
static_assert(InActionOrder());

}  // namespace

std::span<const TaskTransition> TaskTransitions() { return kTransitions; }

const TaskTransition& TransitionOf(TaskAction action) {
  return kTransitions[static_cast<size_t>(action)];
}

bool LeavesFrom(const TaskTransition& t, v1::TaskStatus status) {
  if (status == v1::TASK_STATUS_UNSPECIFIED) return false;
  return std::find(t.from.begin(), t.from.end(), status) != t.from.end();
}

bool IsFinished(v1::TaskStatus status) {
  return status == v1::TASK_STATUS_DONE || status == v1::TASK_STATUS_CANCELLED;
}

v1::TaskStatus StatusAfter(TaskAction action) { return TransitionOf(action).to; }

v1::TaskEvent::Event EventOf(TaskAction action) { return TransitionOf(action).event; }

absl::Status CheckTransition(const TaskState& task, TaskAction action) {
  // Final states first: nothing happens to a finished task any more.
  if (task.status == v1::TASK_STATUS_DONE) return Refuse("the task is already done");
  if (task.status == v1::TASK_STATUS_CANCELLED) return Refuse("the task is cancelled");
  const TaskTransition& t = TransitionOf(action);
  if (LeavesFrom(t, task.status)) return absl::OkStatus();
  for (const TaskRefusal& r : t.refused) {
    if (r.from == task.status && r.from != v1::TASK_STATUS_UNSPECIFIED) return Refuse(r.why);
  }
  return Refuse("the task's state does not allow this change");
}

absl::Status CheckVolunteerMayView(const VolunteerRef& me, const TaskState& task) {
  if (task.team_id.empty() || task.team_id != me.team_id) {
    return absl::PermissionDeniedError("volunteers may act only on tasks of their own team");
  }
  return absl::OkStatus();
}

absl::Status CheckVolunteerAccess(const VolunteerRef& me, const TaskState& task,
                                  TaskAction action) {
  const TaskActor actor = TransitionOf(action).actor;
  if (actor == TaskActor::kLeader) {
    return absl::PermissionDeniedError("volunteers may not assign or cancel tasks");
  }
  if (absl::Status s = CheckVolunteerMayView(me, task); !s.ok()) return s;
  if ((actor == TaskActor::kAssignee || actor == TaskActor::kAssigneeOrLeader) &&
      !task.assignee.empty() && task.assignee != me.volunteer_id) {
    return absl::PermissionDeniedError("the task is assigned to another volunteer");
  }
  return absl::OkStatus();
}

bool IsOverdue(v1::TaskStatus status, std::optional<absl::Time> due_at, absl::Time now) {
  return due_at.has_value() && *due_at < now && !IsFinished(status);
}

std::optional<std::string> ChooseAssignee(std::span<const Candidate> candidates) {
  const Candidate* best = nullptr;
  for (const Candidate& c : candidates) {
    if (best == nullptr || std::tie(c.unfinished_tasks, c.enrolled_seq) <
                               std::tie(best->unfinished_tasks, best->enrolled_seq)) {
      best = &c;
    }
  }
  if (best == nullptr) return std::nullopt;
  return best->volunteer_id;
}

v1::Priority EffectivePriority(v1::Priority requested, bool raised_by_service) {
  if (raised_by_service) return v1::PRIORITY_URGENT;
  if (requested == v1::PRIORITY_UNSPECIFIED) return v1::PRIORITY_NORMAL;
  return requested;
}

}  // namespace lianfang::dispatch
