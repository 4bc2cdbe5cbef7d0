// The gateway's JSON API (services/gateway/json_api.h behind http_gateway.h):
// - every gRPC status code becomes its HTTP code and a JSON error, through a stand-in service
//   that answers whatever status the test sets (details included), and a real deadline;
// - against the real lf-gate and lf-dispatch behind the real lf-gateway binary: missing and
//   bad tokens, roles and sites, bad JSON, bad input with field violations, unknown methods and
//   ids, request ids reused, wrong states, a service down or without the method, over-size
//   bodies, a server-streaming method as Server-Sent Events, the gateway's own methods, the
//   caller's sites, and pass QR codes.
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/server/admission.h"
#include "common/server/errors.h"
#include "common/server/grpc_status.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/poll.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "lianfang/report/v1/report.pb.h"
#include "services/gateway/http_gateway.h"
#include "services/gateway/json_api.h"
#include "services/gateway/qr_svg.h"
#include "tests/services/gateway/gateway_test_support.h"
#include "tests/services/gateway/real_stack.h"

namespace lianfang::gateway {
namespace {

using ::google::protobuf::Struct;
using ::lianfang::testing::PollUntil;
using ::lianfang::testing::TestTokens;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Struct ParseJson(const std::string& json) {
  Struct s;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &s).ok()) << json;
  return s;
}

std::string Str(const Struct& s, const std::string& field) {
  auto it = s.fields().find(field);
  return it == s.fields().end() ? "" : it->second.string_value();
}

httplib::Headers Bearer(const std::string& token) {
  return {{"Authorization", absl::StrCat("Bearer ", token)}};
}

TEST(HttpStatusOfTest, EveryCodeHasTheHttpCodeGoogleDocuments) {
  const std::vector<std::pair<absl::StatusCode, int>> expected = {
      {absl::StatusCode::kOk, 200},
      {absl::StatusCode::kCancelled, 499},
      {absl::StatusCode::kUnknown, 500},
      {absl::StatusCode::kInvalidArgument, 400},
      {absl::StatusCode::kDeadlineExceeded, 504},
      {absl::StatusCode::kNotFound, 404},
      {absl::StatusCode::kAlreadyExists, 409},
      {absl::StatusCode::kPermissionDenied, 403},
      {absl::StatusCode::kResourceExhausted, 429},
      {absl::StatusCode::kFailedPrecondition, 400},
      {absl::StatusCode::kAborted, 409},
      {absl::StatusCode::kOutOfRange, 400},
      {absl::StatusCode::kUnimplemented, 501},
      {absl::StatusCode::kInternal, 500},
      {absl::StatusCode::kUnavailable, 503},
      {absl::StatusCode::kDataLoss, 500},
      {absl::StatusCode::kUnauthenticated, 401},
  };
  for (const auto& [code, http] : expected) {
    EXPECT_EQ(HttpStatusOf(code), http) << absl::StatusCodeToString(code);
  }
}

// ---------------------------------------------------------------------------------------
// A stand-in service: answers every method with the status (or response) the test sets, and
// records what it received.
class EchoBackend final : public grpc::CallbackGenericService {
 public:
  struct Answer {
    grpc::Status status = grpc::Status::OK;
    std::string response;  // serialized response when status is OK
    bool hang = false;     // never answer (until the caller gives up)
    std::string hang_only;  // with `hang`: only the methods containing this text hang
  };
  struct Seen {
    std::string method;
    std::string authorization;
    std::string client_address;  // x-lf-client-address
    std::string request_id;
    absl::Duration deadline_left;
    std::string request;
  };

  void Set(Answer answer) {
    absl::MutexLock lock(&mu_);
    answer_ = std::move(answer);
  }
  std::vector<Seen> seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    absl::MutexLock lock(&mu_);
    return new Reactor(this, context, answer_);
  }

 private:
  class Reactor final : public grpc::ServerGenericBidiReactor {
   public:
    Reactor(EchoBackend* owner, grpc::GenericCallbackServerContext* context, Answer answer)
        : owner_(owner), context_(context), answer_(std::move(answer)) {
      StartRead(&request_);
    }
    void OnReadDone(bool ok) override {
      if (ok) {
        Seen seen;
        seen.method = context_->method();
        const auto& md = context_->client_metadata();
        if (auto it = md.find("authorization"); it != md.end()) {
          seen.authorization.assign(it->second.data(), it->second.size());
        }
        if (auto it = md.find("x-lf-client-address"); it != md.end()) {
          seen.client_address.assign(it->second.data(), it->second.size());
        }
        if (auto it = md.find("x-request-id"); it != md.end()) {
          seen.request_id.assign(it->second.data(), it->second.size());
        }
        seen.deadline_left = absl::FromChrono(context_->deadline() -
                                              std::chrono::system_clock::now());
        std::vector<grpc::Slice> slices;
        (void)request_.Dump(&slices);
        for (const auto& s : slices) {
          seen.request.append(reinterpret_cast<const char*>(s.begin()), s.size());
        }
        absl::MutexLock lock(&owner_->mu_);
        owner_->seen_.push_back(std::move(seen));
      }
      if (ok && answer_.hang &&
          (answer_.hang_only.empty() || absl::StrContains(context_->method(), answer_.hang_only))) {
        return;  // OnCancel finishes
      }
      absl::MutexLock lock(&mu_);
      if (std::exchange(finished_, true)) return;
      if (ok && answer_.status.ok()) {
        grpc::Slice slice(answer_.response);
        response_ = grpc::ByteBuffer(&slice, 1);
        StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
      } else {
        Finish(ok ? answer_.status : grpc::Status(grpc::StatusCode::INTERNAL, "no request"));
      }
    }
    void OnCancel() override {
      absl::MutexLock lock(&mu_);
      if (std::exchange(finished_, true)) return;
      Finish(grpc::Status::CANCELLED);
    }
    void OnWriteDone(bool) override {}
    void OnDone() override { delete this; }

   private:
    EchoBackend* const owner_;
    grpc::GenericCallbackServerContext* const context_;
    const Answer answer_;
    grpc::ByteBuffer request_;
    grpc::ByteBuffer response_;
    absl::Mutex mu_;
    bool finished_ ABSL_GUARDED_BY(mu_) = false;
  };

  absl::Mutex mu_;
  Answer answer_ ABSL_GUARDED_BY(mu_);
  std::vector<Seen> seen_ ABSL_GUARDED_BY(mu_);
};

