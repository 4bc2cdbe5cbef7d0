#include "services/dispatch/store.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/pii/pii.h"
#include "common/status/status_macros.h"
#include "common/time/timestamp.h"

namespace lianfang::dispatch {
namespace {

// A task without a due time stores this: it sorts after every real due time and no day range
// or "due < now" test ever includes it, so every query treats it right without a NULL case.
constexpr int64_t kNoDue = std::numeric_limits<int64_t>::max();

// Status values in SQL text are the TaskStatus numbers: 1 OPEN, 2 ASSIGNED, 3 IN_PROGRESS,
// 4 DONE, 5 CANCELLED. Kinds: 1 DISINFECTION, 7 FEVER_FOLLOWUP.
static_assert(v1::TASK_STATUS_OPEN == 1 && v1::TASK_STATUS_ASSIGNED == 2 &&
              v1::TASK_STATUS_IN_PROGRESS == 3 && v1::TASK_STATUS_DONE == 4 &&
              v1::TASK_STATUS_CANCELLED == 5);
static_assert(v1::TASK_KIND_DISINFECTION == 1 && v1::TASK_KIND_FEVER_FOLLOWUP == 7);

// ---- Schema ----

// Written once for SQLite; PostgreSQL wants BIGINT for microsecond times and BYTEA for blobs
// (see PostgresText).
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE dispatch_ids (
  name TEXT PRIMARY KEY,
  next_value INTEGER NOT NULL
);
INSERT INTO dispatch_ids (name, next_value) VALUES
  ('team', 0), ('volunteer', 0), ('task', 0), ('schedule', 0);
CREATE TABLE dispatch_teams (
  team_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  name TEXT NOT NULL UNIQUE,
  site_ids TEXT NOT NULL,
  leader_sub TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE dispatch_team_sites (
  team_id TEXT NOT NULL,
  site_id TEXT NOT NULL,
  team_seq INTEGER NOT NULL,
  PRIMARY KEY (team_id, site_id)
);
CREATE INDEX dispatch_team_sites_by_site ON dispatch_team_sites (site_id, team_seq);
CREATE TABLE dispatch_volunteers (
  volunteer_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  team_id TEXT NOT NULL,
  user_sub TEXT NOT NULL UNIQUE,
  person_key TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  phone TEXT NOT NULL,
  party_member INTEGER NOT NULL,
  pledge_text TEXT NOT NULL,
  pledged_at INTEGER,
  on_duty INTEGER NOT NULL,
  enrolled_at INTEGER NOT NULL
);
CREATE INDEX dispatch_volunteers_by_team ON dispatch_volunteers (team_id, seq);
CREATE TABLE dispatch_duty_periods (
  volunteer_id TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER
);
CREATE INDEX dispatch_duty_periods_by_volunteer ON dispatch_duty_periods (volunteer_id, ended_at);
CREATE INDEX dispatch_duty_periods_by_end ON dispatch_duty_periods (ended_at);
CREATE TABLE dispatch_tasks (
  task_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  kind INTEGER NOT NULL,
  site_id TEXT NOT NULL,
  location TEXT NOT NULL,
  title TEXT NOT NULL,
  details TEXT NOT NULL,
  priority INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  team_id TEXT NOT NULL,
  assignee TEXT NOT NULL,
  status INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  assigned_at INTEGER,
  started_at INTEGER,
  completed_at INTEGER,
  cancelled_at INTEGER,
  completion_note TEXT NOT NULL,
  cancel_reason TEXT NOT NULL,
  schedule_id TEXT NOT NULL,
  person_key TEXT NOT NULL,
  source_ref TEXT NOT NULL
);
CREATE INDEX dispatch_tasks_by_status ON dispatch_tasks (status, site_id);
CREATE INDEX dispatch_tasks_by_team ON dispatch_tasks (team_id, status);
CREATE INDEX dispatch_tasks_by_site ON dispatch_tasks (site_id, status);
CREATE INDEX dispatch_tasks_by_assignee ON dispatch_tasks (assignee, status);
CREATE INDEX dispatch_tasks_by_created ON dispatch_tasks (created_at);
CREATE INDEX dispatch_tasks_by_completed ON dispatch_tasks (completed_at);
CREATE INDEX dispatch_tasks_by_cancelled ON dispatch_tasks (cancelled_at);
CREATE INDEX dispatch_tasks_by_due ON dispatch_tasks (due_at);
CREATE INDEX dispatch_tasks_by_order ON dispatch_tasks (priority DESC, due_at, seq);
CREATE TABLE dispatch_schedules (
  schedule_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  site_id TEXT NOT NULL,
  team_id TEXT NOT NULL,
  paused INTEGER NOT NULL,
  active_since INTEGER NOT NULL,
  spec BLOB NOT NULL
);
CREATE INDEX dispatch_schedules_by_site ON dispatch_schedules (site_id, seq);
CREATE INDEX dispatch_schedules_by_team ON dispatch_schedules (team_id, seq);
CREATE TABLE dispatch_schedule_slots (
  schedule_id TEXT NOT NULL,
  slot_date TEXT NOT NULL,
  slot_time TEXT NOT NULL,
  area TEXT NOT NULL,
  task_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (schedule_id, slot_date, slot_time, area)
)
)sql";

// Version 4: initiatives (倡议) and the pledges to them; indexes for the workload figures
// (duty periods by start, completions by volunteer).
constexpr char kSchemaV4[] = R"sql(
INSERT INTO dispatch_ids (name, next_value) VALUES ('initiative', 0);
CREATE TABLE dispatch_initiatives (
  initiative_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  site_ids TEXT NOT NULL,
  published_by TEXT NOT NULL,
  published_at INTEGER NOT NULL
);
CREATE TABLE dispatch_initiative_sites (
  initiative_id TEXT NOT NULL,
  site_id TEXT NOT NULL,
  initiative_seq INTEGER NOT NULL,
  PRIMARY KEY (initiative_id, site_id)
);
CREATE INDEX dispatch_initiative_sites_by_site
  ON dispatch_initiative_sites (site_id, initiative_seq);
CREATE TABLE dispatch_initiative_pledges (
  initiative_id TEXT NOT NULL,
  volunteer_id TEXT NOT NULL,
  text TEXT NOT NULL,
  pledged_at INTEGER NOT NULL,
  PRIMARY KEY (initiative_id, volunteer_id)
);
CREATE INDEX dispatch_duty_periods_by_start ON dispatch_duty_periods (volunteer_id, started_at);
CREATE INDEX dispatch_tasks_by_assignee_completed ON dispatch_tasks (assignee, completed_at)
)sql";

std::string PostgresText(absl::string_view sqlite) {
  return absl::StrReplaceAll(sqlite, {{" INTEGER", " BIGINT"}, {" BLOB", " BYTEA"}});
}

// ---- Statements ----

constexpr char kNextId[] =
    "UPDATE dispatch_ids SET next_value = next_value + 1 WHERE name = $1 RETURNING next_value";

constexpr char kTeamNameTaken[] = "SELECT 1 FROM dispatch_teams WHERE name = $1";
constexpr char kInsertTeam[] =
    "INSERT INTO dispatch_teams (team_id, seq, name, site_ids, leader_sub, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6)";
constexpr char kInsertTeamSite[] =
    "INSERT INTO dispatch_team_sites (team_id, site_id, team_seq) VALUES ($1, $2, $3)";
#define LF_TEAM_COLUMNS                                                \
  "t.team_id, t.seq, t.name, t.site_ids, t.leader_sub, t.created_at, " \
  "(SELECT COUNT(*) FROM dispatch_volunteers v WHERE v.team_id = t.team_id)"
constexpr char kSelectTeam[] =
    "SELECT " LF_TEAM_COLUMNS " FROM dispatch_teams t WHERE t.team_id = $1";
constexpr char kListTeams[] =
    "SELECT " LF_TEAM_COLUMNS
    " FROM dispatch_teams t WHERE $1 = '' OR EXISTS "
    "(SELECT 1 FROM dispatch_team_sites ts WHERE ts.team_id = t.team_id AND ts.site_id = $1) "
    "ORDER BY t.name, t.seq LIMIT $2 OFFSET $3";
// ListTeams for a caller restricted to some sites: the head, then "$3, $4, ..." (one per site),
// then the tail. $1 = limit, $2 = offset.
constexpr char kListTeamsOfSitesHead[] =
    "SELECT " LF_TEAM_COLUMNS
    " FROM dispatch_teams t WHERE EXISTS "
    "(SELECT 1 FROM dispatch_team_sites ts WHERE ts.team_id = t.team_id AND ts.site_id IN (";
constexpr char kListTeamsOfSitesTail[] = ")) ORDER BY t.name, t.seq LIMIT $1 OFFSET $2";
constexpr char kTeamCoveringSite[] =
    "SELECT team_id FROM dispatch_team_sites WHERE site_id = $1 ORDER BY team_seq LIMIT 1";

constexpr char kSubTaken[] = "SELECT 1 FROM dispatch_volunteers WHERE user_sub = $1";
constexpr char kPersonTaken[] = "SELECT 1 FROM dispatch_volunteers WHERE person_key = $1";
constexpr char kInsertVolunteer[] =
    "INSERT INTO dispatch_volunteers (volunteer_id, seq, team_id, user_sub, person_key, name, "
    "phone, party_member, pledge_text, pledged_at, on_duty, enrolled_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
#define LF_VOLUNTEER_COLUMNS                                                      \
  "v.volunteer_id, v.seq, v.team_id, v.user_sub, v.person_key, v.name, v.phone, " \
  "v.party_member, v.pledge_text, v.pledged_at, v.on_duty, v.enrolled_at, "       \
  "(SELECT COUNT(*) FROM dispatch_tasks t WHERE t.assignee = v.volunteer_id AND " \
  "t.status IN (2, 3))"
constexpr char kSelectVolunteer[] =
    "SELECT " LF_VOLUNTEER_COLUMNS " FROM dispatch_volunteers v WHERE v.volunteer_id = $1";
constexpr char kSelectVolunteerBySub[] =
    "SELECT " LF_VOLUNTEER_COLUMNS " FROM dispatch_volunteers v WHERE v.user_sub = $1";
constexpr char kListVolunteers[] =
    "SELECT " LF_VOLUNTEER_COLUMNS
    " FROM dispatch_volunteers v "
    "WHERE v.team_id = $1 AND v.seq > $2 AND ($3 = 0 OR v.on_duty = 1) ORDER BY v.seq LIMIT $4";
constexpr char kSetPledge[] =
    "UPDATE dispatch_volunteers SET pledge_text = $2, pledged_at = $3 WHERE volunteer_id = $1";
constexpr char kSetOnDutyFlag[] =
    "UPDATE dispatch_volunteers SET on_duty = $2 WHERE volunteer_id = $1";
constexpr char kOpenDutyPeriod[] =
    "INSERT INTO dispatch_duty_periods (volunteer_id, started_at, ended_at) VALUES ($1, $2, NULL)";
constexpr char kCloseDutyPeriod[] =
    "UPDATE dispatch_duty_periods SET ended_at = $2 WHERE volunteer_id = $1 AND ended_at IS NULL";
constexpr char kOnDutyCandidates[] =
    "SELECT v.volunteer_id, v.seq, (SELECT COUNT(*) FROM dispatch_tasks t "
    "WHERE t.assignee = v.volunteer_id AND t.status IN (2, 3)) "
    "FROM dispatch_volunteers v WHERE v.team_id = $1 AND v.on_duty = 1 ORDER BY v.seq";

#define LF_TASK_COLUMNS                                                                \
  "task_id, seq, kind, site_id, location, title, details, priority, due_at, team_id, " \
  "assignee, status, created_by, created_at, assigned_at, started_at, completed_at, "  \
  "cancelled_at, completion_note, cancel_reason, schedule_id, person_key, source_ref, "  \
  "item_code"
constexpr char kInsertTask[] =
    "INSERT INTO dispatch_tasks (" LF_TASK_COLUMNS
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
    "$9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)";
constexpr char kSelectTask[] = "SELECT " LF_TASK_COLUMNS " FROM dispatch_tasks WHERE task_id = $1";
// ListTasks: this head, then one "AND ..." fragment per filter given (so each filter can use
// its index), then kListTasksTail.
constexpr char kListTasksHead[] = "SELECT " LF_TASK_COLUMNS " FROM dispatch_tasks WHERE 1 = 1";
constexpr char kListTasksTail[] = " ORDER BY priority DESC, due_at, seq LIMIT ";

#define LF_SCHEDULE_COLUMNS "schedule_id, seq, site_id, team_id, paused, active_since, spec"
constexpr char kInsertSchedule[] =
    "INSERT INTO dispatch_schedules (" LF_SCHEDULE_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7)";
