#include "services/supplies/stock_ledger.h"

#include <vector>

#include "absl/time/civil_time.h"
#include "common/server/errors.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/supplies/storekeeper.h"

namespace lianfang::supplies {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

TEST(FefoOrderTest, EarliestExpiryFirstThoseWithoutExpiryLastEmptyBatchesDropped) {
  const std::vector<Batch> ordered = FefoOrder({{"c", "", 5},
                                                {"b", "2027-03-01", 2},
                                                {"a", "2026-12-31", 1},
                                                {"z", "2026-12-31", 4},
                                                {"gone", "2026-12-01", 0}});
  EXPECT_THAT(ordered, ElementsAre(Batch{"a", "2026-12-31", 1}, Batch{"z", "2026-12-31", 4},
                                   Batch{"b", "2027-03-01", 2}, Batch{"c", "", 5}));
}

TEST(AllocateFefoTest, TakesTheBatchesThatExpireFirstAndPartOfTheLast) {
  const std::vector<Batch> on_hand = {
      {"late", "2027-06-01", 100}, {"none", "", 100}, {"early", "2027-01-01", 30}};
  ASSERT_OK_AND_ASSIGN(std::vector<Batch> taken, AllocateFefo(on_hand, 50));
  EXPECT_THAT(taken,
              ElementsAre(Batch{"early", "2027-01-01", 30}, Batch{"late", "2027-06-01", 20}));
  ASSERT_OK_AND_ASSIGN(taken, AllocateFefo(on_hand, 230));
  EXPECT_THAT(taken, ElementsAre(Batch{"early", "2027-01-01", 30}, Batch{"late", "2027-06-01", 100},
                                 Batch{"none", "", 100}));
}

TEST(AllocateUsableTest, LeavesTheBatchesExpiredBeforeTodayAndUsesOneOnItsExpiryDay) {
  const std::vector<Batch> on_hand = {{"gone", "2027-01-09", 30},
                                      {"today", "2027-01-10", 5},
                                      {"none", "", 10},
                                      {"late", "2027-06-01", 20}};
  ASSERT_OK_AND_ASSIGN(std::vector<Batch> taken, AllocateUsable(on_hand, 10, "2027-01-10"));
  EXPECT_THAT(taken, ElementsAre(Batch{"today", "2027-01-10", 5}, Batch{"late", "2027-06-01", 5}));
  ASSERT_OK_AND_ASSIGN(taken, AllocateUsable(on_hand, 35, "2027-01-10"));
  EXPECT_EQ(TotalOf(taken), 35);
  // 65 on hand, of which 30 expired: 36 is refused, saying so.
  EXPECT_THAT(AllocateUsable(on_hand, 36, "2027-01-10"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("usable balance 35"), HasSubstr("30 more expired"))));
  // Nothing expired: the plain balance message.
  EXPECT_THAT(AllocateUsable(on_hand, 66, "2026-12-01"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("balance 65")));
}

TEST(AllocateFefoTest, BeyondTheBalanceIsFailedPrecondition) {
  const std::vector<Batch> on_hand = {{"a", "2027-01-01", 3}, {"b", "", 4}};
  EXPECT_THAT(AllocateFefo(on_hand, 8),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("balance 7")));
  EXPECT_THAT(AllocateFefo({}, 1), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(std::vector<Batch> all, AllocateFefo(on_hand, 7));
  EXPECT_EQ(TotalOf(all), 7);
}

TEST(NearestExpiryTest, EarliestDateOfBatchesWithUnits) {
  EXPECT_EQ(
      NearestExpiry(
          {{"a", "2027-05-01", 1}, {"b", "2027-02-01", 0}, {"c", "", 3}, {"d", "2027-03-01", 2}}),
      "2027-03-01");
  EXPECT_EQ(NearestExpiry({{"c", "", 3}}), "");
  EXPECT_EQ(NearestExpiry({}), "");
}

TEST(LowStockTest, CrossingIsOnlyTheStepFromAtOrAboveToBelowTheMinimum) {
  EXPECT_TRUE(CrossesBelowMinimum(100, 99, 100));
  EXPECT_TRUE(CrossesBelowMinimum(500, 0, 100));
  EXPECT_FALSE(CrossesBelowMinimum(99, 50, 100));    // already low: no second task
  EXPECT_FALSE(CrossesBelowMinimum(50, 120, 100));   // recovery
  EXPECT_FALSE(CrossesBelowMinimum(120, 100, 100));  // at the minimum is not low
  EXPECT_FALSE(CrossesBelowMinimum(10, 0, 0));       // no minimum: never low
  EXPECT_TRUE(IsLow(99, 100));
  EXPECT_FALSE(IsLow(100, 100));
  EXPECT_FALSE(IsLow(0, 0));
}

