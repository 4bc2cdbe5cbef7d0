// The Redis side of live counts with several writers, against a real redis-server: which
// increments a rebuild already counted, which it must carry over, and which rebuild wins.
// Snapshots are written as pg_current_snapshot() prints them ("xmin:xmax:in-progress,...").
#include "common/live/versioned_counts.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "common/redis/keys.h"
#include "common/status/status_matchers.h"
#include "common/testing/with_redis.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::live {
namespace {

using ::lianfang::testing::IsOk;
using ::lianfang::testing::IsOkAndHolds;
using ::lianfang::testing::StatusIs;

constexpr char kLive[] = "lf:{campus}:gate:live";
constexpr char kDay[] = "lf:{campus}:gate:day:2027-01-05";
constexpr char kOtherDay[] = "lf:{campus}:gate:day:2027-01-04";

class VersionedCountsTest : public lianfang::testing::WithRedis {
 protected:
  void SetUp() override {
    WithRedis::SetUp();
    auto redis = redis::Client::FromUrl(redis_url());
    ASSERT_OK(redis);
    redis_ = *std::move(redis);
    auto counts = VersionedCounts::Create(redis::kGate, redis_.get());
    ASSERT_OK(counts);
    counts_ = std::make_unique<VersionedCounts>(*std::move(counts));
  }

  // One committed transaction's "+by onsite" (and "+by entries" today).
  VersionedCounts::Commit Entry(int64_t xid, int64_t by = 1) {
    return {xid, {{kLive, "onsite", by}, {kDay, "entries", by, absl::Hours(24)}}};
  }

  // A rebuild with `onsite` people inside and `entries` today.
  absl::StatusOr<bool> Rebuild(absl::string_view snapshot, int64_t onsite, int64_t entries) {
    return counts_->Install(snapshot, {{kLive, {{"onsite", onsite}}, absl::ZeroDuration()},
                                       {kDay, {{"entries", entries}}, absl::Hours(24)}});
  }

  int64_t Field(const std::string& key, const std::string& field) {
    auto value = redis_->HGet(key, field);
    if (!value.ok()) return -1000;
    int64_t n = 0;
    if (!value->has_value() || !absl::SimpleAtoi(**value, &n)) return -2000;
    return n;
  }

