#include "common/auth/hmac_sha256.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdint>
#include <memory>

namespace lianfang::auth {
namespace {

constexpr size_t kBlockSize = 64;  // SHA-256 block

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// SHA-256 fetched once per process: implicit fetching on every call takes a global lock.
const EVP_MD* Sha256() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

// Each thread reuses one scratch context; copying a state into an existing context of the
// same digest needs no allocation.
EVP_MD_CTX* Scratch() {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  return ctx.get();
}

}  // namespace

HmacSha256::HmacSha256(absl::string_view key) {
  const EVP_MD* md = Sha256();
  if (md == nullptr) return;
  unsigned char block[kBlockSize] = {};
  if (key.size() > kBlockSize) {
    unsigned int len = 0;
    if (EVP_Digest(key.data(), key.size(), block, &len, md, nullptr) != 1) return;
  } else if (!key.empty()) {
    std::copy(key.begin(), key.end(), reinterpret_cast<char*>(block));
  }
  unsigned char ipad[kBlockSize];
  unsigned char opad[kBlockSize];
  for (size_t i = 0; i < kBlockSize; ++i) {
    ipad[i] = block[i] ^ 0x36;
    opad[i] = block[i] ^ 0x5c;
  }
  inner_ = EVP_MD_CTX_new();
  outer_ = EVP_MD_CTX_new();
  ok_ = inner_ != nullptr && outer_ != nullptr && EVP_DigestInit_ex(inner_, md, nullptr) == 1 &&
        EVP_DigestUpdate(inner_, ipad, kBlockSize) == 1 &&
        EVP_DigestInit_ex(outer_, md, nullptr) == 1 &&
        EVP_DigestUpdate(outer_, opad, kBlockSize) == 1;
  OPENSSL_cleanse(block, sizeof(block));
  OPENSSL_cleanse(ipad, sizeof(ipad));
  OPENSSL_cleanse(opad, sizeof(opad));
}

HmacSha256::~HmacSha256() {
  EVP_MD_CTX_free(inner_);
  EVP_MD_CTX_free(outer_);
}

bool HmacSha256::Compute(absl::string_view data, unsigned char (&out)[kSize]) const {
  if (!ok_) return false;
  EVP_MD_CTX* ctx = Scratch();
  if (ctx == nullptr) return false;
  unsigned char inner_hash[kSize];
  unsigned int len = 0;
  if (EVP_MD_CTX_copy_ex(ctx, inner_) != 1 ||
      EVP_DigestUpdate(ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, inner_hash, &len) != 1 || len != kSize) {
    return false;
  }
  if (EVP_MD_CTX_copy_ex(ctx, outer_) != 1 || EVP_DigestUpdate(ctx, inner_hash, kSize) != 1 ||
      EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != kSize) {
    return false;
  }
  return true;
}

}  // namespace lianfang::auth
