#include "common/redis/keys.h"

#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::redis {
namespace {

using ::lianfang::testing::IsOk;
using ::lianfang::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(KeysTest, KeysFollowTheSchemaWithTheSiteInAHashTag) {
  ASSERT_OK_AND_ASSIGN(std::string live, LiveKey(kGate, "family-area"));
  EXPECT_EQ(live, "lf:{family-area}:gate:live");
  ASSERT_OK_AND_ASSIGN(std::string day, DayKey(kSurvey, "village_1", absl::CivilDay(2026, 2, 3)));
  EXPECT_EQ(day, "lf:{village_1}:survey:day:2026-02-03");
  ASSERT_OK_AND_ASSIGN(std::string beat, HeartbeatKey(kDispatch));
  EXPECT_EQ(beat, "lf:svc:dispatch:heartbeat");
  ASSERT_OK_AND_ASSIGN(std::string snapshot, SnapshotKey(kGate));
  EXPECT_EQ(snapshot, "lf:svc:gate:snapshot");
  ASSERT_OK_AND_ASSIGN(std::string deltas, DeltaLogKey(kGate));
  EXPECT_EQ(deltas, "lf:svc:gate:deltas");
  EXPECT_THAT(SnapshotKey("gates"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_STREQ(kChangesChannel, "lf:changes");
}

TEST(KeysTest, EveryServiceNameIsAccepted) {
  for (const char* service : {kGate, kSurvey, kDispatch, kReport, kGateway}) {
    EXPECT_THAT(LiveKey(service, "campus"), IsOk()) << service;
    EXPECT_THAT(HeartbeatKey(service), IsOk()) << service;
  }
}

TEST(KeysTest, UnknownServiceIsRejected) {
  EXPECT_THAT(LiveKey("gates", "campus"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(HeartbeatKey(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeysTest, UnsafeSiteIdsAreRejectedWithoutBeingRepeated) {
  for (const char* bad : {"", "a:b", "a{b}", "a b", "站点", "x*", "a\nb", "a/b"}) {
    EXPECT_THAT(LiveKey(kGate, bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    EXPECT_THAT(DayKey(kGate, bad, absl::CivilDay(2026, 1, 1)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  EXPECT_THAT(ValidateKeyId(std::string(65, 'a')), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateKeyId(std::string(64, 'a')), IsOk());
  EXPECT_THAT(ValidateKeyId("Site_1.b-2"), IsOk());
  EXPECT_THAT(LiveKey(kGate, "secret:site"),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("secret"))));
}

TEST(KeysTest, DayKeyRejectsDaysThatWouldNotFormatAsYyyyMmDd) {
  EXPECT_THAT(DayKey(kGate, "campus", absl::CivilDay(10000, 1, 1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeysTest, ChangeNoticesRoundTrip) {
  ASSERT_OK_AND_ASSIGN(std::string notice, ChangeNotice(kGate, "campus"));
  EXPECT_EQ(notice, "gate:campus");
  ASSERT_OK_AND_ASSIGN(Change change, ParseChangeNotice(notice));
  EXPECT_EQ(change, (Change{"gate", "campus"}));
  for (const char* bad : {"", "gate", "gate:", ":campus", "nobody:campus", "gate:a:b"}) {
    EXPECT_THAT(ParseChangeNotice(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

}  // namespace
}  // namespace lianfang::redis
