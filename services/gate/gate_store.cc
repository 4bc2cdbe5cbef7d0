#include "services/gate/gate_store.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/server/errors.h"
#include "common/sql/page_token.h"
#include "common/status/status_macros.h"
#include "common/time/timestamp.h"

namespace lianfang::gate {
namespace {

// ---- Schema ----------------------------------------------------------------------------------

// SQLite text; PostgreSQL differs only in its serial keys (see PostgresOf).
constexpr char kSchemaV1[] =
    "CREATE TABLE gate_passages ("
    " seq INTEGER PRIMARY KEY,"
    " passage_id TEXT NOT NULL UNIQUE,"
    " site_id TEXT NOT NULL,"
    " gate_id TEXT NOT NULL,"
    " direction INTEGER NOT NULL,"
    " decision INTEGER NOT NULL,"
    " deny_reason INTEGER NOT NULL,"
    " person_key TEXT NOT NULL,"
    " id_masked TEXT NOT NULL,"
    " name_masked TEXT NOT NULL,"
    " temperature_c DOUBLE PRECISION NOT NULL,"
    " vehicle_plate TEXT NOT NULL,"
    " pass_code TEXT NOT NULL,"
    " captured_at BIGINT NOT NULL,"
    " recorded_at BIGINT NOT NULL,"
    " guard TEXT NOT NULL);"
    "CREATE INDEX gate_passages_by_site ON gate_passages (site_id, captured_at, seq);"
    "CREATE INDEX gate_passages_by_gate ON gate_passages (site_id, gate_id, captured_at, seq);"
    "CREATE INDEX gate_passages_by_person ON gate_passages (person_key, captured_at, seq);"
    "CREATE TABLE gate_presence ("
    " site_id TEXT NOT NULL,"
    " person_key TEXT NOT NULL,"
    " inside INTEGER NOT NULL,"
    " changed_at BIGINT NOT NULL,"
    " PRIMARY KEY (site_id, person_key));"
    "CREATE TABLE gate_occupancy ("
    " site_id TEXT PRIMARY KEY,"
    " onsite BIGINT NOT NULL);"
    "CREATE TABLE gate_daily ("
    " site_id TEXT NOT NULL,"
    " day TEXT NOT NULL,"
    " entries BIGINT NOT NULL,"
    " exits BIGINT NOT NULL,"
    " denied BIGINT NOT NULL,"
    " fevers BIGINT NOT NULL,"
    " denied_no_pass BIGINT NOT NULL,"
    " denied_observation BIGINT NOT NULL,"
    " denied_vehicle BIGINT NOT NULL,"
    " denied_full BIGINT NOT NULL,"
    " peak_onsite BIGINT NOT NULL,"
    " onsite_end BIGINT NOT NULL,"
    " PRIMARY KEY (site_id, day));"
    "CREATE INDEX gate_daily_by_day ON gate_daily (day);"
    "CREATE TABLE gate_passes ("
    " pass_code TEXT PRIMARY KEY,"
    " site_id TEXT NOT NULL,"
    " person_key TEXT NOT NULL,"
    " id_masked TEXT NOT NULL,"
    " name_masked TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " kind INTEGER NOT NULL,"
    " valid_until BIGINT,"
    " issued_at BIGINT NOT NULL,"
    " issued_by TEXT NOT NULL,"
    " revoked_at BIGINT,"
    " revoke_reason TEXT NOT NULL);"
    "CREATE INDEX gate_passes_by_person ON gate_passes (site_id, person_key);"
    "CREATE INDEX gate_passes_by_issue ON gate_passes (site_id, issued_at, pass_code);"
    "CREATE TABLE gate_holds ("
    " person_key TEXT PRIMARY KEY,"
    " reason TEXT NOT NULL,"
    " hold_until BIGINT NOT NULL,"
    " placed_at BIGINT NOT NULL,"
    " placed_by TEXT NOT NULL,"
    " released_at BIGINT);"
    "CREATE TABLE gate_vehicles ("
    " site_id TEXT NOT NULL,"
    " plate TEXT NOT NULL,"
    " owner_person_key TEXT NOT NULL,"
    " registered_at BIGINT NOT NULL,"
    " registered_by TEXT NOT NULL,"
    " PRIMARY KEY (site_id, plate));"
    "CREATE TABLE gate_duties ("
    " duty_id INTEGER PRIMARY KEY,"
    " site_id TEXT NOT NULL,"
    " gate_id TEXT NOT NULL,"
    " guard TEXT NOT NULL,"
    " started_at BIGINT NOT NULL,"
    " ended_at BIGINT);"
    "CREATE INDEX gate_duties_by_site ON gate_duties (site_id, started_at);"
    "CREATE TABLE gate_duty_current ("
    " site_id TEXT NOT NULL,"
    " gate_id TEXT NOT NULL,"
    " guard TEXT NOT NULL,"
    " started_at BIGINT NOT NULL,"
    " duty_id BIGINT NOT NULL,"
    " PRIMARY KEY (site_id, gate_id));"
    "CREATE INDEX gate_duty_current_by_guard ON gate_duty_current (guard);";

std::string PostgresOf(absl::string_view sqlite) {
  return absl::StrReplaceAll(sqlite,
                             {{"seq INTEGER PRIMARY KEY", "seq BIGSERIAL PRIMARY KEY"},
                              {"duty_id INTEGER PRIMARY KEY", "duty_id BIGSERIAL PRIMARY KEY"}});
}

// Who is inside since when (ListOnsite): a person's presence keeps, while inside, the masks
// and gate of the entry that let them in and its captured time; an exit clears them. Rows of
// people already inside are filled from their latest admitted entry still kept.
#define LF_GATE_LAST_ENTRY(column)                                                      \
  "(SELECT p." column                                                                   \
  " FROM gate_passages p WHERE p.site_id = gate_presence.site_id"                       \
  " AND p.person_key = gate_presence.person_key AND p.direction = 1 AND p.decision = 1" \
  " ORDER BY p.captured_at DESC, p.seq DESC LIMIT 1)"
constexpr char kSchemaV2[] =
    "ALTER TABLE gate_presence ADD COLUMN id_masked TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE gate_presence ADD COLUMN name_masked TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE gate_presence ADD COLUMN gate_id TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE gate_presence ADD COLUMN entered_at BIGINT NOT NULL DEFAULT 0;"
    "UPDATE gate_presence SET"
    " id_masked = COALESCE(" LF_GATE_LAST_ENTRY("id_masked") ", ''),"
    " name_masked = COALESCE(" LF_GATE_LAST_ENTRY("name_masked") ", ''),"
    " gate_id = COALESCE(" LF_GATE_LAST_ENTRY("gate_id") ", ''),"
    " entered_at = COALESCE(" LF_GATE_LAST_ENTRY("captured_at") ", changed_at)"
    " WHERE inside = 1;"
    "CREATE INDEX gate_presence_inside ON gate_presence (site_id, inside, entered_at, person_key);";
#undef LF_GATE_LAST_ENTRY

// Health-report notes from survey (NoteHealthReports): who is expected to file a daily report
// and the day of their last one, read with each passage's facts; a passage keeps its warnings
// (PassageWarning numbers, comma-separated); the day's counters count the new refusal.
constexpr char kSchemaV3[] =
    "CREATE TABLE gate_health_notes ("
    " person_key TEXT PRIMARY KEY,"
    " expected INTEGER NOT NULL,"
    " last_report_date TEXT NOT NULL,"
    " noted_at BIGINT NOT NULL);"
    "ALTER TABLE gate_passages ADD COLUMN warnings TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE gate_daily ADD COLUMN denied_no_report BIGINT NOT NULL DEFAULT 0";

// WatchPassages' resume point and a replica's catch-up read a site's passages after a seq.
constexpr char kSchemaV4[] = "CREATE INDEX gate_passages_by_site_seq ON gate_passages (site_id, seq)";

// ListOnsite reads only the people inside (inside = 1). The index of migration 2 also held
// everyone outside, keyed (site, 0, 0, person_key): every exit inserted, and every entry
// deleted, an entry at a random place of that half, a page written per passage that no query
// reads. The partial index keeps the people inside only: an entry appends (entered_at is the
// entry's time), an exit deletes. Same order and the same ListOnsite plan (an index range on
// site_id and entered_at, in the ORDER BY's order) on SQLite and PostgreSQL.
constexpr char kSchemaV5[] =
    "DROP INDEX gate_presence_inside;"
    "CREATE INDEX gate_presence_onsite ON gate_presence (site_id, entered_at, person_key) "
    "WHERE inside = 1";

const std::vector<sql::Migration>& MigrationList() {
  static const auto* const kMigrations = new std::vector<sql::Migration>{
      {1, "create passages, presence, occupancy, daily counters, passes, holds, vehicles, duty",
       kSchemaV1, PostgresOf(kSchemaV1)},
      {2, "presence keeps the masks, gate and time of the entry of each person inside", kSchemaV2,
       kSchemaV2},
      {3, "health-report notes, passage warnings, refusals for a missing health report", kSchemaV3,
       kSchemaV3},
      {4, "passages by site in recording order (WatchPassages resume points)", kSchemaV4,
       kSchemaV4},
      {5, "the index of people inside holds only the people inside", kSchemaV5, kSchemaV5}};
  return *kMigrations;
}

// ---- Statements ------------------------------------------------------------------------------

constexpr char kPassageColumns[] =
    "passage_id, site_id, gate_id, direction, decision, deny_reason, person_key, id_masked, "
    "name_masked, temperature_c, vehicle_plate, pass_code, captured_at, recorded_at, guard, seq, "
    "warnings";

constexpr char kStorePassage[] =
    "INSERT INTO gate_passages (passage_id, site_id, gate_id, direction, decision, deny_reason, "
    "person_key, id_masked, name_masked, temperature_c, vehicle_plate, pass_code, captured_at, "
    "recorded_at, guard, warnings, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
    "$12, $13, $14, $15, $16, $17)";

// The latest $2 passages after seq $1 (of site $3 in the second form), newest first.
constexpr char kPassagesAfter[] =
    "SELECT passage_id, site_id, gate_id, direction, decision, deny_reason, person_key, "
    "id_masked, name_masked, temperature_c, vehicle_plate, pass_code, captured_at, recorded_at, "
    "guard, seq, warnings FROM gate_passages WHERE seq > $1 ORDER BY seq DESC LIMIT $2";
constexpr char kSitePassagesAfter[] =
    "SELECT passage_id, site_id, gate_id, direction, decision, deny_reason, person_key, "
    "id_masked, name_masked, temperature_c, vehicle_plate, pass_code, captured_at, recorded_at, "
    "guard, seq, warnings FROM gate_passages WHERE site_id = $3 AND seq > $1 "
    "ORDER BY seq DESC LIMIT $2";
constexpr char kLatestPassageSeq[] = "SELECT COALESCE(MAX(seq), 0) FROM gate_passages";
constexpr char kPassageById[] =
    "SELECT passage_id, site_id, gate_id, direction, decision, deny_reason, person_key, "
    "id_masked, name_masked, temperature_c, vehicle_plate, pass_code, captured_at, recorded_at, "
    "guard, seq, warnings FROM gate_passages WHERE passage_id = $1";

// $3..$4 is the captured_at range (inclusive), its upper end already lowered to the position
// of the previous page; ($5, $6) is that position, the (captured_at, seq) of the previous
// page's last row (the int64 maximum on the first page). One range on captured_at keeps
// SQLite's planner on the most selective index, and each page starts with an index seek.
#define LF_GATE_PASSAGE_PAGE                                                   \
  " AND ($2 = 0 OR decision = $2) AND captured_at >= $3 AND captured_at <= $4" \
  " AND (captured_at < $5 OR seq < $6)"                                        \
  " ORDER BY captured_at DESC, seq DESC LIMIT $7"

const std::string& ListPassagesBySite() {
  static const std::string* const kSql = new std::string(absl::StrCat(
      "SELECT ", kPassageColumns, " FROM gate_passages WHERE site_id = $1", LF_GATE_PASSAGE_PAGE));
  return *kSql;
}
const std::string& ListPassagesByGate() {
  static const std::string* const kSql = new std::string(absl::StrCat(
      "SELECT ", kPassageColumns, " FROM gate_passages WHERE site_id = $1 AND gate_id = $8",
      LF_GATE_PASSAGE_PAGE));
  return *kSql;
}
const std::string& ListPassagesByPerson() {
  static const std::string* const kSql = new std::string(absl::StrCat(
      "SELECT ", kPassageColumns,
      " FROM gate_passages WHERE person_key = $8 AND site_id = $1 AND ($9 = '' OR gate_id = $9)",
      LF_GATE_PASSAGE_PAGE));
  return *kSql;
}
#undef LF_GATE_PASSAGE_PAGE

constexpr char kUpsertPresence[] =
    "INSERT INTO gate_presence (site_id, person_key, inside, changed_at, id_masked, name_masked, "
    "gate_id, entered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
    "ON CONFLICT (site_id, person_key) DO UPDATE SET inside = excluded.inside, "
    "changed_at = excluded.changed_at, id_masked = excluded.id_masked, "
    "name_masked = excluded.name_masked, gate_id = excluded.gate_id, "
    "entered_at = excluded.entered_at";
// People inside a site, longest inside first; keyset after ($2 entered_at, $3 person_key).
constexpr char kListOnsite[] =
    "SELECT person_key, id_masked, name_masked, gate_id, entered_at FROM gate_presence "
    "WHERE site_id = $1 AND inside = 1 AND entered_at >= $2 "
    "AND (entered_at > $2 OR person_key > $3) "
    "ORDER BY entered_at, person_key LIMIT $4";

constexpr char kSelectOnsite[] = "SELECT onsite FROM gate_occupancy WHERE site_id = $1";
constexpr char kSelectAllOnsite[] = "SELECT site_id, onsite FROM gate_occupancy";
constexpr char kUpsertOnsite[] =
    "INSERT INTO gate_occupancy (site_id, onsite) VALUES ($1, $2) "
    "ON CONFLICT (site_id) DO UPDATE SET onsite = excluded.onsite";

constexpr char kCountPassage[] =
    "INSERT INTO gate_daily (site_id, day, entries, exits, denied, fevers, denied_no_pass, "
    "denied_observation, denied_vehicle, denied_full, peak_onsite, onsite_end, "
    "denied_no_report) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
    "ON CONFLICT (site_id, day) DO UPDATE SET "
    "entries = gate_daily.entries + excluded.entries, "
    "exits = gate_daily.exits + excluded.exits, "
    "denied = gate_daily.denied + excluded.denied, "
    "fevers = gate_daily.fevers + excluded.fevers, "
    "denied_no_pass = gate_daily.denied_no_pass + excluded.denied_no_pass, "
    "denied_observation = gate_daily.denied_observation + excluded.denied_observation, "
    "denied_vehicle = gate_daily.denied_vehicle + excluded.denied_vehicle, "
    "denied_full = gate_daily.denied_full + excluded.denied_full, "
    "denied_no_report = gate_daily.denied_no_report + excluded.denied_no_report, "
    "peak_onsite = CASE WHEN excluded.peak_onsite > gate_daily.peak_onsite "
    "THEN excluded.peak_onsite ELSE gate_daily.peak_onsite END, "
    "onsite_end = excluded.onsite_end";

constexpr char kDayColumns[] =
    "site_id, entries, exits, denied, fevers, denied_no_pass, denied_observation, "
    "denied_vehicle, denied_full, peak_onsite, onsite_end, denied_no_report";
const std::string& SelectDay() {
  static const std::string* const kSql =
      new std::string(absl::StrCat("SELECT ", kDayColumns, " FROM gate_daily WHERE day = $1"));
  return *kSql;
}
const std::string& SelectSiteDay() {
  static const std::string* const kSql = new std::string(
      absl::StrCat("SELECT ", kDayColumns, " FROM gate_daily WHERE site_id = $1 AND day = $2"));
  return *kSql;
}
constexpr char kSelectCarriedOnsite[] =
    "SELECT onsite_end FROM gate_daily WHERE site_id = $1 AND day < $2 "
    "ORDER BY day DESC LIMIT 1";

// The facts of a passage in one statement ($1 site, $2 person_key, $3 time, $4 plate): the
// site's onsite count (NULL without a row), the person's presence (NULL without a row), and
// whether the person holds a pass for the site valid at $3 (not revoked then, not expired),
// whether an observation hold is active at $3, whether the plate is registered there, and the
// person's health-report note (NULLs without one).
constexpr char kSelectPassageFacts[] =
    "SELECT (SELECT onsite FROM gate_occupancy WHERE site_id = $1), "
    "(SELECT inside FROM gate_presence WHERE site_id = $1 AND person_key = $2), "
    "EXISTS (SELECT 1 FROM gate_passes WHERE site_id = $1 AND person_key = $2 "
    "AND (revoked_at IS NULL OR revoked_at > $3) AND (valid_until IS NULL OR valid_until > $3)), "
    "EXISTS (SELECT 1 FROM gate_holds WHERE person_key = $2 AND hold_until > $3 "
    "AND (released_at IS NULL OR released_at > $3)), "
    "EXISTS (SELECT 1 FROM gate_vehicles WHERE site_id = $1 AND plate = $4), "
    "(SELECT expected FROM gate_health_notes WHERE person_key = $2), "
    "(SELECT last_report_date FROM gate_health_notes WHERE person_key = $2)";
// The same, and the seq of the passage about to be stored: the next of the sequence on
// PostgreSQL (drawn, never handed out twice); on SQLite, whose writer holds the file's write
// lock for the whole transaction, one above the highest stored (what INTEGER PRIMARY KEY
// would assign).
const std::string& SelectPassageFactsAndSeq(sql::Dialect dialect) {
  static const std::string* const kPostgres =
      new std::string(absl::StrCat(kSelectPassageFacts, ", nextval('gate_passages_seq_seq')"));
  static const std::string* const kSqlite = new std::string(
      absl::StrCat(kSelectPassageFacts, ", (SELECT COALESCE(MAX(seq), 0) + 1 FROM gate_passages)"));
  return dialect == sql::Dialect::kPostgres ? *kPostgres : *kSqlite;
}

constexpr char kSelectHealthNote[] =
    "SELECT expected, last_report_date FROM gate_health_notes WHERE person_key = $1";
constexpr char kUpsertHealthNote[] =
    "INSERT INTO gate_health_notes (person_key, expected, last_report_date, noted_at) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT (person_key) DO UPDATE SET "
    "expected = excluded.expected, last_report_date = excluded.last_report_date, "
    "noted_at = excluded.noted_at";

constexpr char kPassColumns[] =
    "pass_code, site_id, person_key, id_masked, name_masked, name, kind, valid_until, "
    "issued_at, issued_by, revoked_at";
constexpr char kInsertPass[] =
    "INSERT INTO gate_passes (pass_code, site_id, person_key, id_masked, name_masked, name, kind, "
    "valid_until, issued_at, issued_by, revoked_at, revoke_reason) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, '')";
const std::string& SelectPass() {
  static const std::string* const kSql = new std::string(
      absl::StrCat("SELECT ", kPassColumns, " FROM gate_passes WHERE pass_code = $1"));
  return *kSql;
}
constexpr char kRevokePass[] =
    "UPDATE gate_passes SET revoked_at = $2, revoke_reason = $3 WHERE pass_code = $1";
const std::string& ListPassesSql() {
  static const std::string* const kSql = new std::string(absl::StrCat(
      "SELECT ", kPassColumns,
      " FROM gate_passes WHERE site_id = $1 AND ($2 = '' OR person_key = $2)"
      " AND ($3 = 1 OR (revoked_at IS NULL AND (valid_until IS NULL OR valid_until > $4)))"
      " AND issued_at <= $5 AND (issued_at < $5 OR pass_code < $6)"
      " ORDER BY issued_at DESC, pass_code DESC LIMIT $7"));
  return *kSql;
}

constexpr char kSelectHold[] =
    "SELECT person_key, reason, hold_until, placed_at, placed_by, released_at "
    "FROM gate_holds WHERE person_key = $1";
constexpr char kUpsertHold[] =
    "INSERT INTO gate_holds (person_key, reason, hold_until, placed_at, placed_by, released_at) "
    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (person_key) DO UPDATE SET "
    "reason = excluded.reason, hold_until = excluded.hold_until, "
    "placed_at = excluded.placed_at, placed_by = excluded.placed_by, "
    "released_at = excluded.released_at";

constexpr char kInsertVehicle[] =
    "INSERT INTO gate_vehicles (site_id, plate, owner_person_key, registered_at, registered_by) "
    "VALUES ($1, $2, $3, $4, $5)";

constexpr char kCurrentDutyColumns[] = "duty_id, site_id, gate_id, guard, started_at";
const std::string& SelectDutyAtGate() {
  static const std::string* const kSql =
      new std::string(absl::StrCat("SELECT ", kCurrentDutyColumns,
                                   " FROM gate_duty_current WHERE site_id = $1 AND gate_id = $2"));
  return *kSql;
}
const std::string& SelectDutyOfGuard() {
  static const std::string* const kSql = new std::string(absl::StrCat(
      "SELECT ", kCurrentDutyColumns, " FROM gate_duty_current WHERE guard = $1 LIMIT 1"));
  return *kSql;
}
const std::string& SelectAllDuties() {
  static const std::string* const kSql = new std::string(absl::StrCat(
      "SELECT ", kCurrentDutyColumns, " FROM gate_duty_current ORDER BY site_id, gate_id"));
  return *kSql;
}
constexpr char kInsertDuty[] =
    "INSERT INTO gate_duties (site_id, gate_id, guard, started_at, ended_at) "
    "VALUES ($1, $2, $3, $4, NULL) RETURNING duty_id";
constexpr char kInsertCurrentDuty[] =
    "INSERT INTO gate_duty_current (site_id, gate_id, guard, started_at, duty_id) "
    "VALUES ($1, $2, $3, $4, $5)";
constexpr char kEndDuty[] = "UPDATE gate_duties SET ended_at = $2 WHERE duty_id = $1";
constexpr char kDeleteCurrentDuty[] =
    "DELETE FROM gate_duty_current WHERE site_id = $1 AND gate_id = $2";
constexpr char kSelectDutiesOverlapping[] =
    "SELECT gate_id, started_at, ended_at FROM gate_duties WHERE site_id = $1 "
    "AND started_at < $2 AND (ended_at IS NULL OR ended_at > $3) ORDER BY started_at";

// ---- Row conversions -------------------------------------------------------------------------

v1::Passage PassageFromRow(const sql::Row& row) {
  v1::Passage p;
  p.set_passage_id(row.Text(0));
  p.set_site_id(row.Text(1));
  p.set_gate_id(row.Text(2));
  p.set_direction(static_cast<v1::Direction>(row.Int(3)));
  p.set_decision(static_cast<v1::Decision>(row.Int(4)));
  p.set_deny_reason(static_cast<v1::DenyReason>(row.Int(5)));
  p.set_person_key(row.Text(6));
  p.set_id_masked(row.Text(7));
  p.set_name_masked(row.Text(8));
  p.set_temperature_c(row.Double(9));
  p.set_vehicle_plate(row.Text(10));
  p.set_pass_code(row.Text(11));
  *p.mutable_captured_at() = time::ToTimestamp(row.Time(12));
  *p.mutable_recorded_at() = time::ToTimestamp(row.Time(13));
  p.set_guard(row.Text(14));
  p.set_seq(row.Int(15));
  for (absl::string_view w : absl::StrSplit(row.Text(16), ',', absl::SkipEmpty())) {
    int number = 0;
    if (absl::SimpleAtoi(w, &number) && v1::PassageWarning_IsValid(number)) {
      p.add_warnings(static_cast<v1::PassageWarning>(number));
    }
  }
  return p;
}

v1::Pass PassFromRow(const sql::Row& row) {
  v1::Pass p;
  p.set_pass_code(row.Text(0));
  p.set_site_id(row.Text(1));
  p.set_person_key(row.Text(2));
  p.set_id_masked(row.Text(3));
  p.set_name_masked(row.Text(4));
  p.set_name(row.Text(5));
  p.set_kind(static_cast<v1::PassKind>(row.Int(6)));
  if (std::optional<absl::Time> t = row.OptionalTime(7)) {
    *p.mutable_valid_until() = time::ToTimestamp(*t);
  }
  *p.mutable_issued_at() = time::ToTimestamp(row.Time(8));
  p.set_issued_by(row.Text(9));
  if (std::optional<absl::Time> t = row.OptionalTime(10)) {
    p.set_revoked(true);
    *p.mutable_revoked_at() = time::ToTimestamp(*t);
  }
  return p;
}

DayFigures DayFromRow(const sql::Row& row) {
  DayFigures d;
  d.entries = row.Int(1);
  d.exits = row.Int(2);
  d.denied = row.Int(3);
  d.fevers = row.Int(4);
  d.denied_by_reason = {{v1::DENY_REASON_FEVER, row.Int(4)},
                        {v1::DENY_REASON_NO_VALID_PASS, row.Int(5)},
                        {v1::DENY_REASON_UNDER_OBSERVATION, row.Int(6)},
                        {v1::DENY_REASON_VEHICLE_NOT_ALLOWED, row.Int(7)},
                        {v1::DENY_REASON_SITE_FULL, row.Int(8)},
                        {v1::DENY_REASON_NO_HEALTH_REPORT, row.Int(11)}};
  d.peak_onsite = row.Int(9);
  d.onsite_end = row.Int(10);
  return d;
}

CurrentDuty DutyFromRow(const sql::Row& row) {
  return CurrentDuty{.duty_id = row.Int(0),
                     .site_id = row.Text(1),
                     .gate_id = row.Text(2),
                     .guard = row.Text(3),
                     .started_at = row.Time(4)};
}

constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();

// Page size and keyset position of a List request, as INVALID_ARGUMENT naming the field.
absl::StatusOr<int> PageSizeOf(int64_t requested) {
  absl::StatusOr<int> size = sql::PageSize(requested);
  if (!size.ok()) return server::InvalidField("page_size", "must not be negative");
  return size;
}
absl::StatusOr<std::vector<sql::Value>> PagePosition(absl::string_view scope,
                                                     absl::string_view token) {
  absl::StatusOr<std::vector<sql::Value>> after = sql::DecodePageToken(scope, token, 2);
  if (!after.ok()) {
    return server::InvalidField("page_token", "is not a next_page_token of this list");
  }
  return after;
}

}  // namespace

std::span<const sql::Migration> Migrations() { return MigrationList(); }

// ---- Facts -----------------------------------------------------------------------------------

void PrefetchPassageFacts(sql::Session& session, absl::string_view site_id,
                          absl::string_view person_key, absl::string_view plate, absl::Time at) {
  // The text and parameters of ReadPassageFacts with a seq, exactly (or it is not matched).
  session.Prefetch(SelectPassageFactsAndSeq(session.dialect()), {site_id, person_key, at, plate});
}

absl::StatusOr<PassageFacts> ReadPassageFacts(sql::Session& session, absl::string_view site_id,
                                              absl::string_view person_key, absl::string_view plate,
                                              absl::Time at, int64_t* next_seq) {
  ASSIGN_OR_RETURN(
      std::optional<sql::Row> row,
      session.QueryRow(next_seq != nullptr
                           ? absl::string_view(SelectPassageFactsAndSeq(session.dialect()))
                           : absl::string_view(kSelectPassageFacts),
                       {site_id, person_key, at, plate}));
  if (!row.has_value()) return absl::InternalError("the passage facts could not be read");
  if (next_seq != nullptr) *next_seq = row->Int(7);
  PassageFacts facts;
  facts.onsite = row->IsNull(0) ? 0 : row->Int(0);
  facts.inside = !row->IsNull(1) && row->Bool(1);
  facts.has_valid_pass = row->Bool(2);
  facts.under_hold = row->Bool(3);
  facts.vehicle_registered = row->Bool(4);
  facts.health_report_expected = !row->IsNull(5) && row->Bool(5);
  if (!row->IsNull(6)) facts.last_report_date = row->Text(6);
  return facts;
}

// ---- Passages --------------------------------------------------------------------------------

absl::Status StorePassage(sql::Session& session, const v1::Passage& p) {
  return session.ExecuteDeferred(
      kStorePassage,
      {p.passage_id(), p.site_id(), p.gate_id(), static_cast<int64_t>(p.direction()),
       static_cast<int64_t>(p.decision()), static_cast<int64_t>(p.deny_reason()), p.person_key(),
       p.id_masked(), p.name_masked(), p.temperature_c(), p.vehicle_plate(), p.pass_code(),
       time::FromTimestamp(p.captured_at()), time::FromTimestamp(p.recorded_at()), p.guard(),
       absl::StrJoin(p.warnings(), ","), p.seq()});
}

absl::StatusOr<std::vector<v1::Passage>> PassagesAfter(sql::Session& session, int64_t after_seq,
                                                       absl::string_view site_id, int limit) {
  const sql::Value after = after_seq;
  const sql::Value max = static_cast<int64_t>(std::max(limit, 0));
  absl::StatusOr<sql::Result> rows =
      site_id.empty() ? session.Execute(kPassagesAfter, {after, max})
                      : session.Execute(kSitePassagesAfter, {after, max, site_id});
  ASSIGN_OR_RETURN(sql::Result result, std::move(rows));
  std::vector<v1::Passage> out;
  out.reserve(result.rows.size());
  for (auto it = result.rows.rbegin(); it != result.rows.rend(); ++it) {
    out.push_back(PassageFromRow(*it));
  }
  return out;
}

absl::StatusOr<int64_t> LatestPassageSeq(sql::Session& session) {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, session.QueryRow(kLatestPassageSeq));
  return row.has_value() ? row->Int(0) : 0;
}

