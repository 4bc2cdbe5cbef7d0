#include "common/time/timestamp.h"

#include "gtest/gtest.h"

namespace lianfang::time {
namespace {

TEST(TimestampTest, RoundTripsToTheMicrosecond) {
  const absl::Time t = absl::FromUnixMicros(1648778400123456);
  const google::protobuf::Timestamp ts = ToTimestamp(t);
  EXPECT_EQ(ts.seconds(), 1648778400);
  EXPECT_EQ(ts.nanos(), 123456000);
  EXPECT_EQ(FromTimestamp(ts), t);
}

TEST(TimestampTest, BeforeTheEpochNanosStayPositive) {
  const absl::Time before_epoch = absl::FromUnixMicros(-1500000);
  const google::protobuf::Timestamp ts = ToTimestamp(before_epoch);
  EXPECT_EQ(ts.seconds(), -2);
  EXPECT_EQ(ts.nanos(), 500000000);
  EXPECT_EQ(FromTimestamp(ts), before_epoch);
}

TEST(TimestampTest, DropsWhatIsFinerThanAMicrosecondTowardsThePast) {
  const absl::Time t = absl::FromUnixNanos(1'000'000'001'999);
  EXPECT_EQ(FromTimestamp(ToTimestamp(t)), absl::FromUnixMicros(1'000'000'001));
  const absl::Time before = absl::FromUnixNanos(-1);
  const google::protobuf::Timestamp ts = ToTimestamp(before);
  EXPECT_EQ(ts.seconds(), -1);
  EXPECT_EQ(ts.nanos(), 999'999'000);
}

TEST(TimestampTest, ValidOnlyWithinTheRangeTimestampAllows) {
  google::protobuf::Timestamp ts;
  EXPECT_TRUE(IsValidTimestamp(ts));
  ts.set_seconds(kMinTimestampSeconds);
  EXPECT_TRUE(IsValidTimestamp(ts));
  ts.set_seconds(kMinTimestampSeconds - 1);
  EXPECT_FALSE(IsValidTimestamp(ts));
  ts.set_seconds(kMaxTimestampSeconds);
  ts.set_nanos(999'999'999);
  EXPECT_TRUE(IsValidTimestamp(ts));
  ts.set_seconds(kMaxTimestampSeconds + 1);
  ts.set_nanos(0);
  EXPECT_FALSE(IsValidTimestamp(ts));
  ts.set_seconds(0);
  ts.set_nanos(-1);
  EXPECT_FALSE(IsValidTimestamp(ts));
  ts.set_nanos(1'000'000'000);
  EXPECT_FALSE(IsValidTimestamp(ts));
  // The bounds are 0001-01-01 and 9999-12-31 as civil times.
  EXPECT_EQ(FromTimestamp(google::protobuf::Timestamp()), absl::UnixEpoch());
  google::protobuf::Timestamp first;
  first.set_seconds(kMinTimestampSeconds);
  EXPECT_EQ(absl::ToCivilSecond(FromTimestamp(first), absl::UTCTimeZone()),
            absl::CivilSecond(1, 1, 1, 0, 0, 0));
  google::protobuf::Timestamp last;
  last.set_seconds(kMaxTimestampSeconds);
  EXPECT_EQ(absl::ToCivilSecond(FromTimestamp(last), absl::UTCTimeZone()),
            absl::CivilSecond(9999, 12, 31, 23, 59, 59));
}

}  // namespace
}  // namespace lianfang::time
