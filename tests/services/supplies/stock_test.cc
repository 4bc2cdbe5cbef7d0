// The stock ledger end to end: lf-supplies (and lf-dispatch) over loopback gRPC on the test
// database, through testing::Suite.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "tests/services/supplies/supplies_fixture.h"

namespace lianfang::supplies {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;

TEST_F(SuppliesSuiteTest, ItemsAreCreatedOnceAndListedByCode) {
  const v1::Item item = MakeItem("items-mask", 0, "N95口罩");
  EXPECT_EQ(item.code(), "items-mask");
  EXPECT_TRUE(item.has_created_at());
  // The retry answers the first item; another request for the code is refused.
  v1::CreateItemRequest again;
  again.set_request_id("item-items-mask");
  *again.mutable_item() = item;
  again.mutable_item()->clear_created_at();
  ASSERT_OK_AND_ASSIGN(v1::Item replay, Supplies(&Stub::CreateItem, again));
  EXPECT_EQ(replay.created_at().seconds(), item.created_at().seconds());
  again.set_request_id("item-items-mask-other");
  EXPECT_THAT(Supplies(&Stub::CreateItem, again), StatusIs(absl::StatusCode::kAlreadyExists));

  MakeItem("items-alcohol", 0, "75%酒精");
  v1::ListItemsRequest list;
  list.set_category(v1::ITEM_CATEGORY_DISINFECTION);
  ASSERT_OK_AND_ASSIGN(
      v1::ListItemsResponse items,
      Supplies(&Stub::ListItems, list, Token(auth::Role::kVolunteer, "vol-items", {"campus"})));
  std::vector<std::string> codes;
  for (const v1::Item& i : items.items()) codes.push_back(i.code());
  EXPECT_TRUE(std::is_sorted(codes.begin(), codes.end()));
  EXPECT_THAT(codes, ::testing::Contains("items-alcohol"));
  EXPECT_THAT(codes, ::testing::Contains("items-mask"));
}

TEST_F(SuppliesSuiteTest, IssuesTakeTheBatchesThatExpireFirst) {
  MakeItem("fefo");
  ASSERT_OK(Supplies(&Stub::ReceiveStock,
                     Receipt("fefo-r1", "campus", "fefo", 100, "B-LATE", "2099-06-01"))
                .status());
  ASSERT_OK(
      Supplies(&Stub::ReceiveStock, Receipt("fefo-r2", "campus", "fefo", 50, "B-NONE")).status());
  ASSERT_OK_AND_ASSIGN(v1::ReceiveStockResponse r3,
                       Supplies(&Stub::ReceiveStock,
                                Receipt("fefo-r3", "campus", "fefo", 30, "B-EARLY", "2098-01-01")));
  EXPECT_EQ(r3.movement().kind(), v1::MOVEMENT_KIND_RECEIPT);
  EXPECT_EQ(r3.movement().balance_after(), 180);
  EXPECT_EQ(r3.balance().quantity(), 180);
  EXPECT_EQ(r3.balance().nearest_expiry(), "2098-01-01");

  ASSERT_OK_AND_ASSIGN(v1::IssueStockResponse issued,
                       Supplies(&Stub::IssueStock, Issue("fefo-i1", "campus", "fefo", 40)));
  ASSERT_THAT(issued.movements(), SizeIs(2));
  EXPECT_EQ(issued.movements(0).batch(), "B-EARLY");
  EXPECT_EQ(issued.movements(0).quantity(), -30);
  EXPECT_EQ(issued.movements(0).balance_after(), 150);
  EXPECT_EQ(issued.movements(1).batch(), "B-LATE");
  EXPECT_EQ(issued.movements(1).quantity(), -10);
  EXPECT_EQ(issued.movements(1).balance_after(), 140);
  EXPECT_EQ(issued.movements(1).to().area(), "3号楼楼道");
  EXPECT_EQ(issued.balance().quantity(), 140);
  EXPECT_EQ(issued.balance().nearest_expiry(), "2099-06-01");

  // What is left, earliest expiry first, those without expiry last.
  const v1::StockBalance balance = Balance("campus", "fefo");
  EXPECT_EQ(balance.quantity(), 140);
  ASSERT_THAT(balance.batches(), SizeIs(2));
  EXPECT_EQ(balance.batches(0).batch(), "B-LATE");
  EXPECT_EQ(balance.batches(0).quantity(), 90);
  EXPECT_EQ(balance.batches(1).batch(), "B-NONE");
  EXPECT_EQ(balance.batches(1).quantity(), 50);
}

TEST_F(SuppliesSuiteTest, AnIssueBeyondTheBalanceIsRefusedAndWritesNothing) {
  MakeItem("beyond");
  ASSERT_OK(Supplies(&Stub::ReceiveStock, Receipt("beyond-r", "campus", "beyond", 10)).status());
  EXPECT_THAT(Supplies(&Stub::IssueStock, Issue("beyond-i", "campus", "beyond", 11)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("balance 10")));
  EXPECT_THAT(Supplies(&Stub::IssueStock, Issue("beyond-other-site", "village", "beyond", 1)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Balance("campus", "beyond").quantity(), 10);
  EXPECT_THAT(Movements("beyond"), SizeIs(1));
  // The refused request_id was not remembered: the same request after a receipt succeeds.
  ASSERT_OK(Supplies(&Stub::ReceiveStock, Receipt("beyond-r2", "campus", "beyond", 1)).status());
  ASSERT_OK(Supplies(&Stub::IssueStock, Issue("beyond-i", "campus", "beyond", 11)).status());
  EXPECT_EQ(Balance("campus", "beyond").quantity(), 0);
}

TEST_F(SuppliesSuiteTest, OfSixteenConcurrentIssuesForTheLastUnitsExactlyOneWins) {
  MakeItem("race");
  ASSERT_OK(Supplies(&Stub::ReceiveStock, Receipt("race-r", "campus", "race", 5)).status());
  constexpr int kIssuers = 16;
  std::vector<absl::Status> results(kIssuers);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kIssuers; ++i) {
    threads.emplace_back([&, i] {
      auto stub = v1::SuppliesService::NewStub(suite_->Channel("supplies"));
      ready.fetch_add(1);
      while (ready.load() < kIssuers) std::this_thread::yield();
      results[i] = Call(*stub, &Stub::IssueStock, Admin(),
                        Issue(absl::StrCat("race-i", i), "campus", "race", 5))
                       .status();
    });
  }
  for (std::thread& t : threads) t.join();
  int won = 0;
  for (const absl::Status& s : results) {
    if (s.ok()) {
      ++won;
    } else {
      EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition));
    }
  }
  EXPECT_EQ(won, 1);
  EXPECT_EQ(Balance("campus", "race").quantity(), 0);
  EXPECT_THAT(Movements("race"), SizeIs(2));  // the receipt and the one issue
}