EchoBackend::Answer Fails(grpc::Status status) {
  EchoBackend::Answer a;
  a.status = std::move(status);
  return a;
}
EchoBackend::Answer Answers(std::string response) {
  EchoBackend::Answer a;
  a.response = std::move(response);
  return a;
}
EchoBackend::Answer Hangs() {
  EchoBackend::Answer a;
  a.hang = true;
  return a;
}

constexpr char kGetReport[] = "/api/v1/lianfang.report.v1.ReportService/GetDailyReport";

class JsonApiStatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterCallbackGenericService(&echo_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials());
  }

  void TearDown() override {
    if (http_ != nullptr) http_->Stop();
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
  }

  void StartHttp(absl::Duration deadline,
                 int max_inflight = server::kDefaultMaxInflightCalls,
                 int max_anonymous_inflight = 64) {
    api_ = std::make_unique<JsonApi>(
        std::map<std::string, std::shared_ptr<grpc::Channel>>{
            {"lianfang.report.v1.ReportService", channel_},
            {"lianfang.accounts.v1.AccountsService", channel_}},
        JsonApi::Options{.deadline = deadline});
    HttpGateway::Options options;
    options.listen = "127.0.0.1:0";
    options.threads = 8;
    options.max_inflight = max_inflight;
    options.max_anonymous_inflight = max_anonymous_inflight;
    http_ = std::make_unique<HttpGateway>(
        options, HttpGateway::Deps{.authorizer = &tokens_.authorizer(),
                                   .sites = &testing::Sites(),
                                   .source = nullptr,
                                   .hub = nullptr,
                                   .metrics = nullptr,
                                   .redis_up = nullptr,
                                   .api = api_.get(),
                                   .verifier = &tokens_.verifier()});
    ASSERT_OK(http_->Start());
  }

  httplib::Result Post(const std::string& path, const std::string& body) {
    httplib::Client client("127.0.0.1", http_->port());
    client.set_read_timeout(30, 0);
    return client.Post(path.c_str(), Bearer(tokens_.For(auth::Role::kLeader, "leader-1")), body,
                       "application/json");
  }

  TestTokens tokens_;
  EchoBackend echo_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<JsonApi> api_;
  std::unique_ptr<HttpGateway> http_;
};

TEST_F(JsonApiStatusTest, EveryGrpcStatusBecomesItsHttpCodeAndAJsonError) {
  StartHttp(absl::Seconds(10));
  const std::vector<std::pair<grpc::StatusCode, int>> cases = {
      {grpc::StatusCode::CANCELLED, 499},          {grpc::StatusCode::UNKNOWN, 500},
      {grpc::StatusCode::INVALID_ARGUMENT, 400},   {grpc::StatusCode::DEADLINE_EXCEEDED, 504},
      {grpc::StatusCode::NOT_FOUND, 404},          {grpc::StatusCode::ALREADY_EXISTS, 409},
      {grpc::StatusCode::PERMISSION_DENIED, 403},  {grpc::StatusCode::RESOURCE_EXHAUSTED, 429},
      {grpc::StatusCode::FAILED_PRECONDITION, 400}, {grpc::StatusCode::ABORTED, 409},
      {grpc::StatusCode::OUT_OF_RANGE, 400},       {grpc::StatusCode::UNIMPLEMENTED, 501},
      {grpc::StatusCode::INTERNAL, 500},           {grpc::StatusCode::UNAVAILABLE, 503},
      {grpc::StatusCode::DATA_LOSS, 500},          {grpc::StatusCode::UNAUTHENTICATED, 401},
  };
  for (const auto& [code, http] : cases) {
    const std::string message = absl::StrCat("answer number ", static_cast<int>(code));
    echo_.Set(Fails(grpc::Status(code, message)));
    auto res = Post(kGetReport, R"({"reportId":"r-1"})");
    ASSERT_TRUE(res) << code;
    EXPECT_EQ(res->status, http) << "gRPC code " << code;
    EXPECT_THAT(res->get_header_value("Content-Type"), StartsWith("application/json"));
    const Struct body = ParseJson(res->body);
    EXPECT_EQ(Str(body, "code"),
              absl::StatusCodeToString(static_cast<absl::StatusCode>(code)));
    if (http == 500) {
      EXPECT_EQ(Str(body, "message"), "internal error") << "server faults do not leak";
    } else {
      EXPECT_EQ(Str(body, "message"), message);
    }
    if (http == 401) {
      EXPECT_THAT(res->get_header_value("WWW-Authenticate"), StartsWith("Bearer"));
    }
  }
}

