// The gate's live counts in Redis equal the SQL truth: after passages and duty changes, after
// a FLUSHALL, after a Redis restart, and while Redis is down (passages never fail). Also: a
// WatchPassages client that never reads does not slow the gate.
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/redis/client.h"
#include "common/redis/keys.h"
#include "common/server/grpc_status.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/poll.h"
#include "common/testing/with_redis.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/gate/gate_harness.h"
#include "tests/services/gate/gate_test_util.h"

namespace lianfang::gate {
namespace {

using ::lianfang::gate::testing::GateHarness;
using ::lianfang::gate::testing::ValidId;
using ::lianfang::testing::NewClientContext;
using ::lianfang::testing::PollUntil;

constexpr absl::Duration kWait = absl::Seconds(30);

class GateLiveCountsTest : public lianfang::testing::WithRedis {
 protected:
  void SetUp() override {
    WithRedis::SetUp();
    absl::StatusOr<std::unique_ptr<GateHarness>> h =
        GateHarness::Start({.redis_url = redis_url(), .watch_queue_limit = 4});
    ASSERT_TRUE(h.ok()) << h.status();
    h_ = *std::move(h);
    redis_ = std::make_unique<redis::Client>(*redis::ParseUrl(redis_url()));
  }
  void TearDown() override { h_.reset(); }

  GateHarness& h() { return *h_; }

  // The figures of every site as SQL has them (through the service's own reads), in the
  // shape of the Redis hashes: "<site>:<field>" -> value.
  std::map<std::string, std::string> SqlTruth() {
    std::map<std::string, std::string> out;
    for (const std::string& site : h().sites().ids()) {
      absl::StatusOr<v1::Occupancy> o = h().Occupancy(site);
      if (!o.ok()) return {};
      out[site + ":onsite"] = absl::StrCat(o->onsite());
      out[site + ":entries"] = absl::StrCat(o->entries_today());
      out[site + ":exits"] = absl::StrCat(o->exits_today());
      out[site + ":denied"] = absl::StrCat(o->denied_today());
      out[site + ":fevers"] = absl::StrCat(o->fevers_today());
    }
    v1::ListDutyRequest list;
    auto ctx = NewClientContext(h().Admin());
    v1::ListDutyResponse duty;
    if (!server::FromGrpcStatus(h().stub().ListDuty(ctx.get(), list, &duty)).ok()) return {};
    std::map<std::string, int> unguarded;
    for (const std::string& site : h().sites().ids()) unguarded[site] = 0;
    for (const v1::GateDuty& g : duty.gates()) {
      if (g.guard().empty()) ++unguarded[g.site_id()];
    }
    for (const auto& [site, n] : unguarded) {
      out[site + ":gates_without_guard"] = absl::StrCat(n);
    }
    return out;
  }

  // The same figures as Redis has them (missing fields read as "<missing>").
  std::map<std::string, std::string> RedisFigures() {
    std::map<std::string, std::string> out;
    const absl::CivilDay today = time::DayOf(h().clock().Now(), h().tz());
    for (const std::string& site : h().sites().ids()) {
      absl::StatusOr<std::map<std::string, std::string>> live =
          redis_->HGetAll(*redis::LiveKey("gate", site));
      absl::StatusOr<std::map<std::string, std::string>> day =
          redis_->HGetAll(*redis::DayKey("gate", site, today));
      if (!live.ok() || !day.ok()) return {};
      auto get = [](const std::map<std::string, std::string>& m, const std::string& f) {
        auto it = m.find(f);
        return it == m.end() ? std::string("<missing>") : it->second;
      };
      for (const char* f : {"onsite", "gates_without_guard"}) out[site + ":" + f] = get(*live, f);
      for (const char* f : {"entries", "exits", "denied", "fevers"}) {
        out[site + ":" + f] = get(*day, f);
      }
    }
    return out;
  }

