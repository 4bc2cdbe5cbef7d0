// Small text helpers for exports and input checks, shared by every service:
//   - CSV that Excel opens with its Chinese text intact (UTF-8 with a byte-order mark, CRLF
//     line ends, RFC 4180 quoting);
//   - HTML escaping of text put into a page;
//   - UTF-8 length in characters (code points) and the "plain text" rule of input fields.
//
//   std::string csv = text::kUtf8Bom;
//   text::AppendCsvRow(csv, {"捐赠方", "金额（元）"});
//   absl::StrAppend(&html, "<td>", text::HtmlEscape(name), "</td>");
//   if (!text::IsPlainText(name)) errors.Add("name", "must be UTF-8 without control characters");
//
// Pure functions; thread-safe.
#ifndef LIANFANG_COMMON_TEXT_TEXT_H_
#define LIANFANG_COMMON_TEXT_TEXT_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace lianfang::text {

// The byte-order mark a CSV export starts with, so Excel reads it as UTF-8.
inline constexpr char kUtf8Bom[] = "\xEF\xBB\xBF";

// One CSV cell: `value` unchanged, or quoted (inner quotes doubled) when it holds a comma, a
// quote, CR or LF. A cell starting with =, +, - or @ gets a leading single quote ("'=1+1"),
// so a spreadsheet shows it as text instead of running it as a formula; a negative number
// ("-12", "-0.50") is left alone.
std::string CsvField(absl::string_view value);

// Appends the cells of one row, separated by commas and ended with CRLF, to `out`.
void AppendCsvRow(std::string& out, const std::vector<std::string>& cells);

// `value` with &, <, >, " and ' replaced by their entities, safe inside element text and
// quoted attribute values.
std::string HtmlEscape(absl::string_view value);

// The number of characters (Unicode code points) of `value`, or nullopt when it is not
// well-formed UTF-8 (overlong forms, surrogates and code points above U+10FFFF included).
std::optional<size_t> Utf8Length(absl::string_view value);

// True when `value` is well-formed UTF-8 without control characters (U+0000..U+001F, U+007F,
// U+0080..U+009F): the rule of the single-line text fields of the API.
bool IsPlainText(absl::string_view value);

}  // namespace lianfang::text

#endif  // LIANFANG_COMMON_TEXT_TEXT_H_