TEST_F(JsonApiStatusTest, FieldViolationsOfTheServiceReachTheJsonError) {
  StartHttp(absl::Seconds(10));
  google::rpc::BadRequest bad;
  auto* v = bad.add_field_violations();
  v->set_field("date");
  v->set_description("must be YYYY-MM-DD");
  google::rpc::Status details;
  details.set_code(grpc::StatusCode::INVALID_ARGUMENT);
  details.set_message("bad date");
  details.add_details()->PackFrom(bad);
  echo_.Set(Fails(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad date",
                               details.SerializeAsString())));
  auto res = Post(kGetReport, "{}");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  const Struct body = ParseJson(res->body);
  EXPECT_EQ(Str(body, "code"), "INVALID_ARGUMENT");
  const auto& violations = body.fields().at("fieldViolations").list_value().values();
  ASSERT_EQ(violations.size(), 1);
  EXPECT_EQ(Str(violations[0].struct_value(), "field"), "date");
  EXPECT_EQ(Str(violations[0].struct_value(), "description"), "must be YYYY-MM-DD");
  const auto& list = body.fields().at("details").list_value().values();
  ASSERT_EQ(list.size(), 1);
  EXPECT_EQ(Str(list[0].struct_value(), "@type"), "type.googleapis.com/google.rpc.BadRequest");
}

TEST_F(JsonApiStatusTest, TheAnswerComesBackAsJsonWithZerosWrittenOut) {
  StartHttp(absl::Seconds(7));
  report::v1::DailyReport report;
  report.set_report_id("r-42");
  report.set_date("2026-11-28");
  echo_.Set(Answers(report.SerializeAsString()));
  const std::string token = tokens_.For(auth::Role::kLeader, "leader-1");
  auto res = Post(kGetReport, R"({"reportId":"r-42"})");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Cache-Control"), "no-store");
  const Struct body = ParseJson(res->body);
  EXPECT_EQ(Str(body, "reportId"), "r-42");
  EXPECT_EQ(body.fields().at("version").number_value(), 0) << "zeros are written out";
  EXPECT_EQ(Str(body, "status"), "REPORT_STATUS_UNSPECIFIED") << "enums by name";

  // What the service received: the method, the request, the caller's token, a deadline.
  const auto seen = echo_.seen();
  ASSERT_EQ(seen.size(), 1);
  EXPECT_EQ(seen[0].method, "/lianfang.report.v1.ReportService/GetDailyReport");
  report::v1::GetDailyReportRequest request;
  ASSERT_TRUE(request.ParseFromString(seen[0].request));
  EXPECT_EQ(request.report_id(), "r-42");
  EXPECT_EQ(seen[0].authorization, absl::StrCat("Bearer ", token));
  EXPECT_GT(seen[0].deadline_left, absl::ZeroDuration());
  // gRPC carries a deadline as a timeout and the server re-bases it on its own clocks: under
  // load it can come out some milliseconds longer than sent.
  EXPECT_LE(seen[0].deadline_left, absl::Seconds(7) + absl::Milliseconds(100))
      << "the configured deadline (not the default 10 s)";
}

TEST_F(JsonApiStatusTest, ACallBeyondTheDeadlineIs504) {
  StartHttp(absl::Milliseconds(300));
  echo_.Set(Hangs());
  auto res = Post(kGetReport, "{}");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 504);
  EXPECT_EQ(Str(ParseJson(res->body), "code"), "DEADLINE_EXCEEDED");
}

TEST_F(JsonApiStatusTest, ARequestIdIsPassedOnForTheServiceLogs) {
  StartHttp(absl::Seconds(10));
  echo_.Set(Answers(""));
  auto res = Post("/api/v1/lianfang.report.v1.ReportService/SubmitDailyReport",
                  R"({"requestId":"req-77","reportId":"r-1"})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  const auto seen = echo_.seen();
  ASSERT_EQ(seen.size(), 1);
  EXPECT_EQ(seen[0].request_id, "req-77");
}

// LF_MAX_INFLIGHT on the HTTP side: with the bound taken by calls held in the service, the
// next API request is refused at once with 429 and the JSON error of RESOURCE_EXHAUSTED, while
// the pages and /healthz are still served; once the held calls end, requests are admitted
// again.
TEST_F(JsonApiStatusTest, BeyondMaxInflightTheApiAnswers429AtOnceAndThePagesStillAnswer) {
  constexpr int kBound = 2;
  // Long enough to hold the calls through the checks; the last call (the service gone) waits
  // for it before its 503, as forwarded calls wait for a restarting service.
  StartHttp(absl::Seconds(20), kBound);
  echo_.Set(Hangs());
  std::vector<std::thread> held;
  std::vector<int> held_status(kBound, 0);
  // Ends the held calls (the service goes away) and waits for their answers; also on an early
  // return, so no thread outlives the test.
  const auto release = [&] {
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
    for (std::thread& t : held) {
      if (t.joinable()) t.join();
    }
  };
  struct Finally {
    std::function<void()> f;
    ~Finally() { f(); }
  } finally{release};
  for (int i = 0; i < kBound; ++i) {
    held.emplace_back([this, i, &held_status] {
      auto res = Post(kGetReport, R"({"reportId":"r-held"})");
      held_status[i] = res ? res->status : -1;
    });
  }
  // Both calls reached the service and are held there: the bound is taken.
  ASSERT_TRUE(PollUntil([&] { return echo_.seen().size() == kBound; }, absl::Seconds(60)));
  EXPECT_EQ(http_->api_inflight().inflight(), kBound);

  auto refused = Post(kGetReport, R"({"reportId":"r-3"})");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(refused->get_header_value("Retry-After"), "1");
  const Struct body = ParseJson(refused->body);
  EXPECT_EQ(Str(body, "code"), "RESOURCE_EXHAUSTED");
  EXPECT_THAT(Str(body, "message"), HasSubstr("busy"));
  EXPECT_EQ(echo_.seen().size(), kBound) << "the refused call never reached the service";
  // Refused before the token is looked at, like the gRPC side.
  httplib::Client anonymous("127.0.0.1", http_->port());
  auto no_token = anonymous.Post(kGetReport, "{}", "application/json");
  ASSERT_TRUE(no_token);
  EXPECT_EQ(no_token->status, 429);
  EXPECT_EQ(http_->api_inflight().shed(), 2);

  // The probes and the pages do not take a slot.
  httplib::Client client("127.0.0.1", http_->port());
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto page = client.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);

  // End the held calls (the service goes away): their slots come back.
  release();
  for (int status : held_status) EXPECT_NE(status, 429);
  EXPECT_EQ(http_->api_inflight().inflight(), 0);
  auto admitted = Post(kGetReport, R"({"reportId":"r-4"})");
  ASSERT_TRUE(admitted);
  EXPECT_EQ(admitted->status, 503) << "admitted, and the service is gone: " << admitted->body;
}

