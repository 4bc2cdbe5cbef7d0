#include "tests/services/survey/survey_test_env.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/audit/audit.h"
#include "common/idempotency/idempotency.h"
#include "common/redis/keys.h"
#include "common/server/errors.h"
#include "common/server/grpc_status.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/testing/poll.h"
#include "common/testing/ports.h"
#include "common/testing/service_binaries.h"
#include "common/testing/test_database.h"
#include "gtest/gtest.h"
#include "services/survey/pass_codes.h"
#include "services/survey/survey_store.h"

namespace lianfang::survey::testing {
namespace {

std::string Metadata(const grpc::CallbackServerContext* ctx, const char* key) {
  auto it = ctx->client_metadata().find(key);
  if (it == ctx->client_metadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

grpc::ServerUnaryReactor* Ok(grpc::CallbackServerContext* ctx) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace

std::string IdNumber(int n) {
  const std::string first17 = absl::StrCat("32010219850315", 100 + n % 900);
  return first17 + pii::IdNumberCheckDigit(first17);
}

// ---- Stand-ins ----------------------------------------------------------------------------------

void CallLog::Record(const std::string& request_id, const std::string& authorization) {
  absl::MutexLock lock(&mu_);
  ++calls_[request_id];
  order_.push_back(request_id);
  last_authorization_ = authorization;
}

int CallLog::Calls(const std::string& request_id) const {
  absl::MutexLock lock(&mu_);
  auto it = calls_.find(request_id);
  return it == calls_.end() ? 0 : it->second;
}

int CallLog::Total() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(order_.size());
}

std::vector<std::string> CallLog::RequestIds() const {
  absl::MutexLock lock(&mu_);
  return order_;
}

std::string CallLog::LastAuthorization() const {
  absl::MutexLock lock(&mu_);
  return last_authorization_;
}

grpc::ServerUnaryReactor* FakeGate::IssuePass(grpc::CallbackServerContext* ctx,
                                              const gate::v1::IssuePassRequest* req,
                                              gate::v1::Pass* resp) {
  {
    absl::MutexLock lock(&mu_);
    pass_requests_.push_back(*req);
  }
  passes.Record(req->request_id(), Metadata(ctx, "authorization"));
  resp->set_pass_code(absl::StrCat("P-", req->request_id()));
  resp->set_person_key(req->person_key());
  return Ok(ctx);
}

grpc::ServerUnaryReactor* FakeGate::PlaceHold(grpc::CallbackServerContext* ctx,
                                              const gate::v1::PlaceHoldRequest* req,
                                              gate::v1::Hold* resp) {
  {
    absl::MutexLock lock(&mu_);
    hold_requests_.push_back(*req);
  }
  holds.Record(req->request_id(), Metadata(ctx, "authorization"));
  resp->set_person_key(req->person_key());
  return Ok(ctx);
}

grpc::ServerUnaryReactor* FakeGate::ReleaseHold(grpc::CallbackServerContext* ctx,
                                                const gate::v1::ReleaseHoldRequest* req,
                                                gate::v1::ReleaseHoldResponse* resp) {
  releases.Record(req->request_id(), Metadata(ctx, "authorization"));
  resp->mutable_hold()->set_person_key(req->person_key());
  return Ok(ctx);
}

grpc::ServerUnaryReactor* FakeGate::NoteHealthReports(grpc::CallbackServerContext* ctx,
                                                      const gate::v1::NoteHealthReportsRequest* req,
                                                      gate::v1::NoteHealthReportsResponse* resp) {
  {
    absl::MutexLock lock(&mu_);
    note_requests_.push_back(*req);
  }
  notes.Record(req->request_id(), Metadata(ctx, "authorization"));
  resp->set_applied(req->notes_size());
  return Ok(ctx);
}

std::vector<gate::v1::NoteHealthReportsRequest> FakeGate::NoteRequests() const {
  absl::MutexLock lock(&mu_);
  return note_requests_;
}

std::vector<gate::v1::IssuePassRequest> FakeGate::PassRequests() const {
  absl::MutexLock lock(&mu_);
  return pass_requests_;
}

std::vector<gate::v1::PlaceHoldRequest> FakeGate::HoldRequests() const {
  absl::MutexLock lock(&mu_);
  return hold_requests_;
}

grpc::ServerUnaryReactor* FakeDispatch::CreateTask(grpc::CallbackServerContext* ctx,
                                                   const dispatch::v1::CreateTaskRequest* req,
                                                   dispatch::v1::Task* resp) {
  {
    absl::MutexLock lock(&mu_);
    requests_.push_back(*req);
  }
  tasks.Record(req->request_id(), Metadata(ctx, "authorization"));
  *resp = req->task();
  resp->set_task_id(absl::StrCat("T-", req->request_id()));
  return Ok(ctx);
}

std::vector<dispatch::v1::CreateTaskRequest> FakeDispatch::TaskRequests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

void SwitchableDeliverer::Route(const std::map<std::string, std::string>& addresses) {
  auto next = std::make_unique<app::GrpcDeliverer>(addresses, token_, absl::Seconds(5));
  CollectPassCodes(*next, *db_);
  absl::MutexLock lock(&mu_);
  current_ = std::move(next);
}

absl::Status SwitchableDeliverer::Deliver(const outbox::PendingMessage& message) {
  absl::MutexLock lock(&mu_);
  return current_->Deliver(message);
}

// ---- Fixture ------------------------------------------------------------------------------------

absl::Time SurveyTest::Start() {
  return absl::FromCivil(absl::CivilSecond(2026, 3, 10, 9, 0, 0),
                         *time::LoadTimeZone("Asia/Shanghai"));
}

void SurveyTest::SetUp() {
  WithRedis::SetUp();
  tz_ = *time::LoadTimeZone("Asia/Shanghai");
  clock_ = std::make_unique<time::FakeClock>(Start());

  ASSERT_OK_AND_ASSIGN(db_, sql::Database::Open(::lianfang::testing::TestDatabaseUrl(dir_, "survey.db")));
  ASSERT_OK(db_->Migrate(idempotency::kComponent, idempotency::Migrations()));
  ASSERT_OK(db_->Migrate(outbox::kComponent, outbox::Migrations()));
  ASSERT_OK(db_->Migrate(audit::kComponent, audit::Migrations()));
  ASSERT_OK(db_->Migrate(kComponent, Migrations()));

  ASSERT_OK_AND_ASSIGN(
      sites::SiteDirectory sites,
      sites::SiteDirectory::LoadFile(lianfang::testing::SourcePath("deploy/sites.textproto")));
  sites_ = std::make_unique<sites::SiteDirectory>(std::move(sites));
  ASSERT_OK_AND_ASSIGN(pii::PersonKeyer keyer,
                       pii::PersonKeyer::FromSecret("survey-test-pii-key-0123456789"));
  keyer_ = std::make_unique<pii::PersonKeyer>(std::move(keyer));
  ASSERT_OK_AND_ASSIGN(settings_.risk_regions, RiskRegions::Parse("# test list\n青川市\n白沙县\n"));
  settings_.observation_days = 14;

  redis::Client::Options redis_options;
  redis_options.command_timeout = absl::Seconds(2);
  redis_options.connect_timeout = absl::Seconds(2);
  redis_options.reconnect_backoff = absl::Milliseconds(50);
  ASSERT_OK_AND_ASSIGN(redis_, redis::Client::FromUrl(redis_url(), redis_options));

  service_token_ = std::make_unique<auth::ServiceToken>(auth::ServiceToken::FromSecret(
      lianfang::testing::TestTokens::kSecret, "survey", real_clock_));
  ASSERT_OK_AND_ASSIGN(int dead_port, lianfang::testing::PickFreePort());
  const std::string dead = absl::StrCat("127.0.0.1:", dead_port);
  deliverer_ = std::make_unique<SwitchableDeliverer>(service_token_.get(), db_.get());
  deliverer_->Route({{"gate", dead}, {"dispatch", dead}});
  outbox::SenderOptions sender_options;
  sender_options.poll_interval = absl::Milliseconds(50);
  sender_options.min_backoff = absl::Milliseconds(20);
  sender_options.max_backoff = absl::Milliseconds(200);
  sender_ = std::make_unique<outbox::Sender>(*db_, *deliverer_, real_clock_, sender_options);

  SurveyLive::Options live_options;
  live_options.counts.health_interval = absl::Milliseconds(100);
  live_options.day_check_interval = absl::Milliseconds(20);
  live_ = std::make_unique<SurveyLive>(redis_.get(), db_.get(), sites_.get(), clock_.get(), tz_,
                                       live_options);

  ServeService();
  sender_->Start();
  live_->Start();
}

void SurveyTest::ServeService() {
  service_ = std::make_unique<SurveyService>(SurveyServiceDeps{.db = db_.get(),
                                                               .sites = sites_.get(),
                                                               .clock = clock_.get(),
                                                               .tz = tz_,
                                                               .keyer = keyer_.get(),
                                                               .authorizer = &tokens_.authorizer(),
                                                               .settings = &settings_,
                                                               .sender = sender_.get(),
                                                               .live = live_.get()});
  server::ServerOptions options;
  options.service_name = "survey";
  options.served_services = {"lianfang.survey.v1.SurveyService"};
  options.log_calls = false;
  server_ = std::make_unique<lianfang::testing::LoopbackServer>(options);
  server_->AddService(service_.get());
  server_->UseFallback(tokens_);
  ASSERT_OK(server_->Start());
  stub_ = v1::SurveyService::NewStub(server_->channel());
}

void SurveyTest::RestartService() {
  sender_->Stop();
  server_->Shutdown();
  server_.reset();
  service_.reset();
  outbox::SenderOptions sender_options;
  sender_options.poll_interval = absl::Milliseconds(50);
  sender_options.min_backoff = absl::Milliseconds(20);
  sender_options.max_backoff = absl::Milliseconds(200);
  sender_ = std::make_unique<outbox::Sender>(*db_, *deliverer_, real_clock_, sender_options);
  ServeService();
  sender_->Start();
}

void SurveyTest::TearDown() {
  if (sender_ != nullptr) sender_->Stop();
  if (live_ != nullptr) live_->Stop();
  if (server_ != nullptr) server_->Shutdown();
  if (downstream_ != nullptr) downstream_->Shutdown();
}

void SurveyTest::StartDownstreams() {
  server::ServerOptions options;
  options.service_name = "downstream";
  options.served_services = {"lianfang.gate.v1.GateService",
                             "lianfang.dispatch.v1.DispatchService"};
  options.log_calls = false;
  downstream_ = std::make_unique<lianfang::testing::LoopbackServer>(options);
  downstream_->AddService(&gate_);
  downstream_->AddService(&dispatch_);
  downstream_->UseFallback(tokens_);
  ASSERT_OK(downstream_->Start());
  deliverer_->Route({{"gate", downstream_->address()}, {"dispatch", downstream_->address()}});
  sender_->Wake();
}

std::string SurveyTest::Token(auth::Role role, std::vector<std::string> sites) const {
  return tokens_.For(role, absl::StrCat(auth::RoleName(role), "-1"), std::move(sites));
}

std::unique_ptr<grpc::ClientContext> SurveyTest::As(auth::Role role,
                                                    std::vector<std::string> sites) const {
  return lianfang::testing::NewClientContext(Token(role, std::move(sites)), absl::Seconds(20));
}

std::string SurveyTest::NextRequestId() { return absl::StrCat("req-", ++next_request_); }

v1::Household SurveyTest::AddHousehold(const std::string& site, const std::string& building,
                                       const std::string& room, bool surveyed) {
  v1::UpsertHouseholdRequest req;
  req.set_request_id(NextRequestId());
  req.mutable_household()->set_site_id(site);
  req.mutable_household()->set_building(building);
  req.mutable_household()->set_room(room);
  req.mutable_household()->set_kind(v1::HOUSEHOLD_KIND_OWNER_OCCUPIED);
  req.set_surveyed(surveyed);
  v1::Household resp;
  grpc::Status status = stub_->UpsertHousehold(As(auth::Role::kLeader).get(), req, &resp);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return resp;
}

v1::Resident SurveyTest::AddResident(const std::string& household_id, int person, bool tenant) {
  v1::RegisterResidentRequest req;
  req.set_request_id(NextRequestId());
  req.set_household_id(household_id);
  req.mutable_person()->set_id_number(IdNumber(person));
  req.mutable_person()->set_name(absl::StrCat("王", person % 10 == 0 ? "十" : "小", "明"));
  req.mutable_person()->set_phone("13912345678");
  req.set_relation(tenant ? "租户" : "户主");
  req.set_is_tenant(tenant);
  v1::Resident resp;
  grpc::Status status = stub_->RegisterResident(As(auth::Role::kLeader).get(), req, &resp);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return resp;
}

v1::Movement SurveyTest::AddMovement(int person, const std::string& site, const std::string& region,
                                     absl::CivilDay arrived_on) {
  v1::RecordMovementRequest req;
  req.set_request_id(NextRequestId());
  req.mutable_person()->set_id_number(IdNumber(person));
  req.mutable_person()->set_name("赵大勇");
  req.set_from_region(region);
  req.set_arrived_on(time::FormatDate(arrived_on));
  req.set_transport("G1234");
  req.set_site_id(site);
  v1::Movement resp;
  grpc::Status status = stub_->RecordMovement(As(auth::Role::kLeader).get(), req, &resp);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return resp;
}

v1::HealthReport SurveyTest::Report(int person, absl::CivilDay date, double temperature_c,
                                    std::vector<v1::Symptom> symptoms) {
  v1::SubmitHealthReportRequest req;
  req.set_request_id(NextRequestId());
  req.set_person_key(PersonKey(person));
  req.set_date(time::FormatDate(date));
  req.set_temperature_c(temperature_c);
  for (v1::Symptom s : symptoms) req.add_symptoms(s);
  v1::HealthReport resp;
  grpc::Status status = stub_->SubmitHealthReport(As(auth::Role::kLeader).get(), req, &resp);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return resp;
}

absl::Status SurveyTest::StatusOf(const grpc::Status& status) {
  return server::FromGrpcStatus(status);
}

std::vector<std::string> SurveyTest::BadFields(const grpc::Status& status) {
  std::vector<std::string> fields;
  for (const auto& [field, description] : server::FieldViolations(StatusOf(status))) {
    fields.push_back(field);
  }
  return fields;
}

v1::GetCoverageResponse SurveyTest::Coverage(const std::string& site) {
  v1::GetCoverageRequest req;
  req.set_site_id(site);
  v1::GetCoverageResponse resp;
  grpc::Status status = stub_->GetCoverage(As(auth::Role::kViewer).get(), req, &resp);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return resp;
}

std::map<std::string, v1::Resident> SurveyTest::Residents(const std::string& site) {
  v1::ListResidentsRequest req;
  req.set_site_id(site);
  req.set_page_size(100);
  v1::ListResidentsResponse resp;
  grpc::Status status = stub_->ListResidents(As(auth::Role::kLeader).get(), req, &resp);
  EXPECT_TRUE(status.ok()) << status.error_message();
  std::map<std::string, v1::Resident> out;
  for (const v1::Resident& r : resp.residents()) out[r.resident_id()] = r;
  return out;
}

outbox::Counts SurveyTest::OutboxCounts() {
  outbox::Counts counts;
  EXPECT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(counts, outbox::CountMessages(s));
    return absl::OkStatus();
  }));
  return counts;
}

