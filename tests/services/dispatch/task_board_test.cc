// The task lifecycle, a volunteer's rights on tasks, overdue and the auto-assign choice.
#include "services/dispatch/task_board.h"

#include <iterator>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/status/status_matchers.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::dispatch {
namespace {

using ::lianfang::testing::IsOk;
using ::lianfang::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Optional;

constexpr v1::TaskStatus kOpen = v1::TASK_STATUS_OPEN;
constexpr v1::TaskStatus kAssigned = v1::TASK_STATUS_ASSIGNED;
constexpr v1::TaskStatus kInProgress = v1::TASK_STATUS_IN_PROGRESS;
constexpr v1::TaskStatus kDone = v1::TASK_STATUS_DONE;
constexpr v1::TaskStatus kCancelled = v1::TASK_STATUS_CANCELLED;

TaskState Task(v1::TaskStatus status, std::string assignee = "", std::string team = "team-1") {
  return TaskState{status, std::move(team), std::move(assignee)};
}

TEST(TaskLifecycleTest, TheHappyPathGoesOpenAssignedInProgressDone) {
  EXPECT_THAT(CheckTransition(Task(kOpen), TaskAction::kClaim), IsOk());
  EXPECT_EQ(StatusAfter(TaskAction::kClaim), kAssigned);
  EXPECT_THAT(CheckTransition(Task(kAssigned, "v1"), TaskAction::kStart), IsOk());
  EXPECT_EQ(StatusAfter(TaskAction::kStart), kInProgress);
  EXPECT_THAT(CheckTransition(Task(kInProgress, "v1"), TaskAction::kComplete), IsOk());
  EXPECT_EQ(StatusAfter(TaskAction::kComplete), kDone);
}

TEST(TaskLifecycleTest, EveryUnfinishedStateCanBeCancelled) {
  for (v1::TaskStatus status : {kOpen, kAssigned, kInProgress}) {
    EXPECT_THAT(CheckTransition(Task(status), TaskAction::kCancel), IsOk()) << status;
  }
  EXPECT_EQ(StatusAfter(TaskAction::kCancel), kCancelled);
}

TEST(TaskLifecycleTest, FinishedTasksRefuseEveryChange) {
  for (TaskAction action : {TaskAction::kAssign, TaskAction::kClaim, TaskAction::kStart,
                            TaskAction::kComplete, TaskAction::kCancel}) {
    EXPECT_THAT(CheckTransition(Task(kDone, "v1"), action),
                StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already done")));
    EXPECT_THAT(CheckTransition(Task(kCancelled), action),
                StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("cancelled")));
  }
}

TEST(TaskLifecycleTest, CompletingATaskNotStartedIsRefused) {
  EXPECT_THAT(CheckTransition(Task(kOpen), TaskAction::kComplete),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not been started")));
  EXPECT_THAT(CheckTransition(Task(kAssigned, "v1"), TaskAction::kComplete),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not been started")));
}

TEST(TaskLifecycleTest, OnlyOpenTasksCanBeClaimed) {
  EXPECT_THAT(CheckTransition(Task(kAssigned, "v1"), TaskAction::kClaim),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already assigned")));
  EXPECT_THAT(CheckTransition(Task(kInProgress, "v1"), TaskAction::kClaim),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(TaskLifecycleTest, StartingNeedsAnAssignedTaskNotYetStarted) {
  EXPECT_THAT(CheckTransition(Task(kOpen), TaskAction::kStart),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("claim it first")));
  EXPECT_THAT(CheckTransition(Task(kInProgress, "v1"), TaskAction::kStart),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already started")));
}

TEST(TaskLifecycleTest, LeadersMayReassignUntilTheTaskStarts) {
  EXPECT_THAT(CheckTransition(Task(kOpen), TaskAction::kAssign), IsOk());
  EXPECT_THAT(CheckTransition(Task(kAssigned, "v1"), TaskAction::kAssign), IsOk());
  EXPECT_THAT(CheckTransition(Task(kInProgress, "v1"), TaskAction::kAssign),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("in progress")));
}

TEST(TaskLifecycleTest, EachActionAnnouncesItsEvent) {
  EXPECT_EQ(EventOf(TaskAction::kAssign), v1::TaskEvent::TASK_EVENT_ASSIGNED);
  EXPECT_EQ(EventOf(TaskAction::kClaim), v1::TaskEvent::TASK_EVENT_ASSIGNED);
  EXPECT_EQ(EventOf(TaskAction::kStart), v1::TaskEvent::TASK_EVENT_STARTED);
  EXPECT_EQ(EventOf(TaskAction::kComplete), v1::TaskEvent::TASK_EVENT_DONE);
  EXPECT_EQ(EventOf(TaskAction::kCancel), v1::TaskEvent::TASK_EVENT_CANCELLED);
}

TEST(VolunteerAccessTest, AVolunteerActsOnlyOnItsOwnTeamsTasks) {
  const VolunteerRef me{"v1", "team-1"};
  EXPECT_THAT(CheckVolunteerAccess(me, Task(kOpen, "", "team-2"), TaskAction::kClaim),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("own team")));
  EXPECT_THAT(CheckVolunteerMayView(me, Task(kOpen, "", "team-2")),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(CheckVolunteerAccess(me, Task(kOpen, "", ""), TaskAction::kClaim),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(CheckVolunteerAccess(me, Task(kOpen), TaskAction::kClaim), IsOk());
}

TEST(VolunteerAccessTest, OnceAssignedOnlyTheAssigneeStartsOrCompletes) {
  const VolunteerRef me{"v1", "team-1"};
  EXPECT_THAT(CheckVolunteerAccess(me, Task(kAssigned, "v2"), TaskAction::kStart),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("another volunteer")));
  EXPECT_THAT(CheckVolunteerAccess(me, Task(kInProgress, "v2"), TaskAction::kComplete),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(CheckVolunteerAccess(me, Task(kAssigned, "v1"), TaskAction::kStart), IsOk());
  EXPECT_THAT(CheckVolunteerAccess(me, Task(kInProgress, "v1"), TaskAction::kComplete), IsOk());
}

TEST(VolunteerAccessTest, LosingAClaimRaceIsAStateProblemNotAPermissionOne) {
  // The losers of simultaneous claims find the task assigned to the winner: access is fine,
  // the state check then refuses with FAILED_PRECONDITION.
  const VolunteerRef me{"v1", "team-1"};
  const TaskState taken = Task(kAssigned, "v2");
  EXPECT_THAT(CheckVolunteerAccess(me, taken, TaskAction::kClaim), IsOk());
  EXPECT_THAT(CheckTransition(taken, TaskAction::kClaim),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(VolunteerAccessTest, VolunteersNeverAssignOrCancel) {
  const VolunteerRef me{"v1", "team-1"};
  EXPECT_THAT(CheckVolunteerAccess(me, Task(kOpen), TaskAction::kAssign),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(CheckVolunteerAccess(me, Task(kAssigned, "v1"), TaskAction::kCancel),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(OverdueTest, AnUnfinishedTaskIsOverdueOnceItsDueTimeHasPassed) {
  time::FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  const absl::Time due = clock.Now() + absl::Hours(1);
  EXPECT_FALSE(IsOverdue(kOpen, due, clock.Now()));
  clock.Advance(absl::Hours(1));
  EXPECT_FALSE(IsOverdue(kOpen, due, clock.Now())) << "due exactly now is not overdue yet";
  clock.Advance(absl::Seconds(1));
  for (v1::TaskStatus status : {kOpen, kAssigned, kInProgress}) {
    EXPECT_TRUE(IsOverdue(status, due, clock.Now())) << status;
  }
  EXPECT_FALSE(IsOverdue(kDone, due, clock.Now()));
  EXPECT_FALSE(IsOverdue(kCancelled, due, clock.Now()));
}

TEST(OverdueTest, ATaskWithoutDueTimeIsNeverOverdue) {
  EXPECT_FALSE(IsOverdue(kOpen, std::nullopt, absl::InfiniteFuture()));
}

TEST(AutoAssignTest, PicksTheVolunteerWithTheFewestUnfinishedTasks) {
  const std::vector<Candidate> candidates = {{"v1", 1, 3}, {"v2", 2, 1}, {"v3", 3, 2}};
  EXPECT_THAT(ChooseAssignee(candidates), Optional(std::string("v2")));
}

TEST(AutoAssignTest, TiesGoToTheEarliestEnrolled) {
  const std::vector<Candidate> candidates = {
      {"v7", 7, 1}, {"v3", 3, 1}, {"v5", 5, 1}, {"v2", 2, 4}};
  EXPECT_THAT(ChooseAssignee(candidates), Optional(std::string("v3")));
}

TEST(AutoAssignTest, NobodyOnDutyMeansNobodyIsPicked) {
  EXPECT_EQ(ChooseAssignee({}), std::nullopt);
}

TEST(PriorityTest, TasksRaisedByServicesAreUrgent) {
  EXPECT_EQ(EffectivePriority(v1::PRIORITY_LOW, /*raised_by_service=*/true), v1::PRIORITY_URGENT);
  EXPECT_EQ(EffectivePriority(v1::PRIORITY_UNSPECIFIED, true), v1::PRIORITY_URGENT);
  EXPECT_EQ(EffectivePriority(v1::PRIORITY_UNSPECIFIED, false), v1::PRIORITY_NORMAL);
  EXPECT_EQ(EffectivePriority(v1::PRIORITY_HIGH, false), v1::PRIORITY_HIGH);
}

// ---- The transition table: every transition from every state ----

constexpr TaskAction kActions[] = {TaskAction::kAssign, TaskAction::kClaim, TaskAction::kStart,
                                   TaskAction::kComplete, TaskAction::kCancel};
constexpr v1::TaskStatus kStates[] = {kOpen, kAssigned, kInProgress, kDone, kCancelled};

TEST(TaskTransitionTableTest, EveryTransitionFromEveryStateIsAllowedOrRefusedAsTheLifecycleSays) {
  // Written out by hand, independently of the table: rows = from-state, columns = actions
  // (assign, claim, start, complete, cancel); "" = allowed, else a piece of the refusal.
  const std::vector<std::vector<std::string>> expected = {
      /* OPEN        */ {"", "", "claim it first", "not been started", ""},
      /* ASSIGNED    */ {"", "already assigned", "", "not been started", ""},
      /* IN_PROGRESS */ {"cannot be reassigned", "already assigned", "already started", "", ""},
      /* DONE        */ {"already done", "already done", "already done", "already done", "done"},
      /* CANCELLED   */ {"cancelled", "cancelled", "cancelled", "cancelled", "is cancelled"},
  };
  for (size_t row = 0; row < std::size(kStates); ++row) {
    for (size_t col = 0; col < std::size(kActions); ++col) {
      const absl::Status s = CheckTransition(Task(kStates[row], "v1"), kActions[col]);
      const std::string& want = expected[row][col];
      const std::string where = absl::StrCat(v1::TaskStatus_Name(kStates[row]), " / ",
                                             TransitionOf(kActions[col]).method);
      if (want.empty()) {
        EXPECT_THAT(s, IsOk()) << where;
        EXPECT_TRUE(LeavesFrom(TransitionOf(kActions[col]), kStates[row])) << where;
      } else {
        EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(want))) << where;
        EXPECT_FALSE(LeavesFrom(TransitionOf(kActions[col]), kStates[row])) << where;
      }
    }
  }
}

TEST(TaskTransitionTableTest, ATaskWithoutAStateAllowsNothing) {
  for (TaskAction action : kActions) {
    EXPECT_THAT(CheckTransition(Task(v1::TASK_STATUS_UNSPECIFIED), action),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
}

TEST(TaskTransitionTableTest, EachUnfinishedStateIsEitherLeftOrRefusedWithAReason) {
  for (const TaskTransition& t : TaskTransitions()) {
    for (v1::TaskStatus status : {kOpen, kAssigned, kInProgress}) {
      int refusals = 0;
      for (const TaskRefusal& r : t.refused) {
        if (r.from == status) {
          ++refusals;
          EXPECT_FALSE(r.why.empty()) << t.method;
        }
      }
      EXPECT_EQ(refusals, LeavesFrom(t, status) ? 0 : 1) << t.method << " " << status;
    }
    EXPECT_FALSE(LeavesFrom(t, kDone)) << t.method;
    EXPECT_FALSE(LeavesFrom(t, kCancelled)) << t.method;
  }
}

TEST(TaskTransitionTableTest, EachEntryLeadsWhereTheLifecycleGoesAndStampsItsTime) {
  struct Want {
    TaskAction action;
    const char* method;
    v1::TaskStatus to;
    TaskActor actor;
    v1::TaskEvent::Event event;
    const char* stamp;
    const char* text_field;
  };
  const Want wants[] = {
      {TaskAction::kAssign, "AssignTask", kAssigned, TaskActor::kLeader,
       v1::TaskEvent::TASK_EVENT_ASSIGNED, "assigned_at", ""},
      {TaskAction::kClaim, "ClaimTask", kAssigned, TaskActor::kTeamVolunteer,
       v1::TaskEvent::TASK_EVENT_ASSIGNED, "assigned_at", ""},
      {TaskAction::kStart, "StartTask", kInProgress, TaskActor::kAssignee,
       v1::TaskEvent::TASK_EVENT_STARTED, "started_at", ""},
      {TaskAction::kComplete, "CompleteTask", kDone, TaskActor::kAssigneeOrLeader,
       v1::TaskEvent::TASK_EVENT_DONE, "completed_at", "note"},
      {TaskAction::kCancel, "CancelTask", kCancelled, TaskActor::kLeader,
       v1::TaskEvent::TASK_EVENT_CANCELLED, "cancelled_at", "reason"},
  };
  ASSERT_EQ(TaskTransitions().size(), std::size(wants));
  for (const Want& w : wants) {
    const TaskTransition& t = TransitionOf(w.action);
    EXPECT_EQ(t.action, w.action);
    EXPECT_EQ(t.method, w.method);
    EXPECT_EQ(t.to, w.to) << w.method;
    EXPECT_EQ(StatusAfter(w.action), w.to) << w.method;
    EXPECT_EQ(t.actor, w.actor) << w.method;
    EXPECT_EQ(t.event, w.event) << w.method;
    EXPECT_EQ(EventOf(w.action), w.event) << w.method;
    EXPECT_EQ(t.stamp_column, w.stamp) << w.method;
    EXPECT_EQ(t.text_field, w.text_field) << w.method;
  }
  EXPECT_TRUE(TransitionOf(TaskAction::kCancel).text_required);
  EXPECT_FALSE(TransitionOf(TaskAction::kComplete).text_required);
  EXPECT_TRUE(TransitionOf(TaskAction::kAssign).names_volunteer);
}

TEST(TaskTransitionTableTest, AVolunteersRightsFollowTheActorOfEveryTransitionInEveryState) {
  // Own team, assigned to someone else / to me / to nobody; another team.
  const VolunteerRef me{"v1", "team-1"};
  for (v1::TaskStatus status : kStates) {
    for (TaskAction action : kActions) {
      const TaskActor actor = TransitionOf(action).actor;
      const std::string where = absl::StrCat(status, " ", TransitionOf(action).method);
      const absl::Status mine = CheckVolunteerAccess(me, Task(status, "v1"), action);
      const absl::Status nobodys = CheckVolunteerAccess(me, Task(status, ""), action);
      const absl::Status others = CheckVolunteerAccess(me, Task(status, "v2"), action);
      const absl::Status other_team =
          CheckVolunteerAccess(me, Task(status, "v1", "team-2"), action);
      if (actor == TaskActor::kLeader) {
        for (const absl::Status& s : {mine, nobodys, others, other_team}) {
          EXPECT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied)) << where;
        }
        continue;
      }
      EXPECT_THAT(mine, IsOk()) << where;
      EXPECT_THAT(nobodys, IsOk()) << where;
      EXPECT_THAT(other_team, StatusIs(absl::StatusCode::kPermissionDenied)) << where;
      if (actor == TaskActor::kTeamVolunteer) {
        EXPECT_THAT(others, IsOk()) << where;  // the state check refuses a taken task
      } else {
        EXPECT_THAT(others, StatusIs(absl::StatusCode::kPermissionDenied)) << where;
      }
    }
  }
}

}  // namespace
}  // namespace lianfang::dispatch
