// Test-only helpers: a temporary directory with files, removed at the end of the test.
#ifndef LIANFANG_TESTS_COMMON_CONFIG_TEST_FILES_H_
#define LIANFANG_TESTS_COMMON_CONFIG_TEST_FILES_H_

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace lianfang::config {

class TempDir final {
 public:
  TempDir() {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/lf_config_XXXXXX";
    char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

  // Writes `content` to `name` (folders created) and returns the full path.
  std::string Write(const std::string& name, const std::string& content) {
    const std::filesystem::path full = std::filesystem::path(path_) / name;
    std::filesystem::create_directories(full.parent_path());
    std::ofstream(full, std::ios::binary) << content;
    return full.string();
  }
  std::string Mkdir(const std::string& name) {
    const std::filesystem::path full = std::filesystem::path(path_) / name;
    std::filesystem::create_directories(full);
    return full.string();
  }

 private:
  std::string path_;
};

}  // namespace lianfang::config

#endif  // LIANFANG_TESTS_COMMON_CONFIG_TEST_FILES_H_
