// The plan template format: the shipped four-afters templates parse, steps read with their
// units, labels and lines, errors name file and line without repeating the line, and request
// ids follow the content.
#include "tools/lfctl/plan_file.h"

#include <fstream>
#include <sstream>
#include <string>

#include "common/status/status_matchers.h"
#include "common/testing/service_binaries.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::lfctl {
namespace {

namespace v1 = dispatch::v1;
using ::lianfang::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

constexpr char kPlan[] =
    "# 注释\n"
    "名称：节后返岗防控预案\n"
    "\n"
    "场景: 节后\n"
    "步骤：0 | 2小时 | 消毒 | 高 | 公共区域全面消毒 | 食堂、电梯\n"
    "step: 1d | 30 | publicity |  | 张贴须知 |  | team-2\n"
    "步骤：90分钟｜1天｜入户摸排｜紧急｜返回人员摸排\n";

TEST(PlanFileTest, ReadsNameScenarioAndStepsWithTheirLines) {
  ASSERT_OK_AND_ASSIGN(PlanFile file, ParsePlanFile(kPlan, "p.txt"));
  EXPECT_EQ(file.plan.name(), "节后返岗防控预案");
  EXPECT_EQ(file.plan.scenario(), v1::PLAN_SCENARIO_AFTER_HOLIDAY);
  ASSERT_EQ(file.plan.steps_size(), 3);
  const v1::PlanStep& first = file.plan.steps(0);
  EXPECT_EQ(first.offset_minutes(), 0);
  EXPECT_EQ(first.duration_minutes(), 120);
  EXPECT_EQ(first.kind(), v1::TASK_KIND_DISINFECTION);
  EXPECT_EQ(first.priority(), v1::PRIORITY_HIGH);
  EXPECT_EQ(first.title(), "公共区域全面消毒");
  EXPECT_EQ(first.details(), "食堂、电梯");
  const v1::PlanStep& second = file.plan.steps(1);
  EXPECT_EQ(second.offset_minutes(), 24 * 60);
  EXPECT_EQ(second.duration_minutes(), 30);
  EXPECT_EQ(second.kind(), v1::TASK_KIND_PUBLICITY);
  EXPECT_EQ(second.priority(), v1::PRIORITY_NORMAL) << "an empty priority is normal";
  EXPECT_EQ(second.team_id(), "team-2");
  const v1::PlanStep& third = file.plan.steps(2);
  EXPECT_EQ(third.offset_minutes(), 90);
  EXPECT_EQ(third.duration_minutes(), 24 * 60);
  EXPECT_EQ(third.kind(), v1::TASK_KIND_DOOR_TO_DOOR_SURVEY);
  EXPECT_EQ(third.priority(), v1::PRIORITY_URGENT);
  EXPECT_EQ(LineOfField(file, "plan.steps[1].title"), 6);
  EXPECT_EQ(LineOfField(file, "plan.steps[2].offset_minutes"), 7);
  EXPECT_EQ(LineOfField(file, "plan.name"), 2);
  EXPECT_EQ(LineOfField(file, "plan.steps[9].title"), 0);
}

TEST(PlanFileTest, TheShippedFourAftersTemplatesParse) {
  const std::pair<const char*, v1::PlanScenario> templates[] = {
      {"after-holiday.txt", v1::PLAN_SCENARIO_AFTER_HOLIDAY},
      {"after-work-resumes.txt", v1::PLAN_SCENARIO_AFTER_WORK_RESUMES},
      {"after-school-opens.txt", v1::PLAN_SCENARIO_AFTER_SCHOOL_OPENS},
      {"after-production-restarts.txt", v1::PLAN_SCENARIO_AFTER_PRODUCTION_RESTARTS},
  };
  for (const auto& [name, scenario] : templates) {
    SCOPED_TRACE(name);
    const std::string text =
        ReadFile(lianfang::testing::SourcePath(std::string("deploy/demo/plans/") + name));
    ASSERT_FALSE(text.empty());
    ASSERT_OK_AND_ASSIGN(PlanFile file, ParsePlanFile(text, name));
    EXPECT_EQ(file.plan.scenario(), scenario);
    EXPECT_GE(file.plan.steps_size(), 5);
  }
}

TEST(PlanFileTest, ErrorsNameFileAndLineWithoutRepeatingIt) {
  const std::string bad_step = "名称：预案\n场景：节后\n步骤：0 | 2小时 | 消毒 | 13812345678\n";
  absl::StatusOr<PlanFile> r = ParsePlanFile(bad_step, "plans/x.txt");
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("plans/x.txt:3: ")));
  EXPECT_THAT(std::string(r.status().message()), Not(HasSubstr("13812345678")));

  EXPECT_THAT(ParsePlanFile("名称：预案\n场景：节后\n步骤：soon | 1 | 消毒 | 高 | 消毒\n", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f:3: 开始")));
  EXPECT_THAT(ParsePlanFile("名称：预案\n场景：节后\n步骤：0 | 1 | 跳舞 | 高 | 消毒\n", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f:3: unknown 类型")));
  EXPECT_THAT(ParsePlanFile("名称：预案\n场景：春节\n", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f:2: unknown scenario")));
  EXPECT_THAT(ParsePlanFile("名称：预案\n张三 身份证 110101199003077777\n", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::AllOf(HasSubstr("f:2: "), Not(HasSubstr("110101")))));
  EXPECT_THAT(ParsePlanFile("名称：预案\n场景：节后\n", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f: the plan has no")));
  EXPECT_THAT(ParsePlanFile("场景：节后\n步骤：0 | 1 | 消毒 | 高 | 消毒\n", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("名称")));
}

TEST(PlanFileTest, RequestIdsFollowSiteContentAndTheReplacedPlan) {
  ASSERT_OK_AND_ASSIGN(PlanFile a, ParsePlanFile(kPlan, "a.txt"));
  ASSERT_OK_AND_ASSIGN(PlanFile b, ParsePlanFile(kPlan, "b.txt"));
  EXPECT_TRUE(SameContent(a.plan, b.plan));
  EXPECT_EQ(ImportRequestId(a.plan, "campus", ""), ImportRequestId(b.plan, "campus", ""))
      << "the same content gets the same id, whatever the file";
  EXPECT_NE(ImportRequestId(a.plan, "campus", ""), ImportRequestId(a.plan, "village", ""));
  EXPECT_NE(ImportRequestId(a.plan, "campus", ""), ImportRequestId(a.plan, "campus", "plan-1"));
  b.plan.mutable_steps(0)->set_duration_minutes(121);
  EXPECT_FALSE(SameContent(a.plan, b.plan));
  EXPECT_NE(ImportRequestId(a.plan, "campus", ""), ImportRequestId(b.plan, "campus", ""));
  EXPECT_LE(ImportRequestId(a.plan, "campus", "plan-1").size(), 64u);
}

}  // namespace
}  // namespace lianfang::lfctl
