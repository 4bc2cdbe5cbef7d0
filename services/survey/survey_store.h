// The survey's SQL: its schema (migrations of component "survey") and every statement it
// runs, as named constants with $N placeholders in survey_store.cc, behind typed functions.
//
// Tables (all prefixed survey_):
//   households       one row per dwelling (unique per site, building, unit and room)
//   visits           each survey visit of a household (for "surveyed during the day")
//   people           person_key -> masks, and the clear name/phone ADMIN and LEADER read back;
//                    never the ID number
//   residents        who lives where; tenant verification state
//   movements        arrivals from elsewhere
//   observations     home observations (start/end dates, early end)
//   reports          the current health report per person and date
//   report_history   every version of every report (the first one included)
//   fever_followups  one row per person and date whose fever raised a dispatch task
//   report_days      per-site, per-day report figures of days whose reports the retention
//                    purge deleted (retention.h); DailyStatsOf adds them back
//   gap_tasks        the follow-up tasks already raised (gap_job.h): missing reports per
//                    household and day, tenant verification per resident
//   risk_versions    the versions of the risk-region list (risk_versions.h has its SQL)
//
// Every function works inside the caller's transaction (`session`); functions that write
// REQUIRE a write session. Statement errors are returned as the SQL layer reports them
// (common/sql/database.h). Lists use keyset page tokens (common/sql/page_token.h): a bad
// token is INVALID_ARGUMENT naming `page_token`.
//
// Thread-compatible: the store is stateless; sessions are single-threaded.
#ifndef LIANFANG_SERVICES_SURVEY_SURVEY_STORE_H_
#define LIANFANG_SERVICES_SURVEY_SURVEY_STORE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/sql/database.h"
#include "lianfang/survey/v1/survey.pb.h"
#include "services/survey/survey_rules.h"

namespace lianfang::survey {

// The component name of the schema in lf_schema_migrations.
inline constexpr char kComponent[] = "survey";

// The survey's schema.
std::span<const sql::Migration> Migrations();

// One page of a list.
template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_page_token;  // empty on the last page
};

// A site's figures now (GetCoverage, the live counts).
struct Coverage {
  int64_t households_total = 0;
  int64_t households_surveyed = 0;
  int64_t residents = 0;
  int64_t tenants_total = 0;
  int64_t tenants_verified = 0;
  int64_t tenants_pending = 0;
  int64_t under_observation = 0;
  int64_t reports_today = 0;
  int64_t reports_missing_today = 0;
};

// Where a person lives: one row of residents.
struct Residence {
  std::string resident_id;
  std::string household_id;
  std::string site_id;
};

// An observation row.
struct ObservationRecord {
  std::string observation_id;
  v1::Observation observation;  // person_key, dates, site, region, ended_at; no names
};

class SurveyStore final {
 public:
  SurveyStore() = default;

  // ---- Households ----
  // Households carry the clear landlord name/phone and their masks; callers redact.
  absl::StatusOr<std::optional<v1::Household>> FindHousehold(sql::Session& s,
                                                             absl::string_view id) const;
  absl::StatusOr<std::optional<v1::Household>> FindHouseholdAt(sql::Session& s,
                                                               const v1::Household& address) const;
  absl::Status InsertHousehold(sql::Session& s, const v1::Household& h, absl::Time now) const;
  // Rewrites building, unit, room, kind and the landlord of h.household_id().
  absl::Status UpdateHousehold(sql::Session& s, const v1::Household& h, absl::Time now) const;
  // Records a survey visit: sets surveyed_at/surveyed_by (and the first survey time).
  absl::Status RecordVisit(sql::Session& s, absl::string_view household_id,
                           absl::string_view site_id, absl::Time now,
                           absl::string_view subject) const;
  absl::StatusOr<Page<v1::Household>> ListHouseholds(sql::Session& s, absl::string_view site_id,
                                                     absl::string_view building,
                                                     bool only_unsurveyed, int page_size,
                                                     absl::string_view page_token) const;

  // ---- People ----
  // Inserts the person or refreshes its masks; a clear name or phone is only overwritten by
  // a non-empty one.
  absl::Status UpsertPerson(sql::Session& s, const Person& person, absl::Time now) const;
  absl::StatusOr<std::optional<Person>> FindPerson(sql::Session& s,
                                                   absl::string_view person_key) const;

