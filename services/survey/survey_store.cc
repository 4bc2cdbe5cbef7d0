#include "services/survey/survey_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/sql/page_token.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"
#include "google/protobuf/timestamp.pb.h"
#include "services/survey/risk_versions.h"
#include "services/survey/gap_job.h"

namespace lianfang::survey {
namespace {

// ---- Schema ---------------------------------------------------------------------------------
// Portable DDL: SQLite maps BIGINT/INTEGER to INTEGER and DOUBLE PRECISION to REAL. Times are
// microseconds since the epoch, booleans 0/1, calendar days "YYYY-MM-DD" text (which sorts
// as dates do).
const sql::Migration kMigrations[] = {
    {.version = 1,
     .name = "create survey tables",
     .sql = "CREATE TABLE survey_households ("
            " household_id TEXT PRIMARY KEY,"
            " site_id TEXT NOT NULL,"
            " building TEXT NOT NULL,"
            " unit TEXT NOT NULL,"
            " room TEXT NOT NULL,"
            " kind INTEGER NOT NULL,"
            " landlord_name TEXT NOT NULL,"
            " landlord_phone TEXT NOT NULL,"
            " created_at BIGINT NOT NULL,"
            " updated_at BIGINT NOT NULL,"
            " surveyed_at BIGINT,"
            " surveyed_by TEXT NOT NULL,"
            " first_surveyed_at BIGINT,"
            " resident_count INTEGER NOT NULL);"
            "CREATE UNIQUE INDEX survey_households_address"
            " ON survey_households (site_id, building, unit, room);"
            "CREATE TABLE survey_visits ("
            " household_id TEXT NOT NULL,"
            " site_id TEXT NOT NULL,"
            " visited_at BIGINT NOT NULL,"
            " visited_by TEXT NOT NULL);"
            "CREATE INDEX survey_visits_site ON survey_visits (site_id, visited_at);"
            "CREATE TABLE survey_people ("
            " person_key TEXT PRIMARY KEY,"
            " id_masked TEXT NOT NULL,"
            " name TEXT NOT NULL,"
            " name_masked TEXT NOT NULL,"
            " phone TEXT NOT NULL,"
            " phone_masked TEXT NOT NULL,"
            " updated_at BIGINT NOT NULL);"
            "CREATE TABLE survey_residents ("
            " resident_id TEXT PRIMARY KEY,"
            " household_id TEXT NOT NULL,"
            " site_id TEXT NOT NULL,"
            " person_key TEXT NOT NULL,"
            " relation TEXT NOT NULL,"
            " is_tenant INTEGER NOT NULL,"
            " tenant_status INTEGER NOT NULL,"
            " verification_note TEXT NOT NULL,"
            " decided_at BIGINT,"
            " decided_by TEXT NOT NULL,"
            " registered_at BIGINT NOT NULL,"
            " registered_by TEXT NOT NULL);"
            "CREATE UNIQUE INDEX survey_residents_member"
            " ON survey_residents (household_id, person_key);"
            "CREATE INDEX survey_residents_site"
            " ON survey_residents (site_id, registered_at, resident_id);"
            "CREATE INDEX survey_residents_person ON survey_residents (person_key, registered_at);"
            "CREATE TABLE survey_movements ("
            " movement_id TEXT PRIMARY KEY,"
            " person_key TEXT NOT NULL,"
            " site_id TEXT NOT NULL,"
            " from_region TEXT NOT NULL,"
            " arrived_on TEXT NOT NULL,"
            " transport TEXT NOT NULL,"
            " note TEXT NOT NULL,"
            " observation_id TEXT NOT NULL,"
            " recorded_at BIGINT NOT NULL,"
            " recorded_by TEXT NOT NULL);"
            "CREATE INDEX survey_movements_site ON survey_movements (site_id, recorded_at);"
            "CREATE INDEX survey_movements_person ON survey_movements (person_key, recorded_at);"
            "CREATE TABLE survey_observations ("
            " observation_id TEXT PRIMARY KEY,"
            " person_key TEXT NOT NULL,"
            " site_id TEXT NOT NULL,"
            " from_region TEXT NOT NULL,"
            " start_date TEXT NOT NULL,"
            " end_date TEXT NOT NULL,"
            " opened_at BIGINT NOT NULL,"
            " ended_at BIGINT,"
            " ended_on TEXT,"
            " ended_by TEXT NOT NULL,"
            " end_note TEXT NOT NULL);"
            "CREATE INDEX survey_observations_person"
            " ON survey_observations (person_key, end_date);"
            "CREATE INDEX survey_observations_site"
            " ON survey_observations (site_id, end_date, observation_id);"
            "CREATE INDEX survey_observations_opened ON survey_observations (site_id, opened_at);"
            "CREATE TABLE survey_reports ("
            " person_key TEXT NOT NULL,"
            " date TEXT NOT NULL,"
            " report_id TEXT NOT NULL,"
            " site_id TEXT NOT NULL,"
            " temperature_c DOUBLE PRECISION NOT NULL,"
            " symptoms TEXT NOT NULL,"
            " note TEXT NOT NULL,"
            " submitted_at BIGINT NOT NULL,"
            " submitted_by TEXT NOT NULL,"
            " fever INTEGER NOT NULL,"
            " revision INTEGER NOT NULL,"
            " name_masked TEXT NOT NULL,"
            " PRIMARY KEY (person_key, date));"
            "CREATE INDEX survey_reports_date ON survey_reports (date, person_key);"
            "CREATE TABLE survey_report_history ("
            " report_id TEXT PRIMARY KEY,"
            " person_key TEXT NOT NULL,"
            " date TEXT NOT NULL,"
            " site_id TEXT NOT NULL,"
            " temperature_c DOUBLE PRECISION NOT NULL,"
            " symptoms TEXT NOT NULL,"
            " note TEXT NOT NULL,"
            " submitted_at BIGINT NOT NULL,"
            " submitted_by TEXT NOT NULL,"
            " fever INTEGER NOT NULL,"
            " revision INTEGER NOT NULL,"
            " name_masked TEXT NOT NULL);"
            "CREATE UNIQUE INDEX survey_report_history_person"
            " ON survey_report_history (person_key, date, revision);"
            "CREATE TABLE survey_fever_followups ("
            " person_key TEXT NOT NULL,"
            " date TEXT NOT NULL,"
            " report_id TEXT NOT NULL,"
            " raised_at BIGINT NOT NULL,"
            " PRIMARY KEY (person_key, date))"},
    // Health reports are deleted after the retention period (services/survey/retention.h);
    // their per-site, per-day figures are kept here first, so old days' statistics stay right.
    {.version = 2,
     .name = "keep health report figures of purged days",
     .sql = "CREATE TABLE survey_report_days ("
            " site_id TEXT NOT NULL,"
            " date TEXT NOT NULL,"
            " health_reports BIGINT NOT NULL,"
            " fever_reports BIGINT NOT NULL,"
            " PRIMARY KEY (site_id, date))"},
    // The code of the pass gate issued for a resident, stored when the outbox delivered the
    // IssuePass (services/survey/pass_codes.h); '' until then.
    {.version = 3,
     .name = "residents keep the code of their gate pass",
     .sql = "ALTER TABLE survey_residents ADD COLUMN pass_code TEXT NOT NULL DEFAULT ''"},
    // --- follow-up rules (gap_job.h) ---
    // The tasks the follow-up rules already raised (missing reports per household and day,
    // tenant verification per resident), claimed in the transaction that queues them.
    {.version = 4, .name = "follow-up tasks already raised", .sql = kGapTasksMigrationSql},
    // The versions of the risk-region list (services/survey/risk_versions.h).
    RiskVersionsMigration(),
};

// ---- Households -----------------------------------------------------------------------------
#define LF_HOUSEHOLD_COLUMNS                                                          \
  "household_id, site_id, building, unit, room, kind, landlord_name, landlord_phone," \
  " surveyed_at, surveyed_by, resident_count"

constexpr char kSelectHousehold[] =
    "SELECT " LF_HOUSEHOLD_COLUMNS " FROM survey_households WHERE household_id = $1";
constexpr char kSelectHouseholdAt[] =
    "SELECT " LF_HOUSEHOLD_COLUMNS
    " FROM survey_households"
    " WHERE site_id = $1 AND building = $2 AND unit = $3 AND room = $4";
constexpr char kInsertHousehold[] =
    "INSERT INTO survey_households (household_id, site_id, building, unit, room, kind,"
    " landlord_name, landlord_phone, created_at, updated_at, surveyed_at, surveyed_by,"
    " first_surveyed_at, resident_count)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, NULL, '', NULL, 0)";
constexpr char kUpdateHousehold[] =
    "UPDATE survey_households SET building = $2, unit = $3, room = $4, kind = $5,"
    " landlord_name = $6, landlord_phone = $7, updated_at = $8 WHERE household_id = $1";
constexpr char kMarkSurveyed[] =
    "UPDATE survey_households SET surveyed_at = $2, surveyed_by = $3,"
    " first_surveyed_at = COALESCE(first_surveyed_at, $2) WHERE household_id = $1";
constexpr char kInsertVisit[] =
    "INSERT INTO survey_visits (household_id, site_id, visited_at, visited_by)"
    " VALUES ($1, $2, $3, $4)";
constexpr char kListHouseholds[] =
    "SELECT " LF_HOUSEHOLD_COLUMNS
    " FROM survey_households"
    " WHERE site_id = $1 AND ($2 = '' OR building = $2) AND ($3 = 0 OR surveyed_at IS NULL)"
    " AND ($4 = 0 OR (building, unit, room, household_id) > ($5, $6, $7, $8))"
    " ORDER BY building, unit, room, household_id LIMIT $9";
constexpr char kCountResidentOfHousehold[] =
    "UPDATE survey_households SET resident_count = resident_count + 1 WHERE household_id = $1";

// ---- People ---------------------------------------------------------------------------------
constexpr char kUpsertPerson[] =
    "INSERT INTO survey_people (person_key, id_masked, name, name_masked, phone, phone_masked,"
    " updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    " ON CONFLICT (person_key) DO UPDATE SET id_masked = excluded.id_masked,"
    " name = CASE WHEN excluded.name = '' THEN survey_people.name ELSE excluded.name END,"
    " name_masked = CASE WHEN excluded.name = '' THEN survey_people.name_masked"
    "   ELSE excluded.name_masked END,"
    " phone = CASE WHEN excluded.phone = '' THEN survey_people.phone ELSE excluded.phone END,"
    " phone_masked = CASE WHEN excluded.phone = '' THEN survey_people.phone_masked"
    "   ELSE excluded.phone_masked END,"
    " updated_at = excluded.updated_at";
constexpr char kSelectPerson[] =
    "SELECT person_key, id_masked, name, name_masked, phone, phone_masked FROM survey_people"
    " WHERE person_key = $1";

// ---- Residents ------------------------------------------------------------------------------
#define LF_RESIDENT_COLUMNS                                                          \
  "r.resident_id, r.household_id, r.site_id, r.person_key, r.relation, r.is_tenant," \
  " r.tenant_status, r.verification_note, r.registered_at, p.id_masked, p.name,"     \
  " p.name_masked, p.phone, p.phone_masked, r.pass_code"
#define LF_RESIDENT_FROM \
  " FROM survey_residents r LEFT JOIN survey_people p ON p.person_key = r.person_key"

constexpr char kSelectResident[] =
    "SELECT " LF_RESIDENT_COLUMNS LF_RESIDENT_FROM " WHERE r.resident_id = $1";
constexpr char kSelectMembership[] =
    "SELECT 1 FROM survey_residents WHERE household_id = $1 AND person_key = $2";
constexpr char kInsertResident[] =
    "INSERT INTO survey_residents (resident_id, household_id, site_id, person_key, relation,"
    " is_tenant, tenant_status, verification_note, decided_at, decided_by, registered_at,"
    " registered_by) VALUES ($1, $2, $3, $4, $5, $6, $7, '', NULL, '', $8, $9)";
constexpr char kDecideTenant[] =
    "UPDATE survey_residents SET tenant_status = $2, verification_note = $3, decided_at = $4,"
    " decided_by = $5 WHERE resident_id = $1";
constexpr char kSetPassCode[] = "UPDATE survey_residents SET pass_code = $2 WHERE resident_id = $1";
constexpr char kSelectResidences[] =
    "SELECT resident_id, household_id, site_id FROM survey_residents WHERE person_key = $1"
    " ORDER BY registered_at, resident_id";
constexpr char kListResidents[] = "SELECT " LF_RESIDENT_COLUMNS LF_RESIDENT_FROM
                                  " WHERE r.site_id = $1 AND ($2 = '' OR r.household_id = $2)"
                                  " AND ($3 = 0 OR r.tenant_status = $3)"
                                  " AND ($4 = 0 OR (r.registered_at, r.resident_id) > ($5, $6))"
                                  " ORDER BY r.registered_at, r.resident_id LIMIT $7";
constexpr char kListMissing[] = "SELECT " LF_RESIDENT_COLUMNS LF_RESIDENT_FROM
                                " WHERE r.site_id = $1 AND r.registered_at < $2"
                                " AND NOT EXISTS (SELECT 1 FROM survey_reports h"
                                "   WHERE h.person_key = r.person_key AND h.date = $3)"
                                " AND ($4 = 0 OR (r.registered_at, r.resident_id) > ($5, $6))"
                                " ORDER BY r.registered_at, r.resident_id LIMIT $7";

// ---- Movements and observations -------------------------------------------------------------
constexpr char kInsertMovement[] =
    "INSERT INTO survey_movements (movement_id, person_key, site_id, from_region, arrived_on,"
    " transport, note, observation_id, recorded_at, recorded_by)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
#define LF_OBSERVATION_COLUMNS                                                          \
  "o.observation_id, o.person_key, o.site_id, o.from_region, o.start_date, o.end_date," \
  " o.ended_at, p.name, p.name_masked"
#define LF_OBSERVATION_FROM \
  " FROM survey_observations o LEFT JOIN survey_people p ON p.person_key = o.person_key"
constexpr char kSelectOpenObservation[] =
    "SELECT " LF_OBSERVATION_COLUMNS LF_OBSERVATION_FROM
    " WHERE o.person_key = $1 AND o.ended_at IS NULL AND o.end_date >= $2"
    " ORDER BY o.end_date DESC LIMIT 1";
constexpr char kSelectAnyObservation[] =
    "SELECT 1 FROM survey_observations WHERE person_key = $1 LIMIT 1";
constexpr char kInsertObservation[] =
    "INSERT INTO survey_observations (observation_id, person_key, site_id, from_region,"
    " start_date, end_date, opened_at, ended_at, ended_on, ended_by, end_note)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, '', '')";
constexpr char kExtendObservation[] =
    "UPDATE survey_observations SET end_date = $2 WHERE observation_id = $1";
constexpr char kEndObservation[] =
    "UPDATE survey_observations SET ended_at = $2, ended_on = $3, ended_by = $4, end_note = $5"
    " WHERE observation_id = $1";
constexpr char kListObservations[] =
    "SELECT " LF_OBSERVATION_COLUMNS LF_OBSERVATION_FROM
    " WHERE o.site_id = $1 AND o.start_date <= $2 AND o.end_date >= $2"
    " AND (o.ended_on IS NULL OR o.ended_on > $2)"
    " AND ($3 = 0 OR (o.end_date, o.observation_id) > ($4, $5))"
    " ORDER BY o.end_date, o.observation_id LIMIT $6";

// ---- Health reports -------------------------------------------------------------------------
#define LF_REPORT_COLUMNS                                                              \
  "report_id, person_key, date, temperature_c, symptoms, note, site_id, submitted_at," \
  " submitted_by, fever, revision, name_masked"
constexpr char kSelectReport[] =
    "SELECT " LF_REPORT_COLUMNS " FROM survey_reports WHERE person_key = $1 AND date = $2";
constexpr char kUpsertReport[] =
    "INSERT INTO survey_reports (" LF_REPORT_COLUMNS
    ")"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    " ON CONFLICT (person_key, date) DO UPDATE SET report_id = excluded.report_id,"
    " temperature_c = excluded.temperature_c, symptoms = excluded.symptoms,"
    " note = excluded.note, site_id = excluded.site_id, submitted_at = excluded.submitted_at,"
    " submitted_by = excluded.submitted_by, fever = excluded.fever,"
    " revision = excluded.revision, name_masked = excluded.name_masked";
constexpr char kInsertReportHistory[] =
    "INSERT INTO survey_report_history (" LF_REPORT_COLUMNS
    ")"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
constexpr char kSelectReportHistory[] = "SELECT " LF_REPORT_COLUMNS
                                        " FROM survey_report_history"
                                        " WHERE person_key = $1 AND date = $2 ORDER BY revision";
constexpr char kClaimFeverFollowup[] =
    "INSERT INTO survey_fever_followups (person_key, date, report_id, raised_at)"
    " VALUES ($1, $2, $3, $4) ON CONFLICT (person_key, date) DO NOTHING";
constexpr char kListReports[] = "SELECT " LF_REPORT_COLUMNS
                                " FROM survey_reports h"
                                " WHERE h.date = $1 AND ($2 = 0 OR h.fever = 1)"
                                " AND EXISTS (SELECT 1 FROM survey_residents r"
                                "   WHERE r.person_key = h.person_key AND r.site_id = $3)"
                                " AND ($4 = 0 OR h.person_key > $5) ORDER BY h.person_key LIMIT $6";

// ---- Figures --------------------------------------------------------------------------------
constexpr char kCountHouseholds[] =
    "SELECT COUNT(*), COUNT(first_surveyed_at) FROM survey_households WHERE site_id = $1";
constexpr char kCountHouseholdsAll[] =
    "SELECT site_id, COUNT(*), COUNT(first_surveyed_at) FROM survey_households"
    " GROUP BY site_id";
#define LF_RESIDENT_FIGURES                                           \
  "COUNT(*), COALESCE(SUM(is_tenant), 0),"                            \
  " COALESCE(SUM(CASE WHEN tenant_status = 2 THEN 1 ELSE 0 END), 0)," \
  " COALESCE(SUM(CASE WHEN tenant_status = 1 THEN 1 ELSE 0 END), 0)"
constexpr char kCountResidents[] =
    "SELECT " LF_RESIDENT_FIGURES " FROM survey_residents WHERE site_id = $1";
constexpr char kCountResidentsAll[] =
    "SELECT site_id, " LF_RESIDENT_FIGURES " FROM survey_residents GROUP BY site_id";
#define LF_ACTIVE_ON_DAY \
  " start_date <= $1 AND end_date >= $1 AND (ended_on IS NULL OR ended_on > $1)"
constexpr char kCountObserved[] =
    "SELECT COUNT(DISTINCT person_key) FROM survey_observations WHERE" LF_ACTIVE_ON_DAY
    " AND site_id = $2";
constexpr char kCountObservedAll[] =
    "SELECT site_id, COUNT(DISTINCT person_key) FROM survey_observations"
    " WHERE" LF_ACTIVE_ON_DAY " GROUP BY site_id";
#define LF_REPORTED_ON_DAY                                           \
  " r.registered_at < $2 AND EXISTS (SELECT 1 FROM survey_reports h" \
  "   WHERE h.person_key = r.person_key AND h.date = $1)"
constexpr char kCountReported[] =
    "SELECT COUNT(*) FROM survey_residents r WHERE" LF_REPORTED_ON_DAY " AND r.site_id = $3";
constexpr char kCountReportedAll[] =
    "SELECT r.site_id, COUNT(*) FROM survey_residents r WHERE" LF_REPORTED_ON_DAY
    " GROUP BY r.site_id";
constexpr char kCountRegisteredBefore[] =
    "SELECT COUNT(*) FROM survey_residents WHERE site_id = $1 AND registered_at < $2";
constexpr char kCountRegisteredBeforeAll[] =
    "SELECT site_id, COUNT(*) FROM survey_residents WHERE registered_at < $1 GROUP BY site_id";

// Daily figures of one site for [$2, $3) (and the day's date $4 where dates matter).
constexpr char kDailyHouseholds[] =
    "SELECT COALESCE(SUM(CASE WHEN created_at < $2 THEN 1 ELSE 0 END), 0),"
    " COALESCE(SUM(CASE WHEN first_surveyed_at < $2 THEN 1 ELSE 0 END), 0)"
    " FROM survey_households WHERE site_id = $1";
constexpr char kDailyVisits[] =
    "SELECT COUNT(DISTINCT household_id) FROM survey_visits"
    " WHERE site_id = $1 AND visited_at >= $2 AND visited_at < $3";
constexpr char kDailyResidents[] =
    "SELECT COALESCE(SUM(CASE WHEN registered_at < $3 THEN 1 ELSE 0 END), 0),"
    " COALESCE(SUM(CASE WHEN registered_at >= $2 AND registered_at < $3 THEN 1 ELSE 0 END), 0),"
    " COALESCE(SUM(CASE WHEN is_tenant = 1 AND registered_at < $3"
    "   AND (decided_at IS NULL OR decided_at >= $3) THEN 1 ELSE 0 END), 0),"
    " COALESCE(SUM(CASE WHEN tenant_status = 2 AND decided_at >= $2 AND decided_at < $3"
    "   THEN 1 ELSE 0 END), 0)"
    " FROM survey_residents WHERE site_id = $1";
constexpr char kDailyMovements[] =
    "SELECT COUNT(*) FROM survey_movements"
    " WHERE site_id = $1 AND recorded_at >= $2 AND recorded_at < $3";
constexpr char kDailyObservationsOpened[] =
    "SELECT COUNT(*) FROM survey_observations"
    " WHERE site_id = $1 AND opened_at >= $2 AND opened_at < $3";
constexpr char kPurgedReportFigures[] =
    "SELECT health_reports, fever_reports FROM survey_report_days"
    " WHERE site_id = $1 AND date = $2";
constexpr char kDailyFeverReports[] =
    "SELECT COUNT(*) FROM survey_residents r WHERE r.site_id = $1 AND r.registered_at < $2"
    " AND EXISTS (SELECT 1 FROM survey_reports h"
    "   WHERE h.person_key = r.person_key AND h.date = $3 AND h.fever = 1)";

#undef LF_HOUSEHOLD_COLUMNS
#undef LF_RESIDENT_COLUMNS
#undef LF_RESIDENT_FROM
#undef LF_OBSERVATION_COLUMNS
#undef LF_OBSERVATION_FROM
#undef LF_REPORT_COLUMNS
#undef LF_RESIDENT_FIGURES
#undef LF_ACTIVE_ON_DAY
#undef LF_REPORTED_ON_DAY

constexpr char kHouseholdsScope[] = "survey.ListHouseholds";
constexpr char kResidentsScope[] = "survey.ListResidents";
constexpr char kMissingScope[] = "survey.ListMissingReports";
constexpr char kObservationsScope[] = "survey.ListObservations";
constexpr char kReportsScope[] = "survey.ListHealthReports";

v1::Household HouseholdOf(const sql::Row& row) {
  v1::Household h;
  h.set_household_id(row.Text(0));
  h.set_site_id(row.Text(1));
  h.set_building(row.Text(2));
  h.set_unit(row.Text(3));
  h.set_room(row.Text(4));
  h.set_kind(static_cast<v1::HouseholdKind>(row.Int(5)));
  h.set_landlord_name(row.Text(6));
  h.set_landlord_phone(row.Text(7));
  h.set_landlord_name_masked(pii::MaskName(row.Text(6)));
  h.set_landlord_phone_masked(row.Text(7).empty() ? "" : pii::MaskPhone(row.Text(7)));
  if (!row.IsNull(8)) *h.mutable_surveyed_at() = time::ToTimestamp(row.Time(8));
  h.set_surveyed_by(row.Text(9));
  h.set_resident_count(static_cast<int32_t>(row.Int(10)));
  return h;
}

v1::Resident ResidentOf(const sql::Row& row) {
  v1::Resident r;
  r.set_resident_id(row.Text(0));
  r.set_household_id(row.Text(1));
  r.set_site_id(row.Text(2));
  r.set_person_key(row.Text(3));
  r.set_relation(row.Text(4));
  r.set_is_tenant(row.Bool(5));
  r.set_tenant_status(static_cast<v1::TenantStatus>(row.Int(6)));
  r.set_verification_note(row.Text(7));
  *r.mutable_registered_at() = time::ToTimestamp(row.Time(8));
  r.set_id_masked(row.Text(9));
  r.set_name(row.Text(10));
  r.set_name_masked(row.Text(11));
  r.set_phone(row.Text(12));
  r.set_phone_masked(row.Text(13));
  r.set_pass_code(row.Text(14));
  return r;
}

ObservationRecord ObservationOf(const sql::Row& row) {
  ObservationRecord o;
  o.observation_id = row.Text(0);
  o.observation.set_person_key(row.Text(1));
  o.observation.set_site_id(row.Text(2));
  o.observation.set_from_region(row.Text(3));
  o.observation.set_start_date(row.Text(4));
  o.observation.set_end_date(row.Text(5));
  if (!row.IsNull(6)) *o.observation.mutable_ended_at() = time::ToTimestamp(row.Time(6));
  o.observation.set_name(row.Text(7));
  o.observation.set_name_masked(row.Text(8));
  return o;
}

v1::HealthReport ReportOf(const sql::Row& row) {
  v1::HealthReport r;
  r.set_report_id(row.Text(0));
  r.set_person_key(row.Text(1));
  r.set_date(row.Text(2));
  r.set_temperature_c(row.Double(3));
  for (v1::Symptom s : DecodeSymptoms(row.Text(4))) r.add_symptoms(s);
  r.set_note(row.Text(5));
  r.set_site_id(row.Text(6));
  *r.mutable_submitted_at() = time::ToTimestamp(row.Time(7));
  r.set_submitted_by(row.Text(8));
  r.set_fever(row.Bool(9));
  r.set_revision(static_cast<int32_t>(row.Int(10)));
  r.set_name_masked(row.Text(11));
  return r;
}

// The first-page flag and the decoded key of a keyset token: {0, placeholders...} for the
// first page, {1, key...} afterwards.
absl::StatusOr<std::vector<sql::Value>> KeysetParams(absl::string_view scope,
                                                     absl::string_view token,
                                                     const std::vector<sql::Value>& first) {
  ASSIGN_OR_RETURN(std::vector<sql::Value> key, sql::DecodePageToken(scope, token, first.size()));
  std::vector<sql::Value> out;
  if (key.empty()) {
    out.push_back(0);
    out.insert(out.end(), first.begin(), first.end());
  } else {
    out.push_back(1);
    out.insert(out.end(), key.begin(), key.end());
  }
  return out;
}

int64_t Count(const std::optional<sql::Row>& row, size_t column = 0) {
  return row.has_value() ? row->Int(column) : 0;
}

}  // namespace

std::span<const sql::Migration> Migrations() { return kMigrations; }

// ---- Households -------------------------------------------------------------------------------

absl::StatusOr<std::optional<v1::Household>> SurveyStore::FindHousehold(
    sql::Session& s, absl::string_view id) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kSelectHousehold, {id}));
  if (!row.has_value()) return std::nullopt;
  return HouseholdOf(*row);
}

