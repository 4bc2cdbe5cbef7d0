#include "common/request/request.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/idempotency/idempotency.h"
#include "common/text/text.h"
#include "common/time/timestamp.h"

namespace lianfang::request {

void CheckRequestId(server::FieldErrors& errors, absl::string_view request_id,
                    absl::string_view field) {
  if (request_id.empty()) {
    errors.Add(field, "is required (1..64 characters)");
  } else if (!idempotency::ValidateRequestId(request_id).ok()) {
    errors.Add(field, "must be 1..64 characters without control characters");
  }
}

bool IsPersonKey(absl::string_view key) {
  if (key.size() != 64) return false;
  for (const char c : key) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void CheckPersonKey(server::FieldErrors& errors, absl::string_view field, absl::string_view key) {
  if (key.empty()) {
    errors.Add(field, "is required");
  } else if (!IsPersonKey(key)) {
    errors.Add(field, "must be 64 lowercase hexadecimal characters");
  }
}

bool CheckPerson(server::FieldErrors& errors, absl::string_view field,
                 const common::v1::PersonInput& input, absl::CivilDay today, bool name_required) {
  const size_t before = errors.size();
  const std::string id = pii::NormalizeIdNumber(input.id_number());
  if (id.empty()) {
    errors.Add(absl::StrCat(field, ".id_number"), "is required");
  } else if (absl::Status s = pii::ValidateIdNumber(id, today); !s.ok()) {
    errors.Add(absl::StrCat(field, ".id_number"), s.message());
  }
  const absl::string_view name = absl::StripAsciiWhitespace(input.name());
  if (name.empty()) {
    if (name_required) errors.Add(absl::StrCat(field, ".name"), "is required");
  } else if (absl::Status s = pii::ValidateName(name); !s.ok()) {
    errors.Add(absl::StrCat(field, ".name"), s.message());
  }
  const absl::string_view phone = absl::StripAsciiWhitespace(input.phone());
  if (!phone.empty()) {
    if (absl::Status s = pii::ValidatePhone(phone); !s.ok()) {
      errors.Add(absl::StrCat(field, ".phone"), s.message());
    }
  }
  return errors.size() == before;
}

Person DerivePerson(const common::v1::PersonInput& input, const pii::PersonKeyer& keyer) {
  const std::string id = pii::NormalizeIdNumber(input.id_number());
  Person person;
  person.person_key = keyer.PersonKey(id);
  person.id_masked = pii::MaskIdNumber(id);
  person.name = std::string(absl::StripAsciiWhitespace(input.name()));
  person.name_masked = pii::MaskName(person.name);
  person.phone = std::string(absl::StripAsciiWhitespace(input.phone()));
  person.phone_masked = person.phone.empty() ? "" : pii::MaskPhone(person.phone);
  return person;
}

std::optional<absl::Time> CheckTimestamp(server::FieldErrors& errors, absl::string_view field,
                                         const google::protobuf::Timestamp& ts,
                                         absl::Time earliest) {
  if (!time::IsValidTimestamp(ts) || time::FromTimestamp(ts) < earliest) {
    errors.Add(field, "is not a valid timestamp");
    return std::nullopt;
  }
  return time::FromTimestamp(ts);
}

std::string StripText(absl::string_view value) {
  return std::string(absl::StripAsciiWhitespace(value));
}

namespace {

// Plain text whose lines may be separated by "\n" or "\r\n", with tabs inside.
bool IsPlainTextLines(absl::string_view value) {
  for (absl::string_view line : absl::StrSplit(value, absl::ByAnyChar("\n\t"))) {
    absl::ConsumeSuffix(&line, "\r");
    if (!line.empty() && !text::IsPlainText(line)) return false;
  }
  return true;
}

bool CheckText(server::FieldErrors& errors, absl::string_view field, absl::string_view value,
               size_t min_chars, size_t max_chars, bool lines) {
  const absl::string_view stripped = absl::StripAsciiWhitespace(value);
  if (stripped.empty()) {
    if (min_chars > 0) {
      errors.Add(field, "is required");
      return false;
    }
    return true;
  }
  if (lines ? !IsPlainTextLines(stripped) : !text::IsPlainText(stripped)) {
    errors.Add(field, lines ? "must be UTF-8 without control characters other than line breaks"
                            : "must be UTF-8 without control characters");
    return false;
  }
  const size_t length = text::Utf8Length(stripped).value_or(0);
  if (length < min_chars || length > max_chars) {
    errors.Add(field, min_chars > 1
                          ? absl::StrCat("must be ", min_chars, "..", max_chars, " characters")
                          : absl::StrCat("must be at most ", max_chars, " characters"));
    return false;
  }
  return true;
}

}  // namespace

bool CheckPlainText(server::FieldErrors& errors, absl::string_view field, absl::string_view value,
                    size_t min_chars, size_t max_chars) {
  return CheckText(errors, field, value, min_chars, max_chars, /*lines=*/false);
}

bool CheckPlainTextLines(server::FieldErrors& errors, absl::string_view field,
                         absl::string_view value, size_t min_chars, size_t max_chars) {
  return CheckText(errors, field, value, min_chars, max_chars, /*lines=*/true);
}

bool CheckNoIdNumberOrPhone(server::FieldErrors& errors, absl::string_view field,
                            absl::string_view value) {
  if (!pii::ContainsIdNumberOrPhone(value)) return true;
  errors.Add(field, "must not hold an ID number or a phone number");
  return false;
}

bool CheckFreeText(server::FieldErrors& errors, absl::string_view field, absl::string_view value,
                   size_t max_chars, bool required, bool lines) {
  return CheckText(errors, field, value, required ? 1 : 0, max_chars, lines) &&
         CheckNoIdNumberOrPhone(errors, field, value);
}

}  // namespace lianfang::request