constexpr char kSelectSchedule[] =
    "SELECT " LF_SCHEDULE_COLUMNS " FROM dispatch_schedules WHERE schedule_id = $1";
constexpr char kListSchedules[] =
    "SELECT " LF_SCHEDULE_COLUMNS
    " FROM dispatch_schedules "
    "WHERE ($1 = '' OR site_id = $1) AND ($2 = '' OR team_id = $2) AND seq > $3 "
    "ORDER BY seq LIMIT $4";
// ListSchedules for a caller restricted to some sites: the head, then "$5, $6, ..." (one per
// site), then the tail.
constexpr char kListSchedulesOfSitesHead[] =
    "SELECT " LF_SCHEDULE_COLUMNS
    " FROM dispatch_schedules "
    "WHERE ($1 = '' OR site_id = $1) AND ($2 = '' OR team_id = $2) AND seq > $3 "
    "AND site_id IN (";
constexpr char kListSchedulesOfSitesTail[] = ") ORDER BY seq LIMIT $4";
constexpr char kActiveSchedules[] =
    "SELECT " LF_SCHEDULE_COLUMNS " FROM dispatch_schedules WHERE paused = 0 ORDER BY seq";
constexpr char kPauseSchedule[] = "UPDATE dispatch_schedules SET paused = 1 WHERE schedule_id = $1";
constexpr char kResumeSchedule[] =
    "UPDATE dispatch_schedules SET paused = 0, active_since = $2 "
    "WHERE schedule_id = $1 AND paused = 1";
constexpr char kSlotKeys[] =
    "SELECT slot_date, slot_time, area FROM dispatch_schedule_slots "
    "WHERE schedule_id = $1 AND slot_date >= $2";
constexpr char kClaimSlot[] =
    "INSERT INTO dispatch_schedule_slots (schedule_id, slot_date, slot_time, area, task_id, "
    "created_at) VALUES ($1, $2, $3, $4, '', $5) "
    "ON CONFLICT (schedule_id, slot_date, slot_time, area) DO NOTHING";
constexpr char kSetSlotTask[] =
    "UPDATE dispatch_schedule_slots SET task_id = $5 "
    "WHERE schedule_id = $1 AND slot_date = $2 AND slot_time = $3 AND area = $4";

constexpr char kLiveTaskFigures[] =
    "SELECT site_id, SUM(CASE WHEN status = 1 THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN status = 2 THEN 1 ELSE 0 END), SUM(CASE WHEN status = 3 THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN due_at < $1 THEN 1 ELSE 0 END) "
    "FROM dispatch_tasks WHERE status IN (1, 2, 3) GROUP BY site_id";
constexpr char kLiveOnDuty[] =
    "SELECT ts.site_id, COUNT(*) FROM dispatch_volunteers v "
    "JOIN dispatch_team_sites ts ON ts.team_id = v.team_id WHERE v.on_duty = 1 "
    "GROUP BY ts.site_id";
// completed_at is set only on DONE tasks and cancelled_at only on CANCELLED ones (both states
// are final), so the day queries filter on the time alone and use its index.
constexpr char kDayCreated[] =
    "SELECT site_id, COUNT(*), SUM(CASE WHEN kind = 7 THEN 1 ELSE 0 END) FROM dispatch_tasks "
    "WHERE created_at >= $1 AND created_at < $2 GROUP BY site_id";
constexpr char kDayDone[] =
    "SELECT site_id, COUNT(*) FROM dispatch_tasks "
    "WHERE completed_at >= $1 AND completed_at < $2 GROUP BY site_id";
constexpr char kDayCancelled[] =
    "SELECT site_id, COUNT(*) FROM dispatch_tasks "
    "WHERE cancelled_at >= $1 AND cancelled_at < $2 GROUP BY site_id";
constexpr char kDayDue[] =
    "SELECT site_id, SUM(CASE WHEN kind = 1 AND status <> 5 THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN kind = 1 AND status = 4 THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN due_at < $3 AND status <> 5 AND (status <> 4 OR completed_at > due_at) "
    "THEN 1 ELSE 0 END) "
    "FROM dispatch_tasks WHERE due_at >= $1 AND due_at < $2 GROUP BY site_id";
constexpr char kDayOnDuty[] =
    "SELECT ts.site_id, COUNT(DISTINCT p.volunteer_id) FROM dispatch_duty_periods p "
    "JOIN dispatch_volunteers v ON v.volunteer_id = p.volunteer_id "
    "JOIN dispatch_team_sites ts ON ts.team_id = v.team_id "
    "WHERE (p.ended_at IS NULL OR p.ended_at > $1) AND p.started_at < $2 GROUP BY ts.site_id";

// ---- Rows ----

sql::Value DueValue(const std::optional<absl::Time>& due) {
  return due.has_value() ? sql::Value(*due) : sql::Value(kNoDue);
}

std::optional<absl::Time> DueOf(const sql::Row& row, size_t i) {
  if (row.Int(i) == kNoDue) return std::nullopt;
  return row.Time(i);
}

TeamRow TeamFrom(const sql::Row& r) {
  TeamRow t;
  t.team_id = r.Text(0);
  t.seq = r.Int(1);
  t.name = r.Text(2);
  t.site_ids = absl::StrSplit(r.Text(3), ',', absl::SkipEmpty());
  t.leader_sub = r.Text(4);
  t.created_at = r.Time(5);
  t.volunteer_count = r.Int(6);
  return t;
}

VolunteerRow VolunteerFrom(const sql::Row& r) {
  VolunteerRow v;
  v.volunteer_id = r.Text(0);
  v.seq = r.Int(1);
  v.team_id = r.Text(2);
  v.user_sub = r.Text(3);
  v.person_key = r.Text(4);
  v.name = r.Text(5);
  v.phone = r.Text(6);
  v.party_member = r.Bool(7);
  v.pledge_text = r.Text(8);
  v.pledged_at = r.OptionalTime(9);
  v.on_duty = r.Bool(10);
  v.enrolled_at = r.Time(11);
  v.unfinished_tasks = r.Int(12);
  return v;
}

