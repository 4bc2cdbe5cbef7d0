#include "services/report/report_export.h"

#include <cstdint>
#include <map>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "common/server/errors.h"
#include "common/status/status_macros.h"
#include "common/time/timestamp.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"

namespace lianfang::report {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::EnumDescriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;

constexpr char kTitlePrefix[] = "联防联控工作组 每日疫情防控情况报告";
constexpr char kNotFetchedCsv[] = "未获取";
constexpr char kNotFetched[] = "—";

// One figure column of the exports.
struct Column {
  std::string source;                      // kSourceGate, kSourceSurvey, ... kSourceSupplies
  std::string label;                       // Chinese header
  const FieldDescriptor* field = nullptr;  // a singular integer field of the source's stats
  int deny_reason = 0;                     // when `field` is null: a reason of denied_by_reason
};

// A source's part of the exports.
struct Section {
  std::string source;
  std::string title;  // heading in Markdown and HTML
  std::vector<Column> columns;
};

const std::map<std::string, std::string>& GateLabels() {
  static const auto* labels = new std::map<std::string, std::string>{
      {"entries", "进入人次"},
      {"exits", "外出人次"},
      {"denied", "劝返人次"},
      {"fevers", "发热人数"},
      {"peak_onsite", "在场峰值"},
      {"gates_without_guard_minutes", "门岗无人值守分钟"},
  };
  return *labels;
}

const std::map<int, std::string>& DenyReasonLabels() {
  static const auto* labels = new std::map<int, std::string>{
      {gate::v1::DENY_REASON_NO_VALID_PASS, "劝返（无有效通行证）"},
      {gate::v1::DENY_REASON_UNDER_OBSERVATION, "劝返（居家观察）"},
      {gate::v1::DENY_REASON_VEHICLE_NOT_ALLOWED, "劝返（外来车辆）"},
      {gate::v1::DENY_REASON_SITE_FULL, "劝返（超员）"},
      {gate::v1::DENY_REASON_NO_HEALTH_REPORT, "劝返（未报健康）"},
  };
  return *labels;
}

const std::map<std::string, std::string>& SurveyLabels() {
  static const auto* labels = new std::map<std::string, std::string>{
      {"households_total", "户数"},
      {"households_surveyed", "已摸排户数"},
      {"households_surveyed_today", "当日摸排户数"},
      {"residents", "常住人口"},
      {"residents_registered", "新登记人口"},
      {"tenants_pending", "租户待核实"},
      {"tenants_verified", "当日核实租户"},
      {"movements", "人员流动登记"},
      {"observations_opened", "新增居家观察"},
      {"under_observation", "居家观察"},
      {"health_reports", "今日已报"},
      {"health_reports_missing", "今日未报"},
      {"fever_reports", "发热报告"},
  };
  return *labels;
}

const std::map<std::string, std::string>& DispatchLabels() {
  static const auto* labels = new std::map<std::string, std::string>{
      {"tasks_created", "新建任务"},
      {"tasks_done", "完成任务"},
      {"tasks_overdue", "逾期任务"},
      {"disinfection_planned", "计划消毒"},
      {"disinfection_done", "完成消毒"},
      {"volunteers_on_duty", "在岗志愿者"},
      {"fever_followups", "发热随访任务"},
      {"tasks_cancelled", "取消任务"},
  };
  return *labels;
}

const std::map<std::string, std::string>& SuppliesLabels() {
  static const auto* labels = new std::map<std::string, std::string>{
      {"low_stock_items", "低库存物资种数"},
      {"receipts", "入库笔数"},
      {"issues", "出库笔数"},
      {"canteen_purchases", "食堂采购登记"},
      {"canteen_rejections", "食堂拒收"},
  };
  return *labels;
}

bool IsIntegerField(const FieldDescriptor* f) {
  if (f->is_repeated()) return false;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      return true;
    default:
      return false;
  }
}

