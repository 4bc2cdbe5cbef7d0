// Two gate replicas on one PostgreSQL database (two real GateServices, each on its own loopback
// gRPC server and its own database connections): a console watching one replica sees the
// passages recorded through either, each once and in order; a replica whose listening
// connection was cut while the other kept recording publishes what it missed once it listens
// again; and the relay alone: commit order, undone passages never published, a passage too
// large for a notification read back from the table.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/audit/audit.h"
#include "common/idempotency/idempotency.h"
#include "common/outbox/outbox.h"
#include "common/sql/database.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/stream_reader.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/poll.h"
#include "common/testing/postgres_server.h"
#include "common/testing/with_redis.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/gate/gate_store.h"
#include "services/gate/passage_feed.h"
#include "services/gate/passage_relay.h"
#include "tests/services/gate/gate_harness.h"
#include "tests/services/gate/gate_test_util.h"

namespace lianfang::gate {
namespace {

using ::lianfang::gate::testing::GateHarness;
using ::lianfang::gate::testing::ValidId;
using ::lianfang::testing::NewClientContext;
using ::lianfang::testing::PollUntil;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

constexpr absl::Duration kWait = absl::Seconds(30);

// A guard console's WatchPassages stream on replica `h`, read into a list (the ids: Ids).
class Watcher {
 public:
  Watcher(GateHarness& h, const std::string& token, const std::string& site)
      : reader_(NewClientContext(token, absl::Seconds(120)), [&](grpc::ClientContext* c) {
          v1::WatchPassagesRequest watch;
          watch.set_site_id(site);
          return h.stub().WatchPassages(c, watch);
        }) {}
  std::vector<std::string> Ids() const {
    std::vector<std::string> ids;
    for (const v1::Passage& p : reader_.messages()) ids.push_back(p.passage_id());
    return ids;
  }
  bool WaitFor(size_t n) const { return reader_.WaitFor(n, kWait); }

 private:
  lianfang::testing::StreamReader<v1::Passage> reader_;
};

// Collects what a feed publishes. Thread-safe.
class Collector final : public PassageFeed::Subscriber {
 public:
  void Deliver(const v1::Passage& passage) override {
    absl::MutexLock lock(&mu_);
    got_.push_back(passage);
  }
  void Close() override {}
  std::vector<v1::Passage> got() const {
    absl::MutexLock lock(&mu_);
    return got_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<v1::Passage> got_ ABSL_GUARDED_BY(mu_);
};

class GateReplicasTest : public lianfang::testing::WithRedis {
 protected:
  void SetUp() override {
    WithRedis::SetUp();
    ASSERT_OK_AND_ASSIGN(url_, lianfang::testing::NewPostgresDatabase("gate_replicas"));
    ASSERT_OK_AND_ASSIGN(a_, GateHarness::Start({.redis_url = redis_url(), .database_url = url_}));
    ASSERT_OK_AND_ASSIGN(b_, GateHarness::Start({.redis_url = redis_url(), .database_url = url_}));
    ASSERT_NE(a_->service().relay(), nullptr);
    ASSERT_NE(b_->service().relay(), nullptr);
  }

  v1::RecordPassageResponse MustRecord(GateHarness& h, const v1::RecordPassageRequest& r) {
    absl::StatusOr<v1::RecordPassageResponse> resp = h.Record(r, h.Guard());
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.value_or(v1::RecordPassageResponse{});
  }

