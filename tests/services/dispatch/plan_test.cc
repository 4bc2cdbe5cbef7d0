// Contingency plans over loopback gRPC with a real database and redis-server: an activation
// creates exactly one task per step with the right due times (once, across retries and a
// restart), progress and overdue read from the tasks, staleness after 90 days, ending with
// cancellation, a leader kept to its sites, and bad input refused with nothing written.
#include <grpcpp/support/sync_stream.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/server/errors.h"
#include "common/testing/poll.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/dispatch/dispatch_fixture.h"

namespace lianfang::dispatch::testing {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Key;
using ::testing::SizeIs;

class PlanTest : public DispatchTest {
 protected:
  static v1::PlanStep Step(const std::string& title, int offset, int duration,
                           const std::string& team_id = "") {
    v1::PlanStep step;
    step.set_title(title);
    step.set_kind(v1::TASK_KIND_DISINFECTION);
    step.set_offset_minutes(offset);
    step.set_duration_minutes(duration);
    step.set_team_id(team_id);
    return step;
  }

  // A plan for the campus: disinfection now for 2 h, registration after 1 h for 4 h, a
  // publicity round after a day for 30 min (by `team_id` when given).
  v1::CreatePlanRequest PlanRequest(const std::string& team_id = "") {
    v1::CreatePlanRequest req;
    req.set_request_id(NextRequestId());
    v1::Plan* plan = req.mutable_plan();
    plan->set_name("节后返校防控预案");
    plan->set_scenario(v1::PLAN_SCENARIO_AFTER_HOLIDAY);
    plan->set_site_id("campus");
    *plan->add_steps() = Step("公共区域全面消毒", 0, 120, team_id);
    *plan->add_steps() = Step("返校人员健康登记", 60, 240);
    v1::PlanStep* publicity = plan->add_steps();
    *publicity = Step("张贴防控须知", 24 * 60, 30);
    publicity->set_kind(v1::TASK_KIND_PUBLICITY);
    publicity->set_priority(v1::PRIORITY_HIGH);
    return req;
  }

  absl::StatusOr<v1::Plan> CreatePlan(const v1::CreatePlanRequest& req, std::string token = "") {
    return Call(&Stub::CreatePlan, token.empty() ? Leader() : token, req);
  }

  v1::ActivatePlanRequest ActivateRequest(const std::string& plan_id, v1::ActivationMode mode) {
    v1::ActivatePlanRequest req;
    req.set_request_id(NextRequestId());
    req.set_plan_id(plan_id);
    req.set_mode(mode);
    return req;
  }

  absl::StatusOr<v1::Activation> Activate(const v1::ActivatePlanRequest& req,
                                          std::string token = "") {
    return Call(&Stub::ActivatePlan, token.empty() ? Leader() : token, req);
  }

  absl::StatusOr<v1::Activation> GetActivation(const std::string& id) {
    v1::GetActivationRequest req;
    req.set_activation_id(id);
    return Call(&Stub::GetActivation, Leader(), req);
  }

  absl::StatusOr<v1::ListPlansResponse> ListPlans(v1::ListPlansRequest req = {},
                                                  std::string token = "") {
    return Call(&Stub::ListPlans, token.empty() ? Leader() : token, req);
  }

  absl::StatusOr<v1::ListActivationsResponse> ListActivations(std::string token = "") {
    return Call(&Stub::ListActivations, token.empty() ? Leader() : token,
                v1::ListActivationsRequest());
  }

