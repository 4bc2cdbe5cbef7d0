#include "common/time/clock.h"

#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::time {
namespace {

using ::lianfang::testing::StatusIs;

TEST(ClockTest, FakeClockMovesOnlyWhenTold) {
  FakeClock clock(absl::FromUnixSeconds(1'000'000));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(1'000'000));
  clock.Advance(absl::Minutes(5));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(1'000'300));
  clock.Set(absl::FromUnixSeconds(5));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(5));
}

TEST(ClockTest, TodayFollowsTheDeploymentTimeZone) {
  ASSERT_OK_AND_ASSIGN(absl::TimeZone shanghai, LoadTimeZone("Asia/Shanghai"));
  ASSERT_OK_AND_ASSIGN(absl::TimeZone utc, LoadTimeZone("UTC"));
  // 2026-11-28 17:30 UTC is already 01:30 on the 29th in Shanghai.
  const absl::Time t = absl::FromCivil(absl::CivilSecond(2026, 11, 28, 17, 30, 0), utc);
  EXPECT_EQ(DateOf(t, shanghai), "2026-11-29");
  EXPECT_EQ(DateOf(t, utc), "2026-11-28");
  EXPECT_EQ(StartOfDay(absl::CivilDay(2026, 11, 29), shanghai),
            absl::FromCivil(absl::CivilSecond(2026, 11, 28, 16, 0, 0), utc));
  EXPECT_EQ(EndOfDay(absl::CivilDay(2026, 11, 29), shanghai) -
                StartOfDay(absl::CivilDay(2026, 11, 29), shanghai),
            absl::Hours(24));
}

TEST(ClockTest, UnknownTimeZoneIsRejected) {
  EXPECT_THAT(LoadTimeZone("Mars/Olympus"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LoadTimeZone(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ClockTest, ParseDateAcceptsRealDatesOnly) {
  ASSERT_OK_AND_ASSIGN(absl::CivilDay d, ParseDate("2024-02-29"));
  EXPECT_EQ(d, absl::CivilDay(2024, 2, 29));
  EXPECT_EQ(FormatDate(d), "2024-02-29");
  for (const char* bad : {"2023-02-29", "2026-13-01", "2026-1-01", "20261101", "2026/11/01",
                          "", "abcd-ef-gh", "2026-11-01T00:00", " 2026-11-01"}) {
    EXPECT_THAT(ParseDate(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

}  // namespace
}  // namespace lianfang::time
