#include "tools/lfctl/csv.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace lianfang::lfctl {
namespace {

// True when `text` is well-formed UTF-8.
bool IsUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    if (len == 0 || i + len > text.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::vector<CsvRow>> ParseCsv(absl::string_view text) {
  if (absl::StartsWith(text, "\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<CsvRow> rows;
  CsvRow row;
  std::string cell;
  bool quoted = false;       // inside a quoted field
  bool cell_quoted = false;  // the current cell was quoted (keep its spaces)
  int line = 1;
  int row_start = 1;
  auto end_cell = [&] {
    row.cells.push_back(cell_quoted ? cell : std::string(absl::StripAsciiWhitespace(cell)));
    cell.clear();
    cell_quoted = false;
  };
  auto end_row = [&]() -> absl::Status {
    end_cell();
    bool blank = true;
    for (const std::string& c : row.cells) blank = blank && c.empty();
    for (const std::string& c : row.cells) {
      if (!IsUtf8(c)) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", row_start, ": not UTF-8 text; save the sheet as \"CSV UTF-8\""));
      }
    }
    if (!blank) {
      row.line = row_start;
      rows.push_back(std::move(row));
    }
    row = CsvRow();
    return absl::OkStatus();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          cell.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        cell.push_back(c);
      }
      continue;
    }
    if (c == '"' && absl::StripAsciiWhitespace(cell).empty()) {
      cell.clear();
      quoted = true;
      cell_quoted = true;
    } else if (c == ',') {
      end_cell();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (absl::Status s = end_row(); !s.ok()) return s;
      ++line;
      row_start = line;
    } else {
      cell.push_back(c);
    }
  }
  if (quoted) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", row_start, ": a quoted field is not closed"));
  }
  if (!cell.empty() || !row.cells.empty()) {
    if (absl::Status s = end_row(); !s.ok()) return s;
  }
  return rows;
}

}  // namespace lianfang::lfctl
