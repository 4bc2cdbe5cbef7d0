// The live stream's engine: a snapshot at once, a new one soon after a change notice on
// lf:changes, bursts coalesced into a few snapshots carrying the latest figures, periodic
// refreshes, and watchers that never hold each other up.
#include "services/gateway/dashboard_hub.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/strings/str_cat.h"
#include "common/redis/keys.h"
#include "common/server/client.h"
#include "common/status/status_matchers.h"
#include "common/testing/poll.h"
#include "common/testing/ports.h"
#include "common/testing/with_redis.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/gateway/cache_reader.h"
#include "services/gateway/dashboard_reader.h"
#include "services/gateway/services_reader.h"
#include "tests/services/gateway/gateway_test_support.h"

namespace lianfang::gateway {
namespace {

using ::lianfang::testing::PollUntil;

// Records every snapshot offered to it.
class Recorder final : public DashboardHub::Watcher {
 public:
  void Offer(std::shared_ptr<const Dashboard> snapshot) override {
    absl::MutexLock lock(&mu_);
    snapshots_.push_back(std::move(snapshot));
  }
  void Close() override {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }
  bool closed() const {
    absl::MutexLock lock(&mu_);
    return closed_;
  }
  size_t count() const {
    absl::MutexLock lock(&mu_);
    return snapshots_.size();
  }
  std::shared_ptr<const Dashboard> last() const {
    absl::MutexLock lock(&mu_);
    return snapshots_.empty() ? nullptr : snapshots_.back();
  }
  int32_t LastEntries(const std::string& site_id) const {
    auto d = last();
    if (d == nullptr) return -1;
    for (const SiteLive& s : d->sites()) {
      if (s.site_id() == site_id) return s.entries_today();
    }
    return -1;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::shared_ptr<const Dashboard>> snapshots_;
  bool closed_ = false;
};

class DashboardHubTest : public lianfang::testing::WithRedis {
 protected:
  void SetUp() override {
    WithRedis::SetUp();
    endpoint_ = *redis::ParseUrl(redis_url());
    client_ = std::make_unique<redis::Client>(endpoint_);
    cache_ = std::make_unique<CacheReader>(client_.get(), &testing::Sites());
    // No service listens there: while Redis is down the figures are zeros, named missing.
    const auto nowhere = server::MakeChannel(
        absl::StrCat("127.0.0.1:", *lianfang::testing::PickFreePort()), nullptr);
    services_ = std::make_unique<ServicesReader>(
        ServicesReader::Backends{nowhere, nowhere, nowhere}, [] { return std::string(); },
        &testing::Sites(),
        ServicesReader::Options{}, nullptr);
    reader_ = std::make_unique<DashboardReader>(
        cache_.get(), services_.get(), [] { return std::vector<ServiceHealth>{}; }, &clock_,
        tz_, DashboardReader::Options{}, nullptr);
  }

  std::unique_ptr<DashboardHub> Hub(DashboardHub::Options options) {
    return std::make_unique<DashboardHub>(reader_.get(), testing::Sites().ids(), endpoint_,
                                          options, nullptr);
  }

  absl::CivilDay Today() const { return time::DayOf(clock_.Now(), tz_); }

