// The shared housekeeping purge (common/app/housekeeping.h): idempotency records and delivered
// outbox messages older than their retention disappear and younger ones stay, in short
// chunks, on SQLite and PostgreSQL (BOTH_BACKENDS) — first with an injected FakeClock, then in
// each real service binary (gate, survey, dispatch, report), which runs it from app::Serve at
// start.
#include "common/app/housekeeping.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/idempotency/idempotency.h"
#include "common/outbox/outbox.h"
#include "common/sql/database.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/suite.h"
#include "common/testing/poll.h"
#include "common/testing/temp_dir.h"
#include "common/testing/test_database.h"
#include "common/time/clock.h"
#include "gtest/gtest.h"

namespace lianfang::app {
namespace {

constexpr absl::Duration kDay = absl::Hours(24);
constexpr char kScope[] = "/lianfang.test.v1.TestService/Do";
constexpr char kMethod[] = "/lianfang.dispatch.v1.DispatchService/CreateTask";

absl::Status MigrateShared(sql::Database& db) {
  RETURN_IF_ERROR(db.Migrate(idempotency::kComponent, idempotency::Migrations()));
  return db.Migrate(outbox::kComponent, outbox::Migrations());
}

absl::Status AddRecord(sql::Database& db, const std::string& request_id, absl::Time created) {
  return db.Write([&](sql::Session& s) {
    return idempotency::Remember(s, kScope, request_id, "fp", "reply", created);
  });
}

// An outbox message in `state` ('pending', 'delivered' or 'failed'), created at `at` and, when
// delivered, delivered then.
absl::Status AddMessage(sql::Database& db, const std::string& key, const std::string& state,
                        absl::Time at) {
  return db.Write([&](sql::Session& s) {
    return s
        .Execute(
            "INSERT INTO lf_outbox (destination, method, idempotency_key, payload, state,"
            " attempts, next_attempt_at, created_at, delivered_at)"
            " VALUES ('dispatch', $1, $2, $3, $4, 1, $5, $5, $6)",
            {kMethod, key, sql::Bytes{"payload"}, state, at,
             state == "delivered" ? sql::Value(at) : sql::Value()})
        .status();
  });
}

// Rows of `table` matching `where` (-1 when the query fails).
int64_t Count(sql::Database& db, const std::string& table, const std::string& where,
              const std::string& value) {
  int64_t n = -1;
  const absl::Status status = db.Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<sql::Row> row,
                     s.QueryRow(absl::StrCat("SELECT COUNT(*) FROM ", table, " WHERE ", where),
                                {value}));
    n = row.has_value() ? row->Int(0) : -1;
    return absl::OkStatus();
  });
  return status.ok() ? n : -1;
}
int64_t Records(sql::Database& db, const std::string& request_id) {
  return Count(db, "lf_idempotency", "request_id = $1", request_id);
}
int64_t Messages(sql::Database& db, const std::string& key) {
  return Count(db, "lf_outbox", "idempotency_key = $1", key);
}

class HousekeepingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(db_, sql::Database::Open(testing::TestDatabaseUrl(dir_, "hk.db")));
    ASSERT_OK(MigrateShared(*db_));
  }

  testing::TempDir dir_;
  std::unique_ptr<sql::Database> db_;
  time::FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
};

