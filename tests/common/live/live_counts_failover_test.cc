// Live counts through Redis Sentinel, over real processes (a master, its replica, one
// redis-sentinel) and a real SQLite file: after the Sentinel promotes the replica, which may
// lack the last writes, the counts equal the SQL truth again, as after a flush.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/live/live_counts.h"
#include "common/redis/keys.h"
#include "common/status/status_matchers.h"
#include "common/testing/poll.h"
#include "common/testing/redis_server.h"
#include "common/testing/temp_dir.h"
#include "common/testing/test_database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/live/visits.h"

namespace lianfang::live {
namespace {

using ::lianfang::testing::PollUntil;
using ::lianfang::testing::RedisCommandForTest;
using ::lianfang::testing::SentinelGroup;

constexpr absl::Duration kBound = absl::Seconds(60);

redis::Client::Options Relaxed() {
  redis::Client::Options options;
  options.connect_timeout = absl::Seconds(5);
  options.command_timeout = absl::Seconds(5);
  options.reconnect_backoff = absl::Milliseconds(50);
  return options;
}

class LiveCountsFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(group_, SentinelGroup::Launch());
    auto db = testing::OpenVisits(lianfang::testing::TestDatabaseUrl(dir_, "live.db"));
    ASSERT_OK(db);
    db_ = *std::move(db);
    ASSERT_OK_AND_ASSIGN(redis_, redis::Client::FromUrl(group_->url(), Relaxed()));
    ASSERT_OK_AND_ASSIGN(reader_, redis::Client::FromUrl(group_->url(), Relaxed()));
    Options options;
    // No heartbeat and no periodic reconcile during the test (only at start): a failover that
    // no call of the live counts saw fail must be noticed through the client's master changes.
    options.health_interval = absl::Hours(1);
    options.reconcile_interval = absl::Hours(1);
    counts_ = std::make_unique<LiveCounts>(
        "gate", std::vector<std::string>{"campus", "village"}, redis_.get(), db_.get(), &clock_,
        absl::UTCTimeZone(),
        testing::VisitsSnapshot,
        options);
    counts_->Start();
  }

  absl::CivilDay Today() const { return time::DayOf(clock_.Now(), absl::UTCTimeZone()); }

  // Records a visit as a service does, plus a row only a reconcile counts (visits.h).
  void Visit(const std::string& site) {
    ASSERT_OK(testing::Visit(*db_, *counts_, Today(), site, kBound));
  }

  // A figure as the dashboard reads it (through the Sentinel); -1 when unreadable.
  int64_t Field(const std::string& site, bool live, const std::string& field) {
    return testing::GateField(*reader_, site, Today(), live, field);
  }

  bool MatchesSql(int64_t campus, int64_t village) {
    return testing::MatchesSql(*reader_, Today(), campus, village);
  }

  std::unique_ptr<SentinelGroup> group_;
  lianfang::testing::TempDir dir_;
  time::FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<redis::Client> redis_;
  std::unique_ptr<redis::Client> reader_;
  std::unique_ptr<LiveCounts> counts_;
};

TEST_F(LiveCountsFailoverTest, CountsEqualSqlAgainAfterTheReplicaIsPromoted) {
  Visit("campus");
  Visit("village");
  ASSERT_OK(counts_->ReconcileAndWait(kBound));
  ASSERT_TRUE(MatchesSql(2, 2));
  ASSERT_OK(group_->AwaitReplication(kBound));
  const int64_t reconciles_before = counts_->reconciles();

  ASSERT_OK(group_->KillMasterAndAwaitFailover(kBound));
  // The promoted replica missed the old master's last write (it was not replicated in time).
  ASSERT_OK_AND_ASSIGN(std::string live_key, redis::LiveKey("gate", "village"));
  ASSERT_OK_AND_ASSIGN(std::string day_key, redis::DayKey("gate", "village", Today()));
  const int replica = group_->replica().port();
  ASSERT_OK(RedisCommandForTest(replica, {"HINCRBY", live_key, "onsite", "-1"}).status());
  ASSERT_OK(RedisCommandForTest(replica, {"HINCRBY", day_key, "entries", "-1"}).status());

  // The next update reaches the new master without a failed call; the live counts see that
  // the master changed and rewrite every count from SQL.
  Visit("campus");
  EXPECT_TRUE(PollUntil([&] { return MatchesSql(4, 2); }, kBound))
      << "campus onsite " << Field("campus", true, "onsite") << ", village onsite "
      << Field("village", true, "onsite") << ", reconciles " << counts_->reconciles();
  EXPECT_EQ(redis_->master_changes(), 1u);
  EXPECT_GT(counts_->reconciles(), reconciles_before);
  EXPECT_TRUE(counts_->redis_up());
}

}  // namespace
}  // namespace lianfang::live
