#include "common/testing/temp_dir.h"

#include <sys/stat.h>

#include <string>
#include <utility>

#include "common/status/status_matchers.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::testing {
namespace {

bool Exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

TEST(TempDirTest, DirectoryExistsUntilDestroyedWithItsContents) {
  std::string path;
  std::string file;
  {
    TempDir dir;
    path = dir.path();
    EXPECT_TRUE(Exists(path));
    ASSERT_OK_AND_ASSIGN(file, dir.WriteFile("pii.key", "0123456789abcdef\n"));
    EXPECT_EQ(file, dir.File("pii.key"));
    EXPECT_EQ(ReadFileOrEmpty(file), "0123456789abcdef\n");
  }
  EXPECT_FALSE(Exists(file));
  EXPECT_FALSE(Exists(path));
}

TEST(TempDirTest, TwoDirectoriesAreDistinct) {
  TempDir a;
  TempDir b;
  EXPECT_NE(a.path(), b.path());
  EXPECT_EQ(a.path().front(), '/');
}

TEST(TempDirTest, MovingTransfersOwnership) {
  ASSERT_OK_AND_ASSIGN(TempDir a, TempDir::Make());
  const std::string path = a.path();
  {
    TempDir b = std::move(a);
    EXPECT_EQ(b.path(), path);
    EXPECT_TRUE(a.path().empty());  // NOLINT(bugprone-use-after-move): documented state
    EXPECT_TRUE(Exists(path));
  }
  EXPECT_FALSE(Exists(path));
}

}  // namespace
}  // namespace lianfang::testing