TaskRow TaskFrom(const sql::Row& r) {
  TaskRow t;
  t.task_id = r.Text(0);
  t.seq = r.Int(1);
  t.kind = static_cast<v1::TaskKind>(r.Int(2));
  t.site_id = r.Text(3);
  t.location = r.Text(4);
  t.title = r.Text(5);
  t.details = r.Text(6);
  t.priority = static_cast<v1::Priority>(r.Int(7));
  t.due_at = DueOf(r, 8);
  t.team_id = r.Text(9);
  t.assignee = r.Text(10);
  t.status = static_cast<v1::TaskStatus>(r.Int(11));
  t.created_by = r.Text(12);
  t.created_at = r.Time(13);
  t.assigned_at = r.OptionalTime(14);
  t.started_at = r.OptionalTime(15);
  t.completed_at = r.OptionalTime(16);
  t.cancelled_at = r.OptionalTime(17);
  t.completion_note = r.Text(18);
  t.cancel_reason = r.Text(19);
  t.schedule_id = r.Text(20);
  t.person_key = r.Text(21);
  t.source_ref = r.Text(22);
  t.item_code = r.Text(23);
  return t;
}

absl::StatusOr<ScheduleRow> ScheduleFrom(const sql::Row& r) {
  ScheduleRow row;
  if (!row.schedule.ParseFromString(r.Bytes(6))) {
    return absl::InternalError("a stored schedule cannot be read");
  }
  row.schedule.set_schedule_id(r.Text(0));
  row.schedule.set_paused(r.Bool(4));
  row.seq = r.Int(1);
  row.active_since = r.Time(5);
  return row;
}

absl::StatusOr<std::optional<TaskRow>> OneTask(absl::StatusOr<sql::Result> result) {
  if (!result.ok()) return result.status();
  if (result->rows.empty()) return std::nullopt;
  return TaskFrom(result->rows.front());
}

absl::Status AlreadyExistsIfAny(sql::Session& s, absl::string_view query, sql::Value key,
                                absl::string_view message) {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(query, {std::move(key)}));
  if (row.has_value()) return absl::AlreadyExistsError(message);
  return absl::OkStatus();
}

// The notices and their acknowledgements (the notices block at the end of this file).
constexpr char kSchemaV3[] = R"sql(
INSERT INTO dispatch_ids (name, next_value) VALUES ('notice', 0);
CREATE TABLE dispatch_notices (
  notice_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  published_at INTEGER NOT NULL,
  site_ids TEXT NOT NULL,
  spec BLOB NOT NULL
);
CREATE TABLE dispatch_notice_acks (
  notice_id TEXT NOT NULL,
  user_sub TEXT NOT NULL,
  volunteer_id TEXT NOT NULL,
  team_id TEXT NOT NULL,
  site_ids TEXT NOT NULL,
  read_at INTEGER NOT NULL,
  studied_at INTEGER,
  PRIMARY KEY (notice_id, user_sub)
);
CREATE INDEX dispatch_notice_acks_by_sub ON dispatch_notice_acks (user_sub, notice_id)
)sql";

// The schema of plans and activations (version 5), defined with the plans' block at the end.
std::string PlansSchema();

// The event log (version 6): written for each backend, since its key is a serial one
// (SQLite's rowid never reuses a key of a row still there; PostgreSQL's BIGSERIAL).
constexpr char kSchemaV6[] = R"sql(
CREATE TABLE dispatch_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  stream TEXT NOT NULL,
  at INTEGER NOT NULL,
  sites TEXT NOT NULL,
  event BLOB NOT NULL
);
CREATE INDEX dispatch_events_by_stream ON dispatch_events (stream, seq);
CREATE INDEX dispatch_events_by_time ON dispatch_events (at)
)sql";
constexpr char kSchemaV6Postgres[] = R"sql(
CREATE TABLE dispatch_events (
  seq BIGSERIAL PRIMARY KEY,
  stream TEXT NOT NULL,
  at BIGINT NOT NULL,
  sites TEXT NOT NULL,
  event BYTEA NOT NULL
);
CREATE INDEX dispatch_events_by_stream ON dispatch_events (stream, seq);
CREATE INDEX dispatch_events_by_time ON dispatch_events (at)
)sql";

}  // namespace

std::span<const sql::Migration> Migrations() {
  static const auto* const kMigrations = new std::vector<sql::Migration>{
      {.version = 1,
       .name = "teams, volunteers, duty, tasks, schedules and their slots",
       .sql = kSchemaV1,
       .postgres_sql = PostgresText(kSchemaV1)},
      // The supplies item a supply delivery brings (Task.item_code); '' for every other task
      // and for the tasks created before it existed.
      {.version = 2,
       .name = "supply delivery tasks name their supplies item",
       .sql = "ALTER TABLE dispatch_tasks ADD COLUMN item_code TEXT NOT NULL DEFAULT ''"},
      {.version = 3,
       .name = "notices and their acknowledgements",
       .sql = kSchemaV3,
       .postgres_sql = PostgresText(kSchemaV3)},
      {.version = 4,
       .name = "initiatives, pledges to them, and the duty and completion indexes of the workload",
       .sql = kSchemaV4,
       .postgres_sql = PostgresText(kSchemaV4)},
      {.version = 5,
       .name = "contingency plans, their activations and the tasks of each step",
       .sql = PlansSchema(),
       .postgres_sql = PostgresText(PlansSchema())},
      {.version = 6,
       .name = "the event log of WatchTasks and WatchNotices",
       .sql = kSchemaV6,
       .postgres_sql = kSchemaV6Postgres},
  };
  return *kMigrations;
}

v1::Task ToProto(const TaskRow& t, absl::Time now, absl::string_view caller_volunteer_id) {
  v1::Task p;
  p.set_task_id(t.task_id);
  p.set_kind(t.kind);
  p.set_site_id(t.site_id);
  p.set_location(t.location);
  p.set_title(t.title);
  p.set_details(t.details);
  p.set_priority(t.priority);
  if (t.due_at.has_value()) *p.mutable_due_at() = time::ToTimestamp(*t.due_at);
  p.set_team_id(t.team_id);
  p.set_assignee_volunteer_id(t.assignee);
  p.set_status(t.status);
  p.set_overdue(IsOverdue(t.status, t.due_at, now));
  p.set_created_by(t.created_by);
  *p.mutable_created_at() = time::ToTimestamp(t.created_at);
  if (t.assigned_at) *p.mutable_assigned_at() = time::ToTimestamp(*t.assigned_at);
  if (t.started_at) *p.mutable_started_at() = time::ToTimestamp(*t.started_at);
  if (t.completed_at) *p.mutable_completed_at() = time::ToTimestamp(*t.completed_at);
  if (t.cancelled_at) *p.mutable_cancelled_at() = time::ToTimestamp(*t.cancelled_at);
  p.set_completion_note(t.completion_note);
  p.set_cancel_reason(t.cancel_reason);
  p.set_schedule_id(t.schedule_id);
  p.set_person_key(t.person_key);
  p.set_source_ref(t.source_ref);
  p.set_item_code(t.item_code);
  p.set_assigned_to_caller(!caller_volunteer_id.empty() && t.assignee == caller_volunteer_id);
  return p;
}

v1::Team ToProto(const TeamRow& t) {
  v1::Team p;
  p.set_team_id(t.team_id);
  p.set_name(t.name);
  for (const std::string& site : t.site_ids) p.add_site_ids(site);
  p.set_leader_sub(t.leader_sub);
  *p.mutable_created_at() = time::ToTimestamp(t.created_at);
  p.set_volunteer_count(static_cast<int32_t>(t.volunteer_count));
  return p;
}

v1::Volunteer ToProto(const VolunteerRow& v, bool full) {
  v1::Volunteer p;
  p.set_volunteer_id(v.volunteer_id);
  p.set_team_id(v.team_id);
  p.set_user_sub(v.user_sub);
  p.set_name_masked(pii::MaskName(v.name));
  p.set_party_member(v.party_member);
  if (v.pledged_at) *p.mutable_pledged_at() = time::ToTimestamp(*v.pledged_at);
  p.set_on_duty(v.on_duty);
  if (full) {
    p.set_name(v.name);
    p.set_phone(v.phone);
  }
  if (!v.phone.empty()) p.set_phone_masked(pii::MaskPhone(v.phone));
  p.set_person_key(v.person_key);
  *p.mutable_enrolled_at() = time::ToTimestamp(v.enrolled_at);
  p.set_unfinished_tasks(static_cast<int32_t>(v.unfinished_tasks));
  p.set_minutes_on_duty_today(v.minutes_on_duty_today);
  p.set_overworked(v.overworked);
  return p;
}

absl::StatusOr<DispatchStore::NewId> DispatchStore::NextId(sql::Session& s,
                                                           absl::string_view kind) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kNextId, {kind}));
  if (!row.has_value()) return absl::InternalError("unknown id counter");
  const int64_t n = row->Int(0);
  return NewId{absl::StrCat(kind, "-", n), n};
}

// ---- Teams ----

absl::Status DispatchStore::InsertTeam(sql::Session& s, const TeamRow& t) const {
  RETURN_IF_ERROR(
      AlreadyExistsIfAny(s, kTeamNameTaken, t.name, "a team with this name already exists"));
  RETURN_IF_ERROR(s.Execute(kInsertTeam, {t.team_id, t.seq, t.name, absl::StrJoin(t.site_ids, ","),
                                          t.leader_sub, t.created_at})
                      .status());
  for (const std::string& site : t.site_ids) {
    RETURN_IF_ERROR(s.Execute(kInsertTeamSite, {t.team_id, site, t.seq}).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<TeamRow>> DispatchStore::FindTeam(sql::Session& s,
                                                               absl::string_view team_id) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kSelectTeam, {team_id}));
  if (!row.has_value()) return std::nullopt;
  return TeamFrom(*row);
}

absl::StatusOr<std::vector<TeamRow>> DispatchStore::ListTeams(sql::Session& s,
                                                              absl::string_view site_id,
                                                              int64_t offset, int64_t limit) const {
  return ListTeams(s, site_id, {}, offset, limit);
}

