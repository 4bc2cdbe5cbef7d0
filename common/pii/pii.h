// Personal data rules of Lianfang: resident ID numbers (GB 11643-1999) are validated and never
// kept in clear; a keyed HMAC gives the cross-service `person_key`; masks are what other
// people see (API.md: id_masked, name_masked, phone_masked).
//
//   const std::string id = pii::NormalizeIdNumber(request.person().id_number());
//   RETURN_IF_ERROR(pii::ValidateIdNumber(id, today));
//   const std::string person_key = keyer.PersonKey(id);   // store this, never `id`
//   row.id_masked = pii::MaskIdNumber(id);
//
// Error messages name the field and the problem, never the value: they end up in logs,
// audit records and gRPC statuses.
//
// Thread-safety: all free functions are pure; PersonKeyer is immutable after construction and
// safe to share between threads.
#ifndef LIANFANG_COMMON_PII_PII_H_
#define LIANFANG_COMMON_PII_PII_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace lianfang::pii {

// ---- Resident ID numbers -------------------------------------------------------------------

// Trims ASCII whitespace at both ends and upper-cases 'x' to 'X'. Does not validate.
std::string NormalizeIdNumber(absl::string_view id);

// Validates a resident ID number (GB 11643-1999): 18 characters, 17 digits then a check
// digit 0-9 or X ('x' accepted); the birth date (characters 7-14, YYYYMMDD) a real calendar
// date from 1900-01-01 on; and the check digit: the first 17 digits weighted
// 7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2, summed, mod 11, indexing "10X98765432".
// Surrounding spaces are not accepted: NormalizeIdNumber first.
// This overload cannot know "today" and so does not reject future birth dates; services,
// which have a Clock, use the overload below.
// INVALID_ARGUMENT saying which rule failed (length, characters, birth date, check digit);
// the message never contains the number or any part of it.
absl::Status ValidateIdNumber(absl::string_view id);

// As above, and the birth date must not be after `today`.
absl::Status ValidateIdNumber(absl::string_view id, absl::CivilDay today);

// The check digit ('0'-'9' or 'X') of the first 17 characters of `first17`.
// REQUIRES: first17 holds at least 17 characters, the first 17 of them digits.
char IdNumberCheckDigit(absl::string_view first17);

// "320102199001011234" -> "320102********1234": the first 6 (region) and the last 4 kept, every
// other character a '*'. Inputs shorter than 14 characters are masked entirely (one '*' per
// character). Normalizes first.
std::string MaskIdNumber(absl::string_view id);

// ---- Names and phones ----------------------------------------------------------------------

// Masks a name by characters (UTF-8 code points), after trimming: 1 -> "*", 2 -> first + "*",
// 3 or more -> first + one '*' per hidden character + last ("李小妮" -> "李*妮",
// "欧阳娜娜" -> "欧**娜", "Alice" -> "A***e"). Bytes that are not valid UTF-8 count as one
// character each. Empty stays empty.
std::string MaskName(absl::string_view name);

// Masks a phone number by its digits (other characters dropped, a leading '+' kept): with 8 or
// more digits the first 3 and last 4 are kept ("13812341234" -> "138****1234"); shorter numbers
// show only their last 2 digits ("95599" -> "***99"; fewer than 3 digits: all stars).
std::string MaskPhone(absl::string_view phone);

// OK for an optional leading '+' then digits, 5..20 characters in all.
// INVALID_ARGUMENT otherwise (the message does not repeat the number).
absl::Status ValidatePhone(absl::string_view phone);

// OK for a name that is non-empty after trimming, at most 64 bytes, valid UTF-8, and free of
// control characters (C0, DEL, C1). INVALID_ARGUMENT otherwise (without repeating the name).
absl::Status ValidateName(absl::string_view name);

// ---- Free text -------------------------------------------------------------------------------

// True when free text (a note, a donor's name, a reason) holds what reads as a mobile phone
// number or a resident ID number: a run of digits (single spaces or hyphens between them
// allowed, e.g. "139 5729 3846", "139-5729-3846"), not touching other digits or ASCII letters,
// that is 11 digits starting with 1 (optionally after +86 or 86), 15 digits (a first-generation
// ID number), or 17 digits followed by a digit or X with a valid GB 11643 check digit. Texts
// the API keeps in clear and shows to every reader check this so that personal data typed
// into them is refused instead of stored. Dates ("2026-12-06"), amounts, receipt and batch
// numbers of other lengths pass.
bool ContainsIdNumberOrPhone(absl::string_view text);

// ---- person_key ----------------------------------------------------------------------------

// Derives person keys: lowercase hex HMAC-SHA256 of the normalized ID number under the
// deployment's secret (the file named by LF_PII_KEY_FILE). Every service loading the same key
// file derives the same key for the same person, so records join across services without the
// number itself. Copyable and cheap to copy; the secret itself is not kept (only the keyed
// HMAC state, wiped when the last copy is destroyed).
class PersonKeyer final {
 public:
  static constexpr size_t kMinKeyBytes = 16;

  // Reads the secret from `path`: the file's bytes are the key as they are (a hex string is
  // not decoded), after trailing line breaks ("\n", "\r\n") are stripped.
  // FAILED_PRECONDITION, naming the path (never the content), when the file is missing,
  // unreadable, empty or shorter than kMinKeyBytes.
  static absl::StatusOr<PersonKeyer> FromKeyFile(const std::string& path);

  // Uses `secret` as is. FAILED_PRECONDITION when shorter than kMinKeyBytes.
  static absl::StatusOr<PersonKeyer> FromSecret(std::string secret);

  // Copies share the (immutable) keyed state.
  PersonKeyer(const PersonKeyer&);
  PersonKeyer(PersonKeyer&&) noexcept;
  PersonKeyer& operator=(const PersonKeyer&);
  PersonKeyer& operator=(PersonKeyer&&) noexcept;
  ~PersonKeyer();

  // 64 lowercase hex characters. The input is normalized first (NormalizeIdNumber), so "…x"
  // and "…X" give the same key; it is not validated (validate before deriving).
  // REQUIRES: not a moved-from PersonKeyer.
  std::string PersonKey(absl::string_view id_number) const;

 private:
  class HmacState;
  explicit PersonKeyer(std::shared_ptr<const HmacState> state);

  std::shared_ptr<const HmacState> state_;
};

}  // namespace lianfang::pii

#endif  // LIANFANG_COMMON_PII_PII_H_
