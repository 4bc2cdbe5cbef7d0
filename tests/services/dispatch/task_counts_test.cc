// Live-count increments derived from task changes.
#include "services/dispatch/task_counts.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/redis/keys.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::dispatch {
namespace {

using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

absl::TimeZone Shanghai() { return *time::LoadTimeZone("Asia/Shanghai"); }

absl::Time At(int day, int hour) {
  return absl::FromCivil(absl::CivilHour(2026, 3, day, hour), Shanghai());
}

// "field" -> sum for live fields, "YYYY-MM-DD field" -> sum for day fields.
std::map<std::string, int64_t> Sum(const std::vector<SiteDelta>& deltas) {
  std::map<std::string, int64_t> out;
  for (const auto& [site, d] : deltas) {
    EXPECT_EQ(site, "campus");
    for (const auto& [field, n] : d.live) out[field] += n;
    for (const auto& [field, n] : d.today) out[time::FormatDate(d.day) + " " + field] += n;
  }
  return out;
}

TaskRow Disinfection(v1::TaskStatus status) {
  TaskRow t;
  t.task_id = "task-1";
  t.kind = v1::TASK_KIND_DISINFECTION;
  t.site_id = "campus";
  t.status = status;
  t.created_at = At(2, 7);
  t.due_at = At(3, 9);  // due tomorrow
  return t;
}

TEST(TaskDeltasTest, ANewTaskCountsAsCreatedTodayOpenAndPlannedOnItsDueDay) {
  const TaskRow t = Disinfection(v1::TASK_STATUS_OPEN);
  EXPECT_THAT(
      Sum(TaskDeltas(nullptr, t, At(2, 7), Shanghai())),
      UnorderedElementsAre(Pair(redis::kFieldTasksOpen, 1), Pair("2026-03-02 tasks_created", 1),
                           Pair("2026-03-03 disinfection_planned", 1)));
}

TEST(TaskDeltasTest, CompletingCountsDoneTodayAndDisinfectionDoneOnTheDueDay) {
  TaskRow before = Disinfection(v1::TASK_STATUS_IN_PROGRESS);
  TaskRow after = before;
  after.status = v1::TASK_STATUS_DONE;
  after.completed_at = At(2, 10);
  EXPECT_THAT(
      Sum(TaskDeltas(&before, after, At(2, 10), Shanghai())),
      UnorderedElementsAre(Pair(redis::kFieldTasksInProgress, -1), Pair("2026-03-02 tasks_done", 1),
                           Pair("2026-03-03 disinfection_done", 1)));
}

TEST(TaskDeltasTest, CancellingAnOverdueOpenTaskTakesItOutOfEveryCount) {
  TaskRow before = Disinfection(v1::TASK_STATUS_OPEN);
  before.due_at = At(2, 8);
  TaskRow after = before;
  after.status = v1::TASK_STATUS_CANCELLED;
  after.cancelled_at = At(2, 10);
  EXPECT_THAT(
      Sum(TaskDeltas(&before, after, At(2, 10), Shanghai())),
      UnorderedElementsAre(Pair(redis::kFieldTasksOpen, -1), Pair(redis::kFieldTasksOverdue, -1),
                           Pair("2026-03-02 disinfection_planned", -1)));
}

TEST(TaskDeltasTest, AssigningChangesOnlyTheOpenCount) {
  TaskRow before = Disinfection(v1::TASK_STATUS_OPEN);
  TaskRow after = before;
  after.status = v1::TASK_STATUS_ASSIGNED;
  after.assignee = "volunteer-1";
  EXPECT_THAT(Sum(TaskDeltas(&before, after, At(2, 8), Shanghai())),
              UnorderedElementsAre(Pair(redis::kFieldTasksOpen, -1)));
  // Reassigning changes nothing counted.
  TaskRow again = after;
  again.assignee = "volunteer-2";
  EXPECT_THAT(TaskDeltas(&after, again, At(2, 8), Shanghai()), IsEmpty());
}

TEST(DutyDeltasTest, GoingOnDutyCountsOnEverySiteOfTheTeam) {
  const std::vector<SiteDelta> deltas =
      DutyDeltas({"community", "village"}, 1, At(2, 8), Shanghai());
  ASSERT_EQ(deltas.size(), 2u);
  EXPECT_EQ(deltas[0].first, "community");
  EXPECT_EQ(deltas[1].first, "village");
  EXPECT_THAT(deltas[1].second.live, UnorderedElementsAre(Pair(redis::kFieldVolunteersOnDuty, 1)));
  EXPECT_THAT(DutyDeltas({"campus"}, 0, At(2, 8), Shanghai()), IsEmpty());
}

}  // namespace
}  // namespace lianfang::dispatch
