// The rule of the free-text fields of the donations and the canteen register: surrounding
// ASCII whitespace does not count (it is stripped before checking and storing), a required
// field must not be blank, lengths are counted in characters (UTF-8 code points), and text is
// UTF-8 without control characters.
//
//   CheckTextField(errors, "merchant.name", req.merchant().name(), 1, 100);
//
// Pure; thread-safe.
#ifndef LIANFANG_SERVICES_SUPPLIES_TEXT_FIELD_H_
#define LIANFANG_SERVICES_SUPPLIES_TEXT_FIELD_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "common/server/errors.h"

namespace lianfang::supplies {

// `value` without surrounding ASCII whitespace.
std::string StripText(absl::string_view value);

// Adds one violation of `field` unless StripText(value) is plain text (text::IsPlainText) of
// `min_chars`..`max_chars` characters: "is required" (blank while min_chars > 0), "must be
// UTF-8 without control characters", or "must be at most N characters". Returns whether none
// was added.
bool CheckTextField(server::FieldErrors& errors, absl::string_view field, absl::string_view value,
                    size_t min_chars, size_t max_chars);

// Adds one violation of `field` when `value` holds an ID number or a phone number
// (pii::ContainsIdNumberOrPhone): free text every reader sees as typed (a note, a donor, an
// area) never keeps personal data in clear. The message does not repeat the value. Returns
// whether none was added.
bool CheckNoIdNumberOrPhone(server::FieldErrors& errors, absl::string_view field,
                            absl::string_view value);

}  // namespace lianfang::supplies

#endif  // LIANFANG_SERVICES_SUPPLIES_TEXT_FIELD_H_
