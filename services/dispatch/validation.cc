#include "services/dispatch/validation.h"

#include <algorithm>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/request/request.h"
#include "common/time/clock.h"
#include "services/dispatch/initiative_book.h"
#include "services/dispatch/notice_board.h"
#include "services/dispatch/schedule_plan.h"
#include "services/dispatch/store.h"

namespace lianfang::dispatch {
namespace {

using server::FieldErrors;

void CheckSite(FieldErrors& errors, absl::string_view field, absl::string_view site_id,
               const sites::SiteDirectory& sites, bool required) {
  if (site_id.empty()) {
    if (required) errors.Add(field, "is required");
    return;
  }
  if (site_id.size() > kMaxStringBytes || sites.Find(site_id) == nullptr) {
    errors.Add(field, "unknown site");
  }
}

void CheckPageSize(FieldErrors& errors, int64_t page_size) {
  if (page_size < 0) errors.Add("page_size", "must not be negative");
}

void CheckPageToken(FieldErrors& errors, absl::string_view token) {
  // The token's content is checked where it is decoded; only its size is bounded here.
  if (token.size() > 1024) errors.Add("page_token", "is not a valid page token");
}

void CheckKind(FieldErrors& errors, absl::string_view field, int kind) {
  if (kind == v1::TASK_KIND_UNSPECIFIED || !v1::TaskKind_IsValid(kind)) {
    errors.Add(field, "must be one of the TaskKind values");
  }
}

// Task.item_code: only a supply delivery names a supplies item, as 1..32 of [a-z0-9_-] (the
// codes of SuppliesService's catalogue); empty is always accepted.
void CheckItemCode(FieldErrors& errors, absl::string_view field, int kind,
                   absl::string_view item_code) {
  if (item_code.empty()) return;
  if (kind != v1::TASK_KIND_SUPPLY_DELIVERY) {
    errors.Add(field, "is only for tasks of kind TASK_KIND_SUPPLY_DELIVERY");
    return;
  }
  const bool charset_ok = std::all_of(item_code.begin(), item_code.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  if (item_code.size() > 32 || !charset_ok) {
    errors.Add(field, "must be 1..32 characters of [a-z0-9_-]");
  }
}

void CheckPriority(FieldErrors& errors, absl::string_view field, int priority) {
  if (!v1::Priority_IsValid(priority)) errors.Add(field, "must be one of the Priority values");
}

}  // namespace

void CheckText(FieldErrors& errors, absl::string_view field, absl::string_view value,
               bool required) {
  if (value.size() > kMaxStringBytes) {
    errors.Add(field, absl::StrCat("must be at most ", kMaxStringBytes, " bytes"));
  } else if (required && value.empty()) {
    errors.Add(field, "is required");
  }
}

absl::Status ValidateCreateTeam(const v1::CreateTeamRequest& req,
                                const sites::SiteDirectory& sites) {
  FieldErrors errors;
  request::CheckRequestId(errors, req.request_id());
  CheckText(errors, "name", req.name(), true);
  CheckText(errors, "leader_sub", req.leader_sub(), true);
  if (req.site_ids().empty()) errors.Add("site_ids", "at least one site is required");
  std::set<std::string> seen;
  for (int i = 0; i < req.site_ids_size(); ++i) {
    const std::string field = absl::StrCat("site_ids[", i, "]");
    CheckSite(errors, field, req.site_ids(i), sites, true);
    if (!seen.insert(req.site_ids(i)).second) errors.Add(field, "is listed twice");
  }
  return errors.ToStatus();
}

absl::Status ValidateEnrollVolunteer(const v1::EnrollVolunteerRequest& req, absl::CivilDay today) {
  FieldErrors errors;
  request::CheckRequestId(errors, req.request_id());
  CheckText(errors, "team_id", req.team_id(), true);
  CheckText(errors, "user_sub", req.user_sub(), true);
  request::CheckPerson(errors, "person", req.person(), today, /*name_required=*/true);
  return errors.ToStatus();
}

absl::Status ValidateRecordPledge(const v1::RecordPledgeRequest& req) {
  FieldErrors errors;
  request::CheckRequestId(errors, req.request_id());
  CheckText(errors, "volunteer_id", req.volunteer_id(), true);
  CheckText(errors, "text", req.text(), true);
  CheckPledgeInitiative(errors, req);
  return errors.ToStatus();
}

absl::Status ValidateSetOnDuty(const v1::SetOnDutyRequest& req) {
  FieldErrors errors;
  request::CheckRequestId(errors, req.request_id());
  return errors.ToStatus();
}

absl::Status ValidateListVolunteers(const v1::ListVolunteersRequest& req) {
  FieldErrors errors;
  CheckText(errors, "team_id", req.team_id(), true);
  CheckPageSize(errors, req.page_size());
  CheckPageToken(errors, req.page_token());
  return errors.ToStatus();
}

absl::Status ValidateListTeams(const v1::ListTeamsRequest& req, const sites::SiteDirectory& sites) {
  FieldErrors errors;
  CheckSite(errors, "site_id", req.site_id(), sites, false);
  CheckPageSize(errors, req.page_size());
  CheckPageToken(errors, req.page_token());
  return errors.ToStatus();
}

absl::Status ValidateCreateTask(const v1::CreateTaskRequest& req,
                                const sites::SiteDirectory& sites) {
  FieldErrors errors;
  request::CheckRequestId(errors, req.request_id());
  if (!req.has_task()) {
    errors.Add("task", "is required");
    return errors.ToStatus();
  }
  const v1::Task& t = req.task();
  CheckKind(errors, "task.kind", t.kind());
  CheckSite(errors, "task.site_id", t.site_id(), sites, true);
  CheckText(errors, "task.title", t.title(), true);
  CheckText(errors, "task.location", t.location(), false);
  CheckText(errors, "task.details", t.details(), false);
  CheckPriority(errors, "task.priority", t.priority());
  if (t.has_due_at()) request::CheckTimestamp(errors, "task.due_at", t.due_at());
  CheckText(errors, "task.team_id", t.team_id(), false);
  CheckText(errors, "task.assignee_volunteer_id", t.assignee_volunteer_id(), false);
  CheckText(errors, "task.person_key", t.person_key(), false);
  CheckText(errors, "task.source_ref", t.source_ref(), false);
  CheckItemCode(errors, "task.item_code", t.kind(), t.item_code());
  return errors.ToStatus();
}

absl::Status ValidateTransition(const TaskTransition& t, const TransitionRequest& req) {
  FieldErrors errors;
  request::CheckRequestId(errors, req.request_id);
  CheckText(errors, "task_id", req.task_id, true);
  if (t.names_volunteer) CheckText(errors, "volunteer_id", req.volunteer_id, true);
  if (!t.text_field.empty()) CheckText(errors, t.text_field, req.text, t.text_required);
  return errors.ToStatus();
}

absl::Status ValidateGetTask(const v1::GetTaskRequest& req) {
  FieldErrors errors;
  CheckText(errors, "task_id", req.task_id(), true);
  return errors.ToStatus();
}

absl::Status ValidateListTasks(const v1::ListTasksRequest& req, const sites::SiteDirectory& sites) {
  FieldErrors errors;
  CheckText(errors, "team_id", req.team_id(), false);
  CheckSite(errors, "site_id", req.site_id(), sites, false);
  if (!v1::TaskStatus_IsValid(req.status())) {
    errors.Add("status", "must be one of the TaskStatus values");
  }
  if (!v1::TaskKind_IsValid(req.kind())) errors.Add("kind", "must be one of the TaskKind values");
  CheckText(errors, "assignee", req.assignee(), false);
  CheckPageSize(errors, req.page_size());
  CheckPageToken(errors, req.page_token());
  return errors.ToStatus();
}

absl::Status ValidateWatchTasks(const v1::WatchTasksRequest& req) {
  FieldErrors errors;
  CheckText(errors, "team_id", req.team_id(), false);
  if (req.after_seq() < 0) errors.Add("after_seq", "must not be negative");
  return errors.ToStatus();
}

absl::Status ValidateWatchNotices(const v1::WatchNoticesRequest& req) {
  FieldErrors errors;
  if (req.after_seq() < 0) errors.Add("after_seq", "must not be negative");
  return errors.ToStatus();
}

absl::Status ValidateCreateSchedule(const v1::CreateScheduleRequest& req,
                                    const sites::SiteDirectory& sites) {
  FieldErrors errors;
  request::CheckRequestId(errors, req.request_id());
  CheckKind(errors, "kind", req.kind());
  CheckSite(errors, "site_id", req.site_id(), sites, true);
  CheckText(errors, "team_id", req.team_id(), true);
  if (req.areas().empty()) errors.Add("areas", "at least one area is required");
  std::set<std::string> areas;
  for (int i = 0; i < req.areas_size(); ++i) {
    const std::string field = absl::StrCat("areas[", i, "]");
    CheckText(errors, field, req.areas(i), true);
    if (!areas.insert(req.areas(i)).second) errors.Add(field, "is listed twice");
  }
  std::set<std::string> times;
  for (int i = 0; i < req.times_of_day_size(); ++i) {
    const std::string field = absl::StrCat("times_of_day[", i, "]");
    if (absl::StatusOr<TimeOfDay> t = ParseTimeOfDay(req.times_of_day(i)); !t.ok()) {
      errors.Add(field, t.status().message());
    } else if (!times.insert(req.times_of_day(i)).second) {
      errors.Add(field, "is listed twice");
    }
  }
  if (req.duration_minutes() < kMinDurationMinutes ||
      req.duration_minutes() > kMaxDurationMinutes) {
    errors.Add("duration_minutes",
               absl::StrCat("must be within ", kMinDurationMinutes, "..", kMaxDurationMinutes));
  }
  CheckPriority(errors, "priority", req.priority());
  return errors.ToStatus();
}

absl::Status ValidateListSchedules(const v1::ListSchedulesRequest& req,
                                   const sites::SiteDirectory& sites) {
  FieldErrors errors;
  CheckSite(errors, "site_id", req.site_id(), sites, false);
  CheckText(errors, "team_id", req.team_id(), false);
  CheckPageSize(errors, req.page_size());
  CheckPageToken(errors, req.page_token());
  return errors.ToStatus();
}

absl::Status ValidatePauseSchedule(const v1::PauseScheduleRequest& req) {
  FieldErrors errors;
  request::CheckRequestId(errors, req.request_id());
  CheckText(errors, "schedule_id", req.schedule_id(), true);
  return errors.ToStatus();
}

absl::Status ValidateGetTaskSummary(const v1::GetTaskSummaryRequest& req,
                                    const sites::SiteDirectory& sites) {
  FieldErrors errors;
  CheckSite(errors, "site_id", req.site_id(), sites, false);
  return errors.ToStatus();
}

absl::Status ValidateGetDailyStats(const v1::GetDailyStatsRequest& req,
                                   const sites::SiteDirectory& sites) {
  FieldErrors errors;
  if (!req.date().empty() && !time::ParseDate(req.date()).ok()) {
    errors.Add("date", "must be a calendar date YYYY-MM-DD");
  }
  CheckSite(errors, "site_id", req.site_id(), sites, false);
  return errors.ToStatus();
}

// --- notices ---

absl::Status ValidatePublishNotice(const v1::PublishNoticeRequest& req,
                                   const sites::SiteDirectory& sites) {
  FieldErrors errors;
  request::CheckRequestId(errors, req.request_id());
  if (!req.has_notice()) {
    errors.Add("notice", "is required");
    return errors.ToStatus();
  }
  const v1::Notice& n = req.notice();
  request::CheckFreeText(errors, "notice.title", n.title(), kMaxNoticeTitleChars,
                         /*required=*/true);
  if (n.body().size() > kMaxNoticeBodyBytes) {
    errors.Add("notice.body", absl::StrCat("must be at most ", kMaxNoticeBodyBytes, " bytes"));
  } else {
    request::CheckFreeText(errors, "notice.body", n.body(), kMaxNoticeBodyBytes,
                           /*required=*/true, /*lines=*/true);
  }
  const v1::NoticeAudience& a = n.audience();
  const int kinds = (a.all() ? 1 : 0) + (a.site_ids_size() > 0 ? 1 : 0) +
                    (a.team_ids_size() > 0 ? 1 : 0) + (a.roles_size() > 0 ? 1 : 0);
  if (kinds != 1) {
    errors.Add("notice.audience", "must name exactly one of all, site_ids, team_ids or roles");
  }
  std::set<std::string> seen;
  for (int i = 0; i < a.site_ids_size(); ++i) {
    const std::string field = absl::StrCat("notice.audience.site_ids[", i, "]");
    CheckSite(errors, field, a.site_ids(i), sites, true);
    if (!seen.insert(a.site_ids(i)).second) errors.Add(field, "is listed twice");
  }
  seen.clear();
  for (int i = 0; i < a.team_ids_size(); ++i) {
    const std::string field = absl::StrCat("notice.audience.team_ids[", i, "]");
    CheckText(errors, field, a.team_ids(i), true);
    if (!seen.insert(a.team_ids(i)).second) errors.Add(field, "is listed twice");
  }
  std::set<int> roles;
  for (int i = 0; i < a.roles_size(); ++i) {
    const std::string field = absl::StrCat("notice.audience.roles[", i, "]");
    const int role = a.roles(i);
    if (role == common::v1::ROLE_UNSPECIFIED || role == common::v1::ROLE_SERVICE ||
        !common::v1::Role_IsValid(role)) {
      errors.Add(field, "must be a person's role (not ROLE_SERVICE)");
    } else if (!roles.insert(role).second) {
      errors.Add(field, "is listed twice");
    }
  }
  return errors.ToStatus();
}

absl::Status ValidateListNotices(const v1::ListNoticesRequest& req) {
  FieldErrors errors;
  CheckPageSize(errors, req.page_size());
  CheckPageToken(errors, req.page_token());
  return errors.ToStatus();
}

absl::Status ValidateAcknowledgeNotice(const v1::AcknowledgeNoticeRequest& req) {
  FieldErrors errors;
  request::CheckRequestId(errors, req.request_id());
  CheckText(errors, "notice_id", req.notice_id(), true);
  return errors.ToStatus();
}

absl::Status ValidateGetNoticeReceipts(const v1::GetNoticeReceiptsRequest& req) {
  FieldErrors errors;
  CheckText(errors, "notice_id", req.notice_id(), true);
  return errors.ToStatus();
}

}  // namespace lianfang::dispatch