absl::StatusOr<std::optional<v1::Household>> SurveyStore::FindHouseholdAt(
    sql::Session& s, const v1::Household& a) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row,
                   s.QueryRow(kSelectHouseholdAt, {a.site_id(), a.building(), a.unit(), a.room()}));
  if (!row.has_value()) return std::nullopt;
  return HouseholdOf(*row);
}

absl::Status SurveyStore::InsertHousehold(sql::Session& s, const v1::Household& h,
                                          absl::Time now) const {
  return s
      .Execute(kInsertHousehold,
               {h.household_id(), h.site_id(), h.building(), h.unit(), h.room(),
                static_cast<int64_t>(h.kind()), h.landlord_name(), h.landlord_phone(), now})
      .status();
}

absl::Status SurveyStore::UpdateHousehold(sql::Session& s, const v1::Household& h,
                                          absl::Time now) const {
  return s
      .Execute(kUpdateHousehold,
               {h.household_id(), h.building(), h.unit(), h.room(), static_cast<int64_t>(h.kind()),
                h.landlord_name(), h.landlord_phone(), now})
      .status();
}

absl::Status SurveyStore::RecordVisit(sql::Session& s, absl::string_view household_id,
                                      absl::string_view site_id, absl::Time now,
                                      absl::string_view subject) const {
  RETURN_IF_ERROR(s.Execute(kMarkSurveyed, {household_id, now, subject}).status());
  return s.Execute(kInsertVisit, {household_id, site_id, now, subject}).status();
}

