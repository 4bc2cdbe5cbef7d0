#include "common/redis/endpoint.h"

#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::redis {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ParseUrlTest, AcceptsHostPortAndDatabase) {
  ASSERT_OK_AND_ASSIGN(Endpoint e, ParseUrl("redis://127.0.0.1:6380/2"));
  EXPECT_EQ(e, (Endpoint{"127.0.0.1", 6380, 2}));
  EXPECT_EQ(e.ToString(), "127.0.0.1:6380/2");
}

TEST(ParseUrlTest, PortAndDatabaseHaveDefaults) {
  ASSERT_OK_AND_ASSIGN(Endpoint e, ParseUrl("redis://redis.internal"));
  EXPECT_EQ(e, (Endpoint{"redis.internal", 6379, 0}));
  ASSERT_OK_AND_ASSIGN(Endpoint slash, ParseUrl("redis://redis:7000/"));
  EXPECT_EQ(slash, (Endpoint{"redis", 7000, 0}));
}

TEST(ParseUrlTest, AcceptsBracketedIpv6) {
  ASSERT_OK_AND_ASSIGN(Endpoint e, ParseUrl("redis://[::1]:6379/1"));
  EXPECT_EQ(e, (Endpoint{"::1", 6379, 1}));
  EXPECT_EQ(e.ToString(), "[::1]:6379/1");
}

TEST(ParseUrlTest, RejectsMalformedUrlsNamingTheProblem) {
  const struct {
    const char* url;
    const char* problem;
  } cases[] = {
      {"", "redis://"},
      {"http://127.0.0.1:6379", "redis://"},
      {"127.0.0.1:6379", "redis://"},
      {"rediss://127.0.0.1:6379", "TLS"},
      {"redis://", "host"},
      {"redis://:6379", "host"},
      {"redis://127.0.0.1:", "port"},
      {"redis://127.0.0.1:0", "port"},
      {"redis://127.0.0.1:65536", "port"},
      {"redis://127.0.0.1:63a9", "port"},
      {"redis://127.0.0.1:-1", "port"},
      {"redis://127.0.0.1:6379/x", "database"},
      {"redis://127.0.0.1:6379/-1", "database"},
      {"redis://127.0.0.1:6379/1/2", "database"},
      {"redis://127.0.0.1:6379/0?timeout=1", "query"},
      {"redis://host name:6379", "host"},
      {"redis://[::1:6379", "IPv6"},
      {"redis://[zz]:6379", "IPv6"},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(ParseUrl(c.url), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.problem)))
        << c.url;
  }
}

TEST(ParseUrlTest, CredentialsAreRejectedWithoutBeingRepeated) {
  EXPECT_THAT(ParseUrl("redis://:s3cr3t-pass@127.0.0.1:6379/0"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::AllOf(HasSubstr("credentials"), Not(HasSubstr("s3cr3t")))));
}

}  // namespace
}  // namespace lianfang::redis
