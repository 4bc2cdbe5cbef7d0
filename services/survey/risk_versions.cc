#include "services/survey/risk_versions.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/request/request.h"
#include "common/server/errors.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"

namespace lianfang::survey {
namespace {

// Lists are stored one name per line: names hold no control characters.
constexpr char kSeparator[] = "\n";

// ---- Schema (version 5) ---------------------------------------------------------------------
// regions/added/removed: names one per line; looked_back_at NULL until the version's look back
// ran (the file's version 1 is stored as looked back: the file applied at each recording).
constexpr char kSchemaV5[] =
    "CREATE TABLE survey_risk_versions ("
    " version INTEGER PRIMARY KEY,"
    " regions TEXT NOT NULL,"
    " effective_from BIGINT NOT NULL,"
    " updated_by TEXT NOT NULL,"
    " updated_at BIGINT NOT NULL,"
    " added TEXT NOT NULL,"
    " removed TEXT NOT NULL,"
    " looked_back_at BIGINT,"
    " observations_opened INTEGER NOT NULL);"
    "CREATE INDEX survey_risk_versions_effective ON survey_risk_versions (effective_from);"
    "CREATE INDEX survey_movements_arrival ON survey_movements (arrived_on, observation_id)";

#define LF_RISK_COLUMNS                                                       \
  "version, regions, effective_from, updated_by, updated_at, added, removed," \
  " observations_opened"

constexpr char kSelectInForce[] =
    "SELECT " LF_RISK_COLUMNS
    " FROM survey_risk_versions WHERE effective_from <= $1 ORDER BY version DESC LIMIT 1";
constexpr char kSelectLatest[] =
    "SELECT " LF_RISK_COLUMNS " FROM survey_risk_versions ORDER BY version DESC LIMIT 1";
constexpr char kSelectDue[] =
    "SELECT " LF_RISK_COLUMNS
    " FROM survey_risk_versions WHERE looked_back_at IS NULL AND effective_from <= $1"
    " ORDER BY version";
constexpr char kInsertVersion[] =
    "INSERT INTO survey_risk_versions (version, regions, effective_from, updated_by, updated_at,"
    " added, removed, looked_back_at, observations_opened)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0)";
constexpr char kMarkLookedBack[] =
    "UPDATE survey_risk_versions SET looked_back_at = $2, observations_opened = $3"
    " WHERE version = $1";
constexpr char kSelectUnobserved[] =
    "SELECT movement_id, person_key, site_id, from_region, arrived_on FROM survey_movements"
    " WHERE arrived_on >= $1 AND observation_id = '' ORDER BY recorded_at, movement_id";
constexpr char kSetMovementObservation[] =
    "UPDATE survey_movements SET observation_id = $2 WHERE movement_id = $1";
#undef LF_RISK_COLUMNS

std::vector<std::string> Split(absl::string_view joined) {
  return absl::StrSplit(joined, kSeparator, absl::SkipEmpty());
}

v1::RiskRegions FromRow(const sql::Row& row) {
  v1::RiskRegions out;
  out.set_version(static_cast<int32_t>(row.Int(0)));
  for (std::string& r : Split(row.Text(1))) out.add_regions(std::move(r));
  *out.mutable_effective_from() = time::ToTimestamp(row.Time(2));
  out.set_updated_by(row.Text(3));
  *out.mutable_updated_at() = time::ToTimestamp(row.Time(4));
  for (std::string& r : Split(row.Text(5))) out.add_added(std::move(r));
  for (std::string& r : Split(row.Text(6))) out.add_removed(std::move(r));
  out.set_observations_opened(static_cast<int32_t>(row.Int(7)));
  return out;
}

// The file as version 1 (sorted, as every version).
v1::RiskRegions FileVersion(const RiskRegions& file) {
  std::vector<std::string> names = file.regions();
  std::sort(names.begin(), names.end());
  v1::RiskRegions out;
  out.set_version(1);
  for (std::string& name : names) out.add_regions(std::move(name));
  *out.mutable_effective_from() = time::ToTimestamp(absl::UnixEpoch());
  *out.mutable_updated_at() = time::ToTimestamp(absl::UnixEpoch());
  return out;
}

std::vector<std::string> Difference(const std::vector<std::string>& a,
                                    const std::vector<std::string>& b) {
  std::vector<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace

sql::Migration RiskVersionsMigration() {
  return {.version = 5, .name = "versions of the risk-region list", .sql = kSchemaV5};
}

absl::StatusOr<RiskUpdate> ValidateUpdateRiskRegions(const v1::UpdateRiskRegionsRequest& request,
                                                     absl::Time now) {
  server::FieldErrors errors;
  request::CheckRequestId(errors, request.request_id());
  RiskUpdate out;
  if (request.regions_size() > kMaxRiskRegions) {
    errors.Add("regions", absl::StrCat("at most ", kMaxRiskRegions, " regions"));
  } else {
    for (int i = 0; i < request.regions_size(); ++i) {
      const std::string field = absl::StrCat("regions[", i, "]");
      const std::string name = RiskRegions::Normalize(request.regions(i));
      if (request::CheckFreeText(errors, field, name, kMaxRiskRegionChars, /*required=*/true)) {
        out.regions.push_back(name);
      }
    }
  }
  out.effective_from = now;
  if (request.has_effective_from()) {
    std::optional<absl::Time> at =
        request::CheckTimestamp(errors, "effective_from", request.effective_from());
    if (at.has_value()) {
      if (*at > now + absl::Hours(24) * kMaxEffectiveDaysAhead) {
        errors.Add("effective_from",
                   absl::StrCat("must not be more than ", kMaxEffectiveDaysAhead, " days ahead"));
      } else {
        out.effective_from = *at;
      }
    }
  }
  RETURN_IF_ERROR(errors.ToStatus());
  std::sort(out.regions.begin(), out.regions.end());
  out.regions.erase(std::unique(out.regions.begin(), out.regions.end()), out.regions.end());
  return out;
}

absl::StatusOr<std::vector<v1::RiskRegions>> RiskVersions::Query(
    sql::Session& s, absl::string_view sql, std::vector<sql::Value> params) const {
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(sql, std::span<const sql::Value>(params)));
  std::vector<v1::RiskRegions> out;
  for (const sql::Row& row : result.rows) out.push_back(FromRow(row));
  return out;
}

absl::StatusOr<v1::RiskRegions> RiskVersions::InForce(sql::Session& s, absl::Time at) const {
  ASSIGN_OR_RETURN(std::vector<v1::RiskRegions> found, Query(s, kSelectInForce, {at}));
  if (!found.empty()) return std::move(found.front());
  return FileVersion(*file_);  // nothing stored yet (or nothing in force yet: the file)
}

absl::StatusOr<RiskRegions> RiskVersions::ListInForce(sql::Session& s, absl::Time at) const {
  ASSIGN_OR_RETURN(v1::RiskRegions in_force, InForce(s, at));
  return RiskRegions::Of({in_force.regions().begin(), in_force.regions().end()});
}

absl::StatusOr<v1::RiskRegions> RiskVersions::Add(sql::Session& s, const RiskUpdate& update,
                                                  absl::string_view subject, absl::Time now) const {
  ASSIGN_OR_RETURN(std::vector<v1::RiskRegions> latest, Query(s, kSelectLatest, {}));
  v1::RiskRegions before;
  if (latest.empty()) {
    before = FileVersion(*file_);
    RETURN_IF_ERROR(s.Execute(kInsertVersion, {1, absl::StrJoin(before.regions(), kSeparator),
                                               absl::UnixEpoch(), "", now, "", "", now})
                        .status());
  } else {
    before = std::move(latest.front());
  }
  const std::vector<std::string> previous(before.regions().begin(), before.regions().end());
  v1::RiskRegions out;
  out.set_version(before.version() + 1);
  for (const std::string& r : update.regions) out.add_regions(r);
  *out.mutable_effective_from() = time::ToTimestamp(update.effective_from);
  out.set_updated_by(std::string(subject));
  *out.mutable_updated_at() = time::ToTimestamp(now);
  for (std::string& r : Difference(update.regions, previous)) out.add_added(std::move(r));
  for (std::string& r : Difference(previous, update.regions)) out.add_removed(std::move(r));
  RETURN_IF_ERROR(
      s.Execute(kInsertVersion,
                {out.version(), absl::StrJoin(out.regions(), kSeparator), update.effective_from,
                 subject, now, absl::StrJoin(out.added(), kSeparator),
                 absl::StrJoin(out.removed(), kSeparator), sql::Null()})
          .status());
  return out;
}

absl::StatusOr<std::vector<v1::RiskRegions>> RiskVersions::DueLookBacks(sql::Session& s,
                                                                        absl::Time now) const {
  return Query(s, kSelectDue, {now});
}

absl::Status RiskVersions::MarkLookedBack(sql::Session& s, int32_t version, int32_t opened,
                                          absl::Time now) const {
  return s.Execute(kMarkLookedBack, {version, now, opened}).status();
}

absl::StatusOr<std::vector<UnobservedMovement>> RiskVersions::UnobservedMovementsSince(
    sql::Session& s, absl::CivilDay since) const {
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(kSelectUnobserved, {time::FormatDate(since)}));
  std::vector<UnobservedMovement> out;
  for (const sql::Row& row : result.rows) {
    absl::StatusOr<absl::CivilDay> arrived = time::ParseDate(row.Text(4));
    if (!arrived.ok()) return absl::InternalError("stored arrival date unreadable");
    out.push_back({.movement_id = row.Text(0),
                   .person_key = row.Text(1),
                   .site_id = row.Text(2),
                   .from_region = row.Text(3),
                   .arrived_on = *arrived});
  }
  return out;
}

absl::Status RiskVersions::SetMovementObservation(sql::Session& s, absl::string_view movement_id,
                                                  absl::string_view observation_id) const {
  return s.Execute(kSetMovementObservation, {movement_id, observation_id}).status();
}

}  // namespace lianfang::survey
