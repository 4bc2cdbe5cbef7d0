// The rules of contingency plans: bad plans refused naming the field, steps expanded into
// tasks due at start + offset + duration, drills titled as drills, staleness after 90 days,
// progress counted from the steps.
#include "services/dispatch/plan_book.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "common/server/errors.h"
#include "common/sites/site_directory.h"
#include "common/status/status_matchers.h"
#include "common/testing/service_binaries.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::dispatch {
namespace {

using ::lianfang::testing::IsOk;
using ::lianfang::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Key;
using ::testing::Not;
using ::testing::Pair;

class PlanBookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(
        sites::SiteDirectory sites,
        sites::SiteDirectory::LoadFile(lianfang::testing::SourcePath("deploy/sites.textproto")));
    sites_ = std::make_unique<sites::SiteDirectory>(std::move(sites));
  }

  static v1::PlanStep Step(const std::string& title, int offset, int duration) {
    v1::PlanStep step;
    step.set_title(title);
    step.set_kind(v1::TASK_KIND_DISINFECTION);
    step.set_offset_minutes(offset);
    step.set_duration_minutes(duration);
    return step;
  }

  static v1::CreatePlanRequest GoodPlan() {
    v1::CreatePlanRequest req;
    req.set_request_id("r1");
    v1::Plan* plan = req.mutable_plan();
    plan->set_name("节后返校防控预案");
    plan->set_scenario(v1::PLAN_SCENARIO_AFTER_HOLIDAY);
    plan->set_site_id("campus");
    *plan->add_steps() = Step("公共区域全面消毒", 0, 120);
    *plan->add_steps() = Step("返校人员健康登记", 60, 240);
    return req;
  }

  std::unique_ptr<sites::SiteDirectory> sites_;
};

TEST_F(PlanBookTest, AGoodPlanPasses) {
  EXPECT_THAT(ValidateCreatePlan(GoodPlan(), *sites_), IsOk());
}

TEST_F(PlanBookTest, APlanWithoutStepsIsRefused) {
  v1::CreatePlanRequest req = GoodPlan();
  req.mutable_plan()->clear_steps();
  EXPECT_THAT(server::FieldViolations(ValidateCreatePlan(req, *sites_)),
              ElementsAre(Key("plan.steps")));
}

TEST_F(PlanBookTest, MoreThanTwoHundredStepsAreRefused) {
  v1::CreatePlanRequest req = GoodPlan();
  while (req.plan().steps_size() < kMaxPlanSteps)
    *req.mutable_plan()->add_steps() = Step("巡查", 0, 30);
  EXPECT_THAT(ValidateCreatePlan(req, *sites_), IsOk()) << "200 steps are still fine";
  *req.mutable_plan()->add_steps() = Step("巡查", 0, 30);
  EXPECT_THAT(server::FieldViolations(ValidateCreatePlan(req, *sites_)),
              ElementsAre(Pair("plan.steps", HasSubstr("200"))));
}

TEST_F(PlanBookTest, OffsetsAndDurationsOutOfRangeAreRefusedByStep) {
  v1::CreatePlanRequest req = GoodPlan();
  req.mutable_plan()->mutable_steps(1)->set_offset_minutes(-1);
  req.mutable_plan()->mutable_steps(0)->set_duration_minutes(0);
  EXPECT_THAT(
      server::FieldViolations(ValidateCreatePlan(req, *sites_)),
      ElementsAre(Key("plan.steps[0].duration_minutes"), Key("plan.steps[1].offset_minutes")));
  req = GoodPlan();
  req.mutable_plan()->mutable_steps(0)->set_offset_minutes(kMaxStepOffsetMinutes + 1);
  req.mutable_plan()->mutable_steps(1)->set_duration_minutes(kMaxStepDurationMinutes + 1);
  EXPECT_THAT(
      server::FieldViolations(ValidateCreatePlan(req, *sites_)),
      ElementsAre(Key("plan.steps[0].offset_minutes"), Key("plan.steps[1].duration_minutes")));
}

TEST_F(PlanBookTest, NameTitleScenarioKindAndSitesAreRequiredAndChecked) {
  v1::CreatePlanRequest req = GoodPlan();
  req.mutable_plan()->set_name("");
  req.mutable_plan()->set_scenario(v1::PLAN_SCENARIO_UNSPECIFIED);
  req.mutable_plan()->set_site_id("mars");
  req.mutable_plan()->mutable_steps(0)->set_title("");
  req.mutable_plan()->mutable_steps(0)->set_kind(v1::TASK_KIND_UNSPECIFIED);
  req.mutable_plan()->mutable_steps(1)->set_site_id("moon");
  EXPECT_THAT(
      server::FieldViolations(ValidateCreatePlan(req, *sites_)),
      ElementsAre(Key("plan.name"), Key("plan.scenario"), Pair("plan.site_id", "unknown site"),
                  Key("plan.steps[0].title"), Key("plan.steps[0].kind"),
                  Pair("plan.steps[1].site_id", "unknown site")));
}

