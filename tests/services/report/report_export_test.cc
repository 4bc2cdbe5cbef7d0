#include "services/report/report_export.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/status/status_matchers.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/services/report/report_fixtures.h"

namespace lianfang::report {
namespace {

using ::lianfang::report::testing::BusyDay;
using ::lianfang::report::testing::QuietDay;
using ::lianfang::report::testing::TestSites;
using ::lianfang::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr char kDate[] = "2022-04-01";

DailyReport Report(const FetchedStats& fetched, bool submitted = false) {
  sites::SiteDirectory directory = TestSites();
  absl::StatusOr<Coverage> coverage = ResolveCoverage(directory, {});
  DailyReport report = MergeDailyReport(kDate, *coverage, fetched);
  report.set_report_id("20220401-v2");
  report.set_version(2);
  report.set_status(v1::REPORT_STATUS_DRAFT);
  *report.mutable_generated_at() = time::ToTimestamp(
      absl::FromCivil(absl::CivilSecond(2022, 4, 2, 0, 30, 0), absl::UTCTimeZone()));
  report.set_generated_by("leader-li");
  if (submitted) {
    report.set_status(v1::REPORT_STATUS_SUBMITTED);
    *report.mutable_submitted_at() = time::ToTimestamp(
        absl::FromCivil(absl::CivilSecond(2022, 4, 2, 1, 15, 0), absl::UTCTimeZone()));
    report.set_submitted_by("leader-wang");
  }
  return report;
}

absl::TimeZone Shanghai() {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &tz));
  return tz;
}

