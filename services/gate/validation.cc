#include "services/gate/validation.h"

#include <cmath>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/request/request.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"
#include "services/gate/codes.h"

namespace lianfang::gate {
namespace {

// Province abbreviations that open a Chinese plate.
constexpr const char* kProvinces[] = {
    "京", "津", "沪", "渝", "冀", "豫", "云", "辽", "黑", "湘", "皖", "鲁", "新", "苏", "浙", "赣",
    "鄂", "桂", "甘", "晋", "蒙", "陕", "吉", "闽", "贵", "粤", "青", "藏", "川", "宁", "琼"};
// Characters that may close a plate of 5 serial characters (student, police, trailer, Hong
// Kong, Macau, consulate, test, oversize).
constexpr const char* kPlateSuffixes[] = {"学", "警", "挂", "港", "澳", "领", "试", "超"};

bool IsPlateSerialChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'I' && c != 'O');
}

void CheckTemperature(double t, server::FieldErrors& errors) {
  if (!std::isfinite(t)) {
    errors.Add("temperature_c", "must be a finite number of degrees Celsius");
  } else if (t < kMinTemperatureC || t > kMaxTemperatureC) {
    errors.Add("temperature_c", "must be within 34.0..43.0 degrees Celsius");
  }
}

void CheckSite(const sites::SiteDirectory& sites, absl::string_view site_id,
               server::FieldErrors& errors) {
  if (site_id.empty()) {
    errors.Add("site_id", "is required");
  } else if (CheckLength(site_id, "site_id", errors)) {
    errors.AddFromStatus("", sites.CheckSite(site_id));
  }
}

void CheckSiteAndGate(const sites::SiteDirectory& sites, absl::string_view site_id,
                      absl::string_view gate_id, server::FieldErrors& errors) {
  if (site_id.empty()) errors.Add("site_id", "is required");
  if (gate_id.empty()) errors.Add("gate_id", "is required");
  const bool short_enough =
      CheckLength(site_id, "site_id", errors) && CheckLength(gate_id, "gate_id", errors);
  if (site_id.empty() || !short_enough) return;
  if (gate_id.empty()) {
    errors.AddFromStatus("", sites.CheckSite(site_id));
  } else {
    errors.AddFromStatus("", sites.CheckGate(site_id, gate_id));
  }
}

}  // namespace

bool CheckLength(absl::string_view value, absl::string_view field, server::FieldErrors& errors) {
  if (value.size() <= kMaxStringBytes) return true;
  errors.Add(field, absl::StrCat("must be at most ", kMaxStringBytes, " bytes"));
  return false;
}

absl::StatusOr<std::string> NormalizePlate(absl::string_view plate) {
  if (plate.size() > kMaxPlateBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("a plate has at most ", kMaxPlateBytes, " bytes"));
  }
  std::string out;
  out.reserve(plate.size());
  for (size_t i = 0; i < plate.size(); ++i) {
    const char c = plate[i];
    if (c == ' ' || c == '-') continue;
    if (absl::StartsWith(plate.substr(i), "·")) {  // U+00B7
      i += 1;
      continue;
    }
    if (absl::StartsWith(plate.substr(i), "•")) {  // U+2022
      i += 2;
      continue;
    }
    out.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  absl::string_view rest = out;
  bool province = false;
  for (const char* p : kProvinces) {
    if (absl::ConsumePrefix(&rest, p)) {
      province = true;
      break;
    }
  }
  const absl::Status malformed = absl::InvalidArgumentError(
      "must be a Chinese plate such as 京A12345 or 京AD12345 (province, letter, 5 or 6 letters "
      "and digits)");
  if (!province) return malformed;
  if (rest.empty() || rest[0] < 'A' || rest[0] > 'Z') return malformed;
  rest.remove_prefix(1);
  bool special = false;
  for (const char* suffix : kPlateSuffixes) {
    if (absl::ConsumeSuffix(&rest, suffix)) {
      special = true;
      break;
    }
  }
  if (special ? rest.size() != 4 : (rest.size() != 5 && rest.size() != 6)) return malformed;
  for (char c : rest) {
    if (!IsPlateSerialChar(c)) return malformed;
  }
  return out;
}

