// PostgreSQL failover under load: lf-gate and lf-dispatch run on a primary with a synchronous
// streaming standby, their LF_DB the libpq multi-host URL of both with
// target_session_attrs=read-write. Clients record passages and create tasks without pause;
// the primary crashes (immediate shutdown) and the standby is promoted. The services are not
// restarted: they reconnect by themselves, answer again within 10 s of the promotion, and the
// promoted database holds every passage and task a client saw acknowledged, each once (every
// request that got no answer is retried with its request_id until it is acknowledged).
#include <grpcpp/client_context.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/server/client.h"
#include "common/server/grpc_status.h"
#include "common/sql/database.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/suite.h"
#include "common/testing/poll.h"
#include "common/testing/postgres_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "tests/reliability/clients.h"
#include "tests/reliability/suite.h"

namespace lianfang::reliability {
namespace {

using ::lianfang::testing::MultiHostUrl;
using ::lianfang::testing::PostgresServer;

constexpr int kThreadsPerService = 2;
// Acknowledged writes of each service before the crash, and after the promotion.
constexpr size_t kBeforeCrash = 60;
constexpr size_t kAfterPromotion = 40;
// How soon after the promotion every service must answer again.
constexpr absl::Duration kRecovery = absl::Seconds(10);

// One write of the load: thread `t`'s n-th request, always built the same way (a retry carries
// the same request_id and body). The id of the object written, or the error.
using WriteFn = std::function<absl::StatusOr<std::string>(int t, int64_t n)>;

// What the clients of one service saw.
struct Ledger {
  absl::Mutex mu;
  std::map<std::pair<int, int64_t>, std::string> acknowledged ABSL_GUARDED_BY(mu);
  std::map<absl::StatusCode, int> failures ABSL_GUARDED_BY(mu);
  // The first call started after the promotion that was acknowledged: when it ended.
  std::optional<absl::Time> back_at ABSL_GUARDED_BY(mu);
  // Calls started after the promotion and acknowledged.
  size_t acknowledged_after_promotion ABSL_GUARDED_BY(mu) = 0;
  // Requests given up on (no answer within the bound after the load stopped).
  int abandoned ABSL_GUARDED_BY(mu) = 0;

  size_t size() {
    absl::MutexLock lock(&mu);
    return acknowledged.size();
  }
  size_t after_promotion() {
    absl::MutexLock lock(&mu);
    return acknowledged_after_promotion;
  }
};

// Client threads writing to one service: each retries its current request (same request_id)
// until it is acknowledged, then moves to the next, until stopped; once stopped, a request
// still unanswered is retried for up to 30 s more.
class Clients final {
 public:
  Clients(WriteFn write, std::atomic<int64_t>* promoted_micros)
      : write_(std::move(write)), promoted_micros_(promoted_micros) {
    for (int t = 0; t < kThreadsPerService; ++t) threads_.emplace_back([this, t] { Run(t); });
  }
  ~Clients() { Stop(); }