absl::StatusOr<std::vector<TeamRow>> DispatchStore::ListTeams(
    sql::Session& s, absl::string_view site_id, std::span<const std::string> sites_any_of,
    int64_t offset, int64_t limit) const {
  sql::Result r;
  if (!site_id.empty() || sites_any_of.empty()) {
    ASSIGN_OR_RETURN(r, s.Execute(kListTeams, {site_id, limit, offset}));
  } else {
    // Assembled from the constant fragments and $N placeholders only; every site is bound.
    std::vector<sql::Value> params;
    params.reserve(sites_any_of.size() + 2);
    params.emplace_back(limit);
    params.emplace_back(offset);
    std::vector<std::string> placeholders;
    for (const std::string& site : sites_any_of) {
      params.emplace_back(site);
      placeholders.push_back(absl::StrCat("$", params.size()));
    }
    ASSIGN_OR_RETURN(r, s.Execute(absl::StrCat(kListTeamsOfSitesHead,
                                               absl::StrJoin(placeholders, ", "),
                                               kListTeamsOfSitesTail),
                                  params));
  }
  std::vector<TeamRow> teams;
  for (const sql::Row& row : r.rows) teams.push_back(TeamFrom(row));
  return teams;
}

absl::StatusOr<std::optional<std::string>> DispatchStore::TeamCoveringSite(
    sql::Session& s, absl::string_view site_id) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kTeamCoveringSite, {site_id}));
  if (!row.has_value()) return std::nullopt;
  return row->Text(0);
}

// ---- Volunteers ----

absl::Status DispatchStore::InsertVolunteer(sql::Session& s, const VolunteerRow& v) const {
  RETURN_IF_ERROR(AlreadyExistsIfAny(s, kSubTaken, v.user_sub,
                                     "a volunteer with this user_sub is already enrolled"));
  RETURN_IF_ERROR(
      AlreadyExistsIfAny(s, kPersonTaken, v.person_key, "this person is already enrolled"));
  return s
      .Execute(kInsertVolunteer,
               {v.volunteer_id, v.seq, v.team_id, v.user_sub, v.person_key, v.name, v.phone,
                v.party_member, v.pledge_text, v.pledged_at, v.on_duty, v.enrolled_at})
      .status();
}

absl::StatusOr<std::optional<VolunteerRow>> DispatchStore::FindVolunteer(
    sql::Session& s, absl::string_view volunteer_id) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kSelectVolunteer, {volunteer_id}));
  if (!row.has_value()) return std::nullopt;
  return VolunteerFrom(*row);
}

absl::StatusOr<std::optional<VolunteerRow>> DispatchStore::FindVolunteerBySub(
    sql::Session& s, absl::string_view user_sub) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kSelectVolunteerBySub, {user_sub}));
  if (!row.has_value()) return std::nullopt;
  return VolunteerFrom(*row);
}

absl::StatusOr<std::vector<VolunteerRow>> DispatchStore::ListVolunteers(sql::Session& s,
                                                                        absl::string_view team_id,
                                                                        bool on_duty_only,
                                                                        int64_t after_seq,
                                                                        int64_t limit) const {
  ASSIGN_OR_RETURN(sql::Result r,
                   s.Execute(kListVolunteers, {team_id, after_seq, on_duty_only, limit}));
  std::vector<VolunteerRow> out;
  for (const sql::Row& row : r.rows) out.push_back(VolunteerFrom(row));
  return out;
}

absl::Status DispatchStore::SetPledge(sql::Session& s, absl::string_view volunteer_id,
                                      absl::string_view text, absl::Time at) const {
  return s.Execute(kSetPledge, {volunteer_id, text, at}).status();
}

absl::Status DispatchStore::SetOnDuty(sql::Session& s, absl::string_view volunteer_id, bool on_duty,
                                      absl::Time at) const {
  RETURN_IF_ERROR(s.Execute(kSetOnDutyFlag, {volunteer_id, on_duty}).status());
  return s.Execute(on_duty ? kOpenDutyPeriod : kCloseDutyPeriod, {volunteer_id, at}).status();
}

absl::StatusOr<std::vector<Candidate>> DispatchStore::OnDutyCandidates(
    sql::Session& s, absl::string_view team_id) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kOnDutyCandidates, {team_id}));
  std::vector<Candidate> out;
  for (const sql::Row& row : r.rows) {
    out.push_back(Candidate{row.Text(0), row.Int(1), row.Int(2)});
  }
  return out;
}

// ---- Tasks ----

absl::Status DispatchStore::InsertTask(sql::Session& s, const TaskRow& t) const {
  return s
      .Execute(kInsertTask, {t.task_id,
                             t.seq,
                             static_cast<int64_t>(t.kind),
                             t.site_id,
                             t.location,
                             t.title,
                             t.details,
                             static_cast<int64_t>(t.priority),
                             DueValue(t.due_at),
                             t.team_id,
                             t.assignee,
                             static_cast<int64_t>(t.status),
                             t.created_by,
                             t.created_at,
                             t.assigned_at,
                             t.started_at,
                             t.completed_at,
                             t.cancelled_at,
                             t.completion_note,
                             t.cancel_reason,
                             t.schedule_id,
                             t.person_key,
                             t.source_ref,
                             t.item_code})
      .status();
}

absl::StatusOr<std::optional<TaskRow>> DispatchStore::FindTask(sql::Session& s,
                                                               absl::string_view task_id) const {
  return OneTask(s.Execute(kSelectTask, {task_id}));
}

absl::StatusOr<std::optional<TaskRow>> DispatchStore::Transit(sql::Session& s,
                                                              const TaskTransition& t,
                                                              absl::string_view task_id,
                                                              const TransitionArgs& args,
                                                              absl::Time at) const {
  // The check-and-set of the transition, all from its table entry: the WHERE clause is the
  // rule, so of concurrent attempts (threads, or processes sharing the database) exactly one
  // finds the row. The text is assembled from the table's constant fragments and $N
  // placeholders only; every value is a bound parameter.
  std::vector<sql::Value> params;
  auto param = [&](sql::Value v) {
    params.push_back(std::move(v));
    return absl::StrCat("$", params.size());
  };
  const std::string id = param(task_id);
  std::string query = absl::StrCat("UPDATE dispatch_tasks SET status = ", static_cast<int>(t.to),
                                   ", ", t.stamp_column, " = ", param(at));
  if (t.assigns) {
    absl::StrAppend(&query, ", assignee = ", param(args.assignee),
                    ", team_id = ", param(args.team_id));
  }
  if (!t.text_column.empty()) absl::StrAppend(&query, ", ", t.text_column, " = ", param(args.text));
  std::vector<std::string> from;
  for (v1::TaskStatus status : t.from) {
    if (status == v1::TASK_STATUS_UNSPECIFIED) continue;
    from.push_back(absl::StrCat(static_cast<int>(status)));
  }
  absl::StrAppend(&query, " WHERE task_id = ", id, " AND status IN (", absl::StrJoin(from, ", "),
                  ")");
  if (args.by.has_value()) {
    switch (t.actor) {
      case TaskActor::kLeader:
        break;
      case TaskActor::kTeamVolunteer:
        absl::StrAppend(&query, " AND team_id = ", param(args.by->team_id));
        break;
      case TaskActor::kAssignee:
      case TaskActor::kAssigneeOrLeader:
        absl::StrAppend(&query, " AND assignee = ", param(args.by->volunteer_id));
        break;
    }
  }
  absl::StrAppend(&query, " RETURNING " LF_TASK_COLUMNS);
  return OneTask(s.Execute(query, params));
}

absl::StatusOr<std::vector<TaskRow>> DispatchStore::ListTasks(
    sql::Session& s, const TaskFilter& f, const std::optional<TaskCursor>& after, absl::Time now,
    int64_t limit) const {
  // The text is assembled from constant fragments and $N placeholders only; every value is a
  // bound parameter.
  std::string query = kListTasksHead;
  std::vector<sql::Value> params;
  auto param = [&](sql::Value v) {
    params.push_back(std::move(v));
    return absl::StrCat("$", params.size());
  };
  if (!f.team_id.empty()) absl::StrAppend(&query, " AND team_id = ", param(f.team_id));
  if (!f.site_id.empty()) absl::StrAppend(&query, " AND site_id = ", param(f.site_id));
  if (f.status != v1::TASK_STATUS_UNSPECIFIED) {
    absl::StrAppend(&query, " AND status = ", param(static_cast<int64_t>(f.status)));
  }
  if (f.kind != v1::TASK_KIND_UNSPECIFIED) {
    absl::StrAppend(&query, " AND kind = ", param(static_cast<int64_t>(f.kind)));
  }
  if (!f.assignee.empty()) absl::StrAppend(&query, " AND assignee = ", param(f.assignee));
  if (f.overdue_only) {
    absl::StrAppend(&query, " AND status IN (1, 2, 3) AND due_at < ", param(now));
  }
  if (!f.sites_any_of.empty()) {
    std::vector<std::string> placeholders;
    for (const std::string& site : f.sites_any_of) placeholders.push_back(param(site));
    absl::StrAppend(&query, " AND site_id IN (", absl::StrJoin(placeholders, ", "), ")");
  }
  if (after.has_value()) {
    const std::string p = param(after->priority);
    const std::string d = param(after->due_micros);
    const std::string q = param(after->seq);
    absl::StrAppend(&query, " AND (priority < ", p, " OR (priority = ", p, " AND (due_at > ", d,
                    " OR (due_at = ", d, " AND seq > ", q, "))))");
  }
  absl::StrAppend(&query, kListTasksTail, param(limit));
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(query, params));
  std::vector<TaskRow> out;
  for (const sql::Row& row : r.rows) out.push_back(TaskFrom(row));
  return out;
}

