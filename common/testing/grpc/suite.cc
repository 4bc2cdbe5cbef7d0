#include "common/testing/grpc/suite.h"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/server/pem.h"
#include "common/status/status_macros.h"
#include "common/testing/poll.h"
#include "common/testing/ports.h"
#include "common/testing/service_binaries.h"
#include "common/testing/test_database.h"

namespace lianfang::testing {
namespace {

// How much of a service's log a failure message carries.
constexpr size_t kLogTail = 4000;
// Whole-suite starts made when a picked port is taken by another process before it is bound.
constexpr int kStartAttempts = 4;

std::string Tail(const std::string& text) {
  return text.size() > kLogTail ? text.substr(text.size() - kLogTail) : text;
}

// Runs `args` to completion (bounded); INTERNAL with its output when it fails.
absl::Status Run(std::vector<std::string> args, const std::string& working_dir) {
  Subprocess::Options options;
  options.args = std::move(args);
  options.working_dir = working_dir;
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(std::move(options));
  if (!process.ok()) return process.status();
  absl::StatusOr<ExitStatus> exit = (*process)->Wait(absl::Seconds(60));
  if (!exit.ok()) return exit.status();
  if (!exit->Success()) {
    return absl::InternalError(
        absl::StrCat("openssl failed (", exit->ToString(), "): ", (*process)->ReadStderr()));
  }
  return absl::OkStatus();
}

absl::Status MakeCa(const TempDir& dir, const std::string& name) {
  return Run({"openssl",
              "req",
              "-x509",
              "-newkey",
              "ec",
              "-pkeyopt",
              "ec_paramgen_curve:prime256v1",
              "-nodes",
              "-keyout",
              dir.File(name + ".key"),
              "-out",
              dir.File(name + ".pem"),
              "-days",
              "2",
              "-subj",
              absl::StrCat("/CN=Lianfang test ", name),
              "-addext",
              "basicConstraints=critical,CA:TRUE",
              "-addext",
              "keyUsage=critical,keyCertSign,cRLSign"},
             dir.path());
}

// True when process `pid` holds the listening TCP socket of `port` (Linux: its socket inodes
// in /proc/PID/fd against the LISTEN rows of /proc/PID/net/tcp{,6}). A health answer on a port
// only counts once this holds: a port picked free may be taken by another test's server before
// the service binds it, and that server may answer the health check too. True when /proc
// cannot be read (nothing to tell then).
bool ListensOn(pid_t pid, int port) {
  namespace fs = std::filesystem;
  std::set<std::string> inodes;
  std::error_code ec;
  for (fs::directory_iterator it(absl::StrCat("/proc/", pid, "/fd"), ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code link_error;
    const std::string target = fs::read_symlink(it->path(), link_error).string();
    if (!link_error && absl::StartsWith(target, "socket:[") && absl::EndsWith(target, "]")) {
      inodes.insert(target.substr(8, target.size() - 9));
    }
  }
  if (ec) return true;
  const std::string port_suffix = absl::StrFormat(":%04X", port);
  for (const char* table : {"tcp", "tcp6"}) {
    std::ifstream in(absl::StrCat("/proc/", pid, "/net/", table));
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
      const std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (f.size() > 9 && f[3] == "0A" && absl::EndsWith(f[1], port_suffix) &&
          inodes.contains(f[9])) {
        return true;
      }
    }
  }
  return false;
}

// True when a service's log says it could not bind its address (gRPC or the gateway's HTTP).
bool PortTaken(const std::string& log) {
  return absl::StrContains(log, "cannot listen on") || absl::StrContains(log, "address in use") ||
         absl::StrContains(log, "Address already in use");
}

// The service a name stands for: "gate" for "gate" and for its replicas "gate#2", "gate#3"...;
// the name itself otherwise (not a service: ApiService() is then empty).
std::string ServiceOf(absl::string_view name) {
  const size_t hash = name.find('#');
  if (hash == absl::string_view::npos) return std::string(name);
  int n = 0;
  if (!absl::SimpleAtoi(name.substr(hash + 1), &n) || n < 2) return std::string(name);
  return std::string(name.substr(0, hash));
}

// Sets `name` in `env`, replacing an earlier value.
void Set(Suite::Env* env, const std::string& name, const std::string& value) {
  for (auto& [n, v] : *env) {
    if (n == name) {
      v = value;
      return;
    }
  }
  env->emplace_back(name, value);
}

}  // namespace

absl::StatusOr<TestPki> MakeTestPki(const TempDir& dir) {
  if (absl::Status s = MakeCa(dir, "ca"); !s.ok()) return s;
  if (absl::Status s = MakeCa(dir, "other-ca"); !s.ok()) return s;
  absl::StatusOr<std::string> ext =
      dir.WriteFile("leaf.ext",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                    "basicConstraints=critical,CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth,clientAuth\n");
  if (!ext.ok()) return ext.status();
  if (absl::Status s = Run(
          {"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-keyout", dir.File("leaf.key"), "-out", dir.File("leaf.csr"), "-subj", "/CN=localhost"},
          dir.path());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Run({"openssl", "x509", "-req", "-in", dir.File("leaf.csr"), "-CA",
                            dir.File("ca.pem"), "-CAkey", dir.File("ca.key"), "-CAcreateserial",
                            "-out", dir.File("leaf.pem"), "-days", "2", "-extfile", *ext},
                           dir.path());
      !s.ok()) {
    return s;
  }
  TestPki pki;
  pki.ca_file = dir.File("ca.pem");
  pki.cert_file = dir.File("leaf.pem");
  pki.key_file = dir.File("leaf.key");
  ASSIGN_OR_RETURN(pki.ca_pem, server::ReadPemFile(pki.ca_file, "CA"));
  ASSIGN_OR_RETURN(pki.cert_pem, server::ReadPemFile(pki.cert_file, "certificate"));
  ASSIGN_OR_RETURN(pki.key_pem, server::ReadPemFile(pki.key_file, "private key"));
  ASSIGN_OR_RETURN(pki.other_ca_pem, server::ReadPemFile(dir.File("other-ca.pem"), "CA"));
  return pki;
}

const std::vector<std::string>& Suite::AllServices() {
  static const auto* const kServices = new std::vector<std::string>{
      "gate", "survey", "dispatch", "report", "gateway", "accounts", "supplies"};
  return *kServices;
}

std::string Suite::Replica(absl::string_view service, int n) {
  return n <= 1 ? std::string(service) : absl::StrCat(service, "#", n);
}

std::string Suite::ApiService(absl::string_view service) {
  if (service == "gate") return "lianfang.gate.v1.GateService";
  if (service == "survey") return "lianfang.survey.v1.SurveyService";
  if (service == "dispatch") return "lianfang.dispatch.v1.DispatchService";
  if (service == "report") return "lianfang.report.v1.ReportService";
  if (service == "gateway") return "lianfang.gateway.v1.GatewayService";
  if (service == "accounts") return "lianfang.accounts.v1.AccountsService";
  if (service == "supplies") return "lianfang.supplies.v1.SuppliesService";
  return "";
}

Suite::Suite() = default;

Suite::~Suite() {
  // The services in the reverse order of their start; Redis (a member) goes after them.
  for (auto it = start_order_.rbegin(); it != start_order_.rend(); ++it) {
    std::unique_ptr<Subprocess>& process = processes_[*it];
    if (process != nullptr && process->Running()) (void)process->Terminate(absl::Seconds(15));
  }
}

absl::Status Suite::Start(const Options& options) {
  options_ = options;
  for (const std::string& service : options_.services) {
    if (ApiService(service).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown service \"", service, "\""));
    }
  }
  for (const auto& [service, by] : options_.served_by) {
    if (ApiService(service).empty() || ApiService(by).empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("served_by names an unknown service: ", service, " -> ", by));
    }
  }
  // A missing binary is told before anything runs, so a test can skip cleanly.
  for (const std::string& service : options_.services) {
    if (absl::Status s = BinaryPath(absl::StrCat("lf-", service)).status(); !s.ok()) return s;
  }
  absl::StatusOr<std::string> pii = dir_.WriteFile("pii.key", options_.pii_key);
  if (!pii.ok()) return pii.status();
  pii_key_file_ = *pii;
  if (options_.sites_textproto.empty()) {
    sites_file_ = SourcePath("deploy/sites.textproto");
  } else {
    absl::StatusOr<std::string> sites = dir_.WriteFile("sites.textproto", options_.sites_textproto);
    if (!sites.ok()) return sites.status();
    sites_file_ = *sites;
  }
  if (options_.tls) {
    absl::StatusOr<TestPki> pki = MakeTestPki(dir_);
    if (!pki.ok()) return pki.status();
    pki_ = *std::move(pki);
    server::ClientTls tls;
    tls.root_certs_pem = pki_->ca_pem;
    tls.cert_chain_pem = pki_->cert_pem;
    tls.private_key_pem = pki_->key_pem;
    client_tls_ = std::move(tls);
  }
  absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Launch();
  if (!redis.ok()) return redis.status();
  redis_ = *std::move(redis);

  absl::Status status;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    bool port_taken = false;
    status = StartServices(&port_taken);
    if (status.ok() || !port_taken) return status;
    // Every service has the others' addresses: all of them start again on new ports.
    for (auto& [name, process] : processes_) {
      if (process != nullptr && process->Running()) (void)process->Terminate(absl::Seconds(15));
    }
  }
  return status;
}

