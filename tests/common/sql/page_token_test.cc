#include "common/sql/page_token.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::sql {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(PageSizeTest, ZeroMeansTheDefaultAndLargeValuesAreCapped) {
  EXPECT_EQ(*PageSize(0), 50);
  EXPECT_EQ(*PageSize(1), 1);
  EXPECT_EQ(*PageSize(500), 500);
  EXPECT_EQ(*PageSize(501), 500);
  EXPECT_EQ(*PageSize(std::numeric_limits<int64_t>::max()), 500);
  EXPECT_THAT(PageSize(-1), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_size")));
}

TEST(PageTokenTest, KeysRoundTripThroughAnOpaqueUrlSafeToken) {
  const std::vector<Value> key = {Value(int64_t{-42}), Value(std::numeric_limits<int64_t>::max()),
                                  Value("任务-7"),     Value(Bytes{std::string("\0\xff", 2)}),
                                  Value(2.5),          Null()};
  const std::string token = EncodePageToken("ListTasks", key);
  EXPECT_EQ(
      token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
  EXPECT_EQ(token.find("任务"), std::string::npos);
  absl::StatusOr<std::vector<Value>> decoded = DecodePageToken("ListTasks", token, key.size());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, key);
}

TEST(PageTokenTest, AnEmptyTokenIsTheFirstPage) {
  absl::StatusOr<std::vector<Value>> decoded = DecodePageToken("ListTasks", "", 2);
  ASSERT_TRUE(decoded.ok());
  EXPECT_THAT(*decoded, IsEmpty());
  EXPECT_EQ(*DecodeOffsetPageToken("ListTeams", ""), 0);
}

TEST(PageTokenTest, TokensOfAnotherListAreRejected) {
  const std::string token = EncodePageToken("ListTasks", {Value(1), Value(2)});
  EXPECT_THAT(DecodePageToken("ListTeams", token, 2),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
}

TEST(PageTokenTest, EditedTruncatedOrGarbageTokensAreRejected) {
  const std::string token = EncodePageToken("ListTasks", {Value(1000), Value(7)});
  std::string edited = token;
  edited[2] = edited[2] == 'A' ? 'B' : 'A';
  for (const std::string& bad :
       {edited, token.substr(0, token.size() - 2), std::string("not a token!"), std::string("AAAA"),
        std::string(5000, 'A')}) {
    EXPECT_THAT(DecodePageToken("ListTasks", bad, 2),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")))
        << bad;
  }
  EXPECT_THAT(DecodePageToken("ListTasks", token, 3), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PageTokenTest, OffsetTokensRoundTripAndRefuseOtherKeys) {
  EXPECT_EQ(*DecodeOffsetPageToken("ListTeams", EncodeOffsetPageToken("ListTeams", 150)), 150);
  EXPECT_THAT(DecodeOffsetPageToken("ListTeams", EncodeOffsetPageToken("ListTeams", -1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeOffsetPageToken("ListTeams", EncodePageToken("ListTeams", {Value("x")})),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace lianfang::sql
