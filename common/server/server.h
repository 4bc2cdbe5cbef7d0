// Server bootstrap: one function's worth of setup every Lianfang service shares.
//
//   lianfang::server::BlockTerminationSignals();          // first thing in main
//   Metrics metrics;
//   ServerOptions options;
//   options.service_name = "gate";
//   options.listen = config.listen;                        // "127.0.0.1:7101"
//   options.served_services = {"lianfang.gate.v1.GateService"};
//   options.metrics = &metrics;
//   ServiceServer server(std::move(options));
//   server.AddService(&gate_service);    // typed CallbackService overriding every method
//   AuthorizingFallbackService fallback(&authorizer, &verifier);
//   server.SetFallback(&fallback);
//   if (absl::Status s = server.Start(); !s.ok()) { ...exit 2... }
//   return RunUntilSignal(server);                         // SIGTERM/SIGINT -> graceful drain
//
// Start() gives every server the same shape: gRPC health checking (grpc.health.v1.Health,
// SERVING for "" and every registered or served service), reflection
// (grpc.reflection.v1alpha.ServerReflection), message-size limits, keepalive, TLS when
// configured, the call observer (one log line and metrics per call; interceptors.h), overload
// shedding (a bound on unary calls in flight, LF_MAX_INFLIGHT; admission.h), and the
// authorizing fallback for unserved methods with placeholders so that reflection lists every
// served service (authorization.h explains the choice).
//
// Threads: gRPC 1.51 runs callback handlers on its own executor threads, which the library
// sizes from the host's core count (not a container's CPU limit) and offers no public knob for
// (grpc/grpc#28642); `max_threads` bounds the ResourceQuota threads (the synchronous thread
// manager, which serves reflection). `callback_threads` is kept for when the library grows
// that knob: a non-zero value is reported at Start() as not applied.
#ifndef LIANFANG_COMMON_SERVER_SERVER_H_
#define LIANFANG_COMMON_SERVER_SERVER_H_

#include <grpcpp/impl/service_type.h>
#include <grpcpp/server.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/server/admission.h"
#include "common/server/authorization.h"
#include "common/server/interceptors.h"
#include "common/server/metrics.h"

namespace lianfang::server {

// PEM files for serving TLS (LF_TLS_CERT, LF_TLS_KEY, LF_TLS_CA).
struct TlsFiles {
  std::string cert_file;  // the server's certificate chain
  std::string key_file;   // its private key
  // With a CA, clients must present a certificate signed by it (mutual TLS); empty = clients
  // are not asked for one.
  std::string ca_file;
};

struct KeepaliveOptions {
  // Ping a client after this long without activity on its connection, and drop the connection
  // when the ping is not answered within `timeout`.
  absl::Duration time = absl::Minutes(1);
  absl::Duration timeout = absl::Seconds(20);
  // Accept client pings on connections without calls in flight (clients of MakeChannel do
  // that), at most one per `min_client_ping_interval`.
  bool permit_without_calls = true;
  absl::Duration min_client_ping_interval = absl::Seconds(10);
};

struct ServerOptions {
  // Short name for logs ("gate"); also names the ResourceQuota.
  std::string service_name;
  // "host:port" (port 0 = any free port, see ServiceServer::port()), "[::1]:port", or
  // "unix:/path".
  std::string listen;
  // Largest request and response message, in bytes. Bigger requests fail with
  // RESOURCE_EXHAUSTED before any handler runs.
  int max_message_bytes = 4 * 1024 * 1024;
  KeepaliveOptions keepalive;
  // Serve TLS instead of plaintext.
  std::optional<TlsFiles> tls;
  // Not applied by gRPC 1.51 (see the header comment). 0 = the library's default.
  int callback_threads = 0;
  // ResourceQuota::SetMaxThreads for the server (0 = unbounded, the library default).
  int max_threads = 0;
  // Overload shedding (admission.h): the most unary API calls handled at once; calls beyond it
  // finish at once with RESOURCE_EXHAUSTED (from AuthorizeCall, before any work). -1 = the
  // LF_MAX_INFLIGHT environment variable, else kDefaultMaxInflightCalls (1000); 0 = no bound.
  int max_inflight_calls = -1;
  // HTTP/2 streams (calls) one client connection may have open at once
  // (GRPC_ARG_MAX_CONCURRENT_STREAMS); further calls wait in the client. Bounds what one
  // connection (e.g. a flood of Watch* streams) can hold. 0 = the library default (unbounded).
  int max_concurrent_streams = 1000;
  // How long Shutdown() lets in-flight calls finish before cancelling them.
  absl::Duration drain_timeout = absl::Seconds(10);
  // Full names of the API services this binary answers for ("lianfang.gate.v1.GateService").
  // Each is reported SERVING by health checking and listed by reflection; those without a
  // typed service registered through AddService get an unserved placeholder (requires
  // SetFallback).
  std::vector<std::string> served_services;
  // Where calls are counted; null = no metrics. Not owned; must outlive the server.
  Metrics* metrics = nullptr;
  // One log line per finished call.
  bool log_calls = true;
};

// Owns one running gRPC server. Start/Shutdown/Wait may be called from different threads;
// AddService/SetFallback only before Start. The destructor shuts down (gracefully) if needed.
class ServiceServer final {
 public:
  explicit ServiceServer(ServerOptions options);
  ~ServiceServer();
  ServiceServer(const ServiceServer&) = delete;
  ServiceServer& operator=(const ServiceServer&) = delete;

