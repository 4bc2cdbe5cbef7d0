// The built lf-gate binary with real settings: it reports SERVING, records a passage, raises
// a fever follow-up in a stand-in dispatch, keeps its live counts in Redis, and stops cleanly
// on SIGTERM, ending open WatchPassages streams at once instead of waiting out the drain.
#include <signal.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/redis/client.h"
#include "common/redis/keys.h"
#include "common/server/client.h"
#include "common/server/grpc_status.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/poll.h"
#include "common/testing/ports.h"
#include "common/testing/service_binaries.h"
#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"
#include "common/testing/test_database.h"
#include "common/testing/with_redis.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "services/gate/passage_ledger.h"
#include "tests/services/gate/gate_harness.h"
#include "tests/services/gate/gate_test_util.h"

namespace lianfang::gate {
namespace {

using ::lianfang::gate::testing::DispatchStandIn;
using ::lianfang::gate::testing::ValidId;
using ::lianfang::testing::BinaryPath;
using ::lianfang::testing::ExitStatus;
using ::lianfang::testing::NewClientContext;
using ::lianfang::testing::PickFreePort;
using ::lianfang::testing::PollUntil;
using ::lianfang::testing::SourcePath;
using ::lianfang::testing::Subprocess;
using ::lianfang::testing::TempDir;
using ::lianfang::testing::TestTokens;

class GateBinaryTest : public lianfang::testing::WithRedis {
 protected:
  // The binary's settings, serving on `address` with its files in `dir`.
  Subprocess::Options Options(const std::string& binary, const std::string& address,
                              const TempDir& dir, const std::string& pii_key,
                              const std::string& dispatch_address) {
    Subprocess::Options options;
    options.args = {binary};
    options.env = {{"LF_LISTEN", address},
                   {"LF_DB", ::lianfang::testing::TestDatabaseUrl(dir, "gate.db")},
                   {"LF_REDIS", redis_url()},
                   {"LF_SITES", SourcePath("deploy/sites.textproto")},
                   {"LF_JWT_SECRET_FILE", tokens_.secret_file()},
                   {"LF_PII_KEY_FILE", pii_key},
                   {"LF_DISPATCH_ADDR", dispatch_address},
                   {"LF_TZ", "Asia/Shanghai"}};
    return options;
  }

  TestTokens tokens_;
};

TEST_F(GateBinaryTest, ServesRecordsAndRaisesFeverTasks) {
  ASSERT_OK_AND_ASSIGN(std::string binary, BinaryPath("lf-gate"));
  TestTokens& tokens = tokens_;
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(std::string pii_key,
                       dir.WriteFile("pii.key", "binary-test-pii-key-0123456789"));
  DispatchStandIn dispatch(tokens);
  ASSERT_OK(dispatch.Start());
  ASSERT_OK_AND_ASSIGN(int port, PickFreePort());
  const std::string address = absl::StrCat("127.0.0.1:", port);

  Subprocess::Options options = Options(binary, address, dir, pii_key, dispatch.address());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> gate, Subprocess::Start(options));
  ASSERT_OK(
      server::WaitForServing(address, absl::Seconds(30), nullptr, "lianfang.gate.v1.GateService"))
      << gate->ReadStderr();

  auto stub = v1::GateService::NewStub(server::MakeChannel(address, nullptr));
  v1::RecordPassageRequest r;
  r.set_request_id("bin-1");
  r.set_site_id("campus");
  r.set_gate_id("east");
  r.set_direction(v1::DIRECTION_ENTRY);
  r.mutable_person()->set_id_number(ValidId(1));
  r.set_temperature_c(38.6);
  auto ctx =
      NewClientContext(tokens.For(auth::Role::kGuard, "guard-1", {"campus"}), absl::Seconds(20));
  v1::RecordPassageResponse resp;
  ASSERT_OK(server::FromGrpcStatus(stub->RecordPassage(ctx.get(), r, &resp))) << gate->ReadStderr();
  EXPECT_EQ(resp.passage().deny_reason(), v1::DENY_REASON_FEVER);
  EXPECT_EQ(resp.passage().guard(), "guard-1");

  const std::string key = FeverTaskKey(resp.passage().passage_id());
  EXPECT_TRUE(PollUntil([&] { return dispatch.service().Calls(key) == 1; }, absl::Seconds(30)))
      << gate->ReadStderr();

  // The live counts reach Redis.
  redis::Client redis(*redis::ParseUrl(redis_url()));
  const std::string day_key = *redis::DayKey(
      "gate", "campus", time::DayOf(absl::Now(), *time::LoadTimeZone("Asia/Shanghai")));
  EXPECT_TRUE(PollUntil(
      [&] {
        auto v = redis.HGet(day_key, "fevers");
        return v.ok() && v->has_value() && **v == "1";
      },
      absl::Seconds(30)));

  ASSERT_OK_AND_ASSIGN(ExitStatus exit, gate->Terminate(absl::Seconds(20)));
  EXPECT_TRUE(exit.Success()) << exit.ToString() << "\n" << gate->ReadStderr();
  EXPECT_EQ(dispatch.service().TotalCalls(), 1);
}

TEST_F(GateBinaryTest, SigtermEndsAnOpenWatchStreamAndTheBinaryExitsWellWithinTheDrain) {
  ASSERT_OK_AND_ASSIGN(std::string binary, BinaryPath("lf-gate"));
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(std::string pii_key,
                       dir.WriteFile("pii.key", "binary-test-pii-key-0123456789"));
  DispatchStandIn dispatch(tokens_);
  ASSERT_OK(dispatch.Start());
  ASSERT_OK_AND_ASSIGN(int port, PickFreePort());
  const std::string address = absl::StrCat("127.0.0.1:", port);
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Subprocess> gate,
      Subprocess::Start(Options(binary, address, dir, pii_key, dispatch.address())));
  ASSERT_OK(
      server::WaitForServing(address, absl::Seconds(30), nullptr, "lianfang.gate.v1.GateService"))
      << gate->ReadStderr();

  // A guard console watching its site.
  auto stub = v1::GateService::NewStub(server::MakeChannel(address, nullptr));
  auto ctx = NewClientContext(tokens_.For(auth::Role::kGuard, "guard-1", {"campus"}, absl::Hours(1)),
                              absl::Minutes(2));
  v1::WatchPassagesRequest request;
  request.set_site_id("campus");
  std::unique_ptr<grpc::ClientReader<v1::Passage>> watch = stub->WatchPassages(ctx.get(), request);
  watch->WaitForInitialMetadata();

  const absl::Time signalled = absl::Now();
  ASSERT_OK(gate->Kill(SIGTERM));
  v1::Passage passage;
  while (watch->Read(&passage)) {
  }
  const grpc::Status status = watch->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("shutting down"));
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, gate->Wait(absl::Seconds(30)));
  // The drain lasts up to 10 s; a stream holding it would keep the binary alive that long.
  EXPECT_LT(absl::Now() - signalled, absl::Seconds(5)) << gate->ReadStderr();
  EXPECT_TRUE(exit.Success()) << exit.ToString() << "\n" << gate->ReadStderr();
}

}  // namespace
}  // namespace lianfang::gate
