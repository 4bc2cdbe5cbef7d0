// The versions of the risk-region list (UpdateRiskRegions / GetRiskRegions), kept in the
// survey's database (table survey_risk_versions, migration 5), and the SQL of the look back
// over recent movements that a new version triggers.
//
// Version 1 is the LF_RISK_REGIONS file: as long as the table is empty the file is the list
// in force (effective since ever); the first update stores it as version 1 before its own
// version 2. Each later version replaces the whole list from its effective_from on. The list
// in force at an instant is the newest version (by number) whose effective_from has come.
//
// A version's look back (SurveyBook::LookBack) runs once, when its effective_from has come:
// in the update's own transaction when it takes effect at once, else from the periodic job
// (SurveyService::RunDueLookBacks). `looked_back_at` marks it done in the same transaction
// that opens the observations, so a restart neither repeats nor skips it; a movement that
// opened an observation keeps its observation_id, so no version opens a second one for it.
//
//   ASSIGN_OR_RETURN(RiskRegions in_force, versions.ListInForce(s, now));
//   if (in_force.Matches(movement.from_region())) ...
//
// Thread-compatible: stateless apart from the file's list; sessions are single-threaded.
#ifndef LIANFANG_SERVICES_SURVEY_RISK_VERSIONS_H_
#define LIANFANG_SERVICES_SURVEY_RISK_VERSIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/sql/database.h"
#include "lianfang/survey/v1/survey.pb.h"
#include "services/survey/risk_regions.h"

namespace lianfang::survey {

// The look back covers movements that arrived at most this many days before effective_from.
inline constexpr int kRiskLookBackDays = 14;
// Limits of UpdateRiskRegions.
inline constexpr int kMaxRiskRegions = 1000;
inline constexpr size_t kMaxRiskRegionChars = 64;
inline constexpr int kMaxEffectiveDaysAhead = 30;

// A validated UpdateRiskRegions request.
struct RiskUpdate {
  // Normalised (RiskRegions::Normalize), deduplicated, sorted.
  std::vector<std::string> regions;
  absl::Time effective_from;
};

// UpdateRiskRegions: request_id; at most kMaxRiskRegions regions, each 1..64 characters of
// free text (request::CheckFreeText) after trimming and lower-casing, without an ID number or
// a phone; effective_from a valid timestamp not more than 30 days after `now` (unset: `now`).
// INVALID_ARGUMENT naming every bad field (regions[i], regions, effective_from), never
// repeating a refused value.
absl::StatusOr<RiskUpdate> ValidateUpdateRiskRegions(const v1::UpdateRiskRegionsRequest& request,
                                                     absl::Time now);

// A movement that has not opened an observation (look back candidates).
struct UnobservedMovement {
  std::string movement_id;
  std::string person_key;
  std::string site_id;
  std::string from_region;
  absl::CivilDay arrived_on;
};

class RiskVersions final {
 public:
  // `file` (not owned, must outlive this) is version 1 until one is stored.
  explicit RiskVersions(const RiskRegions* file) : file_(file) {}

  // The version in force at `at` (the file as version 1 when none is stored).
  absl::StatusOr<v1::RiskRegions> InForce(sql::Session& s, absl::Time at) const;
  // Its list, for matching.
  absl::StatusOr<RiskRegions> ListInForce(sql::Session& s, absl::Time at) const;

  // Stores `update` as the next version made by `subject` at `now` (storing the file as
  // version 1 first when the table is empty) and returns it with added/removed against the
  // version before it and observations_opened 0. REQUIRES: a write session.
  absl::StatusOr<v1::RiskRegions> Add(sql::Session& s, const RiskUpdate& update,
                                      absl::string_view subject, absl::Time now) const;

  // Versions whose effective_from has come by `now` and whose look back has not run, oldest
  // first.
  absl::StatusOr<std::vector<v1::RiskRegions>> DueLookBacks(sql::Session& s, absl::Time now) const;
  // Marks a version's look back done at `now`, with the number of observations it opened.
  absl::Status MarkLookedBack(sql::Session& s, int32_t version, int32_t opened,
                              absl::Time now) const;

  // Movements that arrived on `since` or later and opened no observation, in recording order.
  absl::StatusOr<std::vector<UnobservedMovement>> UnobservedMovementsSince(
      sql::Session& s, absl::CivilDay since) const;
  // Links a movement to the observation it opened (or extended).
  absl::Status SetMovementObservation(sql::Session& s, absl::string_view movement_id,
                                      absl::string_view observation_id) const;

 private:
  absl::StatusOr<std::vector<v1::RiskRegions>> Query(sql::Session& s, absl::string_view sql,
                                                     std::vector<sql::Value> params) const;
  const RiskRegions* file_;
};

// The migration of survey's schema version 5 (survey_store.cc lists it last).
sql::Migration RiskVersionsMigration();

}  // namespace lianfang::survey

#endif  // LIANFANG_SERVICES_SURVEY_RISK_VERSIONS_H_
