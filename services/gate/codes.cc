#include "services/gate/codes.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"

namespace lianfang::gate {
namespace {

constexpr size_t kAlphabetSize = sizeof(kPassCodeAlphabet) - 1;  // 31
// Bytes at or above this would bias the modulo: rejected and drawn again.
constexpr unsigned kRejectFrom = 256 - (256 % kAlphabetSize);

}  // namespace

absl::StatusOr<std::string> NewPassCode() {
  std::string code;
  code.reserve(kPassCodeLength);
  unsigned char buffer[32];
  while (code.size() < kPassCodeLength) {
    if (RAND_bytes(buffer, sizeof(buffer)) != 1) {
      return absl::InternalError("the random generator failed");
    }
    for (unsigned char byte : buffer) {
      if (byte >= kRejectFrom) continue;
      code.push_back(kPassCodeAlphabet[byte % kAlphabetSize]);
      if (code.size() == kPassCodeLength) break;
    }
  }
  return code;
}

absl::StatusOr<std::string> NewPassageId(absl::Time now) {
  static constexpr size_t kTimeDigits = 11;  // 44 bits of milliseconds: until the year 2527
  static constexpr size_t kRandomDigits = kPassageIdLength - kTimeDigits;
  unsigned char buffer[(kRandomDigits + 1) / 2];
  if (RAND_bytes(buffer, sizeof(buffer)) != 1) {
    return absl::InternalError("the random generator failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(kPassageIdLength, '0');
  uint64_t millis = static_cast<uint64_t>(std::max<int64_t>(absl::ToUnixMillis(now), 0));
  for (size_t i = kTimeDigits; i-- > 0;) {
    id[i] = kHex[millis & 0x0f];
    millis >>= 4;
  }
  for (size_t i = 0; i < kRandomDigits; ++i) {
    const unsigned char byte = buffer[i / 2];
    id[kTimeDigits + i] = kHex[(i % 2 == 0) ? (byte >> 4) : (byte & 0x0f)];
  }
  return id;
}

std::string NormalizePassCode(absl::string_view code) {
  std::string out;
  out.reserve(code.size());
  for (char c : code) {
    if (c == ' ' || c == '-') continue;
    out.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

bool IsWellFormedPassCode(absl::string_view code) {
  if (code.size() != kPassCodeLength) return false;
  for (char c : code) {
    if (c == '\0' || std::strchr(kPassCodeAlphabet, c) == nullptr) return false;
  }
  return true;
}

}  // namespace lianfang::gate
