#include "common/redis/reply.h"

#include <signal.h>
#include <unistd.h>

#include <string>

#include "common/redis/connection.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::redis {
namespace {

using ::lianfang::testing::StatusIs;

TEST(ReplyTest, KindsAndAccessors) {
  EXPECT_TRUE(Reply().is_nil());
  EXPECT_EQ(Reply::Integer(7).integer(), 7);
  EXPECT_EQ(Reply::String("v").str(), "v");
  EXPECT_TRUE(Reply::StatusText("OK").is_status());
  EXPECT_TRUE(Reply::Error("ERR x").is_error());
  const Reply array = Reply::Array({Reply::Integer(1), Reply::String("a")});
  ASSERT_EQ(array.elements().size(), 2u);
  EXPECT_EQ(array.elements()[1], Reply::String("a"));
  EXPECT_EQ(array.DebugString(), "[(integer) 1, \"a\"]");
  EXPECT_EQ(Reply::Error("ERR x").DebugString(), "(error) ERR x");
  EXPECT_STREQ(KindName(Reply::Kind::kArray), "array");
}

TEST(ReplyTest, ToIntegerAcceptsIntegersAndNumericStrings) {
  ASSERT_OK_AND_ASSIGN(int64_t n, Reply::Integer(-3).ToInteger());
  EXPECT_EQ(n, -3);
  ASSERT_OK_AND_ASSIGN(int64_t v, Reply::String("42").ToInteger());
  EXPECT_EQ(v, 42);
  EXPECT_THAT(Reply::String("4x").ToInteger(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Reply().ToInteger(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(SigpipeTest, WritingToAClosedPipeDoesNotKillTheProcess) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  close(fds[0]);
  {
    internal::ScopedSigpipeBlock no_sigpipe;
    const char byte = 'x';
    EXPECT_EQ(write(fds[1], &byte, 1), -1);
  }
  close(fds[1]);
  sigset_t pending;
  sigemptyset(&pending);
  ASSERT_EQ(sigpending(&pending), 0);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
}

}  // namespace
}  // namespace lianfang::redis
