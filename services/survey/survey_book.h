// The survey's mutations, each run inside the caller's write transaction: households and
// their visits, residents and tenant verification, movements and home observations, and the
// daily health report. Cross-service effects are queued in the transactional outbox in the
// same transaction (common/outbox/outbox.h), each with a deterministic idempotency key that
// the receiver uses as its request_id, so it happens exactly once even when the receiver is
// down for a while:
//
//   gate IssuePass      a non-tenant at registration, a tenant once VERIFIED
//                       key survey-pass-<resident_id>
//   gate PlaceHold      an arrival from a risk region within the period (or an extension)
//                       key survey-hold-<observation_id>-<YYYYMMDD of the end date>
//   gate ReleaseHold    EndObservation
//                       key survey-release-<observation_id>
//   dispatch CreateTask a fever report, once per person and day
//                       key survey-fever-<first 32 chars of person_key>-<date>
//   gate NoteHealthReports  a registration and each health report (health_notes.h)
//                       key survey-health-note-<resident_id or report_id>
//
// The gate requests carry person_key and masks only: the survey never holds a clear ID
// number, and outbox payloads are stored.
//
// Each operation also fills a CommitEffects with the live-count increments its commit makes
// true (applied after the commit by SurveyLive), whether it queued outbox messages, and the
// clear name/phone its response leaves out (responses are stored for replays: masks only).
//
// Status codes: INVALID_ARGUMENT (a referenced household unknown, a household moved to another
// site), NOT_FOUND (unknown resident or person), ALREADY_EXISTS (a person registered twice in
// one household, two households at one address), FAILED_PRECONDITION (a tenant not pending, a
// person without an active observation), PERMISSION_DENIED (the caller's token does not list
// the site), and statement errors. On any error the caller's transaction rolls back.
//
// Thread-compatible: one operation per session at a time (the database's writer thread).
#ifndef LIANFANG_SERVICES_SURVEY_SURVEY_BOOK_H_
#define LIANFANG_SERVICES_SURVEY_SURVEY_BOOK_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "lianfang/survey/v1/survey.pb.h"
#include "services/survey/config.h"
#include "services/survey/risk_versions.h"
#include "services/survey/survey_rules.h"
#include "services/survey/survey_store.h"

namespace lianfang::survey {

// Outbox destinations and methods.
inline constexpr char kGateDestination[] = "gate";
inline constexpr char kDispatchDestination[] = "dispatch";
inline constexpr char kIssuePassMethod[] = "/lianfang.gate.v1.GateService/IssuePass";
inline constexpr char kPlaceHoldMethod[] = "/lianfang.gate.v1.GateService/PlaceHold";
inline constexpr char kReleaseHoldMethod[] = "/lianfang.gate.v1.GateService/ReleaseHold";
inline constexpr char kCreateTaskMethod[] = "/lianfang.dispatch.v1.DispatchService/CreateTask";

// Idempotency keys of the outbox messages (also the receivers' request_ids), <= 64 chars.
std::string PassKey(absl::string_view resident_id);
std::string HoldKey(absl::string_view observation_id, absl::CivilDay end);
std::string ReleaseKey(absl::string_view observation_id);
std::string FeverKey(absl::string_view person_key, absl::CivilDay date);

// What a committed mutation changes outside SQL.
struct CommitEffects {
  // The day `today` increments count for (the day of the mutation).
  absl::CivilDay day;
  // site -> field (common/redis/keys.h) -> increment.
  std::map<std::string, std::map<std::string, int64_t>> live;
  std::map<std::string, std::map<std::string, int64_t>> today;
  // True when outbox messages were queued (wake the sender).
  bool outbox = false;
  // The clear name and phone of the response (a resident's, an observed person's name, a
  // landlord's). Responses are stored for request_id replays, so operations return them
  // masked only and hand the clear values here; the adapter adds them back for ADMIN and
  // LEADER callers of the first call. Replays carry the masks only.
  struct Clear {
    std::string name;
    std::string phone;
  } clear;

  void AddLive(const std::string& site, const char* field, int64_t n) { live[site][field] += n; }
  void AddToday(const std::string& site, const char* field, int64_t n) { today[site][field] += n; }
};

class SurveyBook final {
 public:
  // None of the pointers is owned; all must outlive the book.
  SurveyBook(const sites::SiteDirectory* sites, const SurveySettings* settings, absl::TimeZone tz);