// The columns of one source: its integer fields in declaration order (labelled, or named by
// the field when no label is known); the gate's denied_by_reason expands to one column per
// reason other than fever (fevers has its own field).
std::vector<Column> ColumnsOf(absl::string_view source, const Descriptor* descriptor,
                              const std::map<std::string, std::string>& labels) {
  std::vector<Column> columns;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* f = descriptor->field(i);
    if (IsIntegerField(f)) {
      auto it = labels.find(f->name());
      columns.push_back({.source = std::string(source),
                         .label = it == labels.end() ? f->name() : it->second,
                         .field = f});
    } else if (source == kSourceGate && f->name() == "denied_by_reason") {
      const EnumDescriptor* reasons = gate::v1::DenyReason_descriptor();
      for (int j = 0; j < reasons->value_count(); ++j) {
        const int number = reasons->value(j)->number();
        if (number == gate::v1::DENY_REASON_UNSPECIFIED ||
            number == gate::v1::DENY_REASON_FEVER) {
          continue;
        }
        auto it = DenyReasonLabels().find(number);
        columns.push_back(
            {.source = std::string(source),
             .label = it == DenyReasonLabels().end()
                          ? absl::StrCat("劝返（", reasons->value(j)->name(), "）")
                          : it->second,
             .deny_reason = number});
      }
    }
  }
  return columns;
}

const std::vector<Section>& Sections() {
  static const auto* sections = new std::vector<Section>{
      {kSourceGate, "门岗值守与出入登记",
       ColumnsOf(kSourceGate, gate::v1::DailyStats::descriptor(), GateLabels())},
      {kSourceSurvey, "摸排与每日一报",
       ColumnsOf(kSourceSurvey, survey::v1::DailyStats::descriptor(), SurveyLabels())},
      {kSourceDispatch, "党员突击队任务与志愿者",
       ColumnsOf(kSourceDispatch, dispatch::v1::DailyStats::descriptor(), DispatchLabels())},
      {kSourceSupplies, "物资保障",
       ColumnsOf(kSourceSupplies, supplies::v1::DailyStats::descriptor(), SuppliesLabels())},
  };
  return *sections;
}

std::string SourceLabel(absl::string_view source) {
  if (source == kSourceGate) return "门岗（gate）";
  if (source == kSourceSurvey) return "摸排（survey）";
  if (source == kSourceDispatch) return "任务调度（dispatch）";
  if (source == kSourceSupplies) return "物资（supplies）";
  return std::string(source);
}

std::string KindLabel(common::v1::SiteKind kind) {
  switch (kind) {
    case common::v1::SITE_KIND_CAMPUS:
      return "校园";
    case common::v1::SITE_KIND_FAMILY_AREA:
      return "家属区";
    case common::v1::SITE_KIND_COMMUNITY:
      return "帮建社区";
    case common::v1::SITE_KIND_VILLAGE:
      return "驻村扶贫村";
    default:
      return "";
  }
}

std::string StatusLabel(v1::ReportStatus status) {
  return status == v1::REPORT_STATUS_SUBMITTED ? "已上报" : "草稿";
}

// The source's figures in `row`, or null when the source did not answer.
const Message* StatsOf(const SiteReport& row, absl::string_view source) {
  if (source == kSourceGate) return row.has_gate() ? &row.gate() : nullptr;
  if (source == kSourceSurvey) return row.has_survey() ? &row.survey() : nullptr;
  if (source == kSourceDispatch) return row.has_dispatch() ? &row.dispatch() : nullptr;
  if (source == kSourceSupplies) return row.has_supplies() ? &row.supplies() : nullptr;
  return nullptr;
}

// ---- The supplies extras: key items' balances, low items, the day's donations ----

// An item with a minimum that some site (or the totals) reported a balance of.
struct KeyItem {
  std::string code;
  std::string name;
  std::string unit;
};

// The key items of the report, by code.
std::vector<KeyItem> KeyItems(const DailyReport& report) {
  std::map<std::string, KeyItem> items;
  auto add = [&items](const SiteReport& row) {
    for (const supplies::v1::StockBalance& b : row.supplies().key_balances()) {
      items.emplace(b.item_code(), KeyItem{b.item_code(), b.item_name(), b.unit()});
    }
  };
  for (const SiteReport& site : report.sites()) add(site);
  add(report.totals());
  std::vector<KeyItem> out;
  for (auto& [code, item] : items) out.push_back(std::move(item));
  return out;
}

std::string KeyItemLabel(const KeyItem& item) {
  return absl::StrCat("库存：", item.name.empty() ? item.code : item.name, "（", item.unit, "）");
}

