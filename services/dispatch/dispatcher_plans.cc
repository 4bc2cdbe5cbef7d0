// The Dispatcher's contingency plans and activations (declared in dispatcher.h). The rules
// (validation, step -> task expansion, staleness, progress) are plan_book.h's; the tasks are
// created by NewTask and cancelled by Transit, exactly as every other task.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/auth/authorizer.h"
#include "common/server/errors.h"
#include "common/sql/page_token.h"
#include "common/status/status_macros.h"
#include "common/time/timestamp.h"
#include "services/dispatch/dispatcher.h"
#include "services/dispatch/plan_book.h"
#include "services/dispatch/task_board.h"

namespace lianfang::dispatch {
namespace {

using auth::Principal;

// The site a step's task goes to.
const std::string& StepSite(const v1::Plan& plan, const v1::PlanStep& step) {
  return step.site_id().empty() ? plan.site_id() : step.site_id();
}

// OK when `who` may act on the plan's site and on every step's.
absl::Status CheckPlanSites(const Principal& who, const v1::Plan& plan) {
  RETURN_IF_ERROR(auth::CheckSite(who, plan.site_id()));
  for (const v1::PlanStep& step : plan.steps()) {
    RETURN_IF_ERROR(auth::CheckSite(who, StepSite(plan, step)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PlanRow> Dispatcher::LoadPlan(sql::Session& s, const Principal& who,
                                             absl::string_view plan_id) const {
  ASSIGN_OR_RETURN(std::optional<PlanRow> row, plans_.FindPlan(s, plan_id));
  if (!row.has_value()) return absl::NotFoundError("no plan has this plan_id");
  RETURN_IF_ERROR(auth::CheckSite(who, row->plan.site_id()));
  return *std::move(row);
}

absl::StatusOr<v1::Plan> Dispatcher::CreatePlan(sql::Session& s, const Principal& who,
                                                const v1::CreatePlanRequest& req,
                                                absl::Time now) const {
  const v1::Plan& in = req.plan();
  RETURN_IF_ERROR(CheckPlanSites(who, in));
  for (int i = 0; i < in.steps_size(); ++i) {
    const v1::PlanStep& step = in.steps(i);
    if (step.team_id().empty()) continue;
    const std::string field = absl::StrCat("plan.steps[", i, "].team_id");
    ASSIGN_OR_RETURN(std::optional<TeamRow> team, store_.FindTeam(s, step.team_id()));
    if (!team.has_value()) return server::InvalidField(field, "unknown team");
    const std::string& site = StepSite(in, step);
    if (std::find(team->site_ids.begin(), team->site_ids.end(), site) == team->site_ids.end()) {
      return server::InvalidField(field, "the team does not work on the step's site");
    }
  }

  v1::Plan plan;
  plan.set_name(in.name());
  plan.set_scenario(in.scenario());
  plan.set_site_id(in.site_id());
  *plan.mutable_steps() = in.steps();
  plan.set_reviewed_by(who.subject);
  *plan.mutable_reviewed_at() = time::ToTimestamp(now);
  if (!in.plan_id().empty()) {
    // A new version of an existing plan; replacing it counts as a review.
    ASSIGN_OR_RETURN(PlanRow old, LoadPlan(s, who, in.plan_id()));
    plan.set_plan_id(old.plan.plan_id());
    plan.set_version(old.plan.version() + 1);
    plan.set_created_by(old.plan.created_by());
    *plan.mutable_created_at() = old.plan.created_at();
    RETURN_IF_ERROR(plans_.UpdatePlan(s, plan));
  } else {
    ASSIGN_OR_RETURN(DispatchStore::NewId id, store_.NextId(s, "plan"));
    plan.set_plan_id(id.id);
    plan.set_version(1);
    plan.set_created_by(who.subject);
    *plan.mutable_created_at() = time::ToTimestamp(now);
    RETURN_IF_ERROR(plans_.InsertPlan(s, PlanRow{.plan = plan, .seq = id.seq}));
  }
  plan.set_stale(false);
  return plan;
}

absl::StatusOr<v1::Plan> Dispatcher::ReviewPlan(sql::Session& s, const Principal& who,
                                                const v1::ReviewPlanRequest& req,
                                                absl::Time now) const {
  ASSIGN_OR_RETURN(PlanRow row, LoadPlan(s, who, req.plan_id()));
  RETURN_IF_ERROR(plans_.SetPlanReviewed(s, row.plan.plan_id(), now, who.subject));
  row.plan.set_reviewed_by(who.subject);
  *row.plan.mutable_reviewed_at() = time::ToTimestamp(now);
  row.plan.set_stale(false);
  return row.plan;
}

absl::StatusOr<v1::Activation> Dispatcher::ActivatePlan(sql::Session& s, const Principal& who,
                                                        const v1::ActivatePlanRequest& req,
                                                        absl::Time now, Changes* changes) const {
  ASSIGN_OR_RETURN(PlanRow plan, LoadPlan(s, who, req.plan_id()));
  RETURN_IF_ERROR(CheckPlanSites(who, plan.plan));
  const absl::Time starts_at = req.has_starts_at() ? time::FromTimestamp(req.starts_at()) : now;
  RETURN_IF_ERROR(CheckActivationStart(starts_at, now));

  ASSIGN_OR_RETURN(DispatchStore::NewId id, store_.NextId(s, "activation"));
  ActivationRow row{.seq = id.seq};
  v1::Activation& a = row.activation;
  a.set_activation_id(id.id);
  a.set_plan_id(plan.plan.plan_id());
  a.set_plan_name(plan.plan.name());
  a.set_plan_version(plan.plan.version());
  a.set_mode(req.mode());
  *a.mutable_starts_at() = time::ToTimestamp(starts_at);
  a.set_activated_by(who.subject);
  *a.mutable_activated_at() = time::ToTimestamp(now);
  a.set_site_id(plan.plan.site_id());
  RETURN_IF_ERROR(plans_.InsertActivation(s, row));

  // Each step's task and its step row in this same transaction: the UNIQUE step key makes a
  // second task for a step impossible, and a failure anywhere leaves nothing behind.
  std::vector<v1::Task> tasks = ExpandSteps(plan.plan, req.mode(), id.id, starts_at);
  for (size_t i = 0; i < tasks.size(); ++i) {
    const std::optional<absl::Time> due = time::FromTimestamp(tasks[i].due_at());
    ASSIGN_OR_RETURN(TaskRow task,
                     NewTask(s, who, tasks[i], due, /*auto_assign=*/false, now, changes));
    const std::string& title = plan.plan.steps(static_cast<int>(i)).title();
    RETURN_IF_ERROR(
        plans_.InsertActivationStep(s, id.id, static_cast<int>(i), title, task.task_id));
    v1::ActivationStep* step = a.add_steps();
    step->set_index(static_cast<int>(i));
    step->set_title(title);
    step->set_task_id(task.task_id);
    *step->mutable_due_at() = tasks[i].due_at();
    step->set_status(task.status);
    step->set_overdue(IsOverdue(task.status, due, now));
  }
  FillProgress(a);
  return a;
}

absl::StatusOr<v1::Activation> Dispatcher::EndActivation(sql::Session& s, const Principal& who,
                                                         const v1::EndActivationRequest& req,
                                                         absl::Time now, Changes* changes) const {
  ASSIGN_OR_RETURN(v1::Activation a, LoadActivation(s, who, req.activation_id(), now));
  if (a.has_ended_at()) return absl::FailedPreconditionError("the activation has already ended");
  if (req.cancel_open_tasks()) {
    for (const v1::ActivationStep& step : a.steps()) {
      if (IsFinished(step.status())) continue;
      const TransitionRequest cancel{.request_id = req.request_id(),
                                     .task_id = step.task_id(),
                                     .text = kEndedActivationReason};
      RETURN_IF_ERROR(Transit(s, who, TaskAction::kCancel, cancel, now, changes).status());
    }
  }
  ASSIGN_OR_RETURN(bool ended, plans_.EndActivation(s, a.activation_id(), now));
  if (!ended) return absl::FailedPreconditionError("the activation has already ended");
  return LoadActivation(s, who, a.activation_id(), now);
}

absl::StatusOr<v1::Activation> Dispatcher::WithSteps(sql::Session& s, v1::Activation activation,
                                                     absl::Time now) const {
  ASSIGN_OR_RETURN(std::vector<ActivationStepRow> steps,
                   plans_.ActivationSteps(s, activation.activation_id()));
  activation.clear_steps();
  for (const ActivationStepRow& row : steps) {
    v1::ActivationStep* step = activation.add_steps();
    step->set_index(row.index);
    step->set_title(row.title);
    step->set_task_id(row.task_id);
    if (row.due_at.has_value()) *step->mutable_due_at() = time::ToTimestamp(*row.due_at);
    step->set_status(row.status);
    step->set_overdue(IsOverdue(row.status, row.due_at, now));
  }
  FillProgress(activation);
  return activation;
}

absl::StatusOr<v1::Activation> Dispatcher::LoadActivation(sql::Session& s, const Principal& who,
                                                          absl::string_view activation_id,
                                                          absl::Time now) const {
  ASSIGN_OR_RETURN(std::optional<ActivationRow> row, plans_.FindActivation(s, activation_id));
  if (!row.has_value()) return absl::NotFoundError("no activation has this activation_id");
  RETURN_IF_ERROR(auth::CheckSite(who, row->activation.site_id()));
  return WithSteps(s, std::move(row->activation), now);
}

absl::StatusOr<v1::ListPlansResponse> Dispatcher::ListPlans(sql::Session& s, const Principal& who,
                                                            const v1::ListPlansRequest& req,
                                                            absl::Time now) const {
  ASSIGN_OR_RETURN(int size, sql::PageSize(req.page_size()));
  ASSIGN_OR_RETURN(int64_t offset, sql::DecodeOffsetPageToken("ListPlans", req.page_token()));
  if (!req.site_id().empty()) RETURN_IF_ERROR(auth::CheckSite(who, req.site_id()));
  std::optional<absl::Time> reviewed_before;
  if (req.stale_only()) reviewed_before = StaleBefore(now);
  ASSIGN_OR_RETURN(std::vector<PlanRow> rows, plans_.ListPlans(s, req.site_id(), who.sites,
                                                               reviewed_before, offset, size + 1));
  v1::ListPlansResponse resp;
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(size); ++i) {
    v1::Plan* plan = resp.add_plans();
    *plan = std::move(rows[i].plan);
    plan->set_stale(IsStale(time::FromTimestamp(plan->reviewed_at()), now));
  }
  if (rows.size() > static_cast<size_t>(size)) {
    resp.set_next_page_token(sql::EncodeOffsetPageToken("ListPlans", offset + size));
  }
  return resp;
}

absl::StatusOr<v1::Activation> Dispatcher::GetActivation(sql::Session& s, const Principal& who,
                                                         const v1::GetActivationRequest& req,
                                                         absl::Time now) const {
  return LoadActivation(s, who, req.activation_id(), now);
}

absl::StatusOr<v1::ListActivationsResponse> Dispatcher::ListActivations(
    sql::Session& s, const Principal& who, const v1::ListActivationsRequest& req,
    absl::Time now) const {
  ASSIGN_OR_RETURN(int size, sql::PageSize(req.page_size()));
  ASSIGN_OR_RETURN(int64_t offset, sql::DecodeOffsetPageToken("ListActivations", req.page_token()));
  if (!req.plan_id().empty()) RETURN_IF_ERROR(LoadPlan(s, who, req.plan_id()).status());
  ASSIGN_OR_RETURN(std::vector<ActivationRow> rows,
                   plans_.ListActivations(s, req.plan_id(), who.sites, offset, size + 1));
  v1::ListActivationsResponse resp;
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(size); ++i) {
    ASSIGN_OR_RETURN(*resp.add_activations(), WithSteps(s, std::move(rows[i].activation), now));
  }
  if (rows.size() > static_cast<size_t>(size)) {
    resp.set_next_page_token(sql::EncodeOffsetPageToken("ListActivations", offset + size));
  }
  return resp;
}

}  // namespace lianfang::dispatch
