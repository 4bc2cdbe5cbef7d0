#include "common/redis/subscriber.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/redis/client.h"
#include "common/redis/keys.h"
#include "common/status/status_matchers.h"
#include "common/testing/poll.h"
#include "common/testing/with_redis.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::redis {
namespace {

using ::lianfang::testing::PollUntil;
using ::lianfang::testing::StatusIs;
using ::testing::Contains;
using ::testing::Pair;

constexpr absl::Duration kBound = absl::Seconds(30);

// Collects what a Subscriber delivers.
class Inbox {
 public:
  void Add(absl::string_view channel, absl::string_view message) {
    absl::MutexLock lock(&mu_);
    messages_.emplace_back(std::string(channel), std::string(message));
  }
  void Reconnected() {
    absl::MutexLock lock(&mu_);
    ++reconnects_;
  }
  std::vector<std::pair<std::string, std::string>> messages() const {
    absl::MutexLock lock(&mu_);
    return messages_;
  }
  int reconnects() const {
    absl::MutexLock lock(&mu_);
    return reconnects_;
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
  int reconnects_ ABSL_GUARDED_BY(mu_) = 0;
};

class SubscriberTest : public lianfang::testing::WithRedis {
 protected:
  void SetUp() override {
    WithRedis::SetUp();
    ASSERT_OK_AND_ASSIGN(endpoint_, ParseUrl(redis_url()));
    Client::Options options;
    options.connect_timeout = absl::Seconds(5);
    options.command_timeout = absl::Seconds(5);
    options.reconnect_backoff = absl::Milliseconds(20);
    publisher_ = std::make_unique<Client>(endpoint_, options);
  }

  static Subscriber::Options Fast() {
    Subscriber::Options options;
    options.connect_timeout = absl::Seconds(5);
    options.initial_backoff = absl::Milliseconds(10);
    options.max_backoff = absl::Milliseconds(100);
    return options;
  }

  Subscriber::Subscription To(std::vector<std::string> channels,
                              std::vector<std::string> patterns = {}) {
    return Subscriber::Subscription{
        std::move(channels), std::move(patterns),
        [this](absl::string_view c, absl::string_view m) { inbox_.Add(c, m); },
        [this] { inbox_.Reconnected(); }};
  }

  // Publishes until the subscriber has it: a notice sent while the subscription is being
  // re-established is lost by design, so retrying is what a test (not a service) does.
  bool PublishUntilReceived(const std::string& channel, const std::string& message) {
    return PollUntil(
        [&] {
          if (inbox_.Has(channel, message)) return true;
          publisher_->Publish(channel, message).IgnoreError();
          return inbox_.Has(channel, message);
        },
        kBound, absl::Milliseconds(50));
  }