std::vector<std::string> CsvLines(const std::string& csv) {
  std::vector<std::string> lines = absl::StrSplit(csv, "\r\n");
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

TEST(CsvExportTest, StartsWithTheUtf8ByteOrderMark) {
  const std::string csv = RenderCsv(Report(BusyDay(kDate)));
  ASSERT_GE(csv.size(), 3u);
  EXPECT_EQ(csv.substr(0, 3), "\xEF\xBB\xBF");
}

TEST(CsvExportTest, HasTheChineseHeaderRowThenOneRowPerSiteAndTheTotals) {
  const DailyReport report = Report(BusyDay(kDate));
  const std::string csv = RenderCsv(report);
  std::vector<std::string> lines = CsvLines(csv.substr(3));
  ASSERT_THAT(lines, SizeIs(1 + 3 + 1));
  std::vector<std::string> header = absl::StrSplit(lines[0], ',');
  EXPECT_EQ(header[0], "站点");
  for (const char* label :
       {"进入人次", "外出人次", "劝返人次", "发热人数", "在场峰值", "户数", "已摸排户数",
        "常住人口", "租户待核实", "居家观察", "今日已报", "今日未报", "新建任务", "完成任务",
        "逾期任务", "计划消毒", "完成消毒", "在岗志愿者"}) {
    EXPECT_THAT(header, Contains(label));
  }
  EXPECT_EQ(header, CsvHeader(report));
  EXPECT_THAT(lines[1], StartsWith("党校校园,campus,5,3,2,1,"));
  EXPECT_THAT(lines[2], StartsWith("家属区,family-area,2,2,0,0,"));
  EXPECT_THAT(lines[3], StartsWith("驻村扶贫村,village,0,0,0,0,"));
  EXPECT_THAT(lines[4], StartsWith("合计,,7,5,2,1,"));
  // Every row has as many cells as the header.
  for (const std::string& line : lines) {
    EXPECT_THAT(std::vector<std::string>(absl::StrSplit(line, ',')), SizeIs(header.size()));
  }
}

TEST(CsvExportTest, FiguresLineUpWithTheirHeaders) {
  const std::string csv = RenderCsv(Report(BusyDay(kDate)));
  std::vector<std::string> lines = CsvLines(csv.substr(3));
  std::vector<std::string> header = absl::StrSplit(lines[0], ',');
  std::vector<std::string> campus = absl::StrSplit(lines[1], ',');
  std::vector<std::string> totals = absl::StrSplit(lines[4], ',');
  auto column = [&](const std::string& label) {
    return std::find(header.begin(), header.end(), label) - header.begin();
  };
  EXPECT_EQ(campus[column("常住人口")], "30");
  EXPECT_EQ(campus[column("今日未报")], "5");
  EXPECT_EQ(campus[column("新建任务")], "3");
  EXPECT_EQ(campus[column("在岗志愿者")], "4");
  EXPECT_EQ(campus[column("劝返（无有效通行证）")], "1");
  EXPECT_EQ(totals[column("常住人口")], "42");
  EXPECT_EQ(totals[column("在场峰值")], "6");
}

TEST(CsvExportTest, ASourceThatDidNotAnswerShowsAsNotFetchedNotAsZero) {
  FetchedStats fetched = BusyDay(kDate);
  fetched.dispatch.reset();
  const std::string csv = RenderCsv(Report(fetched));
  std::vector<std::string> lines = CsvLines(csv.substr(3));
  std::vector<std::string> header = absl::StrSplit(lines[0], ',');
  std::vector<std::string> campus = absl::StrSplit(lines[1], ',');
  const auto tasks = std::find(header.begin(), header.end(), "新建任务") - header.begin();
  EXPECT_EQ(campus[tasks], "未获取");
  EXPECT_EQ(campus[2], "5");
}

// The cells of `line` under `label` of `header`.
std::string CellUnder(const std::vector<std::string>& header, const std::string& line,
                      const std::string& label) {
  std::vector<std::string> cells = absl::StrSplit(line, ',');
  const auto it = std::find(header.begin(), header.end(), label);
  if (it == header.end()) return "<no column " + label + ">";
  return cells[it - header.begin()];
}

TEST(CsvExportTest, HasTheSuppliesBalancesLowItemsAndDonationsWithZerosWrittenOut) {
  const std::string csv = RenderCsv(Report(BusyDay(kDate)));
  std::vector<std::string> lines = CsvLines(csv.substr(3));
  std::vector<std::string> header = absl::StrSplit(lines[0], ',');
  const std::string& campus = lines[1];
  const std::string& village = lines[3];
  const std::string& totals = lines[4];
  EXPECT_EQ(CellUnder(header, campus, "入库笔数"), "1");
  EXPECT_EQ(CellUnder(header, campus, "出库笔数"), "2");
  EXPECT_EQ(CellUnder(header, campus, "食堂采购登记"), "3");
  EXPECT_EQ(CellUnder(header, campus, "食堂拒收"), "1");
  EXPECT_EQ(CellUnder(header, campus, "低库存物资种数"), "1");
  EXPECT_EQ(CellUnder(header, campus, "库存：84消毒液（ml）"), "800");
  EXPECT_EQ(CellUnder(header, campus, "库存：N95口罩（piece）"), "300");
  EXPECT_EQ(CellUnder(header, campus, "低库存物资"), "84消毒液");
  EXPECT_EQ(CellUnder(header, village, "入库笔数"), "0");
  EXPECT_EQ(CellUnder(header, village, "库存：84消毒液（ml）"), "0");
  EXPECT_EQ(CellUnder(header, village, "低库存物资"), "无");
  EXPECT_EQ(CellUnder(header, totals, "出库笔数"), "3");
  EXPECT_EQ(CellUnder(header, totals, "库存：84消毒液（ml）"), "2800");
  EXPECT_EQ(CellUnder(header, totals, "库存：N95口罩（piece）"), "350");
  EXPECT_EQ(CellUnder(header, totals, "低库存物资"), "无");  // summed, nothing is low
  // Donations belong to the working group: the totals row has them.
  EXPECT_EQ(CellUnder(header, totals, "当日受赠笔数"), "2");
  EXPECT_EQ(CellUnder(header, totals, "当日受赠款（元）"), "1500.00");
  EXPECT_EQ(CellUnder(header, totals, "当日捐出笔数"), "0");
  EXPECT_EQ(CellUnder(header, totals, "当日捐出款（元）"), "0.00");
  EXPECT_EQ(CellUnder(header, campus, "当日受赠笔数"), "");

  FetchedStats down = BusyDay(kDate);
  down.supplies.reset();
  lines = CsvLines(RenderCsv(Report(down)).substr(3));
  header = absl::StrSplit(lines[0], ',');
  EXPECT_EQ(CellUnder(header, lines[1], "入库笔数"), "未获取");
  EXPECT_EQ(CellUnder(header, lines[1], "低库存物资"), "未获取");
  EXPECT_EQ(CellUnder(header, lines[4], "当日受赠款（元）"), "未获取");
}

TEST(CsvExportTest, NamesWithCommasOrQuotesAreQuoted) {
  DailyReport report = Report(QuietDay(kDate));
  report.mutable_sites(0)->set_site_name("校园, \"东区\"");
  const std::string csv = RenderCsv(report);
  EXPECT_THAT(csv, HasSubstr("\r\n\"校园, \"\"东区\"\"\",campus,"));
}

TEST(JsonExportTest, ParsesBackIntoTheSameDailyReport) {
  const DailyReport report = Report(BusyDay(kDate), /*submitted=*/true);
  ASSERT_OK_AND_ASSIGN(std::string json, RenderJson(report));
  DailyReport parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, report))
      << parsed.DebugString();
}

