#include "services/survey/survey_service.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/app/audit_rpc.h"
#include "common/app/audited_read.h"
#include "common/app/unary.h"
#include "common/audit/audit.h"
#include "common/server/authorization.h"
#include "common/server/errors.h"
#include "common/sql/page_token.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"
#include "services/survey/gap_job.h"

namespace lianfang::survey {
namespace {

constexpr char kUpsertHousehold[] = "/lianfang.survey.v1.SurveyService/UpsertHousehold";
constexpr char kGetHousehold[] = "/lianfang.survey.v1.SurveyService/GetHousehold";
constexpr char kListHouseholds[] = "/lianfang.survey.v1.SurveyService/ListHouseholds";
constexpr char kRegisterResident[] = "/lianfang.survey.v1.SurveyService/RegisterResident";
constexpr char kListResidents[] = "/lianfang.survey.v1.SurveyService/ListResidents";
constexpr char kVerifyTenant[] = "/lianfang.survey.v1.SurveyService/VerifyTenant";
constexpr char kRecordMovement[] = "/lianfang.survey.v1.SurveyService/RecordMovement";
constexpr char kListObservations[] = "/lianfang.survey.v1.SurveyService/ListObservations";
constexpr char kEndObservation[] = "/lianfang.survey.v1.SurveyService/EndObservation";
constexpr char kSubmitHealthReport[] = "/lianfang.survey.v1.SurveyService/SubmitHealthReport";
constexpr char kListHealthReports[] = "/lianfang.survey.v1.SurveyService/ListHealthReports";
constexpr char kListMissingReports[] = "/lianfang.survey.v1.SurveyService/ListMissingReports";
constexpr char kGetCoverage[] = "/lianfang.survey.v1.SurveyService/GetCoverage";
constexpr char kGetDailyStats[] = "/lianfang.survey.v1.SurveyService/GetDailyStats";
constexpr char kListAuditEvents[] = "/lianfang.survey.v1.SurveyService/ListAuditEvents";
constexpr char kUpdateRiskRegions[] = "/lianfang.survey.v1.SurveyService/UpdateRiskRegions";
constexpr char kGetRiskRegions[] = "/lianfang.survey.v1.SurveyService/GetRiskRegions";

void CheckPageSize(server::FieldErrors& errors, int32_t page_size) {
  if (page_size < 0) errors.Add("page_size", "must not be negative");
}

int EffectivePageSize(int32_t requested) {
  absl::StatusOr<int> size = sql::PageSize(requested);
  return size.ok() ? *size : sql::kDefaultPageSize;
}

}  // namespace

bool SeesClearData(auth::Role role) {
  return role == auth::Role::kAdmin || role == auth::Role::kLeader;
}

void Redact(v1::Household& h, auth::Role role) {
  if (SeesClearData(role)) return;
  h.clear_landlord_name();
  h.clear_landlord_phone();
}

void Redact(v1::Resident& r, auth::Role role) {
  if (SeesClearData(role)) return;
  r.clear_name();
  r.clear_phone();
}

void Redact(v1::Observation& o, auth::Role role) {
  if (SeesClearData(role)) return;
  o.clear_name();
}

void Redact(v1::Movement& m, auth::Role role) {
  if (m.has_observation()) Redact(*m.mutable_observation(), role);
}

void Redact(v1::EndObservationResponse& r, auth::Role role) {
  if (r.has_observation()) Redact(*r.mutable_observation(), role);
}

void Redact(v1::HealthReport&, auth::Role) {}

void Reveal(v1::Household& h, const CommitEffects::Clear& clear) {
  h.set_landlord_name(clear.name);
  h.set_landlord_phone(clear.phone);
}

void Reveal(v1::Resident& r, const CommitEffects::Clear& clear) {
  r.set_name(clear.name);
  r.set_phone(clear.phone);
}

void Reveal(v1::Movement& m, const CommitEffects::Clear& clear) {
  if (m.has_observation()) m.mutable_observation()->set_name(clear.name);
}

void Reveal(v1::EndObservationResponse& r, const CommitEffects::Clear& clear) {
  if (r.has_observation()) r.mutable_observation()->set_name(clear.name);
}

void Reveal(v1::HealthReport&, const CommitEffects::Clear&) {}

void Redact(v1::RiskRegions&, auth::Role) {}

void Reveal(v1::RiskRegions&, const CommitEffects::Clear&) {}

SurveyService::SurveyService(SurveyServiceDeps deps)
    : deps_(std::move(deps)), book_(deps_.sites, deps_.settings, deps_.tz) {}

absl::CivilDay SurveyService::Today(absl::Time now) const { return time::DayOf(now, deps_.tz); }

void SurveyService::AfterCommit(const CommitEffects& effects) {
  if (deps_.live != nullptr) deps_.live->Publish(effects);
  if (effects.outbox && deps_.sender != nullptr) deps_.sender->Wake();
}

template <typename Request, typename Response, typename Fn, typename ObjectOf>
grpc::ServerUnaryReactor* SurveyService::Mutate(grpc::CallbackServerContext* ctx,
                                                absl::string_view method,
                                                const auth::Principal& who, const Request& request,
                                                Response* response, absl::Time now, Fn fn,
                                                ObjectOf object_of) {
  auto effects = std::make_shared<CommitEffects>();
  const absl::CivilDay today = Today(now);
  return app::RunMutation(
      ctx, *deps_.db, *deps_.clock, method, who, request, response,
      [fn = std::move(fn), effects, today](sql::Session& s) mutable -> absl::StatusOr<Response> {
        *effects = CommitEffects{};
        effects->day = today;
        return fn(s, *effects);
      },
      std::move(object_of),
      [this, effects, role = who.role](Response& r, bool replayed) {
        // The stored response (replayed to retries) holds masks only; the first caller gets
        // the clear fields its role may read.
        if (!replayed && SeesClearData(role)) Reveal(r, effects->clear);
        Redact(r, role);
        if (!replayed) AfterCommit(*effects);
      });
}

// ---- Households ---------------------------------------------------------------------------------

grpc::ServerUnaryReactor* SurveyService::UpsertHousehold(grpc::CallbackServerContext* ctx,
                                                         const v1::UpsertHouseholdRequest* req,
                                                         v1::Household* resp) {
  ASSIGN_OR_FINISH(ctx, kUpsertHousehold, auth::Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kUpsertHousehold));
  FINISH_IF_ERROR(ctx, kUpsertHousehold, ValidateUpsertHousehold(*req, *deps_.sites));
  FINISH_IF_ERROR(ctx, kUpsertHousehold, auth::CheckSite(who, req->household().site_id()));
  const absl::Time now = deps_.clock->Now();
  return Mutate(
      ctx, kUpsertHousehold, who, *req, resp, now,
      [this, who, req, now](sql::Session& s, CommitEffects& fx) {
        return book_.UpsertHousehold(s, who, *req, now, fx);
      },
      [](const v1::Household& h) { return h.household_id(); });
}

