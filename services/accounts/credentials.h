// The credential rules of the accounts service, without SQL or gRPC: logins, the password
// policy, Argon2id password hashes (libsodium's crypto_pwhash), one-time codes and refresh
// tokens, and the hashes under which codes and tokens are stored (never in clear).
//
//   PasswordHasher hasher({.ops_limit = 2, .mem_limit_bytes = 64 << 20});
//   RETURN_IF_ERROR(CheckPasswordPolicy(password, login));
//   ASSIGN_OR_RETURN(std::string stored, hasher.Hash(password));   // "$argon2id$v=19$m=…"
//   bool ok = hasher.Verify(stored, password);
//
// Thread-safety: everything here is thread-safe (PasswordHasher is immutable).
#ifndef LIANFANG_SERVICES_ACCOUNTS_CREDENTIALS_H_
#define LIANFANG_SERVICES_ACCOUNTS_CREDENTIALS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lianfang::accounts {

inline constexpr size_t kMinLoginChars = 3;
inline constexpr size_t kMaxLoginChars = 64;
inline constexpr size_t kMinPasswordChars = 8;
// Longer passwords are refused before any hashing (hashing cost does not depend on it, but
// nobody needs more and a bound keeps requests small).
inline constexpr size_t kMaxPasswordChars = 128;
// One-time codes (activation, enrollment) are this many characters of kCodeAlphabet.
inline constexpr size_t kCodeChars = 12;
// Refresh tokens are at most this long (they are 46 characters when issued).
inline constexpr size_t kMaxRefreshTokenChars = 128;

// The login in its stored form: ASCII letters folded to lower case. INVALID_ARGUMENT naming
// `field` unless the result is kMinLoginChars..kMaxLoginChars characters of [a-z0-9._-].
absl::StatusOr<std::string> NormalizeLogin(absl::string_view login,
                                           absl::string_view field = "login");

// OK when `password` may be chosen by the user with `login`: valid UTF-8 without control
// characters, kMinPasswordChars..kMaxPasswordChars characters (code points), not the login
// (in any case), and not one of the commonest passwords. INVALID_ARGUMENT naming `password`
// otherwise; the message never repeats the password.
absl::Status CheckPasswordPolicy(absl::string_view password, absl::string_view login);

// INVALID_ARGUMENT naming `field` for a password that cannot be one (empty, over-long, not
// UTF-8, control characters); used on sign-in, where the policy itself is not re-checked.
absl::Status CheckPasswordShape(absl::string_view password, absl::string_view field = "password");

// Argon2id password hashing with libsodium. The stored string carries the algorithm and its
// parameters ($argon2id$v=19$m=…,t=…,p=1$salt$hash), so parameters can be raised later:
// NeedsRehash tells when a stored hash was made with other ones.
class PasswordHasher final {
 public:
  struct Params {
    // Passes over memory (crypto_pwhash opslimit, >= 1).
    uint64_t ops_limit = 2;
    // Memory in bytes (crypto_pwhash memlimit, >= 8 KiB).
    size_t mem_limit_bytes = size_t{32} << 20;
  };

  // Aborts when libsodium cannot be initialised (sodium_init fails only without entropy).
  explicit PasswordHasher(Params params);

  // The stored form of `password`. RESOURCE_EXHAUSTED when the memory cannot be allocated.
  absl::StatusOr<std::string> Hash(absl::string_view password) const;
  // True when `stored` is a hash of `password` (constant time for the comparison). A
  // malformed `stored` is false. Takes as long as Hash.
  bool Verify(absl::string_view stored, absl::string_view password) const;
  // Verifies `password` against a hash of a random password made at construction, always
  // false: unknown logins take the time of a real verification.
  void VerifyDummy(absl::string_view password) const;
  // True when `stored` was made with other parameters than these.
  bool NeedsRehash(absl::string_view stored) const;

  const Params& params() const { return params_; }

 private:
  Params params_;
  std::string dummy_hash_;
};

// A fresh one-time code: kCodeChars characters of an alphabet without look-alikes
// (no 0/O, 1/I/L), about 59 bits.
std::string NewCode();
// The code a person typed, in the form NewCode() gives: upper case, spaces and dashes
// dropped. INVALID_ARGUMENT naming `field` when the result is not a well-formed code.
absl::StatusOr<std::string> NormalizeCode(absl::string_view typed, absl::string_view field);

// A fresh refresh token: "rt_" and 43 characters of base64url (256 random bits).
std::string NewRefreshToken();

// The stored form of a code or token: lower-case hex SHA-256. Codes and tokens carry enough
// entropy that a plain hash cannot be reversed by guessing.
std::string SecretHash(absl::string_view secret);

}  // namespace lianfang::accounts

#endif  // LIANFANG_SERVICES_ACCOUNTS_CREDENTIALS_H_
