#include "tools/lfctl/output.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "tools/lfctl/money.h"

namespace lianfang::lfctl {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::EnumValueDescriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::Reflection;

struct Words {
  const char* zh;
  const char* en;
};

// Column labels, keyed by full path first and then by field name. The Chinese words are the
// glossary's (docs/GLOSSARY.md).
const std::map<std::string, Words>& LabelDictionary() {
  static const auto* labels = new std::map<std::string, Words>{
      {"passage.decision", {"结果", "decision"}},
      {"passage.deny_reason", {"拒绝原因", "deny reason"}},
      {"passage.warnings", {"提示", "warnings"}},
      {"warnings", {"提示", "warnings"}},
      {"regions", {"风险地区", "regions"}},
      {"effective_from", {"生效时间", "effective from"}},
      {"added", {"新增地区", "added"}},
      {"removed", {"移除地区", "removed"}},
      {"observations_opened", {"新开居家观察", "observations opened"}},
      {"passage.temperature_c", {"体温", "temperature"}},
      {"passage.name|passage.name_masked", {"姓名", "name"}},
      {"passage.id_masked", {"身份证号", "ID number"}},
      {"passage.passage_id", {"记录编号", "passage"}},
      {"passage.recorded_at", {"登记时间", "recorded at"}},
      {"totals.sites", {"场所", "sites"}},
      {"passage_id", {"记录编号", "passage"}},
      {"site_id", {"场所", "site"}},
      {"site_ids", {"场所", "sites"}},
      {"site_name", {"场所名称", "site name"}},
      {"site_name|site_id", {"场所", "site"}},
      {"name|site_id", {"场所", "site"}},
      {"gate_id", {"大门", "gate"}},
      {"gate_name", {"大门名称", "gate name"}},
      {"direction", {"方向", "direction"}},
      {"decision", {"结果", "decision"}},
      {"deny_reason", {"拒绝原因", "deny reason"}},
      {"person_key", {"人员标识", "person key"}},
      {"id_masked", {"身份证号", "ID number"}},
      {"name|name_masked", {"姓名", "name"}},
      {"name_masked", {"姓名", "name"}},
      {"phone|phone_masked", {"电话", "phone"}},
      {"phone_masked", {"电话", "phone"}},
      {"name", {"名称", "name"}},
      {"temperature_c", {"体温", "temperature"}},
      {"vehicle_plate", {"车牌", "plate"}},
      {"captured_at", {"采集时间", "captured at"}},
      {"recorded_at", {"登记时间", "recorded at"}},
      {"guard", {"值守人员", "guard"}},
      {"onsite", {"在场人数", "inside"}},
      {"replayed", {"重复提交", "replayed"}},
      {"pass_code", {"通行证号", "pass code"}},
      {"kind", {"类型", "kind"}},
      {"valid_until", {"有效期至", "valid until"}},
      {"revoked", {"已吊销", "revoked"}},
      {"issued_at", {"签发时间", "issued at"}},
      {"entries_today", {"今日进入", "entries today"}},
      {"exits_today", {"今日离开", "exits today"}},
      {"denied_today", {"今日拒绝", "denied today"}},
      {"fevers_today", {"今日发热", "fevers today"}},
      {"capacity", {"容量", "capacity"}},
      {"as_of", {"截至", "as of"}},
      {"household_id", {"户编号", "household"}},
      {"building", {"楼栋", "building"}},
      {"unit", {"单元", "unit"}},
      {"room", {"房号", "room"}},
      {"landlord_name|landlord_name_masked", {"房东", "landlord"}},
      {"landlord_phone|landlord_phone_masked", {"房东电话", "landlord phone"}},
      {"surveyed_at", {"摸排时间", "surveyed at"}},
      {"surveyed_by", {"摸排人", "surveyed by"}},
      {"resident_count", {"常住人口", "residents"}},
      {"resident_id", {"人员编号", "resident"}},
      {"relation", {"关系", "relation"}},
      {"is_tenant", {"租户", "tenant"}},
      {"tenant_status", {"租户核实", "tenant status"}},
      {"verification_note", {"核实说明", "verification note"}},
      {"registered_at", {"登记时间", "registered at"}},
      {"movement_id", {"行程编号", "movement"}},
      {"from_region", {"来自", "from"}},
      {"arrived_on", {"到达日期", "arrived on"}},
      {"transport", {"交通方式", "transport"}},
      {"note", {"备注", "note"}},
      {"observation.end_date", {"居家观察至", "observation until"}},
      {"start_date", {"开始日期", "start"}},
      {"ended_at", {"提前结束时间", "ended at"}},
      {"revoked_at", {"吊销时间", "revoked at"}},
      {"started_at", {"开始时间", "started at"}},
      {"assigned_at", {"分派时间", "assigned at"}},
      {"end_date", {"结束日期", "end"}},
      {"report_id", {"报告编号", "report"}},
      {"date", {"日期", "date"}},
      {"symptoms", {"症状", "symptoms"}},
      {"fever", {"发热", "fever"}},
      {"submitted_at", {"上报时间", "submitted at"}},
      {"submitted_by", {"上报人", "submitted by"}},
      {"team_id", {"突击队", "team"}},
      {"leader_sub", {"队长", "leader"}},
      {"volunteer_count", {"志愿者人数", "volunteers"}},
      {"volunteer_id", {"志愿者编号", "volunteer"}},
      {"user_sub", {"账号", "user"}},
      {"party_member", {"党员", "party member"}},
      {"pledged_at", {"承诺时间", "pledged at"}},
      {"on_duty", {"在岗", "on duty"}},
      {"unfinished_tasks", {"未完成任务", "unfinished tasks"}},
      {"minutes_on_duty_today", {"今日在岗分钟", "minutes on duty today"}},
      {"overworked", {"超负荷", "overworked"}},
      {"initiative_id", {"倡议编号", "initiative"}},
      {"body", {"正文", "body"}},
      {"published_by", {"发布人", "published by"}},
      {"published_at", {"发布时间", "published at"}},
      {"pledged_count", {"承诺人数", "pledged"}},
      {"party_members_pledged", {"党员承诺", "party members pledged"}},
      {"pledged_by_caller", {"本人已承诺", "pledged by me"}},
      {"team_name", {"突击队名称", "team name"}},
      {"volunteers", {"志愿者人数", "volunteers"}},
      {"party_members", {"党员人数", "party members"}},
      {"pledged", {"已承诺", "pledged"}},
      {"minutes_on_duty", {"在岗分钟", "minutes on duty"}},
      {"volunteers_overworked", {"超负荷志愿者", "volunteers overworked"}},
      {"from_date", {"起始日期", "from"}},
      {"to_date", {"截止日期", "to"}},
      {"task_id", {"任务编号", "task"}},
      {"task.task_id", {"任务编号", "task"}},
      {"task.status", {"状态", "status"}},
      {"task.title", {"标题", "title"}},
      {"task.assignee_volunteer_id", {"执行人", "assignee"}},
      {"event", {"事件", "event"}},
      {"at", {"时间", "at"}},
      {"actor", {"操作人", "actor"}},
      {"location", {"地点", "location"}},
      {"title", {"标题", "title"}},
      {"priority", {"优先级", "priority"}},
      {"due_at", {"截止时间", "due"}},
      {"assignee_volunteer_id", {"执行人", "assignee"}},
      {"status", {"状态", "status"}},
      {"overdue", {"逾期", "overdue"}},
      {"created_by", {"创建人", "created by"}},
      {"created_at", {"创建时间", "created at"}},
      {"completed_at", {"完成时间", "completed at"}},
      {"completion_note", {"完成说明", "completion note"}},
      {"schedule_id", {"计划编号", "schedule"}},
      {"areas", {"区域", "areas"}},
      {"times_of_day", {"时间", "times"}},
      {"duration_minutes", {"时长(分钟)", "minutes"}},
      {"paused", {"已暂停", "paused"}},
      {"version", {"版本", "version"}},
      {"incomplete_sources", {"缺数据来源", "incomplete sources"}},
      {"generated_at", {"生成时间", "generated at"}},
      {"filename", {"文件名", "file"}},
      {"submitted", {"已上报", "submitted"}},
      {"state", {"上报状态", "state"}},
      {"event_id", {"事件编号", "event"}},
      {"subject", {"操作人", "subject"}},
      {"role", {"角色", "role"}},
      {"method", {"方法", "method"}},
      {"object", {"对象", "object"}},
      {"request_id", {"请求编号", "request"}},
      {"outcome", {"结果", "outcome"}},
      {"households_total", {"户数", "households"}},
      {"households_surveyed", {"已摸排", "surveyed"}},
      {"residents", {"常住人口", "residents"}},
      {"tenants_total", {"租户", "tenants"}},
      {"tenants_verified", {"已核实租户", "tenants verified"}},
      {"tenants_pending", {"待核实租户", "tenants pending"}},
      {"under_observation", {"居家观察", "under observation"}},
      {"reports_today", {"今日已报", "reported today"}},
      {"reports_missing_today", {"今日未报", "missing today"}},
      {"tasks_open", {"待办任务", "tasks open"}},
      {"tasks_in_progress", {"进行中", "in progress"}},
      {"tasks_done_today", {"今日完成", "done today"}},
      {"tasks_overdue", {"逾期任务", "overdue"}},
      {"volunteers_on_duty", {"在岗志愿者", "volunteers on duty"}},
      {"gates_without_guard", {"无人值守大门", "gates unguarded"}},
      {"gate.entries", {"进入", "entries"}},
      {"gate.exits", {"离开", "exits"}},
      {"gate.denied", {"拒绝", "denied"}},
      {"gate.fevers", {"发热", "fevers"}},
      {"gate.peak_onsite", {"在场峰值", "peak inside"}},
      {"survey.households_surveyed", {"已摸排", "surveyed"}},
      {"health_reports", {"每日一报", "health reports"}},
      {"health_reports_missing", {"未报", "missing reports"}},
      {"fever_reports", {"发热上报", "fever reports"}},
      {"survey.under_observation", {"居家观察", "under observation"}},
      {"dispatch.tasks_created", {"新建任务", "tasks created"}},
      {"dispatch.tasks_done", {"完成任务", "tasks done"}},
      {"dispatch.disinfection_done", {"消毒完成", "disinfections done"}},
      {"dispatch.fever_followups", {"发热随访", "fever follow-ups"}},
      {"latency_ms", {"延迟(毫秒)", "latency ms"}},
      // Vehicles, observation holds, gate duty.
      {"plate", {"车牌", "plate"}},
      {"owner_person_key", {"车主标识", "owner key"}},
      {"registered_by", {"登记人", "registered by"}},
      {"reason", {"原因", "reason"}},
      {"until", {"居家观察至", "held until"}},
      {"placed_at", {"设置时间", "placed at"}},
      {"placed_by", {"设置人", "placed by"}},
      {"released", {"已解除", "released"}},
      {"released_at", {"解除时间", "released at"}},
      {"on_duty_since", {"值守开始", "on duty since"}},
      {"duty.ended_at", {"结束时间", "ended at"}},
      // One day's figures (GetDailyStats of gate, survey and dispatch).
      {"entries", {"进入", "entries"}},
      {"exits", {"离开", "exits"}},
      {"denied", {"拒绝", "denied"}},
      {"fevers", {"发热", "fevers"}},
      {"peak_onsite", {"在场峰值", "peak inside"}},
      {"gates_without_guard_minutes", {"无人值守(分钟)", "unguarded minutes"}},
      {"households_surveyed_today", {"今日摸排", "surveyed today"}},
      {"residents_registered", {"新登记人口", "residents registered"}},
      {"movements", {"人员流动", "movements"}},
      {"observations_opened", {"新增居家观察", "observations opened"}},
      {"tasks_created", {"新建任务", "tasks created"}},
      {"tasks_done", {"完成任务", "tasks done"}},
      {"tasks_cancelled", {"取消任务", "tasks cancelled"}},
      {"disinfection_planned", {"计划消毒", "disinfections planned"}},
      {"disinfection_done", {"消毒完成", "disinfections done"}},
      {"fever_followups", {"发热随访", "fever follow-ups"}},
      // Supplies (应急物资), donations (捐赠) and the canteen register (食材采购登记). An
      // item's unit of measure is shown as "unit|measure": "unit" alone is a building's 单元.
      {"code", {"编码", "code"}},
      {"category", {"类别", "category"}},
      {"unit|measure", {"单位", "unit"}},
      {"min_stock_per_site", {"库存下限", "minimum"}},
      {"min_stock", {"库存下限", "minimum"}},
      {"item_code", {"物资编码", "item"}},
      {"item_name", {"物资名称", "item name"}},
      {"quantity", {"数量", "quantity"}},
      {"low", {"低于下限", "low"}},
      {"nearest_expiry", {"最近有效期", "nearest expiry"}},
      {"batch", {"批次", "batch"}},
      {"expires_on", {"有效期至", "expires on"}},
      {"source", {"来源", "source"}},
      {"to.task_id|to.household_id|to.area", {"去向", "to"}},
      {"counterpart_site_id", {"对方场所", "other site"}},
      {"balance_after", {"结存", "balance"}},
      {"balance.quantity", {"结存", "balance"}},
      {"from_balance.quantity", {"调出场所结存", "balance there"}},
      {"to_balance.quantity", {"调入场所结存", "balance here"}},
      {"movement.quantity", {"变动", "change"}},
      {"recorded_by", {"登记人", "recorded by"}},
      {"donation_id", {"捐赠编号", "donation"}},
      {"donor_or_recipient", {"捐赠方/受赠方", "donor or recipient"}},
      {"amount_fen", {"金额(元)", "amount (yuan)"}},
      {"campaign", {"活动", "campaign"}},
      {"receipt_no", {"收据号", "receipt"}},
      {"received_money_fen", {"收到捐款(元)", "money received (yuan)"}},
      {"given_money_fen", {"捐出款项(元)", "money given (yuan)"}},
      {"received_goods_value_fen", {"收到物资价值(元)", "goods received (yuan)"}},
      {"given_goods_value_fen", {"捐出物资价值(元)", "goods given (yuan)"}},
      {"received_count", {"收到笔数", "received"}},
      {"given_count", {"捐出笔数", "given"}},
      {"received_goods", {"收到物资", "goods received"}},
      {"given_goods", {"捐出物资", "goods given"}},
      {"purchase_id", {"登记编号", "purchase"}},
      {"purchased_at", {"采购时间", "purchased at"}},
      {"merchant.name", {"商户", "merchant"}},
      {"merchant.license_no", {"许可证号", "licence"}},
      {"item", {"品名", "item"}},
      {"specification", {"规格", "specification"}},
      {"origin", {"产地", "origin"}},
      {"certificate_no", {"检疫证号", "certificate"}},
      {"storage_category", {"储存类别", "storage"}},
      {"cold_chain_temperature_c", {"收货温度", "temperature"}},
      {"inspector", {"验收人", "inspector"}},
      {"accepted", {"验收合格", "accepted"}},
      {"rejection_reasons", {"拒收原因", "rejection reasons"}},
      // Rote-report flags (lfctl missing-reports).
      {"flags",
       {"核查提示（疑似代填、照抄，仅供核实）", "reports to check (possibly filled in by rote)"}},
      {"name_masked|household_id|submitted_by", {"对象", "who"}},
      {"detail", {"情况", "detail"}},
      // Contingency plans (防控预案) and their activations.
      {"plan_id", {"预案编号", "plan"}},
      {"scenario", {"场景", "scenario"}},
      {"stale", {"超期未复审", "stale"}},
      {"reviewed_at", {"复审时间", "reviewed at"}},
      {"reviewed_by", {"复审人", "reviewed by"}},
      {"activation_id", {"启动编号", "activation"}},
      {"plan_name", {"预案名称", "plan name"}},
      {"plan_version", {"预案版本", "plan version"}},
      {"mode", {"方式", "mode"}},
      {"starts_at", {"开始时间", "starts at"}},
      {"activated_by", {"启动人", "activated by"}},
      {"activated_at", {"启动时间", "activated at"}},
      {"steps_total", {"步骤数", "steps"}},
      {"steps_done", {"已完成步骤", "steps done"}},
      {"steps_overdue", {"逾期步骤", "steps overdue"}},
      {"index", {"序号", "step"}},
      {"result", {"结果", "result"}},
      // Notices (通知与传达学习).
      {"notice_id", {"通知编号", "notice"}},
      {"notice.notice_id", {"通知编号", "notice"}},
      {"notice.title", {"标题", "title"}},
      {"requires_study", {"需学习", "study required"}},
      {"read_at", {"阅读时间", "read at"}},
      {"notice.read_at", {"阅读时间", "read at"}},
      {"studied_at", {"学习时间", "studied at"}},
      {"notice.studied_at", {"学习时间", "studied at"}},
      {"addressed_count", {"应读人数", "addressed"}},
      {"notice.addressed_count", {"应读人数", "addressed"}},
      {"notice.read_count", {"已读人数", "read"}},
  };
  return *labels;
}

// Chinese labels of enum values people read often; others fall back to the English short name.
const std::map<std::string, std::string>& EnumDictionary() {
  static const auto* values = new std::map<std::string, std::string>{
      {"DIRECTION_ENTRY", "进"},
      // ReportFlag.Kind (lfctl missing-reports).
      {"KIND_SAME_TEMPERATURE", "连续7天体温相同"},
      {"KIND_HOUSEHOLD_AT_ONCE", "全户集中填报"},
      {"KIND_ONE_ACCOUNT_MANY_HOUSEHOLDS", "一号代报多户"},
      {"DIRECTION_EXIT", "出"},
      {"DECISION_ADMITTED", "放行"},
      {"DECISION_DENIED", "拒绝"},
      {"DENY_REASON_FEVER", "发热"},
      {"DENY_REASON_NO_VALID_PASS", "无有效通行证"},
      {"DENY_REASON_UNDER_OBSERVATION", "居家观察中"},
      {"DENY_REASON_VEHICLE_NOT_ALLOWED", "外来车辆"},
      {"DENY_REASON_SITE_FULL", "人数已满"},
      {"DENY_REASON_NO_HEALTH_REPORT", "未报健康"},
      {"PASSAGE_WARNING_NO_HEALTH_REPORT_TODAY", "今日未报健康"},
      {"PASS_KIND_RESIDENT", "居民"},
      {"PASS_KIND_STAFF", "教职工"},
      {"PASS_KIND_STUDENT", "学员"},
      {"PASS_KIND_TENANT", "租户"},
      {"PASS_KIND_VOLUNTEER", "志愿者"},
      {"PASS_KIND_VISITOR", "访客"},
      {"HOUSEHOLD_KIND_OWNER_OCCUPIED", "自住"},
      {"HOUSEHOLD_KIND_RENTED", "出租"},
      {"HOUSEHOLD_KIND_DORMITORY", "宿舍"},
      {"HOUSEHOLD_KIND_VACANT", "空置"},
      {"TENANT_STATUS_PENDING", "待核实"},
      {"TENANT_STATUS_VERIFIED", "已核实"},
      {"TENANT_STATUS_REJECTED", "未通过"},
      {"SYMPTOM_FEVER", "发热"},
      {"SYMPTOM_COUGH", "咳嗽"},
      {"SYMPTOM_FATIGUE", "乏力"},
      {"SYMPTOM_SHORTNESS_OF_BREATH", "气促"},
      {"SYMPTOM_OTHER", "其他"},
      {"TASK_KIND_DISINFECTION", "消毒"},
      {"TASK_KIND_DOOR_TO_DOOR_SURVEY", "摸排"},
      {"TASK_KIND_TENANT_VERIFICATION", "租户核实"},
      {"TASK_KIND_PUBLICITY", "宣传"},
      {"TASK_KIND_SUPPLY_DELIVERY", "物资配送"},
      {"TASK_KIND_GATE_DUTY", "值守"},
      {"TASK_KIND_FEVER_FOLLOWUP", "发热随访"},
      {"TASK_KIND_OTHER", "其他"},
      {"PRIORITY_LOW", "低"},
      {"PRIORITY_NORMAL", "普通"},
      {"PRIORITY_HIGH", "高"},
      {"PRIORITY_URGENT", "紧急"},
      {"TASK_STATUS_OPEN", "待分派"},
      {"TASK_STATUS_ASSIGNED", "已分派"},
      {"TASK_STATUS_IN_PROGRESS", "进行中"},
      {"TASK_STATUS_DONE", "已完成"},
      {"TASK_STATUS_CANCELLED", "已取消"},
      {"TASK_EVENT_CREATED", "新建"},
      {"TASK_EVENT_ASSIGNED", "分派"},
      {"TASK_EVENT_STARTED", "开始"},
      {"TASK_EVENT_DONE", "完成"},
      {"TASK_EVENT_CANCELLED", "取消"},
      {"NOTICE_EVENT_PUBLISHED", "发布"},
      {"NOTICE_EVENT_ACKNOWLEDGED", "已阅"},
      {"REPORT_STATUS_DRAFT", "草稿"},
      {"REPORT_STATUS_SUBMITTED", "已上报"},
      {"REPORTING_STATE_PENDING", "待上报"},
      {"REPORTING_STATE_ON_TIME", "按时上报"},
      {"REPORTING_STATE_LATE", "迟报"},
      {"REPORTING_STATE_MISSING", "缺报"},
      {"SITE_KIND_CAMPUS", "校园"},
      {"SITE_KIND_FAMILY_AREA", "家属区"},
      {"SITE_KIND_COMMUNITY", "帮建社区"},
      {"SITE_KIND_VILLAGE", "驻村扶贫村"},
      {"SOURCE_CACHE", "实时缓存"},
      {"SOURCE_SERVICES", "各服务"},
      {"HEALTH_STATUS_SERVING", "正常"},
      {"HEALTH_STATUS_NOT_SERVING", "停止服务"},
      {"HEALTH_STATUS_UNREACHABLE", "无法连接"},
      {"ROLE_ADMIN", "管理员"},
      {"ROLE_LEADER", "领导小组"},
      {"ROLE_GUARD", "门岗"},
      {"ROLE_VOLUNTEER", "志愿者"},
      {"ROLE_VIEWER", "市委相关部门"},
      {"ROLE_SERVICE", "服务"},
      {"ITEM_CATEGORY_DISINFECTION", "消杀用品"},
      {"ITEM_CATEGORY_PROTECTION", "防护用品"},
      {"ITEM_CATEGORY_INSTRUMENT", "测温器材"},
      {"ITEM_CATEGORY_LIVING", "生活物资"},
      {"ITEM_CATEGORY_OTHER", "其他"},
      {"STOCK_SOURCE_PURCHASE", "采购"},
      {"STOCK_SOURCE_DONATION", "捐赠"},
      {"STOCK_SOURCE_TRANSFER", "调拨"},
      {"MOVEMENT_KIND_RECEIPT", "入库"},
      {"MOVEMENT_KIND_ISSUE", "发放"},
      {"MOVEMENT_KIND_TRANSFER_OUT", "调出"},
      {"MOVEMENT_KIND_ADJUSTMENT", "盘点调整"},
      {"DONATION_DIRECTION_RECEIVED", "收到"},
      {"DONATION_DIRECTION_GIVEN", "捐出"},
      {"DONATION_KIND_MONEY", "资金"},
      {"DONATION_KIND_IN_KIND", "物资"},
      {"STORAGE_CATEGORY_AMBIENT", "常温"},
      {"STORAGE_CATEGORY_CHILLED", "冷藏"},
      {"STORAGE_CATEGORY_FROZEN", "冷冻"},
      {"STORAGE_CATEGORY_DRY", "干货粮油"},
      {"STORAGE_CATEGORY_PRODUCE", "果蔬"},
      {"STORAGE_CATEGORY_FRESH_MEAT", "鲜肉禽蛋"},
      {"PLAN_SCENARIO_AFTER_HOLIDAY", "节后"},
      {"PLAN_SCENARIO_AFTER_WORK_RESUMES", "复工后"},
      {"PLAN_SCENARIO_AFTER_SCHOOL_OPENS", "开学后"},
      {"PLAN_SCENARIO_AFTER_PRODUCTION_RESTARTS", "复产后"},
      {"PLAN_SCENARIO_OTHER", "其他"},
      {"ACTIVATION_MODE_DRILL", "演练"},
      {"ACTIVATION_MODE_REAL", "实战"},
  };
  return *values;
}

// The enum's common prefix ("TASK_STATUS_"), from its zero value TASK_STATUS_UNSPECIFIED.
std::string EnumPrefix(const google::protobuf::EnumDescriptor& type) {
  const std::string& zero = type.value(0)->name();
  if (absl::EndsWith(zero, "UNSPECIFIED")) return zero.substr(0, zero.size() - 11);
  return "";
}

std::string FormatTimestamp(const Message& timestamp, const absl::TimeZone& tz) {
  const Descriptor* d = timestamp.GetDescriptor();
  const Reflection* r = timestamp.GetReflection();
  const int64_t seconds = r->GetInt64(timestamp, d->FindFieldByName("seconds"));
  const int32_t nanos = r->GetInt32(timestamp, d->FindFieldByName("nanos"));
  if (seconds == 0 && nanos == 0) return "";
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixSeconds(seconds), tz);
}

