// Which address the sign-in brake counts a call against (accounts_service.h ClientAddressOf).
#include "common/server/ip_ranges.h"
#include "gtest/gtest.h"
#include "services/accounts/accounts_service.h"

namespace lianfang::accounts {
namespace {

TEST(ClientAddressOfTest, ATrustedProxyNamesItsClient) {
  const absl::StatusOr<server::IpRanges> trusted = server::IpRanges::Parse("127.0.0.1/32,::1/128");
  ASSERT_TRUE(trusted.ok());
  EXPECT_EQ(ClientAddressOf("ipv4:127.0.0.1:40000", "203.0.113.7", &*trusted), "203.0.113.7");
  EXPECT_EQ(ClientAddressOf("ipv6:[::1]:40000", "2001:db8::5", &*trusted), "2001:db8::5");
  // Without the metadata, the proxy's own address.
  EXPECT_EQ(ClientAddressOf("ipv4:127.0.0.1:40000", "", &*trusted), "127.0.0.1");
}

TEST(ClientAddressOfTest, AnyOtherPeerIsCountedByItsOwnAddress) {
  const absl::StatusOr<server::IpRanges> trusted = server::IpRanges::Parse("127.0.0.1/32");
  ASSERT_TRUE(trusted.ok());
  EXPECT_EQ(ClientAddressOf("ipv4:10.0.0.9:5000", "203.0.113.7", &*trusted), "10.0.0.9");
  EXPECT_EQ(ClientAddressOf("ipv6:[::1]:5000", "203.0.113.7", &*trusted), "::1");
  EXPECT_EQ(ClientAddressOf("ipv4:127.0.0.1:5000", "203.0.113.7", nullptr), "127.0.0.1");
}

TEST(ClientAddressOfTest, OnlyAnAddressIsBelieved) {
  const absl::StatusOr<server::IpRanges> trusted = server::IpRanges::Parse("127.0.0.1/32");
  ASSERT_TRUE(trusted.ok());
  EXPECT_EQ(ClientAddressOf("ipv4:127.0.0.1:5000", "evil, 1.2.3.4", &*trusted), "127.0.0.1");
  EXPECT_EQ(ClientAddressOf("ipv4:127.0.0.1:5000", "1.2.3.4:80", &*trusted), "127.0.0.1");
}

}  // namespace
}  // namespace lianfang::accounts
