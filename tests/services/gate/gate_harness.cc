#include "tests/services/gate/gate_harness.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/app/unary.h"
#include "common/audit/audit.h"
#include "common/idempotency/idempotency.h"
#include "common/server/authorization.h"
#include "common/server/grpc_status.h"
#include "common/status/status_macros.h"
#include "common/testing/ports.h"
#include "common/testing/test_database.h"
#include "services/gate/gate_figures.h"
#include "services/gate/gate_store.h"
#include "tests/services/gate/gate_test_util.h"

namespace lianfang::gate::testing {
namespace {

constexpr char kCreateTask[] = "/lianfang.dispatch.v1.DispatchService/CreateTask";

// A fixed past morning (10:00 in Shanghai yesterday), so the fake clock is always behind the
// real one (the outbox sender compares due times with the real clock) and "today" never
// changes under a test.
absl::Time StartTime(absl::TimeZone tz) {
  const absl::CivilDay yesterday = time::DayOf(absl::Now(), tz) - 1;
  return absl::FromCivil(
      absl::CivilSecond(yesterday.year(), yesterday.month(), yesterday.day(), 10, 0, 0), tz);
}

}  // namespace

// ---- FakeDispatch ------------------------------------------------------------------------------

grpc::ServerUnaryReactor* FakeDispatch::CreateTask(grpc::CallbackServerContext* ctx,
                                                   const dispatch::v1::CreateTaskRequest* req,
                                                   dispatch::v1::Task* resp) {
  ASSIGN_OR_FINISH(ctx, kCreateTask, auth::Principal who,
                   server::AuthorizeCall(*authorizer_, ctx, kCreateTask));
  {
    absl::MutexLock lock(&mu_);
    ++calls_[req->request_id()];
    last_ = *req;
    callers_.push_back(who.subject);
  }
  *resp = req->task();
  resp->set_task_id(absl::StrCat("task-", req->request_id()));
  resp->set_status(dispatch::v1::TASK_STATUS_OPEN);
  return app::FinishWith(ctx, kCreateTask, absl::OkStatus());
}

int FakeDispatch::Calls(const std::string& request_id) const {
  absl::MutexLock lock(&mu_);
  auto it = calls_.find(request_id);
  return it == calls_.end() ? 0 : it->second;
}

int FakeDispatch::TotalCalls() const {
  absl::MutexLock lock(&mu_);
  int total = 0;
  for (const auto& [id, n] : calls_) total += n;
  return total;
}

std::optional<dispatch::v1::CreateTaskRequest> FakeDispatch::Last() const {
  absl::MutexLock lock(&mu_);
  return last_;
}

std::vector<std::string> FakeDispatch::Callers() const {
  absl::MutexLock lock(&mu_);
  return callers_;
}

namespace {
server::ServerOptions ServerOptionsFor(const std::string& name, const std::string& service) {
  server::ServerOptions options;
  options.service_name = name;
  options.served_services = {service};
  options.log_calls = false;
  return options;
}
}  // namespace

DispatchStandIn::DispatchStandIn(const lianfang::testing::TestTokens& tokens)
    : service_(&tokens.authorizer()),
      server_(ServerOptionsFor("dispatch", "lianfang.dispatch.v1.DispatchService")) {
  server_.AddService(&service_);
  server_.UseFallback(tokens);
}

absl::Status DispatchStandIn::Start() { return server_.Start(); }

// ---- SwitchableDeliverer ----------------------------------------------------------------------

SwitchableDeliverer::SwitchableDeliverer(std::string address, const auth::ServiceToken* token)
    : token_(token) {
  PointAt(address);
}

void SwitchableDeliverer::PointAt(const std::string& address) {
  auto inner = std::make_unique<app::GrpcDeliverer>(
      std::map<std::string, std::string>{{"dispatch", address}}, token_, absl::Seconds(2));
  absl::MutexLock lock(&mu_);
  inner_ = std::move(inner);
}

absl::Status SwitchableDeliverer::Deliver(const outbox::PendingMessage& message) {
  absl::MutexLock lock(&mu_);
  return inner_->Deliver(message);
}

// ---- GateHarness -------------------------------------------------------------------------------

GateHarness::GateHarness()
    : clock_(absl::Now()), sites_(TestSites()), tz_(*time::LoadTimeZone("Asia/Shanghai")) {
  clock_.Set(StartTime(tz_));
}

absl::StatusOr<std::unique_ptr<GateHarness>> GateHarness::Start(HarnessOptions options) {
  std::unique_ptr<GateHarness> h(new GateHarness());
  h->tokens_ = std::make_unique<lianfang::testing::TestTokens>(&h->clock_);
  h->database_url_ = options.database_url.empty()
                         ? ::lianfang::testing::TestDatabaseUrl(h->dir_, "gate.db")
                         : options.database_url;
  ASSIGN_OR_RETURN(h->db_, sql::Database::Open(h->database_url_));
  RETURN_IF_ERROR(h->db_->Migrate(idempotency::kComponent, idempotency::Migrations()));
  RETURN_IF_ERROR(h->db_->Migrate(outbox::kComponent, outbox::Migrations()));
  RETURN_IF_ERROR(h->db_->Migrate(audit::kComponent, audit::Migrations()));
  RETURN_IF_ERROR(h->db_->Migrate("gate", Migrations()));
  ASSIGN_OR_RETURN(pii::PersonKeyer keyer,
                   pii::PersonKeyer::FromSecret("gate-test-pii-key-0123456789"));
  h->keyer_ = std::make_unique<pii::PersonKeyer>(std::move(keyer));
  ASSIGN_OR_RETURN(h->redis_, redis::Client::FromUrl(options.redis_url));

  live::Options live_options;
  live_options.health_interval = absl::Milliseconds(50);
  h->live_ = std::make_unique<live::LiveCounts>("gate", h->sites_.ids(), h->redis_.get(),
                                                h->db_.get(), &h->clock_, h->tz_,
                                                MakeSnapshotFn(&h->sites_), live_options);
  h->service_token_ = std::make_unique<auth::ServiceToken>(
      auth::ServiceToken::FromSecret(h->tokens_->secret(), "gate", h->clock_));
  ASSIGN_OR_RETURN(int dead_port, lianfang::testing::PickFreePort());
  h->deliverer_ = std::make_unique<SwitchableDeliverer>(absl::StrCat("127.0.0.1:", dead_port),
                                                        h->service_token_.get());
  outbox::SenderOptions sender_options;
  sender_options.poll_interval = absl::Milliseconds(50);
  sender_options.min_backoff = absl::Milliseconds(20);
  sender_options.max_backoff = absl::Milliseconds(200);
  h->sender_ =
      std::make_unique<outbox::Sender>(*h->db_, *h->deliverer_, h->real_clock_, sender_options);

  h->service_ = std::make_unique<GateService>(GateServiceOptions{
      .sites = &h->sites_,
      .clock = &h->clock_,
      .db = h->db_.get(),
      .keyer = h->keyer_.get(),
      .authorizer = &h->tokens_->authorizer(),
      .tz = h->tz_,
      .live = h->live_.get(),
      .outbox = h->sender_.get(),
      .watch_queue_limit = options.watch_queue_limit,
  });
  RETURN_IF_ERROR(h->service_->ListenForReplicas(h->database_url_));
  h->server_ = std::make_unique<lianfang::testing::LoopbackServer>(
      ServerOptionsFor("gate", "lianfang.gate.v1.GateService"));
  h->server_->AddService(h->service_.get());
  h->server_->UseFallback(*h->tokens_);
  RETURN_IF_ERROR(h->server_->Start());
  h->stub_ = v1::GateService::NewStub(h->server_->channel());
  h->live_->Start();
  h->sender_->Start();
  return h;
}

GateHarness::~GateHarness() {
  if (server_ != nullptr) server_->Shutdown();
  if (sender_ != nullptr) sender_->Stop();
  if (live_ != nullptr) live_->Stop();
  // Writes queued before this one (a live-count reconcile) complete before their owners go.
  if (db_ != nullptr) (void)db_->Write([](sql::Session&) { return absl::OkStatus(); });
  server_.reset();
  service_.reset();
  sender_.reset();
  live_.reset();
  db_.reset();
}

std::string GateHarness::today() const { return time::DateOf(clock_.Now(), tz_); }

std::string GateHarness::Token(auth::Role role, const std::string& subject,
                               std::vector<std::string> sites) const {
  return tokens_->For(role, subject.empty() ? std::string(auth::RoleName(role)) : subject,
                      std::move(sites));
}

v1::RecordPassageRequest GateHarness::Passage(const std::string& request_id,
                                              const std::string& site, const std::string& gate,
                                              v1::Direction direction, const std::string& id_number,
                                              double temperature) {
  v1::RecordPassageRequest r;
  r.set_request_id(request_id);
  r.set_site_id(site);
  r.set_gate_id(gate);
  r.set_direction(direction);
  r.mutable_person()->set_id_number(id_number);
  r.mutable_person()->set_name("张小三");
  r.set_temperature_c(temperature);
  return r;
}

absl::StatusOr<v1::RecordPassageResponse> GateHarness::Record(
    const v1::RecordPassageRequest& request, const std::string& token) {
  auto ctx = lianfang::testing::NewClientContext(token, absl::Seconds(20));
  v1::RecordPassageResponse response;
  RETURN_IF_ERROR(server::FromGrpcStatus(stub_->RecordPassage(ctx.get(), request, &response)));
  return response;
}

absl::StatusOr<v1::Pass> GateHarness::IssuePass(const std::string& request_id,
                                                const std::string& site,
                                                const std::string& id_number,
                                                const std::string& name) {
  v1::IssuePassRequest r;
  r.set_request_id(request_id);
  r.set_site_id(site);
  r.mutable_person()->set_id_number(id_number);
  r.mutable_person()->set_name(name);
  r.set_kind(v1::PASS_KIND_RESIDENT);
  auto ctx = lianfang::testing::NewClientContext(Leader(), absl::Seconds(20));
  v1::Pass pass;
  RETURN_IF_ERROR(server::FromGrpcStatus(stub_->IssuePass(ctx.get(), r, &pass)));
  return pass;
}

absl::StatusOr<v1::Occupancy> GateHarness::Occupancy(const std::string& site) {
  v1::GetOccupancyRequest r;
  r.set_site_id(site);
  auto ctx = lianfang::testing::NewClientContext(Admin(), absl::Seconds(20));
  v1::Occupancy out;
  RETURN_IF_ERROR(server::FromGrpcStatus(stub_->GetOccupancy(ctx.get(), r, &out)));
  return out;
}

absl::StatusOr<v1::ListPassagesResponse> GateHarness::ListPassages(
    const v1::ListPassagesRequest& request, const std::string& token) {
  auto ctx = lianfang::testing::NewClientContext(token, absl::Seconds(20));
  v1::ListPassagesResponse out;
  RETURN_IF_ERROR(server::FromGrpcStatus(stub_->ListPassages(ctx.get(), request, &out)));
  return out;
}

int64_t GateHarness::CountRows(const std::string& table) {
  int64_t n = -1;
  absl::Status s = db_->Read([&](sql::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<sql::Row> row,
                     session.QueryRow(absl::StrCat("SELECT COUNT(*) FROM ", table)));
    n = row.has_value() ? row->Int(0) : -1;
    return absl::OkStatus();
  });
  return s.ok() ? n : -1;
}

int64_t GateHarness::CountWrites() {
  return CountRows("gate_passages") + CountRows("lf_idempotency") + CountRows("lf_audit_events") +
         CountRows("lf_outbox") + CountRows("gate_daily") + CountRows("gate_presence");
}

}  // namespace lianfang::gate::testing
