// The built lf-load against a real lf-gate started by testing::Suite (its test database, a
// real redis-server, gRPC over loopback): a short closed-loop run with the echo baseline child
// completes without errors, and every passage it reports as acknowledged is counted in the
// gate's daily stats. Bad flags end it with exit code 2. No timing is asserted.
#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/server/client.h"
#include "common/server/grpc_status.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/suite.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/service_binaries.h"
#include "common/testing/subprocess.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"

namespace lianfang::load {
namespace {

using ::lianfang::testing::BinaryPath;
using ::lianfang::testing::ExitStatus;
using ::lianfang::testing::NewClientContext;
using ::lianfang::testing::SourcePath;
using ::lianfang::testing::Subprocess;
using ::lianfang::testing::Suite;
using ::lianfang::testing::TestTokens;

// The first integer following `"key":` in `json`, or -1.
int64_t JsonInt(const std::string& json, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(json, m, std::regex("\"" + key + "\":(-?[0-9]+)"))) return -1;
  int64_t v = -1;
  return absl::SimpleAtoi(m[1].str(), &v) ? v : -1;
}

TEST(LfLoadTest, ShortRunAgainstTheGateHasNoErrorsAndEveryAcknowledgedPassageIsCounted) {
  ASSERT_OK_AND_ASSIGN(std::string load_binary, BinaryPath("lf-load"));
  // Only the gate runs: the dispatch address has nothing behind it, so fevers queue up.
  Suite suite;
  ASSERT_OK(suite.Start({.services = {"gate"}, .time_zone = "UTC"}));
  const std::string address = suite.address("gate");
  const std::string sites = suite.sites_file();
  const TestTokens& tokens = suite.tokens();
  const absl::Time before = absl::Now();

  Subprocess::Options load_options;
  load_options.args = {load_binary,
                       "--workload",
                       "passage",
                       "--duration",
                       "2s",
                       "--warmup",
                       "200ms",
                       "--concurrency",
                       "8",
                       "--threads",
                       "2",
                       "--people",
                       "300",
                       "--passes",
                       "100",
                       "--gate",
                       address,
                       "--sites",
                       sites,
                       "--tz",
                       "UTC",
                       "--jwt-secret-file",
                       tokens.secret_file(),
                       "--deadline",
                       "60s",
                       "--json"};
  load_options.unset_env = {"LF_TOKEN", "LF_GATE_ADDR"};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> load, Subprocess::Start(load_options));
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, load->Wait(absl::Seconds(240)));
  const std::string out = load->ReadStdout();
  ASSERT_TRUE(exit.Success()) << exit.ToString() << "\n" << out << "\n" << load->ReadStderr();

  // The workload's and the echo's figures: zero errors, some calls.
  EXPECT_THAT(out, ::testing::HasSubstr("\"method\":\"RecordPassage\""));
  EXPECT_THAT(out, ::testing::HasSubstr("\"method\":\"Echo\""));
  EXPECT_THAT(out, ::testing::Not(::testing::HasSubstr("\"errors_by_code\":{\"")));
  EXPECT_GT(JsonInt(out, "calls"), 0) << out;
  EXPECT_EQ(JsonInt(out, "errors"), 0) << out;
  EXPECT_THAT(out, ::testing::HasSubstr("\"throughput_ratio\":"));
  const int64_t acknowledged = JsonInt(out, "acknowledged");
  ASSERT_GT(acknowledged, 0) << out;
  EXPECT_EQ(JsonInt(out, "replayed"), 0) << out;

  // Every acknowledged passage is in the gate's stats (admitted entries and exits, and
  // refusals), over the day(s) the run spanned.
  auto stub = gate::v1::GateService::NewStub(suite.Channel("gate"));
  const absl::TimeZone utc = absl::UTCTimeZone();
  std::vector<std::string> days = {time::DateOf(before, utc)};
  if (time::DateOf(absl::Now(), utc) != days.front())
    days.push_back(time::DateOf(absl::Now(), utc));
  int64_t counted = 0;
  for (const std::string& day : days) {
    gate::v1::GetDailyStatsRequest request;
    request.set_date(day);
    gate::v1::GetDailyStatsResponse response;
    auto ctx = NewClientContext(tokens.For(auth::Role::kAdmin, "admin-1"), absl::Seconds(30));
    ASSERT_OK(server::FromGrpcStatus(stub->GetDailyStats(ctx.get(), request, &response)));
    for (const auto& s : response.stats()) counted += s.entries() + s.exits() + s.denied();
  }
  EXPECT_EQ(counted, acknowledged) << out;

  // The gate drains and exits cleanly after the load.
  ASSERT_OK(suite.Stop("gate", absl::Seconds(30)));
  const std::optional<ExitStatus> gate_exit = suite.Exit("gate");
  ASSERT_TRUE(gate_exit.has_value());
  EXPECT_TRUE(gate_exit->Success()) << gate_exit->ToString() << "\n" << suite.Stderr("gate");
}