  // Completes `task_id` as a volunteer of `team_id` would: assigned, started, done.
  void CompleteAsVolunteer(const std::string& team_id, const std::string& sub,
                           const std::string& task_id) {
    absl::StatusOr<std::string> v = Enroll(team_id, sub);
    ASSERT_TRUE(v.ok()) << v.status();
    ASSERT_TRUE(Assign(task_id, *v).ok());
    ASSERT_TRUE(StartTask(sub, task_id).ok());
    ASSERT_TRUE(Complete(Vol(sub), task_id).ok());
  }
};

TEST_F(PlanTest, AnActivationCreatesOneTaskPerStepDueAtStartPlusOffsetPlusDuration) {
  ASSERT_OK_AND_ASSIGN(v1::Team other, CreateTeam("校园第一突击队", {"campus"}));
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园消杀突击队", {"campus"}));
  ASSERT_OK_AND_ASSIGN(v1::Plan plan, CreatePlan(PlanRequest(team.team_id())));
  EXPECT_EQ(plan.version(), 1);
  EXPECT_EQ(plan.created_by(), "leader-1");
  EXPECT_FALSE(plan.stale());

  const absl::Time start = clock_.Now() + absl::Hours(1);
  v1::ActivatePlanRequest req = ActivateRequest(plan.plan_id(), v1::ACTIVATION_MODE_REAL);
  *req.mutable_starts_at() = time::ToTimestamp(start);
  ASSERT_OK_AND_ASSIGN(v1::Activation a, Activate(req));
  EXPECT_EQ(a.plan_id(), plan.plan_id());
  EXPECT_EQ(a.plan_name(), "节后返校防控预案");
  EXPECT_EQ(a.plan_version(), 1);
  EXPECT_EQ(a.mode(), v1::ACTIVATION_MODE_REAL);
  EXPECT_EQ(a.site_id(), "campus");
  EXPECT_EQ(a.activated_by(), "leader-1");
  EXPECT_FALSE(a.has_ended_at());
  EXPECT_EQ(a.steps_total(), 3);
  EXPECT_EQ(a.steps_done(), 0);
  EXPECT_EQ(a.steps_overdue(), 0);
  ASSERT_THAT(a.steps(), SizeIs(3));

  const std::vector<absl::Time> due = {start + absl::Minutes(120), start + absl::Minutes(60 + 240),
                                       start + absl::Minutes(24 * 60 + 30)};
  std::vector<v1::Task> tasks = AllTasks({});
  ASSERT_THAT(tasks, SizeIs(3)) << "exactly one task per step";
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    const v1::ActivationStep& step = a.steps(i);
    EXPECT_EQ(step.index(), i);
    EXPECT_EQ(time::FromTimestamp(step.due_at()), due[i]);
    ASSERT_OK_AND_ASSIGN(v1::Task task, GetTask(step.task_id()));
    EXPECT_EQ(task.title(), plan.steps(i).title()) << "a real activation's titles are the steps'";
    EXPECT_EQ(time::FromTimestamp(task.due_at()), due[i]);
    EXPECT_EQ(task.source_ref(),
              absl::StrCat("dispatch.plan_activation/", a.activation_id(), "/", i));
    EXPECT_EQ(task.site_id(), "campus");
    EXPECT_EQ(task.status(), v1::TASK_STATUS_OPEN);
    EXPECT_EQ(task.created_by(), "leader-1");
  }
  ASSERT_OK_AND_ASSIGN(v1::Task first, GetTask(a.steps(0).task_id()));
  EXPECT_EQ(first.team_id(), team.team_id()) << "the step's team gets the task";
  ASSERT_OK_AND_ASSIGN(v1::Task second, GetTask(a.steps(1).task_id()));
  EXPECT_EQ(second.team_id(), other.team_id()) << "no team: the site's first team, as CreateTask";
  ASSERT_OK_AND_ASSIGN(v1::Task third, GetTask(a.steps(2).task_id()));
  EXPECT_EQ(third.priority(), v1::PRIORITY_HIGH);
  EXPECT_EQ(third.kind(), v1::TASK_KIND_PUBLICITY);

  // The tasks count like any other: the site's open tasks.
  v1::GetTaskSummaryRequest summary_req;
  summary_req.set_site_id("campus");
  ASSERT_OK_AND_ASSIGN(v1::GetTaskSummaryResponse summary,
                       Call(&Stub::GetTaskSummary, Leader(), summary_req));
  ASSERT_THAT(summary.sites(), SizeIs(1));
  EXPECT_EQ(summary.sites(0).tasks_open(), 3);
}

