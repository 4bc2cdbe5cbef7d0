// The workloads of lf-load (workloads.h).
#include "tools/lf-load/workloads.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <mutex>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/pii/pii.h"
#include "common/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "lianfang/gateway/v1/gateway.grpc.pb.h"
#include "lianfang/load/v1/echo.grpc.pb.h"
#include "lianfang/report/v1/report.grpc.pb.h"
#include "lianfang/survey/v1/survey.grpc.pb.h"

namespace lianfang::load {
namespace {

namespace gatev1 = ::lianfang::gate::v1;
namespace surveyv1 = ::lianfang::survey::v1;
namespace dispatchv1 = ::lianfang::dispatch::v1;
namespace reportv1 = ::lianfang::report::v1;
namespace gatewayv1 = ::lianfang::gateway::v1;

constexpr int kMaxThreads = 256;
// Sweeps of the pass issuing before a setup gives up on passes refused with ABORTED.
constexpr int kSetupSweeps = 3;

// Per-client-thread random generators: thread i only touches generator i.
class Randoms {
 public:
  explicit Randoms(uint64_t seed) {
    for (int i = 0; i < kMaxThreads; ++i) gens_.emplace_back(seed * 1000003 + i);
  }
  std::mt19937_64& For(int thread) { return gens_[static_cast<size_t>(thread) % gens_.size()]; }

 private:
  std::vector<std::mt19937_64> gens_;
};

uint64_t SeedOf(const std::string& run_id) { return std::hash<std::string>{}(run_id); }

void SetBearer(grpc::ClientContext& ctx, const std::string& token) {
  if (!token.empty()) ctx.AddMetadata("authorization", absl::StrCat("Bearer ", token));
}

// The synchronous calls of the setups: deadline, token, status to absl.
absl::Status Sync(const grpc::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(what, ": ", s.error_message()));
}

std::unique_ptr<grpc::ClientContext> SetupContext(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  SetBearer(*ctx, token);
  return ctx;
}

template <typename Stub>
std::vector<std::unique_ptr<Stub>> StubsOf(
    const std::string& address, int channels,
    std::unique_ptr<Stub> (*new_stub)(const std::shared_ptr<grpc::ChannelInterface>&,
                                      const grpc::StubOptions&)) {
  std::vector<std::unique_ptr<Stub>> stubs;
  for (const auto& channel : MakeChannels(address, channels)) {
    stubs.push_back(new_stub(channel, grpc::StubOptions()));
  }
  return stubs;
}

// ---- RecordPassage -------------------------------------------------------------------------

class PassageWorkload final : public Workload {
 public:
  PassageWorkload(const WorkloadContext& c, std::string token, std::string setup_token)
      : c_(c),
        token_(std::move(token)),
        setup_token_(std::move(setup_token)),
        stubs_(StubsOf<gatev1::GateService::Stub>(c.targets.gate, c.channels,
                                                  &gatev1::GateService::NewStub)),
        randoms_(SeedOf(c.run_id)) {
    for (const auto& site : c.sites->sites()) {
      std::vector<std::string> gates;
      for (const auto& gate : site.gates()) gates.push_back(gate.id());
      sites_.push_back({site.id(), std::move(gates)});
    }
  }

  std::string name() const override { return "RecordPassage"; }

