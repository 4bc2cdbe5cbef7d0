// A fresh temporary directory per test, removed with its files at the end.
#ifndef LIANFANG_TESTS_COMMON_AUTH_TEMP_DIR_H_
#define LIANFANG_TESTS_COMMON_AUTH_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace lianfang::auth::testing {

class TempDir final {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "lf_auth_XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

  // Writes `content` to `name` in the directory (replacing it in place) and returns the path.
  std::string Write(absl::string_view name, absl::string_view content) const {
    const std::string file = path_ + "/" + std::string(name);
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    return file;
  }

  // Writes `content` to a new file and renames it over `name`, as deployments replace secrets.
  std::string Replace(absl::string_view name, absl::string_view content) const {
    const std::string tmp = Write(std::string(name) + ".tmp", content);
    const std::string file = path_ + "/" + std::string(name);
    std::filesystem::rename(tmp, file);
    return file;
  }

 private:
  std::string path_;
};

}  // namespace lianfang::auth::testing

#endif  // LIANFANG_TESTS_COMMON_AUTH_TEMP_DIR_H_
