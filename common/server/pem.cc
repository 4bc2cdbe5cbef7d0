#include "common/server/pem.h"

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace lianfang::server {

absl::StatusOr<std::string> ReadPemFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read TLS ", what, " file \"", path, "\""));
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad() || content.str().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("TLS ", what, " file \"", path, "\" is empty or unreadable"));
  }
  return content.str();
}

}  // namespace lianfang::server