// `lf-load http`: each mode at a small scale against the real lf-gateway and lf-gate; every
// call answered, every stream got every passage, the flood kept its connections. No timing
// is asserted.
TEST(LfLoadHttpTest, EveryModeRunsAgainstTheRealGateway) {
  ASSERT_OK_AND_ASSIGN(std::string load_binary, BinaryPath("lf-load"));
  Suite suite;
  const absl::Status started = suite.Start({.services = {"gate", "gateway"}, .time_zone = "UTC"});
  if (absl::IsNotFound(started)) GTEST_SKIP() << started;
  ASSERT_OK(started);
  const auto run = [&](std::vector<std::string> mode) -> std::string {
    Subprocess::Options o;
    o.args = {load_binary, "http", "--http", absl::StrCat("127.0.0.1:", suite.http_port()),
              "--gate", suite.address("gate"), "--jwt-secret-file",
              suite.tokens().secret_file()};
    o.args.insert(o.args.end(), mode.begin(), mode.end());
    o.unset_env = {"LF_TOKEN", "LF_GATE_ADDR", "LF_HTTP_ADDR"};
    auto load = Subprocess::Start(o);
    EXPECT_OK(load.status());
    if (!load.ok()) return "";
    absl::StatusOr<ExitStatus> exit = (*load)->Wait(absl::Seconds(120));
    EXPECT_OK(exit.status());
    const std::string out = (*load)->ReadStdout();
    EXPECT_TRUE(exit.ok() && exit->Success())
        << (exit.ok() ? exit->ToString() : "") << "\n" << out << "\n" << (*load)->ReadStderr();
    return out;
  };
  const std::string passage = run({"--mode", "passage", "--concurrency", "4", "--rounds", "1",
                                   "--duration", "1s"});
  EXPECT_THAT(passage, ::testing::HasSubstr("JSON API via HTTP"));
  EXPECT_THAT(passage, ::testing::HasSubstr("median HTTP / gRPC"));
  const std::string streams = run({"--mode", "streams", "--streams", "20", "--passages", "2"});
  EXPECT_THAT(streams, ::testing::HasSubstr("20 of 20 streams open"));
  EXPECT_THAT(streams, ::testing::HasSubstr("n=40 "));
  EXPECT_THAT(streams, ::testing::HasSubstr("missed 0"));
  const std::string flood =
      run({"--mode", "flood", "--slow", "5", "--idle", "5", "--duration", "1s"});
  EXPECT_THAT(flood, ::testing::HasSubstr("flood open: 5 slow-header, 5 idle"));
  EXPECT_THAT(flood, ::testing::HasSubstr("probe errors 0"));
}

TEST(LfLoadFlagsTest, AnUnknownFlagEndsWithExitCodeTwoAndNamesIt) {
  ASSERT_OK_AND_ASSIGN(std::string load_binary, BinaryPath("lf-load"));
  Subprocess::Options options;
  options.args = {load_binary, "--concurrenc", "8"};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> load, Subprocess::Start(options));
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, load->Wait(absl::Seconds(60)));
  EXPECT_EQ(exit.exit_code, 2);
  EXPECT_THAT(load->ReadStderr(), ::testing::HasSubstr("--concurrenc"));
}

TEST(LfLoadFlagsTest, AnUnknownWorkloadIsRefusedBeforeAnyCall) {
  ASSERT_OK_AND_ASSIGN(std::string load_binary, BinaryPath("lf-load"));
  Subprocess::Options options;
  options.args = {load_binary,
                  "--workload",
                  "teleport",
                  "--token",
                  "x",
                  "--sites",
                  SourcePath("deploy/sites.textproto")};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> load, Subprocess::Start(options));
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, load->Wait(absl::Seconds(60)));
  EXPECT_EQ(exit.exit_code, 2);
  EXPECT_THAT(load->ReadStderr(), ::testing::HasSubstr("teleport"));
}

}  // namespace
}  // namespace lianfang::load