  std::unique_ptr<redis::Client> redis_;
  std::unique_ptr<VersionedCounts> counts_;
};

TEST_F(VersionedCountsTest, AnIncrementTheInstalledRebuildContainsIsNotCountedTwice) {
  // Transactions below 100 committed, 100 still running when the rebuild read its snapshot.
  ASSERT_THAT(Rebuild("100:102:100", 5, 5), IsOkAndHolds(true));
  // 99 (committed before) and 101 (committed, not running) are in it; 100 and 102 are not.
  EXPECT_THAT(counts_->Apply({Entry(99), Entry(101)}), IsOkAndHolds(0));
  EXPECT_EQ(Field(kLive, "onsite"), 5);
  EXPECT_THAT(counts_->Apply({Entry(100), Entry(102)}), IsOkAndHolds(2));
  EXPECT_EQ(Field(kLive, "onsite"), 7);
  EXPECT_EQ(Field(kDay, "entries"), 7);
}

TEST_F(VersionedCountsTest, ARebuildCarriesOverTheIncrementsItsSnapshotDoesNotContain) {
  ASSERT_THAT(Rebuild("10:10:", 0, 0), IsOkAndHolds(true));
  // Another replica's commits 20 and 21 reach Redis before a rebuild read before 21 committed
  // (its snapshot sees 20 only) arrives.
  ASSERT_THAT(counts_->Apply({Entry(20), Entry(21, 2)}), IsOkAndHolds(2));
  EXPECT_EQ(Field(kLive, "onsite"), 3);
  ASSERT_THAT(Rebuild("21:22:21", 1, 1), IsOkAndHolds(true));
  // The rebuild's 1 (commit 20) plus commit 21's 2, which it did not see.
  EXPECT_EQ(Field(kLive, "onsite"), 3);
  EXPECT_EQ(Field(kDay, "entries"), 3);
  // Later increments still count once.
  EXPECT_THAT(counts_->Apply({Entry(23)}), IsOkAndHolds(1));
  EXPECT_EQ(Field(kLive, "onsite"), 4);
}

TEST_F(VersionedCountsTest, ARebuildReadBeforeTheInstalledOneIsRefused) {
  ASSERT_THAT(Rebuild("30:31:30", 7, 7), IsOkAndHolds(true));
  // Read earlier: its snapshot does not see 25, which the installed one does.
  EXPECT_THAT(Rebuild("25:30:25", 6, 6), IsOkAndHolds(false));
  // Same horizon, but 30 was still running for the installed one and is not for this one:
  // this one sees more and wins.
  EXPECT_EQ(Field(kLive, "onsite"), 7);
  EXPECT_THAT(Rebuild("31:31:", 8, 8), IsOkAndHolds(true));
  EXPECT_EQ(Field(kLive, "onsite"), 8);
  // And the one it replaced cannot come back.
  EXPECT_THAT(Rebuild("30:31:30", 7, 7), IsOkAndHolds(false));
  EXPECT_EQ(Field(kLive, "onsite"), 8);
}

TEST_F(VersionedCountsTest, WithoutAnyRebuildIncrementsApplyAndTheFirstRebuildSortsThemOut) {
  // Redis was flushed: no snapshot. Increments apply as they come...
  ASSERT_THAT(counts_->Apply({Entry(40), Entry(41)}), IsOkAndHolds(2));
  EXPECT_EQ(Field(kLive, "onsite"), 2);
  // ...and the first rebuild keeps only those it did not count (41).
  ASSERT_THAT(Rebuild("41:42:41", 10, 10), IsOkAndHolds(true));
  EXPECT_EQ(Field(kLive, "onsite"), 11);
}

TEST_F(VersionedCountsTest, ARebuildLeavesOtherDaysAlone) {
  ASSERT_THAT(Rebuild("50:50:", 0, 0), IsOkAndHolds(true));
  // Yesterday's counter incremented after the snapshot: today's rebuild does not replace
  // yesterday's hash, so it must not add the increment to it again.
  ASSERT_THAT(counts_->Apply({{60, {{kOtherDay, "entries", 4, absl::Hours(24)}}}}),
              IsOkAndHolds(1));
  ASSERT_THAT(Rebuild("60:61:60", 0, 0), IsOkAndHolds(true));
  EXPECT_EQ(Field(kOtherDay, "entries"), 4);
}

TEST_F(VersionedCountsTest, TheLogKeepsOnlyWhatALaterRebuildMightNotContain) {
  ASSERT_THAT(Rebuild("70:70:", 0, 0), IsOkAndHolds(true));
  ASSERT_THAT(counts_->Apply({Entry(70), Entry(71), Entry(80)}), IsOkAndHolds(3));
  ASSERT_OK_AND_ASSIGN(std::string log_key, redis::DeltaLogKey(redis::kGate));
  EXPECT_THAT(redis_->Command({"ZCARD", log_key}), IsOkAndHolds(redis::Reply::Integer(3)));
  // Every later snapshot contains what is below 75.
  ASSERT_THAT(Rebuild("75:81:80", 2, 2), IsOkAndHolds(true));
  EXPECT_THAT(redis_->Command({"ZCARD", log_key}), IsOkAndHolds(redis::Reply::Integer(1)));
  EXPECT_EQ(Field(kLive, "onsite"), 3);
  // Day hashes of a rebuild expire; live hashes do not.
  EXPECT_THAT(redis_->Command({"PTTL", kDay}), IsOk());
  auto ttl = redis_->Command({"PTTL", kDay});
  ASSERT_OK(ttl);
  EXPECT_GT(ttl->integer(), 0);
  auto live_ttl = redis_->Command({"PTTL", kLive});
  ASSERT_OK(live_ttl);
  EXPECT_EQ(live_ttl->integer(), -1);
}

TEST_F(VersionedCountsTest, AMalformedSnapshotIsRefused) {
  for (const char* bad : {"", "1:2", "a:2:", "1:2:3,,4", "1:2:x", "1:2:3:4"}) {
    EXPECT_THAT(Rebuild(bad, 1, 1), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_TRUE(IsSnapshotText("745:750:745,748"));
  EXPECT_TRUE(IsSnapshotText("745:745:"));
}

}  // namespace
}  // namespace lianfang::live
