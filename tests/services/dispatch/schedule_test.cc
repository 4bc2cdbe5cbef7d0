// Schedules over a simulated day: exactly one task per (date, time of day, area), across a
// restart on the same database file and with two instances ticking on one database.
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/time/time.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/dispatch/dispatch_fixture.h"

namespace lianfang::dispatch::testing {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::SizeIs;

const std::vector<std::string> kAreas = {"办公楼",       "宿舍",       "食堂",
                                         "电梯和楼梯间", "垃圾收集点", "公共厕所"};

class ScheduleTest : public DispatchTest {
 protected:
  void SetUp() override {
    clock_.Set(March(2, 0, 0));  // midnight: the whole day ahead
    DispatchTest::SetUp();
  }

  absl::StatusOr<v1::Schedule> CreateDisinfectionSchedule(const std::string& team_id,
                                                          std::vector<std::string> times = {}) {
    v1::CreateScheduleRequest req;
    req.set_request_id(NextRequestId());
    req.set_kind(v1::TASK_KIND_DISINFECTION);
    req.set_site_id("campus");
    for (const std::string& a : kAreas) req.add_areas(a);
    for (const std::string& t : times) req.add_times_of_day(t);
    req.set_team_id(team_id);
    req.set_duration_minutes(90);
    return Call(&Stub::CreateSchedule, Leader(), req);
  }

  // The scheduled tasks, keyed by (location, title) -> how many.
  std::map<std::pair<std::string, std::string>, int> SlotCounts(DispatchHarness* on = nullptr) {
    v1::ListTasksRequest req;
    req.set_kind(v1::TASK_KIND_DISINFECTION);
    std::map<std::pair<std::string, std::string>, int> counts;
    for (const v1::Task& t : AllTasks(req, on)) ++counts[{t.location(), t.title()}];
    return counts;
  }
};

TEST_F(ScheduleTest, ADayOfTicksWithARestartCreatesExactlyOneTaskPerSlot) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK_AND_ASSIGN(v1::Schedule schedule, CreateDisinfectionSchedule(team.team_id()));
  EXPECT_THAT(schedule.times_of_day(), ElementsAre("08:00", "14:00")) << "morning and afternoon";
  EXPECT_FALSE(schedule.paused());

  int created = 0;
  const absl::Time end = March(3, 0, 0);
  while (clock_.Now() <= end) {
    if (clock_.Now() == March(2, 12, 0)) {
      // A restart: a new instance on the same database file.
      dispatch_.reset();
      ASSERT_OK_AND_ASSIGN(dispatch_, StartHarness());
    }
    ASSERT_OK_AND_ASSIGN(int n, dispatch_->scheduler().Tick(clock_.Now()));
    created += n;
    if (clock_.Now() == March(2, 7, 30)) {
      EXPECT_EQ(n, 6) << "the morning round, 30 min ahead";
    }
    clock_.Advance(absl::Minutes(10));
  }
  EXPECT_EQ(created, 12);

  const auto counts = SlotCounts();
  ASSERT_THAT(counts, SizeIs(12));
  for (const auto& [slot, n] : counts) EXPECT_EQ(n, 1) << slot.first << " " << slot.second;
  v1::ListTasksRequest req;
  req.set_kind(v1::TASK_KIND_DISINFECTION);
  for (const v1::Task& t : AllTasks(req)) {
    EXPECT_EQ(t.schedule_id(), schedule.schedule_id());
    EXPECT_EQ(t.team_id(), team.team_id());
    EXPECT_EQ(t.status(), v1::TASK_STATUS_OPEN);
    const absl::Time due = time::FromTimestamp(t.due_at());
    EXPECT_TRUE(due == March(2, 9, 30) || due == March(2, 15, 30)) << t.title();
  }

  v1::GetDailyStatsRequest stats_req;
  stats_req.set_date("2026-03-02");
  stats_req.set_site_id("campus");
  ASSERT_OK_AND_ASSIGN(v1::GetDailyStatsResponse stats,
                       Call(&Stub::GetDailyStats, Admin(), stats_req));
  EXPECT_EQ(stats.stats(0).disinfection_planned(), 12);
  EXPECT_EQ(stats.stats(0).tasks_overdue(), 12) << "nobody did them";
}

TEST_F(ScheduleTest, TwoInstancesTickingOnOneDatabaseNeverDuplicate) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK(CreateDisinfectionSchedule(team.team_id(), {"07:00", "12:30", "18:45"}).status());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<DispatchHarness> second, StartHarness());

  int created = 0;
  while (clock_.Now() <= March(3, 0, 0)) {
    const absl::Time now = clock_.Now();
    absl::StatusOr<int> a, b;
    std::thread ta([&] { a = dispatch_->scheduler().Tick(now); });
    std::thread tb([&] { b = second->scheduler().Tick(now); });
    ta.join();
    tb.join();
    ASSERT_OK(a.status());
    ASSERT_OK(b.status());
    created += *a + *b;
    clock_.Advance(absl::Minutes(5));
  }
  EXPECT_EQ(created, 18);
  const auto counts = SlotCounts();
  ASSERT_THAT(counts, SizeIs(18));
  for (const auto& [slot, n] : counts) EXPECT_EQ(n, 1) << slot.first << " " << slot.second;
  EXPECT_THAT(SlotCounts(second.get()), SizeIs(18)) << "both instances see the same tasks";
}