grpc::ServerUnaryReactor* SurveyService::GetHousehold(grpc::CallbackServerContext* ctx,
                                                      const v1::GetHouseholdRequest* req,
                                                      v1::Household* resp) {
  ASSIGN_OR_FINISH(ctx, kGetHousehold, auth::Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kGetHousehold));
  server::FieldErrors errors;
  CheckText(errors, "household_id", req->household_id(), true);
  FINISH_IF_ERROR(ctx, kGetHousehold, errors.ToStatus());
  std::optional<v1::Household> found;
  FINISH_IF_ERROR(ctx, kGetHousehold, deps_.db->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(found, store_.FindHousehold(s, req->household_id()));
    return absl::OkStatus();
  }));
  if (!found.has_value()) {
    return app::FinishWith(ctx, kGetHousehold, absl::NotFoundError("household not found"));
  }
  FINISH_IF_ERROR(ctx, kGetHousehold, auth::CheckSite(who, found->site_id()));
  Redact(*found, who.role);
  *resp = *std::move(found);
  return app::FinishRead(ctx, *deps_.db, *deps_.clock, kGetHousehold, who, req->household_id(),
                         SeesClearData(who.role));
}

grpc::ServerUnaryReactor* SurveyService::ListHouseholds(grpc::CallbackServerContext* ctx,
                                                        const v1::ListHouseholdsRequest* req,
                                                        v1::ListHouseholdsResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kListHouseholds, auth::Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kListHouseholds));
  server::FieldErrors errors;
  CheckSite(errors, "site_id", req->site_id(), *deps_.sites);
  CheckText(errors, "building", req->building(), false);
  CheckPageSize(errors, req->page_size());
  FINISH_IF_ERROR(ctx, kListHouseholds, errors.ToStatus());
  FINISH_IF_ERROR(ctx, kListHouseholds, auth::CheckSite(who, req->site_id()));
  Page<v1::Household> page;
  FINISH_IF_ERROR(ctx, kListHouseholds, deps_.db->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(
        page, store_.ListHouseholds(s, req->site_id(), req->building(), req->only_unsurveyed(),
                                    EffectivePageSize(req->page_size()), req->page_token()));
    return absl::OkStatus();
  }));
  for (v1::Household& h : page.items) {
    Redact(h, who.role);
    *resp->add_households() = std::move(h);
  }
  resp->set_next_page_token(page.next_page_token);
  return app::FinishRead(ctx, *deps_.db, *deps_.clock, kListHouseholds, who, req->site_id(),
                         SeesClearData(who.role));
}