TEST_F(SuppliesSuiteTest, ATransferWritesBothHalvesInOneTransactionCarryingTheBatches) {
  MakeItem("move");
  ASSERT_OK(
      Supplies(&Stub::ReceiveStock, Receipt("move-r1", "campus", "move", 10, "M1", "2098-03-01"))
          .status());
  ASSERT_OK(
      Supplies(&Stub::ReceiveStock, Receipt("move-r2", "campus", "move", 20, "M2", "2099-03-01"))
          .status());
  v1::TransferStockRequest req;
  req.set_request_id("move-t1");
  req.set_from_site_id("campus");
  req.set_to_site_id("village");
  req.set_item_code("move");
  req.set_quantity(15);
  ASSERT_OK_AND_ASSIGN(v1::TransferStockResponse moved, Supplies(&Stub::TransferStock, req));
  ASSERT_THAT(moved.movements(), SizeIs(4));
  EXPECT_EQ(moved.movements(0).kind(), v1::MOVEMENT_KIND_TRANSFER_OUT);
  EXPECT_EQ(moved.movements(0).site_id(), "campus");
  EXPECT_EQ(moved.movements(0).quantity(), -10);
  EXPECT_EQ(moved.movements(0).counterpart_site_id(), "village");
  EXPECT_EQ(moved.movements(1).kind(), v1::MOVEMENT_KIND_RECEIPT);
  EXPECT_EQ(moved.movements(1).site_id(), "village");
  EXPECT_EQ(moved.movements(1).source(), v1::STOCK_SOURCE_TRANSFER);
  EXPECT_EQ(moved.movements(1).batch(), "M1");
  EXPECT_EQ(moved.movements(1).expires_on(), "2098-03-01");
  EXPECT_EQ(moved.movements(3).quantity(), 5);
  EXPECT_EQ(moved.movements(3).batch(), "M2");
  EXPECT_EQ(moved.from_balance().quantity(), 15);
  EXPECT_EQ(moved.to_balance().quantity(), 15);
  EXPECT_EQ(moved.to_balance().nearest_expiry(), "2098-03-01");

  // Beyond the balance: neither half is written.
  req.set_request_id("move-t2");
  req.set_quantity(16);
  EXPECT_THAT(Supplies(&Stub::TransferStock, req), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Balance("campus", "move").quantity(), 15);
  EXPECT_EQ(Balance("village", "move").quantity(), 15);
  EXPECT_THAT(Movements("move"), SizeIs(6));
}