absl::StatusOr<Page<v1::Household>> SurveyStore::ListHouseholds(
    sql::Session& s, absl::string_view site_id, absl::string_view building, bool only_unsurveyed,
    int page_size, absl::string_view page_token) const {
  ASSIGN_OR_RETURN(std::vector<sql::Value> key,
                   KeysetParams(kHouseholdsScope, page_token, {"", "", "", ""}));
  std::vector<sql::Value> params = {site_id, building, only_unsurveyed};
  params.insert(params.end(), key.begin(), key.end());
  params.push_back(page_size + 1);
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(kListHouseholds, params));
  Page<v1::Household> page;
  for (size_t i = 0; i < result.rows.size() && static_cast<int>(i) < page_size; ++i) {
    page.items.push_back(HouseholdOf(result.rows[i]));
  }
  if (static_cast<int>(result.rows.size()) > page_size) {
    const v1::Household& last = page.items.back();
    page.next_page_token = sql::EncodePageToken(
        kHouseholdsScope, {last.building(), last.unit(), last.room(), last.household_id()});
  }
  return page;
}

// ---- People -----------------------------------------------------------------------------------

absl::Status SurveyStore::UpsertPerson(sql::Session& s, const Person& p, absl::Time now) const {
  return s
      .Execute(kUpsertPerson,
               {p.person_key, p.id_masked, p.name, p.name_masked, p.phone, p.phone_masked, now})
      .status();
}