absl::StatusOr<std::optional<v1::Passage>> FindPassage(sql::Session& session,
                                                       absl::string_view passage_id) {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, session.QueryRow(kPassageById, {passage_id}));
  if (!row.has_value()) return std::nullopt;
  return PassageFromRow(*row);
}

absl::Status SetPresence(sql::Session& session, const v1::Passage& passage, bool inside,
                         absl::Time at) {
  if (!inside) {
    return session.ExecuteDeferred(kUpsertPresence, {passage.site_id(), passage.person_key(), false,
                                                     at, "", "", "", absl::UnixEpoch()});
  }
  return session.ExecuteDeferred(
      kUpsertPresence,
      {passage.site_id(), passage.person_key(), true, at, passage.id_masked(),
       passage.name_masked(), passage.gate_id(), time::FromTimestamp(passage.captured_at())});
}

absl::StatusOr<v1::ListOnsiteResponse> ListOnsite(sql::Session& session, absl::string_view site_id,
                                                  int64_t page_size, absl::string_view page_token) {
  constexpr char kScope[] = "ListOnsite";
  ASSIGN_OR_RETURN(int size, PageSizeOf(page_size));
  ASSIGN_OR_RETURN(std::vector<sql::Value> after, PagePosition(kScope, page_token));
  const int64_t after_at = after.empty() ? std::numeric_limits<int64_t>::min() : after[0].AsInt();
  const std::string after_key = after.empty() ? "" : after[1].AsText();
  ASSIGN_OR_RETURN(
      sql::Result result,
      session.Execute(kListOnsite, {site_id, after_at, after_key, static_cast<int64_t>(size) + 1}));
  v1::ListOnsiteResponse out;
  for (size_t i = 0; i < result.rows.size() && i < static_cast<size_t>(size); ++i) {
    const sql::Row& row = result.rows[i];
    v1::OnsitePerson* person = out.add_people();
    person->set_person_key(row.Text(0));
    person->set_id_masked(row.Text(1));
    person->set_name_masked(row.Text(2));
    person->set_entry_gate_id(row.Text(3));
    *person->mutable_since() = time::ToTimestamp(row.Time(4));
  }
  if (result.rows.size() > static_cast<size_t>(size)) {
    const sql::Row& last = result.rows[size - 1];
    out.set_next_page_token(sql::EncodePageToken(kScope, {last.Int(4), last.Text(0)}));
  }
  return out;
}