TEST_F(SuppliesSuiteTest, AStocktakeMakesTheBalanceTheCountedQuantity) {
  MakeItem("count");
  ASSERT_OK(Supplies(&Stub::ReceiveStock,
                     Receipt("count-r", "community", "count", 20, "C1", "2099-01-01"))
                .status());
  v1::AdjustStockRequest req;
  req.set_request_id("count-a1");
  req.set_site_id("community");
  req.set_item_code("count");
  req.set_counted_quantity(18);
  req.set_reason("盘点：破损2瓶");
  ASSERT_OK_AND_ASSIGN(v1::AdjustStockResponse down, Supplies(&Stub::AdjustStock, req));
  EXPECT_EQ(down.movement().kind(), v1::MOVEMENT_KIND_ADJUSTMENT);
  EXPECT_EQ(down.movement().quantity(), -2);
  EXPECT_EQ(down.movement().batch(), "C1");
  EXPECT_EQ(down.movement().reason(), "盘点：破损2瓶");
  EXPECT_EQ(down.balance().quantity(), 18);

  // A count that matches writes no movement.
  req.set_request_id("count-a2");
  ASSERT_OK_AND_ASSIGN(v1::AdjustStockResponse same, Supplies(&Stub::AdjustStock, req));
  EXPECT_FALSE(same.has_movement());
  EXPECT_EQ(same.balance().quantity(), 18);

  req.set_request_id("count-a3");
  req.set_counted_quantity(21);
  req.set_reason("盘点：找到3瓶");
  ASSERT_OK_AND_ASSIGN(v1::AdjustStockResponse up, Supplies(&Stub::AdjustStock, req));
  EXPECT_EQ(up.movement().quantity(), 3);
  EXPECT_EQ(up.balance().quantity(), 21);
  EXPECT_THAT(Movements("count"), SizeIs(3));
}