  std::string url_;
  std::unique_ptr<GateHarness> a_;
  std::unique_ptr<GateHarness> b_;
};

TEST_F(GateReplicasTest, AWatcherOnOneReplicaSeesThePassagesOfBothEachOnceInOrder) {
  Collector b_feed;  // what replica B publishes
  const int64_t b_subscription = b_->service().feed().Subscribe({}, &b_feed);
  Watcher open(*a_, a_->Guard({"open"}), "open");
  Watcher all(*a_, a_->Guard(), "");
  std::vector<std::string> open_ids;
  std::vector<std::string> all_ids;
  for (int i = 0; i < 6; ++i) {
    GateHarness& via = i % 2 == 0 ? *b_ : *a_;
    const v1::RecordPassageResponse o =
        MustRecord(via, GateHarness::Entry(absl::StrCat("o", i), "open", "main", ValidId(10 + i)));
    const v1::RecordPassageResponse f = MustRecord(
        via, GateHarness::Entry(absl::StrCat("f", i), "family", "south", ValidId(30 + i)));
    open_ids.push_back(o.passage().passage_id());
    all_ids.push_back(o.passage().passage_id());
    all_ids.push_back(f.passage().passage_id());
  }
  // A batch through replica B arrives too.
  v1::BatchRecordPassagesRequest batch;
  batch.set_request_id("batch-1");
  *batch.add_requests() = GateHarness::Entry("ob1", "open", "main", ValidId(50));
  *batch.add_requests() = GateHarness::Entry("ob2", "open", "main", ValidId(51));
  auto ctx = NewClientContext(b_->Guard());
  v1::BatchRecordPassagesResponse resp;
  ASSERT_TRUE(b_->stub().BatchRecordPassages(ctx.get(), batch, &resp).ok());
  ASSERT_EQ(resp.responses_size(), 2);
  for (const auto& r : resp.responses()) {
    open_ids.push_back(r.passage().passage_id());
    all_ids.push_back(r.passage().passage_id());
  }

  ASSERT_TRUE(open.WaitFor(open_ids.size()));
  ASSERT_TRUE(all.WaitFor(all_ids.size()));
  // A last passage: once it has arrived, anything sent twice would have arrived before it.
  const v1::RecordPassageResponse last =
      MustRecord(*b_, GateHarness::Entry("last", "open", "main", ValidId(60)));
  open_ids.push_back(last.passage().passage_id());
  all_ids.push_back(last.passage().passage_id());
  ASSERT_TRUE(open.WaitFor(open_ids.size()));
  ASSERT_TRUE(all.WaitFor(all_ids.size()));
  EXPECT_THAT(open.Ids(), ElementsAreArray(open_ids));
  EXPECT_THAT(all.Ids(), ElementsAreArray(all_ids));
  // Replica B published the same, once each, in the same order...
  ASSERT_TRUE(PollUntil([&] { return b_feed.got().size() >= all_ids.size(); }, kWait));
  std::vector<std::string> b_ids;
  for (const v1::Passage& p : b_feed.got()) b_ids.push_back(p.passage_id());
  EXPECT_THAT(b_ids, ElementsAreArray(all_ids));
  b_->service().feed().Unsubscribe(b_subscription);
  // ...and a watcher on replica B gets what is recorded through A.
  Watcher on_b(*b_, b_->Guard({"open"}), "open");
  const v1::RecordPassageResponse more =
      MustRecord(*a_, GateHarness::Entry("more", "open", "main", ValidId(61)));
  ASSERT_TRUE(on_b.WaitFor(1));
  EXPECT_THAT(on_b.Ids(), ElementsAre(more.passage().passage_id()));
}

TEST_F(GateReplicasTest, AReplicaThatLostItsListeningConnectionPublishesWhatItMissed) {
  Watcher watcher(*a_, a_->Guard({"open"}), "open");
  std::vector<std::string> ids;
  ids.push_back(
      MustRecord(*b_, GateHarness::Entry("p1", "open", "main", ValidId(1))).passage().passage_id());
  ASSERT_TRUE(watcher.WaitFor(1));

  // Cut both replicas' listening connections and keep them from coming back: new sessions on
  // the database are read-only, which a listener (asking for a read-write session) refuses.
  // The replicas' database connections, opened before, keep writing.
  ASSERT_OK(lianfang::testing::CutListenersOfDatabase(url_));
  ASSERT_TRUE(PollUntil([&] { return !a_->service().relay()->listening(); }, kWait));

  for (int i = 2; i <= 4; ++i) {
    ids.push_back(
        MustRecord(*b_, GateHarness::Entry(absl::StrCat("p", i), "open", "main", ValidId(i)))
            .passage()
            .passage_id());
  }
  // Let new sessions write again (this one overrides the database's default for itself).
  ASSERT_OK(lianfang::testing::LetListenersBackIntoDatabase(url_));
  ASSERT_TRUE(PollUntil([&] { return a_->service().relay()->resumes() == 1; }, kWait));
  ids.push_back(
      MustRecord(*b_, GateHarness::Entry("p5", "open", "main", ValidId(5))).passage().passage_id());
  ASSERT_TRUE(watcher.WaitFor(ids.size()));
  EXPECT_THAT(watcher.Ids(), ElementsAreArray(ids));
}

// ---- The relay alone ---------------------------------------------------------------------------

v1::Passage StoredPassage(const std::string& id, const std::string& guard) {
  v1::Passage p;
  p.set_passage_id(id);
  p.set_site_id("open");
  p.set_gate_id("main");
  p.set_direction(v1::DIRECTION_ENTRY);
  p.set_decision(v1::DECISION_ADMITTED);
  p.set_person_key(std::string(64, 'a'));
  p.set_id_masked("1101**********1234");
  p.set_name_masked("李*");
  p.set_temperature_c(36.5);
  *p.mutable_captured_at() = time::ToTimestamp(absl::FromUnixSeconds(1'772'445'600));
  *p.mutable_recorded_at() = time::ToTimestamp(absl::FromUnixSeconds(1'772'445'600));
  p.set_guard(guard);
  return p;
}

// Stores `passage` and notifies it in one transaction; undone when `commit` is false.
absl::Status StoreAndNotify(sql::Database& db, v1::Passage passage, bool commit = true) {
  return db.Write([&](sql::Session& s) -> absl::Status {
    // The seq is drawn as a recorded passage's is: with its facts.
    int64_t seq = 0;
    RETURN_IF_ERROR(ReadPassageFacts(s, passage.site_id(), passage.person_key(), "",
                                     time::FromTimestamp(passage.captured_at()), &seq)
                        .status());
    passage.set_seq(seq);
    RETURN_IF_ERROR(StorePassage(s, passage));
    RETURN_IF_ERROR(NotifyPassage(s, passage));
    return commit ? absl::OkStatus() : absl::AbortedError("undone on purpose");
  });
}

TEST(PassageRelayTest, PublishesCommittedPassagesInCommitOrderAndReadsBackOversizedOnes) {
  ASSERT_OK_AND_ASSIGN(const std::string url, lianfang::testing::NewPostgresDatabase("gate_relay"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<sql::Database> db, sql::Database::Open(url));
  ASSERT_OK(db->Migrate("gate", Migrations()));
  PassageFeed feed;
  Collector collector;
  feed.Subscribe({}, &collector);
  PassageRelay relay(db.get(), &feed);
  ASSERT_OK(relay.Start(url));

  // A token subject this long makes the encoded passage exceed a notification's 8000 bytes.
  const std::string long_guard(7000, 'g');
  EXPECT_EQ(PassagePayload(StoredPassage("p2", long_guard)), "#p2");

  ASSERT_OK(StoreAndNotify(*db, StoredPassage("p1", "guard-1")));
  EXPECT_FALSE(StoreAndNotify(*db, StoredPassage("undone", "guard-1"), false).ok());
  ASSERT_OK(StoreAndNotify(*db, StoredPassage("p2", long_guard)));
  ASSERT_OK(StoreAndNotify(*db, StoredPassage("p3", "guard-1")));
  ASSERT_TRUE(PollUntil([&] { return collector.got().size() >= 3; }, kWait));
  const std::vector<v1::Passage> got = collector.got();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].passage_id(), "p1");
  EXPECT_EQ(got[1].passage_id(), "p2");
  EXPECT_EQ(got[1].guard(), long_guard);
  EXPECT_EQ(got[2].passage_id(), "p3");
  EXPECT_GT(got[0].seq(), 0);
  EXPECT_LT(got[0].seq(), got[2].seq());
  relay.Stop();
}

}  // namespace
}  // namespace lianfang::gate
