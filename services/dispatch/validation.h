// Validation of DispatchService requests: every check that needs neither the database nor the
// clock's "now" (those are made inside the write, see dispatcher.h). Each function returns OK
// or INVALID_ARGUMENT carrying a google.rpc.BadRequest that names every bad field
// (common/server/errors.h), e.g. "task.title", "areas", "times_of_day[1]".
//
// Common rules: request_id 1..64 bytes; every string at most kMaxStringBytes (256) bytes;
// required strings non-empty; enums set and known; site ids known to the site directory.
//
// Pure and thread-safe.
#ifndef LIANFANG_SERVICES_DISPATCH_VALIDATION_H_
#define LIANFANG_SERVICES_DISPATCH_VALIDATION_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/server/errors.h"
#include "common/sites/site_directory.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"
#include "services/dispatch/task_board.h"

namespace lianfang::dispatch {

// The longest string field accepted, in bytes.
inline constexpr size_t kMaxStringBytes = 256;
// Bounds of Schedule.duration_minutes.
inline constexpr int kMinDurationMinutes = 1;
inline constexpr int kMaxDurationMinutes = 24 * 60;

// Adds a violation of `field` when `value` is longer than kMaxStringBytes, or empty while
// `required`.
void CheckText(server::FieldErrors& errors, absl::string_view field, absl::string_view value,
               bool required);

absl::Status ValidateCreateTeam(const v1::CreateTeamRequest& req,
                                const sites::SiteDirectory& sites);
// `today` bounds the birth date of the ID number.
absl::Status ValidateEnrollVolunteer(const v1::EnrollVolunteerRequest& req, absl::CivilDay today);
absl::Status ValidateRecordPledge(const v1::RecordPledgeRequest& req);
absl::Status ValidateSetOnDuty(const v1::SetOnDutyRequest& req);
absl::Status ValidateListVolunteers(const v1::ListVolunteersRequest& req);
absl::Status ValidateListTeams(const v1::ListTeamsRequest& req, const sites::SiteDirectory& sites);
// Not checked here: due_at in the past (it depends on the moment of the first attempt, and
// a retry must get the stored answer), and whether team and volunteer exist.
absl::Status ValidateCreateTask(const v1::CreateTaskRequest& req,
                                const sites::SiteDirectory& sites);
// The requests of the lifecycle transitions (AssignTask ... CancelTask): request_id, task_id,
// and what the table entry `t` (task_board.h) asks for: volunteer_id when it names the
// volunteer, its text field ("note" optional, "reason" required).
absl::Status ValidateTransition(const TaskTransition& t, const TransitionRequest& req);
absl::Status ValidateGetTask(const v1::GetTaskRequest& req);
absl::Status ValidateListTasks(const v1::ListTasksRequest& req, const sites::SiteDirectory& sites);
absl::Status ValidateWatchTasks(const v1::WatchTasksRequest& req);
absl::Status ValidateWatchNotices(const v1::WatchNoticesRequest& req);
// An empty times_of_day list is valid (the schedule gets kDefaultTimesOfDay); an empty area
// list is not.
absl::Status ValidateCreateSchedule(const v1::CreateScheduleRequest& req,
                                    const sites::SiteDirectory& sites);
absl::Status ValidateListSchedules(const v1::ListSchedulesRequest& req,
                                   const sites::SiteDirectory& sites);
absl::Status ValidatePauseSchedule(const v1::PauseScheduleRequest& req);
absl::Status ValidateGetTaskSummary(const v1::GetTaskSummaryRequest& req,
                                    const sites::SiteDirectory& sites);
// An empty date means today.
absl::Status ValidateGetDailyStats(const v1::GetDailyStatsRequest& req,
                                   const sites::SiteDirectory& sites);

// --- notices ---
// PublishNotice: title 1..100 characters of plain text, body 1 character to 20 kB of plain
// text lines (line breaks and tabs allowed), neither holding an ID number or a phone; exactly
// one audience kind (all, site_ids, team_ids, roles) naming `notice.audience`; known sites;
// roles other than ROLE_UNSPECIFIED and ROLE_SERVICE. Whether the teams exist is checked in
// the write (notice_board.h).
absl::Status ValidatePublishNotice(const v1::PublishNoticeRequest& req,
                                   const sites::SiteDirectory& sites);
absl::Status ValidateListNotices(const v1::ListNoticesRequest& req);
absl::Status ValidateAcknowledgeNotice(const v1::AcknowledgeNoticeRequest& req);
absl::Status ValidateGetNoticeReceipts(const v1::GetNoticeReceiptsRequest& req);

}  // namespace lianfang::dispatch

#endif  // LIANFANG_SERVICES_DISPATCH_VALIDATION_H_
