// SurveyService: the gRPC adapter of lianfang.survey.v1.SurveyService (callback API).
//
// Every handler authorizes first (server::AuthorizeCall, roles from the proto), validates
// (survey_rules.h: INVALID_ARGUMENT naming each bad field, nothing written), checks the
// caller's sites (auth::CheckSite: a VOLUNTEER acts only on the sites in its token), then
// calls the store (reads) or the book through app::RunMutation (writes: idempotent by
// request_id, audited, group-committed; the reactor finishes from the commit). After a
// commit the live counts are incremented and the outbox sender woken.
//
// Clear personal data: residents' name/phone, observations' name and households' landlord
// name/phone are returned to ADMIN and LEADER only; every role gets the masks. Responses
// stored for request_id replays hold the masks only (a replay returns no clear fields).
//
// Thread-safety: thread-safe (gRPC calls handlers concurrently).
#ifndef LIANFANG_SERVICES_SURVEY_SURVEY_SERVICE_H_
#define LIANFANG_SERVICES_SURVEY_SURVEY_SERVICE_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/auth/authorizer.h"
#include "common/auth/principal.h"
#include "common/outbox/outbox.h"
#include "common/pii/pii.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "common/time/clock.h"
#include "lianfang/survey/v1/survey.grpc.pb.h"
#include "services/survey/config.h"
#include "services/survey/survey_book.h"
#include "services/survey/survey_live.h"
#include "services/survey/survey_store.h"

namespace lianfang::survey {

// What the service runs on. None of the pointers is owned; all must outlive the service.
struct SurveyServiceDeps {
  sql::Database* db = nullptr;
  const sites::SiteDirectory* sites = nullptr;
  const time::Clock* clock = nullptr;
  absl::TimeZone tz;
  const pii::PersonKeyer* keyer = nullptr;
  const auth::Authorizer* authorizer = nullptr;
  const SurveySettings* settings = nullptr;
  // Woken after commits that queued outbox messages; may be null (then it polls).
  outbox::Sender* sender = nullptr;
  // Live counts; may be null (no Redis figures).
  SurveyLive* live = nullptr;
};

class SurveyService final : public v1::SurveyService::CallbackService {
 public:
  explicit SurveyService(SurveyServiceDeps deps);

  grpc::ServerUnaryReactor* UpsertHousehold(grpc::CallbackServerContext* ctx,
                                            const v1::UpsertHouseholdRequest* req,
                                            v1::Household* resp) override;
  grpc::ServerUnaryReactor* GetHousehold(grpc::CallbackServerContext* ctx,
                                         const v1::GetHouseholdRequest* req,
                                         v1::Household* resp) override;
  grpc::ServerUnaryReactor* ListHouseholds(grpc::CallbackServerContext* ctx,
                                           const v1::ListHouseholdsRequest* req,
                                           v1::ListHouseholdsResponse* resp) override;
  grpc::ServerUnaryReactor* RegisterResident(grpc::CallbackServerContext* ctx,
                                             const v1::RegisterResidentRequest* req,
                                             v1::Resident* resp) override;
  grpc::ServerUnaryReactor* ListResidents(grpc::CallbackServerContext* ctx,
                                          const v1::ListResidentsRequest* req,
                                          v1::ListResidentsResponse* resp) override;
  grpc::ServerUnaryReactor* VerifyTenant(grpc::CallbackServerContext* ctx,
                                         const v1::VerifyTenantRequest* req,
                                         v1::Resident* resp) override;
  grpc::ServerUnaryReactor* RecordMovement(grpc::CallbackServerContext* ctx,
                                           const v1::RecordMovementRequest* req,
                                           v1::Movement* resp) override;
  grpc::ServerUnaryReactor* ListObservations(grpc::CallbackServerContext* ctx,
                                             const v1::ListObservationsRequest* req,
                                             v1::ListObservationsResponse* resp) override;
  grpc::ServerUnaryReactor* EndObservation(grpc::CallbackServerContext* ctx,
                                           const v1::EndObservationRequest* req,
                                           v1::EndObservationResponse* resp) override;
  grpc::ServerUnaryReactor* SubmitHealthReport(grpc::CallbackServerContext* ctx,
                                               const v1::SubmitHealthReportRequest* req,
                                               v1::HealthReport* resp) override;
  grpc::ServerUnaryReactor* ListHealthReports(grpc::CallbackServerContext* ctx,
                                              const v1::ListHealthReportsRequest* req,
                                              v1::ListHealthReportsResponse* resp) override;
  grpc::ServerUnaryReactor* ListMissingReports(grpc::CallbackServerContext* ctx,
                                               const v1::ListMissingReportsRequest* req,
                                               v1::ListMissingReportsResponse* resp) override;
  grpc::ServerUnaryReactor* GetCoverage(grpc::CallbackServerContext* ctx,
                                        const v1::GetCoverageRequest* req,
                                        v1::GetCoverageResponse* resp) override;
  grpc::ServerUnaryReactor* GetDailyStats(grpc::CallbackServerContext* ctx,
                                          const v1::GetDailyStatsRequest* req,
                                          v1::GetDailyStatsResponse* resp) override;
  grpc::ServerUnaryReactor* ListAuditEvents(grpc::CallbackServerContext* ctx,
                                            const common::v1::ListAuditEventsRequest* req,
                                            common::v1::ListAuditEventsResponse* resp) override;

