// Redis lost under load: the built lf-gate records passages from several client threads while
// its redis-server is killed (SIGKILL) and later restarted empty on the same port, the load
// going on throughout. No passage fails, and every live count in Redis (onsite, entries,
// exits, denied, fevers of every site) equals the gate's SQL figures again within 5 s of the
// load ending (Redis having been back since before the last phase of the load).
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/status/status_matchers.h"
#include "common/testing/poll.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "tests/reliability/clients.h"
#include "tests/reliability/suite.h"

namespace lianfang::reliability {
namespace {

using ::lianfang::testing::PollUntil;

constexpr int kThreads = 4;
// Passages recorded in each phase: before the kill, while Redis is down, after its return.
constexpr int64_t kPerPhase = 150;

TEST(RedisLossTest, NoPassageFailsAndEveryCountHealsWithinFiveSecondsOfRedisReturning) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Suite> suite, Suite::Create({}));
  ASSERT_OK(suite->Start("gate"));
  const std::string guard = suite->tokens().For(auth::Role::kGuard, "guard-1");
  const std::string leader = suite->tokens().For(auth::Role::kLeader, "leader-1");
  auto stub = gate::v1::GateService::NewStub(suite->Channel("gate"));

  absl::Mutex mu;
  std::vector<std::string> failures;  // guarded by mu
  std::atomic<int64_t> ok{0};
  // Thread t walks people t*10000, t*10000+1, ...: entry then exit; every 5th entry is
  // feverish (denied); thread 3 records at the closed campus (denied, no pass).
  Load load(kThreads, [&](int t, int64_t n) {
    const int person = t * 10000 + static_cast<int>(n / 2) % 10000;
    const bool entry = n % 2 == 0;
    const bool fever = entry && (n / 2) % 5 == 4;
    const bool campus = t == 3;
    gate::v1::RecordPassageRequest request =
        Passage(RequestId(absl::StrCat("redis-", t), n), campus ? "campus" : "open",
                campus ? "east" : "main", entry, person, fever ? 38.4 : 36.5);
    gate::v1::RecordPassageResponse response;
    grpc::Status status = RecordPassage(*stub, guard, request, &response);
    if (status.ok()) {
      ok.fetch_add(1);
    } else {
      absl::MutexLock lock(&mu);
      failures.push_back(absl::StrCat(request.request_id(), ": ", status.error_code(), " ",
                                      status.error_message()));
    }
    return n < 19000;
  });

  ASSERT_TRUE(load.WaitForCalls(kPerPhase, absl::Seconds(120)));
  ASSERT_OK(suite->redis().Kill());
  const int64_t at_kill = load.calls();
  ASSERT_TRUE(load.WaitForCalls(at_kill + kPerPhase, absl::Seconds(120)))
      << "the load stalled while Redis was down\n"
      << suite->Logs("gate");
  ASSERT_OK(suite->redis().Start());  // back on the same port, empty
  const int64_t at_return = load.calls();
  ASSERT_TRUE(load.WaitForCalls(at_return + kPerPhase, absl::Seconds(120)));
  load.Stop();

  {
    absl::MutexLock lock(&mu);
    EXPECT_THAT(failures, ::testing::IsEmpty()) << suite->Logs("gate");
  }
  EXPECT_EQ(ok.load(), load.calls());

  // SQL truth (GetOccupancy reads the gate's tables), then Redis must equal it within 5 s of
  // the load ending.
  const auto matches = [&](std::string* why) {
    for (const char* site : {"open", "campus"}) {
      absl::StatusOr<gate::v1::Occupancy> truth =
          GetOccupancy(suite->Channel("gate"), leader, site);
      if (!truth.ok()) {
        *why = truth.status().ToString();
        return false;
      }
      absl::Status same = GateRedisMatches(suite->redis().port(), site, *truth);
      if (!same.ok()) {
        *why = same.ToString();
        return false;
      }
    }
    return true;
  };
  std::string why;
  EXPECT_TRUE(PollUntil([&] { return matches(&why); }, absl::Seconds(5), absl::Milliseconds(100)))
      << why;

  // The figures themselves are the load's: every passage counted once in SQL.
  ASSERT_OK_AND_ASSIGN(gate::v1::Occupancy open,
                       GetOccupancy(suite->Channel("gate"), leader, "open"));
  ASSERT_OK_AND_ASSIGN(gate::v1::Occupancy campus,
                       GetOccupancy(suite->Channel("gate"), leader, "campus"));
  // Admitted entries and exits, and denials (either way), are disjoint counts.
  EXPECT_EQ(open.entries_today() + open.exits_today() + open.denied_today() +
                campus.entries_today() + campus.exits_today() + campus.denied_today(),
            load.calls());
  EXPECT_GT(open.fevers_today(), 0);
  EXPECT_GT(campus.denied_today(), 0);
  ASSERT_OK_AND_ASSIGN(int64_t rows,
                       QueryInt(suite->db_path("gate"), "SELECT COUNT(*) FROM gate_passages"));
  EXPECT_EQ(rows, load.calls());
}

}  // namespace
}  // namespace lianfang::reliability
