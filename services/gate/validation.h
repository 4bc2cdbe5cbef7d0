// Input checks of the gate service's requests (API.md "Bad input"): every bad field is named
// in an INVALID_ARGUMENT carrying google.rpc.BadRequest (common/server/errors.h), and nothing
// is written for a bad request. Checks here are pure (no SQL, no gRPC): ids against the site
// directory, formats, ranges, and times against the `now` given.
//
// Resident ID numbers are validated and turned into person_key and masks right here, so the
// clear number never travels further into the service.
//
// Thread-safety: every function is thread-safe.
#ifndef LIANFANG_SERVICES_GATE_VALIDATION_H_
#define LIANFANG_SERVICES_GATE_VALIDATION_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/pii/pii.h"
#include "common/server/errors.h"
#include "common/sites/site_directory.h"
#include "lianfang/common/v1/common.pb.h"
#include "lianfang/gate/v1/gate.pb.h"

namespace lianfang::gate {

// Longest string field accepted anywhere, in bytes.
inline constexpr size_t kMaxStringBytes = 256;
// Longest vehicle plate accepted before normalisation, in bytes.
inline constexpr size_t kMaxPlateBytes = 32;
// Temperatures outside this range are not readings.
inline constexpr double kMinTemperatureC = 34.0;
inline constexpr double kMaxTemperatureC = 43.0;
// How far ahead of the server's clock a device's captured_at may be.
inline constexpr absl::Duration kMaxCaptureSkew = absl::Minutes(5);

// A validated RecordPassage request: normalised, the person resolved to a key and masks (or
// a pass code to resolve inside the transaction). Holds no clear ID number.
struct PassageInput {
  std::string request_id;
  std::string site_id;
  std::string gate_id;
  v1::Direction direction = v1::DIRECTION_UNSPECIFIED;
  // Set when the person was identified by ID card (empty when by pass code).
  std::string person_key;
  std::string id_masked;
  std::string name_masked;
  // Set (normalised) when the person showed a pass code.
  std::string pass_code;
  double temperature_c = 0;               // 0 = none taken
  std::string vehicle_plate;              // normalised; empty = no vehicle
  std::optional<absl::Time> captured_at;  // unset = the recording time
  // The id the passage will get, drawn (NewPassageId) before the write is queued so that the
  // database's writer thread does not pay for the random generator; empty = drawn when
  // recording. Not part of the request.
  std::string passage_id;
};

// Validates a RecordPassage request (every rule of API.md): request_id; site and gate (known,
// the gate of that site); direction; exactly one of person and pass_code (a pass_code that is
// set but empty, or a person without id_number, counts as missing); the person by the rule of
// request::CheckPerson (name optional; its birth date not after the day of `now` in `tz`);
// temperature (required on entry; finite and within 34.0..43.0 whenever given); plate;
// captured_at (a valid timestamp, not more than 5 minutes after `now`); strings up to 256
// bytes. INVALID_ARGUMENT naming every bad field, else the normalised input.
absl::StatusOr<PassageInput> ValidateRecordPassage(const v1::RecordPassageRequest& request,
                                                   const sites::SiteDirectory& sites,
                                                   const pii::PersonKeyer& keyer, absl::Time now,
                                                   absl::TimeZone tz);

// A validated IssuePass request. Holds no clear ID number.
struct PassInput {
  std::string site_id;
  std::string person_key;
  std::string id_masked;
  std::string name_masked;
  std::string name;  // clear name (kept for ADMIN and LEADER readers); may be empty
  v1::PassKind kind = v1::PASS_KIND_UNSPECIFIED;
  std::optional<absl::Time> valid_until;
};

// IssuePass: request_id; site; exactly one of `person` (validated as above) and `person_key`
// (64 lowercase hex, with masks that really are masks: containing '*'); a known kind;
// valid_until after `now` when set. INVALID_ARGUMENT naming every bad field.
absl::StatusOr<PassInput> ValidateIssuePass(const v1::IssuePassRequest& request,
                                            const sites::SiteDirectory& sites,
                                            const pii::PersonKeyer& keyer, absl::Time now,
                                            absl::TimeZone tz);

// RevokePass: request_id, a well-formed pass_code, reason up to 256 bytes. Returns the
// normalised pass code.
absl::StatusOr<std::string> ValidateRevokePass(const v1::RevokePassRequest& request);

// PlaceHold: request_id, person_key, a non-empty reason, `until` set and after `now`.
absl::Status ValidatePlaceHold(const v1::PlaceHoldRequest& request, absl::Time now);

// ReleaseHold: request_id, person_key.
absl::Status ValidateReleaseHold(const v1::ReleaseHoldRequest& request);

// Most notes in one NoteHealthReports request.
inline constexpr int kMaxHealthNotes = 500;

// NoteHealthReports: request_id; 1..kMaxHealthNotes notes, each with a person_key (64
// lowercase hex) and a last_report_date empty or "YYYY-MM-DD" not after the day after the
// day of `now` in `tz` (a day of slack between the services' clocks). INVALID_ARGUMENT naming
// every bad field (notes[i].person_key, notes[i].last_report_date).
absl::Status ValidateNoteHealthReports(const v1::NoteHealthReportsRequest& request, absl::Time now,
                                       absl::TimeZone tz);

// RegisterVehicle: request_id, site, plate, owner_person_key (empty or a person key).
// Returns the normalised plate.
absl::StatusOr<std::string> ValidateRegisterVehicle(const v1::RegisterVehicleRequest& request,
                                                    const sites::SiteDirectory& sites);

// StartDuty / EndDuty: request_id, site, gate of that site.
absl::Status ValidateDuty(absl::string_view request_id, absl::string_view site_id,
                          absl::string_view gate_id, const sites::SiteDirectory& sites);

// ListPassages filters, validated.
struct PassageFilter {
  std::string site_id;
  std::string gate_id;                               // empty = every gate
  std::string person_key;                            // empty = everyone
  v1::Decision decision = v1::DECISION_UNSPECIFIED;  // unspecified = both
  absl::Time start = absl::InfinitePast();
  absl::Time end = absl::InfiniteFuture();
  int page_size = 50;
  std::string page_token;
};

// ListPassages: site required; gate of that site when given; person_key; decision a known
// value; start_time <= end_time; page_size >= 0 (0 = 50, capped at 500).
absl::StatusOr<PassageFilter> ValidateListPassages(const v1::ListPassagesRequest& request,
                                                   const sites::SiteDirectory& sites);

// Normalises a vehicle plate: drops spaces, '-' and the middle dots people type ("·", "•"),
// upper-cases ASCII letters, then checks the Chinese plate format: a province abbreviation
// (京, 沪, 粤, ...), the issuing letter, then 5 characters of A-Z (without I and O) and 0-9,
// or 6 such characters (new-energy plates), or 4 followed by one of 学警挂港澳领试超.
// INVALID_ARGUMENT (message without the plate) for anything else, including more than 32
// bytes.
absl::StatusOr<std::string> NormalizePlate(absl::string_view plate);

// Adds a violation of `field` when `value` is longer than kMaxStringBytes. Returns whether
// it was short enough.
bool CheckLength(absl::string_view value, absl::string_view field, server::FieldErrors& errors);

}  // namespace lianfang::gate

#endif  // LIANFANG_SERVICES_GATE_VALIDATION_H_