absl::Status Suite::StartServices(bool* port_taken) {
  *port_taken = false;
  for (const std::string& name : AllServices()) {
    absl::StatusOr<int> port = PickFreePort();
    if (!port.ok()) return port.status();
    ports_[name] = *port;
  }
  absl::StatusOr<int> http = PickFreePort();
  if (!http.ok()) return http.status();
  http_port_ = *http;
  if (options_.metrics) {
    for (const std::string& name : AllServices()) {
      absl::StatusOr<int> port = PickFreePort();
      if (!port.ok()) return port.status();
      metrics_ports_[name] = *port;
    }
  }
  // One after the other, each serving before the next starts: a client channel whose first
  // connection is refused backs off for a second or more, and the gateway's calls in that
  // window would fail, so the services a later one calls must already listen.
  for (const std::string& service : options_.services) {
    if (absl::Status s = Launch(service); !s.ok()) return s;
    if (absl::Status s = AwaitServing(service, options_.start_timeout); !s.ok()) {
      *port_taken = PortTaken(Stderr(service));
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status Suite::Launch(const std::string& service) {
  absl::StatusOr<std::string> binary = BinaryPath(absl::StrCat("lf-", ServiceOf(service)));
  if (!binary.ok()) return binary.status();
  Subprocess::Options options;
  options.args = {*binary};
  options.env = Environment(service);
  // Each start gets its own log files, kept in the suite's directory.
  ++starts_;
  options.stderr_path = dir_.File(absl::StrCat(service, "-", starts_, ".log"));
  options.stdout_path = dir_.File(absl::StrCat(service, "-", starts_, ".out"));
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(std::move(options));
  if (!process.ok()) return process.status();
  if (!processes_.contains(service)) start_order_.push_back(service);
  processes_[service] = *std::move(process);
  return absl::OkStatus();
}

absl::Status Suite::AwaitServing(const std::string& service, absl::Duration timeout) {
  Subprocess& process = *processes_.at(service);
  const std::string own_address = absl::StrCat("127.0.0.1:", port(service));
  auto listening = [&] {
    return ListensOn(process.pid(), port(service)) &&
           (ServiceOf(service) != "gateway" || ListensOn(process.pid(), http_port_)) &&
           (!options_.metrics || ListensOn(process.pid(), metrics_port(service)));
  };
  // Polls health in short rounds so that a process that exits (a bad setting, a port taken)
  // is reported at once rather than after the whole timeout.
  const absl::Time deadline = absl::Now() + timeout;
  absl::Status serving = absl::DeadlineExceededError("not polled");
  while (true) {
    const absl::Duration round = std::min(absl::Seconds(2), deadline - absl::Now());
    if (round <= absl::ZeroDuration()) break;
    serving =
        server::WaitForServing(own_address, round, client_tls(), ApiService(ServiceOf(service)));
    if (serving.ok()) {
      if (PollUntil([&] { return listening() || !process.Running(); }, round) && listening()) {
        return absl::OkStatus();
      }
      serving = absl::UnavailableError("another process answers on its port");
    }
    if (!process.Running()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "lf-", service, " exited while starting; its log:\n", Tail(Stderr(service))));
    }
  }
  return absl::DeadlineExceededError(absl::StrCat("lf-", service,
                                                  " did not report SERVING: ", serving.message(),
                                                  "\nits log:\n", Tail(Stderr(service))));
}

absl::Status Suite::StartService(absl::string_view service, std::optional<absl::Duration> timeout) {
  const std::string name(service);
  if (ApiService(ServiceOf(name)).empty()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown service \"", name, "\""));
  }
  if (ports_.empty()) return absl::FailedPreconditionError("the suite is not started");
  if (Running(name))
    return absl::FailedPreconditionError(absl::StrCat("lf-", name, " already runs"));
  // A replica started for the first time gets new ports again when another process took the
  // picked one meanwhile; afterwards it keeps its port, as a restarted service does.
  const bool first_start = !ports_.contains(name);
  absl::Status status;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    if (absl::Status s = AssignReplicaPorts(name); !s.ok()) return s;
    if (absl::Status s = Launch(name); !s.ok()) return s;
    status = AwaitServing(name, timeout.value_or(options_.start_timeout));
    if (status.ok() || !first_start || !PortTaken(Stderr(name))) return status;
    ports_.erase(name);
    metrics_ports_.erase(name);
  }
  return status;
}

