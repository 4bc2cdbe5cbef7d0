// The supplies core on a real database (SQLite, or PostgreSQL with LF_TEST_DB=postgres), no
// gRPC: a long random sequence of receipts, issues, transfers and stocktakes keeps the ledger's
// invariant (each balance = the sum of its movements = the sum of its batches, never below
// zero) and the balances a plain model of the rules predicts; restock messages are queued once
// per fall below the minimum.
#include "services/supplies/storekeeper.h"

#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/auth/principal.h"
#include "common/outbox/outbox.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/testing/temp_dir.h"
#include "common/testing/test_database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/supplies/store.h"

namespace lianfang::supplies {
namespace {

using ::lianfang::testing::StatusIs;

constexpr char kSites[] = R"pb(
  sites {
    id: "a"
    name: "甲社区"
    kind: SITE_KIND_COMMUNITY
    gates { id: "main" name: "正门" }
  }
  sites {
    id: "b"
    name: "乙社区"
    kind: SITE_KIND_COMMUNITY
    gates { id: "main" name: "正门" }
  }
)pb";

class StorekeeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(sites_, sites::SiteDirectory::Parse(kSites));
    ASSERT_OK_AND_ASSIGN(db_, sql::Database::Open(testing::TestDatabaseUrl(dir_, "supplies.db")));
    ASSERT_OK(db_->Migrate(outbox::kComponent, outbox::Migrations()));
    ASSERT_OK(db_->Migrate(kComponent, Migrations()));
    keeper_ = std::make_unique<Storekeeper>(&*sites_, absl::UTCTimeZone());
    v1::CreateItemRequest item;
    item.mutable_item()->set_code("gloves");
    item.mutable_item()->set_name("手套");
    item.mutable_item()->set_unit("副");
    item.mutable_item()->set_category(v1::ITEM_CATEGORY_PROTECTION);
    item.mutable_item()->set_min_stock_per_site(20);
    ASSERT_OK(
        db_->Write([&](sql::Session& s) { return keeper_->CreateItem(s, item, now_).status(); }));
  }

  // Runs `fn` in a write transaction; its error rolls it back.
  template <typename Fn>
  absl::Status Write(Fn fn) {
    return db_->Write([&](sql::Session& s) -> absl::Status { return fn(s); });
  }

  int64_t Restocks() {
    int64_t n = 0;
    EXPECT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(
          std::optional<sql::Row> row,
          s.QueryRow("SELECT COUNT(*) FROM lf_outbox WHERE method = $1", {kCreateTaskMethod}));
      n = row.has_value() ? row->Int(0) : 0;
      return absl::OkStatus();
    }));
    return n;
  }

  testing::TempDir dir_;
  std::optional<sites::SiteDirectory> sites_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<Storekeeper> keeper_;
  static auth::Principal Leader() {
    auth::Principal p;
    p.subject = "leader-1";
    p.role = auth::Role::kLeader;
    return p;
  }
  const auth::Principal who_ = Leader();
  const absl::Time now_ = absl::FromUnixSeconds(1765000000);
};

TEST_F(StorekeeperTest, ARandomDayOfMovementsKeepsTheLedgerEqualToAPlainModel) {
  std::mt19937 rng(20261206);
  std::map<std::string, int64_t> model = {{"a", 0}, {"b", 0}};
  int64_t falls = 0;  // downward crossings of the minimum (20) the model saw
  auto fell = [&](int64_t before, int64_t after) { falls += before >= 20 && after < 20; };
  const std::vector<std::string> batches = {"", "B1", "B2", "B3"};
  const std::vector<std::string> expiries = {"", "2099-01-01", "2098-06-30", "2099-12-31"};
  for (int step = 0; step < 300; ++step) {
    const std::string site = rng() % 2 == 0 ? "a" : "b";
    const std::string other = site == "a" ? "b" : "a";
    const int64_t q = 1 + static_cast<int64_t>(rng() % 25);
    switch (rng() % 4) {
      case 0: {
        v1::ReceiveStockRequest r;
        r.set_site_id(site);
        r.set_item_code("gloves");
        r.set_quantity(q);
        r.set_source(v1::STOCK_SOURCE_PURCHASE);
        r.set_batch(batches[rng() % batches.size()]);
        r.set_expires_on(expiries[rng() % expiries.size()]);
        ASSERT_OK(Write([&](sql::Session& s) {
          return keeper_->ReceiveStock(s, who_, r, now_, nullptr).status();
        }));
        model[site] += q;
        break;
      }
      case 1: {
        v1::IssueStockRequest r;
        r.set_site_id(site);
        r.set_item_code("gloves");
        r.set_quantity(q);
        r.mutable_to()->set_area("楼道");
        const absl::Status st = Write([&](sql::Session& s) {
          return keeper_->IssueStock(s, who_, r, now_, nullptr).status();
        });
        if (q > model[site]) {
          ASSERT_THAT(st, StatusIs(absl::StatusCode::kFailedPrecondition)) << step;
        } else {
          ASSERT_OK(st) << step;
          fell(model[site], model[site] - q);
          model[site] -= q;
        }
        break;
      }
      case 2: {
        v1::TransferStockRequest r;
        r.set_from_site_id(site);
        r.set_to_site_id(other);
        r.set_item_code("gloves");
        r.set_quantity(q);
        const absl::Status st = Write([&](sql::Session& s) {
          return keeper_->TransferStock(s, who_, r, now_, nullptr).status();
        });
        if (q > model[site]) {
          ASSERT_THAT(st, StatusIs(absl::StatusCode::kFailedPrecondition)) << step;
        } else {
          ASSERT_OK(st) << step;
          fell(model[site], model[site] - q);
          model[site] -= q;
          model[other] += q;
        }
        break;
      }
      default: {
        v1::AdjustStockRequest r;
        r.set_site_id(site);
        r.set_item_code("gloves");
        r.set_counted_quantity(std::max<int64_t>(0, model[site] + q - 13));
        r.set_reason("盘点");
        ASSERT_OK(Write([&](sql::Session& s) {
          return keeper_->AdjustStock(s, who_, r, now_, nullptr).status();
        }));
        fell(model[site], r.counted_quantity());
        model[site] = r.counted_quantity();
      }
    }
  }
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<std::string> mismatches, LedgerMismatches(s));
    EXPECT_THAT(mismatches, ::testing::IsEmpty());
    for (const auto& [site, quantity] : model) {
      ASSIGN_OR_RETURN(BalanceRow balance, ReadBalance(s, site, "gloves"));
      EXPECT_EQ(balance.quantity, quantity) << site;
      ASSIGN_OR_RETURN(std::vector<Batch> on_hand, ReadBatches(s, site, "gloves"));
      EXPECT_EQ(TotalOf(on_hand), quantity) << site;
    }
    return absl::OkStatus();
  }));
  EXPECT_GT(falls, 0);
  EXPECT_EQ(Restocks(), falls);
}

