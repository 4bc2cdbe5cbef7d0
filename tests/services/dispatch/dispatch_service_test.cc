// DispatchService over loopback gRPC with a real SQLite file and redis-server: the claim race,
// the lifecycle and its refusals, auto-assignment, overdue, authorization, idempotency and
// bad input.
#include <latch>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/server/errors.h"
#include "common/sql/database.h"
#include "common/status/status_macros.h"
#include "common/testing/test_database.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/dispatch/dispatch_fixture.h"

namespace lianfang::dispatch::testing {
namespace {

using ::lianfang::testing::IsOk;
using ::lianfang::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Key;
using ::testing::SizeIs;

class DispatchServiceTest : public DispatchTest {};

TEST_F(DispatchServiceTest, OfSixteenSimultaneousClaimsExactlyOneWins) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  constexpr int kVolunteers = 16;
  std::vector<std::string> subs, ids, tokens;
  for (int i = 0; i < kVolunteers; ++i) {
    subs.push_back(absl::StrCat("vol-", i));
    ASSERT_OK_AND_ASSIGN(std::string id, Enroll(team.team_id(), subs.back()));
    ids.push_back(id);
    tokens.push_back(Vol(subs.back()));
  }
  for (int round = 0; round < 4; ++round) {
    ASSERT_OK_AND_ASSIGN(v1::Task task, CreateTask(TaskRequest("campus", team.team_id())));
    std::vector<grpc::StatusCode> codes(kVolunteers);
    std::vector<std::string> request_ids;
    for (int i = 0; i < kVolunteers; ++i) request_ids.push_back(NextRequestId());
    std::latch start(kVolunteers);
    std::vector<std::thread> threads;
    for (int i = 0; i < kVolunteers; ++i) {
      threads.emplace_back([&, i] {
        v1::ClaimTaskRequest req;
        req.set_request_id(request_ids[i]);
        req.set_task_id(task.task_id());
        v1::ClaimTaskResponse resp;
        auto context = lianfang::testing::NewClientContext(tokens[i], absl::Seconds(30));
        start.arrive_and_wait();
        codes[i] = dispatch_->stub().ClaimTask(context.get(), req, &resp).error_code();
      });
    }
    for (std::thread& t : threads) t.join();
    int winners = 0;
    int winner = -1;
    for (int i = 0; i < kVolunteers; ++i) {
      if (codes[i] == grpc::StatusCode::OK) {
        ++winners;
        winner = i;
      } else {
        EXPECT_EQ(codes[i], grpc::StatusCode::FAILED_PRECONDITION) << "round " << round;
      }
    }
    ASSERT_EQ(winners, 1) << "round " << round;
    ASSERT_OK_AND_ASSIGN(v1::Task after, GetTask(task.task_id()));
    EXPECT_EQ(after.status(), v1::TASK_STATUS_ASSIGNED);
    EXPECT_EQ(after.assignee_volunteer_id(), ids[winner]);
  }
}

TEST_F(DispatchServiceTest, ATaskGoesOpenAssignedInProgressDone) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("家属区突击队", {"family-area"}));
  ASSERT_OK_AND_ASSIGN(std::string me, Enroll(team.team_id(), "vol-a"));
  ASSERT_OK_AND_ASSIGN(v1::Task task, CreateTask(TaskRequest("family-area", team.team_id())));
  EXPECT_EQ(task.status(), v1::TASK_STATUS_OPEN);
  EXPECT_EQ(task.created_by(), "leader-1");
  EXPECT_EQ(task.priority(), v1::PRIORITY_NORMAL);

  clock_.Advance(absl::Minutes(5));
  ASSERT_OK_AND_ASSIGN(v1::Task claimed, Claim("vol-a", task.task_id()));
  EXPECT_EQ(claimed.status(), v1::TASK_STATUS_ASSIGNED);
  EXPECT_EQ(claimed.assignee_volunteer_id(), me);
  EXPECT_EQ(time::FromTimestamp(claimed.assigned_at()), clock_.Now());

  clock_.Advance(absl::Minutes(5));
  ASSERT_OK_AND_ASSIGN(v1::Task started, StartTask("vol-a", task.task_id()));
  EXPECT_EQ(started.status(), v1::TASK_STATUS_IN_PROGRESS);
  EXPECT_EQ(time::FromTimestamp(started.started_at()), clock_.Now());

  clock_.Advance(absl::Minutes(30));
  ASSERT_OK_AND_ASSIGN(v1::Task done, Complete(Vol("vol-a"), task.task_id(), "已送达12户"));
  EXPECT_EQ(done.status(), v1::TASK_STATUS_DONE);
  EXPECT_EQ(done.completion_note(), "已送达12户");
  EXPECT_EQ(time::FromTimestamp(done.completed_at()), clock_.Now());
  EXPECT_FALSE(done.overdue());
}