TEST_F(PlanTest, ADrillsTasksAreTitledAsADrill) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK_AND_ASSIGN(v1::Plan plan, CreatePlan(PlanRequest()));
  ASSERT_OK_AND_ASSIGN(v1::Activation a,
                       Activate(ActivateRequest(plan.plan_id(), v1::ACTIVATION_MODE_DRILL)));
  EXPECT_EQ(a.mode(), v1::ACTIVATION_MODE_DRILL);
  EXPECT_EQ(time::FromTimestamp(a.starts_at()), clock_.Now()) << "no start given: now";
  for (const v1::ActivationStep& step : a.steps()) {
    ASSERT_OK_AND_ASSIGN(v1::Task task, GetTask(step.task_id()));
    EXPECT_EQ(task.title(), absl::StrCat("【演练】", step.title()));
    EXPECT_EQ(task.team_id(), team.team_id());
  }
}

TEST_F(PlanTest, AnActivationsTasksReachTheTeamsWatchers) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK(Enroll(team.team_id(), "vol-a").status());
  ASSERT_OK_AND_ASSIGN(v1::Plan plan, CreatePlan(PlanRequest()));
  auto context = lianfang::testing::NewClientContext(Vol("vol-a"), absl::Minutes(5));
  std::unique_ptr<grpc::ClientReader<v1::TaskEvent>> reader =
      dispatch_->stub().WatchTasks(context.get(), v1::WatchTasksRequest());
  absl::Mutex mu;
  std::vector<v1::TaskEvent> events;
  std::thread thread([&] {
    v1::TaskEvent event;
    while (reader->Read(&event)) {
      absl::MutexLock lock(&mu);
      events.push_back(event);
    }
    (void)reader->Finish();
  });
  EXPECT_TRUE(lianfang::testing::PollUntil([&] { return dispatch_->hub().watchers() == 1; },
                                           absl::Seconds(10)));
  absl::StatusOr<v1::Activation> a =
      Activate(ActivateRequest(plan.plan_id(), v1::ACTIVATION_MODE_DRILL));
  const bool got = lianfang::testing::PollUntil(
      [&] {
        absl::MutexLock lock(&mu);
        return events.size() >= 3;
      },
      absl::Seconds(10));
  context->TryCancel();
  thread.join();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(got) << events.size();
  std::set<std::string> created;
  for (const v1::TaskEvent& e : events) {
    EXPECT_EQ(e.event(), v1::TaskEvent::TASK_EVENT_CREATED);
    EXPECT_THAT(e.task().title(), HasSubstr("【演练】"));
    created.insert(e.task().task_id());
  }
  EXPECT_EQ(created, (std::set<std::string>{a->steps(0).task_id(), a->steps(1).task_id(),
                                            a->steps(2).task_id()}));
}

TEST_F(PlanTest, ARetriedActivationCreatesNothingAgainEvenAfterARestart) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  v1::CreatePlanRequest plan_req = PlanRequest();
  ASSERT_OK_AND_ASSIGN(v1::Plan plan, CreatePlan(plan_req));
  ASSERT_OK_AND_ASSIGN(v1::Plan again, CreatePlan(plan_req));
  EXPECT_EQ(again.plan_id(), plan.plan_id()) << "a retried CreatePlan creates no second plan";

  const v1::ActivatePlanRequest req = ActivateRequest(plan.plan_id(), v1::ACTIVATION_MODE_REAL);
  ASSERT_OK_AND_ASSIGN(v1::Activation first, Activate(req));
  ASSERT_OK_AND_ASSIGN(v1::Activation retry, Activate(req));
  EXPECT_EQ(retry.activation_id(), first.activation_id());
  EXPECT_THAT(AllTasks({}), SizeIs(3));

  dispatch_.reset();
  ASSERT_OK_AND_ASSIGN(dispatch_, StartHarness());
  ASSERT_OK_AND_ASSIGN(v1::Activation after_restart, Activate(req));
  EXPECT_EQ(after_restart.activation_id(), first.activation_id());
  EXPECT_THAT(AllTasks({}), SizeIs(3)) << "a retry after a restart creates nothing either";
  ASSERT_OK_AND_ASSIGN(v1::ListActivationsResponse list, ListActivations());
  EXPECT_THAT(list.activations(), SizeIs(1));

  // A new request is a new activation, with its own tasks.
  ASSERT_OK_AND_ASSIGN(v1::Activation second,
                       Activate(ActivateRequest(plan.plan_id(), v1::ACTIVATION_MODE_DRILL)));
  EXPECT_NE(second.activation_id(), first.activation_id());
  EXPECT_THAT(AllTasks({}), SizeIs(6));
  ASSERT_OK_AND_ASSIGN(list, ListActivations());
  ASSERT_THAT(list.activations(), SizeIs(2));
  EXPECT_EQ(list.activations(0).activation_id(), second.activation_id()) << "newest first";
  (void)team;
}