  // ---- Residents ----
  // Residents carry clear name/phone and their masks; callers redact.
  absl::StatusOr<std::optional<v1::Resident>> FindResident(sql::Session& s,
                                                           absl::string_view resident_id) const;
  absl::StatusOr<bool> IsResidentOf(sql::Session& s, absl::string_view household_id,
                                    absl::string_view person_key) const;
  // Inserts `r` (resident_id, household_id, site_id, person_key, relation, is_tenant,
  // tenant_status) and counts it in its household.
  absl::Status InsertResident(sql::Session& s, const v1::Resident& r, absl::Time now,
                              absl::string_view subject) const;
  // Records a tenant verification outcome.
  absl::Status DecideTenant(sql::Session& s, absl::string_view resident_id,
                            v1::TenantStatus outcome, absl::string_view note, absl::Time now,
                            absl::string_view subject) const;
  // Stores the code of the gate pass issued for the resident. False when no such resident.
  absl::StatusOr<bool> SetPassCode(sql::Session& s, absl::string_view resident_id,
                                   absl::string_view pass_code) const;
  // Where the person lives, earliest registration first.
  absl::StatusOr<std::vector<Residence>> ResidencesOf(sql::Session& s,
                                                      absl::string_view person_key) const;
  // Residents of a site (optionally of one household, optionally of one tenant status),
  // by registration time.
  absl::StatusOr<Page<v1::Resident>> ListResidents(sql::Session& s, absl::string_view site_id,
                                                   absl::string_view household_id,
                                                   v1::TenantStatus status, int page_size,
                                                   absl::string_view page_token) const;
  // Residents of a site registered by the end of `day` without a report for it.
  absl::StatusOr<Page<v1::Resident>> ListMissingReports(sql::Session& s, absl::string_view site_id,
                                                        absl::CivilDay day, absl::Time day_end,
                                                        int page_size,
                                                        absl::string_view page_token) const;

  // ---- Movements and observations ----
  absl::Status InsertMovement(sql::Session& s, const v1::Movement& m,
                              absl::string_view observation_id, absl::Time now,
                              absl::string_view subject) const;
  // The person's observation not ended early whose end date is `today` or later.
  absl::StatusOr<std::optional<ObservationRecord>> FindOpenObservation(sql::Session& s,
                                                                       absl::string_view person_key,
                                                                       absl::CivilDay today) const;
  // True when the person ever had an observation.
  absl::StatusOr<bool> HasObservation(sql::Session& s, absl::string_view person_key) const;
  absl::Status InsertObservation(sql::Session& s, const ObservationRecord& o, absl::Time now) const;
  absl::Status ExtendObservation(sql::Session& s, absl::string_view observation_id,
                                 absl::CivilDay end) const;
  absl::Status EndObservation(sql::Session& s, absl::string_view observation_id, absl::Time now,
                              absl::CivilDay ended_on, absl::string_view subject,
                              absl::string_view note) const;
  // Observations of a site active on `day`, by end date; with the clear name and its mask.
  absl::StatusOr<Page<v1::Observation>> ListObservations(sql::Session& s, absl::string_view site_id,
                                                         absl::CivilDay day, int page_size,
                                                         absl::string_view page_token) const;

  // ---- Health reports ----
  absl::StatusOr<std::optional<v1::HealthReport>> FindReport(sql::Session& s,
                                                             absl::string_view person_key,
                                                             absl::CivilDay date) const;
  // Makes `r` the current report of its person and date and appends it to the history.
  absl::Status SaveReport(sql::Session& s, const v1::HealthReport& r) const;
  // Claims the fever follow-up of (person, date): true the first time, false afterwards.
  absl::StatusOr<bool> ClaimFeverFollowup(sql::Session& s, absl::string_view person_key,
                                          absl::CivilDay date, absl::string_view report_id,
                                          absl::Time now) const;
  // Every version of a person's report for a day, oldest first (for tests and audits).
  absl::StatusOr<std::vector<v1::HealthReport>> ReportHistory(sql::Session& s,
                                                              absl::string_view person_key,
                                                              absl::CivilDay date) const;
  // Current reports of the residents of a site for a day, by person_key.
  absl::StatusOr<Page<v1::HealthReport>> ListReports(sql::Session& s, absl::string_view site_id,
                                                     absl::CivilDay day, bool fever_only,
                                                     int page_size,
                                                     absl::string_view page_token) const;

  // ---- Figures ----
  // `today_end` is the end of `today` (residents registered before it count).
  absl::StatusOr<Coverage> CoverageOf(sql::Session& s, absl::string_view site_id,
                                      absl::CivilDay today, absl::Time today_end) const;
  // Every site with any data (sites without rows are absent).
  absl::StatusOr<std::map<std::string, Coverage>> CoverageOfAll(sql::Session& s,
                                                                absl::CivilDay today,
                                                                absl::Time today_end) const;
  // One site's figures of `day` ([day_start, day_end) in the deployment's time zone).
  absl::StatusOr<v1::DailyStats> DailyStatsOf(sql::Session& s, absl::string_view site_id,
                                              absl::CivilDay day, absl::Time day_start,
                                              absl::Time day_end) const;
};

}  // namespace lianfang::survey

#endif  // LIANFANG_SERVICES_SURVEY_SURVEY_STORE_H_