// ---- Residents ----------------------------------------------------------------------------------

grpc::ServerUnaryReactor* SurveyService::RegisterResident(grpc::CallbackServerContext* ctx,
                                                          const v1::RegisterResidentRequest* req,
                                                          v1::Resident* resp) {
  ASSIGN_OR_FINISH(ctx, kRegisterResident, auth::Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kRegisterResident));
  const absl::Time now = deps_.clock->Now();
  ASSIGN_OR_FINISH(ctx, kRegisterResident, Person person,
                   ValidateRegisterResident(*req, Today(now), *deps_.keyer));
  return Mutate(
      ctx, kRegisterResident, who, *req, resp, now,
      [this, who, req, person = std::move(person), now](sql::Session& s, CommitEffects& fx) {
        return book_.RegisterResident(s, who, *req, person, now, fx);
      },
      [](const v1::Resident& r) { return r.resident_id(); });
}

grpc::ServerUnaryReactor* SurveyService::ListResidents(grpc::CallbackServerContext* ctx,
                                                       const v1::ListResidentsRequest* req,
                                                       v1::ListResidentsResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kListResidents, auth::Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kListResidents));
  server::FieldErrors errors;
  CheckSite(errors, "site_id", req->site_id(), *deps_.sites);
  CheckText(errors, "household_id", req->household_id(), false);
  if (!v1::TenantStatus_IsValid(req->tenant_status())) {
    errors.Add("tenant_status", "must be a known TenantStatus");
  }
  CheckPageSize(errors, req->page_size());
  FINISH_IF_ERROR(ctx, kListResidents, errors.ToStatus());
  FINISH_IF_ERROR(ctx, kListResidents, auth::CheckSite(who, req->site_id()));
  Page<v1::Resident> page;
  FINISH_IF_ERROR(ctx, kListResidents, deps_.db->Read([&](sql::Session& s) -> absl::Status {
    if (!req->household_id().empty()) {
      ASSIGN_OR_RETURN(std::optional<v1::Household> h,
                       store_.FindHousehold(s, req->household_id()));
      if (!h.has_value() || h->site_id() != req->site_id()) {
        return server::InvalidField("household_id", "unknown household at this site");
      }
    }
    ASSIGN_OR_RETURN(
        page, store_.ListResidents(s, req->site_id(), req->household_id(), req->tenant_status(),
                                   EffectivePageSize(req->page_size()), req->page_token()));
    return absl::OkStatus();
  }));
  for (v1::Resident& r : page.items) {
    Redact(r, who.role);
    *resp->add_residents() = std::move(r);
  }
  resp->set_next_page_token(page.next_page_token);
  return app::FinishRead(ctx, *deps_.db, *deps_.clock, kListResidents, who, req->site_id(),
                         SeesClearData(who.role));
}

