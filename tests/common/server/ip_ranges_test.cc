#include "common/server/ip_ranges.h"

#include "absl/status/status.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::server {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::HasSubstr;

IpRanges MustParse(absl::string_view list) {
  absl::StatusOr<IpRanges> r = IpRanges::Parse(list);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *std::move(r) : IpRanges();
}

TEST(IpRangesTest, TheDefaultTrustsOnlyLoopback) {
  const IpRanges r = MustParse("127.0.0.1/32,::1/128");
  EXPECT_TRUE(r.Contains("127.0.0.1"));
  EXPECT_TRUE(r.Contains("::1"));
  EXPECT_TRUE(r.Contains("[::1]"));
  EXPECT_FALSE(r.Contains("127.0.0.2"));
  EXPECT_FALSE(r.Contains("10.0.0.1"));
  EXPECT_FALSE(r.Contains("::2"));
}

TEST(IpRangesTest, BlocksMatchOnTheirPrefixOnly) {
  const IpRanges r = MustParse(" 10.1.0.0/16 , 192.168.7.9, fd00::/8 ");
  EXPECT_TRUE(r.Contains("10.1.0.0"));
  EXPECT_TRUE(r.Contains("10.1.255.255"));
  EXPECT_FALSE(r.Contains("10.2.0.1"));
  EXPECT_TRUE(r.Contains("192.168.7.9"));
  EXPECT_FALSE(r.Contains("192.168.7.10"));
  EXPECT_TRUE(r.Contains("fd12:3456::1"));
  EXPECT_FALSE(r.Contains("fe80::1"));
}

TEST(IpRangesTest, OddPrefixesCutInsideAByte) {
  const IpRanges r = MustParse("172.16.0.0/12");
  EXPECT_TRUE(r.Contains("172.16.0.1"));
  EXPECT_TRUE(r.Contains("172.31.255.255"));
  EXPECT_FALSE(r.Contains("172.32.0.0"));
  EXPECT_FALSE(r.Contains("172.15.255.255"));
}

TEST(IpRangesTest, MappedIpv4IsMatchedAsIpv4ButFamiliesDoNotMix) {
  const IpRanges v4 = MustParse("127.0.0.0/8");
  EXPECT_TRUE(v4.Contains("::ffff:127.0.0.1"));
  EXPECT_FALSE(v4.Contains("::1"));
  EXPECT_FALSE(v4.Contains("7f00::1"));  // the same leading bits, another family
  const IpRanges all4 = MustParse("0.0.0.0/0");
  EXPECT_TRUE(all4.Contains("203.0.113.5"));
  EXPECT_FALSE(all4.Contains("2001:db8::1"));
}

TEST(IpRangesTest, AnEmptyListTrustsNobodyAndGarbageIsNoAddress) {
  const IpRanges none = MustParse("");
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(none.Contains("127.0.0.1"));
  const IpRanges r = MustParse("127.0.0.1");
  EXPECT_FALSE(r.Contains(""));
  EXPECT_FALSE(r.Contains("localhost"));
  EXPECT_FALSE(r.Contains("127.0.0.1:80"));
  EXPECT_FALSE(r.Contains("127.0.0.1, 10.0.0.1"));
}

TEST(IpRangesTest, BadItemsAreNamed) {
  EXPECT_THAT(IpRanges::Parse("127.0.0.1/32,localhost"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"localhost\"")));
  EXPECT_THAT(IpRanges::Parse("10.0.0.0/33"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("0..32")));
  EXPECT_THAT(IpRanges::Parse("::1/129"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("0..128")));
  EXPECT_THAT(IpRanges::Parse("10.0.0.0/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("10.0.0.0/x")));
  EXPECT_THAT(IpRanges::Parse("10.0.0.0/"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(IpRanges::Parse("[::1]/128"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace lianfang::server
