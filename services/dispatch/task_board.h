// The rules of the task board, free of SQL and gRPC: the task lifecycle
// (OPEN -> ASSIGNED -> IN_PROGRESS -> DONE, CANCELLED from any unfinished state), what a
// volunteer may do to a task, when a task is overdue, and whom auto-assignment picks.
//
//   RETURN_IF_ERROR(CheckVolunteerAccess(me, TaskStateOf(row), TaskAction::kStart));
//   RETURN_IF_ERROR(CheckTransition(TaskStateOf(row), TaskAction::kStart));
//   std::optional<std::string> pick = ChooseAssignee(candidates);
//
// Every function is pure and thread-safe.
#ifndef LIANFANG_SERVICES_DISPATCH_TASK_BOARD_H_
#define LIANFANG_SERVICES_DISPATCH_TASK_BOARD_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"

namespace lianfang::dispatch {

// The changes of a task's life.
enum class TaskAction {
  kAssign,    // a leader assigns (or reassigns before it starts) the task
  kClaim,     // a volunteer takes an open task for itself
  kStart,     // the assignee starts it
  kComplete,  // the assignee (or a leader) completes it
  kCancel,    // a leader cancels it
};

// What the rules need to know of a task.
struct TaskState {
  v1::TaskStatus status = v1::TASK_STATUS_OPEN;
  std::string team_id{};   // "" when no team covers it
  std::string assignee{};  // volunteer id; "" while open
};

// The calling volunteer, as enrolled.
struct VolunteerRef {
  std::string volunteer_id{};
  std::string team_id{};
};

// True for DONE and CANCELLED (final states).
bool IsFinished(v1::TaskStatus status);

// The status a task has after `action`.
v1::TaskStatus StatusAfter(TaskAction action);

// The watch event announcing `action`.
v1::TaskEvent::Event EventOf(TaskAction action);

// OK when a task in `task.status` may undergo `action`; otherwise FAILED_PRECONDITION with a
// message saying why (e.g. "the task has not been started", "the task is already done").
absl::Status CheckTransition(const TaskState& task, TaskAction action);

// OK when volunteer `me` may see `task` (a task of its own team); PERMISSION_DENIED otherwise.
absl::Status CheckVolunteerMayView(const VolunteerRef& me, const TaskState& task);

// OK when volunteer `me` may attempt `action` on `task`; PERMISSION_DENIED when the task belongs
// to another team, or (start, complete) is assigned to another volunteer. Whether the state
// allows the action is CheckTransition's business: of simultaneous claims, the losers see an
// assigned task and get FAILED_PRECONDITION from there, not PERMISSION_DENIED. Assign and
// cancel are never a volunteer's (PERMISSION_DENIED).
absl::Status CheckVolunteerAccess(const VolunteerRef& me, const TaskState& task, TaskAction action);

// True when the task has a due time that has passed at `now` and is not finished. An unset
// due time (nullopt) never makes a task overdue.
bool IsOverdue(v1::TaskStatus status, std::optional<absl::Time> due_at, absl::Time now);

// An on-duty volunteer that auto-assignment may pick.
struct Candidate {
  std::string volunteer_id{};
  int64_t enrolled_seq = 0;      // enrolment order (smaller = enrolled earlier)
  int64_t unfinished_tasks = 0;  // tasks assigned to it and not finished
};

// The candidate with the fewest unfinished tasks, ties to the earliest enrolled; nullopt
// when there is none (the task then stays open).
std::optional<std::string> ChooseAssignee(std::span<const Candidate> candidates);

// The priority a new task gets: URGENT for tasks raised by other services (fever
// follow-ups), else the requested one with UNSPECIFIED meaning NORMAL.
v1::Priority EffectivePriority(v1::Priority requested, bool raised_by_service);

}  // namespace lianfang::dispatch

#endif  // LIANFANG_SERVICES_DISPATCH_TASK_BOARD_H_
