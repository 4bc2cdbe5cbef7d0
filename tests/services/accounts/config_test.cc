// lf-accounts' own settings (services/accounts/config.h): LF_TRUSTED_PROXIES.
#include "services/accounts/config.h"

#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/config/flags.h"
#include "common/status/status_matchers.h"
#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::accounts {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

absl::Status ParseWith(absl::flat_hash_map<std::string, std::string> env, Settings* settings) {
  config::FlagSet flags("lf-accounts");
  AddFlags(&flags, settings);
  // The signing key is required; any readable file does for the parse.
  static const lianfang::testing::TempDir dir;
  const std::string key = dir.File("signing.pem");
  std::ofstream(key) << "not checked by the parse\n";
  env.emplace("LF_JWT_SIGNING_KEY_FILE", key);
  return flags.Parse(std::vector<std::string>{}, config::Environment::FromMap(std::move(env)));
}

TEST(AccountsConfigTest, TrustedProxiesDefaultToLoopback) {
  Settings settings;
  ASSERT_OK(ParseWith({}, &settings));
  EXPECT_EQ(settings.trusted_proxies, "127.0.0.1/32,::1/128");
}

TEST(AccountsConfigTest, TrustedProxiesTakeAddressesAndBlocks) {
  Settings settings;
  ASSERT_OK(ParseWith({{"LF_TRUSTED_PROXIES", "10.1.0.0/16, fd00::1"}}, &settings));
  EXPECT_EQ(settings.trusted_proxies, "10.1.0.0/16, fd00::1");
}

TEST(AccountsConfigTest, ABadTrustedProxyStopsTheStartNamingTheSettingAndTheItem) {
  Settings settings;
  EXPECT_THAT(ParseWith({{"LF_TRUSTED_PROXIES", "127.0.0.1/32,gateway"}}, &settings),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("LF_TRUSTED_PROXIES"), HasSubstr("\"gateway\""))));
  EXPECT_THAT(ParseWith({{"LF_TRUSTED_PROXIES", "10.0.0.0/33"}}, &settings),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("0..32")));
}

}  // namespace
}  // namespace lianfang::accounts