// ---- Schedules ----

absl::Status DispatchStore::InsertSchedule(sql::Session& s, const ScheduleRow& row) const {
  const v1::Schedule& sc = row.schedule;
  return s
      .Execute(kInsertSchedule, {sc.schedule_id(), row.seq, sc.site_id(), sc.team_id(), sc.paused(),
                                 row.active_since, sql::Bytes{sc.SerializeAsString()}})
      .status();
}

absl::StatusOr<std::optional<ScheduleRow>> DispatchStore::FindSchedule(
    sql::Session& s, absl::string_view schedule_id) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kSelectSchedule, {schedule_id}));
  if (!row.has_value()) return std::nullopt;
  return ScheduleFrom(*row);
}

absl::StatusOr<std::vector<ScheduleRow>> DispatchStore::ListSchedules(sql::Session& s,
                                                                      absl::string_view site_id,
                                                                      absl::string_view team_id,
                                                                      int64_t after_seq,
                                                                      int64_t limit) const {
  return ListSchedules(s, site_id, team_id, {}, after_seq, limit);
}

absl::StatusOr<std::vector<ScheduleRow>> DispatchStore::ListSchedules(
    sql::Session& s, absl::string_view site_id, absl::string_view team_id,
    std::span<const std::string> sites_any_of, int64_t after_seq, int64_t limit) const {
  sql::Result r;
  if (sites_any_of.empty()) {
    ASSIGN_OR_RETURN(r, s.Execute(kListSchedules, {site_id, team_id, after_seq, limit}));
  } else {
    std::vector<sql::Value> params = {site_id, team_id, after_seq, limit};
    auto param = [&](sql::Value v) {
      params.push_back(std::move(v));
      return absl::StrCat("$", params.size());
    };
    std::vector<std::string> placeholders;
    for (const std::string& site : sites_any_of) placeholders.push_back(param(site));
    ASSIGN_OR_RETURN(r, s.Execute(absl::StrCat(kListSchedulesOfSitesHead,
                                               absl::StrJoin(placeholders, ", "),
                                               kListSchedulesOfSitesTail),
                                  params));
  }
  std::vector<ScheduleRow> out;
  for (const sql::Row& row : r.rows) {
    ASSIGN_OR_RETURN(ScheduleRow sc, ScheduleFrom(row));
    out.push_back(std::move(sc));
  }
  return out;
}

absl::StatusOr<std::vector<ScheduleRow>> DispatchStore::ActiveSchedules(sql::Session& s) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kActiveSchedules));
  std::vector<ScheduleRow> out;
  for (const sql::Row& row : r.rows) {
    ASSIGN_OR_RETURN(ScheduleRow sc, ScheduleFrom(row));
    out.push_back(std::move(sc));
  }
  return out;
}

absl::Status DispatchStore::SetPaused(sql::Session& s, absl::string_view schedule_id, bool paused,
                                      absl::Time at) const {
  if (paused) return s.Execute(kPauseSchedule, {schedule_id}).status();
  return s.Execute(kResumeSchedule, {schedule_id, at}).status();
}

absl::StatusOr<std::vector<std::string>> DispatchStore::SlotKeys(
    sql::Session& s, absl::string_view schedule_id, absl::string_view from_date) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kSlotKeys, {schedule_id, from_date}));
  std::vector<std::string> keys;
  for (const sql::Row& row : r.rows) {
    keys.push_back(absl::StrCat(row.Text(0), "|", row.Text(1), "|", row.Text(2)));
  }
  return keys;
}

absl::StatusOr<bool> DispatchStore::ClaimSlot(sql::Session& s, absl::string_view schedule_id,
                                              absl::string_view date, absl::string_view time,
                                              absl::string_view area, absl::Time at) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kClaimSlot, {schedule_id, date, time, area, at}));
  return r.rows_affected == 1;
}

absl::Status DispatchStore::SetSlotTask(sql::Session& s, absl::string_view schedule_id,
                                        absl::string_view date, absl::string_view time,
                                        absl::string_view area, absl::string_view task_id) const {
  return s.Execute(kSetSlotTask, {schedule_id, date, time, area, task_id}).status();
}

// ---- Figures ----

absl::StatusOr<std::map<std::string, SiteTaskFigures>> DispatchStore::LiveFigures(
    sql::Session& s, absl::Time now) const {
  std::map<std::string, SiteTaskFigures> out;
  ASSIGN_OR_RETURN(sql::Result tasks, s.Execute(kLiveTaskFigures, {now}));
  for (const sql::Row& row : tasks.rows) {
    SiteTaskFigures& f = out[row.Text(0)];
    f.open = row.Int(1);
    f.assigned = row.Int(2);
    f.in_progress = row.Int(3);
    f.overdue = row.Int(4);
  }
  ASSIGN_OR_RETURN(sql::Result duty, s.Execute(kLiveOnDuty));
  for (const sql::Row& row : duty.rows) out[row.Text(0)].volunteers_on_duty = row.Int(1);
  return out;
}

absl::StatusOr<std::map<std::string, SiteDayFigures>> DispatchStore::DayFigures(
    sql::Session& s, absl::Time start, absl::Time end, absl::Time now) const {
  std::map<std::string, SiteDayFigures> out;
  ASSIGN_OR_RETURN(sql::Result created, s.Execute(kDayCreated, {start, end}));
  for (const sql::Row& row : created.rows) {
    out[row.Text(0)].created = row.Int(1);
    out[row.Text(0)].fever_followups = row.Int(2);
  }
  ASSIGN_OR_RETURN(sql::Result done, s.Execute(kDayDone, {start, end}));
  for (const sql::Row& row : done.rows) out[row.Text(0)].done = row.Int(1);
  ASSIGN_OR_RETURN(sql::Result cancelled, s.Execute(kDayCancelled, {start, end}));
  for (const sql::Row& row : cancelled.rows) out[row.Text(0)].cancelled = row.Int(1);
  ASSIGN_OR_RETURN(sql::Result due, s.Execute(kDayDue, {start, end, now}));
  for (const sql::Row& row : due.rows) {
    SiteDayFigures& f = out[row.Text(0)];
    f.disinfection_planned = row.Int(1);
    f.disinfection_done = row.Int(2);
    f.overdue = row.Int(3);
  }
  ASSIGN_OR_RETURN(sql::Result duty, s.Execute(kDayOnDuty, {start, end}));
  for (const sql::Row& row : duty.rows) out[row.Text(0)].volunteers_on_duty = row.Int(1);
  return out;
}

// --- notices ---

namespace {

constexpr char kInsertNotice[] =
    "INSERT INTO dispatch_notices (notice_id, seq, published_at, site_ids, spec) "
    "VALUES ($1, $2, $3, $4, $5)";
#define LF_NOTICE_COLUMNS "notice_id, seq, site_ids, spec"
constexpr char kSelectNotice[] =
    "SELECT " LF_NOTICE_COLUMNS " FROM dispatch_notices WHERE notice_id = $1";
constexpr char kAllNotices[] =
    "SELECT " LF_NOTICE_COLUMNS " FROM dispatch_notices ORDER BY seq DESC";
#undef LF_NOTICE_COLUMNS
#define LF_ACK_COLUMNS "notice_id, user_sub, volunteer_id, team_id, site_ids, read_at, studied_at"
constexpr char kInsertAck[] =
    "INSERT INTO dispatch_notice_acks (" LF_ACK_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7)";
constexpr char kSelectAck[] =
    "SELECT " LF_ACK_COLUMNS " FROM dispatch_notice_acks WHERE notice_id = $1 AND user_sub = $2";
constexpr char kAcksOf[] = "SELECT " LF_ACK_COLUMNS
                           " FROM dispatch_notice_acks WHERE notice_id = $1 "
                           "ORDER BY read_at, user_sub";
constexpr char kAcksBy[] =
    "SELECT " LF_ACK_COLUMNS " FROM dispatch_notice_acks WHERE user_sub = $1";
#undef LF_ACK_COLUMNS
constexpr char kSetStudied[] =
    "UPDATE dispatch_notice_acks SET studied_at = $3 "
    "WHERE notice_id = $1 AND user_sub = $2 AND studied_at IS NULL";
constexpr char kNoticeVolunteers[] =
    "SELECT v.volunteer_id, v.seq, v.user_sub, v.team_id, v.name, t.site_ids "
    "FROM dispatch_volunteers v JOIN dispatch_teams t ON t.team_id = v.team_id ORDER BY v.seq";

std::vector<std::string> SplitSites(absl::string_view joined) {
  return absl::StrSplit(joined, ',', absl::SkipEmpty());
}

absl::StatusOr<NoticeRow> NoticeFrom(const sql::Row& r) {
  NoticeRow row;
  if (!row.notice.ParseFromString(r.Bytes(3))) {
    return absl::InternalError("a stored notice cannot be read");
  }
  row.notice.set_notice_id(r.Text(0));
  row.seq = r.Int(1);
  row.sites = SplitSites(r.Text(2));
  return row;
}

NoticeAckRow AckFrom(const sql::Row& r) {
  NoticeAckRow a;
  a.notice_id = r.Text(0);
  a.user_sub = r.Text(1);
  a.volunteer_id = r.Text(2);
  a.team_id = r.Text(3);
  a.site_ids = SplitSites(r.Text(4));
  a.read_at = r.Time(5);
  a.studied_at = r.OptionalTime(6);
  return a;
}

}  // namespace