bool SurveyTest::OutboxDrained() {
  return lianfang::testing::PollUntil([&] { return OutboxCounts().pending == 0; },
                                      absl::Seconds(30));
}

int64_t SurveyTest::AuditCount() {
  int64_t n = 0;
  EXPECT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<sql::Row> row,
                     s.QueryRow("SELECT COUNT(*) FROM lf_audit_events"));
    n = row.has_value() ? row->Int(0) : 0;
    return absl::OkStatus();
  }));
  return n;
}

std::map<std::string, std::string> SurveyTest::RedisLive(const std::string& site) {
  absl::StatusOr<std::string> key = redis::LiveKey(redis::kSurvey, site);
  if (!key.ok()) return {};
  absl::StatusOr<std::map<std::string, std::string>> hash = redis_->HGetAll(*key);
  return hash.ok() ? *hash : std::map<std::string, std::string>{};
}

std::map<std::string, std::string> SurveyTest::RedisToday(const std::string& site) {
  absl::StatusOr<std::string> key = redis::DayKey(redis::kSurvey, site, Today());
  if (!key.ok()) return {};
  absl::StatusOr<std::map<std::string, std::string>> hash = redis_->HGetAll(*key);
  return hash.ok() ? *hash : std::map<std::string, std::string>{};
}

bool SurveyTest::RedisMatchesSql(const std::string& site) {
  const v1::GetCoverageResponse c = Coverage(site);
  const std::map<std::string, std::string> want_live = {
      {redis::kFieldHouseholdsTotal, absl::StrCat(c.households_total())},
      {redis::kFieldHouseholdsSurveyed, absl::StrCat(c.households_surveyed())},
      {redis::kFieldResidents, absl::StrCat(c.residents())},
      {redis::kFieldTenantsTotal, absl::StrCat(c.tenants_total())},
      {redis::kFieldTenantsVerified, absl::StrCat(c.tenants_verified())},
      {redis::kFieldTenantsPending, absl::StrCat(c.tenants_pending())},
      {redis::kFieldUnderObservation, absl::StrCat(c.under_observation())}};
  const std::map<std::string, std::string> want_today = {
      {redis::kFieldReports, absl::StrCat(c.reports_today())},
      {redis::kFieldReportsMissing, absl::StrCat(c.reports_missing_today())}};
  return RedisLive(site) == want_live && RedisToday(site) == want_today;
}

}  // namespace lianfang::survey::testing