  // Passes for the first `passes` people at their home site, so that most of their passages
  // are admitted (the others meet the sites' closed-to-outsiders rule).
  absl::Status Setup() override {
    const int passes = std::min(c_.passes, c_.people);
    if (passes == 0) return absl::OkStatus();
    std::atomic<int> next{0};
    DriverOptions o{.threads = std::min(2, c_.channels),
                    .concurrency = 32,
                    .duration = absl::Minutes(10),
                    .warmup = absl::ZeroDuration(),
                    .max_calls = passes,
                    .deadline = absl::Seconds(30),
                    .progress_label = ""};
    using C = UnaryCall<gatev1::GateService::Stub, gatev1::IssuePassRequest, gatev1::Pass>;
    // A pass refused with ABORTED (its write kept conflicting with another gate replica's) is
    // asked again with the same request_id, as clients are told to: the sweep is repeated, and
    // the passes already issued answer as replays.
    RunResult r;
    for (int sweep = 0; sweep < kSetupSweeps; ++sweep) {
      next = 0;
      r = Drive(o, [&](int thread) -> std::unique_ptr<Call> {
        const int person = next.fetch_add(1);
        gatev1::IssuePassRequest req;
        req.set_request_id(absl::StrCat("load-", c_.run_id, "-pass-", person));
        req.set_site_id(HomeSite(person).first);
        req.mutable_person()->set_id_number(LoadIdNumber(person));
        req.mutable_person()->set_name(LoadName(person));
        req.set_kind(gatev1::PASS_KIND_RESIDENT);
        auto call =
            std::make_unique<C>(stubs_[static_cast<size_t>(thread) % stubs_.size()].get(),
                                &gatev1::GateService::Stub::PrepareAsyncIssuePass, std::move(req));
        SetBearer(call->context(), setup_token_);
        return call;
      });
      const int64_t aborted = r.errors_by_code[static_cast<size_t>(grpc::StatusCode::ABORTED)];
      if (r.errors() == 0 || r.errors() != aborted) break;
    }
    if (r.errors() > 0) {
      for (size_t code = 1; code < r.errors_by_code.size(); ++code) {
        if (r.errors_by_code[code] > 0) {
          return absl::Status(
              static_cast<absl::StatusCode>(code),
              absl::StrCat("IssuePass failed for ", r.errors(), " of ", passes, " people"));
        }
      }
    }
    return absl::OkStatus();
  }

  std::unique_ptr<Call> NextCall(int thread) override {
    using C = UnaryCall<gatev1::GateService::Stub, gatev1::RecordPassageRequest,
                        gatev1::RecordPassageResponse>;
    auto call =
        std::make_unique<C>(stubs_[static_cast<size_t>(thread) % stubs_.size()].get(),
                            &gatev1::GateService::Stub::PrepareAsyncRecordPassage, Request(thread),
                            [this](const auto&, const auto& r, auto&) { Count(r); });
    SetBearer(call->context(), token_);
    return call;
  }

  size_t RequestBytes() const override {
    return const_cast<PassageWorkload*>(this)->Request(0).ByteSizeLong();
  }

  std::map<std::string, int64_t> Counters() const override {
    return {{"acknowledged", acknowledged_.load()},
            {"admitted", admitted_.load()},
            {"denied", denied_.load()},
            {"replayed", replayed_.load()}};
  }

 private:
  gatev1::RecordPassageRequest Request(int thread) {
    std::mt19937_64& rng = randoms_.For(thread);
    const uint64_t seq = seq_.fetch_add(1);
    const int64_t person = static_cast<int64_t>(rng() % static_cast<uint64_t>(c_.people));
    // Mostly at the person's home site, sometimes elsewhere.
    const auto& [site, gates] = rng() % 10 < 8 ? HomeSite(person) : sites_[rng() % sites_.size()];
    const std::string& gate = gates[rng() % gates.size()];
    gatev1::RecordPassageRequest r;
    r.set_request_id(absl::StrCat("load-", c_.run_id, "-", seq));
    r.set_site_id(site);
    r.set_gate_id(gate);
    const bool entry = rng() % 100 < 55;
    r.set_direction(entry ? gatev1::DIRECTION_ENTRY : gatev1::DIRECTION_EXIT);
    r.mutable_person()->set_id_number(LoadIdNumber(person));
    r.mutable_person()->set_name(LoadName(person));
    std::uniform_real_distribution<double> normal(35.8, 37.2), fever(37.6, 39.4);
    std::uniform_real_distribution<double> percent(0, 100);
    const double t = percent(rng) < c_.fever_percent ? fever(rng) : normal(rng);
    if (entry || rng() % 2 == 0) r.set_temperature_c(std::round(t * 10) / 10);
    if (percent(rng) < c_.vehicle_percent) {
      r.set_vehicle_plate(absl::StrFormat("苏A%05d", static_cast<int>(person % 100000)));
    }
    return r;
  }

  const std::pair<std::string, std::vector<std::string>>& HomeSite(int64_t person) const {
    return sites_[static_cast<size_t>(person) % sites_.size()];
  }

