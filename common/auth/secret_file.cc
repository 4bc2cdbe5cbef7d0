#include "common/auth/secret_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace lianfang::auth {

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  if (path.empty()) return absl::FailedPreconditionError("no key file given (empty path)");
  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (file == nullptr) {
    const int err = errno;
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read key file ", path, ": ", std::strerror(err)));
  }
  std::string content;
  char buffer[4096];
  while (true) {
    const size_t n = std::fread(buffer, 1, sizeof(buffer), file.get());
    content.append(buffer, n);
    if (content.size() > kMaxSecretBytes) {
      return absl::FailedPreconditionError(absl::StrCat(
          "key file ", path, " is too large to be a key (over ", kMaxSecretBytes, " bytes)"));
    }
    if (n < sizeof(buffer)) break;
  }
  if (std::ferror(file.get())) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read key file ", path));
  }
  if (absl::EndsWith(content, "\r\n")) {
    content.resize(content.size() - 2);
  } else if (absl::EndsWith(content, "\n")) {
    content.resize(content.size() - 1);
  }
  if (content.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("key file ", path, " is empty"));
  }
  if (content.size() < kMinSecretBytes) {
    return absl::FailedPreconditionError(absl::StrCat(
        "key file ", path, " is too short: keys need at least ", kMinSecretBytes, " bytes"));
  }
  return content;
}

}  // namespace lianfang::auth
