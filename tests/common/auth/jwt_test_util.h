// Test helpers that build tokens by hand, including hostile ones the signer never produces.
#ifndef LIANFANG_TESTS_COMMON_AUTH_JWT_TEST_UTIL_H_
#define LIANFANG_TESTS_COMMON_AUTH_JWT_TEST_UTIL_H_

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/auth/jwt.h"

namespace lianfang::auth::testing {

// A 40-byte key, long enough for ReadSecretFile.
inline constexpr char kTestKey[] = "test-key-0123456789-abcdefghij-ABCDEFGHIJ";

// HMAC of `data` under `key` with `md` (EVP_sha256(), EVP_sha512()...), raw bytes.
inline std::string Hmac(const EVP_MD* md, absl::string_view key, absl::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

// header.claims.HMAC-<md>(key) with both JSON documents taken verbatim.
inline std::string HandMadeToken(absl::string_view header_json, absl::string_view claims_json,
                                 absl::string_view key, const EVP_MD* md = EVP_sha256()) {
  const std::string input =
      absl::StrCat(Base64UrlEncode(header_json), ".", Base64UrlEncode(claims_json));
  return absl::StrCat(input, ".", Base64UrlEncode(Hmac(md, key, input)));
}

inline constexpr char kHs256Header[] = R"({"alg":"HS256","typ":"JWT"})";

}  // namespace lianfang::auth::testing

#endif  // LIANFANG_TESTS_COMMON_AUTH_JWT_TEST_UTIL_H_