TEST_F(PlanTest, ProgressCountsStepsDoneAndOverdueFromTheTasks) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK_AND_ASSIGN(v1::Plan plan, CreatePlan(PlanRequest()));
  ASSERT_OK_AND_ASSIGN(v1::Activation a,
                       Activate(ActivateRequest(plan.plan_id(), v1::ACTIVATION_MODE_REAL)));

  CompleteAsVolunteer(team.team_id(), "vol-a", a.steps(0).task_id());
  ASSERT_OK_AND_ASSIGN(v1::Activation progress, GetActivation(a.activation_id()));
  EXPECT_EQ(progress.steps_done(), 1);
  EXPECT_EQ(progress.steps_overdue(), 0);
  EXPECT_EQ(progress.steps(0).status(), v1::TASK_STATUS_DONE);

  // Past the second step's due time (start + 60 + 240 minutes) but not the third's.
  clock_.Advance(absl::Minutes(301));
  ASSERT_OK_AND_ASSIGN(progress, GetActivation(a.activation_id()));
  EXPECT_EQ(progress.steps_done(), 1);
  EXPECT_EQ(progress.steps_overdue(), 1);
  EXPECT_FALSE(progress.steps(0).overdue()) << "a done step is never overdue";
  EXPECT_TRUE(progress.steps(1).overdue());
  EXPECT_FALSE(progress.steps(2).overdue());
  ASSERT_OK_AND_ASSIGN(v1::ListActivationsResponse list, ListActivations());
  ASSERT_THAT(list.activations(), SizeIs(1));
  EXPECT_EQ(list.activations(0).steps_overdue(), 1);
}

TEST_F(PlanTest, APlanNotReviewedForNinetyDaysIsStaleUntilReviewedOrReplaced) {
  ASSERT_OK_AND_ASSIGN(v1::Plan plan, CreatePlan(PlanRequest()));
  v1::ListPlansRequest stale_only;
  stale_only.set_stale_only(true);

  clock_.Advance(absl::Hours(90 * 24));
  ASSERT_OK_AND_ASSIGN(v1::ListPlansResponse list, ListPlans());
  ASSERT_THAT(list.plans(), SizeIs(1));
  EXPECT_FALSE(list.plans(0).stale()) << "90 days exactly are not yet stale";
  ASSERT_OK_AND_ASSIGN(list, ListPlans(stale_only));
  EXPECT_THAT(list.plans(), SizeIs(0));

  clock_.Advance(absl::Minutes(1));
  ASSERT_OK_AND_ASSIGN(list, ListPlans());
  ASSERT_THAT(list.plans(), SizeIs(1));
  EXPECT_TRUE(list.plans(0).stale());
  ASSERT_OK_AND_ASSIGN(list, ListPlans(stale_only));
  EXPECT_THAT(list.plans(), SizeIs(1));

  v1::ReviewPlanRequest review;
  review.set_request_id(NextRequestId());
  review.set_plan_id(plan.plan_id());
  ASSERT_OK_AND_ASSIGN(v1::Plan reviewed,
                       Call(&Stub::ReviewPlan, Token(Role::kLeader, "leader-2"), review));
  EXPECT_FALSE(reviewed.stale());
  EXPECT_EQ(reviewed.reviewed_by(), "leader-2");
  EXPECT_EQ(time::FromTimestamp(reviewed.reviewed_at()), clock_.Now());
  EXPECT_EQ(reviewed.version(), 1) << "a review changes no version";
  ASSERT_OK_AND_ASSIGN(list, ListPlans(stale_only));
  EXPECT_THAT(list.plans(), SizeIs(0));

  // Replacing counts as a review too, and makes a new version.
  clock_.Advance(absl::Hours(91 * 24));
  ASSERT_OK_AND_ASSIGN(list, ListPlans(stale_only));
  EXPECT_THAT(list.plans(), SizeIs(1));
  v1::CreatePlanRequest replace = PlanRequest();
  replace.mutable_plan()->set_plan_id(plan.plan_id());
  replace.mutable_plan()->set_name("节后返校防控预案（修订）");
  replace.mutable_plan()->mutable_steps()->RemoveLast();
  ASSERT_OK_AND_ASSIGN(v1::Plan v2, CreatePlan(replace));
  EXPECT_EQ(v2.plan_id(), plan.plan_id());
  EXPECT_EQ(v2.version(), 2);
  EXPECT_THAT(v2.steps(), SizeIs(2));
  EXPECT_EQ(time::FromTimestamp(v2.created_at()), time::FromTimestamp(plan.created_at()));
  EXPECT_FALSE(v2.stale());
  ASSERT_OK_AND_ASSIGN(list, ListPlans());
  ASSERT_THAT(list.plans(), SizeIs(1));
  EXPECT_EQ(list.plans(0).name(), "节后返校防控预案（修订）");
  EXPECT_FALSE(list.plans(0).stale());
}