absl::StatusOr<PassageInput> ValidateRecordPassage(const v1::RecordPassageRequest& request,
                                                   const sites::SiteDirectory& sites,
                                                   const pii::PersonKeyer& keyer, absl::Time now,
                                                   absl::TimeZone tz) {
  server::FieldErrors errors;
  PassageInput in;
  request::CheckRequestId(errors, request.request_id());
  CheckSiteAndGate(sites, request.site_id(), request.gate_id(), errors);
  if (request.direction() != v1::DIRECTION_ENTRY && request.direction() != v1::DIRECTION_EXIT) {
    errors.Add("direction", "must be DIRECTION_ENTRY or DIRECTION_EXIT");
  }

  // Identity: exactly one of person and pass_code. The oneof keeps only the last one set, so
  // "both" reaches us as the later of the two; an empty member counts as missing.
  const bool has_person = request.has_person() &&
                          (!request.person().id_number().empty() ||
                           !request.person().name().empty() || !request.person().phone().empty());
  const bool has_pass = request.identity_case() == v1::RecordPassageRequest::kPassCode &&
                        !request.pass_code().empty();
  if (!has_person && !has_pass) {
    errors.Add("person", "give either the person's identity or a pass_code");
  } else if (has_person) {
    request::CheckPerson(errors, "person", request.person(), time::DayOf(now, tz),
                         /*name_required=*/false);
  } else if (CheckLength(request.pass_code(), "pass_code", errors)) {
    in.pass_code = NormalizePassCode(request.pass_code());
    if (!IsWellFormedPassCode(in.pass_code)) {
      errors.Add("pass_code", "is not a pass code (10 letters and digits as printed on the pass)");
    }
  }

  const double t = request.temperature_c();
  if (request.direction() == v1::DIRECTION_ENTRY && t == 0) {
    errors.Add("temperature_c", "is required on entry");
  } else if (t != 0) {
    CheckTemperature(t, errors);
  }

  if (!request.vehicle_plate().empty()) {
    absl::StatusOr<std::string> plate = NormalizePlate(request.vehicle_plate());
    if (plate.ok()) {
      in.vehicle_plate = *plate;
    } else {
      errors.Add("vehicle_plate", plate.status().message());
    }
  }

  if (request.has_captured_at()) {
    std::optional<absl::Time> at =
        request::CheckTimestamp(errors, "captured_at", request.captured_at(), absl::UnixEpoch());
    if (at.has_value() && *at > now + kMaxCaptureSkew) {
      errors.Add("captured_at", "is more than 5 minutes ahead of the server's clock");
    }
    in.captured_at = at;
  }
  RETURN_IF_ERROR(errors.ToStatus());

  in.request_id = request.request_id();
  in.site_id = request.site_id();
  in.gate_id = request.gate_id();
  in.direction = request.direction();
  in.temperature_c = t;
  if (has_person) {
    request::Person person = request::DerivePerson(request.person(), keyer);
    in.person_key = std::move(person.person_key);
    in.id_masked = std::move(person.id_masked);
    in.name_masked = std::move(person.name_masked);
  }
  return in;
}

