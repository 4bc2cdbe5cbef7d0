#include "common/redis/endpoint.h"

#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::redis {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ParseUrlTest, AcceptsHostPortAndDatabase) {
  ASSERT_OK_AND_ASSIGN(Endpoint e, ParseUrl("redis://127.0.0.1:6380/2"));
  EXPECT_EQ(e, (Endpoint{.host = "127.0.0.1", .port = 6380, .db = 2}));
  EXPECT_FALSE(e.uses_sentinel());
  EXPECT_EQ(e.ToString(), "127.0.0.1:6380/2");
}

TEST(ParseUrlTest, PortAndDatabaseHaveDefaults) {
  ASSERT_OK_AND_ASSIGN(Endpoint e, ParseUrl("redis://redis.internal"));
  EXPECT_EQ(e, (Endpoint{.host = "redis.internal", .port = 6379, .db = 0}));
  ASSERT_OK_AND_ASSIGN(Endpoint slash, ParseUrl("redis://redis:7000/"));
  EXPECT_EQ(slash, (Endpoint{.host = "redis", .port = 7000, .db = 0}));
}

TEST(ParseUrlTest, AcceptsBracketedIpv6) {
  ASSERT_OK_AND_ASSIGN(Endpoint e, ParseUrl("redis://[::1]:6379/1"));
  EXPECT_EQ(e, (Endpoint{.host = "::1", .port = 6379, .db = 1}));
  EXPECT_EQ(e.ToString(), "[::1]:6379/1");
}

TEST(ParseUrlTest, RejectsMalformedUrlsNamingTheProblem) {
  const struct {
    const char* url;
    const char* problem;
  } cases[] = {
      {"", "redis://"},
      {"http://127.0.0.1:6379", "redis://"},
      {"redis://a:6379,b:6379/0", "only for Sentinels"},
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

TEST(ParseUrlTest, AcceptsSentinelsAndTheMasterName) {
  ASSERT_OK_AND_ASSIGN(Endpoint e, ParseUrl("redis-sentinel://10.0.0.5:26379/lf-main"));
  EXPECT_TRUE(e.uses_sentinel());
  EXPECT_THAT(e.sentinels, ElementsAre(Address{"10.0.0.5", 26379}));
  EXPECT_EQ(e.master_name, "lf-main");
  EXPECT_EQ(e.db, 0);
  EXPECT_EQ(e.ToString(), "master lf-main via Sentinel 10.0.0.5:26379 (db 0)");

  ASSERT_OK_AND_ASSIGN(
      Endpoint several,
      ParseUrl("redis-sentinel://sentinel-a:26379,10.0.0.6:26380,[::1]:26381/lf_main.1/3"));
  EXPECT_THAT(several.sentinels,
              ElementsAre(Address{"sentinel-a", 26379}, Address{"10.0.0.6", 26380},
                          Address{"::1", 26381}));
  EXPECT_EQ(several.master_name, "lf_main.1");
  EXPECT_EQ(several.db, 3);
  EXPECT_EQ(several.ToString(),
            "master lf_main.1 via Sentinel sentinel-a:26379,10.0.0.6:26380,[::1]:26381 (db 3)");
}

TEST(ParseUrlTest, SentinelFormAllowsATrailingSlash) {
  ASSERT_OK_AND_ASSIGN(Endpoint name_only, ParseUrl("redis-sentinel://h:26379/lf/"));
  EXPECT_EQ(name_only.master_name, "lf");
  EXPECT_EQ(name_only.db, 0);
  ASSERT_OK_AND_ASSIGN(Endpoint with_db, ParseUrl("redis-sentinel://h:26379/lf/2/"));
  EXPECT_EQ(with_db.db, 2);
}

TEST(ParseUrlTest, RejectsMalformedSentinelUrlsNamingTheProblem) {
  const struct {
    const char* url;
    const char* problem;
  } cases[] = {
      {"redis-sentinel://", "Sentinel HOST:PORT"},
      {"redis-sentinel:///lf", "Sentinel HOST:PORT"},
      {"redis-sentinel://h:26379", "master name"},
      {"redis-sentinel://h:26379/", "master name"},
      {"redis-sentinel://h/lf", "port"},
      {"redis-sentinel://h:26379,/lf", "host"},
      {"redis-sentinel://h:26379,g/lf", "port"},
      {"redis-sentinel://h:0/lf", "port"},
      {"redis-sentinel://h:26379/l f", "master name"},
      {"redis-sentinel://h:26379/l*f", "master name"},
      {"redis-sentinel://h:26379/lf/x", "database"},
      {"redis-sentinel://h:26379/lf/-1", "database"},
      {"redis-sentinel://h:26379/lf/1/2", "after the database"},
      {"redis-sentinel://h:26379/lf?db=1", "query"},
      {"redis-sentinel://[::1:26379/lf", "IPv6"},
      {"redis-sentinel://h1:1,h2:2,h3:3,h4:4,h5:5,h6:6,h7:7,h8:8,h9:9,h10:10,h11:11,h12:12,"
       "h13:13,h14:14,h15:15,h16:16,h17:17/lf",
       "at most 16"},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(ParseUrl(c.url), StatusIs(absl::StatusCode::kInvalidArgument,
                                          ::testing::AllOf(HasSubstr(c.problem),
                                                           HasSubstr("redis-sentinel://HOST:PORT"))))
        << c.url;
  }
  const std::string long_name(65, 'm');
  EXPECT_THAT(ParseUrl("redis-sentinel://h:26379/" + long_name),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("master name")));
}

TEST(ParseUrlTest, SentinelCredentialsAreRejectedWithoutBeingRepeated) {
  EXPECT_THAT(ParseUrl("redis-sentinel://:s3cr3t-pass@10.0.0.5:26379/lf/0"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::AllOf(HasSubstr("credentials"), Not(HasSubstr("s3cr3t")))));
  // Nor is any other part of the text, which may be a mistyped secret.
  EXPECT_THAT(ParseUrl("redis-sentinel://h:26379/s3cr3t pass"),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("s3cr3t"))));
}

}  // namespace
}  // namespace lianfang::redis