absl::StatusOr<std::optional<Person>> SurveyStore::FindPerson(sql::Session& s,
                                                              absl::string_view person_key) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kSelectPerson, {person_key}));
  if (!row.has_value()) return std::nullopt;
  return Person{row->Text(0), row->Text(1), row->Text(2), row->Text(3), row->Text(4), row->Text(5)};
}

// ---- Residents --------------------------------------------------------------------------------

absl::StatusOr<std::optional<v1::Resident>> SurveyStore::FindResident(
    sql::Session& s, absl::string_view resident_id) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kSelectResident, {resident_id}));
  if (!row.has_value()) return std::nullopt;
  return ResidentOf(*row);
}

absl::StatusOr<bool> SurveyStore::IsResidentOf(sql::Session& s, absl::string_view household_id,
                                               absl::string_view person_key) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row,
                   s.QueryRow(kSelectMembership, {household_id, person_key}));
  return row.has_value();
}

absl::Status SurveyStore::InsertResident(sql::Session& s, const v1::Resident& r, absl::Time now,
                                         absl::string_view subject) const {
  RETURN_IF_ERROR(
      s.Execute(kInsertResident,
                {r.resident_id(), r.household_id(), r.site_id(), r.person_key(), r.relation(),
                 r.is_tenant(), static_cast<int64_t>(r.tenant_status()), now, subject})
          .status());
  return s.Execute(kCountResidentOfHousehold, {r.household_id()}).status();
}

