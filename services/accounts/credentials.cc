#include "services/accounts/credentials.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/auth/json_reader.h"
#include "common/auth/jwt.h"
#include "common/server/errors.h"

namespace lianfang::accounts {
namespace {

constexpr char kCodeAlphabet[] = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
constexpr size_t kCodeAlphabetSize = sizeof(kCodeAlphabet) - 1;

// The commonest passwords of the leaked lists (Chinese sites included), at least 8 characters
// long (shorter ones fail the length rule anyway). Compared case-insensitively.
constexpr const char* kCommonPasswords[] = {
    "12345678",   "123456789",  "1234567890", "11111111",   "00000000",   "88888888",
    "66666666",   "87654321",   "password",   "password1",  "passw0rd",   "qwertyui",
    "qwerty123",  "qwertyuiop", "1qaz2wsx",   "1q2w3e4r",   "1q2w3e4r5t", "abcd1234",
    "abc12345",   "a1234567",   "aa123456",   "a123456789", "iloveyou",   "woaini1314",
    "5201314520", "1314520520", "11223344",   "12341234",   "123123123",  "12344321",
    "147258369",  "123qweasd",  "qweasdzxc",  "zxcvbnm123", "admin123",   "administrator",
    "welcome1",   "sunshine",   "princess",   "football",   "baseball",   "superman",
    "trustno1",   "letmein1",   "lianfang",   "lianfang123", "changeme",  "p@ssw0rd",
};

// Code points of valid UTF-8 `text`, or -1 when it is not valid UTF-8 or holds a control
// character (C0, DEL, C1).
int64_t CountCharsWithoutControls(absl::string_view text) {
  if (!auth::IsValidUtf8(text)) return -1;
  int64_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) return -1;
    // C1 controls are U+0080..U+009F: encoded 0xC2 0x80..0x9F.
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      return -1;
    }
    if ((c & 0xC0) != 0x80) ++chars;
  }
  return chars;
}

}  // namespace

absl::StatusOr<std::string> NormalizeLogin(absl::string_view login, absl::string_view field) {
  if (login.size() < kMinLoginChars || login.size() > kMaxLoginChars) {
    return server::InvalidField(field, absl::StrCat("must be ", kMinLoginChars, "..",
                                                    kMaxLoginChars, " characters"));
  }
  std::string out = absl::AsciiStrToLower(login);
  for (char c : out) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' &&
        c != '-') {
      return server::InvalidField(field, "may hold only letters, digits, '.', '_' and '-'");
    }
  }
  return out;
}

absl::Status CheckPasswordShape(absl::string_view password, absl::string_view field) {
  if (password.empty()) return server::InvalidField(field, "is required");
  // Bytes first: a huge input is refused before it is even scanned.
  if (password.size() > 4 * kMaxPasswordChars) {
    return server::InvalidField(field, absl::StrCat("must be at most ", kMaxPasswordChars,
                                                    " characters"));
  }
  const int64_t chars = CountCharsWithoutControls(password);
  if (chars < 0) {
    return server::InvalidField(field, "must be valid UTF-8 without control characters");
  }
  if (chars > static_cast<int64_t>(kMaxPasswordChars)) {
    return server::InvalidField(field, absl::StrCat("must be at most ", kMaxPasswordChars,
                                                    " characters"));
  }
  return absl::OkStatus();
}

absl::Status CheckPasswordPolicy(absl::string_view password, absl::string_view login) {
  if (absl::Status s = CheckPasswordShape(password); !s.ok()) return s;
  if (CountCharsWithoutControls(password) < static_cast<int64_t>(kMinPasswordChars)) {
    return server::InvalidField("password",
                                absl::StrCat("must be at least ", kMinPasswordChars, " characters"));
  }
  const std::string lower = absl::AsciiStrToLower(password);
  if (!login.empty() && lower == absl::AsciiStrToLower(login)) {
    return server::InvalidField("password", "must not be the login");
  }
  for (const char* common : kCommonPasswords) {
    if (lower == common) {
      return server::InvalidField("password", "is one of the commonest passwords; choose another");
    }
  }
  return absl::OkStatus();
}

PasswordHasher::PasswordHasher(Params params) : params_(params) {
  if (sodium_init() < 0) {
    std::fprintf(stderr, "libsodium could not be initialised\n");
    std::abort();
  }
  char random[24];
  randombytes_buf(random, sizeof(random));
  absl::StatusOr<std::string> dummy =
      Hash(absl::BytesToHexString(absl::string_view(random, sizeof(random))));
  if (!dummy.ok()) {
    std::fprintf(stderr, "the password hash parameters cannot be used: %s\n",
                 dummy.status().ToString().c_str());
    std::abort();
  }
  dummy_hash_ = *std::move(dummy);
}

absl::StatusOr<std::string> PasswordHasher::Hash(absl::string_view password) const {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), params_.ops_limit,
                            params_.mem_limit_bytes, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return absl::ResourceExhaustedError("not enough memory to hash a password");
  }
  return std::string(out);
}

bool PasswordHasher::Verify(absl::string_view stored, absl::string_view password) const {
  if (stored.empty() || stored.size() >= crypto_pwhash_STRBYTES) return false;
  const std::string terminated(stored);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

void PasswordHasher::VerifyDummy(absl::string_view password) const {
  (void)Verify(dummy_hash_, password);
}

bool PasswordHasher::NeedsRehash(absl::string_view stored) const {
  const std::string terminated(stored);
  return crypto_pwhash_str_needs_rehash(terminated.c_str(), params_.ops_limit,
                                        params_.mem_limit_bytes) != 0;
}

std::string NewCode() {
  std::string code(kCodeChars, 'A');
  for (char& c : code) c = kCodeAlphabet[randombytes_uniform(kCodeAlphabetSize)];
  return code;
}

absl::StatusOr<std::string> NormalizeCode(absl::string_view typed, absl::string_view field) {
  if (typed.empty()) return server::InvalidField(field, "is required");
  if (typed.size() > 4 * kCodeChars) return server::InvalidField(field, "is not a valid code");
  std::string code;
  for (char c : typed) {
    if (c == ' ' || c == '-') continue;
    const char upper = absl::ascii_toupper(static_cast<unsigned char>(c));
    bool known = false;
    for (size_t i = 0; i < kCodeAlphabetSize; ++i) known |= kCodeAlphabet[i] == upper;
    if (!known) return server::InvalidField(field, "is not a valid code");
    code.push_back(upper);
  }
  if (code.size() != kCodeChars) return server::InvalidField(field, "is not a valid code");
  return code;
}

std::string NewRefreshToken() {
  char random[32];
  randombytes_buf(random, sizeof(random));
  return absl::StrCat("rt_", auth::Base64UrlEncode(absl::string_view(random, sizeof(random))));
}

std::string SecretHash(absl::string_view secret) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(secret.data()),
                     secret.size());
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

}  // namespace lianfang::accounts