absl::Status NoticeStore::InsertNotice(sql::Session& s, const NoticeRow& row) const {
  const v1::Notice& n = row.notice;
  return s
      .Execute(kInsertNotice, {n.notice_id(), row.seq, time::FromTimestamp(n.published_at()),
                               absl::StrJoin(row.sites, ","), sql::Bytes{n.SerializeAsString()}})
      .status();
}

absl::StatusOr<std::optional<NoticeRow>> NoticeStore::FindNotice(
    sql::Session& s, absl::string_view notice_id) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kSelectNotice, {notice_id}));
  if (!row.has_value()) return std::nullopt;
  return NoticeFrom(*row);
}

absl::StatusOr<std::vector<NoticeRow>> NoticeStore::AllNotices(sql::Session& s) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kAllNotices));
  std::vector<NoticeRow> out;
  for (const sql::Row& row : r.rows) {
    ASSIGN_OR_RETURN(NoticeRow n, NoticeFrom(row));
    out.push_back(std::move(n));
  }
  return out;
}

absl::StatusOr<std::optional<NoticeAckRow>> NoticeStore::FindAck(sql::Session& s,
                                                                 absl::string_view notice_id,
                                                                 absl::string_view user_sub) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kSelectAck, {notice_id, user_sub}));
  if (!row.has_value()) return std::nullopt;
  return AckFrom(*row);
}

absl::Status NoticeStore::InsertAck(sql::Session& s, const NoticeAckRow& a) const {
  return s
      .Execute(kInsertAck, {a.notice_id, a.user_sub, a.volunteer_id, a.team_id,
                            absl::StrJoin(a.site_ids, ","), a.read_at, a.studied_at})
      .status();
}

absl::Status NoticeStore::SetStudied(sql::Session& s, absl::string_view notice_id,
                                     absl::string_view user_sub, absl::Time at) const {
  return s.Execute(kSetStudied, {notice_id, user_sub, at}).status();
}

absl::StatusOr<std::vector<NoticeAckRow>> NoticeStore::AcksOf(sql::Session& s,
                                                              absl::string_view notice_id) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kAcksOf, {notice_id}));
  std::vector<NoticeAckRow> out;
  for (const sql::Row& row : r.rows) out.push_back(AckFrom(row));
  return out;
}

absl::StatusOr<std::map<std::string, NoticeAckRow>> NoticeStore::AcksBy(
    sql::Session& s, absl::string_view user_sub) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kAcksBy, {user_sub}));
  std::map<std::string, NoticeAckRow> out;
  for (const sql::Row& row : r.rows) {
    NoticeAckRow a = AckFrom(row);
    std::string id = a.notice_id;
    out.emplace(std::move(id), std::move(a));
  }
  return out;
}

absl::StatusOr<std::vector<NoticeVolunteer>> NoticeStore::Volunteers(sql::Session& s) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kNoticeVolunteers));
  std::vector<NoticeVolunteer> out;
  for (const sql::Row& row : r.rows) {
    out.push_back({.volunteer_id = row.Text(0),
                   .seq = row.Int(1),
                   .user_sub = row.Text(2),
                   .team_id = row.Text(3),
                   .name = row.Text(4),
                   .team_sites = SplitSites(row.Text(5))});
  }
  return out;
}

// --- initiatives and workload ---

namespace {

constexpr char kInsertInitiative[] =
    "INSERT INTO dispatch_initiatives (initiative_id, seq, title, body, site_ids, published_by, "
    "published_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
constexpr char kInsertInitiativeSite[] =
    "INSERT INTO dispatch_initiative_sites (initiative_id, site_id, initiative_seq) "
    "VALUES ($1, $2, $3)";
#define LF_INITIATIVE_COLUMNS \
  "i.initiative_id, i.seq, i.title, i.body, i.site_ids, i.published_by, i.published_at"
constexpr char kSelectInitiative[] =
    "SELECT " LF_INITIATIVE_COLUMNS " FROM dispatch_initiatives i WHERE i.initiative_id = $1";
constexpr char kListInitiatives[] =
    "SELECT " LF_INITIATIVE_COLUMNS
    " FROM dispatch_initiatives i WHERE ($1 = 0 OR i.seq < $1) ORDER BY i.seq DESC LIMIT $2";
// ListInitiatives for a caller restricted to some sites: the head, then "$3, $4, ..." (one per
// site), then the tail.
constexpr char kListInitiativesOfSitesHead[] =
    "SELECT " LF_INITIATIVE_COLUMNS
    " FROM dispatch_initiatives i WHERE ($1 = 0 OR i.seq < $1) AND EXISTS "
    "(SELECT 1 FROM dispatch_initiative_sites s WHERE s.initiative_id = i.initiative_id "
    "AND s.site_id IN (";
constexpr char kListInitiativesOfSitesTail[] = ")) ORDER BY i.seq DESC LIMIT $2";
// The teams working on an initiative's sites ($1).
#define LF_INITIATIVE_TEAM_IDS                                                      \
  "SELECT ts.team_id FROM dispatch_team_sites ts JOIN dispatch_initiative_sites s " \
  "ON s.site_id = ts.site_id WHERE s.initiative_id = $1"
constexpr char kInitiativeTeams[] =
    "SELECT t.team_id, t.name FROM dispatch_teams t WHERE t.team_id IN (" LF_INITIATIVE_TEAM_IDS
    ") ORDER BY t.team_id";
constexpr char kInitiativeMembers[] =
    "SELECT v.team_id, v.party_member, p.volunteer_id FROM dispatch_volunteers v "
    "LEFT JOIN dispatch_initiative_pledges p ON p.initiative_id = $1 AND "
    "p.volunteer_id = v.volunteer_id WHERE v.team_id IN (" LF_INITIATIVE_TEAM_IDS ")";
constexpr char kInsertInitiativePledge[] =
    "INSERT INTO dispatch_initiative_pledges (initiative_id, volunteer_id, text, pledged_at) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT (initiative_id, volunteer_id) DO NOTHING";
constexpr char kHasPledged[] =
    "SELECT 1 FROM dispatch_initiative_pledges WHERE initiative_id = $1 AND volunteer_id = $2";
constexpr char kDutyPeriodsOf[] =
    "SELECT started_at, ended_at FROM dispatch_duty_periods WHERE volunteer_id = $1 "
    "AND started_at < $3 AND (ended_at IS NULL OR ended_at > $2) ORDER BY started_at";
constexpr char kDutyPeriodsSince[] =
    "SELECT volunteer_id, started_at, ended_at FROM dispatch_duty_periods "
    "WHERE ended_at IS NULL OR ended_at > $1";
constexpr char kTeamDutyPeriodsSince[] =
    "SELECT p.volunteer_id, p.started_at, p.ended_at FROM dispatch_duty_periods p "
    "JOIN dispatch_volunteers v ON v.volunteer_id = p.volunteer_id "
    "WHERE v.team_id = $1 AND (p.ended_at IS NULL OR p.ended_at > $2)";
constexpr char kCompletionTimes[] =
    "SELECT completed_at FROM dispatch_tasks WHERE assignee = $1 AND completed_at >= $2 "
    "AND completed_at < $3 ORDER BY completed_at";
constexpr char kSiteVolunteerLoads[] =
    "SELECT ts.site_id, v.volunteer_id, (SELECT COUNT(*) FROM dispatch_tasks t "
    "WHERE t.assignee = v.volunteer_id AND t.status IN (2, 3)) "
    "FROM dispatch_volunteers v JOIN dispatch_team_sites ts ON ts.team_id = v.team_id";

InitiativeRow InitiativeFrom(const sql::Row& r) {
  InitiativeRow row;
  row.initiative_id = r.Text(0);
  row.seq = r.Int(1);
  row.title = r.Text(2);
  row.body = r.Text(3);
  row.site_ids = absl::StrSplit(r.Text(4), ',', absl::SkipEmpty());
  row.published_by = r.Text(5);
  row.published_at = r.Time(6);
  return row;
}

DutyPeriod PeriodFrom(const sql::Row& r, size_t first) {
  return DutyPeriod{.started_at = r.Time(first), .ended_at = r.OptionalTime(first + 1)};
}

}  // namespace

absl::Status InitiativeStore::InsertInitiative(sql::Session& s, const InitiativeRow& row) const {
  RETURN_IF_ERROR(s.Execute(kInsertInitiative,
                            {row.initiative_id, row.seq, row.title, row.body,
                             absl::StrJoin(row.site_ids, ","), row.published_by, row.published_at})
                      .status());
  for (const std::string& site : row.site_ids) {
    RETURN_IF_ERROR(s.Execute(kInsertInitiativeSite, {row.initiative_id, site, row.seq}).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<InitiativeRow>> InitiativeStore::FindInitiative(
    sql::Session& s, absl::string_view initiative_id) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kSelectInitiative, {initiative_id}));
  if (!row.has_value()) return std::nullopt;
  return InitiativeFrom(*row);
}

absl::StatusOr<std::vector<InitiativeRow>> InitiativeStore::ListInitiatives(
    sql::Session& s, std::span<const std::string> sites_any_of, int64_t before_seq,
    int64_t limit) const {
  sql::Result r;
  if (sites_any_of.empty()) {
    ASSIGN_OR_RETURN(r, s.Execute(kListInitiatives, {before_seq, limit}));
  } else {
    // Assembled from the constant fragments and $N placeholders only; every site is bound.
    std::vector<sql::Value> params = {before_seq, limit};
    std::vector<std::string> placeholders;
    for (const std::string& site : sites_any_of) {
      params.emplace_back(site);
      placeholders.push_back(absl::StrCat("$", params.size()));
    }
    ASSIGN_OR_RETURN(
        r, s.Execute(absl::StrCat(kListInitiativesOfSitesHead, absl::StrJoin(placeholders, ", "),
                                  kListInitiativesOfSitesTail),
                     params));
  }
  std::vector<InitiativeRow> out;
  for (const sql::Row& row : r.rows) out.push_back(InitiativeFrom(row));
  return out;
}