constexpr char kSignIn[] = "/api/v1/lianfang.accounts.v1.AccountsService/SignIn";

TEST_F(JsonApiStatusTest, SigningInNeedsNoTokenForwardsNoneAndNamesTheClientAddress) {
  StartHttp(absl::Seconds(10));
  echo_.Set(Answers(""));
  httplib::Client client("127.0.0.1", http_->port());
  auto bare = client.Post(kSignIn, R"({"login":"wang.fang","password":"x"})", "application/json");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->status, 200) << bare->body;
  // A header sent anyway is not forwarded: the service sees a call without a token.
  auto with_header = Post(kSignIn, R"({"login":"wang.fang","password":"x"})");
  ASSERT_TRUE(with_header);
  EXPECT_EQ(with_header->status, 200) << with_header->body;
  const std::vector<EchoBackend::Seen> seen = echo_.seen();
  ASSERT_EQ(seen.size(), 2u);
  for (const EchoBackend::Seen& call : seen) {
    EXPECT_EQ(call.method, "/lianfang.accounts.v1.AccountsService/SignIn");
    EXPECT_EQ(call.authorization, "");
    EXPECT_EQ(call.client_address, "127.0.0.1");
  }
  // A method with roles still needs its token.
  auto list = client.Post("/api/v1/lianfang.accounts.v1.AccountsService/ListUsers", "{}",
                          "application/json");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 401);
  EXPECT_EQ(echo_.seen().size(), 2u);
}

TEST_F(JsonApiStatusTest, ASignInFloodIsShedOnItsOwnBoundAndNeverTakesTheOtherCallsSlots) {
  constexpr int kBound = 2;
  // Each bound as small as the other: if sign-ins took the shared slots, the report call
  // below would be refused.
  StartHttp(absl::Seconds(20), /*max_inflight=*/kBound, /*max_anonymous_inflight=*/kBound);
  EchoBackend::Answer answer = Answers("");
  answer.hang = true;
  answer.hang_only = "AccountsService";
  echo_.Set(answer);
  std::vector<std::thread> held;
  const auto release = [&] {
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
    for (std::thread& t : held) {
      if (t.joinable()) t.join();
    }
  };
  struct Finally {
    std::function<void()> f;
    ~Finally() { f(); }
  } finally{release};
  for (int i = 0; i < kBound; ++i) {
    held.emplace_back([this] {
      httplib::Client c("127.0.0.1", http_->port());
      c.set_read_timeout(30, 0);
      (void)c.Post(kSignIn, R"({"login":"a.b.c","password":"x"})", "application/json");
    });
  }
  ASSERT_TRUE(PollUntil([&] { return echo_.seen().size() == kBound; }, absl::Seconds(60)));
  EXPECT_EQ(http_->anonymous_inflight().inflight(), kBound);
  EXPECT_EQ(http_->api_inflight().inflight(), 0);

  httplib::Client client("127.0.0.1", http_->port());
  auto refused = client.Post(kSignIn, R"({"login":"a.b.c","password":"x"})", "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(refused->get_header_value("Retry-After"), "1");
  EXPECT_EQ(http_->anonymous_inflight().shed(), 1);

  // Meanwhile the other calls keep every one of their slots.
  for (int i = 0; i < 3; ++i) {
    auto report = Post(kGetReport, R"({"reportId":"r-1"})");
    ASSERT_TRUE(report);
    EXPECT_EQ(report->status, 200) << report->body;
  }
  EXPECT_EQ(http_->api_inflight().shed(), 0);
}

// ---------------------------------------------------------------------------------------
// Against the real services.
class JsonApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = new testing::RealStack();
    absl::Status started =
        stack_->Start({.report_on_gate = true, .gateway_env = {{"LF_HTTP_MAX_BODY", "4096"}}});
    if (!started.ok()) {
      skip_reason_ = new std::string(started.ToString());
      delete stack_;
      stack_ = nullptr;
    }
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  void SetUp() override {
    if (stack_ == nullptr) {
      if (absl::StrContains(*skip_reason_, "NOT_FOUND")) GTEST_SKIP() << *skip_reason_;
      FAIL() << *skip_reason_;
    }
  }

  static std::string Token(auth::Role role, const std::string& subject,
                           std::vector<std::string> sites = {}) {
    return stack_->tokens().For(role, subject, std::move(sites));
  }

  std::unique_ptr<httplib::Client> Http() {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", stack_->http_port());
    c->set_connection_timeout(5, 0);
    c->set_read_timeout(30, 0);
    return c;
  }

  httplib::Result Call(const std::string& method, const std::string& token,
                       const std::string& body) {
    return Http()->Post(absl::StrCat("/api/v1/", method).c_str(),
                        token.empty() ? httplib::Headers{} : Bearer(token), body,
                        "application/json");
  }

  // Issues a staff pass for the campus through the JSON API; returns its code.
  std::string IssuePass(const std::string& request_id, const std::string& id_number) {
    auto res = Call("lianfang.gate.v1.GateService/IssuePass", Token(auth::Role::kLeader, "l"),
                    absl::StrCat(R"({"requestId":")", request_id,
                                 R"(","siteId":"campus","kind":"PASS_KIND_STAFF",)"
                                 R"("person":{"idNumber":")",
                                 id_number, R"(","name":"王小明"}})"));
    EXPECT_TRUE(res);
    if (!res) return "";
    EXPECT_EQ(res->status, 200) << res->body;
    return Str(ParseJson(res->body), "passCode");
  }

  static testing::RealStack* stack_;
  static std::string* skip_reason_;
};

