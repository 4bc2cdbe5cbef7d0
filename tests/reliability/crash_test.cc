// SIGKILL under load: each of lf-gate, lf-survey, lf-dispatch and lf-supplies is killed while
// client threads are writing to it, then restarted on the same SQLite file. Every write that was
// acknowledged is there (its retry is a replay of the same object), the file passes
// `PRAGMA integrity_check`, and retrying every request that got no answer (same request_id)
// creates each object exactly once: no duplicate rows, no double count in the figures.
#include <grpcpp/client_context.h>

#include <atomic>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/server/client.h"
#include "common/server/grpc_status.h"
#include "common/status/status_matchers.h"
#include "common/testing/poll.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "lianfang/supplies/v1/supplies.grpc.pb.h"
#include "lianfang/survey/v1/survey.grpc.pb.h"
#include "tests/reliability/clients.h"
#include "tests/reliability/suite.h"

namespace lianfang::reliability {
namespace {

constexpr int kThreads = 4;
// Acknowledged writes before the kill.
constexpr int64_t kBeforeKill = 120;

// One write of the load: thread `t`'s n-th request, always built the same way (so a retry
// carries the same request_id and body). Returns the id of the object written, or the error.
using WriteFn = std::function<absl::StatusOr<std::string>(
    const std::shared_ptr<grpc::Channel>& channel, int t, int64_t n, absl::Duration deadline)>;

struct Key {
  int t;
  int64_t n;
  bool operator<(const Key& o) const { return t != o.t ? t < o.t : n < o.n; }
};

// What the load saw, request by request.
struct Ledger {
  std::map<Key, std::string> acknowledged;  // -> object id
  std::vector<Key> unanswered;
};

// Runs the load against `service`, SIGKILLs it once kBeforeKill writes are acknowledged,
// restarts it, and checks the acknowledged writes and the file. Returns what the load saw,
// with every unanswered request retried to success (their ids added to `acknowledged`).
Ledger CrashAndRecover(Suite& suite, const std::string& service, const WriteFn& write) {
  Ledger ledger;
  absl::Mutex mu;
  std::atomic<int64_t> acked{0};
  std::atomic<bool> killed{false};
  {
    const std::shared_ptr<grpc::Channel> channel = suite.Channel(service);
    Load load(kThreads, [&](int t, int64_t n) {
      const bool after_kill = killed.load();
      absl::StatusOr<std::string> id = write(channel, t, n, absl::Seconds(30));
      absl::MutexLock lock(&mu);
      if (id.ok()) {
        ledger.acknowledged[{t, n}] = *id;
        acked.fetch_add(1);
      } else {
        ledger.unanswered.push_back({t, n});
      }
      // Each thread stops after its first failure or its first call started once the kill
      // was decided: the calls in flight at the kill are the interesting ones.
      return id.ok() && !after_kill && n < 5000;
    });
    EXPECT_TRUE(testing::PollUntil([&] { return acked.load() >= kBeforeKill; }, absl::Seconds(120)))
        << suite.Logs(service);
    killed.store(true);
    EXPECT_OK(suite.Kill(service));
    load.Stop();
  }
  const size_t acked_before_restart = ledger.acknowledged.size();
  EXPECT_GE(acked_before_restart, static_cast<size_t>(kBeforeKill));

  // The file as the crash left it (with its WAL), then as the restarted service sees it.
  absl::StatusOr<std::string> crashed = IntegrityCheck(suite.db_path(service));
  EXPECT_OK(crashed);
  EXPECT_EQ(crashed.value_or(""), "ok");
  EXPECT_OK(suite.Start(service));
  absl::StatusOr<std::string> integrity = IntegrityCheck(suite.db_path(service));
  EXPECT_OK(integrity);
  EXPECT_EQ(integrity.value_or(""), "ok");

  // A new channel: the load's one is backing off from the dead process.
  const std::shared_ptr<grpc::Channel> channel = suite.Channel(service);
  // Every acknowledged write is there: its retry answers with the same object.
  for (const auto& [key, id] : ledger.acknowledged) {
    absl::StatusOr<std::string> again = write(channel, key.t, key.n, absl::Seconds(30));
    EXPECT_OK(again) << service << " request " << key.t << "/" << key.n;
    if (again.ok()) {
      EXPECT_EQ(*again, id) << service << " request " << key.t << "/" << key.n;
    }
  }
  // Every request without an answer is retried with the same request_id until it succeeds
  // (bounded), and once more: the second retry must return the same object.
  for (const Key& key : ledger.unanswered) {
    absl::StatusOr<std::string> id = absl::UnavailableError("not tried");
    for (int attempt = 0; attempt < 5 && !id.ok(); ++attempt) {
      id = write(channel, key.t, key.n, absl::Seconds(30));
    }
    EXPECT_OK(id) << service << " retry of " << key.t << "/" << key.n;
    if (!id.ok()) continue;
    absl::StatusOr<std::string> again = write(channel, key.t, key.n, absl::Seconds(30));
    EXPECT_OK(again);
    if (again.ok()) {
      EXPECT_EQ(*again, *id);
    }
    ledger.acknowledged[key] = *id;
  }
  std::cerr << "[   info   ] " << service << ": " << acked_before_restart
            << " writes acknowledged before the kill, " << ledger.unanswered.size()
            << " unanswered and retried\n";
  // Distinct requests gave distinct objects.
  std::map<std::string, int> per_id;
  for (const auto& [key, id] : ledger.acknowledged) ++per_id[id];
  EXPECT_EQ(per_id.size(), ledger.acknowledged.size()) << "two requests share an object";
  return ledger;
}

TEST(CrashTest, GateKeepsEveryAcknowledgedPassageAndCountsRetriesOnce) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Suite> suite, Suite::Create({}));
  ASSERT_OK(suite->Start("gate"));
  const std::string guard = suite->tokens().For(auth::Role::kGuard, "guard-1");
  const std::string leader = suite->tokens().For(auth::Role::kLeader, "leader-1");
  const WriteFn write = [&](const std::shared_ptr<grpc::Channel>& channel, int t, int64_t n,
                            absl::Duration deadline) -> absl::StatusOr<std::string> {
    auto stub = gate::v1::GateService::NewStub(channel);
    // Distinct people, each entering once: every passage is an admitted entry.
    gate::v1::RecordPassageRequest request =
        Passage(RequestId(absl::StrCat("crash-gate-", t), n), "open", "main", true,
                t * 10000 + static_cast<int>(n));
    gate::v1::RecordPassageResponse response;
    grpc::Status status = RecordPassage(*stub, guard, request, &response, deadline);
    if (!status.ok()) return server::FromGrpcStatus(status);
    return response.passage().passage_id();
  };
  const Ledger ledger = CrashAndRecover(*suite, "gate", write);
  const int64_t total = static_cast<int64_t>(ledger.acknowledged.size());

