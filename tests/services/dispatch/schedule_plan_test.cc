// Times of day and which slots of a schedule are due when.
#include "services/dispatch/schedule_plan.h"

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/status/status_matchers.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::dispatch {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

absl::TimeZone Shanghai() { return *time::LoadTimeZone("Asia/Shanghai"); }

absl::Time At(int day, int hour, int minute) {
  return absl::FromCivil(absl::CivilMinute(2026, 3, day, hour, minute), Shanghai());
}

SchedulePlan Plan(absl::Time active_since) {
  return SchedulePlan{.schedule_id = "schedule-1",
                      .areas = {"办公楼", "食堂"},
                      .times_of_day = {"08:00", "14:00"},
                      .duration = absl::Minutes(90),
                      .active_since = active_since};
}

std::vector<std::string> Keys(const std::vector<Slot>& slots) {
  std::vector<std::string> keys;
  for (const Slot& s : slots) keys.push_back(s.date + " " + s.time + " " + s.area);
  return keys;
}

TEST(TimeOfDayTest, AcceptsStrictHourAndMinute) {
  ASSERT_OK_AND_ASSIGN(TimeOfDay t, ParseTimeOfDay("08:05"));
  EXPECT_EQ(t.hour, 8);
  EXPECT_EQ(t.minute, 5);
  EXPECT_EQ(t.ToString(), "08:05");
  ASSERT_OK_AND_ASSIGN(TimeOfDay last, ParseTimeOfDay("23:59"));
  EXPECT_EQ(last.ToString(), "23:59");
}

TEST(TimeOfDayTest, RejectsAnythingThatIsNotHHMM) {
  for (const char* bad : {"", "8:00", "08:0", "0800", "24:00", "08:60", "ab:cd", "08:00 ", "08-00",
                          "+8:00", "08:00:00"}) {
    EXPECT_THAT(ParseTimeOfDay(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(DueSlotsTest, NothingIsDueBeforeTheLeadTime) {
  EXPECT_THAT(DueSlots(Plan(At(1, 0, 0)), At(2, 7, 29), Shanghai(), absl::Minutes(30)), IsEmpty());
}

TEST(DueSlotsTest, TheMorningRoundIsDueOneLeadBeforeItsTimeForEveryArea) {
  const std::vector<Slot> slots =
      DueSlots(Plan(At(1, 0, 0)), At(2, 7, 30), Shanghai(), absl::Minutes(30));
  EXPECT_THAT(Keys(slots), ElementsAre("2026-03-02 08:00 办公楼", "2026-03-02 08:00 食堂"));
  EXPECT_EQ(slots[0].start, At(2, 8, 0));
  EXPECT_EQ(slots[0].due, At(2, 9, 30));
}

TEST(DueSlotsTest, WithoutLeadASlotIsDueAtItsTime) {
  EXPECT_THAT(DueSlots(Plan(At(1, 0, 0)), At(2, 7, 59), Shanghai(), absl::ZeroDuration()),
              IsEmpty());
  EXPECT_THAT(DueSlots(Plan(At(1, 0, 0)), At(2, 8, 0), Shanghai(), absl::ZeroDuration()).size(),
              2u);
}

TEST(DueSlotsTest, MissedSlotsOfTodayAreStillDueButNotYesterdays) {
  // At 23:00 both rounds of today are due (late); yesterday's are not repeated.
  EXPECT_THAT(Keys(DueSlots(Plan(At(1, 0, 0)), At(2, 23, 0), Shanghai(), absl::Minutes(30))),
              ElementsAre("2026-03-02 08:00 办公楼", "2026-03-02 08:00 食堂",
                          "2026-03-02 14:00 办公楼", "2026-03-02 14:00 食堂"));
}

TEST(DueSlotsTest, SlotsBeforeTheScheduleBecameActiveAreNotDue) {
  // Created at 09:00: the day starts with the afternoon round.
  EXPECT_THAT(Keys(DueSlots(Plan(At(2, 9, 0)), At(2, 23, 0), Shanghai(), absl::Minutes(30))),
              ElementsAre("2026-03-02 14:00 办公楼", "2026-03-02 14:00 食堂"));
}

TEST(DueSlotsTest, ALeadTimeReachesIntoTomorrowsEarlySlots) {
  SchedulePlan plan = Plan(At(1, 0, 0));
  plan.times_of_day = {"00:10"};
  plan.areas = {"宿舍"};
  EXPECT_THAT(Keys(DueSlots(plan, At(2, 23, 45), Shanghai(), absl::Minutes(30))),
              ElementsAre("2026-03-02 00:10 宿舍", "2026-03-03 00:10 宿舍"));
}

}  // namespace
}  // namespace lianfang::dispatch