testing::RealStack* JsonApiTest::stack_ = nullptr;
std::string* JsonApiTest::skip_reason_ = nullptr;

constexpr char kOccupancy[] = "lianfang.gate.v1.GateService/GetOccupancy";

TEST_F(JsonApiTest, AnAllowedCallAnswers200WithTheResponseAsJson) {
  auto res = Call(kOccupancy, Token(auth::Role::kGuard, "guard-1", {"campus"}),
                  R"({"siteId":"campus"})");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const Struct body = ParseJson(res->body);
  EXPECT_EQ(Str(body, "siteId"), "campus");
  EXPECT_TRUE(body.fields().contains("onsite")) << "zeros are written out: " << res->body;
}

TEST_F(JsonApiTest, WithoutATokenTheAnswerIs401) {
  auto res = Call(kOccupancy, "", R"({"siteId":"campus"})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_THAT(res->get_header_value("WWW-Authenticate"), StartsWith("Bearer"));
  EXPECT_EQ(Str(ParseJson(res->body), "code"), "UNAUTHENTICATED");

  auto forged = Call(kOccupancy, "eyJhbGciOiJub25lIn0.e30.", R"({"siteId":"campus"})");
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 401);
}

TEST_F(JsonApiTest, ARoleNotAllowedOnTheMethodIs403) {
  auto res = Call("lianfang.gate.v1.GateService/RecordPassage",
                  Token(auth::Role::kViewer, "viewer-1"), R"({"requestId":"x"})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_EQ(Str(ParseJson(res->body), "code"), "PERMISSION_DENIED");
}

TEST_F(JsonApiTest, ASiteOutsideTheTokenIs403FromTheService) {
  auto res = Call(kOccupancy, Token(auth::Role::kGuard, "guard-1", {"campus"}),
                  R"({"siteId":"family-area"})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403) << res->body;
  EXPECT_EQ(Str(ParseJson(res->body), "code"), "PERMISSION_DENIED");
}

TEST_F(JsonApiTest, MalformedJsonIs400NamingTheProblem) {
  const std::string guard = Token(auth::Role::kGuard, "guard-1", {"campus"});
  auto broken = Call(kOccupancy, guard, R"({"siteId": )");
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->status, 400);
  Struct body = ParseJson(broken->body);
  EXPECT_EQ(Str(body, "code"), "INVALID_ARGUMENT");
  EXPECT_THAT(Str(body, "message"), HasSubstr("lianfang.gate.v1.GetOccupancyRequest"));

  auto unknown = Call(kOccupancy, guard, R"({"siteId":"campus","colour":"red"})");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 400);
  EXPECT_THAT(Str(ParseJson(unknown->body), "message"), HasSubstr("colour"));

  auto wrong_type = Call(kOccupancy, guard, R"({"siteId":["campus"]})");
  ASSERT_TRUE(wrong_type);
  EXPECT_EQ(wrong_type->status, 400);
}