absl::StatusOr<std::vector<TeamName>> InitiativeStore::InitiativeTeams(
    sql::Session& s, absl::string_view initiative_id) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kInitiativeTeams, {initiative_id}));
  std::vector<TeamName> out;
  for (const sql::Row& row : r.rows) out.push_back(TeamName{row.Text(0), row.Text(1)});
  return out;
}

absl::StatusOr<std::vector<InitiativeMember>> InitiativeStore::InitiativeMembers(
    sql::Session& s, absl::string_view initiative_id) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kInitiativeMembers, {initiative_id}));
  std::vector<InitiativeMember> out;
  for (const sql::Row& row : r.rows) {
    out.push_back(InitiativeMember{
        .team_id = row.Text(0), .party_member = row.Bool(1), .pledged = !row.IsNull(2)});
  }
  return out;
}

absl::StatusOr<bool> InitiativeStore::InsertPledge(sql::Session& s, absl::string_view initiative_id,
                                                   absl::string_view volunteer_id,
                                                   absl::string_view text, absl::Time at) const {
  ASSIGN_OR_RETURN(sql::Result r,
                   s.Execute(kInsertInitiativePledge, {initiative_id, volunteer_id, text, at}));
  return r.rows_affected == 1;
}

absl::StatusOr<bool> InitiativeStore::HasPledged(sql::Session& s, absl::string_view initiative_id,
                                                 absl::string_view volunteer_id) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row,
                   s.QueryRow(kHasPledged, {initiative_id, volunteer_id}));
  return row.has_value();
}

absl::StatusOr<std::vector<DutyPeriod>> InitiativeStore::DutyPeriods(sql::Session& s,
                                                                     absl::string_view volunteer_id,
                                                                     absl::Time from,
                                                                     absl::Time to) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kDutyPeriodsOf, {volunteer_id, from, to}));
  std::vector<DutyPeriod> out;
  for (const sql::Row& row : r.rows) out.push_back(PeriodFrom(row, 0));
  return out;
}

absl::StatusOr<std::map<std::string, std::vector<DutyPeriod>>> InitiativeStore::DutyPeriodsSince(
    sql::Session& s, absl::Time since) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kDutyPeriodsSince, {since}));
  std::map<std::string, std::vector<DutyPeriod>> out;
  for (const sql::Row& row : r.rows) out[row.Text(0)].push_back(PeriodFrom(row, 1));
  return out;
}

absl::StatusOr<std::map<std::string, std::vector<DutyPeriod>>>
InitiativeStore::TeamDutyPeriodsSince(sql::Session& s, absl::string_view team_id,
                                      absl::Time since) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kTeamDutyPeriodsSince, {team_id, since}));
  std::map<std::string, std::vector<DutyPeriod>> out;
  for (const sql::Row& row : r.rows) out[row.Text(0)].push_back(PeriodFrom(row, 1));
  return out;
}

absl::StatusOr<std::vector<absl::Time>> InitiativeStore::CompletionTimes(
    sql::Session& s, absl::string_view volunteer_id, absl::Time from, absl::Time to) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kCompletionTimes, {volunteer_id, from, to}));
  std::vector<absl::Time> out;
  for (const sql::Row& row : r.rows) out.push_back(row.Time(0));
  return out;
}

absl::StatusOr<std::vector<SiteVolunteerLoad>> InitiativeStore::SiteVolunteerLoads(
    sql::Session& s) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kSiteVolunteerLoads));
  std::vector<SiteVolunteerLoad> out;
  for (const sql::Row& row : r.rows) {
    out.push_back(SiteVolunteerLoad{row.Text(0), row.Text(1), row.Int(2)});
  }
  return out;
}

// --- plans ---

namespace {

constexpr char kPlansSchema[] = R"sql(
INSERT INTO dispatch_ids (name, next_value) VALUES ('plan', 0), ('activation', 0);
CREATE TABLE dispatch_plans (
  plan_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  name TEXT NOT NULL,
  site_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  reviewed_by TEXT NOT NULL,
  reviewed_at INTEGER NOT NULL,
  spec BLOB NOT NULL
);
CREATE INDEX dispatch_plans_by_site ON dispatch_plans (site_id, name, seq);
CREATE INDEX dispatch_plans_by_review ON dispatch_plans (reviewed_at);
CREATE TABLE dispatch_activations (
  activation_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  plan_id TEXT NOT NULL,
  plan_name TEXT NOT NULL,
  plan_version INTEGER NOT NULL,
  site_id TEXT NOT NULL,
  mode INTEGER NOT NULL,
  starts_at INTEGER NOT NULL,
  activated_by TEXT NOT NULL,
  activated_at INTEGER NOT NULL,
  ended_at INTEGER
);
CREATE INDEX dispatch_activations_by_plan ON dispatch_activations (plan_id, seq);
CREATE INDEX dispatch_activations_by_site ON dispatch_activations (site_id, seq);
CREATE TABLE dispatch_activation_steps (
  activation_id TEXT NOT NULL,
  step_index INTEGER NOT NULL,
  title TEXT NOT NULL,
  task_id TEXT NOT NULL UNIQUE,
  PRIMARY KEY (activation_id, step_index)
)
)sql";

#define LF_PLAN_COLUMNS \
  "plan_id, seq, name, site_id, version, created_by, created_at, reviewed_by, reviewed_at, spec"
constexpr char kInsertPlan[] = "INSERT INTO dispatch_plans (" LF_PLAN_COLUMNS
                               ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
constexpr char kUpdatePlan[] =
    "UPDATE dispatch_plans SET name = $2, site_id = $3, version = $4, reviewed_by = $5, "
    "reviewed_at = $6, spec = $7 WHERE plan_id = $1";
constexpr char kSelectPlan[] = "SELECT " LF_PLAN_COLUMNS " FROM dispatch_plans WHERE plan_id = $1";
constexpr char kSetPlanReviewed[] =
    "UPDATE dispatch_plans SET reviewed_at = $2, reviewed_by = $3 WHERE plan_id = $1";
// ListPlans: $1 site ('' = any), $2 reviewed before (kNoDue = any), $3 limit, $4 offset, then
// "AND site_id IN ($5, ...)" for a caller restricted to some sites.
constexpr char kListPlansHead[] =
    "SELECT " LF_PLAN_COLUMNS
    " FROM dispatch_plans WHERE ($1 = '' OR site_id = $1) AND reviewed_at < $2";
constexpr char kListPlansTail[] = " ORDER BY name, seq LIMIT $3 OFFSET $4";

#define LF_ACTIVATION_COLUMNS                                                        \
  "activation_id, seq, plan_id, plan_name, plan_version, site_id, mode, starts_at, " \
  "activated_by, activated_at, ended_at"
constexpr char kInsertActivation[] = "INSERT INTO dispatch_activations (" LF_ACTIVATION_COLUMNS
                                     ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
constexpr char kInsertActivationStep[] =
    "INSERT INTO dispatch_activation_steps (activation_id, step_index, title, task_id) "
    "VALUES ($1, $2, $3, $4)";
constexpr char kSelectActivation[] =
    "SELECT " LF_ACTIVATION_COLUMNS " FROM dispatch_activations WHERE activation_id = $1";
// ListActivations: $1 plan ('' = any), $2 limit, $3 offset, then "AND site_id IN ($4, ...)".
constexpr char kListActivationsHead[] =
    "SELECT " LF_ACTIVATION_COLUMNS " FROM dispatch_activations WHERE ($1 = '' OR plan_id = $1)";
constexpr char kListActivationsTail[] = " ORDER BY seq DESC LIMIT $2 OFFSET $3";
constexpr char kActivationSteps[] =
    "SELECT st.step_index, st.title, st.task_id, t.due_at, t.status "
    "FROM dispatch_activation_steps st JOIN dispatch_tasks t ON t.task_id = st.task_id "
    "WHERE st.activation_id = $1 ORDER BY st.step_index";
constexpr char kEndActivation[] =
    "UPDATE dispatch_activations SET ended_at = $2 "
    "WHERE activation_id = $1 AND ended_at IS NULL";

absl::StatusOr<PlanRow> PlanFrom(const sql::Row& r) {
  PlanRow row;
  if (!row.plan.ParseFromString(r.Bytes(9))) {
    return absl::InternalError("a stored plan cannot be read");
  }
  v1::Plan& p = row.plan;
  p.set_plan_id(r.Text(0));
  row.seq = r.Int(1);
  p.set_name(r.Text(2));
  p.set_site_id(r.Text(3));
  p.set_version(static_cast<int32_t>(r.Int(4)));
  p.set_created_by(r.Text(5));
  *p.mutable_created_at() = time::ToTimestamp(r.Time(6));
  p.set_reviewed_by(r.Text(7));
  *p.mutable_reviewed_at() = time::ToTimestamp(r.Time(8));
  p.clear_stale();
  return row;
}

// What the spec column keeps of a plan: scenario and steps (the rest has its own columns).
sql::Bytes SpecOf(const v1::Plan& plan) {
  v1::Plan spec;
  spec.set_scenario(plan.scenario());
  *spec.mutable_steps() = plan.steps();
  return sql::Bytes{spec.SerializeAsString()};
}