TEST_F(HousekeepingTest, RowsOlderThanTheRetentionGoAndYoungerOnesStay) {
  const absl::Time now = clock_.Now();
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(AddRecord(*db_, absl::StrCat("old-", i), now - 31 * kDay));
    ASSERT_OK(AddMessage(*db_, absl::StrCat("delivered-old-", i), "delivered", now - 8 * kDay));
  }
  ASSERT_OK(AddRecord(*db_, "young", now - 29 * kDay));
  ASSERT_OK(AddMessage(*db_, "delivered-young", "delivered", now - 6 * kDay));
  // Messages not delivered stay whatever their age.
  ASSERT_OK(AddMessage(*db_, "pending-ancient", "pending", now - 400 * kDay));
  ASSERT_OK(AddMessage(*db_, "parked-ancient", "failed", now - 400 * kDay));

  const Housekeeping housekeeping(
      db_.get(), &clock_,
      {.idempotency_retention = 30 * kDay, .outbox_retention = 7 * kDay, .chunk = 2});
  const int64_t commits_before = db_->stats().commits;
  ASSERT_OK_AND_ASSIGN(HousekeepingCounts counts, housekeeping.RunOnce());
  EXPECT_EQ(counts.idempotency_records, 5);
  EXPECT_EQ(counts.outbox_messages, 5);
  // Chunks of 2: 2+2+1 for each table, one transaction each.
  EXPECT_EQ(db_->stats().commits - commits_before, 6);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Records(*db_, absl::StrCat("old-", i)), 0);
    EXPECT_EQ(Messages(*db_, absl::StrCat("delivered-old-", i)), 0);
  }
  EXPECT_EQ(Records(*db_, "young"), 1);
  EXPECT_EQ(Messages(*db_, "delivered-young"), 1);
  EXPECT_EQ(Messages(*db_, "pending-ancient"), 1);
  EXPECT_EQ(Messages(*db_, "parked-ancient"), 1);

  // Two days later the young ones are past their retention too.
  clock_.Advance(2 * kDay);
  ASSERT_OK_AND_ASSIGN(HousekeepingCounts later, housekeeping.RunOnce());
  EXPECT_EQ(later.idempotency_records, 1);
  EXPECT_EQ(later.outbox_messages, 1);
  EXPECT_EQ(Records(*db_, "young"), 0);
  EXPECT_EQ(Messages(*db_, "delivered-young"), 0);
  EXPECT_EQ(Messages(*db_, "pending-ancient"), 1);
  EXPECT_EQ(Messages(*db_, "parked-ancient"), 1);
}

TEST_F(HousekeepingTest, AStopBetweenChunksLeavesTheRestForTheNextRun) {
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK(AddRecord(*db_, absl::StrCat("old-", i), clock_.Now() - 31 * kDay));
  }
  const Housekeeping housekeeping(db_.get(), &clock_,
                                  {.idempotency_retention = 30 * kDay, .chunk = 2});
  int asked = 0;
  ASSERT_OK_AND_ASSIGN(HousekeepingCounts first,
                       housekeeping.RunOnce([&asked] { return ++asked <= 1; }));
  EXPECT_EQ(first.idempotency_records, 2);
  ASSERT_OK_AND_ASSIGN(HousekeepingCounts rest, housekeeping.RunOnce());
  EXPECT_EQ(rest.idempotency_records, 2);
}

TEST(HousekeepingOptionsTest, RetentionDaysSetBothPeriodsAndOutboxKeepsAtMostAWeek) {
  config::CommonConfig config;
  EXPECT_EQ(config.retention_days, 30);
  HousekeepingOptions options = HousekeepingOptionsFor(config);
  EXPECT_EQ(options.idempotency_retention, 30 * kDay);
  EXPECT_EQ(options.outbox_retention, 7 * kDay);
  config.retention_days = 3;
  options = HousekeepingOptionsFor(config);
  EXPECT_EQ(options.idempotency_retention, 3 * kDay);
  EXPECT_EQ(options.outbox_retention, 3 * kDay);
}

// Every service binary runs the purge from app::Serve (at start, then hourly) on its own
// database. The rows are dated from the real clock the binaries use.
TEST(HousekeepingInServicesTest, EveryServicePurgesOldRowsOfItsDatabaseAndKeepsYoungOnes) {
  testing::Suite suite;
  ASSERT_OK(suite.Start({.services = {}}));
  for (const std::string service : {"gate", "survey", "dispatch", "report"}) {
    SCOPED_TRACE(service);
    {
      ASSERT_OK_AND_ASSIGN(std::unique_ptr<sql::Database> db,
                           sql::Database::Open(suite.database_url(service)));
      ASSERT_OK(MigrateShared(*db));
      const absl::Time now = absl::Now();
      ASSERT_OK(AddRecord(*db, "old", now - 31 * kDay));  // LF_RETENTION_DAYS is 30
      ASSERT_OK(AddRecord(*db, "young", now - 29 * kDay));
      ASSERT_OK(AddMessage(*db, "delivered-old", "delivered", now - 8 * kDay));
      ASSERT_OK(AddMessage(*db, "delivered-young", "delivered", now - 6 * kDay));
    }
    ASSERT_OK(suite.StartService(service));
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<sql::Database> db,
                         sql::Database::Open(suite.database_url(service)));
    EXPECT_TRUE(testing::PollUntil(
        [&] { return Records(*db, "old") == 0 && Messages(*db, "delivered-old") == 0; },
        absl::Seconds(30)))
        << suite.Stderr(service);
    EXPECT_EQ(Records(*db, "young"), 1);
    EXPECT_EQ(Messages(*db, "delivered-young"), 1);
    ASSERT_OK(suite.Stop(service));
  }
}

}  // namespace
}  // namespace lianfang::app