grpc::ServerUnaryReactor* SurveyService::VerifyTenant(grpc::CallbackServerContext* ctx,
                                                      const v1::VerifyTenantRequest* req,
                                                      v1::Resident* resp) {
  ASSIGN_OR_FINISH(ctx, kVerifyTenant, auth::Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kVerifyTenant));
  FINISH_IF_ERROR(ctx, kVerifyTenant, ValidateVerifyTenant(*req));
  const absl::Time now = deps_.clock->Now();
  return Mutate(
      ctx, kVerifyTenant, who, *req, resp, now,
      [this, who, req, now](sql::Session& s, CommitEffects& fx) {
        return book_.VerifyTenant(s, who, *req, now, fx);
      },
      [](const v1::Resident& r) { return r.resident_id(); });
}

// ---- Movements and observations -----------------------------------------------------------------

grpc::ServerUnaryReactor* SurveyService::RecordMovement(grpc::CallbackServerContext* ctx,
                                                        const v1::RecordMovementRequest* req,
                                                        v1::Movement* resp) {
  ASSIGN_OR_FINISH(ctx, kRecordMovement, auth::Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kRecordMovement));
  const absl::Time now = deps_.clock->Now();
  ASSIGN_OR_FINISH(ctx, kRecordMovement, MovementInput input,
                   ValidateRecordMovement(*req, *deps_.sites, Today(now), *deps_.keyer));
  if (!req->site_id().empty()) {
    FINISH_IF_ERROR(ctx, kRecordMovement, auth::CheckSite(who, req->site_id()));
  }
  return Mutate(
      ctx, kRecordMovement, who, *req, resp, now,
      [this, who, req, input = std::move(input), now](sql::Session& s, CommitEffects& fx) {
        return book_.RecordMovement(s, who, *req, input, now, fx);
      },
      [](const v1::Movement& m) { return m.movement_id(); });
}

grpc::ServerUnaryReactor* SurveyService::ListObservations(grpc::CallbackServerContext* ctx,
                                                          const v1::ListObservationsRequest* req,
                                                          v1::ListObservationsResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kListObservations, auth::Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kListObservations));
  const absl::CivilDay today = Today(deps_.clock->Now());
  server::FieldErrors errors;
  CheckSite(errors, "site_id", req->site_id(), *deps_.sites);
  // Any past or future day may be asked for ("who will still be observed next week").
  std::optional<absl::CivilDay> day = today;
  if (!req->active_on().empty()) {
    absl::StatusOr<absl::CivilDay> parsed = time::ParseDate(req->active_on());
    if (parsed.ok()) {
      day = *parsed;
    } else {
      errors.Add("active_on", "must be a date YYYY-MM-DD");
    }
  }
  CheckPageSize(errors, req->page_size());
  FINISH_IF_ERROR(ctx, kListObservations, errors.ToStatus());
  FINISH_IF_ERROR(ctx, kListObservations, auth::CheckSite(who, req->site_id()));
  Page<v1::Observation> page;
  FINISH_IF_ERROR(ctx, kListObservations, deps_.db->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(
        page, store_.ListObservations(s, req->site_id(), *day, EffectivePageSize(req->page_size()),
                                      req->page_token()));
    return absl::OkStatus();
  }));
  for (v1::Observation& o : page.items) {
    Redact(o, who.role);
    *resp->add_observations() = std::move(o);
  }
  resp->set_next_page_token(page.next_page_token);
  return app::FinishRead(ctx, *deps_.db, *deps_.clock, kListObservations, who, req->site_id(),
                         SeesClearData(who.role));
}