absl::StatusOr<int64_t> Onsite(sql::Session& session, absl::string_view site_id) {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, session.QueryRow(kSelectOnsite, {site_id}));
  return row.has_value() ? row->Int(0) : 0;
}

absl::StatusOr<std::map<std::string, int64_t>> AllOnsite(sql::Session& session) {
  ASSIGN_OR_RETURN(sql::Result result, session.Execute(kSelectAllOnsite));
  std::map<std::string, int64_t> out;
  for (const sql::Row& row : result.rows) out[row.Text(0)] = row.Int(1);
  return out;
}

absl::Status SetOnsite(sql::Session& session, absl::string_view site_id, int64_t onsite) {
  return session.ExecuteDeferred(kUpsertOnsite, {site_id, onsite});
}

absl::Status CountPassage(sql::Session& session, absl::string_view site_id, absl::string_view day,
                          v1::Direction direction, const Verdict& v) {
  auto one = [](bool b) -> int64_t { return b ? 1 : 0; };
  const bool entry = direction == v1::DIRECTION_ENTRY;
  auto reason = [&](v1::DenyReason r) { return one(v.deny_reason == r); };
  const int64_t peak = std::max(v.onsite_before, v.onsite_after);
  return session.ExecuteDeferred(
      kCountPassage,
      {site_id, day, one(v.admitted() && entry), one(v.admitted() && !entry), one(!v.admitted()),
       reason(v1::DENY_REASON_FEVER), reason(v1::DENY_REASON_NO_VALID_PASS),
       reason(v1::DENY_REASON_UNDER_OBSERVATION), reason(v1::DENY_REASON_VEHICLE_NOT_ALLOWED),
       reason(v1::DENY_REASON_SITE_FULL), peak, v.onsite_after,
       reason(v1::DENY_REASON_NO_HEALTH_REPORT)});
}

