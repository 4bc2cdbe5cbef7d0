// The workload rules: time on duty, the overworked rule, auto-assignment's filter and the
// per-day record (workload.h).
#include "services/dispatch/workload.h"

#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/status/status_matchers.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::dispatch {
namespace {

using ::lianfang::testing::IsOk;
using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::TimeZone Shanghai() { return *time::LoadTimeZone("Asia/Shanghai"); }

absl::Time At(int day, int hour, int minute = 0) {
  return absl::FromCivil(absl::CivilMinute(2026, 3, day, hour, minute), Shanghai());
}

TEST(TimeOnDuty, ClipsPeriodsToTheRangeAndCountsAnOpenOneUpToItsEnd) {
  // Yesterday 22:00 to today 02:00, then today 08:00 onwards (still on duty).
  const std::vector<DutyPeriod> periods = {{At(1, 22), At(2, 2)}, {At(2, 8), std::nullopt}};
  EXPECT_EQ(TimeOnDuty(periods, At(2, 0), At(2, 9, 30)), absl::Minutes(120 + 90));
  EXPECT_EQ(TimeOnDutyToday(periods, At(2, 9, 30), Shanghai()), absl::Minutes(210));
  EXPECT_EQ(TimeOnDuty(periods, At(2, 3), At(2, 2)), absl::ZeroDuration());
}

TEST(Overworked, AtTheOpenTaskLimitOrBeyondTheDutyHours) {
  const WorkloadLimits limits{.max_open_tasks = 3, .max_duty = absl::Hours(10)};
  EXPECT_FALSE(Overworked(2, absl::Hours(10), limits));
  EXPECT_TRUE(Overworked(3, absl::ZeroDuration(), limits));
  EXPECT_TRUE(Overworked(0, absl::Hours(10) + absl::Minutes(1), limits));
}

TEST(Assignable, SkipsOverworkedCandidates) {
  const WorkloadLimits limits{.max_open_tasks = 3, .max_duty = absl::Hours(10)};
  const std::vector<Candidate> candidates = {
      {"volunteer-1", 1, 3}, {"volunteer-2", 2, 0}, {"volunteer-3", 3, 1}};
  absl::flat_hash_map<std::string, absl::Duration> today = {{"volunteer-2", absl::Hours(11)}};
  const std::vector<Candidate> fit = Assignable(candidates, today, limits);
  ASSERT_EQ(fit.size(), 1u);
  EXPECT_EQ(fit[0].volunteer_id, "volunteer-3");
  EXPECT_EQ(ChooseAssignee(fit), "volunteer-3");
  // Nobody fit: the task stays open.
  today["volunteer-3"] = absl::Hours(12);
  EXPECT_EQ(ChooseAssignee(Assignable(candidates, today, limits)), std::nullopt);
}

TEST(ValidateGetVolunteerRecord, NamesTheBadDate) {
  v1::GetVolunteerRecordRequest req;
  req.set_from_date("2026-03-01");
  req.set_to_date("2026-03-31");
  EXPECT_THAT(ValidateGetVolunteerRecord(req), IsOk());
  req.set_to_date("2027-03-02");  // 366 days after
  EXPECT_THAT(ValidateGetVolunteerRecord(req), IsOk());
  req.set_to_date("2027-03-03");
  EXPECT_THAT(ValidateGetVolunteerRecord(req),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("to_date")));
  req.set_to_date("2026-02-28");
  EXPECT_THAT(ValidateGetVolunteerRecord(req),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("to_date")));
  req.set_from_date("2026-3-1");
  EXPECT_THAT(ValidateGetVolunteerRecord(req),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("from_date")));
}

TEST(FillRecord, SplitsDutyAtMidnightAndCountsTasksPerDay) {
  const std::vector<DutyPeriod> periods = {{At(1, 20), At(2, 1)}, {At(3, 8), std::nullopt}};
  const std::vector<absl::Time> done = {At(1, 21), At(2, 0, 30), At(3, 9)};
  v1::VolunteerRecord record;
  FillRecord(periods, done, absl::CivilDay(2026, 3, 1), absl::CivilDay(2026, 3, 4), Shanghai(),
             /*now=*/At(3, 10), &record);
  EXPECT_EQ(record.from_date(), "2026-03-01");
  EXPECT_EQ(record.to_date(), "2026-03-04");
  std::vector<std::tuple<std::string, int, int>> days;
  for (const v1::VolunteerDay& d : record.days()) {
    days.emplace_back(d.date(), d.minutes_on_duty(), d.tasks_done());
  }
  EXPECT_THAT(
      days,
      ElementsAre(std::make_tuple("2026-03-01", 240, 1), std::make_tuple("2026-03-02", 60, 1),
                  std::make_tuple("2026-03-03", 120, 1), std::make_tuple("2026-03-04", 0, 0)));
  EXPECT_EQ(record.minutes_on_duty(), 420);
  EXPECT_EQ(record.tasks_done(), 3);
}

}  // namespace
}  // namespace lianfang::dispatch