absl::Status Suite::Stop(absl::string_view service, absl::Duration grace) {
  if (!Running(service)) {
    return absl::FailedPreconditionError(absl::StrCat("lf-", service, " is not running"));
  }
  return processes_.at(std::string(service))->Terminate(grace).status();
}

absl::Status Suite::Kill(absl::string_view service) {
  if (!Running(service)) {
    return absl::FailedPreconditionError(absl::StrCat("lf-", service, " is not running"));
  }
  Subprocess& process = *processes_.at(std::string(service));
  if (absl::Status s = process.Kill(SIGKILL); !s.ok()) return s;
  return process.Wait(absl::Seconds(30)).status();
}

absl::Status Suite::Restart(absl::string_view service) {
  if (Running(service)) {
    if (absl::Status s = Stop(service); !s.ok()) return s;
  }
  return StartService(service);
}

bool Suite::Running(absl::string_view service) {
  auto it = processes_.find(std::string(service));
  return it != processes_.end() && it->second != nullptr && it->second->Running();
}

std::optional<ExitStatus> Suite::Exit(absl::string_view service) {
  auto it = processes_.find(std::string(service));
  if (it == processes_.end() || it->second == nullptr) return std::nullopt;
  return it->second->Exit();
}

absl::Status Suite::AssignReplicaPorts(const std::string& name) {
  if (ports_.contains(name)) return absl::OkStatus();
  absl::StatusOr<int> port = PickFreePort();
  if (!port.ok()) return port.status();
  ports_[name] = *port;
  if (options_.metrics) {
    absl::StatusOr<int> metrics = PickFreePort();
    if (!metrics.ok()) return metrics.status();
    metrics_ports_[name] = *metrics;
  }
  return absl::OkStatus();
}