TEST_F(SuppliesSuiteTest, RetriesAnswerTheFirstResultAndDoubleNothing) {
  MakeItem("retry");
  const v1::ReceiveStockRequest receipt = Receipt("retry-r", "campus", "retry", 50);
  ASSERT_OK_AND_ASSIGN(v1::ReceiveStockResponse first, Supplies(&Stub::ReceiveStock, receipt));
  ASSERT_OK_AND_ASSIGN(v1::ReceiveStockResponse second, Supplies(&Stub::ReceiveStock, receipt));
  EXPECT_EQ(second.movement().movement_id(), first.movement().movement_id());
  const v1::IssueStockRequest issue = Issue("retry-i", "campus", "retry", 20);
  ASSERT_OK_AND_ASSIGN(v1::IssueStockResponse i1, Supplies(&Stub::IssueStock, issue));
  ASSERT_OK_AND_ASSIGN(v1::IssueStockResponse i2, Supplies(&Stub::IssueStock, issue));
  EXPECT_EQ(i2.movements(0).movement_id(), i1.movements(0).movement_id());
  v1::TransferStockRequest transfer;
  transfer.set_request_id("retry-t");
  transfer.set_from_site_id("campus");
  transfer.set_to_site_id("community");
  transfer.set_item_code("retry");
  transfer.set_quantity(5);
  ASSERT_OK(Supplies(&Stub::TransferStock, transfer).status());
  ASSERT_OK(Supplies(&Stub::TransferStock, transfer).status());
  EXPECT_EQ(Balance("campus", "retry").quantity(), 25);
  EXPECT_EQ(Balance("community", "retry").quantity(), 5);
  EXPECT_THAT(Movements("retry"), SizeIs(4));
  // The same request_id with another request is refused.
  v1::IssueStockRequest other = issue;
  other.set_quantity(1);
  EXPECT_THAT(Supplies(&Stub::IssueStock, other), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(Balance("campus", "retry").quantity(), 25);
}

TEST_F(SuppliesSuiteTest, MovementsAreListedNewestFirstByPagesWithFilters) {
  MakeItem("pages");
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(
        Supplies(&Stub::ReceiveStock, Receipt(absl::StrCat("pages-r", i), "campus", "pages", i + 1))
            .status());
  }
  ASSERT_OK(Supplies(&Stub::IssueStock, Issue("pages-i", "campus", "pages", 2)).status());
  v1::ListMovementsRequest req;
  req.set_item_code("pages");
  req.set_page_size(4);
  ASSERT_OK_AND_ASSIGN(v1::ListMovementsResponse page1, Supplies(&Stub::ListMovements, req));
  ASSERT_THAT(page1.movements(), SizeIs(4));
  EXPECT_EQ(page1.movements(0).kind(), v1::MOVEMENT_KIND_ISSUE);
  ASSERT_FALSE(page1.next_page_token().empty());
  req.set_page_token(page1.next_page_token());
  ASSERT_OK_AND_ASSIGN(v1::ListMovementsResponse page2, Supplies(&Stub::ListMovements, req));
  ASSERT_THAT(page2.movements(), SizeIs(2));
  EXPECT_EQ(page2.movements(1).quantity(), 1);  // the oldest
  EXPECT_TRUE(page2.next_page_token().empty());

  v1::ListMovementsRequest issues;
  issues.set_item_code("pages");
  issues.set_kind(v1::MOVEMENT_KIND_ISSUE);
  ASSERT_OK_AND_ASSIGN(v1::ListMovementsResponse only, Supplies(&Stub::ListMovements, issues));
  EXPECT_THAT(only.movements(), SizeIs(1));
  req.set_page_token("not-a-token");
  EXPECT_THAT(Supplies(&Stub::ListMovements, req),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
}

TEST_F(SuppliesSuiteTest, TheLedgerExportsAsCsvThatExcelOpensAndTheExportIsAudited) {
  MakeItem("export", 0, "医用酒精,75%");
  ASSERT_OK(
      Supplies(&Stub::ReceiveStock, Receipt("export-r", "campus", "export", 12, "E1", "2099-01-31"))
          .status());
  ASSERT_OK(Supplies(&Stub::IssueStock, Issue("export-i", "campus", "export", 2)).status());
  v1::ExportMovementsRequest req;
  req.mutable_filter()->set_item_code("export");
  ASSERT_OK_AND_ASSIGN(v1::ExportFile file, Supplies(&Stub::ExportMovements, req,
                                                     Token(auth::Role::kViewer, "viewer-export")));
  EXPECT_EQ(file.content_type(), "text/csv; charset=utf-8");
  EXPECT_THAT(file.filename(), StartsWith("stock-ledger-"));
  ASSERT_THAT(file.content(), StartsWith("\xEF\xBB\xBF记录时间,站点编号,站点,物资编码,物资名称"));
  const std::vector<std::string> lines = absl::StrSplit(file.content(), "\r\n", absl::SkipEmpty());
  ASSERT_THAT(lines, SizeIs(3));
  EXPECT_THAT(lines[1], HasSubstr(",campus,"));
  EXPECT_THAT(lines[1], HasSubstr(",\"医用酒精,75%\",发放,-2,瓶,E1,2099-01-31,,区域 3号楼楼道,"));
  EXPECT_THAT(lines[2], HasSubstr(",入库,12,瓶,E1,2099-01-31,采购,"));

  common::v1::ListAuditEventsRequest audit;
  ASSERT_OK_AND_ASSIGN(common::v1::ListAuditEventsResponse events,
                       Supplies(&Stub::ListAuditEvents, audit));
  bool exported = false;
  for (const auto& e : events.events()) {
    exported |= absl::EndsWith(e.method(), "/ExportMovements") && e.subject() == "viewer-export";
  }
  EXPECT_TRUE(exported);
}

TEST_F(SuppliesSuiteTest, DailyStatsCountTodaysReceiptsAndIssuesPerSiteWithKeyBalances) {
  MakeItem("daily", 10);
  v1::GetDailyStatsRequest req;
  req.set_date(time::DateOf(absl::Now(), absl::FixedTimeZone(8 * 3600)));
  req.set_site_id("family-area");
  ASSERT_OK_AND_ASSIGN(v1::GetDailyStatsResponse before, Supplies(&Stub::GetDailyStats, req));
  ASSERT_THAT(before.stats(), SizeIs(1));
  ASSERT_OK(Supplies(&Stub::ReceiveStock,
                     Receipt("daily-r", "family-area", "daily", 30, "D1", "2099-01-01"))
                .status());
  ASSERT_OK(Supplies(&Stub::IssueStock, Issue("daily-i", "family-area", "daily", 25)).status());
  ASSERT_OK_AND_ASSIGN(
      v1::GetDailyStatsResponse after,
      Supplies(&Stub::GetDailyStats, req, suite_->tokens().For(auth::Role::kService, "report")));
  ASSERT_THAT(after.stats(), SizeIs(1));
  const v1::DailyStats& stats = after.stats(0);
  EXPECT_EQ(stats.site_id(), "family-area");
  EXPECT_EQ(stats.receipts(), before.stats(0).receipts() + 1);
  EXPECT_EQ(stats.issues(), before.stats(0).issues() + 1);
  EXPECT_EQ(stats.canteen_purchases(), 0);
  bool found = false;
  for (const v1::StockBalance& b : stats.key_balances()) {
    if (b.item_code() != "daily") continue;
    found = true;
    EXPECT_EQ(b.quantity(), 5);
    EXPECT_TRUE(b.low());
  }
  EXPECT_TRUE(found);
  EXPECT_GE(stats.low_stock_items(), 1);
  // Every site, zeros included, by site id.
  req.clear_site_id();
  ASSERT_OK_AND_ASSIGN(v1::GetDailyStatsResponse all, Supplies(&Stub::GetDailyStats, req));
  std::vector<std::string> sites;
  for (const v1::DailyStats& s : all.stats()) sites.push_back(s.site_id());
  EXPECT_THAT(sites, ElementsAre("campus", "community", "family-area", "village"));
}

}  // namespace
}  // namespace lianfang::supplies
