// HMAC-SHA256 (RFC 2104) with the key schedule done once: the digest states after the inner
// and outer padded key blocks are kept, so each MAC costs two short SHA-256 runs and no
// algorithm lookup. This is what makes verifying a token on every RPC cheap.
#ifndef LIANFANG_COMMON_AUTH_HMAC_SHA256_H_
#define LIANFANG_COMMON_AUTH_HMAC_SHA256_H_

#include <cstddef>

#include "absl/strings/string_view.h"

// OpenSSL's context type, kept out of this header.
struct evp_md_ctx_st;

namespace lianfang::auth {

// Immutable after construction: Compute may be called from any number of threads.
// Not copyable; share it through a pointer.
class HmacSha256 final {
 public:
  static constexpr size_t kSize = 32;

  // Any key length works (keys longer than the 64-byte block are hashed first, as RFC 2104
  // says). An empty key is allowed here; callers that need a real key check for it.
  explicit HmacSha256(absl::string_view key);
  ~HmacSha256();

  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  // Writes HMAC-SHA256(key, data) to `out`. Returns false only if OpenSSL fails (it does not
  // for valid input; the caller then treats the MAC as unavailable).
  bool Compute(absl::string_view data, unsigned char (&out)[kSize]) const;

 private:
  evp_md_ctx_st* inner_ = nullptr;  // SHA-256 state after absorbing key ^ ipad
  evp_md_ctx_st* outer_ = nullptr;  // SHA-256 state after absorbing key ^ opad
  bool ok_ = false;
};

}  // namespace lianfang::auth

#endif  // LIANFANG_COMMON_AUTH_HMAC_SHA256_H_