  ASSERT_OK_AND_ASSIGN(int64_t rows,
                       QueryInt(suite->db_path("gate"), "SELECT COUNT(*) FROM gate_passages"));
  EXPECT_EQ(rows, total);
  ASSERT_OK_AND_ASSIGN(gate::v1::Occupancy occupancy,
                       GetOccupancy(suite->Channel("gate"), leader, "open"));
  EXPECT_EQ(occupancy.entries_today(), total);
  EXPECT_EQ(occupancy.onsite(), total);
  EXPECT_EQ(occupancy.denied_today(), 0);
}

TEST(CrashTest, SurveyKeepsEveryAcknowledgedHouseholdAndCountsRetriesOnce) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Suite> suite, Suite::Create({}));
  ASSERT_OK(suite->Start("survey"));
  const std::string volunteer = suite->tokens().For(auth::Role::kVolunteer, "vol-1", {"open"});
  const std::string leader = suite->tokens().For(auth::Role::kLeader, "leader-1");
  const WriteFn write = [&](const std::shared_ptr<grpc::Channel>& channel, int t, int64_t n,
                            absl::Duration deadline) -> absl::StatusOr<std::string> {
    auto stub = survey::v1::SurveyService::NewStub(channel);
    survey::v1::UpsertHouseholdRequest request;
    request.set_request_id(RequestId(absl::StrCat("crash-survey-", t), n));
    request.set_surveyed(true);  // also records a visit: a second application would show
    survey::v1::Household* h = request.mutable_household();
    h->set_site_id("open");
    h->set_building(absl::StrCat(t + 1, "号楼"));
    h->set_unit("1");
    h->set_room(absl::StrCat(n + 101));
    h->set_kind(survey::v1::HOUSEHOLD_KIND_OWNER_OCCUPIED);
    grpc::ClientContext context;
    server::PrepareClientContext(&context, volunteer, deadline);
    survey::v1::Household response;
    grpc::Status status = stub->UpsertHousehold(&context, request, &response);
    if (!status.ok()) return server::FromGrpcStatus(status);
    return response.household_id();
  };
  const Ledger ledger = CrashAndRecover(*suite, "survey", write);
  const int64_t total = static_cast<int64_t>(ledger.acknowledged.size());

  const std::string db = suite->db_path("survey");
  ASSERT_OK_AND_ASSIGN(int64_t households, QueryInt(db, "SELECT COUNT(*) FROM survey_households"));
  EXPECT_EQ(households, total);
  ASSERT_OK_AND_ASSIGN(int64_t visits, QueryInt(db, "SELECT COUNT(*) FROM survey_visits"));
  EXPECT_EQ(visits, total);

  auto stub = survey::v1::SurveyService::NewStub(suite->Channel("survey"));
  grpc::ClientContext context;
  server::PrepareClientContext(&context, leader, absl::Seconds(30));
  survey::v1::GetCoverageRequest request;
  request.set_site_id("open");
  survey::v1::GetCoverageResponse coverage;
  ASSERT_OK(server::FromGrpcStatus(stub->GetCoverage(&context, request, &coverage)));
  EXPECT_EQ(coverage.households_total(), total);
  EXPECT_EQ(coverage.households_surveyed(), total);
}

