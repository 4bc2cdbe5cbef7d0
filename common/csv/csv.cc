#include "common/csv/csv.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace lianfang::csv {

std::string Field(absl::string_view text) {
  if (text.find_first_of(",\"\r\n") == absl::string_view::npos) return std::string(text);
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

std::string Line(const std::vector<std::string>& cells) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line += ',';
    line += Field(cells[i]);
  }
  line += "\r\n";
  return line;
}

}  // namespace lianfang::csv
