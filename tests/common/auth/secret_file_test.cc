#include "common/auth/secret_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "absl/status/status.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/auth/temp_dir.h"

namespace lianfang::auth {
namespace {

using ::lianfang::auth::testing::TempDir;
using ::lianfang::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kKey(40, 'k');

// The key read from `path`, or "" (with a test failure) when reading fails.
std::string ReadOk(const std::string& path) {
  absl::StatusOr<std::string> key = ReadSecretFile(path);
  EXPECT_OK(key);
  return key.value_or("");
}

TEST(ReadSecretFileTest, ReadsTheKeyWithoutItsTrailingNewline) {
  TempDir dir;
  EXPECT_EQ(ReadOk(dir.Write("plain", kKey)), kKey);
  EXPECT_EQ(ReadOk(dir.Write("lf", kKey + "\n")), kKey);
  EXPECT_EQ(ReadOk(dir.Write("crlf", kKey + "\r\n")), kKey);
  // Only one newline is removed; other bytes are part of the key.
  EXPECT_EQ(ReadOk(dir.Write("two", kKey + "\n\n")), kKey + "\n");
  EXPECT_EQ(ReadOk(dir.Write("spaces", " " + kKey + " ")), " " + kKey + " ");
}

TEST(ReadSecretFileTest, MissingFileIsAFailedPreconditionNamingThePath) {
  TempDir dir;
  const std::string path = dir.path() + "/absent.key";
  EXPECT_THAT(ReadSecretFile(path),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(path)));
  EXPECT_THAT(ReadSecretFile(""), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ReadSecretFile(dir.path()), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(ReadSecretFileTest, EmptyOrShortKeysAreRefusedWithoutRevealingThem) {
  TempDir dir;
  EXPECT_THAT(ReadSecretFile(dir.Write("empty", "")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("empty")));
  EXPECT_THAT(ReadSecretFile(dir.Write("newline", "\n")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("empty")));
  const std::string short_key = "short-secret-value-31-bytes-xxx";
  ASSERT_EQ(short_key.size(), 31u);
  const std::string path = dir.Write("short", short_key + "\n");
  EXPECT_THAT(ReadSecretFile(path),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(path), HasSubstr("32"), Not(HasSubstr(short_key)))));
  EXPECT_OK(ReadSecretFile(dir.Write("exact", std::string(32, 'x'))));
}

TEST(ReadSecretFileTest, HugeFilesAreRefused) {
  TempDir dir;
  EXPECT_THAT(ReadSecretFile(dir.Write("huge", std::string(kMaxSecretBytes + 1, 'x'))),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("too large")));
}

TEST(ReadSecretFileTest, UnreadableFileIsAFailedPrecondition) {
  TempDir dir;
  const std::string file = dir.Write("plain", kKey);
  const std::string below_a_file = file + "/key";
  EXPECT_THAT(ReadSecretFile(below_a_file),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(below_a_file)));
  if (::geteuid() != 0) {  // root reads files whatever their mode
    const std::string locked = dir.Write("locked", kKey);
    ASSERT_EQ(::chmod(locked.c_str(), 0), 0);
    EXPECT_THAT(ReadSecretFile(locked),
                StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(locked)));
  }
}

}  // namespace
}  // namespace lianfang::auth