TEST_F(PlanTest, EndingCancelsTheTasksNotDoneWhenAsked) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK_AND_ASSIGN(v1::Plan plan, CreatePlan(PlanRequest()));
  ASSERT_OK_AND_ASSIGN(v1::Activation kept,
                       Activate(ActivateRequest(plan.plan_id(), v1::ACTIVATION_MODE_DRILL)));
  ASSERT_OK_AND_ASSIGN(v1::Activation a,
                       Activate(ActivateRequest(plan.plan_id(), v1::ACTIVATION_MODE_DRILL)));
  CompleteAsVolunteer(team.team_id(), "vol-a", a.steps(0).task_id());

  v1::EndActivationRequest end;
  end.set_request_id(NextRequestId());
  end.set_activation_id(a.activation_id());
  end.set_cancel_open_tasks(true);
  ASSERT_OK_AND_ASSIGN(v1::Activation ended, Call(&Stub::EndActivation, Leader(), end));
  EXPECT_EQ(time::FromTimestamp(ended.ended_at()), clock_.Now());
  EXPECT_EQ(ended.steps_done(), 1);
  EXPECT_EQ(ended.steps(0).status(), v1::TASK_STATUS_DONE);
  EXPECT_EQ(ended.steps(1).status(), v1::TASK_STATUS_CANCELLED);
  EXPECT_EQ(ended.steps(2).status(), v1::TASK_STATUS_CANCELLED);
  ASSERT_OK_AND_ASSIGN(v1::Task cancelled, GetTask(a.steps(1).task_id()));
  EXPECT_EQ(cancelled.cancel_reason(), "预案已结束");
  ASSERT_OK_AND_ASSIGN(v1::Activation retried, Call(&Stub::EndActivation, Leader(), end));
  EXPECT_EQ(time::FromTimestamp(retried.ended_at()), time::FromTimestamp(ended.ended_at()))
      << "a retry gets the first answer";

  end.set_request_id(NextRequestId());
  EXPECT_THAT(Call(&Stub::EndActivation, Leader(), end),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("ended")));

  // The other activation's tasks are untouched; ending it without cancelling keeps them open.
  end.set_request_id(NextRequestId());
  end.set_activation_id(kept.activation_id());
  end.set_cancel_open_tasks(false);
  ASSERT_OK_AND_ASSIGN(v1::Activation ended_kept, Call(&Stub::EndActivation, Leader(), end));
  for (const v1::ActivationStep& step : ended_kept.steps()) {
    EXPECT_EQ(step.status(), v1::TASK_STATUS_OPEN);
  }
}