absl::StatusOr<std::map<std::string, DayFigures>> FiguresOfDay(sql::Session& session,
                                                               absl::string_view day) {
  ASSIGN_OR_RETURN(sql::Result result, session.Execute(SelectDay(), {day}));
  std::map<std::string, DayFigures> out;
  for (const sql::Row& row : result.rows) out[row.Text(0)] = DayFromRow(row);
  return out;
}

absl::StatusOr<std::optional<DayFigures>> SiteFiguresOfDay(sql::Session& session,
                                                           absl::string_view site_id,
                                                           absl::string_view day) {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, session.QueryRow(SelectSiteDay(), {site_id, day}));
  if (!row.has_value()) return std::nullopt;
  return DayFromRow(*row);
}

absl::StatusOr<int64_t> OnsiteCarriedInto(sql::Session& session, absl::string_view site_id,
                                          absl::string_view day) {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row,
                   session.QueryRow(kSelectCarriedOnsite, {site_id, day}));
  return row.has_value() ? row->Int(0) : 0;
}

absl::StatusOr<v1::ListPassagesResponse> ListPassages(sql::Session& session,
                                                      const PassageFilter& filter) {
  constexpr char kScope[] = "ListPassages";
  ASSIGN_OR_RETURN(int size, PageSizeOf(filter.page_size));
  ASSIGN_OR_RETURN(std::vector<sql::Value> after, PagePosition(kScope, filter.page_token));
  const int64_t after_at = after.empty() ? kMaxInt64 : after[0].AsInt();
  const int64_t after_seq = after.empty() ? kMaxInt64 : after[1].AsInt();
  const sql::Value site = filter.site_id;
  const sql::Value decision = static_cast<int64_t>(filter.decision);
  const sql::Value start = filter.start;
  // end_time is exclusive and stored instants are whole microseconds: the last one before it.
  const int64_t end_micros = absl::ToUnixMicros(filter.end);  // rounded down, saturating
  const int64_t before_end =
      end_micros == kMaxInt64 || absl::FromUnixMicros(end_micros) < filter.end ? end_micros
                                                                               : end_micros - 1;
  const sql::Value end = std::min(before_end, after_at);
  const sql::Value limit = static_cast<int64_t>(size) + 1;
  absl::StatusOr<sql::Result> rows;
  if (!filter.person_key.empty()) {
    rows = session.Execute(ListPassagesByPerson(), {site, decision, start, end, after_at, after_seq,
                                                    limit, filter.person_key, filter.gate_id});
  } else if (!filter.gate_id.empty()) {
    rows = session.Execute(ListPassagesByGate(), {site, decision, start, end, after_at, after_seq,
                                                  limit, filter.gate_id});
  } else {
    rows = session.Execute(ListPassagesBySite(),
                           {site, decision, start, end, after_at, after_seq, limit});
  }
  ASSIGN_OR_RETURN(sql::Result result, std::move(rows));
  v1::ListPassagesResponse out;
  for (size_t i = 0; i < result.rows.size() && i < static_cast<size_t>(size); ++i) {
    *out.add_passages() = PassageFromRow(result.rows[i]);
  }
  if (result.rows.size() > static_cast<size_t>(size)) {
    const sql::Row& last = result.rows[size - 1];
    out.set_next_page_token(sql::EncodePageToken(kScope, {last.Int(12), last.Int(15)}));
  }
  return out;
}

