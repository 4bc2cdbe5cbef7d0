// The JSON API across a service restart, against the real binaries: the gate down for longer
// than gRPC's default reconnect backoff lets a channel notice its return quickly, then back;
// the gateway answers within 3 s of the gate serving again, and calls made during the outage
// wait within their deadline and end in 503, never hang.
//
// The outage lasts 30 s rather than the field's 90 s: with gRPC's default backoff (1 s, x1.6
// per failed attempt, ±20% jitter, up to 120 s) the attempts after 30 s of failures are about
// 26 s and 43 s after the loss, so a channel with the default backoff would next try some 5 to
// 20 s after the gate returned, well beyond 3 s; the same holds, worse, for 90 s. With the
// bounded backoff of server::MakeChannel (at most ~1.2 s) the length of the outage no longer
// matters.
#include <httplib.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status/status_matchers.h"
#include "gtest/gtest.h"
#include "tests/services/gateway/real_stack.h"

namespace lianfang::gateway {
namespace {

constexpr char kOccupancy[] = "/api/v1/lianfang.gate.v1.GateService/GetOccupancy";

TEST(GatewayRestartTest, AfterAServiceOutageTheJsonApiAnswersWithinThreeSecondsOfItsReturn) {
  testing::RealStack stack;
  const absl::Status started = stack.Start({.gateway_env = {{"LF_HTTP_DEADLINE", "3s"}}});
  if (absl::IsNotFound(started)) GTEST_SKIP() << started;
  ASSERT_OK(started);
  httplib::Client http("127.0.0.1", stack.http_port());
  http.set_read_timeout(30, 0);
  const httplib::Headers leader = {
      {"Authorization",
       absl::StrCat("Bearer ", stack.tokens().For(auth::Role::kLeader, "leader-1"))}};
  const auto occupancy = [&] {
    return http.Post(kOccupancy, leader, R"({"siteId":"campus"})", "application/json");
  };
  auto before = occupancy();
  ASSERT_TRUE(before);
  ASSERT_EQ(before->status, 200) << before->body;

  ASSERT_OK(stack.StopGate());
  // The outage: calls keep coming (as the field apps retry); each waits for the gate within
  // its 3 s deadline, then says UNAVAILABLE.
  const absl::Time down = absl::Now();
  int calls = 0;
  while (absl::Now() - down < absl::Seconds(30)) {
    const absl::Time start = absl::Now();
    auto res = occupancy();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 503) << res->body;
    EXPECT_TRUE(absl::StrContains(res->body, "UNAVAILABLE")) << res->body;
    EXPECT_GE(absl::Now() - start, absl::Seconds(2)) << "waited for the gate, not failed fast";
    EXPECT_LT(absl::Now() - start, absl::Seconds(10)) << "bounded by the deadline";
    ++calls;
  }
  EXPECT_GE(calls, 5);

  ASSERT_OK(stack.RestartGate());  // returns once the gate serves again
  const absl::Time back = absl::Now();
  auto after = occupancy();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200) << after->body;
  EXPECT_LT(absl::Now() - back, absl::Seconds(3));
}

}  // namespace
}  // namespace lianfang::gateway