TEST_F(StorekeeperTest, LedgerMismatchesFindsABalanceThatDisagreesWithItsMovements) {
  v1::ReceiveStockRequest r;
  r.set_site_id("a");
  r.set_item_code("gloves");
  r.set_quantity(5);
  r.set_source(v1::STOCK_SOURCE_PURCHASE);
  ASSERT_OK(Write(
      [&](sql::Session& s) { return keeper_->ReceiveStock(s, who_, r, now_, nullptr).status(); }));
  ASSERT_OK(Write([&](sql::Session& s) {
    return WriteBalance(s, "a", "gloves", {.quantity = 6, .restocks = 0});
  }));
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<std::string> mismatches, LedgerMismatches(s));
    EXPECT_THAT(mismatches, ::testing::ElementsAre("a/gloves"));
    return absl::OkStatus();
  }));
}

TEST_F(StorekeeperTest, ABatchPastItsExpiryIsNeitherIssuedNorTransferred) {
  // now_ is 2025-12-06 (UTC); two batches, one expiring the next day.
  for (const auto& [batch, expires_on, quantity] :
       std::vector<std::tuple<std::string, std::string, int64_t>>{{"soon", "2025-12-07", 30},
                                                                  {"late", "2026-06-30", 10}}) {
    v1::ReceiveStockRequest r;
    r.set_site_id("a");
    r.set_item_code("gloves");
    r.set_quantity(quantity);
    r.set_source(v1::STOCK_SOURCE_PURCHASE);
    r.set_batch(batch);
    r.set_expires_on(expires_on);
    ASSERT_OK(Write([&](sql::Session& s) {
      return keeper_->ReceiveStock(s, who_, r, now_, nullptr).status();
    }));
  }
  const absl::Time two_days_later = now_ + absl::Hours(48);
  v1::IssueStockRequest issue;
  issue.set_site_id("a");
  issue.set_item_code("gloves");
  issue.set_quantity(12);
  issue.mutable_to()->set_area("楼道");
  // 40 on the books, 10 usable: refused, saying why, and nothing written.
  EXPECT_THAT(Write([&](sql::Session& s) {
                return keeper_->IssueStock(s, who_, issue, two_days_later, nullptr).status();
              }),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       ::testing::HasSubstr("30 more expired before 2025-12-08")));
  v1::TransferStockRequest transfer;
  transfer.set_from_site_id("a");
  transfer.set_to_site_id("b");
  transfer.set_item_code("gloves");
  transfer.set_quantity(11);
  EXPECT_THAT(Write([&](sql::Session& s) {
                return keeper_->TransferStock(s, who_, transfer, two_days_later, nullptr).status();
              }),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // On its expiry day a batch is still issued (first, as it expires first).
  issue.set_quantity(5);
  v1::IssueStockResponse issued;
  ASSERT_OK(Write([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(issued, keeper_->IssueStock(s, who_, issue, now_ + absl::Hours(24), nullptr));
    return absl::OkStatus();
  }));
  ASSERT_EQ(issued.movements_size(), 1);
  EXPECT_EQ(issued.movements(0).batch(), "soon");
  // After it, only the usable batch goes.
  issue.set_quantity(10);
  ASSERT_OK(Write([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(issued, keeper_->IssueStock(s, who_, issue, two_days_later, nullptr));
    return absl::OkStatus();
  }));
  ASSERT_EQ(issued.movements_size(), 1);
  EXPECT_EQ(issued.movements(0).batch(), "late");
  EXPECT_EQ(issued.balance().quantity(), 25);  // the expired 25 stay for a stocktake
}

}  // namespace
}  // namespace lianfang::supplies