TEST_F(DispatchServiceTest, IllegalTransitionsAreRefusedAndChangeNothing) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("社区突击队", {"community"}));
  ASSERT_OK_AND_ASSIGN(std::string a, Enroll(team.team_id(), "vol-a"));
  ASSERT_OK_AND_ASSIGN(std::string b, Enroll(team.team_id(), "vol-b"));
  ASSERT_OK_AND_ASSIGN(v1::Task task, CreateTask(TaskRequest("community", team.team_id())));

  EXPECT_THAT(StartTask("vol-a", task.task_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("claim it first")));
  EXPECT_THAT(Complete(Vol("vol-a"), task.task_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not been started")));
  ASSERT_OK(Claim("vol-a", task.task_id()).status());
  EXPECT_THAT(Claim("vol-b", task.task_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already assigned")));
  EXPECT_THAT(StartTask("vol-b", task.task_id()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("another volunteer")));
  EXPECT_THAT(Complete(Vol("vol-a"), task.task_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not been started")));
  EXPECT_THAT(Complete(Leader(), task.task_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not been started")));
  ASSERT_OK_AND_ASSIGN(v1::Task unchanged, GetTask(task.task_id()));
  EXPECT_EQ(unchanged.status(), v1::TASK_STATUS_ASSIGNED);
  EXPECT_EQ(unchanged.assignee_volunteer_id(), a);

  ASSERT_OK(StartTask("vol-a", task.task_id()).status());
  EXPECT_THAT(StartTask("vol-a", task.task_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already started")));
  EXPECT_THAT(Assign(task.task_id(), b),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("in progress")));
  EXPECT_THAT(Complete(Vol("vol-b"), task.task_id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK(Complete(Vol("vol-a"), task.task_id()).status());
  EXPECT_THAT(Complete(Vol("vol-a"), task.task_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already done")));
  EXPECT_THAT(Cancel(task.task_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already done")));
  ASSERT_OK_AND_ASSIGN(v1::Task done, GetTask(task.task_id()));
  EXPECT_EQ(done.status(), v1::TASK_STATUS_DONE);
  EXPECT_EQ(done.assignee_volunteer_id(), a);
}

TEST_F(DispatchServiceTest, LeadersAssignReassignCancelAndCompleteOnBehalf) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("驻村突击队", {"village"}));
  ASSERT_OK_AND_ASSIGN(std::string a, Enroll(team.team_id(), "vol-a"));
  ASSERT_OK_AND_ASSIGN(std::string b, Enroll(team.team_id(), "vol-b"));

  ASSERT_OK_AND_ASSIGN(v1::Task t1, CreateTask(TaskRequest("village", team.team_id())));
  ASSERT_OK_AND_ASSIGN(v1::Task assigned, Assign(t1.task_id(), a));
  EXPECT_EQ(assigned.status(), v1::TASK_STATUS_ASSIGNED);
  ASSERT_OK_AND_ASSIGN(v1::Task reassigned, Assign(t1.task_id(), b));
  EXPECT_EQ(reassigned.assignee_volunteer_id(), b);
  EXPECT_THAT(StartTask("vol-a", t1.task_id()), StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK(StartTask("vol-b", t1.task_id()).status());
  ASSERT_OK_AND_ASSIGN(v1::Task done, Complete(Leader(), t1.task_id(), "代为确认"));
  EXPECT_EQ(done.status(), v1::TASK_STATUS_DONE);

  // Cancelled from each unfinished state.
  ASSERT_OK_AND_ASSIGN(v1::Task open, CreateTask(TaskRequest("village", team.team_id())));
  ASSERT_OK_AND_ASSIGN(v1::Task c1, Cancel(open.task_id(), "重复任务"));
  EXPECT_EQ(c1.status(), v1::TASK_STATUS_CANCELLED);
  EXPECT_EQ(c1.cancel_reason(), "重复任务");
  EXPECT_TRUE(c1.has_cancelled_at());
  ASSERT_OK_AND_ASSIGN(v1::Task t2, CreateTask(TaskRequest("village", team.team_id())));
  ASSERT_OK(Assign(t2.task_id(), a).status());
  ASSERT_OK_AND_ASSIGN(v1::Task c2, Cancel(t2.task_id()));
  EXPECT_EQ(c2.status(), v1::TASK_STATUS_CANCELLED);
  ASSERT_OK_AND_ASSIGN(v1::Task t3, CreateTask(TaskRequest("village", team.team_id())));
  ASSERT_OK(Claim("vol-a", t3.task_id()).status());
  ASSERT_OK(StartTask("vol-a", t3.task_id()).status());
  ASSERT_OK_AND_ASSIGN(v1::Task c3, Cancel(t3.task_id()));
  EXPECT_EQ(c3.status(), v1::TASK_STATUS_CANCELLED);
  EXPECT_THAT(Cancel(t3.task_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("cancelled")));
  EXPECT_THAT(Claim("vol-b", c1.task_id()), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(DispatchServiceTest, AutoAssignPicksFewestUnfinishedThenEarliestEnrolled) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK_AND_ASSIGN(std::string v0, Enroll(team.team_id(), "vol-0"));  // stays off duty
  ASSERT_OK_AND_ASSIGN(std::string v1, Enroll(team.team_id(), "vol-1"));
  ASSERT_OK_AND_ASSIGN(std::string v2, Enroll(team.team_id(), "vol-2"));
  ASSERT_OK_AND_ASSIGN(std::string v3, Enroll(team.team_id(), "vol-3"));
  for (const char* sub : {"vol-1", "vol-2", "vol-3"}) ASSERT_OK(SetOnDuty(sub, true));

  ASSERT_OK_AND_ASSIGN(v1::Task manual, CreateTask(TaskRequest("campus", team.team_id())));
  ASSERT_OK(Assign(manual.task_id(), v1).status());

  auto auto_task = [&]() -> absl::StatusOr<v1::Task> {
    v1::CreateTaskRequest req = TaskRequest("campus", team.team_id());
    req.set_auto_assign(true);
    return CreateTask(req);
  };
  // vol-1 has one task, vol-2 and vol-3 none: the tie goes to vol-2 (enrolled first).
  ASSERT_OK_AND_ASSIGN(v1::Task a, auto_task());
  EXPECT_EQ(a.status(), v1::TASK_STATUS_ASSIGNED);
  EXPECT_EQ(a.assignee_volunteer_id(), v2);
  ASSERT_OK_AND_ASSIGN(v1::Task b, auto_task());
  EXPECT_EQ(b.assignee_volunteer_id(), v3);
  // One each now: the earliest enrolled on duty, vol-1 (vol-0 is off duty).
  ASSERT_OK_AND_ASSIGN(v1::Task c, auto_task());
  EXPECT_EQ(c.assignee_volunteer_id(), v1);
  // Finished tasks do not count: vol-3 completes its task and is the least loaded again.
  ASSERT_OK(StartTask("vol-3", b.task_id()).status());
  ASSERT_OK(Complete(Vol("vol-3"), b.task_id()).status());
  ASSERT_OK_AND_ASSIGN(v1::Task d, auto_task());
  EXPECT_EQ(d.assignee_volunteer_id(), v3);

  for (const char* sub : {"vol-1", "vol-2", "vol-3"}) ASSERT_OK(SetOnDuty(sub, false));
  ASSERT_OK_AND_ASSIGN(v1::Task e, auto_task());
  EXPECT_EQ(e.status(), v1::TASK_STATUS_OPEN) << "nobody on duty: the task stays open";
  EXPECT_EQ(e.assignee_volunteer_id(), "");
  (void)v0;
}

TEST_F(DispatchServiceTest, ATaskWithoutTeamGoesToTheEarliestTeamCoveringItsSite) {
  ASSERT_OK_AND_ASSIGN(v1::Team first, CreateTeam("社区突击队", {"community"}));
  ASSERT_OK_AND_ASSIGN(v1::Team second, CreateTeam("联合突击队", {"village", "community"}));
  ASSERT_OK_AND_ASSIGN(v1::Task community, CreateTask(TaskRequest("community")));
  EXPECT_EQ(community.team_id(), first.team_id());
  ASSERT_OK_AND_ASSIGN(v1::Task village, CreateTask(TaskRequest("village")));
  EXPECT_EQ(village.team_id(), second.team_id());
  ASSERT_OK_AND_ASSIGN(v1::Task campus, CreateTask(TaskRequest("campus")));
  EXPECT_EQ(campus.team_id(), "") << "no team works on the campus";

  ASSERT_OK_AND_ASSIGN(std::string v, Enroll(first.team_id(), "vol-a"));
  EXPECT_THAT(Assign(campus.task_id(), v),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("does not work")));
  EXPECT_THAT(Claim("vol-a", campus.task_id()), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(CreateTask(TaskRequest("campus", first.team_id())),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(DispatchServiceTest, OverdueFollowsTheClockInTasksListsAndFigures) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  v1::CreateTaskRequest req = TaskRequest("campus", team.team_id());
  *req.mutable_task()->mutable_due_at() = time::ToTimestamp(clock_.Now() + absl::Hours(1));
  ASSERT_OK_AND_ASSIGN(v1::Task task, CreateTask(req));
  ASSERT_OK_AND_ASSIGN(v1::Task later, CreateTask(TaskRequest("campus", team.team_id())));
  EXPECT_FALSE(task.overdue());

  v1::ListTasksRequest overdue_only;
  overdue_only.set_overdue_only(true);
  EXPECT_THAT(AllTasks(overdue_only), SizeIs(0));

  clock_.Advance(absl::Hours(2));
  ASSERT_OK_AND_ASSIGN(v1::Task now_overdue, GetTask(task.task_id()));
  EXPECT_TRUE(now_overdue.overdue());
  const std::vector<v1::Task> overdue = AllTasks(overdue_only);
  ASSERT_THAT(overdue, SizeIs(1));
  EXPECT_EQ(overdue[0].task_id(), task.task_id());
  EXPECT_TRUE(overdue[0].overdue());

  v1::GetTaskSummaryRequest summary_req;
  summary_req.set_site_id("campus");
  ASSERT_OK_AND_ASSIGN(v1::GetTaskSummaryResponse summary,
                       Call(&Stub::GetTaskSummary, Token(Role::kViewer, "city"), summary_req));
  ASSERT_THAT(summary.sites(), SizeIs(1));
  EXPECT_EQ(summary.sites(0).tasks_overdue(), 1);
  EXPECT_EQ(summary.sites(0).tasks_open(), 2);

  v1::GetDailyStatsRequest stats_req;
  stats_req.set_date("2026-03-02");
  stats_req.set_site_id("campus");
  ASSERT_OK_AND_ASSIGN(v1::GetDailyStatsResponse stats,
                       Call(&Stub::GetDailyStats, Token(Role::kService, "report"), stats_req));
  ASSERT_THAT(stats.stats(), SizeIs(1));
  EXPECT_EQ(stats.stats(0).tasks_overdue(), 1);
  EXPECT_EQ(stats.stats(0).tasks_created(), 2);

  // A cancelled task is no longer overdue.
  ASSERT_OK(Cancel(task.task_id()).status());
  EXPECT_THAT(AllTasks(overdue_only), SizeIs(0));
  (void)later;
}

TEST_F(DispatchServiceTest, DailyStatsCountEverySiteWithZerosWrittenOut) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("驻村突击队", {"village"}));
  ASSERT_OK(Enroll(team.team_id(), "vol-a").status());
  ASSERT_OK(SetOnDuty("vol-a", true));
  v1::CreateTaskRequest disinfect = TaskRequest("village", team.team_id());
  disinfect.mutable_task()->set_kind(v1::TASK_KIND_DISINFECTION);
  ASSERT_OK_AND_ASSIGN(v1::Task d, CreateTask(disinfect));
  ASSERT_OK(Claim("vol-a", d.task_id()).status());
  ASSERT_OK(StartTask("vol-a", d.task_id()).status());
  ASSERT_OK(Complete(Vol("vol-a"), d.task_id()).status());
  ASSERT_OK(CreateTask(TaskRequest("village", team.team_id())).status());
  ASSERT_OK(SetOnDuty("vol-a", false));

  v1::GetDailyStatsRequest req;
  req.set_date("2026-03-02");
  ASSERT_OK_AND_ASSIGN(v1::GetDailyStatsResponse stats,
                       Call(&Stub::GetDailyStats, Token(Role::kViewer, "city"), req));
  EXPECT_EQ(stats.date(), "2026-03-02");
  ASSERT_THAT(stats.stats(), SizeIs(4));
  std::vector<std::string> order;
  for (const v1::DailyStats& s : stats.stats()) order.push_back(s.site_id());
  EXPECT_THAT(order, ElementsAre("campus", "community", "family-area", "village"));
  const v1::DailyStats& village = stats.stats(3);
  EXPECT_EQ(village.tasks_created(), 2);
  EXPECT_EQ(village.tasks_done(), 1);
  EXPECT_EQ(village.disinfection_planned(), 1);
  EXPECT_EQ(village.disinfection_done(), 1);
  EXPECT_EQ(village.volunteers_on_duty(), 1) << "on duty at some time of the day";
  EXPECT_EQ(stats.stats(0).tasks_created(), 0);

  req.set_date("2026-03-01");
  ASSERT_OK_AND_ASSIGN(v1::GetDailyStatsResponse yesterday,
                       Call(&Stub::GetDailyStats, Token(Role::kViewer, "city"), req));
  EXPECT_EQ(yesterday.stats(3).tasks_created(), 0);
  EXPECT_EQ(yesterday.stats(3).volunteers_on_duty(), 0);
}

TEST_F(DispatchServiceTest, ServiceRaisedTasksAreUrgentAndCreatedOncePerRequestId) {
  const std::string gate = Token(Role::kService, "gate");
  v1::CreateTaskRequest req;
  req.set_request_id("gate.passage/p-42");
  v1::Task* t = req.mutable_task();
  t->set_kind(v1::TASK_KIND_FEVER_FOLLOWUP);
  t->set_site_id("campus");
  t->set_title("发热随访");
  t->set_priority(v1::PRIORITY_LOW);
  t->set_person_key(std::string(64, 'a'));
  t->set_source_ref("gate.passage/p-42");
  // Delivered late by the gate's outbox: the due time has already passed.
  *t->mutable_due_at() = time::ToTimestamp(clock_.Now() - absl::Minutes(10));
  ASSERT_OK_AND_ASSIGN(v1::Task first, Call(&Stub::CreateTask, gate, req));
  EXPECT_EQ(first.priority(), v1::PRIORITY_URGENT);
  EXPECT_EQ(first.created_by(), "gate");
  EXPECT_TRUE(first.overdue());
  ASSERT_OK_AND_ASSIGN(v1::Task again, Call(&Stub::CreateTask, gate, req));
  EXPECT_EQ(again.task_id(), first.task_id());

  v1::ListTasksRequest fevers;
  fevers.set_kind(v1::TASK_KIND_FEVER_FOLLOWUP);
  EXPECT_THAT(AllTasks(fevers), SizeIs(1));

  req.mutable_task()->set_title("另一件事");
  EXPECT_THAT(Call(&Stub::CreateTask, gate, req), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(AllTasks(fevers), SizeIs(1));
}

TEST_F(DispatchServiceTest, VolunteersPledgeAndGoOnDutyForThemselvesOnly) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("家属区突击队", {"family-area"}));
  ASSERT_OK_AND_ASSIGN(std::string a, Enroll(team.team_id(), "vol-a"));
  ASSERT_OK_AND_ASSIGN(std::string b, Enroll(team.team_id(), "vol-b"));

  v1::RecordPledgeRequest pledge;
  pledge.set_request_id(NextRequestId());
  pledge.set_volunteer_id(a);
  pledge.set_text("我是共产党员，我先上");
  ASSERT_OK_AND_ASSIGN(v1::RecordPledgeResponse pledged,
                       Call(&Stub::RecordPledge, Vol("vol-a"), pledge));
  EXPECT_TRUE(pledged.volunteer().has_pledged_at());
  EXPECT_EQ(pledged.volunteer().name(), "") << "a volunteer sees masks only";
  EXPECT_EQ(pledged.volunteer().name_masked(), "王*明");
  pledge.set_request_id(NextRequestId());
  pledge.set_volunteer_id(b);
  EXPECT_THAT(Call(&Stub::RecordPledge, Vol("vol-a"), pledge),
              StatusIs(absl::StatusCode::kPermissionDenied));

  v1::SetOnDutyRequest duty;
  duty.set_request_id(NextRequestId());
  duty.set_on_duty(true);
  ASSERT_OK_AND_ASSIGN(v1::SetOnDutyResponse on, Call(&Stub::SetOnDuty, Vol("vol-b"), duty));
  EXPECT_TRUE(on.volunteer().on_duty());
  EXPECT_EQ(on.volunteer().volunteer_id(), b);

  v1::ListVolunteersRequest list;
  list.set_team_id(team.team_id());
  ASSERT_OK_AND_ASSIGN(v1::ListVolunteersResponse all, Call(&Stub::ListVolunteers, Leader(), list));
  ASSERT_THAT(all.volunteers(), SizeIs(2));
  EXPECT_EQ(all.volunteers(0).volunteer_id(), a);
  EXPECT_EQ(all.volunteers(0).name(), "王小明") << "leaders read names back";
  EXPECT_EQ(all.volunteers(0).phone_masked(), "138****1234");
  EXPECT_TRUE(all.volunteers(0).party_member());
  list.set_on_duty_only(true);
  ASSERT_OK_AND_ASSIGN(v1::ListVolunteersResponse on_duty,
                       Call(&Stub::ListVolunteers, Leader(), list));
  ASSERT_THAT(on_duty.volunteers(), SizeIs(1));
  EXPECT_EQ(on_duty.volunteers(0).volunteer_id(), b);

  v1::ListTeamsRequest teams;
  ASSERT_OK_AND_ASSIGN(v1::ListTeamsResponse listed, Call(&Stub::ListTeams, Vol("vol-a"), teams));
  ASSERT_THAT(listed.teams(), SizeIs(1));
  EXPECT_EQ(listed.teams(0).volunteer_count(), 2);
}

TEST_F(DispatchServiceTest, EveryCallerIsCheckedForRoleTeamAndSite) {
  ASSERT_OK_AND_ASSIGN(v1::Team campus, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK_AND_ASSIGN(v1::Team village, CreateTeam("驻村突击队", {"village"}));
  ASSERT_OK(Enroll(campus.team_id(), "vol-campus").status());
  ASSERT_OK(Enroll(village.team_id(), "vol-village").status());
  ASSERT_OK_AND_ASSIGN(v1::Task task, CreateTask(TaskRequest("campus", campus.team_id())));

  // A volunteer of another team.
  EXPECT_THAT(Claim("vol-village", task.task_id()), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(GetTask(task.task_id(), Vol("vol-village")),
              StatusIs(absl::StatusCode::kPermissionDenied));
  v1::ListTasksRequest other_team;
  other_team.set_team_id(campus.team_id());
  EXPECT_THAT(ListTasks(other_team, Vol("vol-village")),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(v1::ListTasksResponse own, ListTasks({}, Vol("vol-village")));
  EXPECT_THAT(own.tasks(), SizeIs(0)) << "a volunteer lists its own team's tasks only";
  // A volunteer whose token is limited to another site.
  EXPECT_THAT(Call(&Stub::ClaimTask, Token(Role::kVolunteer, "vol-campus", {"village"}),
                   [&] {
                     v1::ClaimTaskRequest r;
                     r.set_request_id(NextRequestId());
                     r.set_task_id(task.task_id());
                     return r;
                   }()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // A login that is not an enrolled volunteer.
  EXPECT_THAT(Claim("stranger", task.task_id()), StatusIs(absl::StatusCode::kPermissionDenied));

  // Roles.
  v1::CreateTeamRequest team_req;
  team_req.set_request_id(NextRequestId());
  team_req.set_name("新队");
  team_req.add_site_ids("campus");
  team_req.set_leader_sub("leader-1");
  EXPECT_THAT(Call(&Stub::CreateTeam, Token(Role::kViewer, "city"), team_req),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Call(&Stub::CreateTeam, std::string(), team_req),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(ListTasks({}, "not-a-token"), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Call(&Stub::CreateTask, Vol("vol-campus"), TaskRequest("campus")),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(ListTasks({}, Token(Role::kGuard, "guard-1")),
              StatusIs(absl::StatusCode::kPermissionDenied));
  v1::SetOnDutyRequest duty;
  duty.set_request_id(NextRequestId());
  duty.set_on_duty(true);
  EXPECT_THAT(Call(&Stub::SetOnDuty, Admin(), duty), StatusIs(absl::StatusCode::kPermissionDenied));

  // The audit trail: ADMIN only, and every mutation is in it.
  common::v1::ListAuditEventsRequest audit_req;
  EXPECT_THAT(Call(&Stub::ListAuditEvents, Leader(), audit_req),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(common::v1::ListAuditEventsResponse audit,
                       Call(&Stub::ListAuditEvents, Admin(), audit_req));
  std::vector<std::string> objects;
  for (const auto& e : audit.events()) objects.push_back(e.object());
  EXPECT_THAT(objects, Contains(task.task_id()));
  EXPECT_THAT(objects, Contains(campus.team_id()));
  EXPECT_EQ(audit.events(0).role(), common::v1::ROLE_LEADER);
}

TEST_F(DispatchServiceTest, BadInputGetsAClearErrorAndChangesNothing) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK_AND_ASSIGN(std::string v, Enroll(team.team_id(), "vol-a"));
  ASSERT_OK_AND_ASSIGN(v1::Task task, CreateTask(TaskRequest("campus", team.team_id())));
  ASSERT_OK_AND_ASSIGN(common::v1::ListAuditEventsResponse audit_before,
                       Call(&Stub::ListAuditEvents, Admin(), common::v1::ListAuditEventsRequest()));

  // Unknown team, task, volunteer, schedule: NOT_FOUND.
  EXPECT_THAT(CreateTask(TaskRequest("campus", "team-999")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("team")));
  v1::CreateTaskRequest unknown_assignee = TaskRequest("campus");
  unknown_assignee.mutable_task()->set_assignee_volunteer_id("volunteer-999");
  EXPECT_THAT(CreateTask(unknown_assignee), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Enroll("team-999", "vol-x"), StatusIs(absl::StatusCode::kNotFound));
  v1::ListVolunteersRequest volunteers;
  volunteers.set_team_id("team-999");
  EXPECT_THAT(Call(&Stub::ListVolunteers, Leader(), volunteers),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(GetTask("task-999"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Claim("vol-a", "task-999"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(StartTask("vol-a", "task-999"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Complete(Leader(), "task-999"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Cancel("task-999"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Assign(task.task_id(), "volunteer-999"), StatusIs(absl::StatusCode::kNotFound));
  v1::PauseScheduleRequest pause;
  pause.set_request_id(NextRequestId());
  pause.set_schedule_id("schedule-999");
  pause.set_paused(true);
  EXPECT_THAT(Call(&Stub::PauseSchedule, Leader(), pause), StatusIs(absl::StatusCode::kNotFound));

  // due_at in the past at creation.
  v1::CreateTaskRequest past = TaskRequest("campus", team.team_id());
  *past.mutable_task()->mutable_due_at() = time::ToTimestamp(clock_.Now() - absl::Minutes(1));
  absl::StatusOr<v1::Task> refused = CreateTask(past);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(server::FieldViolations(refused.status()), ElementsAre(Key("task.due_at")));

  // Schedules: times of day that are not HH:MM, no areas, unknown team.
  v1::CreateScheduleRequest schedule;
  schedule.set_request_id(NextRequestId());
  schedule.set_kind(v1::TASK_KIND_DISINFECTION);
  schedule.set_site_id("campus");
  schedule.set_team_id(team.team_id());
  schedule.set_duration_minutes(60);
  schedule.add_times_of_day("8:00");
  schedule.add_times_of_day("14:00");
  schedule.add_areas("办公楼");
  absl::StatusOr<v1::Schedule> bad_time = Call(&Stub::CreateSchedule, Leader(), schedule);
  EXPECT_THAT(bad_time, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("HH:MM")));
  EXPECT_THAT(server::FieldViolations(bad_time.status()), ElementsAre(Key("times_of_day[0]")));
  schedule.set_times_of_day(0, "08:00");
  schedule.clear_areas();
  absl::StatusOr<v1::Schedule> no_areas = Call(&Stub::CreateSchedule, Leader(), schedule);
  EXPECT_THAT(server::FieldViolations(no_areas.status()), ElementsAre(Key("areas")));
  schedule.add_areas("食堂");
  schedule.set_team_id("team-999");
  EXPECT_THAT(Call(&Stub::CreateSchedule, Leader(), schedule),
              StatusIs(absl::StatusCode::kNotFound));

  // Over-long strings.
  v1::CreateTaskRequest long_title = TaskRequest("campus", team.team_id());
  long_title.mutable_task()->set_title(std::string(257, 'x'));
  EXPECT_THAT(server::FieldViolations(CreateTask(long_title).status()),
              ElementsAre(Key("task.title")));
  EXPECT_THAT(server::FieldViolations(CreateTeam(std::string(300, 'n'), {"campus"}).status()),
              ElementsAre(Key("name")));
  EXPECT_THAT(
      server::FieldViolations(Complete(Leader(), task.task_id(), std::string(257, 'z')).status()),
      ElementsAre(Key("note")));

  // Nothing changed.
  EXPECT_THAT(AllTasks({}), SizeIs(1));
  ASSERT_OK_AND_ASSIGN(v1::ListTeamsResponse teams,
                       Call(&Stub::ListTeams, Leader(), v1::ListTeamsRequest()));
  EXPECT_THAT(teams.teams(), SizeIs(1));
  ASSERT_OK_AND_ASSIGN(v1::ListSchedulesResponse schedules,
                       Call(&Stub::ListSchedules, Leader(), v1::ListSchedulesRequest()));
  EXPECT_THAT(schedules.schedules(), SizeIs(0));
  ASSERT_OK_AND_ASSIGN(common::v1::ListAuditEventsResponse audit_after,
                       Call(&Stub::ListAuditEvents, Admin(), common::v1::ListAuditEventsRequest()));
  EXPECT_EQ(audit_after.events_size(), audit_before.events_size());
  ASSERT_OK_AND_ASSIGN(v1::Task unchanged, GetTask(task.task_id()));
  EXPECT_EQ(unchanged.status(), v1::TASK_STATUS_OPEN);
  (void)v;
}

TEST_F(DispatchServiceTest, ListTasksPagesMostUrgentAndEarliestDueFirst) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("社区突击队", {"community"}));
  std::vector<std::string> expected;
  auto add = [&](v1::Priority p, absl::Duration due_in) -> std::string {
    v1::CreateTaskRequest req = TaskRequest("community", team.team_id());
    req.mutable_task()->set_priority(p);
    *req.mutable_task()->mutable_due_at() = time::ToTimestamp(clock_.Now() + due_in);
    absl::StatusOr<v1::Task> t = CreateTask(req);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? t->task_id() : "";
  };
  const std::string low = add(v1::PRIORITY_LOW, absl::Hours(1));
  const std::string normal_late = add(v1::PRIORITY_NORMAL, absl::Hours(5));
  const std::string urgent = add(v1::PRIORITY_URGENT, absl::Hours(9));
  const std::string normal_soon = add(v1::PRIORITY_NORMAL, absl::Hours(2));
  const std::string high = add(v1::PRIORITY_HIGH, absl::Hours(3));
  v1::CreateTaskRequest no_due = TaskRequest("community", team.team_id());
  no_due.mutable_task()->clear_due_at();
  ASSERT_OK_AND_ASSIGN(v1::Task undated, CreateTask(no_due));
  const std::string normal_undated = undated.task_id();

  std::vector<std::string> seen;
  v1::ListTasksRequest req;
  req.set_page_size(2);
  int pages = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(v1::ListTasksResponse page, ListTasks(req));
    ++pages;
    for (const v1::Task& t : page.tasks()) seen.push_back(t.task_id());
    if (page.next_page_token().empty()) break;
    req.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(seen, ElementsAre(urgent, high, normal_soon, normal_late, normal_undated, low));

  req.set_page_token("garbage");
  EXPECT_THAT(ListTasks(req), StatusIs(absl::StatusCode::kInvalidArgument));
}

// ---- Site rules of the reads that name no site ----

TEST_F(DispatchServiceTest, ASiteRestrictedCallerListsOnlyTheTeamsOfItsSites) {
  ASSERT_OK_AND_ASSIGN(v1::Team campus, CreateTeam("A 校园突击队", {"campus"}));
  ASSERT_OK_AND_ASSIGN(v1::Team both, CreateTeam("B 联合突击队", {"campus", "village"}));
  ASSERT_OK_AND_ASSIGN(v1::Team village, CreateTeam("C 驻村突击队", {"village"}));
  ASSERT_OK_AND_ASSIGN(v1::Team family, CreateTeam("D 家属区突击队", {"family-area"}));
  const auto names = [](const v1::ListTeamsResponse& r) {
    std::vector<std::string> out;
    for (const v1::Team& t : r.teams()) out.push_back(t.team_id());
    return out;
  };

  // A volunteer of the campus: without a filter, only the teams working on the campus.
  const std::string campus_vol = Token(Role::kVolunteer, "vol-campus", {"campus"});
  ASSERT_OK_AND_ASSIGN(v1::ListTeamsResponse mine,
                       Call(&Stub::ListTeams, campus_vol, v1::ListTeamsRequest()));
  EXPECT_THAT(names(mine), ElementsAre(campus.team_id(), both.team_id()));
  // Page by page, the same teams.
  v1::ListTeamsRequest paged;
  paged.set_page_size(1);
  std::vector<std::string> pages;
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK_AND_ASSIGN(v1::ListTeamsResponse page, Call(&Stub::ListTeams, campus_vol, paged));
    for (const std::string& id : names(page)) pages.push_back(id);
    if (page.next_page_token().empty()) break;
    paged.set_page_token(page.next_page_token());
  }
  EXPECT_THAT(pages, ElementsAre(campus.team_id(), both.team_id()));
  // A filter on another site is refused; on its own site, answered.
  v1::ListTeamsRequest other;
  other.set_site_id("village");
  EXPECT_THAT(Call(&Stub::ListTeams, campus_vol, other),
              StatusIs(absl::StatusCode::kPermissionDenied));
  v1::ListTeamsRequest own;
  own.set_site_id("campus");
  ASSERT_OK_AND_ASSIGN(v1::ListTeamsResponse filtered, Call(&Stub::ListTeams, campus_vol, own));
  EXPECT_THAT(names(filtered), ElementsAre(campus.team_id(), both.team_id()));

  // A leader of two sites sees the teams of either; an unrestricted caller sees them all.
  ASSERT_OK_AND_ASSIGN(
      v1::ListTeamsResponse two,
      Call(&Stub::ListTeams, Token(Role::kLeader, "leader-2", {"village", "family-area"}),
           v1::ListTeamsRequest()));
  EXPECT_THAT(names(two), ElementsAre(both.team_id(), village.team_id(), family.team_id()));
  ASSERT_OK_AND_ASSIGN(v1::ListTeamsResponse all,
                       Call(&Stub::ListTeams, Vol("vol-any"), v1::ListTeamsRequest()));
  EXPECT_THAT(all.teams(), SizeIs(4));
}

TEST_F(DispatchServiceTest, ASiteRestrictedLeaderCannotListTheVolunteersOfAnotherSitesTeam) {
  ASSERT_OK_AND_ASSIGN(v1::Team campus, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK_AND_ASSIGN(v1::Team village, CreateTeam("驻村突击队", {"village"}));
  ASSERT_OK(Enroll(campus.team_id(), "vol-campus").status());
  ASSERT_OK(Enroll(village.team_id(), "vol-village").status());
  const std::string campus_leader = Token(Role::kLeader, "leader-campus", {"campus"});
  v1::ListVolunteersRequest list;
  list.set_team_id(village.team_id());
  EXPECT_THAT(Call(&Stub::ListVolunteers, campus_leader, list),
              StatusIs(absl::StatusCode::kPermissionDenied));
  list.set_team_id(campus.team_id());
  ASSERT_OK_AND_ASSIGN(v1::ListVolunteersResponse own,
                       Call(&Stub::ListVolunteers, campus_leader, list));
  EXPECT_THAT(own.volunteers(), SizeIs(1));
}

TEST_F(DispatchServiceTest, ASiteRestrictedLeaderListsOnlyTheSchedulesOfItsSites) {
  ASSERT_OK_AND_ASSIGN(v1::Team campus, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK_AND_ASSIGN(v1::Team village, CreateTeam("驻村突击队", {"village"}));
  const auto create = [&](const std::string& site, const std::string& team_id) {
    v1::CreateScheduleRequest req;
    req.set_request_id(NextRequestId());
    req.set_kind(v1::TASK_KIND_DISINFECTION);
    req.set_site_id(site);
    req.add_areas("一号楼");
    req.add_times_of_day("08:00");
    req.set_team_id(team_id);
    req.set_duration_minutes(60);
    return Call(&Stub::CreateSchedule, Leader(), req);
  };
  ASSERT_OK_AND_ASSIGN(v1::Schedule own, create("campus", campus.team_id()));
  ASSERT_OK(create("village", village.team_id()).status());

  const std::string campus_leader = Token(Role::kLeader, "leader-campus", {"campus"});
  ASSERT_OK_AND_ASSIGN(v1::ListSchedulesResponse mine,
                       Call(&Stub::ListSchedules, campus_leader, v1::ListSchedulesRequest()));
  ASSERT_THAT(mine.schedules(), SizeIs(1));
  EXPECT_EQ(mine.schedules(0).schedule_id(), own.schedule_id());
  v1::ListSchedulesRequest other;
  other.set_site_id("village");
  EXPECT_THAT(Call(&Stub::ListSchedules, campus_leader, other),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(v1::ListSchedulesResponse all,
                       Call(&Stub::ListSchedules, Leader(), v1::ListSchedulesRequest()));
  EXPECT_THAT(all.schedules(), SizeIs(2));
}

TEST_F(DispatchServiceTest, ASupplyDeliveryKeepsItsItemCodeInEveryAnswer) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK(Enroll(team.team_id(), "vol-a").status());
  v1::CreateTaskRequest req = TaskRequest("campus", team.team_id());
  req.mutable_task()->set_item_code("disinfectant-84");
  ASSERT_OK_AND_ASSIGN(v1::Task created, CreateTask(req));
  EXPECT_EQ(created.item_code(), "disinfectant-84");
  ASSERT_OK_AND_ASSIGN(v1::Task read, GetTask(created.task_id()));
  EXPECT_EQ(read.item_code(), "disinfectant-84");
  std::vector<v1::Task> listed = AllTasks({});
  ASSERT_THAT(listed, SizeIs(1));
  EXPECT_EQ(listed[0].item_code(), "disinfectant-84");
  ASSERT_OK_AND_ASSIGN(v1::Task claimed, Claim("vol-a", created.task_id()));
  EXPECT_EQ(claimed.item_code(), "disinfectant-84");
  ASSERT_OK_AND_ASSIGN(v1::Task started, StartTask("vol-a", created.task_id()));
  EXPECT_EQ(started.item_code(), "disinfectant-84");
  ASSERT_OK_AND_ASSIGN(v1::Task done, Complete(Vol("vol-a"), created.task_id(), "已发放 3 瓶"));
  EXPECT_EQ(done.item_code(), "disinfectant-84");

  // Another kind may not name an item; a malformed code is refused by name; nothing is made.
  v1::CreateTaskRequest publicity = TaskRequest("campus", team.team_id());
  publicity.mutable_task()->set_kind(v1::TASK_KIND_PUBLICITY);
  publicity.mutable_task()->set_item_code("mask-n95");
  absl::StatusOr<v1::Task> refused = CreateTask(publicity);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(server::FieldViolations(refused.status()), ElementsAre(Key("task.item_code")));
  v1::CreateTaskRequest malformed = TaskRequest("campus", team.team_id());
  malformed.mutable_task()->set_item_code("84消毒液");
  EXPECT_THAT(server::FieldViolations(CreateTask(malformed).status()),
              ElementsAre(Key("task.item_code")));
  EXPECT_THAT(AllTasks({}), SizeIs(1));
}

TEST_F(DispatchServiceTest, OnlyTheAssignedVolunteerIsToldATaskIsItsOwn) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK(Enroll(team.team_id(), "vol-a").status());
  ASSERT_OK(Enroll(team.team_id(), "vol-b").status());
  v1::CreateTaskRequest req = TaskRequest("campus", team.team_id());
  req.mutable_task()->set_item_code("mask-n95");
  ASSERT_OK_AND_ASSIGN(v1::Task task, CreateTask(req));
  ASSERT_OK_AND_ASSIGN(v1::Task other, CreateTask(TaskRequest("campus", team.team_id())));
  EXPECT_FALSE(task.assigned_to_caller()) << "the creating leader";

  // Open: nobody's.
  ASSERT_OK_AND_ASSIGN(v1::Task open_for_a, GetTask(task.task_id(), Vol("vol-a")));
  EXPECT_FALSE(open_for_a.assigned_to_caller());

  ASSERT_OK_AND_ASSIGN(v1::Task claimed, Claim("vol-a", task.task_id()));
  EXPECT_TRUE(claimed.assigned_to_caller());
  ASSERT_OK_AND_ASSIGN(v1::Task for_a, GetTask(task.task_id(), Vol("vol-a")));
  EXPECT_TRUE(for_a.assigned_to_caller());
  ASSERT_OK_AND_ASSIGN(v1::Task for_leader, GetTask(task.task_id()));
  EXPECT_FALSE(for_leader.assigned_to_caller());

  // The same list, as each of them sees it.
  const auto marks = [&](const std::string& token) {
    std::map<std::string, bool> out;
    absl::StatusOr<v1::ListTasksResponse> page = ListTasks({}, token);
    EXPECT_TRUE(page.ok()) << page.status();
    if (page.ok()) {
      for (const v1::Task& t : page->tasks()) out[t.task_id()] = t.assigned_to_caller();
    }
    return out;
  };
  EXPECT_EQ(marks(Vol("vol-a")), (std::map<std::string, bool>{{task.task_id(), true},
                                                               {other.task_id(), false}}));
  EXPECT_EQ(marks(Vol("vol-b")), (std::map<std::string, bool>{{task.task_id(), false},
                                                               {other.task_id(), false}}));
  EXPECT_EQ(marks(Leader()), (std::map<std::string, bool>{{task.task_id(), false},
                                                           {other.task_id(), false}}));

  ASSERT_OK_AND_ASSIGN(v1::Task started, StartTask("vol-a", task.task_id()));
  EXPECT_TRUE(started.assigned_to_caller());
  ASSERT_OK_AND_ASSIGN(v1::Task done, Complete(Vol("vol-a"), task.task_id()));
  EXPECT_TRUE(done.assigned_to_caller());
  ASSERT_OK_AND_ASSIGN(v1::Task done_for_leader, GetTask(task.task_id()));
  EXPECT_FALSE(done_for_leader.assigned_to_caller());
  ASSERT_OK_AND_ASSIGN(v1::Task b_claims_other, Claim("vol-b", other.task_id()));
  EXPECT_TRUE(b_claims_other.assigned_to_caller());
  ASSERT_OK_AND_ASSIGN(v1::Task other_for_a, GetTask(other.task_id(), Vol("vol-a")));
  EXPECT_FALSE(other_for_a.assigned_to_caller());
}

TEST_F(DispatchServiceTest, TasksOfADatabaseFromBeforeItemCodesReadBackWithNone) {
  // A database at the first schema version, with a task in it, as an older binary left it.
  const std::string path = dir_.File("old-dispatch.db");
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<sql::Database> db,
                         sql::Database::Open(::lianfang::testing::TestDatabaseUrlForPath(path)));
    ASSERT_OK(db->Migrate(kComponent, Migrations().first(1)));
    ASSERT_OK(db->Write([](sql::Session& s) -> absl::Status {
      RETURN_IF_ERROR(
          s.Execute("UPDATE dispatch_ids SET next_value = 1 WHERE name = 'task'").status());
      return s
          .Execute(
              "INSERT INTO dispatch_tasks (task_id, seq, kind, site_id, location, title, details, "
              "priority, due_at, team_id, assignee, status, created_by, created_at, "
              "completion_note, cancel_reason, schedule_id, person_key, source_ref) VALUES "
              "('task-1', 1, 5, 'campus', '', '配送口罩', '', 2, 9223372036854775807, '', '', 1, "
              "'leader-1', 0, '', '', '', '', '')")
          .status();
    }));
  }
  dispatch_.reset();
  ASSERT_OK_AND_ASSIGN(dispatch_, DispatchHarness::Start({.db_path = path,
                                                          .clock = &clock_,
                                                          .tokens = &tokens_,
                                                          .redis_url = redis_url()}));
  ASSERT_OK_AND_ASSIGN(v1::Task old, GetTask("task-1"));
  EXPECT_EQ(old.title(), "配送口罩");
  EXPECT_EQ(old.item_code(), "");
  v1::CreateTaskRequest req = TaskRequest("campus");
  req.mutable_task()->set_item_code("mask-n95");
  ASSERT_OK_AND_ASSIGN(v1::Task fresh, CreateTask(req));
  EXPECT_EQ(fresh.task_id(), "task-2");
  ASSERT_OK_AND_ASSIGN(v1::Task reread, GetTask(fresh.task_id()));
  EXPECT_EQ(reread.item_code(), "mask-n95");
}

}  // namespace
}  // namespace lianfang::dispatch::testing
