#include "services/dispatch/plan_book.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/request/request.h"
#include "common/server/errors.h"
#include "common/time/timestamp.h"

namespace lianfang::dispatch {
namespace {

using server::FieldErrors;

// Ids and other machine strings.
constexpr size_t kMaxIdBytes = 256;

void CheckId(FieldErrors& errors, absl::string_view field, absl::string_view value, bool required) {
  if (value.size() > kMaxIdBytes) {
    errors.Add(field, absl::StrCat("must be at most ", kMaxIdBytes, " bytes"));
  } else if (required && value.empty()) {
    errors.Add(field, "is required");
  }
}

void CheckSite(FieldErrors& errors, absl::string_view field, absl::string_view site_id,
               const sites::SiteDirectory& sites, bool required) {
  if (site_id.empty()) {
    if (required) errors.Add(field, "is required");
    return;
  }
  if (site_id.size() > kMaxIdBytes || sites.Find(site_id) == nullptr) {
    errors.Add(field, "unknown site");
  }
}

void CheckPage(FieldErrors& errors, int page_size, absl::string_view page_token) {
  if (page_size < 0) errors.Add("page_size", "must not be negative");
  if (page_token.size() > 1024) errors.Add("page_token", "is not a valid page token");
}

void CheckStep(FieldErrors& errors, const std::string& field, const v1::PlanStep& step,
               const sites::SiteDirectory& sites) {
  request::CheckFreeText(errors, field + ".title", step.title(), kMaxStepTitleChars, true);
  if (step.kind() == v1::TASK_KIND_UNSPECIFIED || !v1::TaskKind_IsValid(step.kind())) {
    errors.Add(field + ".kind", "must be one of the TaskKind values");
  }
  CheckId(errors, field + ".team_id", step.team_id(), false);
  CheckSite(errors, field + ".site_id", step.site_id(), sites, false);
  if (step.offset_minutes() < 0 || step.offset_minutes() > kMaxStepOffsetMinutes) {
    errors.Add(field + ".offset_minutes",
               absl::StrCat("must be within 0..", kMaxStepOffsetMinutes));
  }
  if (step.duration_minutes() < 1 || step.duration_minutes() > kMaxStepDurationMinutes) {
    errors.Add(field + ".duration_minutes",
               absl::StrCat("must be within 1..", kMaxStepDurationMinutes));
  }
  if (!v1::Priority_IsValid(step.priority())) {
    errors.Add(field + ".priority", "must be one of the Priority values");
  }
  request::CheckFreeText(errors, field + ".details", step.details(), kMaxStepDetailsChars, false);
}

}  // namespace

absl::Status ValidateCreatePlan(const v1::CreatePlanRequest& req,
                                const sites::SiteDirectory& sites) {
  FieldErrors errors;
  request::CheckRequestId(errors, req.request_id());
  if (!req.has_plan()) {
    errors.Add("plan", "is required");
    return errors.ToStatus();
  }
  const v1::Plan& plan = req.plan();
  CheckId(errors, "plan.plan_id", plan.plan_id(), false);
  request::CheckFreeText(errors, "plan.name", plan.name(), kMaxPlanNameChars, true);
  if (plan.scenario() == v1::PLAN_SCENARIO_UNSPECIFIED ||
      !v1::PlanScenario_IsValid(plan.scenario())) {
    errors.Add("plan.scenario", "must be one of the PlanScenario values");
  }
  CheckSite(errors, "plan.site_id", plan.site_id(), sites, true);
  if (plan.steps().empty()) {
    errors.Add("plan.steps", "at least one step is required");
  } else if (plan.steps_size() > kMaxPlanSteps) {
    errors.Add("plan.steps", absl::StrCat("at most ", kMaxPlanSteps, " steps"));
  } else {
    for (int i = 0; i < plan.steps_size(); ++i) {
      CheckStep(errors, absl::StrCat("plan.steps[", i, "]"), plan.steps(i), sites);
    }
  }
  return errors.ToStatus();
}

absl::Status ValidateReviewPlan(const v1::ReviewPlanRequest& req) {
  FieldErrors errors;
  request::CheckRequestId(errors, req.request_id());
  CheckId(errors, "plan_id", req.plan_id(), true);
  return errors.ToStatus();
}

absl::Status ValidateListPlans(const v1::ListPlansRequest& req, const sites::SiteDirectory& sites) {
  FieldErrors errors;
  CheckSite(errors, "site_id", req.site_id(), sites, false);
  CheckPage(errors, req.page_size(), req.page_token());
  return errors.ToStatus();
}

absl::Status ValidateActivatePlan(const v1::ActivatePlanRequest& req) {
  FieldErrors errors;
  request::CheckRequestId(errors, req.request_id());
  CheckId(errors, "plan_id", req.plan_id(), true);
  if (req.mode() == v1::ACTIVATION_MODE_UNSPECIFIED || !v1::ActivationMode_IsValid(req.mode())) {
    errors.Add("mode", "must be ACTIVATION_MODE_DRILL or ACTIVATION_MODE_REAL");
  }
  if (req.has_starts_at()) request::CheckTimestamp(errors, "starts_at", req.starts_at());
  return errors.ToStatus();
}

absl::Status ValidateGetActivation(const v1::GetActivationRequest& req) {
  FieldErrors errors;
  CheckId(errors, "activation_id", req.activation_id(), true);
  return errors.ToStatus();
}

absl::Status ValidateListActivations(const v1::ListActivationsRequest& req) {
  FieldErrors errors;
  CheckId(errors, "plan_id", req.plan_id(), false);
  CheckPage(errors, req.page_size(), req.page_token());
  return errors.ToStatus();
}

absl::Status ValidateEndActivation(const v1::EndActivationRequest& req) {
  FieldErrors errors;
  request::CheckRequestId(errors, req.request_id());
  CheckId(errors, "activation_id", req.activation_id(), true);
  return errors.ToStatus();
}

absl::Status CheckActivationStart(absl::Time starts_at, absl::Time now) {
  if (starts_at > now + kMaxActivationLead) {
    return server::InvalidField("starts_at", "must be at most 30 days ahead");
  }
  if (starts_at < now - absl::Minutes(1)) {
    return server::InvalidField("starts_at", "must not be in the past");
  }
  return absl::OkStatus();
}

std::string ActivationSourceRef(absl::string_view activation_id, int index) {
  return absl::StrCat("dispatch.plan_activation/", activation_id, "/", index);
}

std::vector<v1::Task> ExpandSteps(const v1::Plan& plan, v1::ActivationMode mode,
                                  absl::string_view activation_id, absl::Time starts_at) {
  std::vector<v1::Task> tasks;
  tasks.reserve(plan.steps_size());
  for (int i = 0; i < plan.steps_size(); ++i) {
    const v1::PlanStep& step = plan.steps(i);
    v1::Task t;
    t.set_kind(step.kind());
    t.set_site_id(step.site_id().empty() ? plan.site_id() : step.site_id());
    t.set_title(mode == v1::ACTIVATION_MODE_DRILL ? absl::StrCat(kDrillPrefix, step.title())
                                                  : step.title());
    t.set_details(step.details());
    t.set_priority(step.priority());
    t.set_team_id(step.team_id());
    *t.mutable_due_at() = time::ToTimestamp(starts_at + absl::Minutes(step.offset_minutes()) +
                                            absl::Minutes(step.duration_minutes()));
    t.set_source_ref(ActivationSourceRef(activation_id, i));
    tasks.push_back(std::move(t));
  }
  return tasks;
}

absl::Time StaleBefore(absl::Time now) { return now - kPlanStaleAfter; }

bool IsStale(absl::Time reviewed_at, absl::Time now) { return reviewed_at < StaleBefore(now); }

void FillProgress(v1::Activation& activation) {
  int done = 0;
  int overdue = 0;
  for (const v1::ActivationStep& step : activation.steps()) {
    if (step.status() == v1::TASK_STATUS_DONE) ++done;
    if (step.overdue()) ++overdue;
  }
  activation.set_steps_total(activation.steps_size());
  activation.set_steps_done(done);
  activation.set_steps_overdue(overdue);
}

}  // namespace lianfang::dispatch