  // Creates the household (or updates the one at the same address), or updates
  // household_id; records a visit when request.surveyed(). Returns it with clear landlord
  // fields (callers redact).
  absl::StatusOr<v1::Household> UpsertHousehold(sql::Session& s, const auth::Principal& who,
                                                const v1::UpsertHouseholdRequest& request,
                                                absl::Time now, CommitEffects& fx) const;

  // Registers `person` in the household; queues the gate pass of a non-tenant.
  absl::StatusOr<v1::Resident> RegisterResident(sql::Session& s, const auth::Principal& who,
                                                const v1::RegisterResidentRequest& request,
                                                const Person& person, absl::Time now,
                                                CommitEffects& fx) const;

  // Records a pending tenant's verification; queues the pass of a verified one.
  absl::StatusOr<v1::Resident> VerifyTenant(sql::Session& s, const auth::Principal& who,
                                            const v1::VerifyTenantRequest& request, absl::Time now,
                                            CommitEffects& fx) const;

  // Records an arrival; opens (or extends) an observation and queues the gate hold when the
  // region is on the risk list and the period is not over.
  absl::StatusOr<v1::Movement> RecordMovement(sql::Session& s, const auth::Principal& who,
                                              const v1::RecordMovementRequest& request,
                                              const MovementInput& input, absl::Time now,
                                              CommitEffects& fx) const;

  // Ends the person's active observation and queues the hold release.
  absl::StatusOr<v1::EndObservationResponse> EndObservation(
      sql::Session& s, const auth::Principal& who, const v1::EndObservationRequest& request,
      absl::Time now, CommitEffects& fx) const;

  // Records (or replaces) a resident's report for a day, keeping the history; queues the
  // fever follow-up task once per person and day.
  absl::StatusOr<v1::HealthReport> SubmitHealthReport(sql::Session& s, const auth::Principal& who,
                                                      const v1::SubmitHealthReportRequest& request,
                                                      const ReportInput& input, absl::Time now,
                                                      CommitEffects& fx) const;

  // --- risk regions (risk_versions.h) ---
  // Stores a new version of the risk list; when it takes effect at once (effective_from <=
  // now) runs its look back in the same transaction (observations_opened set), else leaves
  // it to RunDueLookBacks.
  absl::StatusOr<v1::RiskRegions> UpdateRiskRegions(sql::Session& s, const auth::Principal& who,
                                                    const RiskUpdate& update, absl::Time now,
                                                    CommitEffects& fx) const;
  // A version's look back: every movement that arrived within kRiskLookBackDays before its
  // effective_from (or later), opened no observation yet, comes from a region the version
  // added and whose observation period is not over opens (or extends) the person's
  // observation and gate hold, as RecordMovement does, and is linked to it; then the version
  // is marked looked back. Returns how many observations it opened.
  absl::StatusOr<int32_t> LookBack(sql::Session& s, const v1::RiskRegions& version, absl::Time now,
                                   CommitEffects& fx) const;
  // Runs the look back of every version whose effective_from has come by `now` and whose
  // look back has not run. Returns how many observations they opened.
  absl::StatusOr<int32_t> RunDueLookBacks(sql::Session& s, absl::Time now, CommitEffects& fx) const;
  // The versions (for reads).
  const RiskVersions& risk_versions() const { return risk_; }

 private:
  // An arrival to observe: the person's open observation extended to `window` (and its hold),
  // or a new one with its hold.
  struct Observed {
    ObservationRecord record;
    bool opened = false;  // a new observation (not an extension)
  };
  absl::StatusOr<Observed> ObserveArrival(sql::Session& s, const Person& person,
                                          absl::string_view site, absl::string_view from_region,
                                          const ObservationWindow& window, absl::Time now,
                                          CommitEffects& fx) const;

  const sites::SiteDirectory* sites_;
  const SurveySettings* settings_;
  absl::TimeZone tz_;
  SurveyStore store_;
  RiskVersions risk_;
};

// A new random id with `prefix` ("hh", "res", ...): prefix + "-" + 16 hex digits.
std::string NewId(absl::string_view prefix);

}  // namespace lianfang::survey

#endif  // LIANFANG_SERVICES_SURVEY_SURVEY_BOOK_H_