  // --- risk regions (risk_versions.h) ---
  grpc::ServerUnaryReactor* UpdateRiskRegions(grpc::CallbackServerContext* ctx,
                                              const v1::UpdateRiskRegionsRequest* req,
                                              v1::RiskRegions* resp) override;
  grpc::ServerUnaryReactor* GetRiskRegions(grpc::CallbackServerContext* ctx,
                                           const v1::GetRiskRegionsRequest* req,
                                           v1::RiskRegions* resp) override;
  // Runs the look back of the risk-list versions whose effective_from has come
  // (SurveyBook::RunDueLookBacks) in one write transaction, then publishes its live counts and
  // wakes the outbox sender. Run by a periodic job (main.cc); public for tests. Returns how
  // many observations it opened.
  absl::StatusOr<int32_t> RunDueLookBacks();

 private:
  template <typename Request, typename Response, typename Fn, typename ObjectOf>
  grpc::ServerUnaryReactor* Mutate(grpc::CallbackServerContext* ctx, absl::string_view method,
                                   const auth::Principal& who, const Request& request,
                                   Response* response, absl::Time now, Fn fn, ObjectOf object_of);
  void AfterCommit(const CommitEffects& effects);
  absl::CivilDay Today(absl::Time now) const;

  const SurveyServiceDeps deps_;
  const SurveyBook book_;
  const SurveyStore store_;
};

// Clears what `role` may not read in clear (names, phones); masks stay.
void Redact(v1::Household& h, auth::Role role);
void Redact(v1::Resident& r, auth::Role role);
void Redact(v1::Observation& o, auth::Role role);
void Redact(v1::Movement& m, auth::Role role);
void Redact(v1::EndObservationResponse& r, auth::Role role);
void Redact(v1::HealthReport& r, auth::Role role);  // nothing to clear: masks only
void Redact(v1::RiskRegions& r, auth::Role role);   // nothing personal
// Puts back the clear fields a mutation kept out of its stored response (CommitEffects).
void Reveal(v1::Household& h, const CommitEffects::Clear& clear);
void Reveal(v1::Resident& r, const CommitEffects::Clear& clear);
void Reveal(v1::Movement& m, const CommitEffects::Clear& clear);
void Reveal(v1::EndObservationResponse& r, const CommitEffects::Clear& clear);
void Reveal(v1::HealthReport& r, const CommitEffects::Clear& clear);
void Reveal(v1::RiskRegions& r, const CommitEffects::Clear& clear);
// True for ADMIN and LEADER.
bool SeesClearData(auth::Role role);

}  // namespace lianfang::survey

#endif  // LIANFANG_SERVICES_SURVEY_SURVEY_SERVICE_H_
