#include "tools/lfctl/plan_file.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace lianfang::lfctl {
namespace {

namespace v1 = dispatch::v1;

absl::Status LineError(absl::string_view file, int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(file, ":", line, ": ", what));
}

// Lower case with '_' for '-' (English short names: "after-holiday", "door_to_door_survey").
std::string Normalized(absl::string_view text) {
  std::string out = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  absl::StrReplaceAll({{"-", "_"}}, &out);
  return out;
}

template <typename Enum>
std::optional<Enum> Lookup(const std::map<std::string, Enum>& names, absl::string_view text) {
  auto it = names.find(Normalized(text));
  if (it == names.end()) return std::nullopt;
  return it->second;
}

const std::map<std::string, v1::PlanScenario>& Scenarios() {
  static const auto* names = new std::map<std::string, v1::PlanScenario>{
      {"节后", v1::PLAN_SCENARIO_AFTER_HOLIDAY},
      {"复工后", v1::PLAN_SCENARIO_AFTER_WORK_RESUMES},
      {"开学后", v1::PLAN_SCENARIO_AFTER_SCHOOL_OPENS},
      {"复产后", v1::PLAN_SCENARIO_AFTER_PRODUCTION_RESTARTS},
      {"其他", v1::PLAN_SCENARIO_OTHER},
      {"after_holiday", v1::PLAN_SCENARIO_AFTER_HOLIDAY},
      {"after_work_resumes", v1::PLAN_SCENARIO_AFTER_WORK_RESUMES},
      {"after_school_opens", v1::PLAN_SCENARIO_AFTER_SCHOOL_OPENS},
      {"after_production_restarts", v1::PLAN_SCENARIO_AFTER_PRODUCTION_RESTARTS},
      {"other", v1::PLAN_SCENARIO_OTHER},
  };
  return *names;
}

const std::map<std::string, v1::TaskKind>& Kinds() {
  static const auto* names = new std::map<std::string, v1::TaskKind>{
      {"消毒", v1::TASK_KIND_DISINFECTION},
      {"入户摸排", v1::TASK_KIND_DOOR_TO_DOOR_SURVEY},
      {"摸排", v1::TASK_KIND_DOOR_TO_DOOR_SURVEY},
      {"租户核实", v1::TASK_KIND_TENANT_VERIFICATION},
      {"宣传", v1::TASK_KIND_PUBLICITY},
      {"物资配送", v1::TASK_KIND_SUPPLY_DELIVERY},
      {"门岗值守", v1::TASK_KIND_GATE_DUTY},
      {"值守", v1::TASK_KIND_GATE_DUTY},
      {"发热随访", v1::TASK_KIND_FEVER_FOLLOWUP},
      {"其他", v1::TASK_KIND_OTHER},
      {"disinfection", v1::TASK_KIND_DISINFECTION},
      {"door_to_door_survey", v1::TASK_KIND_DOOR_TO_DOOR_SURVEY},
      {"tenant_verification", v1::TASK_KIND_TENANT_VERIFICATION},
      {"publicity", v1::TASK_KIND_PUBLICITY},
      {"supply_delivery", v1::TASK_KIND_SUPPLY_DELIVERY},
      {"gate_duty", v1::TASK_KIND_GATE_DUTY},
      {"fever_followup", v1::TASK_KIND_FEVER_FOLLOWUP},
      {"other", v1::TASK_KIND_OTHER},
  };
  return *names;
}

const std::map<std::string, v1::Priority>& Priorities() {
  static const auto* names = new std::map<std::string, v1::Priority>{
      {"", v1::PRIORITY_NORMAL},       {"低", v1::PRIORITY_LOW},
      {"普通", v1::PRIORITY_NORMAL},   {"高", v1::PRIORITY_HIGH},
      {"紧急", v1::PRIORITY_URGENT},   {"low", v1::PRIORITY_LOW},
      {"normal", v1::PRIORITY_NORMAL}, {"high", v1::PRIORITY_HIGH},
      {"urgent", v1::PRIORITY_URGENT},
  };
  return *names;
}

// "90", "90分钟", "2小时", "1天", "30m", "2h", "1d" -> minutes. Negative numbers are returned as
// such (the service says what range it accepts).
std::optional<int64_t> Minutes(absl::string_view text) {
  std::string t(absl::StripAsciiWhitespace(text));
  int64_t factor = 1;
  struct Unit {
    const char* suffix;
    int64_t factor;
  };
  for (const Unit& u :
       {Unit{"分钟", 1}, Unit{"分", 1}, Unit{"min", 1}, Unit{"m", 1}, Unit{"小时", 60},
        Unit{"时", 60}, Unit{"h", 60}, Unit{"天", 24 * 60}, Unit{"d", 24 * 60}}) {
    if (absl::EndsWith(t, u.suffix)) {
      t.resize(t.size() - std::string(u.suffix).size());
      factor = u.factor;
      break;
    }
  }
  int64_t n = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(t), &n)) return std::nullopt;
  if (n > 1'000'000 || n < -1'000'000) return std::nullopt;
  return n * factor;
}

// Splits "key：value" or "key: value"; nullopt when the line has no colon.
std::optional<std::pair<std::string, std::string>> KeyValue(absl::string_view line) {
  const size_t ascii = line.find(':');
  const size_t wide = line.find("：");
  size_t at = std::string::npos;
  size_t width = 0;
  if (ascii != absl::string_view::npos) {
    at = ascii;
    width = 1;
  }
  if (wide != absl::string_view::npos && wide < at) {
    at = wide;
    width = std::string("：").size();
  }
  if (at == std::string::npos) return std::nullopt;
  return std::make_pair(std::string(absl::StripAsciiWhitespace(line.substr(0, at))),
                        std::string(absl::StripAsciiWhitespace(line.substr(at + width))));
}