  // Polls until Redis equals SQL; on timeout, reports both.
  void ExpectRedisEqualsSql(const char* when) {
    std::map<std::string, std::string> truth = SqlTruth();
    ASSERT_FALSE(truth.empty());
    const bool equal = PollUntil([&] { return RedisFigures() == truth; }, kWait);
    if (!equal) {
      std::string diff;
      std::map<std::string, std::string> got = RedisFigures();
      for (const auto& [k, v] : truth) {
        if (got[k] != v) absl::StrAppend(&diff, k, " sql=", v, " redis=", got[k], "; ");
      }
      ADD_FAILURE() << when << ": Redis differs from SQL: " << diff;
    }
  }

  void RecordSome(const std::string& prefix) {
    for (int n = 0; n < 3; ++n) {
      auto r = h().Record(
          GateHarness::Entry(absl::StrCat(prefix, "-in-", n), "open", "main", ValidId(n)));
      ASSERT_TRUE(r.ok()) << r.status();
    }
    ASSERT_TRUE(h().Record(GateHarness::Exit(prefix + "-out", "open", "main", ValidId(0))).ok());
    ASSERT_TRUE(
        h().Record(GateHarness::Entry(prefix + "-fever", "campus", "east", ValidId(7), 39.1)).ok());
    ASSERT_TRUE(
        h().Record(GateHarness::Entry(prefix + "-nopass", "family", "south", ValidId(8))).ok());
  }

  std::unique_ptr<GateHarness> h_;
  std::unique_ptr<redis::Client> redis_;
};

TEST_F(GateLiveCountsTest, RedisEqualsSqlAfterFlushAndRestartAndOutage) {
  RecordSome("a");
  {
    v1::StartDutyRequest r;
    r.set_request_id("duty-1");
    r.set_site_id("campus");
    r.set_gate_id("east");
    auto ctx = NewClientContext(h().Guard({"campus"}));
    v1::StartDutyResponse resp;
    ASSERT_OK(server::FromGrpcStatus(h().stub().StartDuty(ctx.get(), r, &resp)));
  }
  ExpectRedisEqualsSql("after passages");
  EXPECT_EQ(RedisFigures()["campus:gates_without_guard"], "1");
  EXPECT_EQ(RedisFigures()["open:onsite"], "2");

  ASSERT_OK(redis_server().Flush());
  ExpectRedisEqualsSql("after FLUSHALL");

  ASSERT_OK(redis_server().Restart());
  ExpectRedisEqualsSql("after a restart");

  // Redis down: passages still succeed; the counts heal when it is back.
  ASSERT_OK(redis_server().Kill());
  RecordSome("b");
  ASSERT_OK(redis_server().Start());
  ExpectRedisEqualsSql("after an outage");

  ASSERT_OK(h().live().ReconcileAndWait(kWait));
  EXPECT_EQ(RedisFigures(), SqlTruth());
}

TEST_F(GateLiveCountsTest, WatcherThatNeverReadsDoesNotSlowTheGate) {
  v1::WatchPassagesRequest watch;
  auto ctx = NewClientContext(h().Admin(), absl::Seconds(120));
  auto reader = h().stub().WatchPassages(ctx.get(), watch);
  reader->WaitForInitialMetadata();
  // Far more than the client's flow-control window and the per-client queue (4) hold.
  for (int i = 0; i < 600; ++i) {
    v1::RecordPassageRequest r =
        GateHarness::Entry(absl::StrCat("w", i), "open", "main", ValidId(i % 1000));
    r.mutable_person()->set_name(std::string(60, 'x'));  // bigger messages fill the window
    auto resp = h().Record(r);
    ASSERT_TRUE(resp.ok()) << i << ": " << resp.status();
  }
  v1::Passage first;
  EXPECT_TRUE(reader->Read(&first));  // the stream still works
  ctx->TryCancel();
  while (reader->Read(&first)) {
  }
  (void)reader->Finish();
}

}  // namespace
}  // namespace lianfang::gate
