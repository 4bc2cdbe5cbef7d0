// The gate service under test: the real GateService on a loopback gRPC server over a real
// SQLite file, with live counts in a real redis-server and an outbox sender whose deliveries
// go to a stand-in DispatchService that the test starts when it wants dispatch "up".
// Test-only.
#ifndef LIANFANG_TESTS_SERVICES_GATE_GATE_HARNESS_H_
#define LIANFANG_TESTS_SERVICES_GATE_GATE_HARNESS_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/app/grpc_deliverer.h"
#include "common/auth/authorizer.h"
#include "common/auth/principal.h"
#include "common/auth/service_token.h"
#include "common/live/live_counts.h"
#include "common/outbox/outbox.h"
#include "common/pii/pii.h"
#include "common/redis/client.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/temp_dir.h"
#include "common/time/clock.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "services/gate/gate_service.h"

namespace lianfang::gate::testing {

// A DispatchService that only answers CreateTask (authorized as the real one would be), and
// counts the calls per request_id. Thread-safe.
class FakeDispatch final : public dispatch::v1::DispatchService::CallbackService {
 public:
  explicit FakeDispatch(const auth::Authorizer* authorizer) : authorizer_(authorizer) {}

  grpc::ServerUnaryReactor* CreateTask(grpc::CallbackServerContext* ctx,
                                       const dispatch::v1::CreateTaskRequest* req,
                                       dispatch::v1::Task* resp) override;

  int Calls(const std::string& request_id) const;
  int TotalCalls() const;
  std::optional<dispatch::v1::CreateTaskRequest> Last() const;
  // Subjects of the callers (the gate's SERVICE token).
  std::vector<std::string> Callers() const;

 private:
  const auth::Authorizer* authorizer_;
  mutable absl::Mutex mu_;
  std::map<std::string, int> calls_ ABSL_GUARDED_BY(mu_);
  std::optional<dispatch::v1::CreateTaskRequest> last_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> callers_ ABSL_GUARDED_BY(mu_);
};

// FakeDispatch served on its own loopback server.
class DispatchStandIn final {
 public:
  explicit DispatchStandIn(const lianfang::testing::TestTokens& tokens);
  absl::Status Start();
  std::string address() const { return server_.address(); }
  FakeDispatch& service() { return service_; }

 private:
  FakeDispatch service_;
  lianfang::testing::LoopbackServer server_;
};

// A Deliverer whose destination address can change while the sender runs: first a port where
// nothing listens (dispatch down), later the stand-in. Thread-safe.
class SwitchableDeliverer final : public outbox::Deliverer {
 public:
  SwitchableDeliverer(std::string address, const auth::ServiceToken* token);
  void PointAt(const std::string& address);
  absl::Status Deliver(const outbox::PendingMessage& message) override;

 private:
  const auth::ServiceToken* token_;
  absl::Mutex mu_;
  std::unique_ptr<app::GrpcDeliverer> inner_ ABSL_GUARDED_BY(mu_);
};

struct HarnessOptions {
  std::string redis_url;
  size_t watch_queue_limit = 1024;
  // The database to serve from; empty = a fresh one (testing::TestDatabaseUrl). Two harnesses
  // given the same PostgreSQL URL are two replicas of the gate on one database.
  std::string database_url{};
};

class GateHarness final {
 public:
  // Everything is started (server SERVING, live counts and sender running).
  static absl::StatusOr<std::unique_ptr<GateHarness>> Start(HarnessOptions options);
  ~GateHarness();

  // ---- Parts ----
  time::FakeClock& clock() { return clock_; }
  const lianfang::testing::TestTokens& tokens() const { return *tokens_; }
  sql::Database& db() { return *db_; }
  // The URL db() was opened from (on PostgreSQL the service listens there for every replica's
  // passages: GateService::ListenForReplicas).
  const std::string& database_url() const { return database_url_; }
  const pii::PersonKeyer& keyer() const { return *keyer_; }
  live::LiveCounts& live() { return *live_; }
  outbox::Sender& sender() { return *sender_; }
  SwitchableDeliverer& deliverer() { return *deliverer_; }
  GateService& service() { return *service_; }
  v1::GateService::Stub& stub() { return *stub_; }
  std::shared_ptr<grpc::Channel> channel() { return server_->channel(); }
  const sites::SiteDirectory& sites() const { return sites_; }
  absl::TimeZone tz() const { return tz_; }
  std::string today() const;

  // ---- Tokens ----
  std::string Token(auth::Role role, const std::string& subject = "",
                    std::vector<std::string> sites = {}) const;
  std::string Admin() const { return Token(auth::Role::kAdmin, "admin-1"); }
  std::string Leader() const { return Token(auth::Role::kLeader, "leader-1"); }
  std::string Guard(std::vector<std::string> sites = {"campus", "open", "family"},
                    const std::string& subject = "guard-1") const {
    return Token(auth::Role::kGuard, subject, std::move(sites));
  }

  // ---- Requests ----
  static v1::RecordPassageRequest Passage(const std::string& request_id, const std::string& site,
                                          const std::string& gate, v1::Direction direction,
                                          const std::string& id_number, double temperature);
  static v1::RecordPassageRequest Entry(const std::string& request_id, const std::string& site,
                                        const std::string& gate, const std::string& id_number,
                                        double temperature = 36.5) {
    return Passage(request_id, site, gate, v1::DIRECTION_ENTRY, id_number, temperature);
  }
  static v1::RecordPassageRequest Exit(const std::string& request_id, const std::string& site,
                                       const std::string& gate, const std::string& id_number) {
    return Passage(request_id, site, gate, v1::DIRECTION_EXIT, id_number, 0);
  }

  // The calls, as absl statuses (details included).
  absl::StatusOr<v1::RecordPassageResponse> Record(const v1::RecordPassageRequest& request,
                                                   const std::string& token);
  absl::StatusOr<v1::RecordPassageResponse> Record(const v1::RecordPassageRequest& request) {
    return Record(request, Guard());
  }
  absl::StatusOr<v1::Pass> IssuePass(const std::string& request_id, const std::string& site,
                                     const std::string& id_number,
                                     const std::string& name = "李小妮");
  absl::StatusOr<v1::Occupancy> Occupancy(const std::string& site);
  absl::StatusOr<v1::ListPassagesResponse> ListPassages(const v1::ListPassagesRequest& request,
                                                        const std::string& token);

  // Rows of a table (for "nothing was stored").
  int64_t CountRows(const std::string& table);
  // Rows of every table a passage writes: passages, idempotency, audit, outbox.
  int64_t CountWrites();

 private:
  GateHarness();

  time::FakeClock clock_;
  time::RealClock real_clock_;
  std::unique_ptr<lianfang::testing::TestTokens> tokens_;
  lianfang::testing::TempDir dir_;
  sites::SiteDirectory sites_;
  absl::TimeZone tz_;
  std::string database_url_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<pii::PersonKeyer> keyer_;
  std::unique_ptr<redis::Client> redis_;
  std::unique_ptr<live::LiveCounts> live_;
  std::unique_ptr<auth::ServiceToken> service_token_;
  std::unique_ptr<SwitchableDeliverer> deliverer_;
  std::unique_ptr<outbox::Sender> sender_;
  std::unique_ptr<GateService> service_;
  std::unique_ptr<lianfang::testing::LoopbackServer> server_;
  std::unique_ptr<v1::GateService::Stub> stub_;
};

}  // namespace lianfang::gate::testing

#endif  // LIANFANG_TESTS_SERVICES_GATE_GATE_HARNESS_H_