int Suite::port(const std::string& service) const {
  auto it = ports_.find(service);
  return it == ports_.end() ? 0 : it->second;
}

std::string Suite::address(absl::string_view service) const {
  std::string name(service);
  if (auto by = options_.served_by.find(name); by != options_.served_by.end()) name = by->second;
  return absl::StrCat("127.0.0.1:", port(name));
}

std::shared_ptr<grpc::Channel> Suite::Channel(absl::string_view service) const {
  return server::MakeChannel(address(service), client_tls());
}

std::string Suite::db_path(absl::string_view service) const {
  return dir_.File(absl::StrCat(ServiceOf(service), ".db"));
}

int Suite::metrics_port(absl::string_view service) const {
  auto it = metrics_ports_.find(std::string(service));
  return it == metrics_ports_.end() ? 0 : it->second;
}

std::string Suite::database_url(absl::string_view service) const {
  if (options_.database == Database::kSqlite) return absl::StrCat("sqlite:", db_path(service));
  return TestDatabaseUrl(dir_, absl::StrCat(ServiceOf(service), ".db"));
}

std::string Suite::redis_url() const { return redis_ == nullptr ? "" : redis_->url(); }

Suite::Env Suite::ClientEnvironment() const {
  Env env;
  for (const std::string& name : AllServices()) {
    env.emplace_back(absl::StrCat("LF_", absl::AsciiStrToUpper(name), "_ADDR"), address(name));
  }
  env.emplace_back("LF_JWT_SECRET_FILE", tokens_.secret_file());
  return env;
}

