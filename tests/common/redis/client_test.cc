#include "common/redis/client.h"

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/redis/keys.h"
#include "common/status/status_matchers.h"
#include "common/testing/poll.h"
#include "common/testing/ports.h"
#include "common/testing/with_redis.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::redis {
namespace {

using ::lianfang::testing::IsOk;
using ::lianfang::testing::PollUntil;
using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;

class ClientTest : public lianfang::testing::WithRedis {
 protected:
  // Generous timeouts: a loaded test machine must not turn a slow reply into a failure.
  // Tests about timeouts set their own.
  static Client::Options Relaxed() {
    Client::Options options;
    options.connect_timeout = absl::Seconds(5);
    options.command_timeout = absl::Seconds(5);
    return options;
  }

  std::unique_ptr<Client> NewClient(Client::Options options = Relaxed()) {
    auto client = Client::FromUrl(redis_url(), options);
    EXPECT_THAT(client, IsOk());
    return client.ok() ? *std::move(client) : nullptr;
  }
};

TEST_F(ClientTest, CommandsRoundTrip) {
  auto client = NewClient();
  EXPECT_FALSE(client->available());  // nothing tried yet
  ASSERT_OK(client->Ping());
  EXPECT_TRUE(client->available());

  ASSERT_OK(client->Set("k", "v"));
  EXPECT_THAT(*client->Get("k"), Optional(std::string("v")));
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> missing, client->Get("nope"));
  EXPECT_EQ(missing, std::nullopt);
  ASSERT_OK_AND_ASSIGN(bool exists, client->Exists("k"));
  EXPECT_TRUE(exists);
  ASSERT_OK_AND_ASSIGN(int64_t removed, client->Del("k"));
  EXPECT_EQ(removed, 1);
  ASSERT_OK_AND_ASSIGN(exists, client->Exists("k"));
  EXPECT_FALSE(exists);

  ASSERT_OK_AND_ASSIGN(std::string key, DayKey(kGate, "campus", absl::CivilDay(2026, 3, 1)));
  ASSERT_OK_AND_ASSIGN(int64_t entries, client->HIncrBy(key, kFieldEntries, 1));
  EXPECT_EQ(entries, 1);
  ASSERT_OK_AND_ASSIGN(entries, client->HIncrBy(key, kFieldEntries, 2));
  EXPECT_EQ(entries, 3);
  ASSERT_OK(client->HSet(key, {{kFieldExits, "5"}, {kFieldDenied, "0"}}));
  ASSERT_OK_AND_ASSIGN(auto fields, client->HGetAll(key));
  EXPECT_EQ(fields, (std::map<std::string, std::string>{
                        {"denied", "0"}, {"entries", "3"}, {"exits", "5"}}));
  EXPECT_THAT(client->HGet(key, kFieldExits), IsOk());
  EXPECT_THAT(*client->HGet(key, kFieldExits), Optional(std::string("5")));
  EXPECT_THAT(*client->HGet(key, kFieldFevers), ::testing::Eq(std::nullopt));
  ASSERT_OK_AND_ASSIGN(auto empty, client->HGetAll("lf:{none}:gate:live"));
  EXPECT_TRUE(empty.empty());

  ASSERT_OK_AND_ASSIGN(bool expiring, client->Expire(key, absl::Hours(1)));
  EXPECT_TRUE(expiring);
  ASSERT_OK_AND_ASSIGN(Reply ttl, client->Command({"PTTL", key}));
  EXPECT_GT(ttl.integer(), 0);
  ASSERT_OK_AND_ASSIGN(int64_t receivers, client->Publish(kChangesChannel, "gate:campus"));
  EXPECT_EQ(receivers, 0);
}

