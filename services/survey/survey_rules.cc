#include "services/survey/survey_rules.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/request/request.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"

namespace lianfang::survey {

std::optional<ObservationWindow> ObservationFor(absl::CivilDay arrived_on, absl::CivilDay today,
                                                int observation_days) {
  const absl::CivilDay end = arrived_on + observation_days;
  if (end < today) return std::nullopt;
  return ObservationWindow{arrived_on, end};
}

bool ObservationActiveOn(absl::CivilDay start, absl::CivilDay end,
                         std::optional<absl::CivilDay> ended_on, absl::CivilDay day) {
  if (day < start || day > end) return false;
  return !ended_on.has_value() || *ended_on > day;
}

absl::Time HoldUntil(absl::CivilDay end, absl::TimeZone tz) { return time::EndOfDay(end, tz); }

bool IsFever(double temperature_c, const std::vector<v1::Symptom>& symptoms, double threshold_c) {
  if (std::find(symptoms.begin(), symptoms.end(), v1::SYMPTOM_FEVER) != symptoms.end()) {
    return true;
  }
  return temperature_c >= threshold_c;
}

bool CheckText(server::FieldErrors& errors, absl::string_view field, absl::string_view value,
               bool required) {
  return request::CheckPlainText(errors, field, value, required ? 1 : 0, kMaxTextChars);
}

void CheckTemperature(server::FieldErrors& errors, absl::string_view field, double temperature_c) {
  if (!std::isfinite(temperature_c) || temperature_c < kMinTemperatureC ||
      temperature_c > kMaxTemperatureC) {
    errors.Add(field, "must be a reading within 34.0..43.0 degrees Celsius");
  }
}

void CheckSite(server::FieldErrors& errors, absl::string_view field, absl::string_view site_id,
               const sites::SiteDirectory& sites) {
  if (site_id.empty()) {
    errors.Add(field, "required");
  } else if (sites.Find(site_id) == nullptr) {
    errors.Add(field, "unknown site");
  }
}

std::optional<absl::CivilDay> CheckDate(server::FieldErrors& errors, absl::string_view field,
                                        absl::string_view text, absl::CivilDay today, bool required,
                                        std::optional<int> max_days_back) {
  if (text.empty()) {
    if (!required) return today;
    errors.Add(field, "required (YYYY-MM-DD)");
    return std::nullopt;
  }
  absl::StatusOr<absl::CivilDay> day = time::ParseDate(text);
  if (!day.ok()) {
    errors.Add(field, "must be a date YYYY-MM-DD");
    return std::nullopt;
  }
  if (*day > today) {
    errors.Add(field, "must not be in the future");
    return std::nullopt;
  }
  if (max_days_back.has_value() && *day < today - *max_days_back) {
    errors.Add(field, absl::StrCat("must not be more than ", *max_days_back, " days back"));
    return std::nullopt;
  }
  return *day;
}

absl::Status ValidateUpsertHousehold(const v1::UpsertHouseholdRequest& request,
                                     const sites::SiteDirectory& sites) {
  server::FieldErrors errors;
  request::CheckRequestId(errors, request.request_id());
  const v1::Household& h = request.household();
  if (!request.has_household()) {
    errors.Add("household", "required");
    return errors.ToStatus();
  }
  CheckText(errors, "household.household_id", h.household_id(), false);
  CheckSite(errors, "household.site_id", h.site_id(), sites);
  CheckText(errors, "household.building", h.building(), true);
  CheckText(errors, "household.unit", h.unit(), false);
  CheckText(errors, "household.room", h.room(), true);
  if (h.kind() == v1::HOUSEHOLD_KIND_UNSPECIFIED || !v1::HouseholdKind_IsValid(h.kind())) {
    errors.Add("household.kind", "must be a known HouseholdKind");
  }
  if (CheckText(errors, "household.landlord_name", h.landlord_name(), false) &&
      !h.landlord_name().empty()) {
    if (absl::Status s = pii::ValidateName(h.landlord_name()); !s.ok()) {
      errors.Add("household.landlord_name", s.message());
    }
  }
  if (CheckText(errors, "household.landlord_phone", h.landlord_phone(), false) &&
      !h.landlord_phone().empty()) {
    if (absl::Status s = pii::ValidatePhone(absl::StripAsciiWhitespace(h.landlord_phone()));
        !s.ok()) {
      errors.Add("household.landlord_phone", s.message());
    }
  }
  return errors.ToStatus();
}

absl::StatusOr<Person> ValidateRegisterResident(const v1::RegisterResidentRequest& request,
                                                absl::CivilDay today,
                                                const pii::PersonKeyer& keyer) {
  server::FieldErrors errors;
  request::CheckRequestId(errors, request.request_id());
  CheckText(errors, "household_id", request.household_id(), true);
  CheckText(errors, "relation", request.relation(), false);
  std::optional<Person> person;
  if (!request.has_person()) {
    errors.Add("person", "required");
  } else {
    if (request::CheckPerson(errors, "person", request.person(), today, /*name_required=*/true)) {
      person = request::DerivePerson(request.person(), keyer);
    }
  }
  RETURN_IF_ERROR(errors.ToStatus());
  return *std::move(person);
}

absl::Status ValidateVerifyTenant(const v1::VerifyTenantRequest& request) {
  server::FieldErrors errors;
  request::CheckRequestId(errors, request.request_id());
  CheckText(errors, "resident_id", request.resident_id(), true);
  if (request.outcome() != v1::TENANT_STATUS_VERIFIED &&
      request.outcome() != v1::TENANT_STATUS_REJECTED) {
    errors.Add("outcome", "must be TENANT_STATUS_VERIFIED or TENANT_STATUS_REJECTED");
  }
  CheckText(errors, "note", request.note(), false);
  return errors.ToStatus();
}

namespace {

// The person_key / person oneof of movements and reports.
std::optional<Who> CheckWho(server::FieldErrors& errors, bool has_key, const std::string& key,
                            bool has_person, const common::v1::PersonInput& person,
                            absl::CivilDay today, const pii::PersonKeyer& keyer) {
  if (has_key) {
    const size_t before = errors.size();
    request::CheckPersonKey(errors, "person_key", key);
    if (errors.size() != before) return std::nullopt;
    return Who{key, std::nullopt};
  }
  if (has_person) {
    if (!request::CheckPerson(errors, "person", person, today, /*name_required=*/false)) {
      return std::nullopt;
    }
    Person p = request::DerivePerson(person, keyer);
    return Who{p.person_key, std::move(p)};
  }
  errors.Add("person_key", "either person_key or person is required");
  return std::nullopt;
}

}  // namespace

absl::StatusOr<MovementInput> ValidateRecordMovement(const v1::RecordMovementRequest& request,
                                                     const sites::SiteDirectory& sites,
                                                     absl::CivilDay today,
                                                     const pii::PersonKeyer& keyer) {
  server::FieldErrors errors;
  request::CheckRequestId(errors, request.request_id());
  std::optional<Who> who = CheckWho(
      errors, request.who_case() == v1::RecordMovementRequest::kPersonKey, request.person_key(),
      request.who_case() == v1::RecordMovementRequest::kPerson, request.person(), today, keyer);
  CheckText(errors, "from_region", request.from_region(), true);
  std::optional<absl::CivilDay> arrived =
      CheckDate(errors, "arrived_on", request.arrived_on(), today, true, std::nullopt);
  CheckText(errors, "transport", request.transport(), false);
  CheckText(errors, "note", request.note(), false);
  // An empty site means "where the person lives"; the store resolves it.
  if (!request.site_id().empty()) CheckSite(errors, "site_id", request.site_id(), sites);
  RETURN_IF_ERROR(errors.ToStatus());
  return MovementInput{*std::move(who), *arrived};
}

absl::Status ValidateEndObservation(const v1::EndObservationRequest& request) {
  server::FieldErrors errors;
  request::CheckRequestId(errors, request.request_id());
  request::CheckPersonKey(errors, "person_key", request.person_key());
  CheckText(errors, "note", request.note(), false);
  return errors.ToStatus();
}

absl::StatusOr<ReportInput> ValidateSubmitHealthReport(const v1::SubmitHealthReportRequest& request,
                                                       absl::CivilDay today,
                                                       const pii::PersonKeyer& keyer) {
  server::FieldErrors errors;
  request::CheckRequestId(errors, request.request_id());
  std::optional<Who> who = CheckWho(
      errors, request.who_case() == v1::SubmitHealthReportRequest::kPersonKey, request.person_key(),
      request.who_case() == v1::SubmitHealthReportRequest::kPerson, request.person(), today, keyer);
  std::optional<absl::CivilDay> date =
      CheckDate(errors, "date", request.date(), today, true, kReportLookbackDays);
  CheckTemperature(errors, "temperature_c", request.temperature_c());
  std::vector<v1::Symptom> symptoms;
  for (int i = 0; i < request.symptoms_size(); ++i) {
    const int value = request.symptoms(i);
    if (value == v1::SYMPTOM_UNSPECIFIED || !v1::Symptom_IsValid(value)) {
      errors.Add(absl::StrCat("symptoms[", i, "]"), "must be a known Symptom");
      continue;
    }
    const auto symptom = static_cast<v1::Symptom>(value);
    if (std::find(symptoms.begin(), symptoms.end(), symptom) == symptoms.end()) {
      symptoms.push_back(symptom);
    }
  }
  CheckText(errors, "note", request.note(), false);
  RETURN_IF_ERROR(errors.ToStatus());
  return ReportInput{*std::move(who), *date, std::move(symptoms)};
}

std::string EncodeSymptoms(const std::vector<v1::Symptom>& symptoms) {
  return absl::StrJoin(symptoms, ",", [](std::string* out, v1::Symptom s) {
    absl::StrAppend(out, static_cast<int>(s));
  });
}

std::vector<v1::Symptom> DecodeSymptoms(absl::string_view text) {
  std::vector<v1::Symptom> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int value = 0;
    if (absl::SimpleAtoi(part, &value) && v1::Symptom_IsValid(value)) {
      out.push_back(static_cast<v1::Symptom>(value));
    }
  }
  return out;
}

}  // namespace lianfang::survey