TEST_F(ScheduleTest, RepeatedTicksAtTheSameMomentCreateNothingMore) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK(CreateDisinfectionSchedule(team.team_id()).status());
  clock_.Set(March(2, 8, 0));
  ASSERT_OK_AND_ASSIGN(int first, dispatch_->scheduler().Tick(clock_.Now()));
  EXPECT_EQ(first, 6);
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(int again, dispatch_->scheduler().Tick(clock_.Now()));
    EXPECT_EQ(again, 0);
  }
}

TEST_F(ScheduleTest, APausedScheduleCreatesNothingUntilResumed) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK_AND_ASSIGN(v1::Schedule schedule, CreateDisinfectionSchedule(team.team_id()));
  v1::PauseScheduleRequest pause;
  pause.set_request_id(NextRequestId());
  pause.set_schedule_id(schedule.schedule_id());
  pause.set_paused(true);
  ASSERT_OK_AND_ASSIGN(v1::PauseScheduleResponse paused,
                       Call(&Stub::PauseSchedule, Leader(), pause));
  EXPECT_TRUE(paused.schedule().paused());

  clock_.Set(March(2, 9, 0));
  ASSERT_OK_AND_ASSIGN(int none, dispatch_->scheduler().Tick(clock_.Now()));
  EXPECT_EQ(none, 0);

  pause.set_request_id(NextRequestId());
  pause.set_paused(false);
  ASSERT_OK_AND_ASSIGN(v1::PauseScheduleResponse resumed,
                       Call(&Stub::PauseSchedule, Leader(), pause));
  EXPECT_FALSE(resumed.schedule().paused());
  // The morning round passed while paused: it is not created late; the afternoon one is.
  ASSERT_OK_AND_ASSIGN(int morning, dispatch_->scheduler().Tick(clock_.Now()));
  EXPECT_EQ(morning, 0);
  clock_.Set(March(2, 13, 30));
  ASSERT_OK_AND_ASSIGN(int afternoon, dispatch_->scheduler().Tick(clock_.Now()));
  EXPECT_EQ(afternoon, 6);

  v1::ListSchedulesRequest list;
  ASSERT_OK_AND_ASSIGN(v1::ListSchedulesResponse schedules,
                       Call(&Stub::ListSchedules, Leader(), list));
  ASSERT_THAT(schedules.schedules(), SizeIs(1));
  EXPECT_EQ(schedules.schedules(0).areas_size(), 6);
  EXPECT_FALSE(schedules.schedules(0).paused());
}

TEST_F(ScheduleTest, AutoAssignedSchedulesSpreadTheRoundOverOnDutyVolunteers) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK_AND_ASSIGN(std::string a, Enroll(team.team_id(), "vol-a"));
  ASSERT_OK_AND_ASSIGN(std::string b, Enroll(team.team_id(), "vol-b"));
  ASSERT_OK(SetOnDuty("vol-a", true));
  ASSERT_OK(SetOnDuty("vol-b", true));
  v1::CreateScheduleRequest req;
  req.set_request_id(NextRequestId());
  req.set_kind(v1::TASK_KIND_DISINFECTION);
  req.set_site_id("campus");
  for (const std::string& area : kAreas) req.add_areas(area);
  req.add_times_of_day("08:00");
  req.set_team_id(team.team_id());
  req.set_duration_minutes(60);
  req.set_auto_assign(true);
  ASSERT_OK(Call(&Stub::CreateSchedule, Leader(), req).status());
  clock_.Set(March(2, 8, 0));
  ASSERT_OK_AND_ASSIGN(int n, dispatch_->scheduler().Tick(clock_.Now()));
  ASSERT_EQ(n, 6);
  std::map<std::string, int> per_volunteer;
  v1::ListTasksRequest list;
  for (const v1::Task& t : AllTasks(list)) {
    EXPECT_EQ(t.status(), v1::TASK_STATUS_ASSIGNED);
    ++per_volunteer[t.assignee_volunteer_id()];
  }
  EXPECT_EQ(per_volunteer[a], 3);
  EXPECT_EQ(per_volunteer[b], 3);
}

TEST_F(ScheduleTest, ASchedulesTeamMustWorkOnItsSite) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("驻村突击队", {"village"}));
  EXPECT_THAT(CreateDisinfectionSchedule(team.team_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace lianfang::dispatch::testing
