// Lianfang bearer tokens: JWTs signed with HMAC-SHA256 (HS256), and nothing else.
//
// A token is `base64url(header) "." base64url(claims) "." base64url(signature)` (RFC 7519,
// no padding). The header is exactly {"alg":"HS256","typ":"JWT"}; the claims are
//   iss   "lianfang"
//   sub   subject (user or service id), non-empty
//   name  display name (UTF-8)
//   role  "admin" | "leader" | "guard" | "volunteer" | "viewer" | "service"
//   sites JSON array of site ids the holder may act on; absent or [] = all sites
//   iat   issued at, NumericDate (seconds since the epoch)
//   exp   expires at, NumericDate
//   nbf   optional, not before, NumericDate (honoured when present)
// The key is the content of the file named by LF_JWT_SECRET_FILE (see secret_file.h).
//
//   TokenSigner signer(key);
//   absl::StatusOr<std::string> jwt = signer.Sign(principal, clock.Now(), absl::Hours(12));
//   TokenVerifier verifier(key, clock);
//   absl::StatusOr<Principal> who = verifier.Verify(*jwt);
#ifndef LIANFANG_COMMON_AUTH_JWT_H_
#define LIANFANG_COMMON_AUTH_JWT_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/time/clock.h"

namespace lianfang::auth {

class HmacSha256;

// The `iss` claim of every Lianfang token.
inline constexpr char kIssuer[] = "lianfang";

// Tokens longer than this are rejected before any decoding.
inline constexpr size_t kMaxTokenBytes = 8 * 1024;

// The largest clock-skew leeway a verifier applies (API.md: "at most 60 s").
inline constexpr absl::Duration kMaxLeeway = absl::Seconds(60);

// Signs tokens. Immutable after construction: thread-safe. Cheap to copy (copies share the
// prepared key).
class TokenSigner final {
 public:
  // `key` is the raw HS256 key (the key file's content).
  explicit TokenSigner(std::string key);

  // A token for `principal` issued at `now` (truncated to whole seconds) and valid for `ttl`
  // (whole seconds). `principal.issued_at`/`expires_at` are ignored. `sites` empty = all
  // sites (the claim is then omitted).
  // Returns FAILED_PRECONDITION when the key is empty; INVALID_ARGUMENT when the subject is
  // empty, a site id is empty, a string is not valid UTF-8, `ttl` is under one second, or the
  // token would exceed kMaxTokenBytes.
  absl::StatusOr<std::string> Sign(const Principal& principal, absl::Time now,
                                   absl::Duration ttl) const;

 private:
  bool has_key_;
  std::shared_ptr<const HmacSha256> hmac_;
};

// Verifies tokens. Immutable after construction: thread-safe. `clock` must outlive it.
// Cheap to copy (copies share the prepared key).
class TokenVerifier final {
 public:
  // `leeway` is the clock skew tolerated on `exp`, `iat` and `nbf`; it is clamped to
  // [0, kMaxLeeway] whatever is passed.
  TokenVerifier(std::string key, const time::Clock& clock,
                absl::Duration leeway = absl::Seconds(60));

  // The Principal of `token` (the bare JWT, without "Bearer ").
  // Every failure is UNAUTHENTICATED with a short reason that never quotes the token:
  // "token too long", "malformed token", "unsupported alg" (anything but HS256, `none`
  // included), "unsupported token header", "bad signature" (checked in constant time before
  // the claims are read), "malformed claims", "wrong issuer", "missing subject",
  // "unknown role", "token expired", "token not yet valid", "token issued in the future".
  absl::StatusOr<Principal> Verify(absl::string_view token) const;

 private:
  bool has_key_;
  std::shared_ptr<const HmacSha256> hmac_;
  const time::Clock* clock_;
  absl::Duration leeway_;
};

// base64url without padding (RFC 4648 section 5), as JWTs use it. Exposed for tests and tools.
std::string Base64UrlEncode(absl::string_view data);
// Strict decoding: only [A-Za-z0-9_-], no padding, no whitespace, unused trailing bits zero.
// Returns false on any violation.
bool Base64UrlDecode(absl::string_view text, std::string* out);

}  // namespace lianfang::auth

#endif  // LIANFANG_COMMON_AUTH_JWT_H_
