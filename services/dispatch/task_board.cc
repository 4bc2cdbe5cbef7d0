#include "services/dispatch/task_board.h"

#include <tuple>

namespace lianfang::dispatch {
namespace {

absl::Status Refuse(absl::string_view why) { return absl::FailedPreconditionError(why); }

}  // namespace

bool IsFinished(v1::TaskStatus status) {
  return status == v1::TASK_STATUS_DONE || status == v1::TASK_STATUS_CANCELLED;
}

v1::TaskStatus StatusAfter(TaskAction action) {
  switch (action) {
    case TaskAction::kAssign:
    case TaskAction::kClaim:
      return v1::TASK_STATUS_ASSIGNED;
    case TaskAction::kStart:
      return v1::TASK_STATUS_IN_PROGRESS;
    case TaskAction::kComplete:
      return v1::TASK_STATUS_DONE;
    case TaskAction::kCancel:
      return v1::TASK_STATUS_CANCELLED;
  }
  return v1::TASK_STATUS_UNSPECIFIED;
}

v1::TaskEvent::Event EventOf(TaskAction action) {
  switch (action) {
    case TaskAction::kAssign:
    case TaskAction::kClaim:
      return v1::TaskEvent::TASK_EVENT_ASSIGNED;
    case TaskAction::kStart:
      return v1::TaskEvent::TASK_EVENT_STARTED;
    case TaskAction::kComplete:
      return v1::TaskEvent::TASK_EVENT_DONE;
    case TaskAction::kCancel:
      return v1::TaskEvent::TASK_EVENT_CANCELLED;
  }
  return v1::TaskEvent::TASK_EVENT_UNSPECIFIED;
}

absl::Status CheckTransition(const TaskState& task, TaskAction action) {
  // Final states first: nothing happens to a finished task any more.
  if (task.status == v1::TASK_STATUS_DONE) return Refuse("the task is already done");
  if (task.status == v1::TASK_STATUS_CANCELLED) return Refuse("the task is cancelled");
  switch (action) {
    case TaskAction::kAssign:
      // A leader may hand an assigned task to someone else as long as it has not started.
      if (task.status == v1::TASK_STATUS_IN_PROGRESS) {
        return Refuse("the task is already in progress and cannot be reassigned");
      }
      return absl::OkStatus();
    case TaskAction::kClaim:
      if (task.status != v1::TASK_STATUS_OPEN) {
        return Refuse("the task is already assigned; only open tasks can be claimed");
      }
      return absl::OkStatus();
    case TaskAction::kStart:
      if (task.status == v1::TASK_STATUS_OPEN) {
        return Refuse("the task is not assigned yet; claim it first");
      }
      if (task.status == v1::TASK_STATUS_IN_PROGRESS) return Refuse("the task is already started");
      return absl::OkStatus();
    case TaskAction::kComplete:
      if (task.status != v1::TASK_STATUS_IN_PROGRESS) {
        return Refuse("the task has not been started; start it before completing it");
      }
      return absl::OkStatus();
    case TaskAction::kCancel:
      return absl::OkStatus();
  }
  return absl::InternalError("unknown task action");
}

absl::Status CheckVolunteerMayView(const VolunteerRef& me, const TaskState& task) {
  if (task.team_id.empty() || task.team_id != me.team_id) {
    return absl::PermissionDeniedError("volunteers may act only on tasks of their own team");
  }
  return absl::OkStatus();
}

absl::Status CheckVolunteerAccess(const VolunteerRef& me, const TaskState& task,
                                  TaskAction action) {
  if (action == TaskAction::kAssign || action == TaskAction::kCancel) {
    return absl::PermissionDeniedError("volunteers may not assign or cancel tasks");
  }
  if (absl::Status s = CheckVolunteerMayView(me, task); !s.ok()) return s;
  if ((action == TaskAction::kStart || action == TaskAction::kComplete) && !task.assignee.empty() &&
      task.assignee != me.volunteer_id) {
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