  // Registers a typed service. Not owned; must outlive the server. REQUIRES: before Start().
  void AddService(grpc::Service* service);

  // Registers the catch-all for methods without a handler (and the logic of the unserved
  // placeholders). Not owned; must outlive the server. REQUIRES: before Start().
  void SetFallback(AuthorizingFallbackService* fallback);

  // Builds and starts the server. Returns
  //   INVALID_ARGUMENT    `listen` is not an address ("host:port" with a port 0..65535,
  //                       "[v6]:port" or "unix:path"), max_message_bytes <= 0, a TLS file
  //                       cannot be read (the message names the file), a served service is
  //                       not in the generated descriptor pool, or two added services
  //                       register the same method;
  //   FAILED_PRECONDITION a served service has no typed service and no fallback is set,
  //                       or Start() was already called;
  //   UNAVAILABLE         the address cannot be bound (in use, not local, unresolvable) —
  //                       the message names the address.
  // SO_REUSEPORT is off, so a second server on a busy port fails instead of sharing it.
  absl::Status Start();

  // The bound TCP port (the chosen one when `listen` asked for port 0); 0 before Start() and
  // for unix sockets.
  int port() const;

  // An address clients can dial: `listen` with the bound port substituted.
  std::string address() const;

  // Graceful drain: health turns NOT_SERVING for every service, the server stops accepting
  // calls, in-flight calls get up to `drain_timeout` to finish, then are cancelled; returns
  // when all handlers are done. Idempotent; a no-op before Start(). Thread-safe; must not be
  // called from a gRPC handler thread.
  void Shutdown();

  // Blocks until the server has shut down (returns at once if it never started).
  void Wait();

  // Sets the health status of `service` ("" = the whole server). Ignored after Shutdown().
  void SetServing(absl::string_view service, bool serving);

  // The running server (for in-process channels); null before Start().
  grpc::Server* grpc_server();

  // Admission control (calls in flight, calls shed); null before Start().
  const InflightLimit* inflight_limit() const { return inflight_.get(); }

 private:
  const ServerOptions options_;
  std::vector<grpc::Service*> services_;
  AuthorizingFallbackService* fallback_ = nullptr;
  ServiceCatalog catalog_;

  mutable absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  int port_ ABSL_GUARDED_BY(mu_) = 0;
  std::unique_ptr<grpc::Server> server_;   // set once by Start()
  std::vector<std::string> health_names_;  // set once by Start()
  std::unique_ptr<InflightLimit> inflight_;  // set once by Start()
};

// Blocks SIGTERM and SIGINT in the calling thread, and so in every thread created after it.
// Call it first thing in main, before anything starts a thread (gRPC included), so that
// RunUntilSignal can receive them with sigwait instead of a signal handler. Idempotent.
void BlockTerminationSignals();

// Waits on the calling (main) thread for SIGTERM or SIGINT, then drains `server`
// (Shutdown + Wait) and returns 0, the process's exit code. No async-signal-unsafe work runs
// in a signal handler: there is none. Blocks the two signals itself too, but threads created
// before that may still receive them and die by the default action: call
// BlockTerminationSignals() at the start of main.
int RunUntilSignal(ServiceServer& server);
// The same, calling `before_shutdown` (when non-null) on the main thread once the signal has
// arrived and before the drain starts: the place to end long-lived streams (watchers) so that
// they do not hold the drain for its whole timeout. It must not block for long.
int RunUntilSignal(ServiceServer& server, const std::function<void()>& before_shutdown);

}  // namespace lianfang::server

#endif  // LIANFANG_COMMON_SERVER_SERVER_H_