  time::RealClock clock_;
  absl::TimeZone tz_ = *time::LoadTimeZone("Asia/Shanghai");
  redis::Endpoint endpoint_;
  std::unique_ptr<redis::Client> client_;
  std::unique_ptr<CacheReader> cache_;
  std::unique_ptr<ServicesReader> services_;
  std::unique_ptr<DashboardReader> reader_;
};

DashboardHub::Options Quiet() {
  DashboardHub::Options options;
  options.refresh_interval = absl::Hours(1);  // only notices drive snapshots here
  return options;
}

TEST_F(DashboardHubTest, ANewWatcherGetsASnapshotAtOnce) {
  auto hub = Hub(Quiet());
  ASSERT_OK(hub->Start());
  Recorder watcher;
  ASSERT_OK(hub->Add(&watcher));
  ASSERT_TRUE(PollUntil([&] { return watcher.count() >= 1; }, absl::Seconds(10)));
  EXPECT_EQ(watcher.last()->sites_size(), 4);
  EXPECT_EQ(watcher.last()->source(), v1::SOURCE_CACHE);
  hub->Remove(&watcher);
}

TEST_F(DashboardHubTest, AChangeNoticeBringsANewSnapshotWithTheChange) {
  auto hub = Hub(Quiet());
  ASSERT_OK(hub->Start());
  ASSERT_TRUE(hub->WaitUntilSubscribed(absl::Seconds(10)));
  Recorder watcher;
  ASSERT_OK(hub->Add(&watcher));
  ASSERT_TRUE(PollUntil([&] { return watcher.count() >= 1; }, absl::Seconds(10)));
  ASSERT_OK(testing::SimulateAdmittedEntry(*client_, "campus", Today()));
  ASSERT_TRUE(PollUntil([&] { return watcher.LastEntries("campus") == 1; }, absl::Seconds(10)));
  EXPECT_EQ(watcher.count(), 2u);
  hub->Remove(&watcher);
}

TEST_F(DashboardHubTest, ABurstOfOneHundredNoticesYieldsAFewSnapshotsEndingWithTheLatest) {
  auto hub = Hub(Quiet());
  ASSERT_OK(hub->Start());
  ASSERT_TRUE(hub->WaitUntilSubscribed(absl::Seconds(10)));
  Recorder watcher;
  ASSERT_OK(hub->Add(&watcher));
  ASSERT_TRUE(PollUntil([&] { return watcher.count() >= 1; }, absl::Seconds(10)));
  const size_t before = watcher.count();

  for (int i = 0; i < 100; ++i) {
    ASSERT_OK(testing::SimulateAdmittedEntry(*client_, "campus", Today()));
  }
  ASSERT_TRUE(PollUntil([&] { return watcher.LastEntries("campus") == 100; },
                        absl::Seconds(10)));
  const size_t burst = watcher.count() - before;
  EXPECT_GE(burst, 1u);
  // One snapshot per 300 ms at most: a burst that lasts a fraction of a second yields a
  // handful (a loaded machine stretches the burst, hence the margin), never one per notice.
  EXPECT_LE(burst, 10u) << "snapshots for 100 notices";
  EXPECT_EQ(watcher.last()->totals().entries_today(), 100);
  EXPECT_EQ(watcher.last()->totals().onsite(), 100);
  hub->Remove(&watcher);
}

TEST_F(DashboardHubTest, AQuietDashboardIsRefreshedPeriodically) {
  DashboardHub::Options options;
  options.refresh_interval = absl::Milliseconds(200);
  auto hub = Hub(options);
  ASSERT_OK(hub->Start());
  Recorder watcher;
  ASSERT_OK(hub->Add(&watcher));
  ASSERT_TRUE(PollUntil([&] { return watcher.count() >= 3; }, absl::Seconds(10)));
  hub->Remove(&watcher);
}

TEST_F(DashboardHubTest, AWatcherThatNeverConsumesDoesNotHoldUpTheOthers) {
  auto hub = Hub(Quiet());
  ASSERT_OK(hub->Start());
  ASSERT_TRUE(hub->WaitUntilSubscribed(absl::Seconds(10)));
  // Offers to a watcher are stores, never waits: a thousand idle watchers cost nothing.
  std::vector<std::unique_ptr<Recorder>> idle(1000);
  for (auto& w : idle) {
    w = std::make_unique<Recorder>();
    ASSERT_OK(hub->Add(w.get()));
  }
  Recorder active;
  EXPECT_THAT(hub->Add(&active), lianfang::testing::StatusIs(absl::StatusCode::kResourceExhausted))
      << "the hub is bounded";
  hub->Remove(idle.back().get());
  ASSERT_OK(hub->Add(&active));
  ASSERT_TRUE(PollUntil([&] { return active.count() >= 1; }, absl::Seconds(10)));
  ASSERT_OK(testing::SimulateAdmittedEntry(*client_, "village", Today()));
  ASSERT_TRUE(PollUntil([&] { return active.LastEntries("village") == 1; }, absl::Seconds(10)));
  hub->Remove(&active);
  for (auto& w : idle) hub->Remove(w.get());
  EXPECT_EQ(hub->watchers(), 0u);
}

TEST_F(DashboardHubTest, NothingIsReadWhileNobodyWatches) {
  auto hub = Hub(Quiet());
  ASSERT_OK(hub->Start());
  ASSERT_TRUE(hub->WaitUntilSubscribed(absl::Seconds(10)));
  for (int i = 0; i < 5; ++i) hub->NotifyChange();
  Recorder watcher;
  ASSERT_OK(hub->Add(&watcher));
  ASSERT_TRUE(PollUntil([&] { return watcher.count() >= 1; }, absl::Seconds(10)));
  EXPECT_EQ(hub->snapshots(), 1);
  hub->Remove(&watcher);
}

TEST_F(DashboardHubTest, WhenRedisComesBackTheStreamCatchesUp) {
  DashboardHub::Options options = Quiet();
  options.degraded_refresh_interval = absl::Hours(1);
  auto hub = Hub(options);
  ASSERT_OK(hub->Start());
  ASSERT_TRUE(hub->WaitUntilSubscribed(absl::Seconds(10)));
  Recorder watcher;
  ASSERT_OK(hub->Add(&watcher));
  ASSERT_TRUE(PollUntil([&] { return watcher.count() >= 1; }, absl::Seconds(10)));
  ASSERT_OK(redis_server().Restart());
  // Counts rebuilt while nobody could publish: the reconnect alone brings a fresh snapshot.
  testing::Figures f;
  f.gate_day = {{"entries", 77}};
  ASSERT_TRUE(PollUntil(
      [&] { return testing::WriteFigures(*client_, "campus", Today(), f).ok(); },
      absl::Seconds(10)));
  ASSERT_TRUE(PollUntil([&] { return watcher.LastEntries("campus") == 77; },
                        absl::Seconds(20)));
  hub->Remove(&watcher);
}

TEST_F(DashboardHubTest, BeforeTheDrainEveryWatcherIsClosedAndNewOnesAreRefused) {
  auto hub = Hub(Quiet());
  ASSERT_OK(hub->Start());
  Recorder a, b;
  ASSERT_OK(hub->Add(&a));
  ASSERT_OK(hub->Add(&b));
  hub->CloseAll();
  EXPECT_TRUE(a.closed());
  EXPECT_TRUE(b.closed());
  Recorder late;
  EXPECT_THAT(hub->Add(&late), lianfang::testing::StatusIs(absl::StatusCode::kUnavailable));
  hub->Remove(&a);
  hub->Remove(&b);
  hub->Stop();
}

}  // namespace
}  // namespace lianfang::gateway