TEST(JsonExportTest, ZerosAreWrittenOut) {
  ASSERT_OK_AND_ASSIGN(std::string json, RenderJson(Report(QuietDay(kDate))));
  EXPECT_THAT(json, HasSubstr("\"entries\": 0"));
  EXPECT_THAT(json, HasSubstr("\"householdsTotal\": 0"));
  EXPECT_THAT(json, HasSubstr("\"tasksCreated\": 0"));
  EXPECT_THAT(json, HasSubstr("\"status\": \"REPORT_STATUS_DRAFT\""));
  EXPECT_THAT(json, HasSubstr("驻村扶贫村"));
}

TEST(MarkdownExportTest, HasTheTitleAndOneTablePerSourceWithEverySiteAndTheTotals) {
  const std::string md = RenderMarkdown(Report(BusyDay(kDate), true), Shanghai());
  EXPECT_THAT(md, StartsWith("# 联防联控工作组 每日疫情防控情况报告 2022-04-01\n"));
  EXPECT_THAT(md, HasSubstr("| 站点 | 进入人次 | 外出人次 | 劝返人次 | 发热人数 |"));
  EXPECT_THAT(md, HasSubstr("| 站点 | 户数 | 已摸排户数 |"));
  EXPECT_THAT(md, HasSubstr("| 站点 | 新建任务 | 完成任务 | 逾期任务 |"));
  EXPECT_THAT(md, HasSubstr("| --- | ---: |"));
  EXPECT_THAT(md, HasSubstr("| 党校校园 | 5 | 3 | 2 | 1 |"));
  EXPECT_THAT(md, HasSubstr("| 驻村扶贫村 | 0 | 0 | 0 | 0 |"));
  EXPECT_THAT(md, HasSubstr("| **合计** | **7** | **5** | **2** | **1** |"));
  EXPECT_THAT(md, HasSubstr("上报人：leader-wang　上报时间：2022-04-02 09:15"));
  EXPECT_THAT(md, HasSubstr("零报告站点：驻村扶贫村"));
}

