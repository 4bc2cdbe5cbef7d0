// The survey's domain rules, free of gRPC and SQL: the observation window of an arrival,
// the fever rule of a health report, the report-date window, and the validation of every
// request (bad input -> INVALID_ARGUMENT with a google.rpc.BadRequest naming each bad field,
// built with common/server/errors.h).
//
// Dates are calendar days in the deployment's time zone; "today" is passed in by the caller
// (time::DayOf(clock.Now(), tz)) so every rule is a pure function of its arguments.
//
// Thread-safety: every function is pure (the PersonKeyer passed in is immutable).
#ifndef LIANFANG_SERVICES_SURVEY_SURVEY_RULES_H_
#define LIANFANG_SERVICES_SURVEY_SURVEY_RULES_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/pii/pii.h"
#include "common/request/request.h"
#include "common/server/errors.h"
#include "common/sites/site_directory.h"
#include "lianfang/common/v1/common.pb.h"
#include "lianfang/survey/v1/survey.pb.h"

namespace lianfang::survey {

// Temperatures outside this range are not readings (API.md, as for the gate).
inline constexpr double kMinTemperatureC = 34.0;
inline constexpr double kMaxTemperatureC = 43.0;
// A health report may be filed for today or up to this many days back.
inline constexpr int kReportLookbackDays = 7;
// Longest free-text or name field accepted, in characters (a building's name in Chinese
// counts one per character, as the volunteer typed it).
inline constexpr size_t kMaxTextChars = 256;
// A fever follow-up task is due this long after the report.
inline constexpr absl::Duration kFeverFollowupDue = absl::Hours(2);

// ---- Observation window --------------------------------------------------------------------

// The days of a home observation: from the day of arrival through `end` (inclusive).
struct ObservationWindow {
  absl::CivilDay start;
  absl::CivilDay end;
};

// The observation an arrival on `arrived_on` calls for when seen on `today`: it runs from the
// arrival day through arrived_on + observation_days. nullopt when that end is before
// `today` (the period is over: with 14 days, an arrival exactly 14 days ago is still observed
// through today, one 15 days ago is not). REQUIRES: observation_days >= 1,
// arrived_on <= today.
std::optional<ObservationWindow> ObservationFor(absl::CivilDay arrived_on, absl::CivilDay today,
                                                int observation_days);

// True when an observation [start, end], ended early on `ended_on` (if any), is active on
// `day`: start <= day <= end, and not ended on or before `day`.
bool ObservationActiveOn(absl::CivilDay start, absl::CivilDay end,
                         std::optional<absl::CivilDay> ended_on, absl::CivilDay day);

// The instant a gate hold for an observation ending on `end` lasts until: the end of that day
// (the first instant of the next day) in `tz`.
absl::Time HoldUntil(absl::CivilDay end, absl::TimeZone tz);

// ---- Health reports ------------------------------------------------------------------------

// True when a report calls for a fever follow-up: the temperature reaches `threshold_c` (the
// site's fever threshold, 37.3 by default) or SYMPTOM_FEVER is declared.
bool IsFever(double temperature_c, const std::vector<v1::Symptom>& symptoms, double threshold_c);

// ---- Field checks (each adds its violations to `errors`) -----------------------------------

// UTF-8 text of at most kMaxTextChars characters without control characters
// (request::CheckPlainText); `required` also rejects an empty (or all-blank) value. Returns
// whether it added no violation.
bool CheckText(server::FieldErrors& errors, absl::string_view field, absl::string_view value,
               bool required);
// A finite temperature within kMinTemperatureC..kMaxTemperatureC.
void CheckTemperature(server::FieldErrors& errors, absl::string_view field, double temperature_c);
// A known site id (required).
void CheckSite(server::FieldErrors& errors, absl::string_view field, absl::string_view site_id,
               const sites::SiteDirectory& sites);

// A strict date that is neither after `today` nor, when `max_days_back` is set, more than
// that many days before it. Empty is an error when `required`, else `today`. Returns the day,
// or nullopt after adding a violation.
std::optional<absl::CivilDay> CheckDate(server::FieldErrors& errors, absl::string_view field,
                                        absl::string_view text, absl::CivilDay today, bool required,
                                        std::optional<int> max_days_back);

// A person as the survey keeps it (and every service): the key and masks, plus the clear
// name and phone that only ADMIN and LEADER read back. Never the ID number. A PersonInput is
// checked and turned into one by request::CheckPerson and request::DerivePerson.
using Person = request::Person;

// ---- Requests ------------------------------------------------------------------------------
// Each returns OK or INVALID_ARGUMENT naming every bad field. They check the shape of the
// request only; whether a household, resident or person exists is the store's business.

absl::Status ValidateUpsertHousehold(const v1::UpsertHouseholdRequest& request,
                                     const sites::SiteDirectory& sites);

// Returns the person to register.
absl::StatusOr<Person> ValidateRegisterResident(const v1::RegisterResidentRequest& request,
                                                absl::CivilDay today,
                                                const pii::PersonKeyer& keyer);

absl::Status ValidateVerifyTenant(const v1::VerifyTenantRequest& request);

// Who a movement or a report is about: either a known key or a person given in full.
struct Who {
  std::string person_key;        // always set
  std::optional<Person> person;  // set when the request carried the identity
};

struct MovementInput {
  Who who;
  absl::CivilDay arrived_on;
};
absl::StatusOr<MovementInput> ValidateRecordMovement(const v1::RecordMovementRequest& request,
                                                     const sites::SiteDirectory& sites,
                                                     absl::CivilDay today,
                                                     const pii::PersonKeyer& keyer);

absl::Status ValidateEndObservation(const v1::EndObservationRequest& request);

struct ReportInput {
  Who who;
  absl::CivilDay date;
  std::vector<v1::Symptom> symptoms;  // deduplicated, in the order first given
};
absl::StatusOr<ReportInput> ValidateSubmitHealthReport(const v1::SubmitHealthReportRequest& request,
                                                       absl::CivilDay today,
                                                       const pii::PersonKeyer& keyer);

// "1,4" <-> {SYMPTOM_FEVER, SYMPTOM_SHORTNESS_OF_BREATH}: how symptoms are stored.
std::string EncodeSymptoms(const std::vector<v1::Symptom>& symptoms);
std::vector<v1::Symptom> DecodeSymptoms(absl::string_view text);

}  // namespace lianfang::survey

#endif  // LIANFANG_SERVICES_SURVEY_SURVEY_RULES_H_
