// A small CSV reader for the spreadsheets the working group exports (Excel, WPS): UTF-8 with
// an optional byte-order mark, comma-separated, fields optionally in double quotes (a quote
// doubled inside), CRLF or LF line ends, quoted fields may span lines. Pure functions.
#ifndef LIANFANG_TOOLS_LFCTL_CSV_H_
#define LIANFANG_TOOLS_LFCTL_CSV_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lianfang::lfctl {

struct CsvRow {
  int line = 0;                    // 1-based line of the file where the row starts
  std::vector<std::string> cells;  // trimmed of surrounding spaces
};

// Every non-blank row of `text`, the header included. INVALID_ARGUMENT naming the line when
// the text is not valid UTF-8 (e.g. a GBK export: save as "CSV UTF-8") or a quote is left open.
absl::StatusOr<std::vector<CsvRow>> ParseCsv(absl::string_view text);

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_CSV_H_