// The row's balance of `code`: its quantity ("0" when the row has none of it), with "（低）"
// after it when `mark_low` and it is below its minimum; `missing` without supplies figures.
std::string BalanceCell(const SiteReport& row, const std::string& code, absl::string_view missing,
                        bool mark_low) {
  if (!row.has_supplies()) return std::string(missing);
  for (const supplies::v1::StockBalance& b : row.supplies().key_balances()) {
    if (b.item_code() != code) continue;
    return absl::StrCat(b.quantity(), mark_low && b.low() ? "（低）" : "");
  }
  return "0";
}

// The names of the row's items below their minimum, "无" when none; `missing` without supplies
// figures.
std::string LowItemsCell(const SiteReport& row, absl::string_view missing) {
  if (!row.has_supplies()) return std::string(missing);
  std::vector<std::string> names;
  for (const supplies::v1::StockBalance& b : row.supplies().key_balances()) {
    if (b.low()) names.push_back(b.item_name().empty() ? b.item_code() : b.item_name());
  }
  return names.empty() ? "无" : absl::StrJoin(names, "、");
}

// Fen as yuan with two decimals: 123456 -> "1234.56".
std::string Yuan(int64_t fen) {
  const bool negative = fen < 0;
  const uint64_t magnitude =
      negative ? 0 - static_cast<uint64_t>(fen) : static_cast<uint64_t>(fen);
  const uint64_t cents = magnitude % 100;
  return absl::StrCat(negative ? "-" : "", magnitude / 100, ".", cents < 10 ? "0" : "", cents);
}

constexpr char kLowItemsLabel[] = "低库存物资";

// The donation columns of the CSV (their figures belong to the working group, so only the
// totals row has them).
std::vector<std::string> DonationLabels() {
  return {"当日受赠笔数", "当日受赠款（元）", "当日捐出笔数", "当日捐出款（元）"};
}

std::vector<std::string> DonationCells(const DailyReport& report, absl::string_view missing) {
  if (!report.has_donations()) return std::vector<std::string>(4, std::string(missing));
  const supplies::v1::DailyDonations& d = report.donations();
  return {absl::StrCat(d.received_count()), Yuan(d.received_money_fen()),
          absl::StrCat(d.given_count()), Yuan(d.given_money_fen())};
}

// "当日受赠 2 笔，受赠款 1000.00 元；捐出 0 笔，捐出款 0.00 元。"
std::string DonationSentence(const DailyReport& report) {
  if (!report.has_donations()) return absl::StrCat("当日捐赠：", kNotFetched);
  const std::vector<std::string> c = DonationCells(report, kNotFetched);
  return absl::StrCat("当日捐赠：受赠 ", c[0], " 笔，受赠款 ", c[1], " 元；捐出 ", c[2],
                      " 笔，捐出款 ", c[3], " 元。");
}

std::optional<int64_t> ValueOf(const SiteReport& row, const Column& column) {
  const Message* stats = StatsOf(row, column.source);
  if (stats == nullptr) return std::nullopt;
  if (column.field == nullptr) {
    int64_t count = 0;
    for (const gate::v1::DenyReasonCount& c : row.gate().denied_by_reason()) {
      if (c.reason() == column.deny_reason) count += c.count();
    }
    return count;
  }
  const auto* r = stats->GetReflection();
  switch (column.field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return r->GetInt32(*stats, column.field);
    case FieldDescriptor::CPPTYPE_INT64:
      return r->GetInt64(*stats, column.field);
    case FieldDescriptor::CPPTYPE_UINT32:
      return r->GetUInt32(*stats, column.field);
    case FieldDescriptor::CPPTYPE_UINT64:
      return static_cast<int64_t>(r->GetUInt64(*stats, column.field));
    default:
      return std::nullopt;
  }
}

std::string Cell(const SiteReport& row, const Column& column, absl::string_view missing) {
  std::optional<int64_t> value = ValueOf(row, column);
  return value.has_value() ? absl::StrCat(*value) : std::string(missing);
}

std::string FormatLocal(const google::protobuf::Timestamp& ts, absl::TimeZone tz) {
  return absl::FormatTime("%Y-%m-%d %H:%M", time::FromTimestamp(ts), tz);
}

