#include "common/pii/pii.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace lianfang::pii {
namespace {

constexpr int kIdWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
constexpr char kCheckDigits[] = "10X98765432";
constexpr size_t kIdLength = 18;
constexpr int kEarliestBirthYear = 1900;
constexpr size_t kMaxNameBytes = 64;
constexpr size_t kMinPhoneLength = 5;
constexpr size_t kMaxPhoneLength = 20;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

absl::string_view Trim(absl::string_view s) { return absl::StripAsciiWhitespace(s); }

// Decodes one UTF-8 sequence at `text[pos]`. Returns its length (1-4) and the code point, or
// 0 when the sequence is malformed (truncated, overlong, surrogate, beyond U+10FFFF).
size_t DecodeUtf8(absl::string_view text, size_t pos, char32_t* code_point) {
  const unsigned char b0 = static_cast<unsigned char>(text[pos]);
  size_t len;
  char32_t cp;
  char32_t min;
  if (b0 < 0x80) {
    *code_point = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (pos + len > text.size()) return 0;
  for (size_t i = 1; i < len; ++i) {
    const unsigned char b = static_cast<unsigned char>(text[pos + i]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *code_point = cp;
  return len;
}

// Splits UTF-8 text into characters: each well-formed sequence is one; each byte of a
// malformed one is one.
std::vector<absl::string_view> Utf8Characters(absl::string_view text) {
  std::vector<absl::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    char32_t cp;
    size_t len = DecodeUtf8(text, pos, &cp);
    if (len == 0) len = 1;
    out.push_back(text.substr(pos, len));
    pos += len;
  }
  return out;
}

absl::Status IdError(absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("id_number ", problem));
}

// Checks everything but "not in the future"; returns the birth date through `birth`.
absl::Status ValidateIdNumberImpl(absl::string_view id, absl::CivilDay* birth) {
  if (id.size() != kIdLength) {
    return IdError(absl::StrCat("must be 18 characters long, not ", id.size()));
  }
  for (size_t i = 0; i < 17; ++i) {
    if (!IsDigit(id[i])) return IdError("must start with 17 digits");
  }
  const char last = id[17];
  if (!IsDigit(last) && last != 'X' && last != 'x') {
    return IdError("must end with a digit or X");
  }
  auto number = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (id[i] - '0');
    return v;
  };
  const int year = number(6, 4);
  const int month = number(10, 2);
  const int day = number(12, 2);
  const absl::CivilDay date(year, month, day);
  // CivilDay normalizes impossible dates (Feb 30 -> Mar 2); a real date survives unchanged.
  if (date.year() != year || date.month() != month || date.day() != day ||
      year < kEarliestBirthYear) {
    return IdError("holds an impossible birth date (characters 7-14)");
  }
  const char expected = IdNumberCheckDigit(id);
  if (absl::ascii_toupper(static_cast<unsigned char>(last)) != expected) {
    return IdError("has a wrong check digit (last character): is a digit mistyped?");
  }
  *birth = date;
  return absl::OkStatus();
}

}  // namespace

std::string NormalizeIdNumber(absl::string_view id) {
  std::string out(Trim(id));
  for (char& c : out) {
    if (c == 'x') c = 'X';
  }
  return out;
}

char IdNumberCheckDigit(absl::string_view first17) {
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) sum += (first17[i] - '0') * kIdWeights[i];
  return kCheckDigits[sum % 11];
}

absl::Status ValidateIdNumber(absl::string_view id) {
  absl::CivilDay birth;
  return ValidateIdNumberImpl(id, &birth);
}

absl::Status ValidateIdNumber(absl::string_view id, absl::CivilDay today) {
  absl::CivilDay birth;
  if (absl::Status s = ValidateIdNumberImpl(id, &birth); !s.ok()) return s;
  if (birth > today) return IdError("holds a birth date in the future (characters 7-14)");
  return absl::OkStatus();
}

std::string MaskIdNumber(absl::string_view id) {
  const std::string normalized = NormalizeIdNumber(id);
  const size_t n = normalized.size();
  if (n < 14) return std::string(n, '*');
  return absl::StrCat(normalized.substr(0, 6), std::string(n - 10, '*'), normalized.substr(n - 4));
}

std::string MaskName(absl::string_view name) {
  const std::vector<absl::string_view> chars = Utf8Characters(Trim(name));
  switch (chars.size()) {
    case 0:
      return "";
    case 1:
      return "*";
    case 2:
      return absl::StrCat(chars[0], "*");
    default:
      return absl::StrCat(chars.front(), std::string(chars.size() - 2, '*'), chars.back());
  }
}

