#include "tests/services/gateway/real_stack.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "common/server/client.h"
#include "common/testing/ports.h"
#include "common/testing/service_binaries.h"
#include "common/testing/test_database.h"

namespace lianfang::gateway::testing {
namespace {

constexpr char kPiiKey[] = "a-test-only-pii-key-of-32-bytes!!";

std::string Address(int port) { return absl::StrCat("127.0.0.1:", port); }

}  // namespace

RealStack::RealStack() = default;

RealStack::~RealStack() {
  for (auto* p : {&gateway_, &survey_, &dispatch_, &gate_}) {
    if (*p != nullptr) (void)(*p)->Terminate(absl::Seconds(15));
  }
}

std::string RealStack::redis_url() const { return redis_->url(); }

std::shared_ptr<grpc::Channel> RealStack::GateChannel() const {
  return server::MakeChannel(Address(gate_port_), nullptr);
}

std::shared_ptr<grpc::Channel> RealStack::DispatchChannel() const {
  return server::MakeChannel(Address(dispatch_port_), nullptr);
}

std::string RealStack::GatewayStderr() const {
  return gateway_ == nullptr ? "" : gateway_->ReadStderr();
}

std::vector<std::pair<std::string, std::string>> RealStack::Environment(
    const std::string& service, int port) const {
  return {{"LF_LISTEN", Address(port)},
          {"LF_DB", lianfang::testing::TestDatabaseUrl(dir_, service + ".db")},
          {"LF_REDIS", redis_->url()},
          {"LF_SITES", lianfang::testing::SourcePath("deploy/sites.textproto")},
          {"LF_JWT_SECRET_FILE", tokens_.secret_file()},
          {"LF_PII_KEY_FILE", pii_key_file_},
          {"LF_TZ", "Asia/Shanghai"},
          {"LF_GATE_ADDR", Address(gate_port_)},
          {"LF_SURVEY_ADDR", Address(options_.survey ? survey_port_ : nobody_port_)},
          {"LF_DISPATCH_ADDR", Address(dispatch_port_)},
          {"LF_REPORT_ADDR", Address(options_.report_on_gate ? gate_port_ : nobody_port_)},
          {"LF_LOG_LEVEL", "warning"}};
}

absl::StatusOr<std::unique_ptr<lianfang::testing::Subprocess>> RealStack::Run(
    const std::string& binary, const std::string& service, int port,
    const std::vector<std::pair<std::string, std::string>>& extra) const {
  absl::StatusOr<std::string> path = lianfang::testing::BinaryPath(binary);
  if (!path.ok()) return path.status();
  lianfang::testing::Subprocess::Options options;
  options.args = {*path};
  options.env = Environment(service, port);
  for (const auto& e : extra) options.env.push_back(e);
  absl::StatusOr<std::unique_ptr<lianfang::testing::Subprocess>> process =
      lianfang::testing::Subprocess::Start(std::move(options));
  if (!process.ok()) return process.status();
  if (absl::Status s = server::WaitForServing(Address(port), absl::Seconds(60)); !s.ok()) {
    return absl::UnavailableError(absl::StrCat(binary, " does not serve: ", s.message(), "\n",
                                               (*process)->ReadStderr()));
  }
  return process;
}

absl::Status RealStack::Start(const Options& options) {
  options_ = options;
  for (const char* binary : {"lf-gate", "lf-dispatch", "lf-gateway"}) {
    if (absl::Status s = lianfang::testing::BinaryPath(binary).status(); !s.ok()) return s;
  }
  if (options.survey) {
    if (absl::Status s = lianfang::testing::BinaryPath("lf-survey").status(); !s.ok()) return s;
  }
  absl::StatusOr<std::unique_ptr<lianfang::testing::RedisServer>> redis =
      lianfang::testing::RedisServer::Launch();
  if (!redis.ok()) return redis.status();
  redis_ = *std::move(redis);
  absl::StatusOr<std::string> key = dir_.WriteFile("pii.key", kPiiKey);
  if (!key.ok()) return key.status();
  pii_key_file_ = *key;
  for (int* port : {&gateway_port_, &http_port_, &gate_port_, &dispatch_port_, &survey_port_,
                    &nobody_port_}) {
    absl::StatusOr<int> picked = lianfang::testing::PickFreePort();
    if (!picked.ok()) return picked.status();
    *port = *picked;
  }

  absl::StatusOr<std::unique_ptr<lianfang::testing::Subprocess>> p =
      Run("lf-gate", "gate", gate_port_, {});
  if (!p.ok()) return p.status();
  gate_ = *std::move(p);
  p = Run("lf-dispatch", "dispatch", dispatch_port_, {});
  if (!p.ok()) return p.status();
  dispatch_ = *std::move(p);
  if (options.survey) {
    p = Run("lf-survey", "survey", survey_port_, {});
    if (!p.ok()) return p.status();
    survey_ = *std::move(p);
  }
  std::vector<std::pair<std::string, std::string>> extra = options.gateway_env;
  extra.emplace_back("LF_HTTP_LISTEN", Address(http_port_));
  p = Run("lf-gateway", "gateway", gateway_port_, extra);
  if (!p.ok()) return p.status();
  gateway_ = *std::move(p);
  return lianfang::testing::WaitForPort(http_port_, absl::Seconds(30));
}

absl::Status RealStack::StopGate() {
  if (gate_ == nullptr) return absl::FailedPreconditionError("the gate is not running");
  absl::Status s = gate_->Terminate(absl::Seconds(15)).status();
  gate_.reset();
  return s;
}

absl::Status RealStack::RestartGate() {
  absl::StatusOr<std::unique_ptr<lianfang::testing::Subprocess>> p =
      Run("lf-gate", "gate", gate_port_, {});
  if (!p.ok()) return p.status();
  gate_ = *std::move(p);
  return absl::OkStatus();
}

}  // namespace lianfang::gateway::testing
