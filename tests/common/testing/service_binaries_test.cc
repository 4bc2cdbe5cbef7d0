#include "common/testing/service_binaries.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <string>

#include "common/status/status_matchers.h"
#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::testing {
namespace {

using ::testing::HasSubstr;

TEST(ServiceBinariesTest, FindsExecutablesInTheBinDir) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(std::string tool, dir.WriteFile("lf-tool", "#!/bin/sh\n"));
  ASSERT_EQ(chmod(tool.c_str(), 0755), 0);
  ASSERT_OK(dir.WriteFile("not-executable", "data"));
  const char* saved = std::getenv("LF_BIN_DIR");
  const std::string previous = saved != nullptr ? saved : "";
  setenv("LF_BIN_DIR", dir.path().c_str(), 1);

  EXPECT_EQ(BinDir(), dir.path());
  EXPECT_THAT(BinaryPath("lf-tool"), IsOkAndHolds(tool));
  EXPECT_THAT(BinaryPath("not-executable"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(BinaryPath("lf-missing"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("ninja lf-missing")));

  if (saved != nullptr) {
    setenv("LF_BIN_DIR", previous.c_str(), 1);
  } else {
    unsetenv("LF_BIN_DIR");
  }
}

TEST(ServiceBinariesTest, SourcePathIsUnderTheRepositoryRoot) {
  EXPECT_EQ(SourcePath("deploy/sites.textproto"), SourceDir() + "/deploy/sites.textproto");
  // lf_test runs tests from the repository root and sets LF_SOURCE_DIR to it.
  struct stat st {};
  EXPECT_EQ(stat(SourcePath("CMakeLists.txt").c_str(), &st), 0);
}

}  // namespace
}  // namespace lianfang::testing
