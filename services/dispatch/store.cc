#include "services/dispatch/store.h"

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

}  // namespace lianfang::dispatch