ActivationRow ActivationFrom(const sql::Row& r) {
  ActivationRow row;
  v1::Activation& a = row.activation;
  a.set_activation_id(r.Text(0));
  row.seq = r.Int(1);
  a.set_plan_id(r.Text(2));
  a.set_plan_name(r.Text(3));
  a.set_plan_version(static_cast<int32_t>(r.Int(4)));
  a.set_site_id(r.Text(5));
  a.set_mode(static_cast<v1::ActivationMode>(r.Int(6)));
  *a.mutable_starts_at() = time::ToTimestamp(r.Time(7));
  a.set_activated_by(r.Text(8));
  *a.mutable_activated_at() = time::ToTimestamp(r.Time(9));
  if (std::optional<absl::Time> ended = r.OptionalTime(10)) {
    *a.mutable_ended_at() = time::ToTimestamp(*ended);
  }
  return row;
}

// Appends " AND site_id IN ($n, ...)" for `sites` (nothing when empty) to `sql`.
void AppendSitesIn(std::string& sql, std::vector<sql::Value>& params,
                   std::span<const std::string> sites) {
  if (sites.empty()) return;
  std::vector<std::string> placeholders;
  for (const std::string& site : sites) {
    params.emplace_back(site);
    placeholders.push_back(absl::StrCat("$", params.size()));
  }
  absl::StrAppend(&sql, " AND site_id IN (", absl::StrJoin(placeholders, ", "), ")");
}

std::string PlansSchema() { return kPlansSchema; }

}  // namespace

absl::Status PlanStore::InsertPlan(sql::Session& s, const PlanRow& row) const {
  const v1::Plan& p = row.plan;
  return s
      .Execute(kInsertPlan, {p.plan_id(), row.seq, p.name(), p.site_id(), p.version(),
                             p.created_by(), time::FromTimestamp(p.created_at()), p.reviewed_by(),
                             time::FromTimestamp(p.reviewed_at()), SpecOf(p)})
      .status();
}

absl::Status PlanStore::UpdatePlan(sql::Session& s, const v1::Plan& p) const {
  return s
      .Execute(kUpdatePlan, {p.plan_id(), p.name(), p.site_id(), p.version(), p.reviewed_by(),
                             time::FromTimestamp(p.reviewed_at()), SpecOf(p)})
      .status();
}

absl::StatusOr<std::optional<PlanRow>> PlanStore::FindPlan(sql::Session& s,
                                                           absl::string_view plan_id) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kSelectPlan, {plan_id}));
  if (!row.has_value()) return std::nullopt;
  return PlanFrom(*row);
}

absl::Status PlanStore::SetPlanReviewed(sql::Session& s, absl::string_view plan_id, absl::Time at,
                                        absl::string_view by) const {
  return s.Execute(kSetPlanReviewed, {plan_id, at, by}).status();
}

absl::StatusOr<std::vector<PlanRow>> PlanStore::ListPlans(sql::Session& s,
                                                          absl::string_view site_id,
                                                          std::span<const std::string> sites_any_of,
                                                          std::optional<absl::Time> reviewed_before,
                                                          int64_t offset, int64_t limit) const {
  std::vector<sql::Value> params = {
      site_id, reviewed_before.has_value() ? sql::Value(*reviewed_before) : sql::Value(kNoDue),
      limit, offset};
  std::string query = kListPlansHead;
  if (site_id.empty()) AppendSitesIn(query, params, sites_any_of);
  query += kListPlansTail;
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(query, params));
  std::vector<PlanRow> out;
  for (const sql::Row& row : r.rows) {
    ASSIGN_OR_RETURN(PlanRow plan, PlanFrom(row));
    out.push_back(std::move(plan));
  }
  return out;
}

absl::Status PlanStore::InsertActivation(sql::Session& s, const ActivationRow& row) const {
  const v1::Activation& a = row.activation;
  std::optional<absl::Time> ended;
  if (a.has_ended_at()) ended = time::FromTimestamp(a.ended_at());
  return s
      .Execute(kInsertActivation,
               {a.activation_id(), row.seq, a.plan_id(), a.plan_name(), a.plan_version(),
                a.site_id(), static_cast<int64_t>(a.mode()), time::FromTimestamp(a.starts_at()),
                a.activated_by(), time::FromTimestamp(a.activated_at()), ended})
      .status();
}

absl::Status PlanStore::InsertActivationStep(sql::Session& s, absl::string_view activation_id,
                                             int index, absl::string_view title,
                                             absl::string_view task_id) const {
  absl::StatusOr<sql::Result> r =
      s.Execute(kInsertActivationStep, {activation_id, index, title, task_id});
  if (!r.ok() && sql::IsConstraintViolation(r.status())) {
    return absl::AlreadyExistsError("this step of the activation already has its task");
  }
  return r.status();
}

absl::StatusOr<std::optional<ActivationRow>> PlanStore::FindActivation(
    sql::Session& s, absl::string_view activation_id) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kSelectActivation, {activation_id}));
  if (!row.has_value()) return std::nullopt;
  return ActivationFrom(*row);
}

absl::StatusOr<std::vector<ActivationRow>> PlanStore::ListActivations(
    sql::Session& s, absl::string_view plan_id, std::span<const std::string> sites_any_of,
    int64_t offset, int64_t limit) const {
  std::vector<sql::Value> params = {plan_id, limit, offset};
  std::string query = kListActivationsHead;
  AppendSitesIn(query, params, sites_any_of);
  query += kListActivationsTail;
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(query, params));
  std::vector<ActivationRow> out;
  for (const sql::Row& row : r.rows) out.push_back(ActivationFrom(row));
  return out;
}

absl::StatusOr<std::vector<ActivationStepRow>> PlanStore::ActivationSteps(
    sql::Session& s, absl::string_view activation_id) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kActivationSteps, {activation_id}));
  std::vector<ActivationStepRow> out;
  for (const sql::Row& row : r.rows) {
    out.push_back({.index = static_cast<int>(row.Int(0)),
                   .title = row.Text(1),
                   .task_id = row.Text(2),
                   .due_at = DueOf(row, 3),
                   .status = static_cast<v1::TaskStatus>(row.Int(4))});
  }
  return out;
}

absl::StatusOr<bool> PlanStore::EndActivation(sql::Session& s, absl::string_view activation_id,
                                              absl::Time at) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kEndActivation, {activation_id, at}));
  return r.rows_affected > 0;
}

// ---- The event log ----

namespace {

#define LF_EVENT_COLUMNS "seq, stream, at, sites, event"
constexpr char kInsertEvent[] =
    "INSERT INTO dispatch_events (stream, at, sites, event) VALUES ($1, $2, $3, $4) RETURNING seq";
constexpr char kSelectEvent[] = "SELECT " LF_EVENT_COLUMNS " FROM dispatch_events WHERE seq = $1";
// The latest $2 events after seq $1 (of stream $3 in the second form), newest first.
constexpr char kEventsAfter[] = "SELECT " LF_EVENT_COLUMNS
                                " FROM dispatch_events WHERE seq > $1 ORDER BY seq DESC LIMIT $2";
constexpr char kStreamEventsAfter[] =
    "SELECT " LF_EVENT_COLUMNS
    " FROM dispatch_events WHERE stream = $3 AND seq > $1 ORDER BY seq DESC LIMIT $2";
constexpr char kLatestEventSeq[] = "SELECT COALESCE(MAX(seq), 0) FROM dispatch_events";
constexpr char kPurgeEvents[] =
    "DELETE FROM dispatch_events WHERE seq IN "
    "(SELECT seq FROM dispatch_events WHERE at < $1 ORDER BY seq LIMIT $2)";
#undef LF_EVENT_COLUMNS

EventRow EventFrom(const sql::Row& r) {
  EventRow e;
  e.seq = r.Int(0);
  e.stream = r.Text(1);
  e.at = r.Time(2);
  e.sites = SplitSites(r.Text(3));
  e.event = r.Bytes(4);
  return e;
}

}  // namespace

absl::StatusOr<int64_t> EventStore::InsertEvent(sql::Session& s, const EventRow& row) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> inserted,
                   s.QueryRow(kInsertEvent, {row.stream, row.at, absl::StrJoin(row.sites, ","),
                                             sql::Bytes{row.event}}));
  if (!inserted.has_value()) return absl::InternalError("the event's insert returned no seq");
  return inserted->Int(0);
}

absl::StatusOr<std::optional<EventRow>> EventStore::FindEvent(sql::Session& s, int64_t seq) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kSelectEvent, {seq}));
  if (!row.has_value()) return std::nullopt;
  return EventFrom(*row);
}

absl::StatusOr<std::vector<EventRow>> EventStore::EventsAfter(sql::Session& s, int64_t after,
                                                              absl::string_view stream,
                                                              int limit) const {
  const int64_t n = std::max(limit, 0);
  ASSIGN_OR_RETURN(sql::Result r, stream.empty()
                                      ? s.Execute(kEventsAfter, {after, n})
                                      : s.Execute(kStreamEventsAfter, {after, n, stream}));
  std::vector<EventRow> out;
  out.reserve(r.rows.size());
  for (auto it = r.rows.rbegin(); it != r.rows.rend(); ++it) out.push_back(EventFrom(*it));
  return out;
}

absl::StatusOr<int64_t> EventStore::LatestEventSeq(sql::Session& s) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kLatestEventSeq));
  return row.has_value() ? row->Int(0) : 0;
}

absl::StatusOr<int64_t> EventStore::PurgeEvents(sql::Session& s, absl::Time before,
                                                int64_t limit) const {
  ASSIGN_OR_RETURN(sql::Result r, s.Execute(kPurgeEvents, {before, limit}));
  return r.rows_affected;
}

}  // namespace lianfang::dispatch
