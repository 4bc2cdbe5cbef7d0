#include "services/accounts/credentials.h"

#include <set>
#include <string>
#include <vector>

#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::accounts {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST(LoginTest, LoginsAreFoldedToLowerCaseAndLimitedToASafeAlphabet) {
  EXPECT_EQ(NormalizeLogin("Wang.Fang_2").value_or(""), "wang.fang_2");
  for (const std::string& bad : std::vector<std::string>{"ab", std::string(65, 'a'), "wang fang", "王芳", "a\nb",
                                "x\x01y"}) {
    EXPECT_THAT(NormalizeLogin(bad), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("login")))
        << bad;
  }
}

TEST(PasswordPolicyTest, RefusesShortCommonLoginAndControlPasswordsWithoutEchoingThem) {
  EXPECT_OK(CheckPasswordPolicy("长城-Great-Wall-42", "wang.fang"));
  EXPECT_OK(CheckPasswordPolicy("八个汉字的密码呀", "wang.fang"));  // 8 characters, 24 bytes
  for (const std::string& bad :
       std::vector<std::string>{"short7!", "12345678", "PassWord1", "Wang.Fang", "tab\there-long", std::string(129, 'x')}) {
    absl::Status s = CheckPasswordPolicy(bad, "wang.fang");
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("password"))) << bad;
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr(bad))) << bad;
  }
}

TEST(PasswordHasherTest, HashesAreArgon2idWithTheirParametersAndVerifyOnlyTheirPassword) {
  const PasswordHasher hasher({.ops_limit = 1, .mem_limit_bytes = size_t{8} << 20});
  ASSERT_OK_AND_ASSIGN(std::string stored, hasher.Hash("长城-Great-Wall-42"));
  EXPECT_THAT(stored, StartsWith("$argon2id$v=19$m=8192,t=1,p=1$"));
  EXPECT_TRUE(hasher.Verify(stored, "长城-Great-Wall-42"));
  EXPECT_FALSE(hasher.Verify(stored, "长城-Great-Wall-43"));
  EXPECT_FALSE(hasher.Verify("", "x"));
  EXPECT_FALSE(hasher.Verify("$argon2id$garbage", "x"));
  ASSERT_OK_AND_ASSIGN(std::string again, hasher.Hash("长城-Great-Wall-42"));
  EXPECT_NE(again, stored);  // salted
  EXPECT_FALSE(hasher.NeedsRehash(stored));
  // Raised parameters: old hashes still verify, and are flagged for an upgrade.
  const PasswordHasher stronger({.ops_limit = 2, .mem_limit_bytes = size_t{8} << 20});
  EXPECT_TRUE(stronger.Verify(stored, "长城-Great-Wall-42"));
  EXPECT_TRUE(stronger.NeedsRehash(stored));
}

TEST(CodeTest, CodesAreTwelveUnambiguousCharactersAndTypedFormsNormalize) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string code = NewCode();
    ASSERT_EQ(code.size(), kCodeChars);
    EXPECT_EQ(code.find_first_of("01OIL"), std::string::npos) << code;
    EXPECT_EQ(NormalizeCode(code, "c").value_or(""), code);
    seen.insert(code);
  }
  EXPECT_EQ(seen.size(), 200u);
  EXPECT_EQ(NormalizeCode("abcd-efgh jkmn", "c").value_or(""), "ABCDEFGHJKMN");
  for (const std::string& bad : std::vector<std::string>{"", "ABCDEFGHJKM", "ABCDEFGHJKMNP", "ABCDEFGHJKM0",
                                std::string(1000, 'A')}) {
    EXPECT_THAT(NormalizeCode(bad, "activation_code"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("activation_code")))
        << bad;
  }
}

TEST(SecretTest, RefreshTokensAreRandomAndStoredHashesAreHexSha256) {
  const std::string token = NewRefreshToken();
  EXPECT_THAT(token, StartsWith("rt_"));
  EXPECT_EQ(token.size(), 46u);
  EXPECT_NE(NewRefreshToken(), token);
  EXPECT_EQ(SecretHash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace lianfang::accounts
