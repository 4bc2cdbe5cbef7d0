#include "common/testing/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace lianfang::testing {
namespace {

std::string TempRoot() {
  const char* tmpdir = std::getenv("TMPDIR");
  if (tmpdir != nullptr && tmpdir[0] != '\0') return tmpdir;
  return "/tmp";
}

absl::StatusOr<std::string> MakeTempDirectory() {
  std::string templ = absl::StrCat(TempRoot(), "/lianfang-test-XXXXXX");
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("mkdtemp under ", TempRoot(), " failed: ", std::strerror(errno)));
  }
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(buf.data(), ec);
  return ec ? std::string(buf.data()) : absolute.string();
}

}  // namespace

absl::StatusOr<TempDir> TempDir::Make() {
  absl::StatusOr<std::string> path = MakeTempDirectory();
  if (!path.ok()) return path.status();
  return TempDir(*std::move(path));
}

TempDir::TempDir() {
  absl::StatusOr<std::string> path = MakeTempDirectory();
  if (!path.ok()) {
    std::fprintf(stderr, "TempDir: %s\n", std::string(path.status().message()).c_str());
    std::abort();
  }
  path_ = *std::move(path);
}

TempDir::~TempDir() { Remove(); }

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, std::string())) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::exchange(other.path_, std::string());
  }
  return *this;
}

void TempDir::Remove() {
  if (path_.empty()) return;
  std::error_code ec;  // best effort: a leftover directory must not fail a test
  std::filesystem::remove_all(path_, ec);
  path_.clear();
}

std::string TempDir::File(absl::string_view name) const { return absl::StrCat(path_, "/", name); }

absl::StatusOr<std::string> TempDir::WriteFile(absl::string_view name,
                                               absl::string_view content) const {
  const std::string file = File(name);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", file));
  return file;
}

}  // namespace lianfang::testing
