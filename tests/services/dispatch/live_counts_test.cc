// The dispatch live counts in Redis equal the SQL truth: after increments, after FLUSHALL,
// after Redis dies and returns, and as the clock makes tasks overdue.
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/redis/client.h"
#include "common/redis/keys.h"
#include "common/testing/poll.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/dispatch/dispatch_fixture.h"

namespace lianfang::dispatch::testing {
namespace {

using ::lianfang::testing::PollUntil;
using Fields = std::map<std::string, int64_t>;

class LiveCountsTest : public DispatchTest {
 protected:
  // What SQL says, through the service's own figures: site -> "live field"/"day field" -> n.
  std::map<std::string, Fields> Truth() {
    std::map<std::string, Fields> out;
    absl::StatusOr<v1::GetTaskSummaryResponse> summary =
        Call(&Stub::GetTaskSummary, Admin(), v1::GetTaskSummaryRequest());
    EXPECT_TRUE(summary.ok()) << summary.status();
    if (!summary.ok()) return out;
    for (const v1::TaskSummary& s : summary->sites()) {
      Fields& f = out[s.site_id()];
      f[redis::kFieldTasksOpen] = s.tasks_open();
      f[redis::kFieldTasksInProgress] = s.tasks_in_progress();
      f[redis::kFieldTasksOverdue] = s.tasks_overdue();
      f[redis::kFieldVolunteersOnDuty] = s.volunteers_on_duty();
      f[redis::kFieldVolunteersOverworked] = s.volunteers_overworked();
    }
    v1::GetDailyStatsRequest req;
    req.set_date(time::DateOf(clock_.Now(), TestZone()));
    absl::StatusOr<v1::GetDailyStatsResponse> stats = Call(&Stub::GetDailyStats, Admin(), req);
    EXPECT_TRUE(stats.ok()) << stats.status();
    if (!stats.ok()) return out;
    for (const v1::DailyStats& s : stats->stats()) {
      Fields& f = out[s.site_id()];
      f[absl::StrCat("day ", redis::kFieldTasksCreated)] = s.tasks_created();
      f[absl::StrCat("day ", redis::kFieldTasksDone)] = s.tasks_done();
      f[absl::StrCat("day ", redis::kFieldDisinfectionPlanned)] = s.disinfection_planned();
      f[absl::StrCat("day ", redis::kFieldDisinfectionDone)] = s.disinfection_done();
    }
    return out;
  }

  // What Redis holds, in the same shape (a missing hash or field reads as absent).
  std::map<std::string, Fields> InRedis() {
    std::map<std::string, Fields> out;
    redis::Client client(*redis::ParseUrl(redis_url()));
    for (const std::string& site : dispatch_->sites().ids()) {
      Fields& f = out[site];
      absl::StatusOr<std::map<std::string, std::string>> live =
          client.HGetAll(*redis::LiveKey(redis::kDispatch, site));
      if (live.ok()) {
        for (const auto& [k, v] : *live) f[k] = std::stoll(v);
      }
      absl::StatusOr<std::map<std::string, std::string>> day = client.HGetAll(
          *redis::DayKey(redis::kDispatch, site, time::DayOf(clock_.Now(), TestZone())));
      if (day.ok()) {
        for (const auto& [k, v] : *day) f[absl::StrCat("day ", k)] = std::stoll(v);
      }
    }
    return out;
  }

  // Polls (bounded) until Redis equals SQL; on failure reports both.
  void ExpectRedisEqualsSql(const std::string& when) {
    std::map<std::string, Fields> truth;
    std::map<std::string, Fields> redis;
    const bool equal = PollUntil(
        [&] {
          truth = Truth();
          redis = InRedis();
          return truth == redis;
        },
        absl::Seconds(20));
    EXPECT_TRUE(equal) << when << "\nSQL:   " << Dump(truth) << "\nRedis: " << Dump(redis);
  }

  static std::string Dump(const std::map<std::string, Fields>& m) {
    std::string out;
    for (const auto& [site, fields] : m) {
      absl::StrAppend(&out, site, "{");
      for (const auto& [k, v] : fields) absl::StrAppend(&out, k, "=", v, " ");
      absl::StrAppend(&out, "} ");
    }
    return out;
  }