std::string FormatOne(const Message& message, const FieldDescriptor& field, int index, Lang lang,
                      const absl::TimeZone& tz) {
  const Reflection* r = message.GetReflection();
  const bool rep = field.is_repeated();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return rep ? r->GetRepeatedString(message, &field, index) : r->GetString(message, &field);
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(rep ? r->GetRepeatedInt32(message, &field, index)
                              : r->GetInt32(message, &field));
    case FieldDescriptor::CPPTYPE_INT64: {
      const int64_t v =
          rep ? r->GetRepeatedInt64(message, &field, index) : r->GetInt64(message, &field);
      // Money travels as integer fen ("amount_fen"); people read yuan with two decimals.
      if (absl::EndsWith(field.name(), "_fen")) return FormatFen(v);
      return absl::StrCat(v);
    }
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(rep ? r->GetRepeatedUInt32(message, &field, index)
                              : r->GetUInt32(message, &field));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(rep ? r->GetRepeatedUInt64(message, &field, index)
                              : r->GetUInt64(message, &field));
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      const double v =
          rep ? r->GetRepeatedDouble(message, &field, index) : r->GetDouble(message, &field);
      return v == 0 ? "" : absl::StrFormat("%.1f", v);
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      const float v =
          rep ? r->GetRepeatedFloat(message, &field, index) : r->GetFloat(message, &field);
      return v == 0 ? "" : absl::StrFormat("%.1f", v);
    }
    case FieldDescriptor::CPPTYPE_BOOL:
      return BoolLabel(
          rep ? r->GetRepeatedBool(message, &field, index) : r->GetBool(message, &field), lang);
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumValueDescriptor* v =
          rep ? r->GetRepeatedEnum(message, &field, index) : r->GetEnum(message, &field);
      return v == nullptr || v->number() == 0 ? "" : EnumLabel(*v, lang);
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& sub =
          rep ? r->GetRepeatedMessage(message, &field, index) : r->GetMessage(message, &field);
      if (sub.GetDescriptor()->full_name() == "google.protobuf.Timestamp") {
        return FormatTimestamp(sub, tz);
      }
      return sub.ShortDebugString();
    }
  }
  return "";
}