grpc::ServerUnaryReactor* SurveyService::EndObservation(grpc::CallbackServerContext* ctx,
                                                        const v1::EndObservationRequest* req,
                                                        v1::EndObservationResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kEndObservation, auth::Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kEndObservation));
  FINISH_IF_ERROR(ctx, kEndObservation, ValidateEndObservation(*req));
  const absl::Time now = deps_.clock->Now();
  return Mutate(
      ctx, kEndObservation, who, *req, resp, now,
      [this, who, req, now](sql::Session& s, CommitEffects& fx) {
        return book_.EndObservation(s, who, *req, now, fx);
      },
      [](const v1::EndObservationResponse& r) { return r.observation().person_key(); });
}

// ---- Health reports -----------------------------------------------------------------------------

grpc::ServerUnaryReactor* SurveyService::SubmitHealthReport(
    grpc::CallbackServerContext* ctx, const v1::SubmitHealthReportRequest* req,
    v1::HealthReport* resp) {
  ASSIGN_OR_FINISH(ctx, kSubmitHealthReport, auth::Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kSubmitHealthReport));
  const absl::Time now = deps_.clock->Now();
  ASSIGN_OR_FINISH(ctx, kSubmitHealthReport, ReportInput input,
                   ValidateSubmitHealthReport(*req, Today(now), *deps_.keyer));
  return Mutate(
      ctx, kSubmitHealthReport, who, *req, resp, now,
      [this, who, req, input = std::move(input), now](sql::Session& s, CommitEffects& fx) {
        return book_.SubmitHealthReport(s, who, *req, input, now, fx);
      },
      [](const v1::HealthReport& r) { return r.report_id(); });
}

grpc::ServerUnaryReactor* SurveyService::ListHealthReports(grpc::CallbackServerContext* ctx,
                                                           const v1::ListHealthReportsRequest* req,
                                                           v1::ListHealthReportsResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kListHealthReports, auth::Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kListHealthReports));
  server::FieldErrors errors;
  CheckSite(errors, "site_id", req->site_id(), *deps_.sites);
  std::optional<absl::CivilDay> day =
      CheckDate(errors, "date", req->date(), Today(deps_.clock->Now()), false, std::nullopt);
  CheckPageSize(errors, req->page_size());
  FINISH_IF_ERROR(ctx, kListHealthReports, errors.ToStatus());
  FINISH_IF_ERROR(ctx, kListHealthReports, auth::CheckSite(who, req->site_id()));
  Page<v1::HealthReport> page;
  FINISH_IF_ERROR(ctx, kListHealthReports, deps_.db->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(page,
                     store_.ListReports(s, req->site_id(), *day, req->fever_only(),
                                        EffectivePageSize(req->page_size()), req->page_token()));
    return absl::OkStatus();
  }));
  for (v1::HealthReport& r : page.items) *resp->add_reports() = std::move(r);
  resp->set_next_page_token(page.next_page_token);
  return app::FinishWith(ctx, kListHealthReports, absl::OkStatus());
}