// ---- Passes ----------------------------------------------------------------------------------

absl::Status InsertPass(sql::Session& session, const v1::Pass& p) {
  std::optional<absl::Time> valid_until;
  if (p.has_valid_until()) valid_until = time::FromTimestamp(p.valid_until());
  return session
      .Execute(kInsertPass,
               {p.pass_code(), p.site_id(), p.person_key(), p.id_masked(), p.name_masked(),
                p.name(), static_cast<int64_t>(p.kind()), sql::Value(valid_until),
                time::FromTimestamp(p.issued_at()), p.issued_by()})
      .status();
}

absl::StatusOr<std::optional<v1::Pass>> FindPass(sql::Session& session, absl::string_view code) {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, session.QueryRow(SelectPass(), {code}));
  if (!row.has_value()) return std::nullopt;
  return PassFromRow(*row);
}

void PrefetchPass(sql::Session& session, absl::string_view code) {
  session.Prefetch(SelectPass(), {code});  // FindPass's text and parameters, exactly
}

absl::Status RevokePass(sql::Session& session, absl::string_view code, absl::Time at,
                        absl::string_view reason) {
  return session.Execute(kRevokePass, {code, at, reason}).status();
}

absl::StatusOr<v1::ListPassesResponse> ListPasses(sql::Session& session, absl::string_view site_id,
                                                  absl::string_view person_key,
                                                  bool include_inactive, absl::Time now,
                                                  int64_t page_size, absl::string_view page_token) {
  constexpr char kScope[] = "ListPasses";
  ASSIGN_OR_RETURN(int size, PageSizeOf(page_size));
  ASSIGN_OR_RETURN(std::vector<sql::Value> after, PagePosition(kScope, page_token));
  const int64_t after_at = after.empty() ? kMaxInt64 : after[0].AsInt();
  // "~" sorts after every pass code character.
  const std::string after_code = after.empty() ? "~" : after[1].AsText();
  ASSIGN_OR_RETURN(
      sql::Result result,
      session.Execute(ListPassesSql(), {site_id, person_key, include_inactive, now, after_at,
                                        after_code, static_cast<int64_t>(size) + 1}));
  v1::ListPassesResponse out;
  for (size_t i = 0; i < result.rows.size() && i < static_cast<size_t>(size); ++i) {
    *out.add_passes() = PassFromRow(result.rows[i]);
  }
  if (result.rows.size() > static_cast<size_t>(size)) {
    const sql::Row& last = result.rows[size - 1];
    out.set_next_page_token(sql::EncodePageToken(kScope, {last.Int(8), last.Text(0)}));
  }
  return out;
}