absl::Status SurveyStore::DecideTenant(sql::Session& s, absl::string_view resident_id,
                                       v1::TenantStatus outcome, absl::string_view note,
                                       absl::Time now, absl::string_view subject) const {
  return s.Execute(kDecideTenant, {resident_id, static_cast<int64_t>(outcome), note, now, subject})
      .status();
}

absl::StatusOr<bool> SurveyStore::SetPassCode(sql::Session& s, absl::string_view resident_id,
                                              absl::string_view pass_code) const {
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(kSetPassCode, {resident_id, pass_code}));
  return result.rows_affected > 0;
}

absl::StatusOr<std::vector<Residence>> SurveyStore::ResidencesOf(
    sql::Session& s, absl::string_view person_key) const {
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(kSelectResidences, {person_key}));
  std::vector<Residence> out;
  for (const sql::Row& row : result.rows) {
    out.push_back(Residence{row.Text(0), row.Text(1), row.Text(2)});
  }
  return out;
}

namespace {

Page<v1::Resident> ResidentPage(absl::string_view scope, const sql::Result& result, int page_size) {
  Page<v1::Resident> page;
  for (size_t i = 0; i < result.rows.size() && static_cast<int>(i) < page_size; ++i) {
    page.items.push_back(ResidentOf(result.rows[i]));
  }
  if (static_cast<int>(result.rows.size()) > page_size) {
    const sql::Row& last = result.rows[page_size - 1];
    page.next_page_token = sql::EncodePageToken(scope, {last.Int(8), last.Text(0)});
  }
  return page;
}

}  // namespace

