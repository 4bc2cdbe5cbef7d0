#include "common/server/pem.h"

#include <string>

#include "common/status/status_matchers.h"
#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::server {
namespace {

using ::lianfang::testing::StatusIs;
using ::lianfang::testing::TempDir;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPem[] = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";

TEST(ReadPemFileTest, ReturnsTheWholeFile) {
  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::Make());
  ASSERT_OK_AND_ASSIGN(std::string path, dir.WriteFile("leaf.pem", kPem));
  ASSERT_OK_AND_ASSIGN(std::string content, ReadPemFile(path, "certificate"));
  EXPECT_EQ(content, kPem);
}

TEST(ReadPemFileTest, MissingOrEmptyFileNamesWhatAndWhereButNotTheContent) {
  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::Make());
  const std::string missing = dir.File("absent.pem");
  EXPECT_THAT(ReadPemFile(missing, "CA"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("TLS CA file"), HasSubstr(missing))));
  ASSERT_OK_AND_ASSIGN(std::string empty, dir.WriteFile("empty.pem", ""));
  EXPECT_THAT(ReadPemFile(empty, "private key"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("TLS private key file"), HasSubstr("empty"))));
  // A folder opens but cannot be read as a file.
  EXPECT_THAT(ReadPemFile(dir.path(), "certificate"),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("BEGIN"))));
}

}  // namespace
}  // namespace lianfang::server