// ---- Holds -----------------------------------------------------------------------------------

absl::StatusOr<std::optional<v1::Hold>> FindHold(sql::Session& session,
                                                 absl::string_view person_key) {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, session.QueryRow(kSelectHold, {person_key}));
  if (!row.has_value()) return std::nullopt;
  v1::Hold h;
  h.set_person_key(row->Text(0));
  h.set_reason(row->Text(1));
  *h.mutable_until() = time::ToTimestamp(row->Time(2));
  *h.mutable_placed_at() = time::ToTimestamp(row->Time(3));
  h.set_placed_by(row->Text(4));
  if (std::optional<absl::Time> t = row->OptionalTime(5)) {
    h.set_released(true);
    *h.mutable_released_at() = time::ToTimestamp(*t);
  }
  return h;
}

absl::Status SaveHold(sql::Session& session, const v1::Hold& h) {
  std::optional<absl::Time> released_at;
  if (h.released()) released_at = time::FromTimestamp(h.released_at());
  return session
      .Execute(kUpsertHold,
               {h.person_key(), h.reason(), time::FromTimestamp(h.until()),
                time::FromTimestamp(h.placed_at()), h.placed_by(), sql::Value(released_at)})
      .status();
}

// ---- Vehicles --------------------------------------------------------------------------------