absl::StatusOr<Page<v1::Resident>> SurveyStore::ListResidents(
    sql::Session& s, absl::string_view site_id, absl::string_view household_id,
    v1::TenantStatus status, int page_size, absl::string_view page_token) const {
  ASSIGN_OR_RETURN(std::vector<sql::Value> key, KeysetParams(kResidentsScope, page_token, {0, ""}));
  std::vector<sql::Value> params = {site_id, household_id, static_cast<int64_t>(status)};
  params.insert(params.end(), key.begin(), key.end());
  params.push_back(page_size + 1);
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(kListResidents, params));
  return ResidentPage(kResidentsScope, result, page_size);
}

absl::StatusOr<Page<v1::Resident>> SurveyStore::ListMissingReports(
    sql::Session& s, absl::string_view site_id, absl::CivilDay day, absl::Time day_end,
    int page_size, absl::string_view page_token) const {
  ASSIGN_OR_RETURN(std::vector<sql::Value> key, KeysetParams(kMissingScope, page_token, {0, ""}));
  std::vector<sql::Value> params = {site_id, day_end, time::FormatDate(day)};
  params.insert(params.end(), key.begin(), key.end());
  params.push_back(page_size + 1);
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(kListMissing, params));
  return ResidentPage(kMissingScope, result, page_size);
}

// ---- Movements and observations ---------------------------------------------------------------

absl::Status SurveyStore::InsertMovement(sql::Session& s, const v1::Movement& m,
                                         absl::string_view observation_id, absl::Time now,
                                         absl::string_view subject) const {
  return s
      .Execute(kInsertMovement,
               {m.movement_id(), m.person_key(), m.site_id(), m.from_region(), m.arrived_on(),
                m.transport(), m.note(), observation_id, now, subject})
      .status();
}

