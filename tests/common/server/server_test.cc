// The server bootstrap over real loopback connections: health, reflection, authorization of
// unserved methods, error details, metrics, logs, limits, drain and signals.
#include "common/server/server.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/logging/logging.h"
#include "common/server/client.h"
#include "common/server/errors.h"
#include "common/server/grpc_status.h"
#include "common/server/metrics.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/poll.h"
#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "tests/common/server/test_services.h"

namespace lianfang::server {
namespace {

using ::lianfang::server::testing::EchoService;
using ::lianfang::server::testing::FakeGateService;
using ::lianfang::server::testing::kEchoMethod;
using ::lianfang::server::testing::kHoldMethod;
using ::lianfang::server::testing::kInternalMethod;
using ::lianfang::testing::IsOk;
using ::lianfang::testing::LoopbackServer;
using ::lianfang::testing::NewClientContext;
using ::lianfang::testing::PollUntil;
using ::lianfang::testing::StatusIs;
using ::lianfang::testing::TestTokens;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::Not;
using ::testing::Pair;

constexpr char kGate[] = "lianfang.gate.v1.GateService";
constexpr char kDispatch[] = "lianfang.dispatch.v1.DispatchService";
constexpr char kAssignTask[] = "/lianfang.dispatch.v1.DispatchService/AssignTask";
constexpr char kGenerateReport[] = "/lianfang.report.v1.ReportService/GenerateDailyReport";
constexpr char kRecordPassage[] = "/lianfang.gate.v1.GateService/RecordPassage";
constexpr absl::Duration kWait = absl::Seconds(10);

grpc::ByteBuffer Bytes(const std::string& data) {
  grpc::Slice slice(data);
  return grpc::ByteBuffer(&slice, 1);
}

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices)
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

// A unary call with raw bytes (any method name), waiting for its end.
grpc::Status CallRaw(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                     grpc::ClientContext* context, const std::string& request = "ping",
                     std::string* response = nullptr) {
  grpc::GenericStub stub(channel);
  const grpc::ByteBuffer request_buffer = Bytes(request);
  grpc::ByteBuffer response_buffer;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(context, method, grpc::StubOptions(), &request_buffer, &response_buffer,
                 [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (response != nullptr) *response = ToString(response_buffer);
  return status;
}

// Collects log lines while alive. Thread-safe.
class LogCapture {
 public:
  LogCapture() {
    logging::SetSink([this](absl::string_view line) {
      absl::MutexLock lock(&mu_);
      lines_.emplace_back(line);
    });
  }
  ~LogCapture() { logging::SetSink(nullptr); }

  // The first line containing every one of `parts`, or "".
  std::string Find(const std::vector<std::string>& parts) const {
    absl::MutexLock lock(&mu_);
    for (const std::string& line : lines_) {
      bool all = true;
      for (const std::string& part : parts) all = all && absl::StrContains(line, part);
      if (all) return line;
    }
    return "";
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
};

class ServerTest : public ::testing::Test {
 protected:
  // Serves Echo (raw) and GateService (typed, RecordPassage only), with a placeholder for
  // DispatchService and the authorizing fallback for everything else.
  void StartServer(ServerOptions options = {}) {
    options.served_services = {kGate, kDispatch};
    options.metrics = &metrics_;
    server_ = std::make_unique<LoopbackServer>(std::move(options));
    server_->AddService(&echo_);
    server_->AddService(&gate_);
    server_->UseFallback(tokens_);
    ASSERT_OK(server_->Start());
  }

  grpc::Status Call(const std::string& method, absl::string_view token) {
    auto context = NewClientContext(token);
    return CallRaw(server_->channel(), method, context.get());
  }

  TestTokens tokens_;
  Metrics metrics_;
  EchoService echo_;
  FakeGateService gate_{&tokens_.authorizer()};
  std::unique_ptr<LoopbackServer> server_;  // last: stops before the services go
};

TEST_F(ServerTest, HealthReportsServingForTheServerAndEachService) {
  StartServer();
  EXPECT_OK(WaitForServing(server_->address(), kWait));
  EXPECT_THAT(CheckHealth(server_->channel(), kGate, kWait), ServingStatus::kServing);
  EXPECT_THAT(CheckHealth(server_->channel(), kDispatch, kWait), ServingStatus::kServing);
  EXPECT_THAT(CheckHealth(server_->channel(), "lianfang.test.Echo", kWait),
              ServingStatus::kServing);
  EXPECT_THAT(CheckHealth(server_->channel(), "lianfang.report.v1.ReportService", kWait),
              StatusIs(absl::StatusCode::kNotFound));

  server_->server().SetServing(kDispatch, false);
  EXPECT_THAT(CheckHealth(server_->channel(), kDispatch, kWait), ServingStatus::kNotServing);
}

TEST_F(ServerTest, WaitForServingGivesUpOnAnAddressWhereNothingListens) {
  StartServer();
  const std::string address = server_->address();
  server_.reset();
  EXPECT_THAT(WaitForServing(address, absl::Milliseconds(300)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr(address)));
}

TEST_F(ServerTest, ReflectionListsTypedAndServedServices) {
  StartServer();
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> services,
                       lianfang::testing::ListServicesByReflection(server_->channel()));
  EXPECT_THAT(services,
              IsSupersetOf({std::string(kGate), std::string(kDispatch),
                            std::string("lianfang.test.Echo"), std::string("grpc.health.v1.Health"),
                            std::string("grpc.reflection.v1alpha.ServerReflection")}));
  EXPECT_THAT(services, Not(Contains("lianfang.report.v1.ReportService")));
  EXPECT_OK(lianfang::testing::ReflectionKnowsSymbol(server_->channel(), kDispatch));
  EXPECT_OK(lianfang::testing::ReflectionKnowsSymbol(server_->channel(),
                                                     "lianfang.gate.v1.RecordPassageRequest"));
}

// Why ServiceServer registers placeholders: a catch-all generic service is invisible to the
// reflection service's list (descriptors stay reachable by symbol).
TEST(ReflectionWithoutPlaceholdersTest, GenericFallbackAloneIsNotListed) {
  TestTokens tokens;
  LoopbackServer server;
  server.UseFallback(tokens);
  ASSERT_OK(server.Start());
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> services,
                       lianfang::testing::ListServicesByReflection(server.channel()));
  EXPECT_THAT(services,
              ElementsAre("grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"));
  EXPECT_OK(lianfang::testing::ReflectionKnowsSymbol(server.channel(), kDispatch));
}

TEST_F(ServerTest, CallWithoutTokenIsUnauthenticated) {
  StartServer();
  EXPECT_EQ(Call(kAssignTask, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Call(kAssignTask, "garbage").error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(ServerTest, ViewerOnALeaderMethodIsPermissionDenied) {
  StartServer();
  EXPECT_EQ(Call(kAssignTask, tokens_.For(auth::Role::kViewer, "viewer-1")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ServerTest, LeaderOnAnUnservedMethodPassesAuthorizationThenGetsUnimplemented) {
  StartServer();
  const grpc::Status status = Call(kAssignTask, tokens_.For(auth::Role::kLeader, "leader-1"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_THAT(status.error_message(), HasSubstr("is not served by this release"));
}

TEST_F(ServerTest, MethodsOfServicesNotRegisteredAtAllAreAuthorizedByTheGenericFallback) {
  StartServer();
  EXPECT_EQ(Call(kGenerateReport, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Call(kGenerateReport, tokens_.For(auth::Role::kGuard, "g1")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Call(kGenerateReport, tokens_.For(auth::Role::kLeader, "l1")).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(ServerTest, MadeUpMethodsNeedAValidTokenThenAreUnimplemented) {
  StartServer();
  EXPECT_EQ(Call("/evil.Probe/Scan", "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  const grpc::Status status = Call("/evil.Probe/Scan", tokens_.For(auth::Role::kViewer, "v"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_THAT(status.error_message(), HasSubstr("unknown method"));
}

TEST_F(ServerTest, FieldViolationsReachTheClientAsGoogleRpcStatusDetails) {
  StartServer();
  auto stub = lianfang::gate::v1::GateService::NewStub(server_->channel());
  lianfang::gate::v1::RecordPassageRequest request;
  request.set_request_id("req-fv");
  lianfang::gate::v1::RecordPassageResponse response;
  auto context = NewClientContext(tokens_.For(auth::Role::kGuard, "guard-1"));
  const grpc::Status status = stub->RecordPassage(context.get(), request, &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status wire;
  ASSERT_TRUE(wire.ParseFromString(status.error_details()));
  ASSERT_EQ(wire.details_size(), 1);
  EXPECT_EQ(wire.details(0).type_url(), kBadRequestTypeUrl);
  EXPECT_THAT(FieldViolations(FromGrpcStatus(status)),
              ElementsAre(Pair("site_id", "unknown site"),
                          Pair("temperature_c", "must be within 34.0..43.0")));
}

TEST_F(ServerTest, TypedHandlersRunTheSameAuthorizationFirst) {
  StartServer();
  auto stub = lianfang::gate::v1::GateService::NewStub(server_->channel());
  lianfang::gate::v1::RecordPassageRequest request;
  lianfang::gate::v1::RecordPassageResponse response;
  auto anonymous = NewClientContext("");
  EXPECT_EQ(stub->RecordPassage(anonymous.get(), request, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto viewer = NewClientContext(tokens_.For(auth::Role::kViewer, "v"));
  EXPECT_EQ(stub->RecordPassage(viewer.get(), request, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ServerTest, InternalErrorsReachTheClientWithoutTheirText) {
  StartServer();
  const grpc::Status status = Call(kInternalMethod, "");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(status.error_message(), "internal error");
  EXPECT_TRUE(status.error_details().empty());
}

TEST_F(ServerTest, MetricsCountCallsByMethodAndCode) {
  StartServer();
  ASSERT_TRUE(Call(kEchoMethod, "").ok());
  ASSERT_TRUE(Call(kEchoMethod, "").ok());
  ASSERT_EQ(Call(kAssignTask, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_EQ(Call("/made.Up/Name", "").error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // The observer records a call before its status is sent; poll anyway, with a bound.
  EXPECT_TRUE(PollUntil([&] { return metrics_.CallCount(kEchoMethod, absl::StatusCode::kOk) == 2; },
                        kWait));
  EXPECT_TRUE(PollUntil(
      [&] {
        return metrics_.CallCount(kAssignTask, absl::StatusCode::kUnauthenticated) == 1 &&
               metrics_.CallCount("unknown", absl::StatusCode::kUnauthenticated) == 1;
      },
      kWait));
  const std::string text = metrics_.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr(absl::StrCat("lf_grpc_server_handled_total{grpc_method=\"",
                                           kEchoMethod, "\",grpc_code=\"OK\"} 2")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("lf_grpc_server_handling_seconds_count{grpc_method=\"",
                                           kAssignTask, "\"} 1")));
  EXPECT_THAT(text, Not(HasSubstr("made.Up")));
}

TEST_F(ServerTest, EachCallIsLoggedOnceWithRequestIdCodeAndNoPayload) {
  LogCapture logs;
  StartServer();
  auto stub = lianfang::gate::v1::GateService::NewStub(server_->channel());
  lianfang::gate::v1::RecordPassageRequest request;
  request.set_request_id("req-42");
  request.set_site_id("secret-site-name");
  request.mutable_person()->set_phone("13812345678");
  lianfang::gate::v1::RecordPassageResponse response;
  auto context = NewClientContext(tokens_.For(auth::Role::kGuard, "guard-1"));
  ASSERT_EQ(stub->RecordPassage(context.get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  auto echo_context = NewClientContext("");
  echo_context->AddMetadata("x-request-id", "meta-7");
  ASSERT_TRUE(CallRaw(server_->channel(), kEchoMethod, echo_context.get()).ok());

  std::string line;
  ASSERT_TRUE(PollUntil(
      [&] {
        line = logs.Find({"rpc finished", kRecordPassage});
        return !line.empty();
      },
      kWait));
  EXPECT_THAT(line, HasSubstr("\"request_id\":\"req-42\""));
  EXPECT_THAT(line, HasSubstr("\"code\":\"INVALID_ARGUMENT\""));
  EXPECT_THAT(line, HasSubstr("\"duration_ms\":"));
  EXPECT_THAT(line, Not(HasSubstr("secret-site-name")));
  EXPECT_THAT(line, Not(HasSubstr("13812345678")));

  ASSERT_TRUE(PollUntil([&] { return !logs.Find({"rpc finished", kEchoMethod}).empty(); }, kWait));
  EXPECT_THAT(logs.Find({"rpc finished", kEchoMethod}), HasSubstr("\"request_id\":\"meta-7\""));
}

TEST_F(ServerTest, CallSetupPutsADeadlineTheTokenAndTheRequestIdOnEveryCall) {
  StartServer();
  const CallSetup setup = CallSetup::WithToken("token-abc", absl::Seconds(5));
  auto context = setup.NewContext("req-9");
  std::string echoed;
  ASSERT_TRUE(CallRaw(server_->channel(), kEchoMethod, context.get(), "hello", &echoed).ok());
  EXPECT_EQ(echoed, "hello");
  const testing::SeenCall seen = echo_.last_call();
  EXPECT_EQ(seen.authorization, "Bearer token-abc");
  EXPECT_EQ(seen.request_id, "req-9");
  EXPECT_LT(seen.deadline, std::chrono::system_clock::now() + std::chrono::hours(1));
}

TEST_F(ServerTest, OversizedRequestIsRejectedWithResourceExhausted) {
  ServerOptions options;
  options.max_message_bytes = 64 * 1024;
  StartServer(std::move(options));
  auto small = NewClientContext("");
  EXPECT_TRUE(
      CallRaw(server_->channel(), kEchoMethod, small.get(), std::string(32 * 1024, 'x')).ok());
  auto big = NewClientContext("");
  EXPECT_EQ(CallRaw(server_->channel(), kEchoMethod, big.get(), std::string(128 * 1024, 'x'))
                .error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(ServerTest, GracefulShutdownLetsAnInFlightCallFinish) {
  ServerOptions options;
  options.drain_timeout = absl::Seconds(60);
  StartServer(std::move(options));
  const std::string address = server_->address();

  grpc::GenericStub stub(server_->channel());
  auto context = NewClientContext("", absl::Seconds(60));
  const grpc::ByteBuffer request = Bytes("hold");
  grpc::ByteBuffer response;
  grpc::Status result;
  absl::Notification done;
  stub.UnaryCall(context.get(), kHoldMethod, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   result = std::move(s);
                   done.Notify();
                 });
  ASSERT_TRUE(PollUntil([&] { return echo_.holding() == 1; }, kWait));

  std::atomic<bool> shutdown_returned{false};
  std::thread stopper([&] {
    server_->Shutdown();
    shutdown_returned = true;
  });
  // Draining: new connections are no longer served.
  ASSERT_TRUE(PollUntil(
      [&] {
        absl::StatusOr<ServingStatus> health =
            CheckHealth(MakeChannel(address, nullptr), "", absl::Seconds(1));
        return !health.ok() || *health != ServingStatus::kServing;
      },
      kWait));
  EXPECT_FALSE(shutdown_returned.load());
  EXPECT_FALSE(done.HasBeenNotified());

  echo_.ReleaseHolds();
  done.WaitForNotification();
  EXPECT_TRUE(result.ok()) << result.error_message();
  stopper.join();
  EXPECT_TRUE(shutdown_returned.load());
}

TEST_F(ServerTest, CallsStillRunningAfterTheDrainTimeoutAreCancelled) {
  ServerOptions options;
  options.drain_timeout = absl::Milliseconds(100);
  StartServer(std::move(options));

  grpc::GenericStub stub(server_->channel());
  auto context = NewClientContext("", absl::Seconds(60));
  const grpc::ByteBuffer request = Bytes("hold");
  grpc::ByteBuffer response;
  grpc::Status result;
  absl::Notification done;
  stub.UnaryCall(context.get(), kHoldMethod, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   result = std::move(s);
                   done.Notify();
                 });
  ASSERT_TRUE(PollUntil([&] { return echo_.holding() == 1; }, kWait));
  server_->Shutdown();  // returns once the held call has been cancelled
  done.WaitForNotification();
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(echo_.holding(), 0);
}

TEST(ServiceServerTest, StartFailsWhenThePortIsTaken) {
  LoopbackServer first;
  ASSERT_OK(first.Start());
  ServerOptions options;
  options.service_name = "second";
  options.listen = first.address();
  ServiceServer second(std::move(options));
  EXPECT_THAT(second.Start(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr(first.address())));
}

TEST(ServiceServerTest, StartRejectsMalformedAddresses) {
  for (const char* listen :
       {"", "nonsense", "127.0.0.1", "127.0.0.1:99999", "host:port", ":7101", "[::1:7101"}) {
    ServerOptions options;
    options.listen = listen;
    ServiceServer server(std::move(options));
    EXPECT_THAT(server.Start(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(listen)))
        << listen;
  }
}

TEST(ServiceServerTest, ServedServiceNeedsAFallbackOrATypedService) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.served_services = {kDispatch};
  ServiceServer server(std::move(options));
  EXPECT_THAT(server.Start(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(kDispatch)));
}

TEST(ServiceServerTest, ServedServiceMustBeAnApiService) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.served_services = {"lianfang.nope.v1.NopeService"};
  ServiceServer server(std::move(options));
  EXPECT_THAT(server.Start(), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("lianfang.nope.v1.NopeService")));
}

TEST(ServiceServerTest, UnreadableTlsFilesAreNamed) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.tls = TlsFiles{"/nonexistent/server.crt", "/nonexistent/server.key", ""};
  ServiceServer server(std::move(options));
  EXPECT_THAT(server.Start(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("/nonexistent/server.crt")));
}

TEST(ServiceServerTest, StartTwiceIsRefused) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  ServiceServer server(std::move(options));
  ASSERT_OK(server.Start());
  EXPECT_NE(server.port(), 0);
  EXPECT_THAT(server.Start(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

// Restores the calling thread's signal mask when the test ends.
class SignalMaskGuard {
 public:
  SignalMaskGuard() { pthread_sigmask(SIG_SETMASK, nullptr, &saved_); }
  ~SignalMaskGuard() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

 private:
  sigset_t saved_;
};

TEST(RunUntilSignalTest, SigtermDrainsTheServerAndReturnsZero) {
  SignalMaskGuard guard;
  BlockTerminationSignals();  // before the signal can arrive
  ServerOptions options;
  options.service_name = "signal-test";
  options.listen = "127.0.0.1:0";
  ServiceServer server(std::move(options));
  ASSERT_OK(server.Start());
  const std::string address = server.address();
  const pthread_t self = pthread_self();
  std::thread sender([address, self] {
    if (WaitForServing(address, kWait).ok()) pthread_kill(self, SIGTERM);
  });
  EXPECT_EQ(RunUntilSignal(server), 0);
  sender.join();
  EXPECT_FALSE(CheckHealth(MakeChannel(address, nullptr), "", absl::Seconds(1)).ok());
}

TEST(RunUntilSignalTest, ReturnsWhenTheServerIsShutDownElsewhere) {
  SignalMaskGuard guard;
  BlockTerminationSignals();
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  ServiceServer server(std::move(options));
  ASSERT_OK(server.Start());
  std::thread stopper([&server] {
    (void)WaitForServing(server.address(), kWait);
    server.Shutdown();
  });
  EXPECT_EQ(RunUntilSignal(server), 0);
  stopper.join();
}

// Certificates for a CA, a server (localhost / 127.0.0.1) and a client, made with openssl.
class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("openssl version > /dev/null 2>&1") != 0) {
      GTEST_SKIP() << "openssl is not installed";
    }
    const std::string d = dir_.path();
    const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    ASSERT_OK(dir_.WriteFile("server.ext", "subjectAltName=DNS:localhost,IP:127.0.0.1\n").status());
    const std::vector<std::string> commands = {
        absl::StrCat("openssl req -x509 ", key, " -keyout ", d, "/ca.key -out ", d,
                     "/ca.crt -days 2 -subj /CN=lianfang-test-ca"),
        absl::StrCat("openssl req ", key, " -keyout ", d, "/server.key -out ", d,
                     "/server.csr -subj /CN=localhost"),
        absl::StrCat("openssl x509 -req -in ", d, "/server.csr -CA ", d, "/ca.crt -CAkey ", d,
                     "/ca.key -CAcreateserial -out ", d, "/server.crt -days 2 -extfile ", d,
                     "/server.ext"),
        absl::StrCat("openssl req ", key, " -keyout ", d, "/client.key -out ", d,
                     "/client.csr -subj /CN=lianfang-client"),
        absl::StrCat("openssl x509 -req -in ", d, "/client.csr -CA ", d, "/ca.crt -CAkey ", d,
                     "/ca.key -CAcreateserial -out ", d, "/client.crt -days 2"),
    };
    for (const std::string& command : commands) {
      ASSERT_EQ(std::system((command + " > /dev/null 2>&1").c_str()), 0) << command;
    }
  }

  std::string File(absl::string_view name) const { return dir_.File(name); }

  lianfang::testing::TempDir dir_;
};

TEST_F(TlsTest, MutualTlsClientIsServedAndOthersAreNot) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.tls = TlsFiles{File("server.crt"), File("server.key"), File("ca.crt")};
  ServiceServer server(std::move(options));
  ASSERT_OK(server.Start());

  ASSERT_OK_AND_ASSIGN(ClientTls with_cert,
                       LoadClientTls(File("ca.crt"), File("client.crt"), File("client.key")));
  with_cert.server_name_override = "localhost";
  EXPECT_OK(WaitForServing(server.address(), kWait, &with_cert));

  ASSERT_OK_AND_ASSIGN(ClientTls without_cert, LoadClientTls(File("ca.crt"), "", ""));
  without_cert.server_name_override = "localhost";
  EXPECT_THAT(WaitForServing(server.address(), absl::Milliseconds(500), &without_cert),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(WaitForServing(server.address(), absl::Milliseconds(500), nullptr),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(ClientTlsTest, MissingFilesAreNamed) {
  EXPECT_THAT(LoadClientTls("/nonexistent/ca.crt", "", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("/nonexistent/ca.crt")));
  EXPECT_THAT(LoadClientTls("", "/x/client.crt", ""), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace lianfang::server