absl::Status InsertVehicle(sql::Session& session, const v1::Vehicle& v) {
  return session
      .Execute(kInsertVehicle, {v.site_id(), v.plate(), v.owner_person_key(),
                                time::FromTimestamp(v.registered_at()), v.registered_by()})
      .status();
}

// ---- Duty ------------------------------------------------------------------------------------

absl::StatusOr<std::optional<CurrentDuty>> DutyAtGate(sql::Session& session,
                                                      absl::string_view site_id,
                                                      absl::string_view gate_id) {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row,
                   session.QueryRow(SelectDutyAtGate(), {site_id, gate_id}));
  if (!row.has_value()) return std::nullopt;
  return DutyFromRow(*row);
}

absl::StatusOr<std::optional<CurrentDuty>> DutyOfGuard(sql::Session& session,
                                                       absl::string_view guard) {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, session.QueryRow(SelectDutyOfGuard(), {guard}));
  if (!row.has_value()) return std::nullopt;
  return DutyFromRow(*row);
}

absl::StatusOr<std::vector<CurrentDuty>> AllCurrentDuties(sql::Session& session) {
  ASSIGN_OR_RETURN(sql::Result result, session.Execute(SelectAllDuties()));
  std::vector<CurrentDuty> out;
  out.reserve(result.rows.size());
  for (const sql::Row& row : result.rows) out.push_back(DutyFromRow(row));
  return out;
}