TEST(CrashTest, DispatchKeepsEveryAcknowledgedTaskAndCountsRetriesOnce) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Suite> suite, Suite::Create({}));
  ASSERT_OK(suite->Start("dispatch"));
  const std::string leader = suite->tokens().For(auth::Role::kLeader, "leader-1");
  const WriteFn write = [&](const std::shared_ptr<grpc::Channel>& channel, int t, int64_t n,
                            absl::Duration deadline) -> absl::StatusOr<std::string> {
    return CreateDeliveryTask(channel, leader, RequestId(absl::StrCat("crash-dispatch-", t), n), t,
                              n, deadline);
  };
  const Ledger ledger = CrashAndRecover(*suite, "dispatch", write);
  const int64_t total = static_cast<int64_t>(ledger.acknowledged.size());

  ASSERT_OK_AND_ASSIGN(int64_t tasks,
                       QueryInt(suite->db_path("dispatch"), "SELECT COUNT(*) FROM dispatch_tasks"));
  EXPECT_EQ(tasks, total);

  auto stub = dispatch::v1::DispatchService::NewStub(suite->Channel("dispatch"));
  grpc::ClientContext context;
  server::PrepareClientContext(&context, leader, absl::Seconds(30));
  dispatch::v1::GetTaskSummaryRequest request;
  request.set_site_id("open");
  dispatch::v1::GetTaskSummaryResponse summary;
  ASSERT_OK(server::FromGrpcStatus(stub->GetTaskSummary(&context, request, &summary)));
  ASSERT_EQ(summary.sites_size(), 1);
  EXPECT_EQ(summary.sites(0).tasks_open() + summary.sites(0).tasks_assigned(), total);
}

