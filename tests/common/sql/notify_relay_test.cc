// sql::NotifyRelay against a real PostgreSQL database (common/testing/postgres_server.h), with
// a table of its own: committed items arrive once each in commit order, undone ones never,
// items sent by reference are read back, and a relay whose listening connection was cut
// publishes what was committed meanwhile once it listens again. The payload forms and the
// window of remembered keys are checked alone.
#include "common/sql/notify_relay.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/sql/database.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/testing/poll.h"
#include "common/testing/postgres_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::sql {
namespace {

using ::lianfang::testing::PollUntil;
using ::testing::ElementsAre;

constexpr absl::Duration kWait = absl::Seconds(30);
constexpr char kChannel[] = "lf_test_items";

struct Item {
  int64_t seq = 0;
  std::string name;
};

// The inline form of an item: "<seq>:<name>".
std::optional<Item> ParseItem(absl::string_view bytes) {
  std::vector<std::string> parts = absl::StrSplit(bytes, absl::MaxSplits(':', 1));
  Item item;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &item.seq)) return std::nullopt;
  item.name = parts[1];
  return item;
}

absl::StatusOr<std::optional<Item>> FindItem(Session& s, absl::string_view ref) {
  int64_t seq = 0;
  if (!absl::SimpleAtoi(ref, &seq)) return std::nullopt;
  ASSIGN_OR_RETURN(std::optional<Row> row,
                   s.QueryRow("SELECT seq, name FROM items WHERE seq = $1", {seq}));
  if (!row.has_value()) return std::nullopt;
  return Item{row->Int(0), row->Text(1)};
}

// Stores an item and notifies it (inline, or by reference), in one transaction; undone when
// `commit` is false.
absl::Status StoreAndNotify(Database& db, const std::string& name, bool by_reference = false,
                            bool commit = true) {
  return db.Write([&](Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<Row> row,
                     s.QueryRow("INSERT INTO items (name) VALUES ($1) RETURNING seq", {name}));
    const int64_t seq = row->Int(0);
    const std::string bytes = by_reference ? "" : absl::StrCat(seq, ":", name);
    RETURN_IF_ERROR(Notify(s, kChannel, NotifyPayload(bytes, absl::StrCat(seq))));
    return commit ? absl::OkStatus() : absl::AbortedError("undone on purpose");
  });
}

// What a relay published. Thread-safe.
class Published {
 public:
  void Add(const Item& item) {
    absl::MutexLock lock(&mu_);
    names_.push_back(item.name);
  }
  std::vector<std::string> names() const {
    absl::MutexLock lock(&mu_);
    return names_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> names_ ABSL_GUARDED_BY(mu_);
};

class NotifyRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(url_, lianfang::testing::NewPostgresDatabase("notify_relay"));
    ASSERT_OK_AND_ASSIGN(db_, Database::Open(url_));
    ASSERT_OK(db_->Write([](Session& s) {
      return s.Execute("CREATE TABLE items (seq BIGSERIAL PRIMARY KEY, name TEXT NOT NULL)")
          .status();
    }));
  }

  std::unique_ptr<NotifyRelay<Item>> NewRelay(Published* out) {
    return std::make_unique<NotifyRelay<Item>>(
        db_.get(), NotifyRelayOptions<Item>{
                       .channel = kChannel,
                       .what = "item",
                       .parse = ParseItem,
                       .find = FindItem,
                       .latest_seq = [](Session& s) -> absl::StatusOr<int64_t> {
                         ASSIGN_OR_RETURN(std::optional<Row> row,
                                          s.QueryRow("SELECT COALESCE(MAX(seq), 0) FROM items"));
                         return row->Int(0);
                       },
                       .read_after = [](Session& s, int64_t after,
                                        int limit) -> absl::StatusOr<std::vector<Item>> {
                         ASSIGN_OR_RETURN(Result r,
                                          s.Execute("SELECT seq, name FROM items WHERE seq > $1 "
                                                    "ORDER BY seq DESC LIMIT $2",
                                                    {after, static_cast<int64_t>(limit)}));
                         std::vector<Item> items;
                         for (auto it = r.rows.rbegin(); it != r.rows.rend(); ++it) {
                           items.push_back({it->Int(0), it->Text(1)});
                         }
                         return items;
                       },
                       .key_of = [](const Item& item) { return absl::StrCat(item.seq); },
                       .seq_of = [](const Item& item) { return item.seq; },
                       .publish = [out](const Item& item) { out->Add(item); },
                   });
  }

  std::string url_;
  std::unique_ptr<Database> db_;
};