// One alternative of a path: "a.b.c".
std::string FormatSimplePath(const Message& message, absl::string_view path, Lang lang,
                             const absl::TimeZone& tz) {
  const Message* current = &message;
  std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* field = current->GetDescriptor()->FindFieldByName(std::string(parts[i]));
    if (field == nullptr) return "";
    const Reflection* r = current->GetReflection();
    if (i + 1 == parts.size()) {
      if (!field->is_repeated()) return FormatOne(*current, *field, 0, lang, tz);
      std::vector<std::string> items;
      for (int j = 0; j < r->FieldSize(*current, field); ++j) {
        items.push_back(FormatOne(*current, *field, j, lang, tz));
      }
      return absl::StrJoin(items, ",");
    }
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field->is_repeated()) return "";
    if (field->message_type()->full_name() == "google.protobuf.Timestamp") return "";
    current = &r->GetMessage(*current, field);
  }
  return "";
}

}  // namespace

std::string Label(absl::string_view path, Lang lang) {
  const auto& labels = LabelDictionary();
  auto it = labels.find(std::string(path));
  if (it == labels.end()) {
    // The alternatives without their message prefixes ("task.name|task.name_masked" ->
    // "name|name_masked"), then the first one's field name alone.
    std::vector<std::string> leaves;
    for (absl::string_view alternative : absl::StrSplit(path, '|')) {
      const size_t dot = alternative.rfind('.');
      leaves.emplace_back(dot == absl::string_view::npos ? alternative
                                                         : alternative.substr(dot + 1));
    }
    it = labels.find(absl::StrJoin(leaves, "|"));
    if (it == labels.end()) it = labels.find(leaves[0]);
    if (it == labels.end()) return absl::StrReplaceAll(leaves[0], {{"_", " "}});
  }
  return lang == Lang::kZh ? it->second.zh : it->second.en;
}

