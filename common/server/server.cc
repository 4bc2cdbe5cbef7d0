#include "common/server/server.h"

#include <grpc/grpc.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <grpcpp/impl/server_initializer.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logging/logging.h"
#include "common/server/pem.h"
#include "google/protobuf/descriptor.h"
#include "lianfang/proto_registry.h"

namespace lianfang::server {
namespace {

// What the builder plugin learns and does while the server is being built.
struct BuildState {
  std::vector<std::string> served;  // ServerOptions::served_services
  const AuthorizingFallbackService* fallback = nullptr;
  ServiceCatalog* catalog = nullptr;               // filled before the server starts
  std::vector<std::string> placeholders;           // served services given a placeholder
  bool init_ran = false;                           // typed services were registered
  std::vector<std::string> missing_fallback;       // served services nobody can answer
  std::vector<std::string> registration_failures;  // placeholders the server refused
  std::vector<std::string> final_services;         // everything registered, at Finish
};

// Runs inside ServerBuilder::BuildAndStart after the typed services are registered and before
// the server starts: the only point where the registered service names are known and more
// services can still be added. Reflection reads the list later, at Finish.
class UnservedServicesPlugin final : public grpc::ServerBuilderPlugin {
 public:
  explicit UnservedServicesPlugin(BuildState* state) : state_(state) {}

  std::string name() override { return "lianfang_unserved_services"; }

  void InitServer(grpc::ServerInitializer* si) override {
    state_->init_ran = true;
    const std::vector<std::string> registered = *si->GetServiceList();
    for (const std::string& name : state_->served) {
      if (std::find(registered.begin(), registered.end(), name) != registered.end()) continue;
      const google::protobuf::ServiceDescriptor* descriptor =
          google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
      if (descriptor == nullptr) continue;  // rejected before building
      if (state_->fallback == nullptr) {
        state_->missing_fallback.push_back(name);
        continue;
      }
      if (!si->RegisterService(MakeUnservedService(descriptor, state_->fallback))) {
        state_->registration_failures.push_back(name);
      } else {
        state_->placeholders.push_back(name);
      }
    }
    // Before the first call can arrive; completed with health once the server runs.
    state_->catalog->Set(*si->GetServiceList(), state_->placeholders);
  }

  void Finish(grpc::ServerInitializer* si) override {
    state_->final_services = *si->GetServiceList();
  }

  void ChangeArguments(const std::string& /*name*/, void* /*value*/) override {}

 private:
  BuildState* state_;
};

class UnservedServicesOption final : public grpc::ServerBuilderOption {
 public:
  explicit UnservedServicesOption(BuildState* state) : state_(state) {}
  void UpdateArguments(grpc::ChannelArguments* /*args*/) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->push_back(std::make_unique<UnservedServicesPlugin>(state_));
  }

