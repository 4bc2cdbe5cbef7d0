// Test helper: a fresh temporary directory for SQLite files, removed with its contents when
// the object is destroyed; TestUrl() gives the backend-dependent database URL. Shared by the sql, idempotency, outbox and audit tests.
#ifndef LIANFANG_TESTS_COMMON_SQL_TEMP_DIR_H_
#define LIANFANG_TESTS_COMMON_SQL_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "common/testing/test_database.h"
#include "gtest/gtest.h"

namespace lianfang::sql::testing {

class TempDir final {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "lf-sql-XXXXXX";
    const char* made = mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr) << "cannot create a temporary directory under "
                             << ::testing::TempDir();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // The path of `name` inside the directory, and its sqlite: URL.
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  std::string Url(const std::string& name) const { return "sqlite:" + File(name); }
  // The database the test runs on: Url(name), or a PostgreSQL database standing for it when
  // LF_TEST_DB=postgres (see common/testing/test_database.h; link lf_testing).
  std::string TestUrl(const std::string& name) const {
    return ::lianfang::testing::TestDatabaseUrlForPath(File(name));
  }

 private:
  std::string path_;
};

}  // namespace lianfang::sql::testing

#endif  // LIANFANG_TESTS_COMMON_SQL_TEMP_DIR_H_