std::string EnumLabel(const EnumValueDescriptor& value, Lang lang) {
  if (lang == Lang::kZh) {
    auto it = EnumDictionary().find(value.name());
    if (it != EnumDictionary().end()) return it->second;
  }
  std::string name = value.name();
  const std::string prefix = EnumPrefix(*value.type());
  if (!prefix.empty() && absl::StartsWith(name, prefix)) name = name.substr(prefix.size());
  return absl::StrReplaceAll(absl::AsciiStrToLower(name), {{"_", "-"}});
}

std::string BoolLabel(bool value, Lang lang) {
  if (lang == Lang::kZh) return value ? "是" : "否";
  return value ? "yes" : "no";
}

std::string FormatPath(const Message& message, absl::string_view path, Lang lang,
                       const absl::TimeZone& tz) {
  for (absl::string_view alternative : absl::StrSplit(path, '|')) {
    std::string text = FormatSimplePath(message, alternative, lang, tz);
    if (!text.empty()) return text;
  }
  return "";
}

std::string ToJson(const Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) return "{}";
  return json;
}

size_t DisplayWidth(absl::string_view text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    uint32_t cp = c;
    size_t len = 1;
    if (c >= 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else if (c >= 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xC0) {
      len = 2;
      cp = c & 0x1F;
    }
    for (size_t k = 1; k < len && i + k < text.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    i += len;
    // Wide: Hangul Jamo, CJK radicals to Yi, Hangul syllables, CJK compatibility, fullwidth
    // forms and the supplementary ideographic planes.
    const bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                      (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
    width += wide ? 2 : 1;
  }
  return width;
}

void PrintTable(std::ostream& out, const std::vector<std::string>& headers,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(headers.size(), 0);
  for (size_t i = 0; i < headers.size(); ++i) widths[i] = DisplayWidth(headers[i]);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
  }
  auto print_line = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t i = 0; i < widths.size(); ++i) {
      const std::string& cell = i < cells.size() ? cells[i] : "";
      line += cell;
      if (i + 1 < widths.size()) line += std::string(widths[i] - DisplayWidth(cell) + 2, ' ');
    }
    out << std::string(absl::StripTrailingAsciiWhitespace(line)) << "\n";
  };
  print_line(headers);
  for (const auto& row : rows) print_line(row);
}