TEST_F(JsonApiTest, BadInputIs400WithTheFieldViolationsOfTheService) {
  auto res = Call("lianfang.gate.v1.GateService/RecordPassage",
                  Token(auth::Role::kGuard, "guard-1", {"campus"}),
                  R"({"requestId":"bad-1","siteId":"campus","gateId":"east",)"
                  R"("direction":"DIRECTION_ENTRY","passCode":"ABCDEFGHJK","temperatureC":50})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400) << res->body;
  const Struct body = ParseJson(res->body);
  EXPECT_EQ(Str(body, "code"), "INVALID_ARGUMENT");
  ASSERT_TRUE(body.fields().contains("fieldViolations")) << res->body;
  std::vector<std::string> fields;
  for (const auto& v : body.fields().at("fieldViolations").list_value().values()) {
    fields.push_back(Str(v.struct_value(), "field"));
  }
  EXPECT_THAT(fields, ::testing::Contains("temperature_c")) << res->body;
  ASSERT_TRUE(body.fields().contains("details"));
  EXPECT_EQ(Str(body.fields().at("details").list_value().values(0).struct_value(), "@type"),
            "type.googleapis.com/google.rpc.BadRequest");
}

TEST_F(JsonApiTest, AnUnknownMethodOrServiceIs404) {
  const std::string leader = Token(auth::Role::kLeader, "l");
  for (const char* method : {"lianfang.gate.v1.GateService/OpenAllGates",
                             "lianfang.nothing.v1.NoService/Get", "grpc.health.v1.Health/Check"}) {
    auto res = Call(method, leader, "{}");
    ASSERT_TRUE(res) << method;
    EXPECT_EQ(res->status, 404) << method;
    EXPECT_EQ(Str(ParseJson(res->body), "code"), "NOT_FOUND") << method;
  }
}

TEST_F(JsonApiTest, AnUnknownIdIs404FromTheService) {
  auto res = Call("lianfang.dispatch.v1.DispatchService/GetTask", Token(auth::Role::kLeader, "l"),
                  R"({"taskId":"no-such-task"})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404) << res->body;
  EXPECT_EQ(Str(ParseJson(res->body), "code"), "NOT_FOUND");
}

TEST_F(JsonApiTest, ARetryIsIdempotentAndARequestIdReusedForOtherDataIs409) {
  const std::string first = IssuePass("pass-409", "11010519491231002X");
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(IssuePass("pass-409", "11010519491231002X"), first) << "a retry gets the same pass";

  auto res = Call("lianfang.gate.v1.GateService/IssuePass", Token(auth::Role::kLeader, "l"),
                  R"({"requestId":"pass-409","siteId":"campus","kind":"PASS_KIND_VISITOR",)"
                  R"("person":{"idNumber":"11010519491231002X"}})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 409) << res->body;
  EXPECT_EQ(Str(ParseJson(res->body), "code"), "ALREADY_EXISTS");
}

TEST_F(JsonApiTest, AWrongStateIs400FailedPrecondition) {
  auto res = Call("lianfang.gate.v1.GateService/EndDuty",
                  Token(auth::Role::kGuard, "guard-never-on-duty", {"campus"}),
                  R"({"requestId":"end-1","siteId":"campus","gateId":"north"})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400) << res->body;
  EXPECT_EQ(Str(ParseJson(res->body), "code"), "FAILED_PRECONDITION");
}

TEST_F(JsonApiTest, AServiceThatIsDownIs503) {
  auto res = Call("lianfang.survey.v1.SurveyService/GetCoverage",
                  Token(auth::Role::kLeader, "l"), R"({"siteId":"campus"})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503) << res->body;
  EXPECT_EQ(Str(ParseJson(res->body), "code"), "UNAVAILABLE");
}

TEST_F(JsonApiTest, AServiceWithoutTheMethodIs501) {
  // LF_REPORT_ADDR points at the gate, which does not serve ReportService.
  auto res = Call("lianfang.report.v1.ReportService/ListDailyReports",
                  Token(auth::Role::kLeader, "l"), "{}");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 501) << res->body;
  EXPECT_EQ(Str(ParseJson(res->body), "code"), "UNIMPLEMENTED");
}

TEST_F(JsonApiTest, AnOverSizeBodyIs413) {
  // LF_HTTP_MAX_BODY=4096 for this gateway.
  const std::string big = absl::StrCat(R"({"siteId":"campus","pad":")", std::string(8192, 'x'),
                                       R"("})");
  auto res = Call(kOccupancy, Token(auth::Role::kLeader, "l"), big);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_THAT(res->get_header_value("Content-Type"), StartsWith("application/json"));
  EXPECT_THAT(Str(ParseJson(res->body), "message"), HasSubstr("4096"));
}

TEST_F(JsonApiTest, UnaryMethodsTakePost) {
  auto res = Http()->Get(absl::StrCat("/api/v1/", kOccupancy, "?site_id=campus").c_str(),
                         Bearer(Token(auth::Role::kLeader, "l")));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->get_header_value("Allow"), "POST");
}

TEST_F(JsonApiTest, TheGatewaysOwnMethodsAreThereToo) {
  auto res = Call("lianfang.gateway.v1.GatewayService/GetDashboard",
                  Token(auth::Role::kLeader, "l"), R"({"siteIds":["campus"]})");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const Struct body = ParseJson(res->body);
  ASSERT_EQ(body.fields().at("sites").list_value().values_size(), 1);
  EXPECT_EQ(Str(body.fields().at("sites").list_value().values(0).struct_value(), "siteId"),
            "campus");
}

TEST_F(JsonApiTest, TheDashboardShowsTheHealthOfEveryBackendServiceIncludingAccountsAndSupplies) {
  // This stack runs gate and dispatch (report answered by gate), not accounts or supplies: the
  // dashboard names all six, the running ones serving, the missing ones not.
  std::map<std::string, std::string> status;
  std::vector<std::string> names;
  // The health checks run every second in the background: the first ones may not be in yet.
  lianfang::testing::PollUntil(
      [&] {
        auto res = Call("lianfang.gateway.v1.GatewayService/GetDashboard",
                        Token(auth::Role::kLeader, "l"), R"({"siteIds":["campus"]})");
        if (!res || res->status != 200) return false;
        status.clear();
        names.clear();
        const Struct body = ParseJson(res->body);
        if (!body.fields().contains("services")) return false;
        for (const auto& v : body.fields().at("services").list_value().values()) {
          names.push_back(Str(v.struct_value(), "name"));
          status[names.back()] = Str(v.struct_value(), "status");
        }
        return status["gate"] == "HEALTH_STATUS_SERVING" &&
               status["dispatch"] == "HEALTH_STATUS_SERVING";
      },
      absl::Seconds(10), absl::Milliseconds(200));
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("gate", "survey", "dispatch", "report",
                                                     "accounts", "supplies"));
  EXPECT_EQ(status["gate"], "HEALTH_STATUS_SERVING");
  EXPECT_EQ(status["dispatch"], "HEALTH_STATUS_SERVING");
  EXPECT_NE(status["accounts"], "HEALTH_STATUS_SERVING");
  EXPECT_NE(status["supplies"], "HEALTH_STATUS_SERVING");
}