TEST(CrashTest, SuppliesKeepsEveryBalanceEqualToItsMovementsAndAppliesRetriesOnce) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Suite> suite, Suite::Create({}));
  ASSERT_OK(suite->Start("supplies"));
  const std::string leader = suite->tokens().For(auth::Role::kLeader, "leader-1");
  {
    auto stub = supplies::v1::SuppliesService::NewStub(suite->Channel("supplies"));
    supplies::v1::CreateItemRequest item;
    item.set_request_id("crash-item");
    item.mutable_item()->set_code("disinfectant-84");
    item.mutable_item()->set_name("84消毒液");
    item.mutable_item()->set_unit("瓶");
    item.mutable_item()->set_category(supplies::v1::ITEM_CATEGORY_DISINFECTION);
    item.mutable_item()->set_min_stock_per_site(5);
    grpc::ClientContext context;
    server::PrepareClientContext(&context, leader, absl::Seconds(30));
    supplies::v1::Item created;
    ASSERT_OK(server::FromGrpcStatus(stub->CreateItem(&context, item, &created)));
  }
  // Each thread alternates a receipt of 10 (even n) and an issue of 3 (odd n), so no issue
  // ever lacks units, whatever the other threads do; without batches, each request is one
  // movement.
  const WriteFn write = [&](const std::shared_ptr<grpc::Channel>& channel, int t, int64_t n,
                            absl::Duration deadline) -> absl::StatusOr<std::string> {
    auto stub = supplies::v1::SuppliesService::NewStub(channel);
    grpc::ClientContext context;
    server::PrepareClientContext(&context, leader, deadline);
    const std::string request_id = RequestId(absl::StrCat("crash-supplies-", t), n);
    if (n % 2 == 0) {
      supplies::v1::ReceiveStockRequest request;
      request.set_request_id(request_id);
      request.set_site_id("open");
      request.set_item_code("disinfectant-84");
      request.set_quantity(10);
      request.set_source(supplies::v1::STOCK_SOURCE_PURCHASE);
      supplies::v1::ReceiveStockResponse response;
      grpc::Status status = stub->ReceiveStock(&context, request, &response);
      if (!status.ok()) return server::FromGrpcStatus(status);
      return response.movement().movement_id();
    }
    supplies::v1::IssueStockRequest request;
    request.set_request_id(request_id);
    request.set_site_id("open");
    request.set_item_code("disinfectant-84");
    request.set_quantity(3);
    request.mutable_to()->set_area(absl::StrCat(t + 1, "号楼"));
    supplies::v1::IssueStockResponse response;
    grpc::Status status = stub->IssueStock(&context, request, &response);
    if (!status.ok()) return server::FromGrpcStatus(status);
    if (response.movements().empty()) return absl::InternalError("an issue without movement");
    return response.movements(0).movement_id();
  };
  const Ledger ledger = CrashAndRecover(*suite, "supplies", write);
  int64_t receipts = 0;
  int64_t issues = 0;
  for (const auto& [key, id] : ledger.acknowledged) ++(key.n % 2 == 0 ? receipts : issues);

  const std::string db = suite->db_path("supplies");
  // Every request is one movement, applied once.
  ASSERT_OK_AND_ASSIGN(int64_t movements, QueryInt(db, "SELECT COUNT(*) FROM supplies_movements"));
  EXPECT_EQ(movements, receipts + issues);
  ASSERT_OK_AND_ASSIGN(int64_t receipt_rows,
                       QueryInt(db, "SELECT COUNT(*) FROM supplies_movements WHERE kind = 1"));
  EXPECT_EQ(receipt_rows, receipts);
  // The balance is the sum of the movements and of the batches, and what the requests made.
  const int64_t expected = 10 * receipts - 3 * issues;
  ASSERT_OK_AND_ASSIGN(int64_t balance,
                       QueryInt(db,
                                "SELECT quantity FROM supplies_balances WHERE site_id = "
                                "'open' AND item_code = 'disinfectant-84'"));
  EXPECT_EQ(balance, expected);
  ASSERT_OK_AND_ASSIGN(int64_t moved, QueryInt(db, "SELECT SUM(quantity) FROM supplies_movements"));
  EXPECT_EQ(moved, expected);
  ASSERT_OK_AND_ASSIGN(int64_t batched, QueryInt(db, "SELECT SUM(quantity) FROM supplies_batches"));
  EXPECT_EQ(batched, expected);

  auto stub = supplies::v1::SuppliesService::NewStub(suite->Channel("supplies"));
  grpc::ClientContext context;
  server::PrepareClientContext(&context, leader, absl::Seconds(30));
  supplies::v1::GetStockRequest request;
  request.set_site_id("open");
  request.set_item_code("disinfectant-84");
  supplies::v1::GetStockResponse stock;
  ASSERT_OK(server::FromGrpcStatus(stub->GetStock(&context, request, &stock)));
  ASSERT_EQ(stock.balances_size(), 1);
  EXPECT_EQ(stock.balances(0).quantity(), expected);
}

}  // namespace
}  // namespace lianfang::reliability