  void Count(const gatev1::RecordPassageResponse& r) {
    last_response_bytes_.store(r.ByteSizeLong());
    acknowledged_.fetch_add(1);
    if (r.replayed()) replayed_.fetch_add(1);
    if (r.passage().decision() == gatev1::DECISION_ADMITTED) {
      admitted_.fetch_add(1);
    } else {
      denied_.fetch_add(1);
    }
  }

  const WorkloadContext c_;
  const std::string token_, setup_token_;
  std::vector<std::unique_ptr<gatev1::GateService::Stub>> stubs_;
  std::vector<std::pair<std::string, std::vector<std::string>>> sites_;  // id, gate ids
  Randoms randoms_;
  std::atomic<uint64_t> seq_{0};
  std::atomic<int64_t> acknowledged_{0}, admitted_{0}, denied_{0}, replayed_{0};
};

// ---- GetDashboard --------------------------------------------------------------------------

class DashboardWorkload final : public Workload {
 public:
  DashboardWorkload(const WorkloadContext& c, std::string token)
      : token_(std::move(token)),
        stubs_(StubsOf<gatewayv1::GatewayService::Stub>(c.targets.gateway, c.channels,
                                                        &gatewayv1::GatewayService::NewStub)) {}

  std::string name() const override { return "GetDashboard"; }

  std::unique_ptr<Call> NextCall(int thread) override {
    using C = UnaryCall<gatewayv1::GatewayService::Stub, gatewayv1::GetDashboardRequest,
                        gatewayv1::Dashboard>;
    auto call = std::make_unique<C>(
        stubs_[static_cast<size_t>(thread) % stubs_.size()].get(),
        &gatewayv1::GatewayService::Stub::PrepareAsyncGetDashboard,
        gatewayv1::GetDashboardRequest(),
        [this](const auto&, const gatewayv1::Dashboard& d, grpc::Status& status) {
          last_response_bytes_.store(d.ByteSizeLong());
          if (d.sites_size() == 0) {
            status = grpc::Status(grpc::StatusCode::INTERNAL, "dashboard without sites");
          }
        });
    SetBearer(call->context(), token_);
    return call;
  }

  size_t RequestBytes() const override { return 0; }

 private:
  const std::string token_;
  std::vector<std::unique_ptr<gatewayv1::GatewayService::Stub>> stubs_;
};

// ---- SubmitHealthReport --------------------------------------------------------------------

class HealthWorkload final : public Workload {
 public:
  HealthWorkload(const WorkloadContext& c, std::string token, std::string setup_token)
      : c_(c),
        token_(std::move(token)),
        setup_token_(std::move(setup_token)),
        stubs_(StubsOf<surveyv1::SurveyService::Stub>(c.targets.survey, c.channels,
                                                      &surveyv1::SurveyService::NewStub)),
        randoms_(SeedOf(c.run_id) + 1) {}

  std::string name() const override { return "SubmitHealthReport"; }

