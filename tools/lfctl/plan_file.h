// The text format of contingency plan templates (防控预案模板), read by `lfctl plan import` and
// `lfctl demo` (deploy/demo/plans/README.md describes it for the people who edit them):
//
//   # 以 # 开头的行是注释；空行忽略。
//   名称：节后返岗防控预案
//   场景：节后
//   # 步骤：开始 | 时长 | 类型 | 优先级 | 标题 | 说明（可省） | 突击队编号（可省）
//   步骤：0 | 2小时 | 消毒 | 高 | 公共区域全面消毒 | 教学楼、食堂、宿舍楼道和电梯
//   步骤：1天 | 30分钟 | 宣传 | 普通 | 张贴返岗防控须知
//
// Keys may be written in English too (name, scenario, step), with ':' or '：'. Start and
// duration are whole numbers of minutes, or with a unit: 分钟/分/m/min, 小时/时/h, 天/d.
// Scenarios: 节后, 复工后, 开学后, 复产后, 其他 (or after-holiday, after-work-resumes,
// after-school-opens, after-production-restarts, other); kinds and priorities as lfctl shows
// them (消毒, 入户摸排, 租户核实, 宣传, 物资配送, 门岗值守, 发热随访, 其他; 低, 普通, 高, 紧急;
// or their English short names); an empty priority is 普通. Fields are separated by '|' or '｜'.
//
// Errors name the file and line ("plans/节后.txt:7: ...") and never repeat the line's text (a
// template may have been edited to hold a name or a phone).
//
// Pure functions; thread-safe.
#ifndef LIANFANG_TOOLS_LFCTL_PLAN_FILE_H_
#define LIANFANG_TOOLS_LFCTL_PLAN_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"

namespace lianfang::lfctl {

// A parsed template: the plan (name, scenario, steps; no site) and the line of each step.
struct PlanFile {
  dispatch::v1::Plan plan;
  std::vector<int> step_lines;
  int name_line = 0;
  int scenario_line = 0;
};

// Parses `text`, the content of the file `file_name` (used in the messages only).
// INVALID_ARGUMENT "<file_name>:<line>: <what is wrong>" on the first error; a missing name,
// scenario or step is reported as "<file_name>: ...".
absl::StatusOr<PlanFile> ParsePlanFile(absl::string_view text, absl::string_view file_name);

// The line of `file` a field path of CreatePlanRequest refers to ("plan.steps[3].title" -> the
// fourth step's line, "plan.name" -> the name's line), or 0 when none.
int LineOfField(const PlanFile& file, absl::string_view field);

// True when `a` and `b` have the same name, scenario and steps (what a template says).
bool SameContent(const dispatch::v1::Plan& a, const dispatch::v1::Plan& b);

// A request id for creating (`replaces` empty) or replacing a plan with this content on
// `site_id`: the same template imported again gets the same id, so a retried or repeated
// import creates nothing twice. "plan-import-<16 hex digits>".
std::string ImportRequestId(const dispatch::v1::Plan& plan, absl::string_view site_id,
                            absl::string_view replaces);

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_PLAN_FILE_H_
