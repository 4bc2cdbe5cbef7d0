// The start-up every Lianfang service binary shares, so that each main.cc is wiring only.
// A gate without live counts or outbox sender (the real one is services/gate/main.cc):
//
//   int main(int argc, char** argv) {
//     auto rt = lianfang::app::StartOrExit(
//         {.service = "gate", .argc = argc, .argv = argv, .migrations = gate::Migrations()});
//     gate::GateService service({.sites = rt->sites.get(),
//                                .clock = &rt->clock,
//                                .db = rt->db.get(),
//                                .keyer = rt->keyer.get(),
//                                .authorizer = rt->authorizer.get(),
//                                .tz = rt->config.tz});
//     return lianfang::app::Serve(*rt, {&service}, {"lianfang.gate.v1.GateService"});
//   }
//
// (tests/common/app/runtime_example.cc is this program, built and run by a test that also
// checks that the two texts are the same.)
//
// StartOrExit reads the settings (flags and LF_… variables), the site directory, the JWT keys
// (the HS256 key, and the accounts service's Ed25519 public key when LF_JWT_PUBLIC_KEY_FILE is
// set) and the PII key, opens the service's database (recording its commits and errors in
// `metrics`) and runs the shared migrations (idempotency, outbox, audit) and the service's own. Any
// failure there ends the process with exit code 2 and one line on stderr naming the setting
// (API.md, "Running the binaries"). Redis is connected lazily: an unreachable Redis never stops a
// service.
#ifndef LIANFANG_COMMON_APP_RUNTIME_H_
#define LIANFANG_COMMON_APP_RUNTIME_H_

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/auth/authorizer.h"
#include "common/auth/jwt.h"
#include "common/auth/service_token.h"
#include "common/config/config.h"
#include "common/config/flags.h"
#include "common/pii/pii.h"
#include "common/redis/client.h"
#include "common/server/metrics.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "common/time/clock.h"

namespace grpc {
class Service;
}  // namespace grpc

namespace lianfang::server {
struct ClientTls;
}  // namespace lianfang::server

namespace lianfang::app {

// What a service needs at run time. Built once by StartOrExit and alive until main returns.
// Members are thread-safe as their own headers state.
struct Runtime {
  // First: the database, Redis and the services record into it until they are destroyed.
  server::Metrics metrics;
  config::CommonConfig config;
  std::unique_ptr<sites::SiteDirectory> sites;
  time::RealClock clock;
  std::unique_ptr<sql::Database> db;
  std::unique_ptr<pii::PersonKeyer> keyer;
  std::unique_ptr<auth::TokenVerifier> verifier;
  std::unique_ptr<auth::Authorizer> authorizer;
  // The SERVICE-role token this service presents to the others.
  std::unique_ptr<auth::ServiceToken> service_token;
  std::unique_ptr<redis::Client> redis;
  // What this service presents when it calls the others: set when it serves TLS
  // (LF_TLS_CERT/KEY as its client certificate, LF_TLS_CA as the roots), null for plaintext.
  // For server::MakeChannel and GrpcDeliverer.
  std::shared_ptr<const server::ClientTls> client_tls;

  // client_tls.get(): null for plaintext.
  const server::ClientTls* client_tls_or_null() const { return client_tls.get(); }
};

struct StartOptions {
  // "gate", "survey", "dispatch", "report", "gateway" or "accounts".
  std::string service;
  int argc = 0;
  char** argv = nullptr;
  // The service's own schema (component = service name); may be empty.
  std::span<const sql::Migration> migrations = {};
  // Settings of this service beyond the common ones (parsed together with them); may be null.
  const config::FlagSet* extra_flags = nullptr;
};

// Builds the runtime or ends the process (exit 2 and one line on stderr; `--help` exits 0).
// Call first in main: it also blocks SIGTERM/SIGINT for Serve().
std::unique_ptr<Runtime> StartOrExit(const StartOptions& options);

// Serves `services` (typed gRPC services, not owned) on `rt.config.listen`, with health,
// reflection, per-call logs and metrics, and `rt.metrics` at HTTP GET /metrics on
// LF_METRICS_LISTEN when it is set (common/server/metrics_listener.h; an address that cannot
// be bound ends the process: exit 2 and one line naming the setting). While it serves, the
// Redis client's errors and state are exported (lf_redis_errors_total, lf_redis_up) once the
// service has used Redis. Every method of `served_services` that no typed
// service implements still authorizes its caller and then answers UNIMPLEMENTED. While it
// serves, the shared housekeeping (housekeeping.h: idempotency records older than
// LF_RETENTION_DAYS, delivered outbox messages) runs at start and then hourly. Blocks until
// SIGTERM or SIGINT, drains in-flight calls, stops the housekeeping, and returns the process
// exit code (2 when the address cannot be bound).
int Serve(Runtime& rt, const std::vector<grpc::Service*>& services,
          const std::vector<std::string>& served_services);
// The same, calling `before_shutdown` once a termination signal arrived, before the drain
// (e.g. to end open watch streams at once; see server::RunUntilSignal).
int Serve(Runtime& rt, const std::vector<grpc::Service*>& services,
          const std::vector<std::string>& served_services,
          const std::function<void()>& before_shutdown);

}  // namespace lianfang::app

#endif  // LIANFANG_COMMON_APP_RUNTIME_H_