TEST_F(PlanTest, ALeaderActsOnlyOnPlansOfItsSites) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  const std::string village_leader = Token(Role::kLeader, "leader-v", {"village"});
  EXPECT_THAT(CreatePlan(PlanRequest(), village_leader),
              StatusIs(absl::StatusCode::kPermissionDenied));
  v1::CreatePlanRequest step_elsewhere = PlanRequest();
  step_elsewhere.mutable_plan()->set_site_id("village");
  step_elsewhere.mutable_plan()->mutable_steps(1)->set_site_id("campus");
  EXPECT_THAT(CreatePlan(step_elsewhere, village_leader),
              StatusIs(absl::StatusCode::kPermissionDenied))
      << "a step on another site is refused too";

  ASSERT_OK_AND_ASSIGN(v1::Plan campus_plan, CreatePlan(PlanRequest()));
  v1::CreatePlanRequest village_req = PlanRequest();
  village_req.mutable_plan()->set_site_id("village");
  village_req.mutable_plan()->set_name("复工后防控预案");
  ASSERT_OK_AND_ASSIGN(v1::Plan village_plan, CreatePlan(village_req, village_leader));

  ASSERT_OK_AND_ASSIGN(v1::ListPlansResponse list, ListPlans({}, village_leader));
  ASSERT_THAT(list.plans(), SizeIs(1));
  EXPECT_EQ(list.plans(0).plan_id(), village_plan.plan_id());
  v1::ListPlansRequest campus_only;
  campus_only.set_site_id("campus");
  EXPECT_THAT(ListPlans(campus_only, village_leader),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(
      Activate(ActivateRequest(campus_plan.plan_id(), v1::ACTIVATION_MODE_REAL), village_leader),
      StatusIs(absl::StatusCode::kPermissionDenied));
  v1::ReviewPlanRequest review;
  review.set_request_id(NextRequestId());
  review.set_plan_id(campus_plan.plan_id());
  EXPECT_THAT(Call(&Stub::ReviewPlan, village_leader, review),
              StatusIs(absl::StatusCode::kPermissionDenied));

  ASSERT_OK_AND_ASSIGN(v1::Activation a,
                       Activate(ActivateRequest(campus_plan.plan_id(), v1::ACTIVATION_MODE_REAL)));
  v1::GetActivationRequest get;
  get.set_activation_id(a.activation_id());
  EXPECT_THAT(Call(&Stub::GetActivation, village_leader, get),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(v1::ListActivationsResponse activations, ListActivations(village_leader));
  EXPECT_THAT(activations.activations(), SizeIs(0));
  EXPECT_THAT(Call(&Stub::ListPlans, Vol("vol-x"), v1::ListPlansRequest()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  (void)team;
}

TEST_F(PlanTest, BadInputIsRefusedNamingTheFieldWithNothingWritten) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK_AND_ASSIGN(v1::Team village_team, CreateTeam("驻村突击队", {"village"}));
  ASSERT_OK_AND_ASSIGN(common::v1::ListAuditEventsResponse audit_before,
                       Call(&Stub::ListAuditEvents, Admin(), common::v1::ListAuditEventsRequest()));

  v1::CreatePlanRequest no_steps = PlanRequest();
  no_steps.mutable_plan()->clear_steps();
  EXPECT_THAT(server::FieldViolations(CreatePlan(no_steps).status()),
              ElementsAre(Key("plan.steps")));

  v1::CreatePlanRequest negative = PlanRequest();
  negative.mutable_plan()->mutable_steps(1)->set_offset_minutes(-30);
  EXPECT_THAT(server::FieldViolations(CreatePlan(negative).status()),
              ElementsAre(Key("plan.steps[1].offset_minutes")));

  v1::CreatePlanRequest too_many = PlanRequest();
  while (too_many.plan().steps_size() <= 200)
    *too_many.mutable_plan()->add_steps() = Step("巡查", 0, 30);
  EXPECT_THAT(server::FieldViolations(CreatePlan(too_many).status()),
              ElementsAre(Key("plan.steps")));

  v1::CreatePlanRequest no_name = PlanRequest();
  no_name.mutable_plan()->set_name("");
  EXPECT_THAT(server::FieldViolations(CreatePlan(no_name).status()), ElementsAre(Key("plan.name")));

  v1::CreatePlanRequest unknown_site = PlanRequest();
  unknown_site.mutable_plan()->set_site_id("mars");
  EXPECT_THAT(server::FieldViolations(CreatePlan(unknown_site).status()),
              ElementsAre(Key("plan.site_id")));

  v1::CreatePlanRequest unknown_team = PlanRequest("team-999");
  EXPECT_THAT(server::FieldViolations(CreatePlan(unknown_team).status()),
              ElementsAre(Key("plan.steps[0].team_id")));
  v1::CreatePlanRequest team_elsewhere = PlanRequest(village_team.team_id());
  EXPECT_THAT(server::FieldViolations(CreatePlan(team_elsewhere).status()),
              ElementsAre(Key("plan.steps[0].team_id")));

  v1::CreatePlanRequest phone = PlanRequest();
  phone.mutable_plan()->mutable_steps(0)->set_title("联系13812345678");
  const absl::Status phone_status = CreatePlan(phone).status();
  EXPECT_THAT(server::FieldViolations(phone_status), ElementsAre(Key("plan.steps[0].title")));
  EXPECT_THAT(std::string(phone_status.message()), ::testing::Not(HasSubstr("13812345678")));

  v1::CreatePlanRequest unknown_plan = PlanRequest();
  unknown_plan.mutable_plan()->set_plan_id("plan-999");
  EXPECT_THAT(CreatePlan(unknown_plan), StatusIs(absl::StatusCode::kNotFound));

  EXPECT_THAT(Activate(ActivateRequest("plan-999", v1::ACTIVATION_MODE_REAL)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(server::FieldViolations(
                  Activate(ActivateRequest("plan-1", v1::ACTIVATION_MODE_UNSPECIFIED)).status()),
              ElementsAre(Key("mode")));
  v1::GetActivationRequest get;
  get.set_activation_id("activation-999");
  EXPECT_THAT(Call(&Stub::GetActivation, Leader(), get), StatusIs(absl::StatusCode::kNotFound));
  v1::EndActivationRequest end;
  end.set_request_id(NextRequestId());
  end.set_activation_id("activation-999");
  EXPECT_THAT(Call(&Stub::EndActivation, Leader(), end), StatusIs(absl::StatusCode::kNotFound));

  // Nothing was written: no plan, no task, no audit event.
  ASSERT_OK_AND_ASSIGN(v1::ListPlansResponse plans, ListPlans());
  EXPECT_THAT(plans.plans(), SizeIs(0));
  EXPECT_THAT(AllTasks({}), SizeIs(0));
  ASSERT_OK_AND_ASSIGN(common::v1::ListAuditEventsResponse audit_after,
                       Call(&Stub::ListAuditEvents, Admin(), common::v1::ListAuditEventsRequest()));
  EXPECT_EQ(audit_after.events_size(), audit_before.events_size());

  // A start more than 30 days ahead: nothing activated.
  ASSERT_OK_AND_ASSIGN(v1::Plan plan, CreatePlan(PlanRequest()));
  v1::ActivatePlanRequest far = ActivateRequest(plan.plan_id(), v1::ACTIVATION_MODE_REAL);
  *far.mutable_starts_at() = time::ToTimestamp(clock_.Now() + absl::Hours(31 * 24));
  EXPECT_THAT(server::FieldViolations(Activate(far).status()), ElementsAre(Key("starts_at")));
  ASSERT_OK_AND_ASSIGN(v1::ListActivationsResponse activations, ListActivations());
  EXPECT_THAT(activations.activations(), SizeIs(0));
  EXPECT_THAT(AllTasks({}), SizeIs(0));
  (void)team;
}

}  // namespace
}  // namespace lianfang::dispatch::testing