absl::StatusOr<PassInput> ValidateIssuePass(const v1::IssuePassRequest& request,
                                            const sites::SiteDirectory& sites,
                                            const pii::PersonKeyer& keyer, absl::Time now,
                                            absl::TimeZone tz) {
  server::FieldErrors errors;
  request::CheckRequestId(errors, request.request_id());
  CheckSite(sites, request.site_id(), errors);
  const bool has_person = request.has_person() &&
                          (!request.person().id_number().empty() ||
                           !request.person().name().empty() || !request.person().phone().empty());
  const bool has_key = !request.person_key().empty();
  if (has_person && has_key) {
    errors.Add("person_key", "give either person or person_key, not both");
  } else if (!has_person && !has_key) {
    errors.Add("person", "give either the holder's identity or a person_key");
  } else if (has_person) {
    request::CheckPerson(errors, "person", request.person(), time::DayOf(now, tz),
                         /*name_required=*/false);
  } else {
    request::CheckPersonKey(errors, "person_key", request.person_key());
  }
  for (const auto& [field, mask] : {std::pair{"id_masked", &request.id_masked()},
                                    std::pair{"name_masked", &request.name_masked()}}) {
    if (mask->empty()) continue;
    if (has_person) {
      errors.Add(field, "is derived from person; set it only with person_key");
    } else if (CheckLength(*mask, field, errors) && !absl::StrContains(*mask, "*")) {
      errors.Add(field, "must be a masked value (with '*'), never the clear one");
    }
  }
  if (!v1::PassKind_IsValid(request.kind()) || request.kind() == v1::PASS_KIND_UNSPECIFIED) {
    errors.Add("kind", "must be one of the PASS_KIND_ values");
  }
  PassInput in;
  if (request.has_valid_until()) {
    in.valid_until =
        request::CheckTimestamp(errors, "valid_until", request.valid_until(), absl::UnixEpoch());
    if (in.valid_until.has_value() && *in.valid_until <= now) {
      errors.Add("valid_until", "must be in the future");
    }
  }
  RETURN_IF_ERROR(errors.ToStatus());

  in.site_id = request.site_id();
  in.kind = request.kind();
  if (has_person) {
    request::Person person = request::DerivePerson(request.person(), keyer);
    in.person_key = std::move(person.person_key);
    in.id_masked = std::move(person.id_masked);
    in.name = std::move(person.name);
    in.name_masked = std::move(person.name_masked);
  } else {
    in.person_key = request.person_key();
    in.id_masked = request.id_masked();
    in.name_masked = request.name_masked();
  }
  return in;
}

absl::StatusOr<std::string> ValidateRevokePass(const v1::RevokePassRequest& request) {
  server::FieldErrors errors;
  request::CheckRequestId(errors, request.request_id());
  std::string code;
  if (request.pass_code().empty()) {
    errors.Add("pass_code", "is required");
  } else if (CheckLength(request.pass_code(), "pass_code", errors)) {
    code = NormalizePassCode(request.pass_code());
    if (!IsWellFormedPassCode(code)) errors.Add("pass_code", "is not a pass code");
  }
  CheckLength(request.reason(), "reason", errors);
  RETURN_IF_ERROR(errors.ToStatus());
  return code;
}

absl::Status ValidatePlaceHold(const v1::PlaceHoldRequest& request, absl::Time now) {
  server::FieldErrors errors;
  request::CheckRequestId(errors, request.request_id());
  request::CheckPersonKey(errors, "person_key", request.person_key());
  if (absl::StripAsciiWhitespace(request.reason()).empty()) {
    errors.Add("reason", "is required");
  } else {
    CheckLength(request.reason(), "reason", errors);
  }
  if (!request.has_until()) {
    errors.Add("until", "is required");
  } else {
    std::optional<absl::Time> until =
        request::CheckTimestamp(errors, "until", request.until(), absl::UnixEpoch());
    if (until.has_value() && *until <= now) errors.Add("until", "must be in the future");
  }
  return errors.ToStatus();
}

