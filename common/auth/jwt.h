// Lianfang bearer tokens: JWTs signed with HMAC-SHA256 (HS256) or Ed25519 (EdDSA, RFC 8037),
// and nothing else.
//
// A token is `base64url(header) "." base64url(claims) "." base64url(signature)` (RFC 7519,
// no padding). The header is exactly {"alg":"HS256","typ":"JWT"} or
// {"alg":"EdDSA","typ":"JWT"}; the claims are
//   iss   "lianfang"
//   sub   subject (user or service id), non-empty
//   name  display name (UTF-8)
//   role  "admin" | "leader" | "guard" | "volunteer" | "viewer" | "service"
//   sites JSON array of site ids the holder may act on; absent or [] = all sites
//   iat   issued at, NumericDate (seconds since the epoch)
//   exp   expires at, NumericDate
//   nbf   optional, not before, NumericDate (honoured when present)
// The HS256 key is the content of the file named by LF_JWT_SECRET_FILE (see secret_file.h).
// People's tokens are signed by the accounts service alone, with the Ed25519 private key of
// LF_JWT_SIGNING_KEY_FILE (PEM); every other service verifies them with the public key of
// LF_JWT_PUBLIC_KEY_FILE (PEM). A verifier that holds the public key refuses HS256 tokens for
// every role but SERVICE: whoever holds the shared HS256 key (every service) can then no
// longer mint a person's token. Services keep calling each other with HS256 SERVICE tokens.
//
//   TokenSigner signer(key);
//   absl::StatusOr<std::string> jwt = signer.Sign(principal, clock.Now(), absl::Hours(12));
//   TokenVerifier verifier(key, clock);
//   absl::StatusOr<Principal> who = verifier.Verify(*jwt);
#ifndef LIANFANG_COMMON_AUTH_JWT_H_
#define LIANFANG_COMMON_AUTH_JWT_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/time/clock.h"

namespace lianfang::auth {

class HmacSha256;
class Ed25519Key;

// The `iss` claim of every Lianfang token.
inline constexpr char kIssuer[] = "lianfang";

// Tokens longer than this are rejected before any decoding.
inline constexpr size_t kMaxTokenBytes = 8 * 1024;

// The largest clock-skew leeway a verifier applies (API.md: "at most 60 s").
inline constexpr absl::Duration kMaxLeeway = absl::Seconds(60);

// An Ed25519 key read from PEM (OpenSSL 3 EVP): a private key signs (and verifies), a public key
// verifies. Immutable: thread-safe. Cheap to copy (copies share the key).
class Ed25519Key final {
 public:
  // A PKCS#8 "PRIVATE KEY" PEM (`openssl genpkey -algorithm ed25519`). INVALID_ARGUMENT when
  // the text is not a PEM private key or the key is not Ed25519 (never quotes the text).
  static absl::StatusOr<Ed25519Key> FromPrivatePem(absl::string_view pem);
  // A "PUBLIC KEY" PEM (`openssl pkey -pubout`). INVALID_ARGUMENT as above.
  static absl::StatusOr<Ed25519Key> FromPublicPem(absl::string_view pem);

  bool is_private() const { return is_private_; }
  // The raw 32-byte public key (to compare a signing key with a configured public key).
  std::string RawPublicKey() const;

  // The 64-byte signature of `data`. REQUIRES: is_private(). INTERNAL when OpenSSL fails.
  absl::StatusOr<std::string> Sign(absl::string_view data) const;
  // True when `signature` is a valid signature of `data` under this key.
  bool Verify(absl::string_view data, absl::string_view signature) const;

 private:
  struct Pkey;
  Ed25519Key(std::shared_ptr<const Pkey> key, bool is_private)
      : key_(std::move(key)), is_private_(is_private) {}

  std::shared_ptr<const Pkey> key_;
  bool is_private_ = false;
};

// Signs tokens. Immutable after construction: thread-safe. Cheap to copy (copies share the
// prepared key).
class TokenSigner final {
 public:
  // `key` is the raw HS256 key (the key file's content).
  explicit TokenSigner(std::string key);
  // Signs EdDSA tokens with `private_key`. REQUIRES: private_key.is_private().
  explicit TokenSigner(Ed25519Key private_key);

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
  std::shared_ptr<const Ed25519Key> ed25519_;  // set: EdDSA tokens
};

// Verifies tokens. Immutable after construction: thread-safe. `clock` must outlive it.
// Cheap to copy (copies share the prepared key).
class TokenVerifier final {
 public:
  // `leeway` is the clock skew tolerated on `exp`, `iat` and `nbf`; it is clamped to
  // [0, kMaxLeeway] whatever is passed.
  TokenVerifier(std::string key, const time::Clock& clock,
                absl::Duration leeway = absl::Seconds(60));
  // The same, also verifying EdDSA tokens with `public_key` (public or private) when set; HS256
  // tokens are then accepted for the SERVICE role only.
  TokenVerifier(std::string key, std::optional<Ed25519Key> public_key, const time::Clock& clock,
                absl::Duration leeway = absl::Seconds(60));

  // The Principal of `token` (the bare JWT, without "Bearer ").
  // Every failure is UNAUTHENTICATED with a short reason that never quotes the token:
  // "token too long", "malformed token", "unsupported alg" (anything but HS256 and, with a
  // public key, EdDSA; `none` included), "unsupported token header", "bad signature" (checked
  // before the claims are read; HS256 in constant time), "malformed claims", "wrong issuer",
  // "missing subject", "unknown role", "token expired", "token not yet valid", "token issued
  // in the future", "HS256 tokens are accepted for services only" (a person's HS256 token
  // once the public key is configured).
  absl::StatusOr<Principal> Verify(absl::string_view token) const;

  // True when EdDSA tokens are verified (and people's HS256 tokens refused).
  bool has_public_key() const { return ed25519_ != nullptr; }

 private:
  bool has_key_;
  std::shared_ptr<const HmacSha256> hmac_;
  std::shared_ptr<const Ed25519Key> ed25519_;
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
