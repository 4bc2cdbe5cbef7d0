// CSV files for people who open them in Excel: UTF-8 with a byte-order mark (without it Excel
// reads Chinese text as mojibake), comma-separated, CRLF line ends, RFC 4180 quoting (a cell
// holding a comma, a quote or a line break is quoted, its quotes doubled).
//
//   csv::Writer csv;                       // starts with the byte-order mark
//   csv.Row({"站点", "物资", "数量"});
//   csv.Row({"site-1", "84消毒液", "500"});
//   std::string file = std::move(csv).Take();
//
// Pure; a Writer is a value (one thread at a time).
#ifndef LIANFANG_COMMON_CSV_CSV_H_
#define LIANFANG_COMMON_CSV_CSV_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace lianfang::csv {

// The byte-order mark every CSV export starts with.
inline constexpr char kUtf8Bom[] = "\xEF\xBB\xBF";

// The media type of the files.
inline constexpr char kContentType[] = "text/csv; charset=utf-8";

// `text` as one CSV cell: unchanged unless it holds a comma, a double quote, CR or LF; then
// quoted with its double quotes doubled.
std::string Field(absl::string_view text);

// The cells as one line: fields joined by commas, ended by CRLF.
std::string Line(const std::vector<std::string>& cells);

class Writer final {
 public:
  Writer() : out_(kUtf8Bom) {}

  // Appends one line of `cells`.
  void Row(const std::vector<std::string>& cells) { out_ += Line(cells); }

  // The file so far (byte-order mark, then the lines).
  const std::string& content() const { return out_; }
  std::string Take() && { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace lianfang::csv

#endif  // LIANFANG_COMMON_CSV_CSV_H_