absl::StatusOr<std::optional<ObservationRecord>> SurveyStore::FindOpenObservation(
    sql::Session& s, absl::string_view person_key, absl::CivilDay today) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row,
                   s.QueryRow(kSelectOpenObservation, {person_key, time::FormatDate(today)}));
  if (!row.has_value()) return std::nullopt;
  return ObservationOf(*row);
}

absl::StatusOr<bool> SurveyStore::HasObservation(sql::Session& s,
                                                 absl::string_view person_key) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kSelectAnyObservation, {person_key}));
  return row.has_value();
}

absl::Status SurveyStore::InsertObservation(sql::Session& s, const ObservationRecord& o,
                                            absl::Time now) const {
  const v1::Observation& ob = o.observation;
  return s
      .Execute(kInsertObservation, {o.observation_id, ob.person_key(), ob.site_id(),
                                    ob.from_region(), ob.start_date(), ob.end_date(), now})
      .status();
}

absl::Status SurveyStore::ExtendObservation(sql::Session& s, absl::string_view observation_id,
                                            absl::CivilDay end) const {
  return s.Execute(kExtendObservation, {observation_id, time::FormatDate(end)}).status();
}

absl::Status SurveyStore::EndObservation(sql::Session& s, absl::string_view observation_id,
                                         absl::Time now, absl::CivilDay ended_on,
                                         absl::string_view subject, absl::string_view note) const {
  return s
      .Execute(kEndObservation, {observation_id, now, time::FormatDate(ended_on), subject, note})
      .status();
}

absl::StatusOr<Page<v1::Observation>> SurveyStore::ListObservations(
    sql::Session& s, absl::string_view site_id, absl::CivilDay day, int page_size,
    absl::string_view page_token) const {
  ASSIGN_OR_RETURN(std::vector<sql::Value> key,
                   KeysetParams(kObservationsScope, page_token, {"", ""}));
  std::vector<sql::Value> params = {site_id, time::FormatDate(day)};
  params.insert(params.end(), key.begin(), key.end());
  params.push_back(page_size + 1);
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(kListObservations, params));
  Page<v1::Observation> page;
  for (size_t i = 0; i < result.rows.size() && static_cast<int>(i) < page_size; ++i) {
    page.items.push_back(ObservationOf(result.rows[i]).observation);
  }
  if (static_cast<int>(result.rows.size()) > page_size) {
    const sql::Row& last = result.rows[page_size - 1];
    page.next_page_token = sql::EncodePageToken(kObservationsScope, {last.Text(5), last.Text(0)});
  }
  return page;
}

// ---- Health reports ---------------------------------------------------------------------------

absl::StatusOr<std::optional<v1::HealthReport>> SurveyStore::FindReport(
    sql::Session& s, absl::string_view person_key, absl::CivilDay date) const {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row,
                   s.QueryRow(kSelectReport, {person_key, time::FormatDate(date)}));
  if (!row.has_value()) return std::nullopt;
  return ReportOf(*row);
}

absl::Status SurveyStore::SaveReport(sql::Session& s, const v1::HealthReport& r) const {
  std::vector<v1::Symptom> symptoms;
  for (int v : r.symptoms()) symptoms.push_back(static_cast<v1::Symptom>(v));
  const std::vector<sql::Value> params = {r.report_id(),
                                          r.person_key(),
                                          r.date(),
                                          r.temperature_c(),
                                          EncodeSymptoms(symptoms),
                                          r.note(),
                                          r.site_id(),
                                          time::FromTimestamp(r.submitted_at()),
                                          r.submitted_by(),
                                          r.fever(),
                                          r.revision(),
                                          r.name_masked()};
  RETURN_IF_ERROR(s.Execute(kUpsertReport, params).status());
  return s.Execute(kInsertReportHistory, params).status();
}

absl::StatusOr<bool> SurveyStore::ClaimFeverFollowup(sql::Session& s, absl::string_view person_key,
                                                     absl::CivilDay date,
                                                     absl::string_view report_id,
                                                     absl::Time now) const {
  ASSIGN_OR_RETURN(
      sql::Result result,
      s.Execute(kClaimFeverFollowup, {person_key, time::FormatDate(date), report_id, now}));
  return result.rows_affected > 0;
}

absl::StatusOr<std::vector<v1::HealthReport>> SurveyStore::ReportHistory(
    sql::Session& s, absl::string_view person_key, absl::CivilDay date) const {
  ASSIGN_OR_RETURN(sql::Result result,
                   s.Execute(kSelectReportHistory, {person_key, time::FormatDate(date)}));
  std::vector<v1::HealthReport> out;
  for (const sql::Row& row : result.rows) out.push_back(ReportOf(row));
  return out;
}

absl::StatusOr<Page<v1::HealthReport>> SurveyStore::ListReports(
    sql::Session& s, absl::string_view site_id, absl::CivilDay day, bool fever_only, int page_size,
    absl::string_view page_token) const {
  ASSIGN_OR_RETURN(std::vector<sql::Value> key, KeysetParams(kReportsScope, page_token, {""}));
  std::vector<sql::Value> params = {time::FormatDate(day), fever_only, site_id};
  params.insert(params.end(), key.begin(), key.end());
  params.push_back(page_size + 1);
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(kListReports, params));
  Page<v1::HealthReport> page;
  for (size_t i = 0; i < result.rows.size() && static_cast<int>(i) < page_size; ++i) {
    page.items.push_back(ReportOf(result.rows[i]));
  }
  if (static_cast<int>(result.rows.size()) > page_size) {
    page.next_page_token = sql::EncodePageToken(kReportsScope, {page.items.back().person_key()});
  }
  return page;
}

// ---- Figures ----------------------------------------------------------------------------------

