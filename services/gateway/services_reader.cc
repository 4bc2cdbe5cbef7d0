#include "services/gateway/services_reader.h"

#include <grpcpp/grpcpp.h>

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging/logging.h"
#include "common/server/client.h"
#include "common/server/grpc_status.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "lianfang/survey/v1/survey.grpc.pb.h"

namespace lianfang::gateway {
namespace {

namespace gatev1 = ::lianfang::gate::v1;
namespace surveyv1 = ::lianfang::survey::v1;
namespace dispatchv1 = ::lianfang::dispatch::v1;

// The largest ListDuty page, and how many pages are followed at most (25,000 gates).
constexpr int kDutyPageSize = 500;
constexpr int kMaxDutyPages = 50;

// Counts calls still in flight; Wait() returns when every one has completed.
class Latch final {
 public:
  void Add() {
    absl::MutexLock lock(&mu_);
    ++pending_;
  }
  void Done() {
    absl::MutexLock lock(&mu_);
    --pending_;
  }
  void Wait() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* pending) { return *pending == 0; }, &pending_));
  }

 private:
  absl::Mutex mu_;
  int pending_ ABSL_GUARDED_BY(mu_) = 0;
};

// One asynchronous unary call and what it returned. Lives until the read ends.
template <typename Request, typename Response>
struct Call {
  grpc::ClientContext context;
  Request request;
  Response response;
  grpc::Status status;
};

// A new call prepared with the token and deadline, owned by `calls`.
template <typename Request, typename Response>
Call<Request, Response>* NewCall(std::vector<std::unique_ptr<Call<Request, Response>>>* calls,
                                 const server::CallSetup& setup) {
  calls->push_back(std::make_unique<Call<Request, Response>>());
  Call<Request, Response>* call = calls->back().get();
  setup.Prepare(&call->context);
  // A service restarting is waited for within the (short) deadline instead of failing at once.
  call->context.set_wait_for_ready(true);
  return call;
}

std::string CodeName(const grpc::Status& status) {
  return absl::StatusCodeToString(server::FromGrpcStatus(status).code());
}

}  // namespace

ServicesReader::ServicesReader(Backends backends, std::function<std::string()> token_source,
                               const sites::SiteDirectory* sites, Options options,
                               server::Metrics* metrics)
    : backends_(std::move(backends)),
      token_source_(std::move(token_source)),
      sites_(sites),
      options_(options),
      metrics_(metrics) {}

