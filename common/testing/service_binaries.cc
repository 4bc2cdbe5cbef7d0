#include "common/testing/service_binaries.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace lianfang::testing {
namespace {

std::string EnvOr(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && value[0] != '\0' ? std::string(value) : std::move(fallback);
}

}  // namespace

std::string BinDir() {
  // lf_test puts test executables in <build>/tests: their own tree's binaries are in
  // <build>/bin, so a test of one build tree never starts another tree's binaries.
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  std::string fallback = "build/bin";
  if (!ec) {
    const std::filesystem::path sibling = self.parent_path().parent_path() / "bin";
    if (std::filesystem::is_directory(sibling, ec)) fallback = sibling.string();
  }
  return EnvOr("LF_BIN_DIR", fallback);
}

std::string SourceDir() {
  std::error_code ec;
  std::string cwd = std::filesystem::current_path(ec).string();
  return EnvOr("LF_SOURCE_DIR", ec ? std::string(".") : cwd);
}

absl::StatusOr<std::string> BinaryPath(absl::string_view name) {
  const std::string path = absl::StrCat(BinDir(), "/", name);
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || access(path.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat("no executable ", path, " (build it: ninja ", name,
                                            "; LF_BIN_DIR names the folder)"));
  }
  return path;
}

std::string SourcePath(absl::string_view relative) {
  return absl::StrCat(SourceDir(), "/", relative);
}

}  // namespace lianfang::testing