std::string MaskPhone(absl::string_view phone) {
  const absl::string_view trimmed = Trim(phone);
  std::string digits;
  for (char c : trimmed) {
    if (IsDigit(c)) digits.push_back(c);
  }
  const std::string prefix = !trimmed.empty() && trimmed[0] == '+' ? "+" : "";
  const size_t n = digits.size();
  if (n >= 8) {
    return absl::StrCat(prefix, digits.substr(0, 3), std::string(n - 7, '*'), digits.substr(n - 4));
  }
  if (n >= 3) return absl::StrCat(prefix, std::string(n - 2, '*'), digits.substr(n - 2));
  return absl::StrCat(prefix, std::string(n, '*'));
}

absl::Status ValidatePhone(absl::string_view phone) {
  if (phone.size() < kMinPhoneLength || phone.size() > kMaxPhoneLength) {
    return absl::InvalidArgumentError(absl::StrCat("phone must be ", kMinPhoneLength, " to ",
                                                   kMaxPhoneLength, " characters long"));
  }
  for (size_t i = 0; i < phone.size(); ++i) {
    if (IsDigit(phone[i]) || (i == 0 && phone[i] == '+')) continue;
    return absl::InvalidArgumentError(
        "phone may hold only digits, with an optional leading '+' (no spaces or letters)");
  }
  return absl::OkStatus();
}

namespace {

// Whether `digits` (with `x_check`: followed by an X) reads as a phone or an ID number.
bool ReadsAsIdNumberOrPhone(absl::string_view digits, bool x_check) {
  if (x_check) return digits.size() == 17 && IdNumberCheckDigit(digits) == 'X';
  if (digits.size() == 18 && IdNumberCheckDigit(digits) == digits[17]) return true;
  if (digits.size() == 15) return true;
  if (digits.size() == 13 && absl::StartsWith(digits, "86")) digits.remove_prefix(2);
  return digits.size() == 11 && digits[0] == '1';
}

bool IsAsciiLetter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

}  // namespace

bool ContainsIdNumberOrPhone(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    if (!IsDigit(text[i]) || (i > 0 && (IsAsciiLetter(text[i - 1]) || IsDigit(text[i - 1])))) {
      ++i;
      continue;
    }
    // A run from i: groups of digits separated by one space or hyphen each.
    std::vector<std::string> groups(1);
    size_t j = i;
    while (j < text.size()) {
      if (IsDigit(text[j])) {
        groups.back().push_back(text[j++]);
      } else if ((text[j] == ' ' || text[j] == '-') && j + 1 < text.size() &&
                 IsDigit(text[j + 1])) {
        groups.emplace_back();
        ++j;
      } else {
        break;
      }
    }
    const bool x_after = j < text.size() && (text[j] == 'X' || text[j] == 'x');
    const bool letter_after = j < text.size() && IsAsciiLetter(text[j]) && !x_after;
    // Every sequence of whole groups: "139 5729 3846" joined, or "13957293846" after a date.
    for (size_t first = 0; first < groups.size(); ++first) {
      std::string digits;
      for (size_t last = first; last < groups.size(); ++last) {
        digits += groups[last];
        const bool at_end = last + 1 == groups.size();
        if (at_end && x_after && ReadsAsIdNumberOrPhone(digits, true)) return true;
        if (at_end && (letter_after || x_after)) continue;
        if (ReadsAsIdNumberOrPhone(digits, false)) return true;
      }
    }
    i = j + (x_after ? 1 : 0);
  }
  return false;
}

absl::Status ValidateName(absl::string_view name) {
  if (Trim(name).empty()) return absl::InvalidArgumentError("name must not be empty");
  if (name.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("name must be at most ", kMaxNameBytes, " bytes of UTF-8"));
  }
  size_t pos = 0;
  while (pos < name.size()) {
    char32_t cp = 0;
    const size_t len = DecodeUtf8(name, pos, &cp);
    if (len == 0) return absl::InvalidArgumentError("name is not valid UTF-8");
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
      return absl::InvalidArgumentError("name must not contain control characters");
    }
    pos += len;
  }
  return absl::OkStatus();
}