  Endpoint endpoint_;
  std::unique_ptr<Client> publisher_;
  Inbox inbox_;
};

TEST_F(SubscriberTest, ReceivesNoticesOnChannelsAndPatterns) {
  Subscriber subscriber(endpoint_, Fast());
  ASSERT_OK(subscriber.Subscribe(To({kChangesChannel}, {"lf:test:*"})));
  ASSERT_TRUE(subscriber.WaitUntilSubscribed(kBound));
  EXPECT_TRUE(subscriber.connected());

  ASSERT_OK_AND_ASSIGN(std::string notice, ChangeNotice(kGate, "campus"));
  ASSERT_OK_AND_ASSIGN(int64_t receivers, publisher_->Publish(kChangesChannel, notice));
  EXPECT_EQ(receivers, 1);
  ASSERT_OK(publisher_->Publish("lf:test:pattern", std::string("bin\0ary", 7)));
  ASSERT_OK(publisher_->Publish("lf:other", "ignored"));
  ASSERT_TRUE(PollUntil([&] { return inbox_.messages().size() >= 2; }, kBound));
  EXPECT_THAT(inbox_.messages(), Contains(Pair("lf:changes", "gate:campus")));
  EXPECT_THAT(inbox_.messages(), Contains(Pair("lf:test:pattern", std::string("bin\0ary", 7))));
  // Nothing from channels it did not subscribe to.
  subscriber.Stop();
  EXPECT_EQ(inbox_.messages().size(), 2u);
  EXPECT_EQ(inbox_.reconnects(), 0);  // the first subscription is not a reconnection
  EXPECT_EQ(subscriber.subscriptions(), 1u);
}

TEST_F(SubscriberTest, ResubscribesAfterRedisRestartsAndCallsOnReconnect) {
  Subscriber subscriber(endpoint_, Fast());
  ASSERT_OK(subscriber.Subscribe(To({kChangesChannel})));
  ASSERT_TRUE(subscriber.WaitUntilSubscribed(kBound));
  ASSERT_TRUE(PublishUntilReceived(kChangesChannel, "gate:before"));

  ASSERT_OK(redis_server().Kill());
  ASSERT_TRUE(PollUntil([&] { return !subscriber.connected(); }, kBound));
  ASSERT_OK(redis_server().Start());

  ASSERT_TRUE(PollUntil([&] { return inbox_.reconnects() == 1; }, kBound));
  EXPECT_EQ(subscriber.reconnects(), 1u);
  ASSERT_TRUE(subscriber.WaitUntilSubscribed(kBound));
  EXPECT_TRUE(PublishUntilReceived(kChangesChannel, "gate:after"));
}

TEST_F(SubscriberTest, StartsWhileRedisIsDownAndSubscribesWhenItComes) {
  ASSERT_OK(redis_server().Stop());
  Subscriber subscriber(endpoint_, Fast());
  ASSERT_OK(subscriber.Subscribe(To({kChangesChannel})));
  EXPECT_FALSE(subscriber.connected());
  ASSERT_OK(redis_server().Start());
  ASSERT_TRUE(subscriber.WaitUntilSubscribed(kBound));
  // Redis "came back" for this subscriber: counts must be rebuilt.
  ASSERT_TRUE(PollUntil([&] { return inbox_.reconnects() == 1; }, kBound));
  EXPECT_TRUE(PublishUntilReceived(kChangesChannel, "survey:village"));
}

TEST_F(SubscriberTest, SilentServerIsNoticedByTheHealthCheck) {
  Subscriber::Options options = Fast();
  options.health_check_interval = absl::Milliseconds(100);
  options.connect_timeout = absl::Milliseconds(200);
  Subscriber subscriber(endpoint_, options);
  ASSERT_OK(subscriber.Subscribe(To({kChangesChannel})));
  ASSERT_TRUE(subscriber.WaitUntilSubscribed(kBound));
  ASSERT_OK(redis_server().Freeze());
  ASSERT_TRUE(PollUntil([&] { return !subscriber.connected(); }, kBound));
  ASSERT_OK(redis_server().Thaw());
  ASSERT_TRUE(PollUntil([&] { return inbox_.reconnects() >= 1; }, kBound));
  EXPECT_TRUE(PublishUntilReceived(kChangesChannel, "dispatch:campus"));
}

TEST_F(SubscriberTest, StopUnsubscribesAndIsIdempotent) {
  auto subscriber = std::make_unique<Subscriber>(endpoint_, Fast());
  ASSERT_OK(subscriber->Subscribe(To({kChangesChannel})));
  ASSERT_TRUE(subscriber->WaitUntilSubscribed(kBound));
  subscriber->Stop();
  EXPECT_FALSE(subscriber->connected());
  // The connection is closed: Redis counts no subscriber any more.
  EXPECT_TRUE(PollUntil(
      [&] {
        absl::StatusOr<int64_t> receivers = publisher_->Publish(kChangesChannel, "gate:x");
        return receivers.ok() && *receivers == 0;
      },
      kBound));
  subscriber->Stop();
  EXPECT_THAT(subscriber->Subscribe(To({kChangesChannel})),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  subscriber.reset();
}

TEST_F(SubscriberTest, StopWhileRedisIsDownReturns) {
  ASSERT_OK(redis_server().Kill());
  Subscriber subscriber(endpoint_, Fast());
  ASSERT_OK(subscriber.Subscribe(To({kChangesChannel})));
  subscriber.Stop();
  EXPECT_FALSE(subscriber.connected());
}

TEST_F(SubscriberTest, InvalidSubscriptionsAreRejected) {
  Subscriber subscriber(endpoint_, Fast());
  EXPECT_THAT(subscriber.Subscribe(To({})), StatusIs(absl::StatusCode::kInvalidArgument));
  Subscriber::Subscription no_callback = To({kChangesChannel});
  no_callback.on_message = nullptr;
  EXPECT_THAT(subscriber.Subscribe(no_callback), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK(subscriber.Subscribe(To({kChangesChannel})));
  EXPECT_THAT(subscriber.Subscribe(To({kChangesChannel})),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace lianfang::redis