  // A day of work: every task state, disinfection, volunteers on and off duty.
  void MakeADayOfWork() {
    ASSERT_OK_AND_ASSIGN(v1::Team campus, CreateTeam("校园突击队", {"campus"}));
    ASSERT_OK_AND_ASSIGN(v1::Team joint, CreateTeam("联合突击队", {"village", "community"}));
    ASSERT_OK(Enroll(campus.team_id(), "vol-a").status());
    ASSERT_OK(Enroll(campus.team_id(), "vol-b").status());
    ASSERT_OK(Enroll(joint.team_id(), "vol-c").status());
    ASSERT_OK(SetOnDuty("vol-a", true));
    ASSERT_OK(SetOnDuty("vol-c", true));
    ASSERT_OK(SetOnDuty("vol-b", true));
    ASSERT_OK(SetOnDuty("vol-b", false));

    ASSERT_OK(CreateTask(TaskRequest("campus", campus.team_id())).status());  // open
    ASSERT_OK_AND_ASSIGN(v1::Task assigned, CreateTask(TaskRequest("campus", campus.team_id())));
    ASSERT_OK(Claim("vol-a", assigned.task_id()).status());
    ASSERT_OK_AND_ASSIGN(v1::Task started, CreateTask(TaskRequest("campus", campus.team_id())));
    ASSERT_OK(Claim("vol-b", started.task_id()).status());
    ASSERT_OK(StartTask("vol-b", started.task_id()).status());
    ASSERT_OK_AND_ASSIGN(v1::Task cancelled, CreateTask(TaskRequest("campus", campus.team_id())));
    ASSERT_OK(Cancel(cancelled.task_id()).status());

    v1::CreateTaskRequest disinfect = TaskRequest("campus", campus.team_id());
    disinfect.mutable_task()->set_kind(v1::TASK_KIND_DISINFECTION);
    *disinfect.mutable_task()->mutable_due_at() = time::ToTimestamp(clock_.Now() + absl::Hours(2));
    ASSERT_OK_AND_ASSIGN(v1::Task d1, CreateTask(disinfect));
    ASSERT_OK(Claim("vol-a", d1.task_id()).status());
    ASSERT_OK(StartTask("vol-a", d1.task_id()).status());
    ASSERT_OK(Complete(Vol("vol-a"), d1.task_id()).status());
    disinfect.set_request_id(NextRequestId());
    *disinfect.mutable_task()->mutable_due_at() = time::ToTimestamp(clock_.Now() + absl::Hours(1));
    ASSERT_OK(CreateTask(disinfect).status());  // open, overdue in an hour
    disinfect.set_request_id(NextRequestId());
    *disinfect.mutable_task()->mutable_due_at() = time::ToTimestamp(clock_.Now() + absl::Hours(30));
    ASSERT_OK(CreateTask(disinfect).status());  // due tomorrow: not planned today

    v1::CreateTaskRequest village = TaskRequest("village", joint.team_id());
    *village.mutable_task()->mutable_due_at() = time::ToTimestamp(clock_.Now() + absl::Minutes(30));
    ASSERT_OK(CreateTask(village).status());
    ASSERT_OK(Call(&Stub::CreateTask, Token(Role::kService, "survey"), TaskRequest("community"))
                  .status());
  }
};

TEST_F(LiveCountsTest, IncrementsKeepRedisEqualToSql) {
  MakeADayOfWork();
  ExpectRedisEqualsSql("after the increments");
  const std::map<std::string, Fields> truth = Truth();
  EXPECT_EQ(truth.at("campus").at(redis::kFieldTasksOpen), 3);
  EXPECT_EQ(truth.at("campus").at(redis::kFieldTasksInProgress), 1);
  EXPECT_EQ(truth.at("campus").at(absl::StrCat("day ", redis::kFieldDisinfectionPlanned)), 2);
  EXPECT_EQ(truth.at("village").at(redis::kFieldVolunteersOnDuty), 1);
  EXPECT_EQ(truth.at("community").at(redis::kFieldVolunteersOnDuty), 1);
}

TEST_F(LiveCountsTest, CountsAfterFlushAllAreRebuiltEqualToSql) {
  MakeADayOfWork();
  ExpectRedisEqualsSql("before the flush");
  ASSERT_OK(redis_server().Flush());
  ExpectRedisEqualsSql("after FLUSHALL");
}

TEST_F(LiveCountsTest, OverdueCountsFollowTheClockAtTheNextReconcile) {
  MakeADayOfWork();
  ExpectRedisEqualsSql("before the clock moves");
  clock_.Advance(absl::Hours(2));
  const std::map<std::string, Fields> truth = Truth();
  EXPECT_EQ(truth.at("campus").at(redis::kFieldTasksOverdue), 1);
  EXPECT_EQ(truth.at("village").at(redis::kFieldTasksOverdue), 1);
  dispatch_->counts()->RequestReconcile();  // what the periodic reconcile does every 30 s
  ExpectRedisEqualsSql("after the clock moved");
}

TEST_F(LiveCountsTest, OverworkedVolunteersFollowTheClockAtTheNextReconcile) {
  MakeADayOfWork();
  ExpectRedisEqualsSql("before the clock moves");
  // vol-a has been on duty since 09:00: at 19:01 it is past LF_MAX_DUTY_HOURS (10).
  clock_.Set(March(2, 19, 1));
  EXPECT_EQ(Truth().at("campus").at(redis::kFieldVolunteersOverworked), 1);
  dispatch_->counts()->RequestReconcile();
  ExpectRedisEqualsSql("after the clock moved");
}

TEST_F(LiveCountsTest, WritesSucceedWhileRedisIsDownAndCountsHealWhenItReturns) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ExpectRedisEqualsSql("at the start");
  ASSERT_OK(redis_server().Kill());
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(CreateTask(TaskRequest("campus", team.team_id())).status());
  }
  ASSERT_OK(redis_server().Start());
  ExpectRedisEqualsSql("after Redis returned");
  EXPECT_EQ(Truth().at("campus").at(redis::kFieldTasksOpen), 5);
}

}  // namespace
}  // namespace lianfang::dispatch::testing
