// PeriodicJob: runs at start, then again after each interval, never twice at once, and stops
// promptly even in the middle of a long wait.
#include "common/app/periodic_job.h"

#include <atomic>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/testing/poll.h"
#include "gtest/gtest.h"

namespace lianfang::app {
namespace {

using ::lianfang::testing::PollUntil;

TEST(PeriodicJobTest, RunsAtStartThenAgainAfterEachInterval) {
  std::atomic<int> runs{0};
  PeriodicJob job(absl::Milliseconds(10), [&] { ++runs; });
  job.Start();
  EXPECT_TRUE(PollUntil([&] { return runs.load() >= 3; }, absl::Seconds(10)));
  job.Stop();
  EXPECT_TRUE(job.stopping());
}

TEST(PeriodicJobTest, StopEndsALongWaitAtOnce) {
  std::atomic<int> runs{0};
  PeriodicJob job(absl::Hours(1), [&] { ++runs; });
  job.Start();
  ASSERT_TRUE(PollUntil([&] { return runs.load() == 1; }, absl::Seconds(10)));
  const absl::Time start = absl::Now();
  job.Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(runs.load(), 1);
}

TEST(PeriodicJobTest, ALongRunSeesStoppingAndCanReturnEarly) {
  std::atomic<bool> saw_stopping{false};
  std::atomic<bool> running{false};
  PeriodicJob* self = nullptr;
  PeriodicJob job(absl::Hours(1), [&] {
    running = true;
    while (!self->stopping()) absl::SleepFor(absl::Milliseconds(1));
    saw_stopping = true;
  });
  self = &job;
  job.Start();
  ASSERT_TRUE(PollUntil([&] { return running.load(); }, absl::Seconds(10)));
  job.Stop();
  EXPECT_TRUE(saw_stopping.load());
}

TEST(PeriodicJobTest, StartingTwiceRunsOneThreadAndStoppingTwiceIsHarmless) {
  std::atomic<int> concurrent{0};
  std::atomic<int> most{0};
  std::atomic<int> runs{0};
  PeriodicJob job(absl::Milliseconds(1), [&] {
    const int now = ++concurrent;
    if (now > most.load()) most = now;
    ++runs;
    --concurrent;
  });
  job.Start();
  job.Start();
  ASSERT_TRUE(PollUntil([&] { return runs.load() >= 5; }, absl::Seconds(10)));
  job.Stop();
  job.Stop();
  EXPECT_EQ(most.load(), 1);
}

}  // namespace
}  // namespace lianfang::app