absl::StatusOr<CurrentDuty> StartDutyAt(sql::Session& session, absl::string_view site_id,
                                        absl::string_view gate_id, absl::string_view guard,
                                        absl::Time at) {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row,
                   session.QueryRow(kInsertDuty, {site_id, gate_id, guard, at}));
  if (!row.has_value()) return absl::InternalError("the new duty got no id");
  CurrentDuty duty{.duty_id = row->Int(0),
                   .site_id = std::string(site_id),
                   .gate_id = std::string(gate_id),
                   .guard = std::string(guard),
                   .started_at = at};
  RETURN_IF_ERROR(
      session.Execute(kInsertCurrentDuty, {site_id, gate_id, guard, at, duty.duty_id}).status());
  return duty;
}

absl::Status EndDutyAt(sql::Session& session, const CurrentDuty& duty, absl::Time at) {
  RETURN_IF_ERROR(session.Execute(kEndDuty, {duty.duty_id, at}).status());
  return session.Execute(kDeleteCurrentDuty, {duty.site_id, duty.gate_id}).status();
}

absl::StatusOr<std::vector<DutyInterval>> DutiesOverlapping(sql::Session& session,
                                                            absl::string_view site_id,
                                                            absl::Time start, absl::Time end) {
  ASSIGN_OR_RETURN(sql::Result result,
                   session.Execute(kSelectDutiesOverlapping, {site_id, end, start}));
  std::vector<DutyInterval> out;
  out.reserve(result.rows.size());
  for (const sql::Row& row : result.rows) {
    out.push_back(DutyInterval{row.Text(0), row.Time(1), row.OptionalTime(2)});
  }
  return out;
}

// ---- Health-report notes ---------------------------------------------------------------------

absl::StatusOr<std::optional<HealthNote>> FindHealthNote(sql::Session& session,
                                                         absl::string_view person_key) {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, session.QueryRow(kSelectHealthNote, {person_key}));
  if (!row.has_value()) return std::nullopt;
  return HealthNote{.expected = row->Bool(0), .last_report_date = row->Text(1)};
}

absl::Status SaveHealthNote(sql::Session& session, absl::string_view person_key,
                            const HealthNote& note, absl::Time at) {
  return session.Execute(kUpsertHealthNote, {person_key, note.expected, note.last_report_date, at})
      .status();
}

}  // namespace lianfang::gate
