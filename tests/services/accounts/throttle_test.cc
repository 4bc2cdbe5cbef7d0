#include "services/accounts/throttle.h"

#include "absl/strings/str_cat.h"
#include "common/status/status_matchers.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::accounts {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::HasSubstr;

class ThrottleTest : public ::testing::Test {
 protected:
  time::FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  SignInThrottle throttle_{&clock_, {.account_free_failures = 5, .address_free_failures = 20}};
};

TEST_F(ThrottleTest, AnAccountWaitsAfterFiveFailuresWithAGrowingDelay) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_OK(throttle_.Check("a", "10.0.0.1"));
    throttle_.RecordFailure("a", "10.0.0.1");
  }
  EXPECT_THAT(throttle_.Check("a", "10.0.0.2"),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("try again in 1 s")));
  EXPECT_OK(throttle_.Check("b", "10.0.0.1"));  // other logins from that address are not
  clock_.Advance(absl::Seconds(1));
  EXPECT_OK(throttle_.Check("a", "10.0.0.1"));
  throttle_.RecordFailure("a", "10.0.0.1");
  EXPECT_THAT(throttle_.Check("a", ""), StatusIs(absl::StatusCode::kResourceExhausted,
                                                 HasSubstr("try again in 2 s")));
  for (int i = 0; i < 20; ++i) throttle_.RecordFailure("a", "");
  EXPECT_THAT(throttle_.Check("a", ""), StatusIs(absl::StatusCode::kResourceExhausted,
                                                 HasSubstr("try again in 900 s")));
}

TEST_F(ThrottleTest, ASuccessClearsTheAccountButNotTheAddress) {
  for (int i = 0; i < 20; ++i) throttle_.RecordFailure(absl::StrCat("user", i), "10.0.0.9");
  EXPECT_THAT(throttle_.Check("fresh", "10.0.0.9"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_OK(throttle_.Check("fresh", "10.0.0.10"));
  for (int i = 0; i < 5; ++i) throttle_.RecordFailure("c", "");
  throttle_.RecordSuccess("c");
  EXPECT_OK(throttle_.Check("c", ""));
  EXPECT_THAT(throttle_.Check("c", "10.0.0.9"), StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST_F(ThrottleTest, CountsAreForgottenAfterAnIdleHourAndTheMapIsBounded) {
  for (int i = 0; i < 5; ++i) throttle_.RecordFailure("d", "");
  clock_.Advance(absl::Hours(2));
  throttle_.RecordFailure("d", "");
  EXPECT_OK(throttle_.Check("d", ""));
  SignInThrottle small(&clock_, {.account_free_failures = 1, .max_keys = 3});
  small.RecordFailure("old", "");
  clock_.Advance(absl::Seconds(1));
  for (const char* login : {"x", "y", "z"}) small.RecordFailure(login, "");
  EXPECT_OK(small.Check("old", ""));  // dropped: the oldest entry went first
  EXPECT_THAT(small.Check("z", ""), StatusIs(absl::StatusCode::kResourceExhausted));
}

}  // namespace
}  // namespace lianfang::accounts
