#include "common/testing/grpc/suite.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/server/client.h"
#include "common/testing/ports.h"
#include "common/testing/service_binaries.h"
#include "common/testing/test_database.h"

namespace lianfang::testing {
namespace {

constexpr const char* kServices[] = {"gate", "survey", "dispatch", "report", "gateway"};

std::string Tail(const std::string& text) {
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

}  // namespace

Suite::Suite() = default;

Suite::~Suite() {
  // The services first; Redis (a member) goes after them.
  for (auto it = processes_.rbegin(); it != processes_.rend(); ++it) {
    if (it->second != nullptr) (void)it->second->Terminate(absl::Seconds(15));
  }
}

absl::Status Suite::Start(const Options& options) {
  options_ = options;
  absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Launch();
  if (!redis.ok()) return redis.status();
  redis_ = *std::move(redis);
  absl::StatusOr<std::string> pii = dir_.WriteFile("pii.key", "a-test-only-pii-key-of-32-bytes!!");
  if (!pii.ok()) return pii.status();
  pii_key_file_ = *pii;
  for (const char* name : kServices) {
    absl::StatusOr<int> port = PickFreePort();
    if (!port.ok()) return port.status();
    ports_[name] = *port;
  }
  absl::StatusOr<int> http = PickFreePort();
  if (!http.ok()) return http.status();
  http_port_ = *http;
  for (const std::string& service : options_.services) {
    if (absl::Status s = Launch(service); !s.ok()) return s;
  }
  for (const std::string& service : options_.services) {
    absl::Status s = server::WaitForServing(address(service), absl::Seconds(60));
    if (!s.ok()) {
      return absl::Status(
          s.code(), absl::StrCat("lf-", service, ": ", s.message(), "\n", Tail(Stderr(service))));
    }
  }
  return absl::OkStatus();
}

absl::Status Suite::Launch(const std::string& service) {
  absl::StatusOr<std::string> binary = BinaryPath(absl::StrCat("lf-", service));
  if (!binary.ok()) return binary.status();
  Subprocess::Options options;
  options.args = {*binary};
  options.env = Environment(service);
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(std::move(options));
  if (!process.ok()) return process.status();
  processes_[service] = *std::move(process);
  return absl::OkStatus();
}

std::vector<std::pair<std::string, std::string>> Suite::Environment(
    const std::string& service) const {
  std::vector<std::pair<std::string, std::string>> env = {
      {"LF_LISTEN", address(service)},
      {"LF_DB", TestDatabaseUrl(dir_, absl::StrCat(service, ".db"))},
      {"LF_REDIS", redis_url()},
      {"LF_SITES", SourcePath("deploy/sites.textproto")},
      {"LF_JWT_SECRET_FILE", tokens_.secret_file()},
      {"LF_PII_KEY_FILE", pii_key_file_},
      {"LF_TZ", "Asia/Shanghai"},
  };
  for (const auto& [name, value] : ClientEnvironment()) {
    if (name != "LF_JWT_SECRET_FILE") env.emplace_back(name, value);
  }
  if (service == "gateway") {
    env.emplace_back("LF_HTTP_LISTEN", absl::StrCat("127.0.0.1:", http_port_));
  }
  if (service == "survey") {
    env.emplace_back("LF_RISK_REGIONS", SourcePath("deploy/risk-regions.txt"));
  }
  for (const auto& setting : options_.env) env.push_back(setting);
  return env;
}

std::string Suite::address(absl::string_view service) const {
  auto it = ports_.find(std::string(service));
  return absl::StrCat("127.0.0.1:", it == ports_.end() ? 0 : it->second);
}

std::string Suite::redis_url() const { return redis_ == nullptr ? "" : redis_->url(); }

std::vector<std::pair<std::string, std::string>> Suite::ClientEnvironment() const {
  std::vector<std::pair<std::string, std::string>> env;
  for (const char* name : kServices) {
    env.emplace_back(absl::StrCat("LF_", absl::AsciiStrToUpper(name), "_ADDR"), address(name));
  }
  env.emplace_back("LF_JWT_SECRET_FILE", tokens_.secret_file());
  return env;
}

std::string Suite::Stderr(absl::string_view service) const {
  auto it = processes_.find(std::string(service));
  return it == processes_.end() || it->second == nullptr ? "" : it->second->ReadStderr();
}

absl::Status Suite::Stop(absl::string_view service) {
  auto it = processes_.find(std::string(service));
  if (it == processes_.end() || it->second == nullptr) return absl::OkStatus();
  absl::StatusOr<ExitStatus> exit = it->second->Terminate(absl::Seconds(15));
  it->second.reset();
  return exit.status();
}

absl::Status Suite::Restart(absl::string_view service) {
  if (absl::Status s = Stop(service); !s.ok()) return s;
  if (absl::Status s = Launch(std::string(service)); !s.ok()) return s;
  return server::WaitForServing(address(service), absl::Seconds(60));
}

}  // namespace lianfang::testing