 private:
  BuildState* state_;
};

// Splits "host:port" / "[v6]:port"; unix sockets have no port. INVALID_ARGUMENT otherwise.
absl::Status ParseListenAddress(absl::string_view listen, std::string* host, int* port,
                                bool* is_unix) {
  *is_unix = false;
  if (absl::StartsWith(listen, "unix:") || absl::StartsWith(listen, "unix-abstract:")) {
    if (listen.size() <= listen.find(':') + 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid listen address \"", listen, "\": the socket path is empty"));
    }
    *is_unix = true;
    *port = 0;
    return absl::OkStatus();
  }
  const size_t colon = listen.rfind(':');
  const absl::string_view port_text =
      colon == absl::string_view::npos ? absl::string_view() : listen.substr(colon + 1);
  const absl::string_view host_text =
      colon == absl::string_view::npos ? listen : listen.substr(0, colon);
  int value = -1;
  const bool port_ok = !port_text.empty() && port_text.size() <= 5 &&
                       std::all_of(port_text.begin(), port_text.end(), absl::ascii_isdigit) &&
                       absl::SimpleAtoi(port_text, &value) && value <= 65535;
  bool host_ok = !host_text.empty() && host_text.find_first_of(" \t/") == absl::string_view::npos;
  if (host_ok && host_text.front() == '[')
    host_ok = host_text.back() == ']' && host_text.size() > 2;
  if (host_ok && host_text.front() != '[') host_ok = host_text.find(':') == absl::string_view::npos;
  if (!port_ok || !host_ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid listen address \"", listen,
        "\": expected HOST:PORT (e.g. 127.0.0.1:7101, 0.0.0.0:7101, [::1]:7101) or unix:PATH"));
  }
  *host = std::string(host_text);
  *port = value;
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeCredentials(
    const std::optional<TlsFiles>& tls) {
  if (!tls.has_value()) return grpc::InsecureServerCredentials();
  absl::StatusOr<std::string> cert = ReadPemFile(tls->cert_file, "certificate");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPemFile(tls->key_file, "private key");
  if (!key.ok()) return key.status();
  std::string ca;
  if (!tls->ca_file.empty()) {
    absl::StatusOr<std::string> ca_pem = ReadPemFile(tls->ca_file, "CA");
    if (!ca_pem.ok()) return ca_pem.status();
    ca = *std::move(ca_pem);
  }
  grpc::SslServerCredentialsOptions ssl(
      ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                 : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = ca;
  ssl.pem_key_cert_pairs.push_back({*std::move(key), *std::move(cert)});
  return grpc::SslServerCredentials(ssl);
}

int Millis(absl::Duration d) {
  const int64_t ms = absl::ToInt64Milliseconds(d);
  return static_cast<int>(std::clamp<int64_t>(ms, 0, INT32_MAX));
}

void EnableProcessWideServerFeatures() {
  static std::once_flag once;
  std::call_once(once, [] {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    EnsureApiDescriptorsLinked();
  });
}

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

ServiceServer::ServiceServer(ServerOptions options) : options_(std::move(options)) {}

ServiceServer::~ServiceServer() {
  Shutdown();
  Wait();
}

void ServiceServer::AddService(grpc::Service* service) { services_.push_back(service); }

void ServiceServer::SetFallback(AuthorizingFallbackService* fallback) { fallback_ = fallback; }

absl::Status ServiceServer::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (started_) return absl::FailedPreconditionError("the server was already started");
  }
  std::string host;
  int requested_port = 0;
  bool is_unix = false;
  if (absl::Status s = ParseListenAddress(options_.listen, &host, &requested_port, &is_unix);
      !s.ok()) {
    return s;
  }
  if (options_.max_message_bytes <= 0) {
    return absl::InvalidArgumentError("max_message_bytes must be positive");
  }
  EnableProcessWideServerFeatures();
  for (const std::string& name : options_.served_services) {
    if (google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "served service \"", name, "\" is not an API service linked into this binary"));
    }
  }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeCredentials(options_.tls);
  if (!credentials.ok()) return credentials.status();

  BuildState state;
  state.served = options_.served_services;
  state.fallback = fallback_;
  state.catalog = &catalog_;

  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(options_.listen, *credentials, &bound_port);
  for (grpc::Service* service : services_) builder.RegisterService(service);
  if (fallback_ != nullptr) builder.RegisterCallbackGenericService(fallback_);
  builder.SetOption(std::make_unique<UnservedServicesOption>(&state));
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.SetMaxSendMessageSize(options_.max_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, Millis(options_.keepalive.time));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, Millis(options_.keepalive.timeout));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS,
                             options_.keepalive.permit_without_calls ? 1 : 0);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             Millis(options_.keepalive.min_client_ping_interval));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  if (options_.max_threads > 0) {
    grpc::ResourceQuota quota(absl::StrCat("lf-", options_.service_name));
    quota.SetMaxThreads(options_.max_threads);
    builder.SetResourceQuota(quota);
  }
  if (options_.max_concurrent_streams > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, options_.max_concurrent_streams);
  }
  const int max_inflight = options_.max_inflight_calls >= 0 ? options_.max_inflight_calls
                                                            : MaxInflightFromEnvironment();
  inflight_ = std::make_unique<InflightLimit>(max_inflight);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> observers;
  observers.push_back(MakeCallObserverFactory(CallObserverOptions{.metrics = options_.metrics,
                                                                  .log_calls = options_.log_calls,
                                                                  .catalog = &catalog_,
                                                                  .inflight = inflight_.get()}));
  builder.experimental().SetInterceptorCreators(std::move(observers));

  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server != nullptr && !state.missing_fallback.empty()) {
    server->Shutdown();
    return absl::FailedPreconditionError(
        absl::StrCat("served service ", state.missing_fallback.front(),
                     " has no typed service and no authorizing fallback is set (SetFallback)"));
  }
  if (server != nullptr && !state.registration_failures.empty()) {
    server->Shutdown();
    return absl::InternalError(
        absl::StrCat("cannot register a placeholder for ", state.registration_failures.front()));
  }
  if (server == nullptr) {
    if (!state.init_ran) {
      return absl::InvalidArgumentError(
          "cannot register the services: a method was registered twice (is a service added "
          "twice?)");
    }
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options_.listen,
        options_.tls.has_value()
            ? " (address in use, not local or unresolvable, or an invalid TLS certificate/key)"
            : " (address in use, not local or unresolvable)"));
  }

  // Health: SERVING for the whole server and each API or typed service it registered.
  std::vector<std::string> names = {""};
  for (const std::string& name : state.final_services) {
    if (!absl::StartsWith(name, "grpc.")) names.push_back(name);
  }
  catalog_.Set(state.final_services, state.placeholders);
  if (grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService()) {
    for (const std::string& name : names) health->SetServingStatus(name, true);
  }
  if (options_.callback_threads != 0) {
    logging::Warning(
        "callback_threads is not applied: gRPC 1.51 sizes its callback executor "
        "from the host's cores");
  }
  {
    absl::MutexLock lock(&mu_);
    server_ = std::move(server);
    health_names_ = std::move(names);
    port_ = is_unix ? 0 : bound_port;
    started_ = true;
  }
  logging::Info("listening", {},
                {{"address", address()}, {"max_inflight", absl::StrCat(inflight_->max())}});
  return absl::OkStatus();
}

