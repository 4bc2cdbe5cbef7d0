// The integration-test environment of the survey service: a real SQLite file, a private
// redis-server (WithRedis), the service served over loopback gRPC with a FakeClock, an outbox
// sender delivering over gRPC, and stand-ins for the gate and dispatch services that count
// the calls they receive per request_id and can be started late (the "service down, then
// back" cases).
#ifndef LIANFANG_TESTS_SERVICES_SURVEY_SURVEY_TEST_ENV_H_
#define LIANFANG_TESTS_SERVICES_SURVEY_SURVEY_TEST_ENV_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/app/grpc_deliverer.h"
#include "common/auth/principal.h"
#include "common/auth/service_token.h"
#include "common/outbox/outbox.h"
#include "common/pii/pii.h"
#include "common/redis/client.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/temp_dir.h"
#include "common/testing/with_redis.h"
#include "common/time/clock.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "lianfang/survey/v1/survey.grpc.pb.h"
#include "services/survey/config.h"
#include "services/survey/survey_live.h"
#include "services/survey/survey_service.h"

namespace lianfang::survey::testing {

// A valid resident ID number (GB 11643 check digit) numbered `n` (0..899).
std::string IdNumber(int n);

// Counts calls per request_id; thread-safe.
class CallLog {
 public:
  void Record(const std::string& request_id, const std::string& authorization);
  int Calls(const std::string& request_id) const;
  int Total() const;
  std::vector<std::string> RequestIds() const;
  std::string LastAuthorization() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, int> calls_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> order_ ABSL_GUARDED_BY(mu_);
  std::string last_authorization_ ABSL_GUARDED_BY(mu_);
};

// Stand-in GateService: IssuePass, PlaceHold, ReleaseHold and NoteHealthReports answer OK
// and are logged.
class FakeGate final : public gate::v1::GateService::CallbackService {
 public:
  grpc::ServerUnaryReactor* IssuePass(grpc::CallbackServerContext* ctx,
                                      const gate::v1::IssuePassRequest* req,
                                      gate::v1::Pass* resp) override;
  grpc::ServerUnaryReactor* PlaceHold(grpc::CallbackServerContext* ctx,
                                      const gate::v1::PlaceHoldRequest* req,
                                      gate::v1::Hold* resp) override;
  grpc::ServerUnaryReactor* ReleaseHold(grpc::CallbackServerContext* ctx,
                                        const gate::v1::ReleaseHoldRequest* req,
                                        gate::v1::ReleaseHoldResponse* resp) override;

  grpc::ServerUnaryReactor* NoteHealthReports(grpc::CallbackServerContext* ctx,
                                              const gate::v1::NoteHealthReportsRequest* req,
                                              gate::v1::NoteHealthReportsResponse* resp) override;

  CallLog passes;
  CallLog holds;
  CallLog releases;
  CallLog notes;

  std::vector<gate::v1::IssuePassRequest> PassRequests() const;
  std::vector<gate::v1::PlaceHoldRequest> HoldRequests() const;
  std::vector<gate::v1::NoteHealthReportsRequest> NoteRequests() const;

 private:
  mutable absl::Mutex mu_;
  std::vector<gate::v1::NoteHealthReportsRequest> note_requests_ ABSL_GUARDED_BY(mu_);
  std::vector<gate::v1::IssuePassRequest> pass_requests_ ABSL_GUARDED_BY(mu_);
  std::vector<gate::v1::PlaceHoldRequest> hold_requests_ ABSL_GUARDED_BY(mu_);
};

// Stand-in DispatchService: CreateTask answers OK and is logged.
class FakeDispatch final : public dispatch::v1::DispatchService::CallbackService {
 public:
  grpc::ServerUnaryReactor* CreateTask(grpc::CallbackServerContext* ctx,
                                       const dispatch::v1::CreateTaskRequest* req,
                                       dispatch::v1::Task* resp) override;
  CallLog tasks;
  std::vector<dispatch::v1::CreateTaskRequest> TaskRequests() const;