  absl::Status Setup() override {
    surveyv1::SurveyService::Stub& stub = *stubs_.front();
    const auto& sites = c_.sites->sites();
    for (int i = 0; i < c_.residents; ++i) {
      surveyv1::UpsertHouseholdRequest h;
      h.set_request_id(absl::StrCat("load-", c_.run_id, "-hh-", i));
      h.mutable_household()->set_site_id(sites[i % sites.size()].id());
      h.mutable_household()->set_building(absl::StrCat("压测", c_.run_id.substr(0, 6)));
      h.mutable_household()->set_unit("1");
      h.mutable_household()->set_room(absl::StrCat(100 + i));
      h.mutable_household()->set_kind(surveyv1::HOUSEHOLD_KIND_OWNER_OCCUPIED);
      surveyv1::Household household;
      if (absl::Status s =
              Sync(stub.UpsertHousehold(SetupContext(setup_token_).get(), h, &household),
                   "UpsertHousehold");
          !s.ok()) {
        return s;
      }
      surveyv1::RegisterResidentRequest r;
      r.set_request_id(absl::StrCat("load-", c_.run_id, "-res-", i));
      r.set_household_id(household.household_id());
      // Residents are people 50,000,000 and up (distinct from the passing people), a block
      // of 1000 per run.
      const int64_t person =
          50'000'000 + static_cast<int64_t>(SeedOf(c_.run_id) % 49'000) * 1000 + i;
      r.mutable_person()->set_id_number(LoadIdNumber(person));
      r.mutable_person()->set_name(LoadName(person));
      r.set_relation("户主");
      r.set_is_tenant(false);
      surveyv1::Resident resident;
      if (absl::Status s =
              Sync(stub.RegisterResident(SetupContext(setup_token_).get(), r, &resident),
                   "RegisterResident");
          !s.ok()) {
        return s;
      }
      person_keys_.push_back(resident.person_key());
    }
    return absl::OkStatus();
  }

  std::unique_ptr<Call> NextCall(int thread) override {
    using C = UnaryCall<surveyv1::SurveyService::Stub, surveyv1::SubmitHealthReportRequest,
                        surveyv1::HealthReport>;
    std::mt19937_64& rng = randoms_.For(thread);
    surveyv1::SubmitHealthReportRequest r;
    r.set_request_id(absl::StrCat("load-", c_.run_id, "-hr-", seq_.fetch_add(1)));
    r.set_person_key(person_keys_[rng() % person_keys_.size()]);
    r.set_date(c_.date.empty() ? time::DateOf(absl::Now(), c_.tz) : c_.date);
    std::uniform_real_distribution<double> t(35.8, 37.1);
    r.set_temperature_c(std::round(t(rng) * 10) / 10);
    auto call = std::make_unique<C>(stubs_[static_cast<size_t>(thread) % stubs_.size()].get(),
                                    &surveyv1::SurveyService::Stub::PrepareAsyncSubmitHealthReport,
                                    std::move(r), [this](const auto&, const auto& resp, auto&) {
                                      last_response_bytes_.store(resp.ByteSizeLong());
                                    });
    SetBearer(call->context(), token_);
    return call;
  }

  size_t RequestBytes() const override { return 120; }

 private:
  const WorkloadContext c_;
  const std::string token_, setup_token_;
  std::vector<std::unique_ptr<surveyv1::SurveyService::Stub>> stubs_;
  Randoms randoms_;
  std::vector<std::string> person_keys_;
  std::atomic<uint64_t> seq_{0};
};

// ---- ClaimTask -----------------------------------------------------------------------------

class ClaimWorkload final : public Workload {
 public:
  ClaimWorkload(const WorkloadContext& c, std::string admin_token)
      : c_(c),
        admin_token_(std::move(admin_token)),
        stubs_(StubsOf<dispatchv1::DispatchService::Stub>(c.targets.dispatch, c.channels,
                                                          &dispatchv1::DispatchService::NewStub)) {}

  std::string name() const override { return "ClaimTask"; }

