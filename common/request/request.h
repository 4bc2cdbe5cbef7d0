// The checks and conversions every handler makes on the fields API.md defines for all
// services: the request_id, the person (lianfang.common.v1.PersonInput), a person_key given
// instead of a person, and google.protobuf.Timestamp fields. Each check adds its violations,
// named after the field, to a FieldErrors (common/server/errors.h), so one INVALID_ARGUMENT
// names every bad field of the request:
//
//   server::FieldErrors errors;
//   request::CheckRequestId(errors, req.request_id());
//   const bool person_ok = request::CheckPerson(errors, "person", req.person(), today,
//                                               /*name_required=*/true);
//   std::optional<absl::Time> until = request::CheckTimestamp(errors, "until", req.until());
//   RETURN_IF_ERROR(errors.ToStatus());
//   const request::Person person = request::DerivePerson(req.person(), keyer);
//
// A service's own rules (sites, enums, ranges of its fields) stay in the service; what is the
// same for every service is written here once. Descriptions never repeat the value.
//
// Thread-safety: pure functions (the PersonKeyer passed in is immutable).
#ifndef LIANFANG_COMMON_REQUEST_REQUEST_H_
#define LIANFANG_COMMON_REQUEST_REQUEST_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/pii/pii.h"
#include "common/server/errors.h"
#include "google/protobuf/timestamp.pb.h"
#include "lianfang/common/v1/common.pb.h"

namespace lianfang::request {

// ---- request_id ----------------------------------------------------------------------------

// Adds a violation of `field` unless `request_id` is 1..64 bytes without control characters
// (the rule of idempotency::ValidateRequestId): "is required (1..64 characters)" when empty,
// "must be 1..64 characters without control characters" otherwise.
void CheckRequestId(server::FieldErrors& errors, absl::string_view request_id,
                    absl::string_view field = "request_id");

// ---- person_key ----------------------------------------------------------------------------

// True for a person_key as pii::PersonKeyer derives it: 64 lowercase hexadecimal characters
// (hex HMAC-SHA256).
bool IsPersonKey(absl::string_view key);

// Adds a violation of `field` when `key` is empty ("is required") or not a person key ("must
// be 64 lowercase hexadecimal characters"). A field that may be left empty is checked only
// when set: `if (!key.empty()) CheckPersonKey(...)`.
void CheckPersonKey(server::FieldErrors& errors, absl::string_view field, absl::string_view key);

// ---- PersonInput ---------------------------------------------------------------------------

// The one rule for a lianfang.common.v1.PersonInput, in every service. Surrounding ASCII
// whitespace (spaces, tabs, line breaks) is stripped from each of id_number, name and phone
// before it is checked, masked, keyed or stored; then
//   id_number: required; GB 11643 (pii::ValidateIdNumber), birth date not after `today`;
//   name:      required when `name_required`, otherwise optional (empty or all blank = not
//              given); when given: at most 64 bytes of valid UTF-8 without control
//              characters (pii::ValidateName);
//   phone:     optional; when given: '+'? and digits, 5..20 characters (pii::ValidatePhone).
// Violations are named `<field>.id_number`, `<field>.name` and `<field>.phone`. Returns
// whether none was added.
bool CheckPerson(server::FieldErrors& errors, absl::string_view field,
                 const common::v1::PersonInput& input, absl::CivilDay today, bool name_required);

// What a service keeps of a person: the key and masks, and the clear name and phone (stored
// for the ADMIN and LEADER readers, who alone see them). Never the ID number.
struct Person {
  std::string person_key;    // 64 lowercase hex
  std::string id_masked;     // "320102********1234"
  std::string name;          // stripped; empty when not given
  std::string name_masked;   // "李*妮"; empty when no name
  std::string phone;         // stripped; empty when not given
  std::string phone_masked;  // "138****1234"; empty when no phone
};

// The Person of `input`, stripped as CheckPerson strips it, keyed with `keyer`.
// REQUIRES: `input` passed CheckPerson.
Person DerivePerson(const common::v1::PersonInput& input, const pii::PersonKeyer& keyer);

// ---- google.protobuf.Timestamp -------------------------------------------------------------

// The instant of `ts`, or nullopt after adding "is not a valid timestamp" for `field` when it
// is outside the range google.protobuf.Timestamp allows (time::IsValidTimestamp) or before
// `earliest`.
std::optional<absl::Time> CheckTimestamp(server::FieldErrors& errors, absl::string_view field,
                                         const google::protobuf::Timestamp& ts,
                                         absl::Time earliest = absl::InfinitePast());

// ---- free text -----------------------------------------------------------------------------

// `value` without surrounding ASCII whitespace (what a free-text field stores).
std::string StripText(absl::string_view value);

// The rule of a free-text field (a title, a note, a name): surrounding ASCII whitespace does
// not count, a required field must not be blank, lengths are counted in characters (UTF-8 code
// points), and text is UTF-8 without control characters (text::IsPlainText). Adds one
// violation of `field` unless StripText(value) is plain text of `min_chars`..`max_chars`
// characters: "is required" (blank while min_chars > 0), "must be UTF-8 without control
// characters", or "must be at most N characters" ("must be M..N characters" when M > 1).
// Returns whether none was added.
//
//   request::CheckPlainText(errors, "merchant.name", req.merchant().name(), 1, 100);
bool CheckPlainText(server::FieldErrors& errors, absl::string_view field, absl::string_view value,
                    size_t min_chars, size_t max_chars);

// As CheckPlainText, for text of several lines (a notice's body, an initiative's): line
// breaks ("\n", "\r\n") and tabs are allowed inside, other control characters are not
// ("must be UTF-8 without control characters other than line breaks").
bool CheckPlainTextLines(server::FieldErrors& errors, absl::string_view field,
                         absl::string_view value, size_t min_chars, size_t max_chars);

// Adds one violation of `field` when `value` holds an ID number or a phone number
// (pii::ContainsIdNumberOrPhone): free text every reader sees as typed (a note, a title, a
// donor, an area) never keeps personal data in clear. The message does not repeat the value.
// Returns whether none was added.
bool CheckNoIdNumberOrPhone(server::FieldErrors& errors, absl::string_view field,
                            absl::string_view value);

// Free text every reader sees as typed (a title, a note, a plan's step): CheckPlainText (or
// CheckPlainTextLines when `lines`) of 1..max_chars characters (0..max_chars unless
// `required`), then CheckNoIdNumberOrPhone. Adds one violation at most; returns whether none
// was added.
//
//   request::CheckFreeText(errors, "notice.title", n.title(), 100, /*required=*/true);
bool CheckFreeText(server::FieldErrors& errors, absl::string_view field, absl::string_view value,
                   size_t max_chars, bool required, bool lines = false);

}  // namespace lianfang::request

#endif  // LIANFANG_COMMON_REQUEST_REQUEST_H_
