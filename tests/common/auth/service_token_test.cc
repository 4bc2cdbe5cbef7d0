#include "common/auth/service_token.h"

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/auth/jwt.h"
#include "common/status/status_matchers.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/auth/jwt_test_util.h"
#include "tests/common/auth/temp_dir.h"

namespace lianfang::auth {
namespace {

using ::lianfang::auth::testing::kTestKey;
using ::lianfang::auth::testing::TempDir;
using ::lianfang::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kT0 = 1'800'000'000;

TEST(ServiceTokenTest, MintedTokenIsAServiceTokenValidForAnHour) {
  time::FakeClock clock(absl::FromUnixSeconds(kT0));
  const ServiceToken token = ServiceToken::FromSecret(kTestKey, "gate", clock);
  const TokenVerifier verifier(kTestKey, clock);
  ASSERT_OK_AND_ASSIGN(Principal who, verifier.Verify(token.Current()));
  EXPECT_EQ(who.subject, "gate");
  EXPECT_EQ(who.role, Role::kService);
  EXPECT_TRUE(who.sites.empty());
  EXPECT_EQ(who.expires_at - who.issued_at, absl::Hours(1));
}

TEST(ServiceTokenTest, MintedTokenIsReusedThenRenewedFiveMinutesBeforeExpiry) {
  time::FakeClock clock(absl::FromUnixSeconds(kT0));
  const ServiceToken token = ServiceToken::FromSecret(kTestKey, "survey", clock);
  const std::string first = token.Current();
  clock.Advance(absl::Minutes(54));
  EXPECT_EQ(token.Current(), first);
  clock.Advance(absl::Minutes(1) + absl::Seconds(1));  // 4:59 left
  const std::string second = token.Current();
  EXPECT_NE(second, first);
  const TokenVerifier verifier(kTestKey, clock);
  ASSERT_OK_AND_ASSIGN(Principal who, verifier.Verify(second));
  EXPECT_EQ(who.issued_at, clock.Now());
  // Copies share the cache.
  const ServiceToken copy = token;
  EXPECT_EQ(copy.Current(), second);
}

TEST(ServiceTokenTest, MisconfiguredSecretYieldsAnEmptyToken) {
  time::FakeClock clock(absl::FromUnixSeconds(kT0));
  EXPECT_EQ(ServiceToken::FromSecret("", "gate", clock).Current(), "");
  EXPECT_EQ(ServiceToken::FromSecret(kTestKey, "", clock).Current(), "");
}

TEST(ServiceTokenTest, FileTokenIsServedAndReReadWhenTheFileIsReplaced) {
  TempDir dir;
  const std::string path = dir.Write("token", "first.token.value\n");
  ASSERT_OK_AND_ASSIGN(ServiceToken token, ServiceToken::FromFile(path));
  EXPECT_EQ(token.Current(), "first.token.value");
  EXPECT_EQ(token.Current(), "first.token.value");
  dir.Replace("token", "  second.token.value  \n");
  EXPECT_EQ(token.Current(), "second.token.value");
  // Rewritten in place with a different length.
  dir.Write("token", "third.token.value.longer");
  EXPECT_EQ(token.Current(), "third.token.value.longer");
}

TEST(ServiceTokenTest, FileTokenKeepsThePreviousValueWhileTheFileIsMissingOrEmpty) {
  TempDir dir;
  const std::string path = dir.Write("token", "kept.token.value");
  ASSERT_OK_AND_ASSIGN(ServiceToken token, ServiceToken::FromFile(path));
  ASSERT_EQ(std::remove(path.c_str()), 0);
  EXPECT_EQ(token.Current(), "kept.token.value");
  dir.Write("token", "");
  EXPECT_EQ(token.Current(), "kept.token.value");
  dir.Write("token", "new.token.value");
  EXPECT_EQ(token.Current(), "new.token.value");
}

TEST(ServiceTokenTest, FromFileFailsOnMissingOrEmptyFiles) {
  TempDir dir;
  const std::string missing = dir.path() + "/none";
  EXPECT_THAT(ServiceToken::FromFile(missing),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(missing)));
  EXPECT_THAT(ServiceToken::FromFile(dir.Write("blank", " \n")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("empty")));
}

TEST(ServiceTokenTest, CurrentIsSafeFromManyThreads) {
  time::FakeClock clock(absl::FromUnixSeconds(kT0));
  const ServiceToken token = ServiceToken::FromSecret(kTestKey, "dispatch", clock);
  const TokenVerifier verifier(kTestKey, clock);
  const std::string first = token.Current();
  // 100 s before the renewal point; the threads move the clock 200 s in total, so the token
  // is renewed while they run and every token handed out stays valid.
  clock.Advance(ServiceToken::kTtl - ServiceToken::kRenewBefore - absl::Seconds(100));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        if (t == 0) clock.Advance(absl::Seconds(2));
        if (verifier.Verify(token.Current()).ok()) ok.fetch_add(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 400);
  EXPECT_NE(token.Current(), first);
}

}  // namespace
}  // namespace lianfang::auth
