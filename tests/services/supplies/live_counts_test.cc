// The supplies live counts in Redis equal what the service answers from SQL: after the
// increments of receipts and issues, and after Redis was flushed.
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/redis/client.h"
#include "common/redis/keys.h"
#include "common/testing/poll.h"
#include "common/time/clock.h"
#include "tests/services/supplies/supplies_fixture.h"

namespace lianfang::supplies {
namespace {

using Figures = std::map<std::string, int64_t>;

class SuppliesLiveCountsTest : public SuppliesSuiteTest {
 protected:
  static absl::CivilDay Today() { return time::DayOf(absl::Now(), absl::FixedTimeZone(8 * 3600)); }

  // low_stock_items, stock_receipts and stock_issues of `site` in Redis (absent: missing).
  Figures InRedis(const std::string& site) {
    Figures out;
    redis::Client client(*redis::ParseUrl(suite_->redis_url()));
    absl::StatusOr<std::map<std::string, std::string>> live =
        client.HGetAll(*redis::LiveKey(redis::kSupplies, site));
    if (live.ok()) {
      for (const auto& [k, v] : *live) out[k] = std::stoll(v);
    }
    absl::StatusOr<std::map<std::string, std::string>> day =
        client.HGetAll(*redis::DayKey(redis::kSupplies, site, Today()));
    if (day.ok()) {
      for (const auto& [k, v] : *day) out[k] = std::stoll(v);
    }
    return out;
  }

  // The same figures as the service answers them from SQL.
  Figures Truth(const std::string& site) {
    v1::GetStockRequest stock;
    stock.set_site_id(site);
    stock.set_low_only(true);
    v1::GetDailyStatsRequest daily;
    daily.set_date(time::FormatDate(Today()));
    daily.set_site_id(site);
    absl::StatusOr<v1::GetStockResponse> low = Supplies(&Stub::GetStock, stock);
    absl::StatusOr<v1::GetDailyStatsResponse> day = Supplies(&Stub::GetDailyStats, daily);
    if (!low.ok() || !day.ok() || day->stats_size() != 1) return {};
    return {{redis::kFieldLowStockItems, low->balances_size()},
            {redis::kFieldStockReceipts, day->stats(0).receipts()},
            {redis::kFieldStockIssues, day->stats(0).issues()}};
  }

  void ExpectRedisEqualsSql(const std::string& site, const std::string& when) {
    Figures truth;
    Figures seen;
    const bool equal = testing::PollUntil(
        [&] {
          truth = Truth(site);
          seen = InRedis(site);
          return !truth.empty() && seen == truth;
        },
        absl::Seconds(20));
    EXPECT_TRUE(equal) << when << ": Redis low=" << seen[redis::kFieldLowStockItems]
                       << " receipts=" << seen[redis::kFieldStockReceipts]
                       << " issues=" << seen[redis::kFieldStockIssues]
                       << "; SQL low=" << truth[redis::kFieldLowStockItems]
                       << " receipts=" << truth[redis::kFieldStockReceipts]
                       << " issues=" << truth[redis::kFieldStockIssues];
  }
};

TEST_F(SuppliesLiveCountsTest, RedisHoldsTheLowItemsAndTodaysMovementsOfEachSite) {
  MakeItem("live-a", 10);
  MakeItem("live-b", 5);
  ExpectRedisEqualsSql("village", "after two items with a minimum");
  ASSERT_OK(Supplies(&Stub::ReceiveStock, Receipt("live-r1", "village", "live-a", 20)).status());
  ASSERT_OK(Supplies(&Stub::ReceiveStock, Receipt("live-r2", "village", "live-b", 3)).status());
  ExpectRedisEqualsSql("village", "after receipts");
  ASSERT_OK(Supplies(&Stub::IssueStock, Issue("live-i1", "village", "live-a", 15)).status());
  v1::TransferStockRequest transfer;
  transfer.set_request_id("live-t1");
  transfer.set_from_site_id("village");
  transfer.set_to_site_id("campus");
  transfer.set_item_code("live-a");
  transfer.set_quantity(1);
  ASSERT_OK(Supplies(&Stub::TransferStock, transfer).status());
  ExpectRedisEqualsSql("village", "after an issue and a transfer out");
  ExpectRedisEqualsSql("campus", "after a transfer in");

  redis::Client client(*redis::ParseUrl(suite_->redis_url()));
  ASSERT_OK(client.Command({"FLUSHALL"}).status());
  ExpectRedisEqualsSql("village", "after FLUSHALL");
}

}  // namespace
}  // namespace lianfang::supplies