// HMAC-SHA256 (RFC 2104) with the key's inner and outer pads absorbed once: each PersonKey
// then copies two prepared digest states instead of re-keying, several times cheaper than
// the one-shot HMAC() on this hot path (every passage at the gate derives a key).
class PersonKeyer::HmacState final {
 public:
  static absl::StatusOr<std::shared_ptr<const HmacState>> Create(absl::string_view key) {
    auto state = std::shared_ptr<HmacState>(new HmacState());
    if (state->inner_ == nullptr || state->outer_ == nullptr) {
      return absl::InternalError("cannot allocate SHA-256 contexts");
    }
    constexpr size_t kBlock = 64;  // SHA-256 block size
    unsigned char block[kBlock] = {};
    if (key.size() > kBlock) {
      unsigned int len = 0;
      if (EVP_Digest(key.data(), key.size(), block, &len, EVP_sha256(), nullptr) != 1) {
        return absl::InternalError("SHA-256 failed");
      }
    } else {
      std::memcpy(block, key.data(), key.size());
    }
    unsigned char ipad[kBlock];
    unsigned char opad[kBlock];
    for (size_t i = 0; i < kBlock; ++i) {
      ipad[i] = block[i] ^ 0x36;
      opad[i] = block[i] ^ 0x5c;
    }
    const bool ok = EVP_DigestInit_ex(state->inner_, EVP_sha256(), nullptr) == 1 &&
                    EVP_DigestUpdate(state->inner_, ipad, kBlock) == 1 &&
                    EVP_DigestInit_ex(state->outer_, EVP_sha256(), nullptr) == 1 &&
                    EVP_DigestUpdate(state->outer_, opad, kBlock) == 1;
    OPENSSL_cleanse(block, kBlock);
    OPENSSL_cleanse(ipad, kBlock);
    OPENSSL_cleanse(opad, kBlock);
    if (!ok) return absl::InternalError("cannot key HMAC-SHA256");
    return std::shared_ptr<const HmacState>(std::move(state));
  }

  ~HmacState() {
    EVP_MD_CTX_free(inner_);  // EVP_MD_CTX_free cleanses the digest state
    EVP_MD_CTX_free(outer_);
  }

  // Thread-safe: the prepared contexts are only read (copied).
  void Mac(absl::string_view data, unsigned char out[SHA256_DIGEST_LENGTH]) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (ctx == nullptr) std::abort();  // out of memory: no person key can be derived
    unsigned char inner_hash[SHA256_DIGEST_LENGTH];
    unsigned int len = 0;
    EVP_MD_CTX_copy_ex(ctx, inner_);
    EVP_DigestUpdate(ctx, data.data(), data.size());
    EVP_DigestFinal_ex(ctx, inner_hash, &len);
    EVP_MD_CTX_copy_ex(ctx, outer_);
    EVP_DigestUpdate(ctx, inner_hash, sizeof(inner_hash));
    EVP_DigestFinal_ex(ctx, out, &len);
    EVP_MD_CTX_free(ctx);
  }

 private:
  HmacState() : inner_(EVP_MD_CTX_new()), outer_(EVP_MD_CTX_new()) {}

  EVP_MD_CTX* inner_;
  EVP_MD_CTX* outer_;
};

PersonKeyer::PersonKeyer(std::shared_ptr<const HmacState> state) : state_(std::move(state)) {}
PersonKeyer::PersonKeyer(const PersonKeyer&) = default;
PersonKeyer::PersonKeyer(PersonKeyer&&) noexcept = default;
PersonKeyer& PersonKeyer::operator=(const PersonKeyer&) = default;
PersonKeyer& PersonKeyer::operator=(PersonKeyer&&) noexcept = default;
PersonKeyer::~PersonKeyer() = default;

absl::StatusOr<PersonKeyer> PersonKeyer::FromKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot read the PII key file (LF_PII_KEY_FILE) ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read the PII key file (LF_PII_KEY_FILE) ", path));
  }
  std::string secret = content.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.size() < kMinKeyBytes) {
    const size_t size = secret.size();
    OPENSSL_cleanse(secret.data(), secret.size());
    return absl::FailedPreconditionError(
        absl::StrCat("the PII key file (LF_PII_KEY_FILE) ", path,
                     size == 0 ? " is empty" : " is too short", ": it must hold at least ",
                     kMinKeyBytes, " bytes (e.g. openssl rand -hex 32 > ", path, ")"));
  }
  return FromSecret(std::move(secret));
}

absl::StatusOr<PersonKeyer> PersonKeyer::FromSecret(std::string secret) {
  if (secret.size() < kMinKeyBytes) {
    OPENSSL_cleanse(secret.data(), secret.size());
    return absl::FailedPreconditionError(
        absl::StrCat("the PII key must hold at least ", kMinKeyBytes, " bytes"));
  }
  absl::StatusOr<std::shared_ptr<const HmacState>> state = HmacState::Create(secret);
  OPENSSL_cleanse(secret.data(), secret.size());
  if (!state.ok()) return state.status();
  return PersonKeyer(*std::move(state));
}

std::string PersonKeyer::PersonKey(absl::string_view id_number) const {
  const std::string normalized = NormalizeIdNumber(id_number);
  unsigned char mac[SHA256_DIGEST_LENGTH];
  state_->Mac(normalized, mac);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(2 * SHA256_DIGEST_LENGTH, '0');
  for (size_t i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
    hex[2 * i] = kHex[mac[i] >> 4];
    hex[2 * i + 1] = kHex[mac[i] & 0x0F];
  }
  return hex;
}

}  // namespace lianfang::pii
