// Client and Subscriber through Redis Sentinel, over real processes on loopback ports picked
// at run time: a master, its replica and one redis-sentinel. When the master is killed the
// Sentinel promotes the replica, and both follow it without being restarted.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/redis/client.h"
#include "common/redis/endpoint.h"
#include "common/redis/keys.h"
#include "common/redis/subscriber.h"
#include "common/status/status_matchers.h"
#include "common/testing/poll.h"
#include "common/testing/ports.h"
#include "common/testing/redis_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::redis {
namespace {

using ::lianfang::testing::PollUntil;
using ::lianfang::testing::RedisCommandForTest;
using ::lianfang::testing::RedisServer;
using ::lianfang::testing::SentinelGroup;
using ::lianfang::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Optional;

// Generous: detecting the dead master (down-after 500 ms) and promoting the replica takes a
// few seconds, more on a loaded machine.
constexpr absl::Duration kBound = absl::Seconds(60);

// Generous per-call timeouts (a loaded machine must not turn a slow reply into a failure) and
// a short backoff so that polling loops retry often.
Client::Options Relaxed() {
  Client::Options options;
  options.connect_timeout = absl::Seconds(5);
  options.command_timeout = absl::Seconds(5);
  options.reconnect_backoff = absl::Milliseconds(50);
  return options;
}

class SentinelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(group_, SentinelGroup::Launch());
    ASSERT_OK_AND_ASSIGN(endpoint_, ParseUrl(group_->url()));
    ASSERT_TRUE(endpoint_.uses_sentinel());
  }

  std::unique_ptr<SentinelGroup> group_;
  Endpoint endpoint_;
};

TEST_F(SentinelTest, ClientFollowsAFailoverToThePromotedReplica) {
  Client client(endpoint_, Relaxed());
  ASSERT_OK(client.Set("before", "1"));
  EXPECT_EQ(client.master_changes(), 0u);  // the first connection is not a change
  ASSERT_OK(group_->AwaitReplication(kBound));

  ASSERT_OK(group_->KillMasterAndAwaitFailover(kBound));
  // Calls fail (UNAVAILABLE) until the client asks the Sentinel again after its backoff; then
  // they reach the promoted replica, without a restart.
  ASSERT_TRUE(PollUntil([&] { return client.Set("after", "2").ok(); }, kBound));
  EXPECT_THAT(*client.Get("before"), Optional(std::string("1")));  // replicated before
  EXPECT_EQ(client.master_changes(), 1u);
  EXPECT_EQ(client.stats().master_changes, 1u);
  EXPECT_TRUE(client.available());
  // The write landed on the former replica.
  ASSERT_OK_AND_ASSIGN(std::string on_replica,
                       RedisCommandForTest(group_->replica().port(), {"GET", "after"}));
  EXPECT_EQ(on_replica, "2");
}

TEST_F(SentinelTest, UnknownMasterOrDeadSentinelFailsFastWithUnavailable) {
  Endpoint unknown = endpoint_;
  unknown.master_name = "nobody";
  Client wrong_name(unknown, Relaxed());
  EXPECT_THAT(wrong_name.Ping(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("does not know the master")));
  EXPECT_FALSE(wrong_name.available());

  ASSERT_OK_AND_ASSIGN(int dead_port, lianfang::testing::PickFreePort());
  Client::Options options = Relaxed();
  options.reconnect_backoff = absl::Hours(1);
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Client> dead,
      Client::FromUrl(absl::StrCat("redis-sentinel://127.0.0.1:", dead_port, "/",
                                   SentinelGroup::kMasterName, "/0"),
                      options));
  EXPECT_THAT(dead->Ping(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("Sentinel")));
  // Within the backoff nothing is asked: the call fails at once.
  EXPECT_THAT(dead->Ping(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("backoff")));
  EXPECT_EQ(dead->stats().connects, 0u);
}

TEST_F(SentinelTest, ALaterSentinelIsAskedWhenTheFirstIsDown) {
  ASSERT_OK_AND_ASSIGN(int dead_port, lianfang::testing::PickFreePort());
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Client> client,
      Client::FromUrl(absl::StrCat("redis-sentinel://127.0.0.1:", dead_port, ",127.0.0.1:",
                                   group_->sentinel().port(), "/", SentinelGroup::kMasterName,
                                   "/2"),
                      Relaxed()));
  ASSERT_OK(client->Set("where", "db2"));
  // The database of the URL is selected on the master.
  ASSERT_OK_AND_ASSIGN(std::string in_db0,
                       RedisCommandForTest(group_->master().port(), {"EXISTS", "where"}));
  EXPECT_EQ(in_db0, "0");
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> read_back, client->Get("where"));
  EXPECT_THAT(read_back, Optional(std::string("db2")));
}