ServicesReader::Result ServicesReader::Read(const std::vector<std::string>& site_ids) const {
  std::vector<const sites::Site*> known;
  for (const std::string& id : site_ids) {
    if (const sites::Site* site = sites_->Find(id); site != nullptr) known.push_back(site);
  }
  const server::CallSetup setup(token_source_, options_.deadline);
  auto gate = gatev1::GateService::NewStub(backends_.gate);
  auto survey = surveyv1::SurveyService::NewStub(backends_.survey);
  auto dispatch = dispatchv1::DispatchService::NewStub(backends_.dispatch);

  Latch latch;
  std::vector<std::unique_ptr<Call<gatev1::GetOccupancyRequest, gatev1::Occupancy>>> occupancy;
  std::vector<std::unique_ptr<Call<surveyv1::GetCoverageRequest, surveyv1::GetCoverageResponse>>>
      coverage;
  std::vector<std::unique_ptr<Call<gatev1::ListDutyRequest, gatev1::ListDutyResponse>>> duty;
  std::vector<std::unique_ptr<
      Call<dispatchv1::GetTaskSummaryRequest, dispatchv1::GetTaskSummaryResponse>>>
      tasks;
  // One site asked: ask the services about that site only; several: about all at once.
  const std::string scope = known.size() == 1 ? known[0]->id() : std::string();

  for (const sites::Site* site : known) {
    auto* occ = NewCall(&occupancy, setup);
    occ->request.set_site_id(site->id());
    latch.Add();
    gate->async()->GetOccupancy(&occ->context, &occ->request, &occ->response,
                                [occ, &latch](grpc::Status s) {
                                  occ->status = std::move(s);
                                  latch.Done();
                                });
    auto* cov = NewCall(&coverage, setup);
    cov->request.set_site_id(site->id());
    latch.Add();
    survey->async()->GetCoverage(&cov->context, &cov->request, &cov->response,
                                 [cov, &latch](grpc::Status s) {
                                   cov->status = std::move(s);
                                   latch.Done();
                                 });
  }
  if (!known.empty()) {
    auto* first = NewCall(&duty, setup);
    first->request.set_site_id(scope);
    first->request.set_page_size(kDutyPageSize);
    latch.Add();
    gate->async()->ListDuty(&first->context, &first->request, &first->response,
                            [first, &latch](grpc::Status s) {
                              first->status = std::move(s);
                              latch.Done();
                            });
    auto* summary = NewCall(&tasks, setup);
    summary->request.set_site_id(scope);
    latch.Add();
    dispatch->async()->GetTaskSummary(&summary->context, &summary->request, &summary->response,
                                      [summary, &latch](grpc::Status s) {
                                        summary->status = std::move(s);
                                        latch.Done();
                                      });
  }
  latch.Wait();

  // Further ListDuty pages, rare (more than 500 gates), one after another.
  while (!duty.empty() && duty.back()->status.ok() &&
         !duty.back()->response.next_page_token().empty() &&
         duty.size() < static_cast<size_t>(kMaxDutyPages)) {
    const std::string token = duty.back()->response.next_page_token();
    auto* next = NewCall(&duty, setup);
    next->request.set_site_id(scope);
    next->request.set_page_size(kDutyPageSize);
    next->request.set_page_token(token);
    next->status = gate->ListDuty(&next->context, next->request, &next->response);
  }

  std::map<std::string, SiteLive> by_id;
  for (const sites::Site* site : known) by_id[site->id()] = EmptySiteLive(*site);

  std::vector<std::string> reasons;
  bool gate_ok = true, survey_ok = true, dispatch_ok = true;
  for (const auto& c : occupancy) {
    if (!c->status.ok()) {
      gate_ok = false;
      reasons.push_back(absl::StrCat("gate GetOccupancy: ", CodeName(c->status)));
      continue;
    }
    SiteLive& s = by_id[c->request.site_id()];
    s.set_onsite(c->response.onsite());
    s.set_entries_today(c->response.entries_today());
    s.set_exits_today(c->response.exits_today());
    s.set_denied_today(c->response.denied_today());
    s.set_fevers_today(c->response.fevers_today());
  }
  for (const auto& c : duty) {
    if (!c->status.ok()) {
      gate_ok = false;
      reasons.push_back(absl::StrCat("gate ListDuty: ", CodeName(c->status)));
      continue;
    }
    for (const gatev1::GateDuty& g : c->response.gates()) {
      auto it = by_id.find(g.site_id());
      if (it != by_id.end() && g.guard().empty()) {
        it->second.set_gates_without_guard(it->second.gates_without_guard() + 1);
      }
    }
  }
  if (!duty.empty() && duty.back()->status.ok() &&
      !duty.back()->response.next_page_token().empty()) {
    gate_ok = false;  // more gates than we follow: the count would be short
    reasons.push_back("gate ListDuty: too many pages");
  }
  for (const auto& c : coverage) {
    if (!c->status.ok()) {
      survey_ok = false;
      reasons.push_back(absl::StrCat("survey GetCoverage: ", CodeName(c->status)));
      continue;
    }
    SiteLive& s = by_id[c->request.site_id()];
    const surveyv1::GetCoverageResponse& r = c->response;
    s.set_households_total(r.households_total());
    s.set_households_surveyed(r.households_surveyed());
    s.set_residents(r.residents());
    s.set_tenants_pending(r.tenants_pending());
    s.set_under_observation(r.under_observation());
    s.set_reports_today(r.reports_today());
    s.set_reports_missing_today(r.reports_missing_today());
  }
  for (const auto& c : tasks) {
    if (!c->status.ok()) {
      dispatch_ok = false;
      reasons.push_back(absl::StrCat("dispatch GetTaskSummary: ", CodeName(c->status)));
      continue;
    }
    for (const dispatchv1::TaskSummary& t : c->response.sites()) {
      auto it = by_id.find(t.site_id());
      if (it == by_id.end()) continue;
      it->second.set_tasks_open(t.tasks_open());
      it->second.set_tasks_in_progress(t.tasks_in_progress());
      it->second.set_tasks_done_today(t.tasks_done_today());
      it->second.set_tasks_overdue(t.tasks_overdue());
      it->second.set_volunteers_on_duty(t.volunteers_on_duty());
      it->second.set_volunteers_overworked(t.volunteers_overworked());
    }
  }

  Result result;
  for (const sites::Site* site : known) result.sites.push_back(by_id[site->id()]);
  if (!gate_ok) result.incomplete_sources.push_back("gate");
  if (!survey_ok) result.incomplete_sources.push_back("survey");
  if (!dispatch_ok) result.incomplete_sources.push_back("dispatch");
  Report(result.incomplete_sources, reasons);
  return result;
}

void ServicesReader::Report(const std::vector<std::string>& failed,
                            const std::vector<std::string>& reasons) const {
  if (metrics_ != nullptr) {
    for (const std::string& source : failed) {
      metrics_
          ->GetCounter("lf_gateway_source_errors_total",
                       "Dashboard reads from the services in which this source did not answer",
                       {{"source", source}})
          ->Increment();
    }
  }
  const std::set<std::string> now(failed.begin(), failed.end());
  absl::MutexLock lock(&mu_);
  if (now == last_failed_) return;
  last_failed_ = now;
  if (now.empty()) {
    logging::Info("every service answers the dashboard again");
  } else {
    logging::Warning("some services did not answer the dashboard; their figures are missing",
                     {}, {{"sources", absl::StrJoin(failed, ",")},
                          {"reasons", absl::StrJoin(reasons, "; ")}});
  }
}

}  // namespace lianfang::gateway