void PrintRecord(std::ostream& out, const std::vector<std::string>& labels,
                 const std::vector<std::string>& values) {
  size_t width = 0;
  for (const std::string& label : labels) width = std::max(width, DisplayWidth(label));
  for (size_t i = 0; i < labels.size() && i < values.size(); ++i) {
    out << labels[i] << std::string(width - DisplayWidth(labels[i]) + 2, ' ') << values[i] << "\n";
  }
}

std::vector<const Message*> RowsOf(const Message& message, absl::string_view field_name) {
  std::vector<const Message*> rows;
  const FieldDescriptor* field = message.GetDescriptor()->FindFieldByName(std::string(field_name));
  if (field == nullptr || !field->is_repeated() ||
      field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
    return rows;
  }
  const Reflection* r = message.GetReflection();
  for (int i = 0; i < r->FieldSize(message, field); ++i) {
    rows.push_back(&r->GetRepeatedMessage(message, field, i));
  }
  return rows;
}

void PrintRows(std::ostream& out, const std::vector<const Message*>& rows,
               const std::vector<std::string>& columns, Lang lang, const absl::TimeZone& tz) {
  std::vector<std::string> headers;
  for (const std::string& c : columns) headers.push_back(Label(c, lang));
  std::vector<std::vector<std::string>> cells;
  for (const Message* row : rows) {
    std::vector<std::string> line;
    for (const std::string& c : columns) line.push_back(FormatPath(*row, c, lang, tz));
    cells.push_back(std::move(line));
  }
  PrintTable(out, headers, cells);
}

void PrintMessage(std::ostream& out, const Message& message,
                  const std::vector<std::string>& columns, Lang lang, const absl::TimeZone& tz) {
  std::vector<std::string> labels;
  std::vector<std::string> values;
  for (const std::string& c : columns) {
    labels.push_back(Label(c, lang));
    values.push_back(FormatPath(message, c, lang, tz));
  }
  PrintRecord(out, labels, values);
}

}  // namespace lianfang::lfctl
