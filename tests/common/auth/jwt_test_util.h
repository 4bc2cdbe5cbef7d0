// Test helpers that build tokens by hand, including hostile ones the signer never produces.
#ifndef LIANFANG_TESTS_COMMON_AUTH_JWT_TEST_UTIL_H_
#define LIANFANG_TESTS_COMMON_AUTH_JWT_TEST_UTIL_H_

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

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
inline constexpr char kEdDsaHeader[] = R"({"alg":"EdDSA","typ":"JWT"})";

// A fresh Ed25519 key pair as PEM text: {private (PKCS#8), public (SubjectPublicKeyInfo)}.
struct PemKeyPair {
  std::string private_pem;
  std::string public_pem;
};
inline PemKeyPair NewEd25519Pem() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  PemKeyPair out;
  for (bool is_private : {true, false}) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (is_private) {
      PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    } else {
      PEM_write_bio_PUBKEY(bio, key);
    }
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    (is_private ? out.private_pem : out.public_pem).assign(data, static_cast<size_t>(len));
    BIO_free(bio);
  }
  EVP_PKEY_free(key);
  return out;
}

}  // namespace lianfang::auth::testing

#endif  // LIANFANG_TESTS_COMMON_AUTH_JWT_TEST_UTIL_H_
