#include "common/testing/redis_server.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status/status_matchers.h"
#include "common/testing/with_redis.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::testing {
namespace {

using ::testing::StartsWith;

TEST(RedisServerTest, LaunchedServerAnswersOnItsPort) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisServer> redis, RedisServer::Launch());
  EXPECT_TRUE(redis->running());
  EXPECT_GT(redis->port(), 0);
  EXPECT_EQ(redis->url(), absl::StrCat("redis://127.0.0.1:", redis->port(), "/0"));
  EXPECT_THAT(RedisCommandForTest(redis->port(), {"PING"}), IsOkAndHolds("PONG"));
}

TEST(RedisServerTest, KilledServerComesBackEmptyOnTheSamePort) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisServer> redis, RedisServer::Launch());
  const int port = redis->port();
  ASSERT_OK(RedisCommandForTest(port, {"SET", "k", "v"}));
  ASSERT_OK(redis->Kill());
  EXPECT_FALSE(redis->running());
  EXPECT_THAT(RedisCommandForTest(port, {"PING"}), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_OK(redis->Restart());
  EXPECT_EQ(redis->port(), port);
  EXPECT_THAT(RedisCommandForTest(port, {"EXISTS", "k"}), IsOkAndHolds("0"));
}

TEST(RedisServerTest, FrozenServerDoesNotAnswerUntilThawed) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisServer> redis, RedisServer::Launch());
  ASSERT_OK(redis->Freeze());
  EXPECT_THAT(RedisCommandForTest(redis->port(), {"PING"}, absl::Milliseconds(100)),
              StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_OK(redis->Thaw());
  EXPECT_THAT(RedisCommandForTest(redis->port(), {"PING"}), IsOkAndHolds("PONG"));
}

TEST(RedisServerTest, StopEndsTheServerAndIsIdempotent) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisServer> redis, RedisServer::Launch());
  ASSERT_OK(redis->Stop());
  EXPECT_FALSE(redis->running());
  EXPECT_OK(redis->Stop());
  EXPECT_THAT(redis->Flush(), StatusIs(absl::StatusCode::kUnavailable));
}

class WithRedisTest : public WithRedis {};

TEST_F(WithRedisTest, FirstTestWritesAKey) {
  EXPECT_THAT(redis_url(), StartsWith("redis://127.0.0.1:"));
  ASSERT_OK(RedisCommandForTest(redis_port(), {"SET", "leftover", "1"}));
  // Leave the server dead: the next test must still get a running, empty one.
  ASSERT_OK(redis_server().Kill());
}

TEST_F(WithRedisTest, SecondTestStartsWithARunningEmptyServer) {
  EXPECT_TRUE(redis_server().running());
  EXPECT_THAT(RedisCommandForTest(redis_port(), {"DBSIZE"}), IsOkAndHolds("0"));
  ASSERT_OK(RedisCommandForTest(redis_port(), {"SET", "leftover", "1"}));
}

TEST_F(WithRedisTest, ThirdTestSeesNoKeysOfTheSecond) {
  EXPECT_THAT(RedisCommandForTest(redis_port(), {"DBSIZE"}), IsOkAndHolds("0"));
}

}  // namespace
}  // namespace lianfang::testing