uint64_t Fnv1a(absl::string_view text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

absl::StatusOr<PlanFile> ParsePlanFile(absl::string_view text, absl::string_view file_name) {
  PlanFile out;
  int line_no = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_no;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line_no == 1) absl::ConsumePrefix(&line, "\xEF\xBB\xBF");  // a BOM some editors write
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    std::optional<std::pair<std::string, std::string>> kv = KeyValue(line);
    if (!kv.has_value()) {
      return LineError(file_name, line_no,
                       "expected 名称：, 场景： or 步骤： at the start of the line");
    }
    const std::string key = absl::AsciiStrToLower(kv->first);
    const std::string& value = kv->second;
    if (key == "名称" || key == "name") {
      if (out.name_line != 0) return LineError(file_name, line_no, "the name is given twice");
      out.name_line = line_no;
      out.plan.set_name(value);
    } else if (key == "场景" || key == "scenario") {
      if (out.scenario_line != 0) {
        return LineError(file_name, line_no, "the scenario is given twice");
      }
      std::optional<v1::PlanScenario> scenario = Lookup(Scenarios(), value);
      if (!scenario.has_value()) {
        return LineError(file_name, line_no,
                         "unknown scenario (节后, 复工后, 开学后, 复产后 or 其他)");
      }
      out.scenario_line = line_no;
      out.plan.set_scenario(*scenario);
    } else if (key == "步骤" || key == "step") {
      std::vector<std::string> fields =
          absl::StrSplit(absl::StrReplaceAll(value, {{"｜", "|"}}), '|');
      for (std::string& f : fields) f = std::string(absl::StripAsciiWhitespace(f));
      if (fields.size() < 5 || fields.size() > 7) {
        return LineError(file_name, line_no,
                         absl::StrCat("a step has 5 to 7 fields separated by | (开始 | 时长 | "
                                      "类型 | 优先级 | 标题 | 说明 | 突击队), this one has ",
                                      fields.size()));
      }
      std::optional<int64_t> offset = Minutes(fields[0]);
      if (!offset.has_value()) {
        return LineError(file_name, line_no,
                         "开始 must be minutes, or a number with 分钟, 小时 or 天");
      }
      std::optional<int64_t> duration = Minutes(fields[1]);
      if (!duration.has_value()) {
        return LineError(file_name, line_no,
                         "时长 must be minutes, or a number with 分钟, 小时 or 天");
      }
      std::optional<v1::TaskKind> kind = Lookup(Kinds(), fields[2]);
      if (!kind.has_value()) {
        return LineError(file_name, line_no,
                         "unknown 类型 (消毒, 入户摸排, 租户核实, 宣传, 物资配送, 门岗值守, "
                         "发热随访 or 其他)");
      }
      std::optional<v1::Priority> priority = Lookup(Priorities(), fields[3]);
      if (!priority.has_value()) {
        return LineError(file_name, line_no, "unknown 优先级 (低, 普通, 高 or 紧急)");
      }
      v1::PlanStep* step = out.plan.add_steps();
      step->set_offset_minutes(static_cast<int32_t>(*offset));
      step->set_duration_minutes(static_cast<int32_t>(*duration));
      step->set_kind(*kind);
      step->set_priority(*priority);
      step->set_title(fields[4]);
      if (fields.size() > 5) step->set_details(fields[5]);
      if (fields.size() > 6) step->set_team_id(fields[6]);
      out.step_lines.push_back(line_no);
    } else {
      return LineError(file_name, line_no, "unknown key (名称, 场景 or 步骤)");
    }
  }
  if (out.name_line == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(file_name, ": 名称 (the plan's name) is missing"));
  }
  if (out.scenario_line == 0) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": 场景 (the scenario) is missing"));
  }
  if (out.plan.steps().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": the plan has no 步骤 (steps)"));
  }
  return out;
}

int LineOfField(const PlanFile& file, absl::string_view field) {
  if (absl::ConsumePrefix(&field, "plan.steps[")) {
    const size_t end = field.find(']');
    int index = 0;
    if (end == absl::string_view::npos || !absl::SimpleAtoi(field.substr(0, end), &index) ||
        index < 0 || index >= static_cast<int>(file.step_lines.size())) {
      return 0;
    }
    return file.step_lines[index];
  }
  if (field == "plan.name") return file.name_line;
  if (field == "plan.scenario") return file.scenario_line;
  return 0;
}

bool SameContent(const v1::Plan& a, const v1::Plan& b) {
  if (a.name() != b.name() || a.scenario() != b.scenario() || a.steps_size() != b.steps_size()) {
    return false;
  }
  for (int i = 0; i < a.steps_size(); ++i) {
    if (a.steps(i).SerializeAsString() != b.steps(i).SerializeAsString()) return false;
  }
  return true;
}

std::string ImportRequestId(const v1::Plan& plan, absl::string_view site_id,
                            absl::string_view replaces) {
  std::string digest = absl::StrCat(site_id, "\n", replaces, "\n", plan.name(), "\n",
                                    static_cast<int>(plan.scenario()));
  for (const v1::PlanStep& step : plan.steps()) {
    absl::StrAppend(&digest, "\n", step.SerializeAsString());
  }
  return absl::StrFormat("plan-import-%016x", Fnv1a(digest));
}

}  // namespace lianfang::lfctl