 private:
  mutable absl::Mutex mu_;
  std::vector<dispatch::v1::CreateTaskRequest> requests_ ABSL_GUARDED_BY(mu_);
};

// An outbox deliverer whose destinations can be re-pointed at run time: first at a port
// where nothing listens (the services are down: real gRPC UNAVAILABLE), later at the
// stand-ins once they are started.
class SwitchableDeliverer final : public outbox::Deliverer {
 public:
  // Each deliverer it routes to stores the codes of the passes gate issues in `db`, as
  // lf-survey's does (pass_codes.h).
  SwitchableDeliverer(const auth::ServiceToken* token, sql::Database* db)
      : token_(token), db_(db) {}
  void Route(const std::map<std::string, std::string>& addresses);
  absl::Status Deliver(const outbox::PendingMessage& message) override;

 private:
  const auth::ServiceToken* token_;
  sql::Database* db_;
  absl::Mutex mu_;
  std::unique_ptr<app::GrpcDeliverer> current_ ABSL_GUARDED_BY(mu_);
};

class SurveyTest : public lianfang::testing::WithRedis {
 protected:
  // 2026-03-10 09:00 in Asia/Shanghai.
  static absl::Time Start();

  void SetUp() override;
  void TearDown() override;

  // Starts the gate and dispatch stand-ins and points the outbox at them.
  void StartDownstreams();

  // A restart of the service: the server, the outbox sender and the service are shut down
  // and made anew over the same database (every state a restart keeps is in it).
  void RestartService();

  std::string Token(auth::Role role, std::vector<std::string> sites = {}) const;
  std::unique_ptr<grpc::ClientContext> As(auth::Role role,
                                          std::vector<std::string> sites = {}) const;
  std::string NextRequestId();

  // Calls as LEADER, asserting success.
  v1::Household AddHousehold(const std::string& site, const std::string& building,
                             const std::string& room, bool surveyed = true);
  v1::Resident AddResident(const std::string& household_id, int person, bool tenant = false);
  v1::Movement AddMovement(int person, const std::string& site, const std::string& region,
                           absl::CivilDay arrived_on);
  v1::HealthReport Report(int person, absl::CivilDay date, double temperature_c,
                          std::vector<v1::Symptom> symptoms = {});

  // Status of a call as the client sees it (with BadRequest details).
  static absl::Status StatusOf(const grpc::Status& status);
  // Field names of the BadRequest of `status`.
  static std::vector<std::string> BadFields(const grpc::Status& status);

  std::string PersonKey(int person) const { return keyer_->PersonKey(IdNumber(person)); }
  absl::CivilDay Today() const { return time::DayOf(clock_->Now(), tz_); }

  v1::GetCoverageResponse Coverage(const std::string& site);
  // The residents of `site` (at most 100) as ListResidents shows them to a LEADER, by id.
  std::map<std::string, v1::Resident> Residents(const std::string& site);
  outbox::Counts OutboxCounts();
  // Waits until no outbox message is pending.
  bool OutboxDrained();
  int64_t AuditCount();

  // The survey's Redis hashes of a site.
  std::map<std::string, std::string> RedisLive(const std::string& site);
  std::map<std::string, std::string> RedisToday(const std::string& site);
  // True when Redis holds exactly the SQL figures of `site` (GetCoverage).
  bool RedisMatchesSql(const std::string& site);

  absl::TimeZone tz_;
  std::unique_ptr<time::FakeClock> clock_;
  time::RealClock real_clock_;
  lianfang::testing::TestTokens tokens_;
  lianfang::testing::TempDir dir_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<sites::SiteDirectory> sites_;
  std::unique_ptr<pii::PersonKeyer> keyer_;
  SurveySettings settings_;
  std::unique_ptr<redis::Client> redis_;
  std::unique_ptr<auth::ServiceToken> service_token_;
  std::unique_ptr<SwitchableDeliverer> deliverer_;
  std::unique_ptr<outbox::Sender> sender_;
  std::unique_ptr<SurveyLive> live_;
  std::unique_ptr<SurveyService> service_;
  std::unique_ptr<lianfang::testing::LoopbackServer> server_;
  std::unique_ptr<v1::SurveyService::Stub> stub_;

  FakeGate gate_;
  FakeDispatch dispatch_;
  std::unique_ptr<lianfang::testing::LoopbackServer> downstream_;

 private:
  // Makes the service and serves it (server_, stub_).
  void ServeService();

  int next_request_ = 0;
};

}  // namespace lianfang::survey::testing

#endif  // LIANFANG_TESTS_SERVICES_SURVEY_SURVEY_TEST_ENV_H_
