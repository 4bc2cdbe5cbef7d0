// Identifiers the gate service hands out: pass codes people show at the gate and passage ids.
//
// Pass codes are short enough to type from a printed pass and unguessable: 10 characters from
// a 31-character alphabet without look-alikes (no 0/O, 1/I/L), drawn from OpenSSL's CSPRNG
// (about 49.5 bits). People may type them in lower case or with spaces and dashes;
// NormalizePassCode folds those before the lookup. Passage ids are 24 lowercase hex characters:
// the recording time in milliseconds since the Unix epoch (11 characters), then 52 bits from
// the same CSPRNG (13 characters), so ids never repeat across databases (dispatch uses them
// in its idempotency keys) and a new id sorts after the ids of earlier milliseconds: the
// unique index on passage_id grows at its end instead of at a random page (each commit wrote
// about a hundred of that index's pages with fully random ids).
//
// Thread-safety: every function is thread-safe.
#ifndef LIANFANG_SERVICES_GATE_CODES_H_
#define LIANFANG_SERVICES_GATE_CODES_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace lianfang::gate {

// The characters of a pass code.
inline constexpr char kPassCodeAlphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
inline constexpr size_t kPassCodeLength = 10;
inline constexpr size_t kPassageIdLength = 24;

// A fresh random pass code. INTERNAL when the CSPRNG fails (never in practice).
absl::StatusOr<std::string> NewPassCode();

// A fresh passage id recorded at `now` (24 lowercase hex characters: 11 of `now` in Unix
// milliseconds, 13 random). INTERNAL when the CSPRNG fails.
absl::StatusOr<std::string> NewPassageId(absl::Time now);

// Upper-cases ASCII letters and drops spaces and '-' (as people type codes). Does not
// validate.
std::string NormalizePassCode(absl::string_view code);

// True when `code` (already normalized) is kPassCodeLength characters of kPassCodeAlphabet.
bool IsWellFormedPassCode(absl::string_view code);

}  // namespace lianfang::gate

#endif  // LIANFANG_SERVICES_GATE_CODES_H_
