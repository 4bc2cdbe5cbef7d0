// The rules of contingency plans (防控预案), free of SQL and gRPC: what a valid plan and
// activation request are, what a plan's steps become when it is activated, when a plan is
// stale, and an activation's progress.
//
//   RETURN_IF_ERROR(ValidateCreatePlan(req, sites));
//   std::vector<v1::Task> tasks = ExpandSteps(plan, v1::ACTIVATION_MODE_DRILL, "activation-3",
//                                             starts_at);
//   bool stale = IsStale(reviewed_at, now);
//
// A plan's step becomes one task: the step's kind, title (a drill's prefixed with kDrillPrefix),
// details, priority and team, on the step's site (or the plan's), due at
// starts_at + offset_minutes + duration_minutes, with source_ref
// "dispatch.plan_activation/<activation_id>/<step index>".
//
// Free text people read (the plan's name, the steps' titles and details) is plain text and must
// not hold an ID number or a phone (refused without repeating the value).
//
// Every function is pure and thread-safe.
#ifndef LIANFANG_SERVICES_DISPATCH_PLAN_BOOK_H_
#define LIANFANG_SERVICES_DISPATCH_PLAN_BOOK_H_

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/sites/site_directory.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"

namespace lianfang::dispatch {

// Bounds of a plan (dispatch.proto).
inline constexpr int kMaxPlanSteps = 200;
inline constexpr int kMaxPlanNameChars = 100;
inline constexpr int kMaxStepTitleChars = 100;
inline constexpr int kMaxStepDetailsChars = 500;
inline constexpr int kMaxStepOffsetMinutes = 30 * 24 * 60;   // 43200
inline constexpr int kMaxStepDurationMinutes = 7 * 24 * 60;  // 10080
// How far ahead an activation may start.
inline constexpr absl::Duration kMaxActivationLead = absl::Hours(30 * 24);
// A plan not reviewed for this long is stale.
inline constexpr absl::Duration kPlanStaleAfter = absl::Hours(90 * 24);
// The title prefix of a drill's tasks.
inline constexpr char kDrillPrefix[] = "【演练】";
// The reason given when EndActivation cancels the tasks not done.
inline constexpr char kEndedActivationReason[] = "预案已结束";

// CreatePlanRequest: request_id; plan required with name (1..100 characters), scenario, a known
// site_id, 1..200 steps each with title (1..100 characters), kind, offset 0..43200, duration
// 1..10080, a known priority, details (at most 500 characters), a known step site_id when set;
// plan_id at most 256 bytes when set. Whether plan_id and the steps' teams exist is checked in
// the write. Fields are named like "plan.steps[3].offset_minutes".
absl::Status ValidateCreatePlan(const v1::CreatePlanRequest& req,
                                const sites::SiteDirectory& sites);
absl::Status ValidateReviewPlan(const v1::ReviewPlanRequest& req);
absl::Status ValidateListPlans(const v1::ListPlansRequest& req, const sites::SiteDirectory& sites);
// Not checked here: starts_at against now (at most kMaxActivationLead ahead; it depends on the
// moment of the first attempt, and a retry must get the stored answer).
absl::Status ValidateActivatePlan(const v1::ActivatePlanRequest& req);
absl::Status ValidateGetActivation(const v1::GetActivationRequest& req);
absl::Status ValidateListActivations(const v1::ListActivationsRequest& req);
absl::Status ValidateEndActivation(const v1::EndActivationRequest& req);

// INVALID_ARGUMENT naming "starts_at" when `starts_at` is more than kMaxActivationLead after
// `now`, or more than a minute before it (a start in the past would create tasks already late).
absl::Status CheckActivationStart(absl::Time starts_at, absl::Time now);

// The source_ref of the task of step `index` of `activation_id`:
// "dispatch.plan_activation/<activation_id>/<index>".
std::string ActivationSourceRef(absl::string_view activation_id, int index);

// The tasks of `plan`'s steps (in step order) for an activation starting at `starts_at`: kind,
// site_id (the step's, or the plan's when empty), title (prefixed with kDrillPrefix for a
// drill), details, priority, team_id, due_at and source_ref set; nothing else.
std::vector<v1::Task> ExpandSteps(const v1::Plan& plan, v1::ActivationMode mode,
                                  absl::string_view activation_id, absl::Time starts_at);

// True when a plan last reviewed at `reviewed_at` is stale at `now` (kPlanStaleAfter passed).
bool IsStale(absl::Time reviewed_at, absl::Time now);
// The review time before which a plan is stale at `now`.
absl::Time StaleBefore(absl::Time now);

// Counts steps_total, steps_done and steps_overdue of `activation` from its steps' status and
// overdue fields (already filled).
void FillProgress(v1::Activation& activation);

}  // namespace lianfang::dispatch

#endif  // LIANFANG_SERVICES_DISPATCH_PLAN_BOOK_H_