TEST_F(JsonApiTest, MeNamesTheCallerAndOnlyTheSitesOfItsToken) {
  auto res = Http()->Get("/api/v1/me", Bearer(Token(auth::Role::kGuard, "guard-9", {"village"})));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const Struct body = ParseJson(res->body);
  EXPECT_EQ(Str(body, "subject"), "guard-9");
  EXPECT_EQ(Str(body, "role"), "guard");
  const auto& sites = body.fields().at("sites").list_value().values();
  ASSERT_EQ(sites.size(), 1);
  EXPECT_EQ(Str(sites[0].struct_value(), "id"), "village");
  EXPECT_EQ(sites[0].struct_value().fields().at("gates").list_value().values_size(), 2);

  auto anonymous = Http()->Get("/api/v1/me");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
}

// Reads an event stream in the background until stopped.
class EventReader final {
 public:
  EventReader(int port, std::string path, httplib::Headers headers)
      : client_("127.0.0.1", port) {
    client_.set_read_timeout(60, 0);
    thread_ = std::thread([this, path = std::move(path), headers = std::move(headers)] {
      auto res = client_.Get(path.c_str(), headers,
                             [this](const httplib::Response& r) {
                               absl::MutexLock lock(&mu_);
                               status_ = r.status;
                               return true;
                             },
                             [this](const char* data, size_t n) {
                               absl::MutexLock lock(&mu_);
                               text_.append(data, n);
                               return !stop_;
                             });
      absl::MutexLock lock(&mu_);
      ended_ = true;
      if (res && status_ == 0) status_ = res->status;
    });
  }
  ~EventReader() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    client_.stop();
    thread_.join();
  }
  std::string text() {
    absl::MutexLock lock(&mu_);
    return text_;
  }
  int status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }
  bool ended() {
    absl::MutexLock lock(&mu_);
    return ended_;
  }

 private:
  httplib::Client client_;
  std::thread thread_;
  absl::Mutex mu_;
  std::string text_ ABSL_GUARDED_BY(mu_);
  int status_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
};

TEST_F(JsonApiTest, WatchPassagesStreamsServerSentEvents) {
  const std::string guard = Token(auth::Role::kGuard, "guard-sse", {"campus"});
  // As a browser's EventSource does it: GET, the request as parameters, the token in the
  // query.
  EventReader reader(stack_->http_port(),
                     absl::StrCat("/api/v1/lianfang.gate.v1.GateService/WatchPassages"
                                  "?site_id=campus&access_token=",
                                  guard),
                     {});
  ASSERT_TRUE(PollUntil([&] { return absl::StrContains(reader.text(), "retry: 3000"); },
                        absl::Seconds(30)))
      << reader.status() << " " << reader.text();
  EXPECT_EQ(reader.status(), 200);

  // The gate may attach the watcher just after answering; record passages until one shows.
  std::string passage_id;
  ASSERT_TRUE(PollUntil(
      [&] {
        static int n = 0;
        auto res = Call("lianfang.gate.v1.GateService/RecordPassage", guard,
                        absl::StrCat(R"({"requestId":"sse-)", ++n,
                                     R"(","siteId":"campus","gateId":"east",)"
                                     R"("direction":"DIRECTION_ENTRY",)"
                                     R"("person":{"idNumber":"320102198001011238"},)"
                                     R"("temperatureC":36.6})"));
        if (!res || res->status != 200) return false;
        const Struct body = ParseJson(res->body);
        passage_id = Str(body.fields().at("passage").struct_value(), "passageId");
        return PollUntil([&] { return absl::StrContains(reader.text(), passage_id); },
                         absl::Seconds(2));
      },
      absl::Seconds(30)))
      << reader.text();
  // One `data:` line per passage, each a Passage in JSON.
  const std::string text = reader.text();
  const size_t at = text.find(absl::StrCat("\"passageId\":\"", passage_id, "\""));
  ASSERT_NE(at, std::string::npos);
  const size_t start = text.rfind("data: ", at);
  const size_t end = text.find("\n\n", at);
  ASSERT_NE(start, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  const Struct passage = ParseJson(text.substr(start + 6, end - start - 6));
  EXPECT_EQ(Str(passage, "siteId"), "campus");
  EXPECT_EQ(Str(passage, "decision"), "DECISION_DENIED");
  EXPECT_EQ(Str(passage, "denyReason"), "DENY_REASON_NO_VALID_PASS");
}

TEST_F(JsonApiTest, AStreamTheServiceRefusesEndsWithAnErrorEvent) {
  const std::string guard = Token(auth::Role::kGuard, "guard-sse", {"campus"});
  // POST with a JSON body works for streams too.
  httplib::Client client("127.0.0.1", stack_->http_port());
  client.set_read_timeout(30, 0);
  auto res = client.Post("/api/v1/lianfang.gate.v1.GateService/WatchPassages", Bearer(guard),
                         R"({"siteId":"family-area"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->get_header_value("Content-Type"), StartsWith("text/event-stream"));
  EXPECT_THAT(res->body, HasSubstr("event: error\ndata: {"));
  EXPECT_THAT(res->body, HasSubstr("\"code\":\"PERMISSION_DENIED\""));
}

TEST_F(JsonApiTest, AStreamWithoutATokenIs401) {
  auto res = Http()->Get("/api/v1/lianfang.dispatch.v1.DispatchService/WatchTasks");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
}

// The module matrix drawn by an SVG of QrSvg: one "M x y h1v1h-1z" square per dark module.
std::vector<bool> ModulesOf(const std::string& svg, int modules) {
  std::vector<bool> dark(static_cast<size_t>(modules) * modules, false);
  static const std::regex square(R"(M(\d+) (\d+)h1v1h-1z)");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), square);
       it != std::sregex_iterator(); ++it) {
    const int x = std::stoi((*it)[1]) - 4;
    const int y = std::stoi((*it)[2]) - 4;
    if (x >= 0 && y >= 0 && x < modules && y < modules) {
      dark[static_cast<size_t>(y) * modules + x] = true;
    }
  }
  return dark;
}