TEST(CheckQuantityTest, WholeUnitsWithinTheirBounds) {
  server::FieldErrors errors;
  CheckQuantity(errors, "quantity", 1, 1);
  CheckQuantity(errors, "quantity", kMaxQuantity, 1);
  CheckQuantity(errors, "counted_quantity", 0, 0);
  EXPECT_TRUE(errors.empty());
  CheckQuantity(errors, "a", 0, 1);
  CheckQuantity(errors, "b", -5, 1);
  CheckQuantity(errors, "c", kMaxQuantity + 1, 1);
  CheckQuantity(errors, "d", -1, 0);
  EXPECT_THAT(
      server::FieldViolations(errors.ToStatus()),
      ElementsAre(Pair("a", "must be at least 1"), Pair("b", "must be at least 1"),
                  Pair("c", "must be at most 1000000000"), Pair("d", "must be at least 0")));
}

TEST(CheckExpiryTest, EmptyOrAValidDateNotInThePast) {
  const absl::CivilDay today(2026, 12, 6);
  server::FieldErrors errors;
  CheckExpiry(errors, "expires_on", "", today);
  CheckExpiry(errors, "expires_on", "2026-12-06", today);
  CheckExpiry(errors, "expires_on", "2028-02-29", today);
  EXPECT_TRUE(errors.empty());
  CheckExpiry(errors, "past", "2026-12-05", today);
  CheckExpiry(errors, "bad", "2026-02-30", today);
  CheckExpiry(errors, "format", "06/12/2027", today);
  EXPECT_THAT(
      server::FieldViolations(errors.ToStatus()),
      ElementsAre(Pair("past", "must not be in the past"), Pair("bad", "must be a date YYYY-MM-DD"),
                  Pair("format", "must be a date YYYY-MM-DD")));
}

TEST(IsItemCodeTest, LowercaseDigitsDashAndUnderscoreUpTo32) {
  EXPECT_TRUE(IsItemCode("disinfectant-84"));
  EXPECT_TRUE(IsItemCode("mask_n95"));
  EXPECT_TRUE(IsItemCode(std::string(32, 'a')));
  EXPECT_FALSE(IsItemCode(std::string(33, 'a')));
  EXPECT_FALSE(IsItemCode(""));
  EXPECT_FALSE(IsItemCode("Mask"));
  EXPECT_FALSE(IsItemCode("口罩"));
  EXPECT_FALSE(IsItemCode("a b"));
}

}  // namespace
}  // namespace lianfang::supplies

namespace lianfang::supplies {
namespace {

TEST(RestockTaskRequestTest, TheTaskDispatchIsAskedForWhenASiteRunsLow) {
  sites::Site site;
  site.set_id("community");
  site.set_name("幸福社区");
  v1::Item item;
  item.set_code("mask-n95");
  item.set_name("N95口罩");
  item.set_unit("只");
  item.set_min_stock_per_site(200);
  const absl::Time now = absl::FromUnixSeconds(1800000000);
  const dispatch::v1::CreateTaskRequest req = RestockTaskRequest(site, item, 150, 3, now);
  EXPECT_EQ(req.request_id(), "supplies-restock-community-mask-n95-3");
  EXPECT_EQ(req.request_id(), RestockKey("community", "mask-n95", 3));
  const dispatch::v1::Task& task = req.task();
  EXPECT_EQ(task.kind(), dispatch::v1::TASK_KIND_SUPPLY_DELIVERY);
  EXPECT_EQ(task.site_id(), "community");
  EXPECT_EQ(task.item_code(), "mask-n95");
  EXPECT_EQ(task.title(), "补充物资：N95口罩");
  EXPECT_EQ(task.details(), "幸福社区 库存 150只，低于下限 200只");
  EXPECT_EQ(task.priority(), dispatch::v1::PRIORITY_HIGH);
  EXPECT_EQ(task.due_at().seconds(), 1800000000 + 24 * 3600);
  EXPECT_EQ(task.source_ref(), "supplies.restock/community/mask-n95");
}

}  // namespace
}  // namespace lianfang::supplies