TEST(NotifyPayloadTest, IsTheBytesInBase64OrAReferenceWhenTooLargeOrEmpty) {
  EXPECT_EQ(NotifyPayload("abc", "7"), "YWJj");
  EXPECT_EQ(NotifyPayload("", "7"), "#7");
  EXPECT_EQ(NotifyPayload(std::string(6000, 'x'), "8"), "#8");  // 8000 characters in base64
}

TEST(RecentKeysTest, RemembersTheLastKeysOnly) {
  RecentKeys keys(2);
  EXPECT_TRUE(keys.Insert("a"));
  EXPECT_FALSE(keys.Insert("a"));
  EXPECT_TRUE(keys.Insert("b"));
  EXPECT_TRUE(keys.Insert("c"));  // "a" is forgotten
  EXPECT_FALSE(keys.Contains("a"));
  EXPECT_TRUE(keys.Contains("b"));
  EXPECT_TRUE(keys.Insert("a"));
}

TEST_F(NotifyRelayTest, PublishesCommittedItemsOnceInCommitOrderAndReadsReferencesBack) {
  Published published;
  std::unique_ptr<NotifyRelay<Item>> relay = NewRelay(&published);
  ASSERT_OK(relay->Start(url_));

  ASSERT_OK(StoreAndNotify(*db_, "first"));
  EXPECT_FALSE(StoreAndNotify(*db_, "undone", false, /*commit=*/false).ok());
  ASSERT_OK(StoreAndNotify(*db_, "by-reference", /*by_reference=*/true));
  // The same item notified twice (a writer's retry) is published once.
  ASSERT_OK(db_->Write([](Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<Row> row,
                     s.QueryRow("SELECT seq FROM items WHERE name = 'first'"));
    return Notify(s, kChannel, NotifyPayload(absl::StrCat(row->Int(0), ":first"), ""));
  }));
  ASSERT_OK(StoreAndNotify(*db_, "last"));
  ASSERT_TRUE(PollUntil([&] { return published.names().size() >= 3; }, kWait));
  EXPECT_THAT(published.names(), ElementsAre("first", "by-reference", "last"));
  relay->Stop();
}

TEST_F(NotifyRelayTest, ARelayThatLostItsConnectionPublishesWhatWasCommittedMeanwhile) {
  Published published;
  std::unique_ptr<NotifyRelay<Item>> relay = NewRelay(&published);
  ASSERT_OK(relay->Start(url_));
  ASSERT_OK(StoreAndNotify(*db_, "before"));
  ASSERT_TRUE(PollUntil([&] { return published.names().size() >= 1; }, kWait));

  // Cut the listening connection and keep it from coming back: new sessions on the database
  // are read-only, which a listener (asking for a read-write session) refuses. The database's
  // connections, opened before, keep writing.
  ASSERT_OK(lianfang::testing::CutListenersOfDatabase(url_));
  ASSERT_TRUE(PollUntil([&] { return !relay->listening(); }, kWait));
  ASSERT_OK(StoreAndNotify(*db_, "missed-1"));
  ASSERT_OK(StoreAndNotify(*db_, "missed-2", /*by_reference=*/true));
  ASSERT_OK(lianfang::testing::LetListenersBackIntoDatabase(url_));
  ASSERT_TRUE(PollUntil([&] { return relay->resumes() == 1; }, kWait));
  ASSERT_OK(StoreAndNotify(*db_, "after"));
  ASSERT_TRUE(PollUntil([&] { return published.names().size() >= 4; }, kWait));
  EXPECT_THAT(published.names(), ElementsAre("before", "missed-1", "missed-2", "after"));
}

}  // namespace
}  // namespace lianfang::sql