// Sentences shared by the Markdown and HTML pages.
std::string VersionLine(const DailyReport& report) {
  return absl::StrCat("第 ", report.version(), " 版（", StatusLabel(report.status()), "）");
}

std::string GeneratedLine(const DailyReport& report, absl::TimeZone tz) {
  return absl::StrCat("生成时间：", FormatLocal(report.generated_at(), tz), "　生成人：",
                      report.generated_by());
}

std::string SubmittedLine(const DailyReport& report, absl::TimeZone tz) {
  if (report.status() != v1::REPORT_STATUS_SUBMITTED) return "尚未上报（草稿）";
  return absl::StrCat("上报人：", report.submitted_by(), "　上报时间：",
                      FormatLocal(report.submitted_at(), tz));
}

std::string ScopeLine(const DailyReport& report) {
  if (report.site_ids().empty()) return absl::StrCat("全部站点（", report.sites_size(), " 个）");
  std::vector<std::string> names;
  for (const SiteReport& site : report.sites()) names.push_back(site.site_name());
  return absl::StrJoin(names, "、");
}

constexpr char kZeroReportSentence[] = "零报告：本日各站点无新增情况，当日各项新增数据均为零。";

std::string IncompleteSentence(const DailyReport& report) {
  std::vector<std::string> sources;
  for (const std::string& s : report.incomplete_sources()) sources.push_back(SourceLabel(s));
  return absl::StrCat("数据不完整：未能获取", absl::StrJoin(sources, "、"),
                      "的数据（表中以“—”表示），本版本不能上报；请在各服务恢复后重新生成。");
}

std::string CsvField(absl::string_view text) { return csv::Field(text); }

std::string MarkdownCell(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"|", "\\|"}, {"\n", " "}, {"\r", " "}});
}

std::string Html(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"&", "&amp;"},
                                    {"<", "&lt;"},
                                    {">", "&gt;"},
                                    {"\"", "&quot;"},
                                    {"'", "&#39;"}});
}

std::string FileName(const DailyReport& report, absl::string_view extension) {
  return absl::StrCat("lianfang-", report.date(), "-v", report.version(),
                      report.site_ids().empty() ? "" : absl::StrCat("-", report.report_id()),
                      ".", extension);
}