absl::StatusOr<Coverage> SurveyStore::CoverageOf(sql::Session& s, absl::string_view site_id,
                                                 absl::CivilDay today, absl::Time today_end) const {
  const std::string date = time::FormatDate(today);
  Coverage c;
  ASSIGN_OR_RETURN(std::optional<sql::Row> households, s.QueryRow(kCountHouseholds, {site_id}));
  c.households_total = Count(households, 0);
  c.households_surveyed = Count(households, 1);
  ASSIGN_OR_RETURN(std::optional<sql::Row> residents, s.QueryRow(kCountResidents, {site_id}));
  c.residents = Count(residents, 0);
  c.tenants_total = Count(residents, 1);
  c.tenants_verified = Count(residents, 2);
  c.tenants_pending = Count(residents, 3);
  ASSIGN_OR_RETURN(std::optional<sql::Row> observed, s.QueryRow(kCountObserved, {date, site_id}));
  c.under_observation = Count(observed);
  ASSIGN_OR_RETURN(std::optional<sql::Row> reported,
                   s.QueryRow(kCountReported, {date, today_end, site_id}));
  c.reports_today = Count(reported);
  ASSIGN_OR_RETURN(std::optional<sql::Row> registered,
                   s.QueryRow(kCountRegisteredBefore, {site_id, today_end}));
  c.reports_missing_today = Count(registered) - c.reports_today;
  return c;
}

absl::StatusOr<std::map<std::string, Coverage>> SurveyStore::CoverageOfAll(
    sql::Session& s, absl::CivilDay today, absl::Time today_end) const {
  const std::string date = time::FormatDate(today);
  std::map<std::string, Coverage> out;
  ASSIGN_OR_RETURN(sql::Result households, s.Execute(kCountHouseholdsAll));
  for (const sql::Row& row : households.rows) {
    Coverage& c = out[row.Text(0)];
    c.households_total = row.Int(1);
    c.households_surveyed = row.Int(2);
  }
  ASSIGN_OR_RETURN(sql::Result residents, s.Execute(kCountResidentsAll));
  for (const sql::Row& row : residents.rows) {
    Coverage& c = out[row.Text(0)];
    c.residents = row.Int(1);
    c.tenants_total = row.Int(2);
    c.tenants_verified = row.Int(3);
    c.tenants_pending = row.Int(4);
  }
  ASSIGN_OR_RETURN(sql::Result observed, s.Execute(kCountObservedAll, {date}));
  for (const sql::Row& row : observed.rows) out[row.Text(0)].under_observation = row.Int(1);
  ASSIGN_OR_RETURN(sql::Result reported, s.Execute(kCountReportedAll, {date, today_end}));
  for (const sql::Row& row : reported.rows) out[row.Text(0)].reports_today = row.Int(1);
  ASSIGN_OR_RETURN(sql::Result registered, s.Execute(kCountRegisteredBeforeAll, {today_end}));
  for (const sql::Row& row : registered.rows) {
    Coverage& c = out[row.Text(0)];
    c.reports_missing_today = row.Int(1) - c.reports_today;
  }
  return out;
}

absl::StatusOr<v1::DailyStats> SurveyStore::DailyStatsOf(sql::Session& s, absl::string_view site_id,
                                                         absl::CivilDay day, absl::Time day_start,
                                                         absl::Time day_end) const {
  const std::string date = time::FormatDate(day);
  v1::DailyStats st;
  st.set_site_id(std::string(site_id));
  ASSIGN_OR_RETURN(std::optional<sql::Row> households,
                   s.QueryRow(kDailyHouseholds, {site_id, day_end}));
  st.set_households_total(static_cast<int32_t>(Count(households, 0)));
  st.set_households_surveyed(static_cast<int32_t>(Count(households, 1)));
  ASSIGN_OR_RETURN(std::optional<sql::Row> visits,
                   s.QueryRow(kDailyVisits, {site_id, day_start, day_end}));
  st.set_households_surveyed_today(static_cast<int32_t>(Count(visits)));
  ASSIGN_OR_RETURN(std::optional<sql::Row> residents,
                   s.QueryRow(kDailyResidents, {site_id, day_start, day_end}));
  st.set_residents(static_cast<int32_t>(Count(residents, 0)));
  st.set_residents_registered(static_cast<int32_t>(Count(residents, 1)));
  st.set_tenants_pending(static_cast<int32_t>(Count(residents, 2)));
  st.set_tenants_verified(static_cast<int32_t>(Count(residents, 3)));
  ASSIGN_OR_RETURN(std::optional<sql::Row> movements,
                   s.QueryRow(kDailyMovements, {site_id, day_start, day_end}));
  st.set_movements(static_cast<int32_t>(Count(movements)));
  ASSIGN_OR_RETURN(std::optional<sql::Row> opened,
                   s.QueryRow(kDailyObservationsOpened, {site_id, day_start, day_end}));
  st.set_observations_opened(static_cast<int32_t>(Count(opened)));
  ASSIGN_OR_RETURN(std::optional<sql::Row> observed, s.QueryRow(kCountObserved, {date, site_id}));
  st.set_under_observation(static_cast<int32_t>(Count(observed)));
  ASSIGN_OR_RETURN(std::optional<sql::Row> reported,
                   s.QueryRow(kCountReported, {date, day_end, site_id}));
  // Reports deleted by the retention purge left their figures in survey_report_days.
  ASSIGN_OR_RETURN(std::optional<sql::Row> purged,
                   s.QueryRow(kPurgedReportFigures, {site_id, date}));
  st.set_health_reports(static_cast<int32_t>(Count(reported) + Count(purged, 0)));
  st.set_health_reports_missing(st.residents() - st.health_reports());
  ASSIGN_OR_RETURN(std::optional<sql::Row> fevers,
                   s.QueryRow(kDailyFeverReports, {site_id, day_end, date}));
  st.set_fever_reports(static_cast<int32_t>(Count(fevers) + Count(purged, 1)));
  return st;
}

}  // namespace lianfang::survey