  void Stop() {
    stop_.store(true);
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  Ledger& ledger() { return ledger_; }

 private:
  void Run(int t) {
    for (int64_t n = 0; !stop_.load(); ++n) {
      absl::Time give_up = absl::InfiniteFuture();
      while (!Attempt(t, n)) {
        if (stop_.load() && give_up == absl::InfiniteFuture()) {
          give_up = absl::Now() + absl::Seconds(30);
        }
        if (absl::Now() > give_up) {
          absl::MutexLock lock(&ledger_.mu);
          ++ledger_.abandoned;
          break;
        }
        // A client's pause before retrying (not a wait for a condition of the test).
        absl::SleepFor(absl::Milliseconds(20));
      }
    }
  }

  // One call of request t/n; true when it was acknowledged.
  bool Attempt(int t, int64_t n) {
    const int64_t promoted = promoted_micros_->load();
    const absl::Time started = absl::Now();
    absl::StatusOr<std::string> id = write_(t, n);
    absl::MutexLock lock(&ledger_.mu);
    if (!id.ok()) {
      ++ledger_.failures[id.status().code()];
      return false;
    }
    ledger_.acknowledged[{t, n}] = *id;
    if (promoted != 0 && started >= absl::FromUnixMicros(promoted)) {
      ++ledger_.acknowledged_after_promotion;
      if (!ledger_.back_at.has_value()) ledger_.back_at = absl::Now();
    }
    return true;
  }

  const WriteFn write_;
  std::atomic<int64_t>* const promoted_micros_;
  std::atomic<bool> stop_{false};
  Ledger ledger_;
  std::vector<std::thread> threads_;
};

std::string DatabaseName(const std::string& url) { return url.substr(url.rfind('/') + 1); }

// The first column of every row of `sql` in `db`, as text.
absl::StatusOr<std::vector<std::string>> Column(sql::Database& db, const std::string& sql) {
  std::vector<std::string> values;
  RETURN_IF_ERROR(db.Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(sql::Result result, s.Execute(sql));
    for (const sql::Row& row : result.rows) values.push_back(row.Text(0));
    return absl::OkStatus();
  }));
  return values;
}

// Every acknowledged object of `ledger` is among `stored`, and `stored` holds nothing else
// and nothing twice.
void ExpectExactlyTheAcknowledged(const std::string& what, Ledger& ledger,
                                  const std::vector<std::string>& stored) {
  absl::MutexLock lock(&ledger.mu);
  const std::multiset<std::string> rows(stored.begin(), stored.end());
  std::set<std::string> acked;
  int lost = 0;
  for (const auto& [key, id] : ledger.acknowledged) {
    acked.insert(id);
    if (!rows.contains(id)) ++lost;
  }
  EXPECT_EQ(lost, 0) << what << ": acknowledged but missing from the promoted database";
  EXPECT_EQ(acked.size(), ledger.acknowledged.size()) << what << ": two requests, one object";
  EXPECT_EQ(rows.size(), acked.size()) << what << ": rows without an acknowledged request, or "
                                       << "doubled";
  EXPECT_EQ(std::set<std::string>(rows.begin(), rows.end()).size(), rows.size())
      << what << ": an object stored twice";
  EXPECT_EQ(ledger.abandoned, 0) << what << ": requests never acknowledged after the failover";
}

TEST(FailoverTest, PromotedStandbyKeepsEveryAcknowledgedWriteAndServicesAnswerWithin10s) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresServer> primary, PostgresServer::Launch());
  ASSERT_OK_AND_ASSIGN(std::string gate_single, primary->CreateDatabase("gate"));
  ASSERT_OK_AND_ASSIGN(std::string dispatch_single, primary->CreateDatabase("dispatch"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresServer> standby,
                       PostgresServer::LaunchStandby(*primary));
  ASSERT_OK(primary->RequireSynchronousStandby());
  const std::string gate_db = DatabaseName(gate_single);
  const std::string dispatch_db = DatabaseName(dispatch_single);

  testing::Suite suite;
  testing::Suite::Options options;
  options.services = {"gate", "dispatch"};
  options.env = {{"LF_LOG_LEVEL", "warning"}};
  options.service_env = {
      {"gate", {{"LF_DB", MultiHostUrl({primary.get(), standby.get()}, gate_db)}}},
      {"dispatch", {{"LF_DB", MultiHostUrl({primary.get(), standby.get()}, dispatch_db)}}}};
  options.sites_textproto = kSitesTextproto;
  options.time_zone = "UTC";
  ASSERT_OK(suite.Start(options));

  const std::string guard = suite.tokens().For(auth::Role::kGuard, "guard-1");
  const std::string leader = suite.tokens().For(auth::Role::kLeader, "leader-1");
  const std::shared_ptr<grpc::Channel> gate_channel = suite.Channel("gate");
  const std::shared_ptr<grpc::Channel> dispatch_channel = suite.Channel("dispatch");
  const WriteFn record_passage = [&](int t, int64_t n) -> absl::StatusOr<std::string> {
    auto stub = gate::v1::GateService::NewStub(gate_channel);
    // Distinct people, each entering once: every passage is an admitted entry.
    const gate::v1::RecordPassageRequest request =
        Passage(RequestId(absl::StrCat("failover-gate-", t), n), "open", "main", true,
                t * 10000 + static_cast<int>(n));
    gate::v1::RecordPassageResponse response;
    grpc::Status status = RecordPassage(*stub, guard, request, &response, absl::Seconds(5));
    if (!status.ok()) return server::FromGrpcStatus(status);
    return response.passage().passage_id();
  };
  const WriteFn create_task = [&](int t, int64_t n) -> absl::StatusOr<std::string> {
    return CreateDeliveryTask(dispatch_channel, leader,
                              RequestId(absl::StrCat("failover-dispatch-", t), n), t, n,
                              absl::Seconds(5));
  };

  std::atomic<int64_t> promoted_micros{0};
  Clients gate(record_passage, &promoted_micros);
  Clients dispatch(create_task, &promoted_micros);
  ASSERT_TRUE(testing::PollUntil(
      [&] {
        return gate.ledger().size() >= kBeforeCrash && dispatch.ledger().size() >= kBeforeCrash;
      },
      absl::Seconds(60)))
      << suite.Stderr("gate") << suite.Stderr("dispatch");

  ASSERT_OK(primary->Crash());
  ASSERT_OK(standby->Promote());
  const absl::Time promoted = absl::Now();
  promoted_micros.store(absl::ToUnixMicros(promoted));

  // Keep the load going until both services have taken more writes on the promoted server:
  // calls started after the promotion (acknowledgements of calls made before it, which may
  // arrive in between, do not count).
  testing::PollUntil(
      [&] {
        return gate.ledger().after_promotion() >= kAfterPromotion &&
               dispatch.ledger().after_promotion() >= kAfterPromotion;
      },
      absl::Seconds(30));
  gate.Stop();
  dispatch.Stop();
  EXPECT_TRUE(suite.Running("gate")) << suite.Stderr("gate");
  EXPECT_TRUE(suite.Running("dispatch")) << suite.Stderr("dispatch");

  const std::vector<std::pair<std::string, Clients*>> services = {{"gate", &gate},
                                                                  {"dispatch", &dispatch}};
  for (const auto& [name, clients] : services) {
    Ledger& ledger = clients->ledger();
    absl::MutexLock lock(&ledger.mu);
    ASSERT_TRUE(ledger.back_at.has_value()) << name << " never answered after the promotion";
    EXPECT_LE(*ledger.back_at - promoted, kRecovery) << name;
    // While no server accepted writes the calls failed UNAVAILABLE (retry), nothing else.
    for (const auto& [code, count] : ledger.failures) {
      EXPECT_EQ(code, absl::StatusCode::kUnavailable) << name << ": " << count << " calls";
    }
    std::cerr << "[   info   ] " << name << ": " << ledger.acknowledged.size()
              << " writes acknowledged, " << ledger.failures[absl::StatusCode::kUnavailable]
              << " UNAVAILABLE answers retried; answering again "
              << absl::FormatDuration(*ledger.back_at - promoted) << " after the promotion\n";
  }

  // The promoted server, read directly: every acknowledged write, each once.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<sql::Database> gate_sql,
                       sql::Database::Open(MultiHostUrl({standby.get()}, gate_db)));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> passages,
                       Column(*gate_sql, "SELECT passage_id FROM gate_passages"));
  ExpectExactlyTheAcknowledged("gate passages", gate.ledger(), passages);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<sql::Database> dispatch_sql,
                       sql::Database::Open(MultiHostUrl({standby.get()}, dispatch_db)));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> tasks,
                       Column(*dispatch_sql, "SELECT task_id FROM dispatch_tasks"));
  ExpectExactlyTheAcknowledged("dispatch tasks", dispatch.ledger(), tasks);

  // And the service's own figures agree: no passage counted twice.
  ASSERT_OK_AND_ASSIGN(gate::v1::Occupancy occupancy, GetOccupancy(gate_channel, leader, "open"));
  EXPECT_EQ(occupancy.entries_today(), static_cast<int64_t>(passages.size()));
  EXPECT_EQ(occupancy.onsite(), static_cast<int64_t>(passages.size()));
}

}  // namespace
}  // namespace lianfang::reliability