int ServiceServer::port() const {
  absl::MutexLock lock(&mu_);
  return port_;
}

std::string ServiceServer::address() const {
  std::string host;
  int requested = 0;
  bool is_unix = false;
  if (!ParseListenAddress(options_.listen, &host, &requested, &is_unix).ok() || is_unix) {
    return options_.listen;
  }
  const int bound = port();
  return absl::StrCat(host, ":", bound != 0 ? bound : requested);
}

void ServiceServer::Shutdown() {
  bool already = false;
  {
    absl::MutexLock lock(&mu_);
    if (!started_) return;
    already = shut_down_;
    shut_down_ = true;
  }
  if (already) {
    server_->Wait();  // another thread is draining; return when it is done
    return;
  }
  // NOT_SERVING first, so load balancers and WaitForServing callers stop sending calls here;
  // HealthCheckServiceInterface::Shutdown also freezes the statuses from now on.
  if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
    health->Shutdown();
  }
  logging::Info("draining", {}, {{"timeout", absl::FormatDuration(options_.drain_timeout)}});
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoMilliseconds(options_.drain_timeout));
  logging::Info("stopped");
}

void ServiceServer::Wait() {
  {
    absl::MutexLock lock(&mu_);
    if (!started_) return;
  }
  server_->Wait();
}

void ServiceServer::SetServing(absl::string_view service, bool serving) {
  {
    absl::MutexLock lock(&mu_);
    if (!started_ || shut_down_) return;
  }
  if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
    health->SetServingStatus(std::string(service), serving);
  }
}

grpc::Server* ServiceServer::grpc_server() {
  absl::MutexLock lock(&mu_);
  return server_.get();
}

void BlockTerminationSignals() {
  const sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int RunUntilSignal(ServiceServer& server) { return RunUntilSignal(server, nullptr); }

int RunUntilSignal(ServiceServer& server, const std::function<void()>& before_shutdown) {
  BlockTerminationSignals();
  const sigset_t set = TerminationSignals();
  // If the server is shut down by other means (an admin RPC, a fatal dependency), wake the
  // sigwait below with a signal aimed at this thread only.
  std::atomic<bool> stopping{false};
  std::atomic<bool> stopped_elsewhere{false};
  const pthread_t main_thread = pthread_self();
  std::thread watcher([&server, &stopping, &stopped_elsewhere, main_thread] {
    server.Wait();
    if (!stopping.load()) {
      stopped_elsewhere.store(true);
      pthread_kill(main_thread, SIGTERM);
    }
  });
  int signal_number = 0;
  while (sigwait(&set, &signal_number) != 0) {
  }
  stopping.store(true);
  if (stopped_elsewhere.load()) {
    logging::Info("server stopped; exiting");
  } else {
    logging::Info("termination signal received; shutting down", {},
                  {{"signal", signal_number == SIGINT ? "SIGINT" : "SIGTERM"}});
  }
  if (before_shutdown) before_shutdown();
  server.Shutdown();
  server.Wait();
  watcher.join();
  // Drop a wake-up signal that raced with a real one, so it cannot end a later wait early.
  const timespec zero = {0, 0};
  while (sigtimedwait(&set, nullptr, &zero) > 0) {
  }
  return 0;
}

}  // namespace lianfang::server