TEST_F(JsonApiTest, APassCodeIsServedAsAQrCodeSvg) {
  const std::string code = IssuePass("pass-qr", "11010519491231002X");
  ASSERT_FALSE(code.empty());
  const std::string path = absl::StrCat("/api/v1/passes/", code, "/qr.svg");

  auto anonymous = Http()->Get(path.c_str());
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  auto volunteer = Http()->Get(path.c_str(), Bearer(Token(auth::Role::kVolunteer, "v")));
  ASSERT_TRUE(volunteer);
  EXPECT_EQ(volunteer->status, 403) << "volunteers do not read passes";

  auto res = Http()->Get(path.c_str(), Bearer(Token(auth::Role::kGuard, "g", {"campus"})));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_THAT(res->get_header_value("Content-Type"), StartsWith("image/svg+xml"));
  const std::string& svg = res->body;
  EXPECT_THAT(svg, HasSubstr("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(svg, ::testing::EndsWith("</svg>\n"));

  // A 10-character code fits a version 1 symbol: 21 modules, plus 4 of quiet zone each side.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(svg, m, std::regex(R"re(data-modules="(\d+)")re")));
  const int modules = std::stoi(m[1]);
  EXPECT_EQ(modules, 21);
  EXPECT_THAT(svg, HasSubstr(absl::StrCat("viewBox=\"0 0 ", modules + 8, " ", modules + 8, "\"")));
  // The drawn modules are exactly those of the code's symbol, finder patterns included.
  ASSERT_OK_AND_ASSIGN(QrMatrix expected, EncodeQr(code));
  ASSERT_EQ(expected.width, modules);
  EXPECT_EQ(ModulesOf(svg, modules), expected.dark);
  const std::vector<bool> drawn = ModulesOf(svg, modules);
  for (int i = 0; i < 7; ++i) {
    EXPECT_TRUE(drawn[i]) << "top row of the top-left finder pattern";
    EXPECT_TRUE(drawn[static_cast<size_t>(i) * modules]) << "left column of the finder";
  }

  auto bad = Http()->Get("/api/v1/passes/%3Cscript%3E/qr.svg",
                         Bearer(Token(auth::Role::kGuard, "g", {"campus"})));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
}

TEST_F(JsonApiTest, AnyShortTextIsDrawnAsAQrCodeFromAPostBodyForLeaders) {
  const std::string link = "http://127.0.0.1:8080/signin#activate=K7Q2M9XH4TPA";
  const std::string body = absl::StrCat(R"({"text":")", link, R"("})");
  auto anonymous = Http()->Post("/api/v1/qr.svg", body, "application/json");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  auto guard = Http()->Post("/api/v1/qr.svg", Bearer(Token(auth::Role::kGuard, "g", {"campus"})),
                            body, "application/json");
  ASSERT_TRUE(guard);
  EXPECT_EQ(guard->status, 403) << "only those who hand out codes draw them";

  auto res = Http()->Post("/api/v1/qr.svg", Bearer(Token(auth::Role::kLeader, "leader-1")), body,
                          "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_THAT(res->get_header_value("Content-Type"), StartsWith("image/svg+xml"));
  EXPECT_EQ(res->get_header_value("Cache-Control"), "no-store");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(res->body, m, std::regex(R"re(data-modules="(\d+)")re")));
  const int modules = std::stoi(m[1]);
  ASSERT_OK_AND_ASSIGN(QrMatrix expected, EncodeQr(link));
  ASSERT_EQ(expected.width, modules);
  EXPECT_EQ(ModulesOf(res->body, modules), expected.dark) << "exactly the link's symbol";

  for (const std::string& bad : {std::string("{}"), std::string(R"({"text":""})"),
                                 absl::StrCat(R"({"text":")", std::string(257, 'A'), R"("})"),
                                 std::string("not json")}) {
    auto refused = Http()->Post("/api/v1/qr.svg", Bearer(Token(auth::Role::kLeader, "leader-1")),
                                bad, "application/json");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400) << bad;
  }
  // The text was in no URL, so the gateway's request log holds no code.
  EXPECT_THAT(stack_->GatewayStderr(), ::testing::Not(HasSubstr("K7Q2M9XH4TPA")));
}

TEST_F(JsonApiTest, ThePagesAreServedFromTheBinary) {
  for (const char* page : {"/guard", "/volunteer", "/pass", "/signin", "/people"}) {
    auto res = Http()->Get(page);
    ASSERT_TRUE(res) << page;
    EXPECT_EQ(res->status, 200) << page;
    EXPECT_THAT(res->get_header_value("Content-Type"), StartsWith("text/html")) << page;
    EXPECT_THAT(res->get_header_value("Content-Security-Policy"), HasSubstr("default-src 'none'"))
        << page;
    EXPECT_THAT(res->body, HasSubstr("<script src=\"/apps.js\" defer></script>")) << page;
    EXPECT_THAT(res->body, ::testing::Not(HasSubstr("http://"))) << "nothing from elsewhere";
    EXPECT_THAT(res->body, ::testing::Not(HasSubstr("https://"))) << "nothing from elsewhere";
  }
  for (const char* script : {"/apps.js", "/guard.js", "/volunteer.js", "/pass.js", "/session.js",
                             "/signin.js", "/people.js"}) {
    auto res = Http()->Get(script);
    ASSERT_TRUE(res) << script;
    EXPECT_EQ(res->status, 200) << script;
    EXPECT_THAT(res->body, ::testing::Not(HasSubstr("localStorage.setItem(TOKEN")))
        << "the token is kept in sessionStorage only";
  }
}

}  // namespace
}  // namespace lianfang::gateway
