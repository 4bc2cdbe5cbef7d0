// Small text helpers for exports and input checks, shared by every service:
//   - HTML escaping of text put into a page;
//   - spreadsheet cells that show text as text (no formula runs when Excel opens a CSV whose
//     cells came from requests; the CSV itself is common/csv);
//   - UTF-8 length in characters (code points) and the "plain text" rule of input fields.
//
//   csv.Row({text::SpreadsheetText(donor), "2000.00"});
//   absl::StrAppend(&html, "<td>", text::HtmlEscape(name), "</td>");
//   if (!text::IsPlainText(name)) errors.Add("name", "must be UTF-8 without control characters");
//
// Pure functions; thread-safe.
#ifndef LIANFANG_COMMON_TEXT_TEXT_H_
#define LIANFANG_COMMON_TEXT_TEXT_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace lianfang::text {

// `value` as a spreadsheet cell of text: unchanged, or with a leading single quote when it
// starts with =, +, - or @ ("'=1+1"), so a spreadsheet shows it instead of running it as a
// formula; a negative number ("-12", "-0.50") is left alone.
std::string SpreadsheetText(absl::string_view value);

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