grpc::ServerUnaryReactor* SurveyService::ListMissingReports(
    grpc::CallbackServerContext* ctx, const v1::ListMissingReportsRequest* req,
    v1::ListMissingReportsResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kListMissingReports, auth::Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kListMissingReports));
  server::FieldErrors errors;
  CheckSite(errors, "site_id", req->site_id(), *deps_.sites);
  std::optional<absl::CivilDay> day =
      CheckDate(errors, "date", req->date(), Today(deps_.clock->Now()), false, std::nullopt);
  CheckPageSize(errors, req->page_size());
  FINISH_IF_ERROR(ctx, kListMissingReports, errors.ToStatus());
  FINISH_IF_ERROR(ctx, kListMissingReports, auth::CheckSite(who, req->site_id()));
  Page<v1::Resident> page;
  FINISH_IF_ERROR(ctx, kListMissingReports, deps_.db->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(
        page, store_.ListMissingReports(s, req->site_id(), *day, time::EndOfDay(*day, deps_.tz),
                                        EffectivePageSize(req->page_size()), req->page_token()));
    return absl::OkStatus();
  }));
  for (v1::Resident& r : page.items) {
    Redact(r, who.role);
    *resp->add_residents() = std::move(r);
  }
  resp->set_next_page_token(page.next_page_token);
  // --- rote-report flags (gap_job.h): first page, ADMIN and LEADER only ---
  if (req->page_token().empty() && SeesClearData(who.role)) {
    FINISH_IF_ERROR(ctx, kListMissingReports, deps_.db->Read([&](sql::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(std::vector<v1::ReportFlag> flags,
                       ReadRoteReportFlags(s, req->site_id(), *day));
      for (v1::ReportFlag& f : flags) *resp->add_flags() = std::move(f);
      return absl::OkStatus();
    }));
  }
  return app::FinishRead(ctx, *deps_.db, *deps_.clock, kListMissingReports, who, req->site_id(),
                         SeesClearData(who.role));
}

// ---- Figures ------------------------------------------------------------------------------------

grpc::ServerUnaryReactor* SurveyService::GetCoverage(grpc::CallbackServerContext* ctx,
                                                     const v1::GetCoverageRequest* req,
                                                     v1::GetCoverageResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kGetCoverage, auth::Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kGetCoverage));
  server::FieldErrors errors;
  CheckSite(errors, "site_id", req->site_id(), *deps_.sites);
  FINISH_IF_ERROR(ctx, kGetCoverage, errors.ToStatus());
  FINISH_IF_ERROR(ctx, kGetCoverage, auth::CheckSite(who, req->site_id()));
  const absl::Time now = deps_.clock->Now();
  const absl::CivilDay today = Today(now);
  Coverage c;
  FINISH_IF_ERROR(ctx, kGetCoverage, deps_.db->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(c,
                     store_.CoverageOf(s, req->site_id(), today, time::EndOfDay(today, deps_.tz)));
    return absl::OkStatus();
  }));
  resp->set_site_id(req->site_id());
  resp->set_households_total(static_cast<int32_t>(c.households_total));
  resp->set_households_surveyed(static_cast<int32_t>(c.households_surveyed));
  resp->set_residents(static_cast<int32_t>(c.residents));
  resp->set_tenants_total(static_cast<int32_t>(c.tenants_total));
  resp->set_tenants_verified(static_cast<int32_t>(c.tenants_verified));
  resp->set_tenants_pending(static_cast<int32_t>(c.tenants_pending));
  resp->set_under_observation(static_cast<int32_t>(c.under_observation));
  resp->set_reports_today(static_cast<int32_t>(c.reports_today));
  resp->set_reports_missing_today(static_cast<int32_t>(c.reports_missing_today));
  *resp->mutable_as_of() = time::ToTimestamp(now);
  return app::FinishWith(ctx, kGetCoverage, absl::OkStatus());
}

