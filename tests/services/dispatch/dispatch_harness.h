// A dispatch service for integration tests: the production pieces (SQLite file, dispatcher,
// watch hub, live counts on a real redis-server, scheduler, gRPC adapter) wired as main.cc
// wires them, served over loopback gRPC, with an injected clock. Several harnesses may share
// one database (the same db_path): they then behave like dispatch processes sharing a
// database, and on PostgreSQL like replicas (each relays every harness' watch events).
//
//   FakeClock clock(...);
//   TestTokens tokens(&clock);
//   ASSERT_OK_AND_ASSIGN(auto dispatch, DispatchHarness::Start({.db_path = dir.File("d.db"),
//       .clock = &clock, .tokens = &tokens, .redis_url = redis_url()}));
//   auto context = NewClientContext(tokens.For(auth::Role::kLeader, "leader"));
//   dispatch->stub().CreateTeam(context.get(), request, &team);
//
// The scheduler thread is not started: tests call scheduler().Tick(now). Test-only.
#ifndef LIANFANG_TESTS_SERVICES_DISPATCH_DISPATCH_HARNESS_H_
#define LIANFANG_TESTS_SERVICES_DISPATCH_DISPATCH_HARNESS_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/live/live_counts.h"
#include "common/pii/pii.h"
#include "common/redis/client.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/time/clock.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"
#include "services/dispatch/dispatch_service.h"
#include "services/dispatch/dispatcher.h"
#include "services/dispatch/notice_board.h"
#include "services/dispatch/scheduler.h"
#include "services/dispatch/task_events.h"

namespace lianfang::dispatch::testing {

// The time zone of the test deployment.
inline constexpr char kTestTimeZone[] = "Asia/Shanghai";
// The PII key of the test deployment.
inline constexpr char kTestPiiKey[] = "dispatch-test-pii-key-0123456789";

struct HarnessOptions {
  std::string db_path;                                    // SQLite file (created when missing)
  // The database to serve from instead of the one standing for db_path (testing::
  // TestDatabaseUrlForPath). Two harnesses given one PostgreSQL URL are two replicas.
  std::string database_url{};
  const time::Clock* clock = nullptr;                     // not owned
  const lianfang::testing::TestTokens* tokens = nullptr;  // not owned
  std::string redis_url{};                                // "" = no live counts
  size_t watch_queue = 256;
  absl::Duration schedule_lead = absl::Minutes(30);
};

class DispatchHarness final {
 public:
  static absl::StatusOr<std::unique_ptr<DispatchHarness>> Start(HarnessOptions options);
  // Ends open streams, shuts the server down, stops the live counts and waits for every queued
  // write before tearing down.
  ~DispatchHarness();
  DispatchHarness(const DispatchHarness&) = delete;
  DispatchHarness& operator=(const DispatchHarness&) = delete;

  v1::DispatchService::Stub& stub() { return *stub_; }
  std::shared_ptr<grpc::Channel> channel() { return server_->channel(); }
  std::string address() const { return server_->address(); }
  Scheduler& scheduler() { return *scheduler_; }
  DispatchService& service() { return *service_; }
  // The URL db() was opened from (on PostgreSQL the service listens there for every
  // harness' events: DispatchService::ListenForReplicas).
  const std::string& database_url() const { return database_url_; }
  TaskEventHub& hub() { return *hub_; }
  NoticeEventHub& notice_hub() { return *notice_hub_; }
  live::LiveCounts* counts() { return counts_.get(); }
  sql::Database& db() { return *db_; }
  const sites::SiteDirectory& sites() const { return *sites_; }
  const pii::PersonKeyer& keyer() const { return *keyer_; }

 private:
  DispatchHarness() = default;

  HarnessOptions options_;
  std::string database_url_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<sites::SiteDirectory> sites_;
  std::unique_ptr<pii::PersonKeyer> keyer_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<TaskEventHub> hub_;
  std::unique_ptr<NoticeBoard> notices_;
  std::unique_ptr<NoticeEventHub> notice_hub_;
  std::unique_ptr<redis::Client> redis_;
  std::unique_ptr<live::LiveCounts> counts_;
  std::unique_ptr<ChangeFeed> feed_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<DispatchService> service_;
  std::unique_ptr<lianfang::testing::LoopbackServer> server_;
  std::unique_ptr<v1::DispatchService::Stub> stub_;
};

// A valid resident ID number (GB 11643 check digit) that differs for each `n` (0..999).
std::string TestIdNumber(int n);

}  // namespace lianfang::dispatch::testing

#endif  // LIANFANG_TESTS_SERVICES_DISPATCH_DISPATCH_HARNESS_H_