// A master that becomes a replica behind the Sentinel's back answers writes with READONLY and
// ROLE with "slave": the client drops it and reports UNAVAILABLE until it is a master again.
// (A Sentinel with no replica to promote, so that it never fails over during the test.)
TEST(SentinelDemotionTest, AMasterTurnedReplicaIsTreatedAsUnreachable) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisServer> master, RedisServer::Launch());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisServer> other, RedisServer::Launch());
  RedisServer::SentinelSettings settings;
  settings.master_port = master->port();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisServer> sentinel,
                       RedisServer::LaunchSentinel(settings));
  ASSERT_OK_AND_ASSIGN(Endpoint endpoint, ParseUrl(sentinel->url()));
  Client client(endpoint, Relaxed());
  ASSERT_OK(client.Set("k", "v"));

  ASSERT_OK(RedisCommandForTest(master->port(),
                                {"REPLICAOF", "127.0.0.1", absl::StrCat(other->port())})
                .status());
  // READONLY drops the connection (LOADING first, while the new replica loads its copy).
  EXPECT_THAT(client.Set("k", "w"), StatusIs(absl::StatusCode::kUnavailable));
  // The next connection (after the backoff) checks the role of the server the Sentinel names.
  ASSERT_TRUE(PollUntil(
      [&] {
        absl::Status s = client.Set("k", "w");
        EXPECT_FALSE(s.ok());
        return absl::IsUnavailable(s) && absl::StrContains(s.message(), "not a master");
      },
      kBound));
  EXPECT_FALSE(client.available());

  ASSERT_OK(RedisCommandForTest(master->port(), {"REPLICAOF", "NO", "ONE"}).status());
  ASSERT_TRUE(PollUntil([&] { return client.Set("k", "x").ok(); }, kBound));
  EXPECT_EQ(client.master_changes(), 0u);  // the same server all along
}

// Collects what a Subscriber delivers.
class Inbox {
 public:
  void Add(absl::string_view channel, absl::string_view message) {
    absl::MutexLock lock(&mu_);
    messages_.emplace_back(std::string(channel), std::string(message));
  }
  bool Has(const std::string& channel, const std::string& message) const {
    absl::MutexLock lock(&mu_);
    for (const auto& m : messages_) {
      if (m.first == channel && m.second == message) return true;
    }
    return false;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::pair<std::string, std::string>> messages_ ABSL_GUARDED_BY(mu_);
};

TEST_F(SentinelTest, SubscriberResubscribesOnThePromotedReplica) {
  Subscriber::Options options;
  options.connect_timeout = absl::Seconds(5);
  options.initial_backoff = absl::Milliseconds(10);
  options.max_backoff = absl::Milliseconds(200);
  Subscriber subscriber(endpoint_, options);
  Inbox inbox;
  ASSERT_OK(subscriber.Subscribe({
      .channels = {kChangesChannel},
      .patterns = {},
      .on_message = [&](absl::string_view c, absl::string_view m) { inbox.Add(c, m); },
      .on_reconnect = nullptr,
  }));
  ASSERT_TRUE(subscriber.WaitUntilSubscribed(kBound));
  Client publisher(endpoint_, Relaxed());
  // A notice published while the subscription is being made again is lost by design: a test
  // publishes until it arrives.
  auto publish_until_received = [&](const std::string& message) {
    return PollUntil(
        [&] {
          if (inbox.Has(kChangesChannel, message)) return true;
          publisher.Publish(kChangesChannel, message).IgnoreError();
          return inbox.Has(kChangesChannel, message);
        },
        kBound, absl::Milliseconds(50));
  };
  ASSERT_TRUE(publish_until_received("gate:before"));

  ASSERT_OK(group_->KillMasterAndAwaitFailover(kBound));
  ASSERT_TRUE(PollUntil([&] { return subscriber.reconnects() == 1; }, kBound));
  ASSERT_TRUE(subscriber.WaitUntilSubscribed(kBound));
  // Published on the new master: the publisher followed it too.
  EXPECT_TRUE(publish_until_received("gate:after"));
  EXPECT_EQ(publisher.master_changes(), 1u);
}

}  // namespace
}  // namespace lianfang::redis