grpc::ServerUnaryReactor* SurveyService::GetDailyStats(grpc::CallbackServerContext* ctx,
                                                       const v1::GetDailyStatsRequest* req,
                                                       v1::GetDailyStatsResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kGetDailyStats, auth::Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kGetDailyStats));
  server::FieldErrors errors;
  std::optional<absl::CivilDay> day =
      CheckDate(errors, "date", req->date(), Today(deps_.clock->Now()), true, std::nullopt);
  if (!req->site_id().empty()) CheckSite(errors, "site_id", req->site_id(), *deps_.sites);
  FINISH_IF_ERROR(ctx, kGetDailyStats, errors.ToStatus());
  std::vector<std::string> site_ids;
  if (!req->site_id().empty()) {
    FINISH_IF_ERROR(ctx, kGetDailyStats, auth::CheckSite(who, req->site_id()));
    site_ids.push_back(req->site_id());
  } else {
    for (const std::string& id : deps_.sites->ids()) {
      if (who.MayActOnSite(id)) site_ids.push_back(id);
    }
    std::sort(site_ids.begin(), site_ids.end());
  }
  const absl::Time start = time::StartOfDay(*day, deps_.tz);
  const absl::Time end = time::EndOfDay(*day, deps_.tz);
  FINISH_IF_ERROR(ctx, kGetDailyStats, deps_.db->Read([&](sql::Session& s) -> absl::Status {
    for (const std::string& id : site_ids) {
      ASSIGN_OR_RETURN(*resp->add_stats(), store_.DailyStatsOf(s, id, *day, start, end));
    }
    return absl::OkStatus();
  }));
  resp->set_date(time::FormatDate(*day));
  return app::FinishWith(ctx, kGetDailyStats, absl::OkStatus());
}

grpc::ServerUnaryReactor* SurveyService::ListAuditEvents(
    grpc::CallbackServerContext* ctx, const common::v1::ListAuditEventsRequest* req,
    common::v1::ListAuditEventsResponse* resp) {
  FINISH_IF_ERROR(ctx, kListAuditEvents,
                  server::AuthorizeCall(*deps_.authorizer, ctx, kListAuditEvents).status());
  ASSIGN_OR_FINISH(ctx, kListAuditEvents, *resp, app::ListAuditEvents(*deps_.db, *req));
  return app::FinishWith(ctx, kListAuditEvents, absl::OkStatus());
}

// --- risk regions ---------------------------------------------------------------------------

grpc::ServerUnaryReactor* SurveyService::UpdateRiskRegions(grpc::CallbackServerContext* ctx,
                                                           const v1::UpdateRiskRegionsRequest* req,
                                                           v1::RiskRegions* resp) {
  ASSIGN_OR_FINISH(ctx, kUpdateRiskRegions, auth::Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kUpdateRiskRegions));
  const absl::Time now = deps_.clock->Now();
  ASSIGN_OR_FINISH(ctx, kUpdateRiskRegions, RiskUpdate update,
                   ValidateUpdateRiskRegions(*req, now));
  return Mutate(
      ctx, kUpdateRiskRegions, who, *req, resp, now,
      [this, who, update = std::move(update), now](sql::Session& s, CommitEffects& fx) {
        return book_.UpdateRiskRegions(s, who, update, now, fx);
      },
      [](const v1::RiskRegions& r) { return absl::StrCat("risk-regions/", r.version()); });
}

grpc::ServerUnaryReactor* SurveyService::GetRiskRegions(grpc::CallbackServerContext* ctx,
                                                        const v1::GetRiskRegionsRequest*,
                                                        v1::RiskRegions* resp) {
  FINISH_IF_ERROR(ctx, kGetRiskRegions,
                  server::AuthorizeCall(*deps_.authorizer, ctx, kGetRiskRegions).status());
  const absl::Time now = deps_.clock->Now();
  FINISH_IF_ERROR(ctx, kGetRiskRegions, deps_.db->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(*resp, book_.risk_versions().InForce(s, now));
    return absl::OkStatus();
  }));
  return app::FinishWith(ctx, kGetRiskRegions, absl::OkStatus());
}

absl::StatusOr<int32_t> SurveyService::RunDueLookBacks() {
  const absl::Time now = deps_.clock->Now();
  CommitEffects effects;
  int32_t opened = 0;
  RETURN_IF_ERROR(deps_.db->Write([&](sql::Session& s) -> absl::Status {
    effects = CommitEffects{};
    effects.day = Today(now);
    ASSIGN_OR_RETURN(opened, book_.RunDueLookBacks(s, now, effects));
    return absl::OkStatus();
  }));
  AfterCommit(effects);
  return opened;
}

}  // namespace lianfang::survey