TEST(MarkdownExportTest, HasTheSuppliesSectionWithLowItemsMarkedAndTheDonations) {
  const std::string md = RenderMarkdown(Report(BusyDay(kDate)), Shanghai());
  EXPECT_THAT(md, HasSubstr("、物资保障\n"));
  EXPECT_THAT(md, HasSubstr("| 站点 | 低库存物资种数 | 入库笔数 | 出库笔数 | 食堂采购登记 | 食堂拒收 |"));
  EXPECT_THAT(md, HasSubstr("| 党校校园 | 1 | 1 | 2 | 3 | 1 |"));
  EXPECT_THAT(md, HasSubstr("| 驻村扶贫村 | 0 | 0 | 0 | 0 | 0 |"));
  EXPECT_THAT(md, HasSubstr("| 站点 | 库存：84消毒液（ml） | 库存：N95口罩（piece） | 低库存物资 |"));
  EXPECT_THAT(md, HasSubstr("| 党校校园 | 800（低） | 300 | 84消毒液 |"));
  EXPECT_THAT(md, HasSubstr("| 家属区 | 2000 | 50（低） | N95口罩 |"));
  EXPECT_THAT(md, HasSubstr("| 驻村扶贫村 | 0 | 0 | 无 |"));
  EXPECT_THAT(md, HasSubstr("| **合计** | **2800** | **350** | **无** |"));
  EXPECT_THAT(md, HasSubstr("当日捐赠：受赠 2 笔，受赠款 1500.00 元；捐出 0 笔，捐出款 0.00 元。"));
}

TEST(MarkdownExportTest, AQuietDaySaysZeroReport) {
  const std::string md = RenderMarkdown(Report(QuietDay(kDate)), Shanghai());
  EXPECT_THAT(md, HasSubstr("零报告"));
  EXPECT_THAT(md, HasSubstr("尚未上报"));
}

TEST(HtmlExportTest, IsAPrintableChinesePageWithTheTitleAndEverySite) {
  const std::string html = RenderHtml(Report(BusyDay(kDate), true), Shanghai());
  EXPECT_THAT(html, StartsWith("<!DOCTYPE html>"));
  EXPECT_THAT(html, HasSubstr("<html lang=\"zh-CN\">"));
  EXPECT_THAT(html, HasSubstr("<meta charset=\"utf-8\">"));
  EXPECT_THAT(html, HasSubstr("<title>联防联控工作组 每日疫情防控情况报告 2022-04-01</title>"));
  EXPECT_THAT(html, HasSubstr("<h1>联防联控工作组 每日疫情防控情况报告 2022-04-01</h1>"));
  EXPECT_THAT(html, HasSubstr("<style>"));
  EXPECT_THAT(html, HasSubstr("@media print"));
  EXPECT_THAT(html, HasSubstr("@page"));
  for (const char* name : {"党校校园", "家属区", "驻村扶贫村", "合计"}) {
    EXPECT_THAT(html, HasSubstr(name));
  }
  EXPECT_THAT(html, HasSubstr("<th>进入人次</th>"));
  EXPECT_THAT(html, HasSubstr("上报人：leader-wang　上报时间：2022-04-02 09:15"));
  EXPECT_THAT(html, HasSubstr("第 2 版（已上报）"));
  // Self-contained: nothing fetched from elsewhere.
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("http://")));
  EXPECT_THAT(html, Not(HasSubstr("https://")));
}

TEST(HtmlExportTest, AQuietDayIsAZeroReport) {
  const std::string quiet = RenderHtml(Report(QuietDay(kDate)), Shanghai());
  EXPECT_THAT(quiet, HasSubstr("零报告：本日各站点无新增情况"));
  EXPECT_THAT(quiet, HasSubstr("尚未上报（草稿）"));
  const std::string busy = RenderHtml(Report(BusyDay(kDate)), Shanghai());
  EXPECT_THAT(busy, Not(HasSubstr("零报告：本日")));
  // The idle village is still marked as having nothing to report.
  EXPECT_THAT(busy, HasSubstr("<td class=\"name\">零报告</td>"));
}

