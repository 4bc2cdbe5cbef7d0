// Fuzz target: bearer token verification (common/auth/jwt.h).
//
// Byte 0 chooses the mode:
//   even  the rest is a token as a client sends it, handed to TokenVerifier::Verify as is
//         (the seeds include well-signed tokens, so mutations also start from valid ones);
//   odd   the rest is "<header JSON>\n<claims JSON>": the target signs it with the verifier's
//         key, so the header and claims parsers and every claim rule are reached behind a
//         correct signature.
// The same bytes also go through the strict base64url decoder.
// Invariants (a violation aborts): a refused token is UNAUTHENTICATED with a message that does
// not quote it; an accepted token has a subject, a known role, and is valid at the verifier's
// clock within the leeway; signing the accepted principal again gives a token that verifies
// to the same principal (unless the re-signed token no longer fits kMaxTokenBytes); base64url
// decoding is canonical (decode then encode gives the input back).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/auth/hmac_sha256.h"
#include "common/auth/jwt.h"
#include "common/auth/principal.h"
#include "common/time/clock.h"
#include "tests/fuzz/fuzz_inputs.h"

namespace {

using lianfang::auth::Principal;

constexpr const char* kKey = lianfang::fuzz::kJwtKey;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "FUZZ INVARIANT VIOLATED: %s\n", message.c_str());
  std::fflush(stderr);
  std::abort();
}

// The seed tokens are issued at this time.
absl::Time Now() { return absl::FromUnixSeconds(lianfang::fuzz::kJwtNowUnixSeconds); }

struct Target {
  lianfang::time::FakeClock clock{Now()};
  lianfang::auth::TokenVerifier verifier{kKey, clock};
  lianfang::auth::TokenSigner signer{kKey};
  lianfang::auth::HmacSha256 hmac{kKey};
};

void CheckRefusal(const absl::Status& status, absl::string_view token) {
  if (status.code() != absl::StatusCode::kUnauthenticated) {
    Die(absl::StrCat("a refused token gave ", status.ToString()));
  }
  // The message is a fixed reason: it never carries a part of the token.
  // (Tokens with a '.', at least 16 bytes: the fixed reasons have no '.'.)
  if (token.size() >= 16 && token.find('.') != absl::string_view::npos &&
      absl::string_view(status.message()).find(token) != absl::string_view::npos) {
    Die("the refusal quotes the token");
  }
}

void CheckAccepted(const Target& t, const Principal& who) {
  if (who.subject.empty()) Die("an accepted token has no subject");
  const absl::Duration leeway = lianfang::auth::kMaxLeeway;
  const absl::Time now = t.clock.Now();
  if (who.expires_at + leeway < now) Die("an accepted token is expired");
  if (who.issued_at - leeway > now) Die("an accepted token was issued in the future");
  // Round trip through the signer.
  const absl::Duration ttl = absl::Hours(1);
  absl::StatusOr<std::string> again = t.signer.Sign(who, now, ttl);
  if (!again.ok()) {
    // The one refusal allowed: the signer writes its own header, a `name` claim and escapes
    // (DEL as \u007f), so a token accepted near kMaxTokenBytes may not fit once re-signed.
    if (again.status().code() == absl::StatusCode::kInvalidArgument &&
        absl::StrContains(again.status().message(), "too large")) {
      return;
    }
    Die(absl::StrCat("an accepted principal cannot be signed again: ", again.status().ToString()));
  }
  absl::StatusOr<Principal> back = t.verifier.Verify(*again);
  if (!back.ok()) Die(absl::StrCat("a re-signed token is refused: ", back.status().ToString()));
  if (back->subject != who.subject || back->name != who.name || back->role != who.role ||
      back->sites != who.sites) {
    Die("a re-signed token verifies to another principal");
  }
}

void Verify(const Target& t, absl::string_view token) {
  absl::StatusOr<Principal> who = t.verifier.Verify(token);
  if (!who.ok()) {
    CheckRefusal(who.status(), token);
    return;
  }
  CheckAccepted(t, *who);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Target* target = new Target();  // lives until exit
  if (size < 1) return -1;
  const absl::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);

  std::string decoded;
  if (lianfang::auth::Base64UrlDecode(rest, &decoded) &&
      lianfang::auth::Base64UrlEncode(decoded) != rest) {
    Die("base64url decoding accepted a non-canonical text");
  }

  if (data[0] % 2 == 0) {
    Verify(*target, rest);
    return 0;
  }
  const size_t newline = rest.find('\n');
  if (newline == absl::string_view::npos) return -1;
  const std::string signing_input =
      absl::StrCat(lianfang::auth::Base64UrlEncode(rest.substr(0, newline)), ".",
                   lianfang::auth::Base64UrlEncode(rest.substr(newline + 1)));
  unsigned char mac[lianfang::auth::HmacSha256::kSize];
  if (!target->hmac.Compute(signing_input, mac)) Die("HMAC failed");
  const std::string token = absl::StrCat(
      signing_input, ".",
      lianfang::auth::Base64UrlEncode(absl::string_view(reinterpret_cast<const char*>(mac),
                                                        sizeof(mac))));
  Verify(*target, token);
  return 0;
}