TEST_F(PlanBookTest, FreeTextIsPlainAndHoldsNoPersonalData) {
  v1::CreatePlanRequest req = GoodPlan();
  req.mutable_plan()->set_name(std::string(kMaxPlanNameChars, 'x'));
  EXPECT_THAT(ValidateCreatePlan(req, *sites_), IsOk()) << "100 characters are still fine";
  req.mutable_plan()->set_name(std::string(kMaxPlanNameChars + 1, 'x'));
  req.mutable_plan()->mutable_steps(0)->set_title("联系13812345678");
  req.mutable_plan()->mutable_steps(1)->set_details("第一行\n第二行");
  const absl::Status s = ValidateCreatePlan(req, *sites_);
  EXPECT_THAT(server::FieldViolations(s), ElementsAre(Key("plan.name"), Key("plan.steps[0].title"),
                                                      Key("plan.steps[1].details")));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("13812345678")));
}

TEST_F(PlanBookTest, ActivationNeedsPlanAndMode) {
  v1::ActivatePlanRequest req;
  req.set_request_id("r1");
  EXPECT_THAT(server::FieldViolations(ValidateActivatePlan(req)),
              ElementsAre(Key("plan_id"), Key("mode")));
  req.set_plan_id("plan-1");
  req.set_mode(v1::ACTIVATION_MODE_DRILL);
  EXPECT_THAT(ValidateActivatePlan(req), IsOk());
}

TEST_F(PlanBookTest, AnActivationStartsAtMostThirtyDaysAheadAndNotInThePast) {
  const absl::Time now = absl::FromUnixSeconds(1'772'000'000);
  EXPECT_THAT(CheckActivationStart(now, now), IsOk());
  EXPECT_THAT(CheckActivationStart(now + absl::Hours(30 * 24), now), IsOk());
  EXPECT_THAT(CheckActivationStart(now + absl::Hours(30 * 24) + absl::Seconds(1), now),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("starts_at")));
  EXPECT_THAT(CheckActivationStart(now - absl::Hours(1), now),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("starts_at")));
}

TEST_F(PlanBookTest, StepsBecomeTasksDueAtStartPlusOffsetPlusDuration) {
  v1::Plan plan = GoodPlan().plan();
  plan.mutable_steps(1)->set_site_id("family-area");
  plan.mutable_steps(1)->set_team_id("team-2");
  plan.mutable_steps(1)->set_priority(v1::PRIORITY_HIGH);
  plan.mutable_steps(1)->set_details("测温、登记行程");
  const absl::Time start = absl::FromUnixSeconds(1'772'000'000);
  std::vector<v1::Task> tasks = ExpandSteps(plan, v1::ACTIVATION_MODE_REAL, "activation-7", start);
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].title(), "公共区域全面消毒");
  EXPECT_EQ(tasks[0].site_id(), "campus") << "a step without a site is on the plan's site";
  EXPECT_EQ(time::FromTimestamp(tasks[0].due_at()), start + absl::Minutes(120));
  EXPECT_EQ(tasks[0].source_ref(), "dispatch.plan_activation/activation-7/0");
  EXPECT_EQ(tasks[1].site_id(), "family-area");
  EXPECT_EQ(tasks[1].team_id(), "team-2");
  EXPECT_EQ(tasks[1].priority(), v1::PRIORITY_HIGH);
  EXPECT_EQ(tasks[1].details(), "测温、登记行程");
  EXPECT_EQ(tasks[1].kind(), v1::TASK_KIND_DISINFECTION);
  EXPECT_EQ(time::FromTimestamp(tasks[1].due_at()), start + absl::Minutes(60 + 240));
  EXPECT_EQ(tasks[1].source_ref(), "dispatch.plan_activation/activation-7/1");
}

TEST_F(PlanBookTest, ADrillsTasksAreTitledAsADrill) {
  std::vector<v1::Task> tasks =
      ExpandSteps(GoodPlan().plan(), v1::ACTIVATION_MODE_DRILL, "activation-1", absl::Now());
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].title(), "【演练】公共区域全面消毒");
  EXPECT_EQ(tasks[1].title(), "【演练】返校人员健康登记");
}

TEST_F(PlanBookTest, APlanIsStaleOnceNinetyDaysPassWithoutReview) {
  const absl::Time reviewed = absl::FromUnixSeconds(1'772'000'000);
  EXPECT_FALSE(IsStale(reviewed, reviewed + absl::Hours(90 * 24)));
  EXPECT_TRUE(IsStale(reviewed, reviewed + absl::Hours(90 * 24) + absl::Seconds(1)));
}

TEST_F(PlanBookTest, ProgressCountsDoneAndOverdueSteps) {
  v1::Activation a;
  a.add_steps()->set_status(v1::TASK_STATUS_DONE);
  v1::ActivationStep* late = a.add_steps();
  late->set_status(v1::TASK_STATUS_ASSIGNED);
  late->set_overdue(true);
  a.add_steps()->set_status(v1::TASK_STATUS_OPEN);
  FillProgress(a);
  EXPECT_EQ(a.steps_total(), 3);
  EXPECT_EQ(a.steps_done(), 1);
  EXPECT_EQ(a.steps_overdue(), 1);
}

}  // namespace
}  // namespace lianfang::dispatch