constexpr char kHtmlStyle[] = R"css(
  @page { size: A4 landscape; margin: 12mm; }
  * { box-sizing: border-box; }
  body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
         "SimSun", sans-serif; color: #111; margin: 24px auto; max-width: 1200px; padding: 0 16px;
         line-height: 1.5; }
  h1 { font-size: 22px; text-align: center; margin: 0 0 8px; }
  h2 { font-size: 16px; margin: 20px 0 6px; border-left: 4px solid #b71c1c; padding-left: 8px; }
  h3 { font-size: 14px; margin: 12px 0 4px; }
  .meta { text-align: center; color: #333; margin: 0 0 12px; }
  .notice { border: 1px solid; padding: 8px 12px; margin: 12px 0; font-weight: bold; }
  .zero { border-color: #2e7d32; color: #1b5e20; background: #f1f8e9; }
  .incomplete { border-color: #c62828; color: #b71c1c; background: #ffebee; }
  .draft { color: #b71c1c; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { border: 1px solid #555; padding: 4px 6px; text-align: right; white-space: nowrap; }
  th { background: #eceff1; text-align: center; }
  td.name { text-align: left; }
  tr.total td { font-weight: bold; background: #fafafa; }
  .sign { margin-top: 24px; display: flex; justify-content: space-between; flex-wrap: wrap; }
  .sign p { margin: 4px 0; }
  @media print {
    body { margin: 0; max-width: none; padding: 0; font-size: 11pt; }
    h2 { break-after: avoid; page-break-after: avoid; }
    table { page-break-inside: auto; }
    tr { break-inside: avoid; page-break-inside: avoid; }
    thead { display: table-header-group; }
    th, .notice, tr.total td { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  }
)css";

// The key items' balances per site (low ones marked), the low items, then the donations.
void AppendSuppliesMarkdown(const DailyReport& report, std::string* out) {
  const std::vector<KeyItem> items = KeyItems(report);
  std::vector<std::string> header = {"站点"};
  std::vector<std::string> align = {"---"};
  for (const KeyItem& item : items) {
    header.push_back(MarkdownCell(KeyItemLabel(item)));
    align.push_back("---:");
  }
  header.push_back(kLowItemsLabel);
  align.push_back("---");
  absl::StrAppend(out, "重点物资库存（日终）：\n\n");
  absl::StrAppend(out, "| ", absl::StrJoin(header, " | "), " |\n");
  absl::StrAppend(out, "| ", absl::StrJoin(align, " | "), " |\n");
  auto append_row = [&](const SiteReport& row, absl::string_view name, bool bold) {
    auto b = [bold](const std::string& text) {
      return bold ? absl::StrCat("**", text, "**") : text;
    };
    std::vector<std::string> cells = {b(MarkdownCell(name))};
    for (const KeyItem& item : items) {
      cells.push_back(b(BalanceCell(row, item.code, kNotFetched, /*mark_low=*/true)));
    }
    cells.push_back(b(MarkdownCell(LowItemsCell(row, kNotFetched))));
    absl::StrAppend(out, "| ", absl::StrJoin(cells, " | "), " |\n");
  };
  for (const SiteReport& site : report.sites()) append_row(site, site.site_name(), false);
  append_row(report.totals(), kTotalsName, true);
  absl::StrAppend(out, "\n", DonationSentence(report), "\n\n");
}

void AppendSuppliesHtml(const DailyReport& report, std::string* out) {
  const std::vector<KeyItem> items = KeyItems(report);
  absl::StrAppend(out, "<h3>重点物资库存（日终）</h3>\n<table>\n<thead><tr><th>站点</th>");
  for (const KeyItem& item : items) absl::StrAppend(out, "<th>", Html(KeyItemLabel(item)), "</th>");
  absl::StrAppend(out, "<th>", kLowItemsLabel, "</th></tr></thead>\n<tbody>\n");
  auto append_row = [&](const SiteReport& row, absl::string_view name, bool total) {
    absl::StrAppend(out, total ? "<tr class=\"total\">" : "<tr>", "<td class=\"name\">",
                    Html(name), "</td>");
    for (const KeyItem& item : items) {
      absl::StrAppend(out, "<td>", BalanceCell(row, item.code, kNotFetched, /*mark_low=*/true),
                      "</td>");
    }
    absl::StrAppend(out, "<td class=\"name\">", Html(LowItemsCell(row, kNotFetched)),
                    "</td></tr>\n");
  };
  for (const SiteReport& site : report.sites()) append_row(site, site.site_name(), false);
  append_row(report.totals(), kTotalsName, true);
  absl::StrAppend(out, "</tbody>\n</table>\n<p class=\"donations\">",
                  Html(DonationSentence(report)), "</p>\n");
}

}  // namespace

std::string ReportTitle(const DailyReport& report) {
  return absl::StrCat(kTitlePrefix, " ", report.date());
}

std::vector<std::string> CsvHeader(const DailyReport& report) {
  std::vector<std::string> header = {"站点", "站点编号"};
  for (const Section& section : Sections()) {
    for (const Column& column : section.columns) header.push_back(column.label);
  }
  for (const KeyItem& item : KeyItems(report)) header.push_back(KeyItemLabel(item));
  header.push_back(kLowItemsLabel);
  for (std::string& label : DonationLabels()) header.push_back(std::move(label));
  return header;
}

std::string RenderCsv(const DailyReport& report) {
  std::string out = kUtf8Bom;
  auto append_row = [&out](const std::vector<std::string>& cells) {
    std::vector<std::string> quoted;
    for (const std::string& c : cells) quoted.push_back(CsvField(c));
    absl::StrAppend(&out, absl::StrJoin(quoted, ","), "\r\n");
  };
  append_row(CsvHeader(report));
  const std::vector<KeyItem> key_items = KeyItems(report);
  auto row_cells = [&](const SiteReport& row, absl::string_view name, absl::string_view id,
                       bool totals) {
    std::vector<std::string> cells = {std::string(name), std::string(id)};
    for (const Section& section : Sections()) {
      for (const Column& column : section.columns) {
        cells.push_back(Cell(row, column, kNotFetchedCsv));
      }
    }
    for (const KeyItem& item : key_items) {
      cells.push_back(BalanceCell(row, item.code, kNotFetchedCsv, /*mark_low=*/false));
    }
    cells.push_back(LowItemsCell(row, kNotFetchedCsv));
    for (std::string& cell : DonationCells(report, kNotFetchedCsv)) {
      cells.push_back(totals ? std::move(cell) : "");
    }
    return cells;
  };
  for (const SiteReport& site : report.sites()) {
    append_row(row_cells(site, site.site_name(), site.site_id(), false));
  }
  append_row(row_cells(report.totals(), kTotalsName, "", true));
  return out;
}

absl::StatusOr<std::string> RenderJson(const DailyReport& report) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  std::string out;
  google::protobuf::util::Status status =
      google::protobuf::util::MessageToJsonString(report, &out, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("the report could not be printed as JSON: ",
                                            std::string(status.message())));
  }
  return out;
}

std::string RenderMarkdown(const DailyReport& report, absl::TimeZone tz) {
  std::string out = absl::StrCat("# ", ReportTitle(report), "\n\n");
  absl::StrAppend(&out, "- 报告日期：", report.date(), "\n");
  absl::StrAppend(&out, "- 版本：", VersionLine(report), "\n");
  absl::StrAppend(&out, "- 报告编号：", report.report_id(), "\n");
  absl::StrAppend(&out, "- 覆盖站点：", MarkdownCell(ScopeLine(report)), "\n");
  absl::StrAppend(&out, "- ", GeneratedLine(report, tz), "\n");
  absl::StrAppend(&out, "- ", SubmittedLine(report, tz), "\n\n");
  if (IsZeroReport(report)) absl::StrAppend(&out, "> **", kZeroReportSentence, "**\n\n");
  if (report.incomplete_sources_size() > 0) {
    absl::StrAppend(&out, "> **", IncompleteSentence(report), "**\n\n");
  }
  const char* numerals[] = {"一", "二", "三", "四", "五", "六"};
  size_t n = 0;
  for (const Section& section : Sections()) {
    absl::StrAppend(&out, "## ", numerals[n++ % 6], "、", section.title, "\n\n");
    std::vector<std::string> header = {"站点"};
    std::vector<std::string> align = {"---"};
    for (const Column& column : section.columns) {
      header.push_back(MarkdownCell(column.label));
      align.push_back("---:");
    }
    absl::StrAppend(&out, "| ", absl::StrJoin(header, " | "), " |\n");
    absl::StrAppend(&out, "| ", absl::StrJoin(align, " | "), " |\n");
    auto append_row = [&](const SiteReport& row, absl::string_view name, bool bold) {
      std::vector<std::string> cells = {bold ? absl::StrCat("**", MarkdownCell(name), "**")
                                             : MarkdownCell(name)};
      for (const Column& column : section.columns) {
        std::string cell = Cell(row, column, kNotFetched);
        cells.push_back(bold ? absl::StrCat("**", cell, "**") : cell);
      }
      absl::StrAppend(&out, "| ", absl::StrJoin(cells, " | "), " |\n");
    };
    for (const SiteReport& site : report.sites()) append_row(site, site.site_name(), false);
    append_row(report.totals(), kTotalsName, true);
    absl::StrAppend(&out, "\n");
    if (section.source == kSourceSupplies) AppendSuppliesMarkdown(report, &out);
  }
  std::vector<std::string> zero_sites;
  for (const SiteReport& site : report.sites()) {
    if (IsZeroSite(site)) zero_sites.push_back(MarkdownCell(site.site_name()));
  }
  if (!zero_sites.empty() && !IsZeroReport(report)) {
    absl::StrAppend(&out, "零报告站点：", absl::StrJoin(zero_sites, "、"), "\n");
  }
  return out;
}

std::string RenderHtml(const DailyReport& report, absl::TimeZone tz) {
  const std::string title = Html(ReportTitle(report));
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
      title, "</title>\n<style>", kHtmlStyle, "</style>\n</head>\n<body>\n");
  absl::StrAppend(&out, "<h1>", title, "</h1>\n");
  absl::StrAppend(&out, "<p class=\"meta\">报告日期：", Html(report.date()), "　版本：",
                  report.status() == v1::REPORT_STATUS_SUBMITTED
                      ? Html(VersionLine(report))
                      : absl::StrCat("<span class=\"draft\">", Html(VersionLine(report)),
                                     "</span>"),
                  "　报告编号：", Html(report.report_id()), "</p>\n");
  absl::StrAppend(&out, "<p class=\"meta\">覆盖站点：", Html(ScopeLine(report)), "</p>\n");
  if (IsZeroReport(report)) {
    absl::StrAppend(&out, "<p class=\"notice zero\">", kZeroReportSentence, "</p>\n");
  }
  if (report.incomplete_sources_size() > 0) {
    absl::StrAppend(&out, "<p class=\"notice incomplete\">", Html(IncompleteSentence(report)),
                    "</p>\n");
  }

  // Overview: every site with its kind, and 零报告 for those with nothing to report.
  absl::StrAppend(&out,
                  "<h2>站点概况</h2>\n<table>\n<thead><tr><th>站点</th><th>站点编号</th>"
                  "<th>类型</th><th>备注</th></tr></thead>\n<tbody>\n");
  for (const SiteReport& site : report.sites()) {
    absl::StrAppend(&out, "<tr><td class=\"name\">", Html(site.site_name()),
                    "</td><td class=\"name\">", Html(site.site_id()), "</td><td class=\"name\">",
                    KindLabel(site.site_kind()), "</td><td class=\"name\">",
                    IsZeroSite(site) ? "零报告" : "", "</td></tr>\n");
  }
  absl::StrAppend(&out, "</tbody>\n</table>\n");

  const char* numerals[] = {"一", "二", "三", "四", "五", "六"};
  size_t n = 0;
  for (const Section& section : Sections()) {
    absl::StrAppend(&out, "<h2>", numerals[n++ % 6], "、", Html(section.title),
                    "</h2>\n<table>\n<thead><tr><th>站点</th>");
    for (const Column& column : section.columns) {
      absl::StrAppend(&out, "<th>", Html(column.label), "</th>");
    }
    absl::StrAppend(&out, "</tr></thead>\n<tbody>\n");
    auto append_row = [&](const SiteReport& row, absl::string_view name, bool total) {
      absl::StrAppend(&out, total ? "<tr class=\"total\">" : "<tr>", "<td class=\"name\">",
                      Html(name), "</td>");
      for (const Column& column : section.columns) {
        absl::StrAppend(&out, "<td>", Cell(row, column, kNotFetched), "</td>");
      }
      absl::StrAppend(&out, "</tr>\n");
    };
    for (const SiteReport& site : report.sites()) append_row(site, site.site_name(), false);
    append_row(report.totals(), kTotalsName, true);
    absl::StrAppend(&out, "</tbody>\n</table>\n");
    if (section.source == kSourceSupplies) AppendSuppliesHtml(report, &out);
  }

  absl::StrAppend(&out, "<div class=\"sign\">\n<p>", Html(GeneratedLine(report, tz)), "</p>\n<p>",
                  Html(SubmittedLine(report, tz)), "</p>\n</div>\n</body>\n</html>\n");
  return out;
}

absl::StatusOr<ExportedFile> ExportReport(const DailyReport& report, v1::ExportFormat format,
                                          absl::TimeZone tz) {
  switch (format) {
    case v1::EXPORT_FORMAT_CSV:
      return ExportedFile{FileName(report, "csv"), "text/csv; charset=utf-8", RenderCsv(report)};
    case v1::EXPORT_FORMAT_JSON: {
      ASSIGN_OR_RETURN(std::string json, RenderJson(report));
      return ExportedFile{FileName(report, "json"), "application/json; charset=utf-8",
                          std::move(json)};
    }
    case v1::EXPORT_FORMAT_MARKDOWN:
      return ExportedFile{FileName(report, "md"), "text/markdown; charset=utf-8",
                          RenderMarkdown(report, tz)};
    case v1::EXPORT_FORMAT_HTML:
      return ExportedFile{FileName(report, "html"), "text/html; charset=utf-8",
                          RenderHtml(report, tz)};
    default:
      return server::InvalidField("format",
                                  "must be EXPORT_FORMAT_CSV, EXPORT_FORMAT_JSON, "
                                  "EXPORT_FORMAT_MARKDOWN or EXPORT_FORMAT_HTML");
  }
}

}  // namespace lianfang::report