  absl::Status Setup() override {
    dispatchv1::DispatchService::Stub& stub = *stubs_.front();
    const std::string site = c_.sites->sites().Get(0).id();
    dispatchv1::CreateTeamRequest t;
    t.set_request_id(absl::StrCat("load-", c_.run_id, "-team"));
    t.set_name(absl::StrCat("压测突击队 ", c_.run_id));
    t.add_site_ids(site);
    t.set_leader_sub("lf-load-leader");
    dispatchv1::Team team;
    if (absl::Status s =
            Sync(stub.CreateTeam(SetupContext(admin_token_).get(), t, &team), "CreateTeam");
        !s.ok()) {
      return s;
    }
    const std::string sub = absl::StrCat("lf-load-volunteer-", c_.run_id);
    dispatchv1::EnrollVolunteerRequest e;
    e.set_request_id(absl::StrCat("load-", c_.run_id, "-vol"));
    e.set_team_id(team.team_id());
    const int64_t person = 99'000'000 + static_cast<int64_t>(SeedOf(c_.run_id) % 1'000'000);
    e.mutable_person()->set_id_number(LoadIdNumber(person));
    e.mutable_person()->set_name(LoadName(person));
    e.set_user_sub(sub);
    e.set_party_member(true);
    dispatchv1::Volunteer volunteer;
    if (absl::Status s = Sync(stub.EnrollVolunteer(SetupContext(admin_token_).get(), e, &volunteer),
                              "EnrollVolunteer");
        !s.ok()) {
      return s;
    }
    absl::StatusOr<std::string> vt =
        c_.credentials->For(auth::Role::kVolunteer, sub, {site}, /*must_mint=*/true);
    if (!vt.ok()) return vt.status();
    volunteer_token_ = *vt;
    dispatchv1::SetOnDutyRequest d;
    d.set_request_id(absl::StrCat("load-", c_.run_id, "-duty"));
    d.set_on_duty(true);
    dispatchv1::SetOnDutyResponse dr;
    if (absl::Status s =
            Sync(stub.SetOnDuty(SetupContext(volunteer_token_).get(), d, &dr), "SetOnDuty");
        !s.ok()) {
      return s;
    }
    // The open tasks, created through the driver itself (many in flight).
    std::atomic<int> next{0};
    absl::Mutex mu;
    absl::Status first_error;
    auto google_now = google::protobuf::util::TimeUtil::GetCurrentTime();
    DriverOptions o{.threads = std::min(2, c_.channels),
                    .concurrency = 32,
                    .duration = absl::Minutes(10),
                    .warmup = absl::ZeroDuration(),
                    .max_calls = c_.tasks,
                    .deadline = absl::Seconds(30),
                    .progress_label = ""};
    using C = UnaryCall<dispatchv1::DispatchService::Stub, dispatchv1::CreateTaskRequest,
                        dispatchv1::Task>;
    Drive(o, [&](int thread) -> std::unique_ptr<Call> {
      const int i = next.fetch_add(1);
      dispatchv1::CreateTaskRequest r;
      r.set_request_id(absl::StrCat("load-", c_.run_id, "-task-", i));
      dispatchv1::Task* task = r.mutable_task();
      task->set_kind(dispatchv1::TASK_KIND_OTHER);
      task->set_site_id(site);
      task->set_location(absl::StrCat("压测点 ", i));
      task->set_title(absl::StrCat("压测任务 ", i));
      task->set_priority(dispatchv1::PRIORITY_NORMAL);
      *task->mutable_due_at() = google_now + google::protobuf::util::TimeUtil::HoursToDuration(24);
      task->set_team_id(team.team_id());
      auto call = std::make_unique<C>(
          stubs_[static_cast<size_t>(thread) % stubs_.size()].get(),
          &dispatchv1::DispatchService::Stub::PrepareAsyncCreateTask, std::move(r),
          [&](const auto&, const dispatchv1::Task& created, grpc::Status&) {
            absl::MutexLock lock(&mu);
            task_ids_.push_back(created.task_id());
          });
      SetBearer(call->context(), admin_token_);
      return call;
    });
    if (static_cast<int>(task_ids_.size()) < c_.tasks) {
      return absl::UnavailableError(absl::StrCat("CreateTask: only ", task_ids_.size(), " of ",
                                                 c_.tasks, " tasks were created"));
    }
    return absl::OkStatus();
  }

  std::unique_ptr<Call> NextCall(int thread) override {
    const size_t i = next_task_.fetch_add(1);
    if (i >= task_ids_.size()) return nullptr;
    using C = UnaryCall<dispatchv1::DispatchService::Stub, dispatchv1::ClaimTaskRequest,
                        dispatchv1::ClaimTaskResponse>;
    dispatchv1::ClaimTaskRequest r;
    r.set_request_id(absl::StrCat("load-", c_.run_id, "-claim-", i));
    r.set_task_id(task_ids_[i]);
    auto call = std::make_unique<C>(stubs_[static_cast<size_t>(thread) % stubs_.size()].get(),
                                    &dispatchv1::DispatchService::Stub::PrepareAsyncClaimTask,
                                    std::move(r), [this](const auto&, const auto& resp, auto&) {
                                      last_response_bytes_.store(resp.ByteSizeLong());
                                    });
    SetBearer(call->context(), volunteer_token_);
    return call;
  }

  size_t RequestBytes() const override { return 60; }

  std::map<std::string, int64_t> Counters() const override {
    return {{"tasks_left", std::max<int64_t>(0, static_cast<int64_t>(task_ids_.size()) -
                                                    static_cast<int64_t>(next_task_.load()))}};
  }

