// The rules of the task board, free of SQL and gRPC: the task lifecycle
// (OPEN -> ASSIGNED -> IN_PROGRESS -> DONE, CANCELLED from any unfinished state), what a
// volunteer may do to a task, when a task is overdue, and whom auto-assignment picks.
//
// The lifecycle is one table (TaskTransitions(): from-states, to-state, who may make it, the
// event, the time column, the request's fields); the gRPC adapter, the request validation, the
// dispatcher and the store's conditional UPDATE are all derived from it, so a rule changes in
// one place.
//
//   const TaskTransition& t = TransitionOf(TaskAction::kStart);
//   RETURN_IF_ERROR(CheckVolunteerAccess(me, row.state(), TaskAction::kStart));
//   RETURN_IF_ERROR(CheckTransition(row.state(), TaskAction::kStart));
//   std::optional<std::string> pick = ChooseAssignee(candidates);
//
// Every function is pure and thread-safe.
#ifndef LIANFANG_SERVICES_DISPATCH_TASK_BOARD_H_
#define LIANFANG_SERVICES_DISPATCH_TASK_BOARD_H_

#include <array>
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

// Who may make a transition. Which roles may call each RPC at all is declared in the proto;
// this says what a calling volunteer may do beyond that.
enum class TaskActor {
  kLeader,            // never a volunteer (PERMISSION_DENIED)
  kTeamVolunteer,     // the calling volunteer, on a task of its own team
  kAssignee,          // the calling volunteer, on a task of its team not assigned to another
  kAssigneeOrLeader,  // as kAssignee for a volunteer; a leader acts on the assignee's behalf
};

// An unfinished state a transition may not leave, and why (the FAILED_PRECONDITION message).
struct TaskRefusal {
  v1::TaskStatus from = v1::TASK_STATUS_UNSPECIFIED;  // UNSPECIFIED: unused entry
  absl::string_view why{};
};

// One transition of the lifecycle: the single description the gRPC adapter, the validation,
// the dispatcher, the SQL of the store and the watch events are all derived from.
struct TaskTransition {
  TaskAction action;
  absl::string_view method;            // the DispatchService RPC, e.g. "AssignTask"
  std::array<v1::TaskStatus, 3> from;  // states it may leave (UNSPECIFIED: unused entry)
  v1::TaskStatus to;                   // the state it leads to
  TaskActor actor;                     // who may make it
  v1::TaskEvent::Event event;          // the watch event announcing it
  absl::string_view stamp_column;      // the time column set to the moment of the change
  bool assigns;                        // sets assignee and team (assign, claim)
  bool names_volunteer;                // the request names the assignee (volunteer_id)
  absl::string_view text_field;        // the request's free-text field ("" = none)
  bool text_required;                  // text_field must not be empty
  absl::string_view text_column;       // where that text is stored ("" = none)
  std::array<TaskRefusal, 2> refused;  // the other unfinished states, and why not
};

// The five transitions, in TaskAction order.
std::span<const TaskTransition> TaskTransitions();
// The entry of `action`.
const TaskTransition& TransitionOf(TaskAction action);

// True when `t` may leave `status`.
bool LeavesFrom(const TaskTransition& t, v1::TaskStatus status);

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

// A lifecycle request, whichever RPC carried it; the table entry says which fields count.
struct TransitionRequest {
  std::string request_id{};
  std::string task_id{};
  std::string volunteer_id{};  // entries that name the volunteer (assign)
  std::string text{};          // the entry's text_field (note, reason)
};

// True for DONE and CANCELLED (final states).
bool IsFinished(v1::TaskStatus status);

// The status a task has after `action` (the table's `to`).
v1::TaskStatus StatusAfter(TaskAction action);

// The watch event announcing `action` (the table's `event`).
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
