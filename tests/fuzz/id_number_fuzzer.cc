// Fuzz target: the personal-data checks and masks of common/pii/pii.h (resident ID numbers,
// names, phones, person keys), fed the same bytes.
// Invariants (a violation aborts): normalizing is idempotent; a valid ID number is 18
// characters, 17 digits and its check digit, valid without `today` too, and masks to its first
// 6 and last 4 characters around 8 stars; a refusal is INVALID_ARGUMENT whose message does not
// repeat the input; person keys are 64 lowercase hex and the same for a number and its
// normalized form; a valid phone masks to at most 7 of its digits; masks never grow a valid
// name or phone into something longer than the input plus its stars.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/pii/pii.h"
#include "common/request/request.h"

namespace {

namespace pii = lianfang::pii;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "FUZZ INVARIANT VIOLATED: %s\n", message.c_str());
  std::fflush(stderr);
  std::abort();
}

int CountDigits(absl::string_view s) {
  int n = 0;
  for (char c : s) n += absl::ascii_isdigit(c) ? 1 : 0;
  return n;
}

void CheckRefusal(const absl::Status& status, absl::string_view input, absl::string_view what) {
  if (status.code() != absl::StatusCode::kInvalidArgument) {
    Die(absl::StrCat(what, ": a refusal gave ", status.ToString()));
  }
  // (Inputs with 6 or more digits: shorter ones can be words of the fixed messages.)
  if (CountDigits(input) >= 6 &&
      absl::string_view(status.message()).find(input) != absl::string_view::npos) {
    Die(absl::StrCat(what, ": the refusal repeats the input"));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const pii::PersonKeyer* keyer =
      new pii::PersonKeyer(*pii::PersonKeyer::FromSecret("fuzz-pii-key-0123456789abcdef"));
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const absl::CivilDay today(2026, 3, 10);

  // ---- ID numbers ----
  const std::string id = pii::NormalizeIdNumber(input);
  if (pii::NormalizeIdNumber(id) != id) Die("NormalizeIdNumber is not idempotent");
  const absl::Status valid = pii::ValidateIdNumber(id);
  const absl::Status valid_today = pii::ValidateIdNumber(id, today);
  if (valid_today.ok() && !valid.ok()) Die("valid as of today but not valid at all");
  if (!valid.ok()) CheckRefusal(valid, id, "ValidateIdNumber");
  if (!valid_today.ok()) CheckRefusal(valid_today, id, "ValidateIdNumber(today)");
  const std::string mask = pii::MaskIdNumber(input);
  if (valid.ok()) {
    if (id.size() != 18) Die("a valid ID number is not 18 characters");
    for (size_t i = 0; i < 17; ++i) {
      if (!absl::ascii_isdigit(id[i])) Die("a valid ID number has a non-digit in 1..17");
    }
    if (pii::IdNumberCheckDigit(id) != id[17]) Die("a valid ID number has a wrong check digit");
    if (mask != absl::StrCat(id.substr(0, 6), "********", id.substr(14))) {
      Die("the mask of a valid ID number is not region + 8 stars + last 4");
    }
    const std::string key = pii::PersonKeyer(*keyer).PersonKey(id);
    if (!lianfang::request::IsPersonKey(key)) Die("a person key is not 64 lowercase hex");
    if (keyer->PersonKey(input) != key) Die("a number and its normalized form key differently");
  }
  // Any input: the mask keeps its length and shows at most 10 of its bytes.
  if (mask.size() != id.size()) Die("the mask of an ID number changes its length");
  size_t shown = 0;
  for (char c : mask) shown += c == '*' ? 0 : 1;
  if (shown > 10) Die("the mask of an ID number shows more than 10 characters");

  // ---- Names ----
  const absl::Status name_ok = pii::ValidateName(input);
  if (!name_ok.ok()) CheckRefusal(name_ok, input, "ValidateName");
  const std::string masked_name = pii::MaskName(input);
  if (name_ok.ok() && masked_name.empty()) Die("a valid name masks to nothing");

  // ---- Phones ----
  const absl::Status phone_ok = pii::ValidatePhone(input);
  if (!phone_ok.ok()) CheckRefusal(phone_ok, input, "ValidatePhone");
  const std::string masked_phone = pii::MaskPhone(input);
  if (CountDigits(masked_phone) > 7) Die("a phone mask shows more than 7 digits");
  if (phone_ok.ok() && CountDigits(input) >= 8 && CountDigits(masked_phone) != 7) {
    Die("the mask of a valid phone does not show 3 + 4 digits");
  }
  return 0;
}