 private:
  const WorkloadContext c_;
  const std::string admin_token_;
  std::string volunteer_token_;
  std::vector<std::unique_ptr<dispatchv1::DispatchService::Stub>> stubs_;
  std::vector<std::string> task_ids_;
  std::atomic<size_t> next_task_{0};
};

// ---- GenerateDailyReport -------------------------------------------------------------------

class ReportWorkload final : public Workload {
 public:
  ReportWorkload(const WorkloadContext& c, std::string token)
      : c_(c),
        token_(std::move(token)),
        stubs_(StubsOf<reportv1::ReportService::Stub>(c.targets.report, c.channels,
                                                      &reportv1::ReportService::NewStub)) {}

  std::string name() const override { return "GenerateDailyReport"; }

  std::unique_ptr<Call> NextCall(int thread) override {
    using C = UnaryCall<reportv1::ReportService::Stub, reportv1::GenerateDailyReportRequest,
                        reportv1::DailyReport>;
    reportv1::GenerateDailyReportRequest r;
    r.set_request_id(absl::StrCat("load-", c_.run_id, "-report-", seq_.fetch_add(1)));
    r.set_date(c_.date.empty() ? time::DateOf(absl::Now(), c_.tz) : c_.date);
    auto call = std::make_unique<C>(
        stubs_[static_cast<size_t>(thread) % stubs_.size()].get(),
        &reportv1::ReportService::Stub::PrepareAsyncGenerateDailyReport, std::move(r),
        [this](const auto&, const reportv1::DailyReport& report, grpc::Status& status) {
          last_response_bytes_.store(report.ByteSizeLong());
          sites_.store(report.sites_size());
          const auto& g = report.totals().gate();
          passages_.store(int64_t{g.entries()} + g.exits() + g.denied());
          if (report.incomplete_sources_size() > 0) {
            status =
                grpc::Status(grpc::StatusCode::UNAVAILABLE, "the report has incomplete sources");
          }
        });
    SetBearer(call->context(), token_);
    return call;
  }

  size_t RequestBytes() const override { return 60; }

  std::map<std::string, int64_t> Counters() const override {
    return {{"sites_in_report", sites_.load()}, {"gate_passages_in_report", passages_.load()}};
  }

 private:
  const WorkloadContext c_;
  const std::string token_;
  std::vector<std::unique_ptr<reportv1::ReportService::Stub>> stubs_;
  std::atomic<uint64_t> seq_{0};
  std::atomic<int64_t> sites_{0}, passages_{0};
};

// ---- Echo ----------------------------------------------------------------------------------

class EchoWorkload final : public Workload {
 public:
  EchoWorkload(const std::string& address, int channels, size_t request_bytes,
               size_t response_bytes, std::string token)
      : token_(std::move(token)),
        request_bytes_(request_bytes),
        response_bytes_(response_bytes),
        stubs_(StubsOf<v1::EchoService::Stub>(address, channels, &v1::EchoService::NewStub)) {}

  std::string name() const override { return "Echo"; }

  std::unique_ptr<Call> NextCall(int thread) override {
    using C = UnaryCall<v1::EchoService::Stub, v1::EchoRequest, v1::EchoResponse>;
    v1::EchoRequest r;
    r.mutable_payload()->assign(request_bytes_, 'x');
    r.set_response_bytes(static_cast<int32_t>(response_bytes_));
    auto call = std::make_unique<C>(stubs_[static_cast<size_t>(thread) % stubs_.size()].get(),
                                    &v1::EchoService::Stub::PrepareAsyncEcho, std::move(r));
    SetBearer(call->context(), token_);
    return call;
  }

  size_t RequestBytes() const override { return request_bytes_; }