TEST_F(ClientTest, ValuesAreBinarySafe) {
  auto client = NewClient();
  std::string value;
  for (int b = 0; b < 256; ++b) value.push_back(static_cast<char>(b));
  value += "\r\n$3\r\nend\0tail";
  const std::string key("bin\0key\r\n", 9);
  ASSERT_OK(client->Set(key, value));
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> got, client->Get(key));
  EXPECT_EQ(got, value);
  ASSERT_OK(client->HSet("h", {{std::string("f\0", 2), value}}));
  ASSERT_OK_AND_ASSIGN(auto fields, client->HGetAll("h"));
  EXPECT_EQ(fields[std::string("f\0", 2)], value);
  ASSERT_OK(client->Set("utf8", "李小妮"));
  EXPECT_THAT(*client->Get("utf8"), Optional(std::string("李小妮")));
}

TEST_F(ClientTest, PipelineKeepsOrderAndReportsErrorsInPlace) {
  auto client = NewClient();
  ASSERT_OK_AND_ASSIGN(std::vector<Reply> replies,
                       client->Pipeline({{"SET", "s", "text"},
                                         {"HINCRBY", "s", "f", "1"},  // wrong type
                                         {"GET", "s"},
                                         {"INCR", "n"},
                                         {"GET", "missing"}}));
  ASSERT_EQ(replies.size(), 5u);
  EXPECT_EQ(replies[0], Reply::StatusText("OK"));
  EXPECT_TRUE(replies[1].is_error());
  EXPECT_THAT(replies[1].str(), HasSubstr("WRONGTYPE"));
  EXPECT_EQ(replies[2], Reply::String("text"));
  EXPECT_EQ(replies[3], Reply::Integer(1));
  EXPECT_TRUE(replies[4].is_nil());
  ASSERT_OK_AND_ASSIGN(std::vector<Reply> none, client->Pipeline({}));
  EXPECT_TRUE(none.empty());
  EXPECT_THAT(client->Pipeline({{"PING"}, {}}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ClientTest, ErrorReplyToACommandIsFailedPrecondition) {
  auto client = NewClient();
  ASSERT_OK(client->Set("s", "text"));
  EXPECT_THAT(client->HIncrBy("s", "f", 1),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("WRONGTYPE")));
  EXPECT_THAT(client->Command({"NOSUCHCOMMAND"}), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(client->Command({}), StatusIs(absl::StatusCode::kInvalidArgument));
  // The connection is still good.
  EXPECT_OK(client->Ping());
  EXPECT_EQ(client->stats().connects, 1u);
}

TEST_F(ClientTest, ReplaceHashSwapsTheWholeHashAtOnce) {
  auto client = NewClient();
  ASSERT_OK_AND_ASSIGN(std::string key, LiveKey(kGate, "campus"));
  ASSERT_OK(client->HSet(key, {{"onsite", "10"}, {"stale_field", "1"}}));
  ASSERT_OK(
      client->ReplaceHash(key, {{"onsite", "7"}, {"gates_without_guard", "0"}}, absl::Hours(2)));
  ASSERT_OK_AND_ASSIGN(auto fields, client->HGetAll(key));
  EXPECT_EQ(fields,
            (std::map<std::string, std::string>{{"gates_without_guard", "0"}, {"onsite", "7"}}));
  ASSERT_OK_AND_ASSIGN(Reply ttl, client->Command({"PTTL", key}));
  EXPECT_GT(ttl.integer(), 0);
  ASSERT_OK(client->ReplaceHash(key, {}));
  ASSERT_OK_AND_ASSIGN(bool exists, client->Exists(key));
  EXPECT_FALSE(exists);
  ASSERT_OK(client->Set("str", "x"));
  ASSERT_OK(client->ReplaceHash("str", {{"a", "1"}}));  // DEL first: the type does not matter
}

TEST_F(ClientTest, DatabaseOfTheUrlIsSelected) {
  ASSERT_OK_AND_ASSIGN(
      auto db3, Client::FromUrl(absl::StrCat("redis://127.0.0.1:", redis_port(), "/3"), Relaxed()));
  ASSERT_OK_AND_ASSIGN(
      auto db0, Client::FromUrl(absl::StrCat("redis://127.0.0.1:", redis_port(), "/0"), Relaxed()));
  ASSERT_OK(db3->Set("where", "three"));
  ASSERT_OK_AND_ASSIGN(bool in_db0, db0->Exists("where"));
  EXPECT_FALSE(in_db0);
  EXPECT_THAT(*db3->Get("where"), Optional(std::string("three")));
  ASSERT_OK_AND_ASSIGN(
      auto db99,
      Client::FromUrl(absl::StrCat("redis://127.0.0.1:", redis_port(), "/99"), Relaxed()));
  EXPECT_THAT(db99->Ping(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("database 99")));
}

TEST_F(ClientTest, BadUrlIsRejected) {
  EXPECT_THAT(Client::FromUrl("redis//127.0.0.1"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ClientTest, KilledServerFailsCallsFastWithUnavailableThenRecovers) {
  Client::Options options = Relaxed();
  options.reconnect_backoff = absl::Milliseconds(50);
  auto client = NewClient(options);
  ASSERT_OK(client->HIncrBy("counter", "n", 1));
  ASSERT_OK(redis_server().Kill());

  // Every call returns promptly with UNAVAILABLE; none hangs (the test's timeout guards).
  for (int i = 0; i < 50; ++i) {
    EXPECT_THAT(client->HIncrBy("counter", "n", 1), StatusIs(absl::StatusCode::kUnavailable));
    EXPECT_THAT(client->Pipeline({{"PING"}}), StatusIs(absl::StatusCode::kUnavailable));
  }
  EXPECT_FALSE(client->available());
  EXPECT_GE(client->stats().failed_calls, 100u);

  ASSERT_OK(redis_server().Start());
  EXPECT_TRUE(PollUntil([&] { return client->Ping().ok(); }, absl::Seconds(30)));
  EXPECT_TRUE(client->available());
  // Redis came back empty: the count starts over (the reconciler's job to heal).
  ASSERT_OK_AND_ASSIGN(int64_t n, client->HIncrBy("counter", "n", 1));
  EXPECT_EQ(n, 1);
}

TEST_F(ClientTest, RestartedServerIsReachedWithoutAFailedCall) {
  auto client = NewClient();
  ASSERT_OK(client->Ping());
  ASSERT_OK(redis_server().Restart());
  // The closed connection is noticed before the command is sent, and replaced.
  EXPECT_OK(client->Set("after", "restart"));
  EXPECT_EQ(client->stats().connects, 2u);
  EXPECT_EQ(client->stats().failed_calls, 0u);
}

TEST_F(ClientTest, HungServerTimesOutWithUnavailable) {
  Client::Options options;
  options.command_timeout = absl::Milliseconds(100);
  options.reconnect_backoff = absl::Milliseconds(10);
  auto client = NewClient(options);
  ASSERT_OK(client->Ping());
  ASSERT_OK(redis_server().Freeze());
  EXPECT_THAT(client->Ping(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("timed out")));
  EXPECT_FALSE(client->available());
  ASSERT_OK(redis_server().Thaw());
  EXPECT_TRUE(PollUntil([&] { return client->Ping().ok(); }, absl::Seconds(30)));
}

TEST_F(ClientTest, UnreachableRedisDoesNotPreventConstructionAndBacksOff) {
  ASSERT_OK_AND_ASSIGN(int port, lianfang::testing::PickFreePort());
  Client::Options options = Relaxed();
  options.reconnect_backoff = absl::Hours(1);
  ASSERT_OK_AND_ASSIGN(auto client,
                       Client::FromUrl(absl::StrCat("redis://127.0.0.1:", port, "/0"), options));
  EXPECT_THAT(client->Ping(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("connect")));
  // Within the backoff no connection is attempted: the call fails at once.
  EXPECT_THAT(client->Ping(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("backoff")));
  EXPECT_EQ(client->stats().connects, 0u);
  EXPECT_EQ(client->stats().failed_calls, 2u);
}

TEST_F(ClientTest, ConcurrentCallersShareTheClientSafely) {
  auto client = NewClient();
  constexpr int kThreads = 8;
  constexpr int kIncrements = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        if (!client->HIncrBy("h", "n", 1).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_THAT(*client->HGet("h", "n"), Optional(absl::StrCat(kThreads * kIncrements)));
}

}  // namespace
}  // namespace lianfang::redis