absl::Status ValidateNoteHealthReports(const v1::NoteHealthReportsRequest& request, absl::Time now,
                                       absl::TimeZone tz) {
  server::FieldErrors errors;
  request::CheckRequestId(errors, request.request_id());
  if (request.notes().empty()) {
    errors.Add("notes", "at least one note is required");
  } else if (request.notes_size() > kMaxHealthNotes) {
    errors.Add("notes", absl::StrCat("at most ", kMaxHealthNotes, " notes per request"));
  } else {
    const absl::CivilDay latest = time::DayOf(now, tz) + 1;
    for (int i = 0; i < request.notes_size(); ++i) {
      const v1::HealthReportNote& note = request.notes(i);
      const std::string field = absl::StrCat("notes[", i, "]");
      request::CheckPersonKey(errors, absl::StrCat(field, ".person_key"), note.person_key());
      if (note.last_report_date().empty()) continue;
      absl::StatusOr<absl::CivilDay> day = time::ParseDate(note.last_report_date());
      if (!day.ok()) {
        errors.Add(absl::StrCat(field, ".last_report_date"), "must be a date YYYY-MM-DD or empty");
      } else if (*day > latest) {
        errors.Add(absl::StrCat(field, ".last_report_date"), "must not be in the future");
      }
    }
  }
  return errors.ToStatus();
}

absl::Status ValidateReleaseHold(const v1::ReleaseHoldRequest& request) {
  server::FieldErrors errors;
  request::CheckRequestId(errors, request.request_id());
  request::CheckPersonKey(errors, "person_key", request.person_key());
  return errors.ToStatus();
}

absl::StatusOr<std::string> ValidateRegisterVehicle(const v1::RegisterVehicleRequest& request,
                                                    const sites::SiteDirectory& sites) {
  server::FieldErrors errors;
  request::CheckRequestId(errors, request.request_id());
  CheckSite(sites, request.site_id(), errors);
  std::string plate;
  if (request.plate().empty()) {
    errors.Add("plate", "is required");
  } else {
    absl::StatusOr<std::string> normalized = NormalizePlate(request.plate());
    if (normalized.ok()) {
      plate = *normalized;
    } else {
      errors.Add("plate", normalized.status().message());
    }
  }
  if (!request.owner_person_key().empty()) {
    request::CheckPersonKey(errors, "owner_person_key", request.owner_person_key());
  }
  RETURN_IF_ERROR(errors.ToStatus());
  return plate;
}

absl::Status ValidateDuty(absl::string_view request_id, absl::string_view site_id,
                          absl::string_view gate_id, const sites::SiteDirectory& sites) {
  server::FieldErrors errors;
  request::CheckRequestId(errors, request_id);
  CheckSiteAndGate(sites, site_id, gate_id, errors);
  return errors.ToStatus();
}

absl::StatusOr<PassageFilter> ValidateListPassages(const v1::ListPassagesRequest& request,
                                                   const sites::SiteDirectory& sites) {
  server::FieldErrors errors;
  PassageFilter filter;
  if (request.gate_id().empty()) {
    CheckSite(sites, request.site_id(), errors);
  } else {
    CheckSiteAndGate(sites, request.site_id(), request.gate_id(), errors);
  }
  if (!request.person_key().empty()) {
    request::CheckPersonKey(errors, "person_key", request.person_key());
  }
  if (!v1::Decision_IsValid(request.decision())) {
    errors.Add("decision", "must be one of the DECISION_ values");
  }
  if (request.has_start_time()) {
    filter.start =
        request::CheckTimestamp(errors, "start_time", request.start_time(), absl::UnixEpoch())
            .value_or(absl::InfinitePast());
  }
  if (request.has_end_time()) {
    filter.end = request::CheckTimestamp(errors, "end_time", request.end_time(), absl::UnixEpoch())
                     .value_or(absl::InfiniteFuture());
  }
  if (filter.start > filter.end) errors.Add("start_time", "must not be after end_time");
  if (request.page_size() < 0) errors.Add("page_size", "must not be negative");
  CheckLength(request.page_token(), "page_token", errors);
  RETURN_IF_ERROR(errors.ToStatus());
  filter.site_id = request.site_id();
  filter.gate_id = request.gate_id();
  filter.person_key = request.person_key();
  filter.decision = request.decision();
  filter.page_size = request.page_size();
  filter.page_token = request.page_token();
  return filter;
}

}  // namespace lianfang::gate