 private:
  const std::string token_;
  const size_t request_bytes_, response_bytes_;
  std::vector<std::unique_ptr<v1::EchoService::Stub>> stubs_;
};

}  // namespace

absl::StatusOr<std::string> Credentials::For(auth::Role role, const std::string& subject,
                                             std::vector<std::string> sites, bool must_mint) const {
  if (signer_.has_value()) {
    auth::Principal p;
    p.subject = subject;
    p.name = "压测";
    p.role = role;
    p.sites = std::move(sites);
    return signer_->Sign(p, absl::Now(), absl::Hours(12));
  }
  if (must_mint) {
    return absl::FailedPreconditionError(
        "this workload needs tokens minted for it: pass --jwt-secret-file (or set "
        "LF_JWT_SECRET_FILE)");
  }
  if (fixed_.empty()) {
    return absl::FailedPreconditionError(
        "no token: pass --token (or set LF_TOKEN), or --jwt-secret-file to mint tokens");
  }
  return fixed_;
}

std::string LoadIdNumber(int64_t n) {
  static constexpr const char* kRegions[] = {"110101", "310104", "320102", "440305", "510107"};
  const int64_t region = n % 5;
  const int64_t day = (n / 5) % 20000;  // birth dates from 1950-01-01, about 55 years
  const int64_t sequence = (n / 100000) % 1000;
  const absl::CivilDay birth = absl::CivilDay(1950, 1, 1) + day;
  const std::string first17 =
      absl::StrFormat("%s%04d%02d%02d%03d", kRegions[region], static_cast<int>(birth.year()),
                      birth.month(), birth.day(), static_cast<int>(sequence));
  return first17 + pii::IdNumberCheckDigit(first17);
}

std::string LoadName(int64_t n) {
  static constexpr const char* kFamily[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵",
                                            "周", "吴", "徐", "孙", "马", "朱", "胡", "欧阳"};
  static constexpr const char* kGiven[] = {"伟", "芳", "娜", "秀英", "敏",   "静", "丽",
                                           "强", "磊", "军", "洋",   "勇",   "艳", "杰",
                                           "娟", "涛", "明", "超",   "秀兰", "霞"};
  return absl::StrCat(kFamily[n % 16], kGiven[(n / 16) % 20]);
}

std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(const std::string& address, int n) {
  const std::vector<std::string> addresses = absl::StrSplit(address, ',', absl::SkipEmpty());
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  if (addresses.empty()) return channels;
  for (int i = 0; i < std::max(1, n); ++i) {
    grpc::ChannelArguments args;
    args.SetInt("lianfang.load.channel", i);  // distinct arguments: a connection of its own
    args.SetMaxReceiveMessageSize(16 * 1024 * 1024);
    channels.push_back(
        grpc::CreateCustomChannel(addresses[static_cast<size_t>(i) % addresses.size()],
                                  grpc::InsecureChannelCredentials(), args));
  }
  return channels;
}

absl::StatusOr<std::unique_ptr<Workload>> MakeWorkload(absl::string_view name,
                                                       const WorkloadContext& c) {
  using auth::Role;
  if (name == "passage") {
    absl::StatusOr<std::string> t = c.credentials->For(Role::kGuard, "lf-load-guard", {});
    if (!t.ok()) return t.status();
    absl::StatusOr<std::string> a = c.credentials->For(Role::kAdmin, "lf-load-admin", {});
    if (!a.ok()) return a.status();
    return std::make_unique<PassageWorkload>(c, *t, *a);
  }
  if (name == "dashboard") {
    absl::StatusOr<std::string> t = c.credentials->For(Role::kViewer, "lf-load-viewer", {});
    if (!t.ok()) return t.status();
    return std::make_unique<DashboardWorkload>(c, *t);
  }
  if (name == "health") {
    absl::StatusOr<std::string> t = c.credentials->For(Role::kLeader, "lf-load-leader", {});
    if (!t.ok()) return t.status();
    absl::StatusOr<std::string> a = c.credentials->For(Role::kAdmin, "lf-load-admin", {});
    if (!a.ok()) return a.status();
    return std::make_unique<HealthWorkload>(c, *t, *a);
  }
  if (name == "claim") {
    absl::StatusOr<std::string> a = c.credentials->For(Role::kAdmin, "lf-load-admin", {});
    if (!a.ok()) return a.status();
    return std::make_unique<ClaimWorkload>(c, *a);
  }
  if (name == "report") {
    absl::StatusOr<std::string> t = c.credentials->For(Role::kLeader, "lf-load-leader", {});
    if (!t.ok()) return t.status();
    return std::make_unique<ReportWorkload>(c, *t);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--workload: unknown workload \"", name,
                   "\"; use passage, dashboard, health, claim or report"));
}

std::unique_ptr<Workload> MakeEchoWorkload(const std::string& address, int channels,
                                           size_t request_bytes, size_t response_bytes,
                                           const std::string& token) {
  return std::make_unique<EchoWorkload>(address, channels, request_bytes, response_bytes, token);
}

}  // namespace lianfang::load
