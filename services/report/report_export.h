// Exports of a daily report, as files the working group sends up or prints:
//   CSV       UTF-8 with a byte-order mark and CRLF line ends (Excel opens it with the Chinese
//             text intact): a header row of Chinese labels (站点, 站点编号, 进入人次, …), one
//             row per site, and the totals row 合计;
//   JSON      the DailyReport in protobuf's JSON mapping, zeros written out (it parses back
//             into the same DailyReport);
//   MARKDOWN  a title, the report's particulars, and one table per source;
//   HTML      a self-contained printable page in Chinese (inline CSS with print styles),
//             titled "联防联控工作组 每日疫情防控情况报告 YYYY-MM-DD", with 零报告 when nothing
//             happened, and the submitted-by/at line.
// A source that did not answer shows as 未获取 (CSV) or — (Markdown, HTML), never as zeros.
//
// Columns come from the sources' DailyStats messages by reflection, labelled in Chinese
// (GLOSSARY.md); an integer field added to a DailyStats later is exported under its field
// name until it gets a label here.
//
// Pure functions; thread-safe.
#ifndef LIANFANG_SERVICES_REPORT_REPORT_EXPORT_H_
#define LIANFANG_SERVICES_REPORT_REPORT_EXPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/csv/csv.h"
#include "lianfang/report/v1/report.pb.h"
#include "services/report/daily_report.h"

namespace lianfang::report {

// The byte-order mark every CSV export starts with (common/csv/csv.h).
using csv::kUtf8Bom;

// A rendered file.
struct ExportedFile {
  std::string filename;      // "lianfang-2022-04-01-v2.csv"
  std::string content_type;  // "text/csv; charset=utf-8"
  std::string content;
};

// Renders `report` in `format`; times in `tz`. INVALID_ARGUMENT naming `format` when it is
// unspecified or unknown; INTERNAL if JSON printing fails.
absl::StatusOr<ExportedFile> ExportReport(const DailyReport& report, v1::ExportFormat format,
                                          absl::TimeZone tz);

// "联防联控工作组 每日疫情防控情况报告 2022-04-01".
std::string ReportTitle(const DailyReport& report);

// The CSV header cells, in order (站点, 站点编号, then every figure).
std::vector<std::string> CsvHeader();

std::string RenderCsv(const DailyReport& report);
absl::StatusOr<std::string> RenderJson(const DailyReport& report);
std::string RenderMarkdown(const DailyReport& report, absl::TimeZone tz);
std::string RenderHtml(const DailyReport& report, absl::TimeZone tz);

}  // namespace lianfang::report

#endif  // LIANFANG_SERVICES_REPORT_REPORT_EXPORT_H_
