#include "services/supplies/text_field.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/pii/pii.h"
#include "common/text/text.h"

namespace lianfang::supplies {

std::string StripText(absl::string_view value) {
  return std::string(absl::StripAsciiWhitespace(value));
}

bool CheckTextField(server::FieldErrors& errors, absl::string_view field, absl::string_view value,
                    size_t min_chars, size_t max_chars) {
  const absl::string_view stripped = absl::StripAsciiWhitespace(value);
  if (stripped.empty()) {
    if (min_chars > 0) {
      errors.Add(field, "is required");
      return false;
    }
    return true;
  }
  if (!text::IsPlainText(stripped)) {
    errors.Add(field, "must be UTF-8 without control characters");
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

bool CheckNoIdNumberOrPhone(server::FieldErrors& errors, absl::string_view field,
                            absl::string_view value) {
  if (!pii::ContainsIdNumberOrPhone(value)) return true;
  errors.Add(field, "must not hold an ID number or a phone number");
  return false;
}

}  // namespace lianfang::supplies
