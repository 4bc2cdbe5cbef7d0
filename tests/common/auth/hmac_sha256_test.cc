#include "common/auth/hmac_sha256.h"

#include <openssl/evp.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "tests/common/auth/jwt_test_util.h"

namespace lianfang::auth {
namespace {

std::string HexMac(absl::string_view key, absl::string_view data) {
  const HmacSha256 hmac(key);
  unsigned char out[HmacSha256::kSize];
  EXPECT_TRUE(hmac.Compute(data, out));
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(out), sizeof(out)));
}

// RFC 4231 test cases 1, 2 and 6 (the last with a key longer than the block).
TEST(HmacSha256Test, MatchesTheRfc4231Vectors) {
  EXPECT_EQ(HexMac(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HexMac("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(
      HexMac(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256Test, AgreesWithOpenSslForEveryKeyLengthAroundTheBlockSize) {
  for (size_t key_len : {0, 1, 32, 63, 64, 65, 200}) {
    const std::string key(key_len, 'k');
    for (size_t data_len : {0, 1, 55, 56, 64, 1000}) {
      const std::string data(data_len, 'd');
      EXPECT_EQ(HexMac(key, data), absl::BytesToHexString(testing::Hmac(EVP_sha256(), key, data)))
          << key_len << " " << data_len;
    }
  }
}

TEST(HmacSha256Test, OneKeyServesManyThreads) {
  const HmacSha256 hmac("shared-key");
  const std::string expected =
      absl::BytesToHexString(testing::Hmac(EVP_sha256(), "shared-key", "payload"));
  std::vector<std::thread> threads;
  std::atomic<int> matches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        unsigned char out[HmacSha256::kSize];
        if (hmac.Compute("payload", out) &&
            absl::BytesToHexString(
                absl::string_view(reinterpret_cast<const char*>(out), sizeof(out))) == expected) {
          matches.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(matches.load(), 2000);
}

}  // namespace
}  // namespace lianfang::auth