Suite::Env Suite::Environment(absl::string_view service) const {
  const std::string replica(service);
  const std::string name = ServiceOf(replica);  // whose settings it gets
  Env env = {
      {"LF_LISTEN", absl::StrCat("127.0.0.1:", port(replica))},
      {"LF_DB", database_url(name)},
      {"LF_REDIS", redis_url()},
      {"LF_SITES", sites_file_},
      {"LF_JWT_SECRET_FILE", tokens_.secret_file()},
      {"LF_PII_KEY_FILE", pii_key_file_},
      {"LF_TZ", options_.time_zone},
  };
  for (const auto& [setting, value] : ClientEnvironment()) Set(&env, setting, value);
  if (name == "gateway") Set(&env, "LF_HTTP_LISTEN", absl::StrCat("127.0.0.1:", http_port_));
  if (options_.metrics) {
    Set(&env, "LF_METRICS_LISTEN", absl::StrCat("127.0.0.1:", metrics_port(replica)));
  }
  if (name == "survey") Set(&env, "LF_RISK_REGIONS", SourcePath("deploy/risk-regions.txt"));
  // Only the accounts service gets the Ed25519 pair: the others keep accepting the HS256 test
  // tokens of every role (tokens().For); accounts accepts EdDSA ones (tokens().EdDsaFor).
  if (name == "accounts") {
    Set(&env, "LF_JWT_SIGNING_KEY_FILE", tokens_.signing_key_file());
    Set(&env, "LF_JWT_PUBLIC_KEY_FILE", tokens_.public_key_file());
    // The cheapest hashing: tests exercise the rules, not the cost.
    Set(&env, "LF_PWHASH_OPS", "1");
    Set(&env, "LF_PWHASH_MEM_MIB", "8");
  }
  if (pki_.has_value()) {
    Set(&env, "LF_TLS_CERT", pki_->cert_file);
    Set(&env, "LF_TLS_KEY", pki_->key_file);
    Set(&env, "LF_TLS_CA", pki_->ca_file);
  }
  for (const auto& [setting, value] : options_.env) Set(&env, setting, value);
  if (auto it = options_.service_env.find(name); it != options_.service_env.end()) {
    for (const auto& [setting, value] : it->second) Set(&env, setting, value);
  }
  return env;
}

std::string Suite::Stderr(absl::string_view service) const {
  auto it = processes_.find(std::string(service));
  return it == processes_.end() || it->second == nullptr ? "" : it->second->ReadStderr();
}

std::string Suite::Stdout(absl::string_view service) const {
  auto it = processes_.find(std::string(service));
  return it == processes_.end() || it->second == nullptr ? "" : it->second->ReadStdout();
}

}  // namespace lianfang::testing