TEST(HtmlExportTest, AnIncompleteReportSaysWhichSourceIsMissing) {
  FetchedStats fetched = BusyDay(kDate);
  fetched.gate.reset();
  const std::string html = RenderHtml(Report(fetched), Shanghai());
  EXPECT_THAT(html, HasSubstr("数据不完整"));
  EXPECT_THAT(html, HasSubstr("门岗（gate）"));
  EXPECT_THAT(html, HasSubstr("<td>—</td>"));
}

TEST(HtmlExportTest, HasTheSuppliesSectionAndSaysWhenSuppliesDidNotAnswer) {
  const std::string html = RenderHtml(Report(BusyDay(kDate)), Shanghai());
  EXPECT_THAT(html, HasSubstr("、物资保障</h2>"));
  EXPECT_THAT(html, HasSubstr("<th>库存：84消毒液（ml）</th>"));
  EXPECT_THAT(html, HasSubstr("<td class=\"name\">党校校园</td><td>800（低）</td><td>300</td>"
                              "<td class=\"name\">84消毒液</td>"));
  EXPECT_THAT(html, HasSubstr("<td>1</td><td>1</td><td>2</td><td>3</td><td>1</td>"));
  EXPECT_THAT(html, HasSubstr("当日捐赠：受赠 2 笔，受赠款 1500.00 元"));

  FetchedStats down = BusyDay(kDate);
  down.supplies.reset();
  const std::string incomplete = RenderHtml(Report(down), Shanghai());
  EXPECT_THAT(incomplete, HasSubstr("物资（supplies）"));
  EXPECT_THAT(incomplete, HasSubstr("当日捐赠：—"));
  EXPECT_THAT(incomplete, Not(HasSubstr("当日捐赠：受赠")));
}

TEST(HtmlExportTest, TextIsEscaped) {
  DailyReport report = Report(QuietDay(kDate));
  report.mutable_sites(0)->set_site_name("<b>校园</b>");
  report.set_generated_by("a&b");
  const std::string html = RenderHtml(report, Shanghai());
  EXPECT_THAT(html, HasSubstr("&lt;b&gt;校园&lt;/b&gt;"));
  EXPECT_THAT(html, HasSubstr("a&amp;b"));
  EXPECT_THAT(html, Not(HasSubstr("<b>校园")));
}

TEST(ExportReportTest, EachFormatHasItsFileNameAndContentType) {
  const DailyReport report = Report(BusyDay(kDate));
  struct Case {
    v1::ExportFormat format;
    const char* filename;
    const char* content_type;
  };
  for (const Case& c : {Case{v1::EXPORT_FORMAT_CSV, "lianfang-2022-04-01-v2.csv", "text/csv"},
                        Case{v1::EXPORT_FORMAT_JSON, "lianfang-2022-04-01-v2.json",
                             "application/json"},
                        Case{v1::EXPORT_FORMAT_MARKDOWN, "lianfang-2022-04-01-v2.md",
                             "text/markdown"},
                        Case{v1::EXPORT_FORMAT_HTML, "lianfang-2022-04-01-v2.html",
                             "text/html"}}) {
    ASSERT_OK_AND_ASSIGN(ExportedFile file, ExportReport(report, c.format, Shanghai()));
    EXPECT_EQ(file.filename, c.filename);
    EXPECT_THAT(file.content_type, StartsWith(c.content_type));
    EXPECT_THAT(file.content_type, HasSubstr("charset=utf-8"));
    EXPECT_FALSE(file.content.empty());
  }
}

TEST(ExportReportTest, AnUnknownFormatIsInvalidArgument) {
  const DailyReport report = Report(BusyDay(kDate));
  EXPECT_THAT(ExportReport(report, v1::EXPORT_FORMAT_UNSPECIFIED, Shanghai()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("format")));
  EXPECT_THAT(ExportReport(report, static_cast<v1::ExportFormat>(99), Shanghai()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace lianfang::report
