#include "common/app/runtime.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/app/housekeeping.h"
#include "common/app/periodic_job.h"
#include "common/audit/audit.h"
#include "common/auth/secret_file.h"
#include "common/idempotency/idempotency.h"
#include "common/logging/logging.h"
#include "common/outbox/outbox.h"
#include "common/server/admission.h"
#include "common/server/client.h"
#include "common/server/metrics_listener.h"
#include "common/server/server.h"
#include "lianfang/proto_registry.h"

namespace lianfang::app {
namespace {

static_assert(config::kDefaultMaxInflight == server::kDefaultMaxInflightCalls &&
                  config::kMaxInflightLimit == server::kMaxInflightSetting,
              "LF_MAX_INFLIGHT: the setting and the admission bound must agree");

[[noreturn]] void Fail(const std::string& program, absl::string_view setting,
                       const absl::Status& status) {
  config::ExitWithConfigError(
      program, absl::Status(status.code(), absl::StrCat(setting, ": ", status.message())));
}

// The embedded default (sqlite:var/<service>.db) works from a clean clone: its var/ folder is
// created on demand. Other paths are the sysadmin's: a missing folder there is an error.
void CreateDefaultDatabaseFolder(const config::CommonConfig& config) {
  if (config.db != absl::StrCat("sqlite:var/", config.service, ".db")) return;
  if (mkdir("var", 0750) != 0 && errno != EEXIST) {
    std::fprintf(stderr, "lf-%s: LF_DB (--db): cannot create var/: %s\n", config.service.c_str(),
                 std::strerror(errno));
    std::_Exit(2);
  }
}

// Exports the Redis client's failed calls, master changes and state at each render, once the
// service has made a call (a service that never uses Redis has no lf_redis_* series). Thread-compatible: the
// registry runs collectors one at a time.
class RedisCollector {
 public:
  RedisCollector(const redis::Client* client, server::Metrics* metrics)
      : client_(client), metrics_(metrics) {}
  void operator()() {
    const redis::Client::Stats stats = client_->stats();
    if (stats.calls == 0) return;
    metrics_->GetGauge("lf_redis_up", "1 when Redis answered the last call")
        ->Set(client_->available() ? 1 : 0);
    metrics_
        ->GetCounter("lf_redis_errors_total",
                     "Redis calls that failed (unreachable, broken connection, timeout)")
        ->Increment(static_cast<double>(stats.failed_calls - *seen_failures_));
    *seen_failures_ = stats.failed_calls;
    metrics_
        ->GetCounter("lf_redis_master_changes_total",
                     "Connections to a different Redis master than before (Sentinel failovers)")
        ->Increment(static_cast<double>(stats.master_changes - *seen_master_changes_));
    *seen_master_changes_ = stats.master_changes;
  }

 private:
  const redis::Client* client_;
  server::Metrics* metrics_;
  // Shared by the copies std::function makes.
  std::shared_ptr<uint64_t> seen_failures_ = std::make_shared<uint64_t>(0);
  std::shared_ptr<uint64_t> seen_master_changes_ = std::make_shared<uint64_t>(0);
};

}  // namespace

std::unique_ptr<Runtime> StartOrExit(const StartOptions& options) {
  server::BlockTerminationSignals();
  EnsureApiDescriptorsLinked();
  const std::string program = absl::StrCat("lf-", options.service);

  auto rt = std::make_unique<Runtime>();
  absl::StatusOr<config::CommonConfig> config =
      config::LoadCommonConfig(options.service, options.argc, options.argv,
                               config::Environment::Process(), options.extra_flags);
  if (!config.ok()) config::ExitWithConfigError(program, config.status());
  rt->config = *std::move(config);
  logging::SetService(options.service);
  logging::SetMinLevel(rt->config.log_level);

  absl::StatusOr<sites::SiteDirectory> sites = sites::SiteDirectory::LoadFile(rt->config.sites);
  if (!sites.ok()) Fail(program, "LF_SITES (--sites)", sites.status());
  rt->sites = std::make_unique<sites::SiteDirectory>(*std::move(sites));

  absl::StatusOr<std::string> jwt_key = auth::ReadSecretFile(rt->config.jwt_secret_file);
  if (!jwt_key.ok()) Fail(program, "LF_JWT_SECRET_FILE (--jwt-secret-file)", jwt_key.status());
  absl::StatusOr<pii::PersonKeyer> keyer = pii::PersonKeyer::FromKeyFile(rt->config.pii_key_file);
  if (!keyer.ok()) Fail(program, "LF_PII_KEY_FILE (--pii-key-file)", keyer.status());
  rt->keyer = std::make_unique<pii::PersonKeyer>(*std::move(keyer));
  std::optional<auth::Ed25519Key> public_key;
  if (!rt->config.jwt_public_key_file.empty()) {
    absl::StatusOr<std::string> pem = auth::ReadSecretFile(rt->config.jwt_public_key_file);
    absl::StatusOr<auth::Ed25519Key> key =
        pem.ok() ? auth::Ed25519Key::FromPublicPem(*pem) : pem.status();
    if (!key.ok()) Fail(program, "LF_JWT_PUBLIC_KEY_FILE (--jwt-public-key-file)", key.status());
    public_key = *std::move(key);
  }
  rt->verifier = std::make_unique<auth::TokenVerifier>(*jwt_key, std::move(public_key), rt->clock);
  rt->authorizer = std::make_unique<auth::Authorizer>(rt->verifier.get());
  rt->service_token = std::make_unique<auth::ServiceToken>(
      auth::ServiceToken::FromSecret(*jwt_key, options.service, rt->clock));

  CreateDefaultDatabaseFolder(rt->config);
  sql::Options db_options;
  db_options.metrics = &rt->metrics;
  static_assert(config::kDefaultDbWriters == sql::kDefaultPostgresWriters &&
                config::kMaxDbWriters == sql::kMaxWriters);
  db_options.writers = rt->config.db_writers;  // LF_DB_WRITERS, validated by LoadCommonConfig
  absl::StatusOr<std::unique_ptr<sql::Database>> db =
      sql::Database::Open(rt->config.db, db_options);
  if (!db.ok()) Fail(program, "LF_DB (--db)", db.status());
  rt->db = *std::move(db);
  for (const auto& [component, migrations] :
       {std::pair{idempotency::kComponent, idempotency::Migrations()},
        std::pair{outbox::kComponent, outbox::Migrations()},
        std::pair{audit::kComponent, audit::Migrations()}}) {
    if (absl::Status s = rt->db->Migrate(component, migrations); !s.ok()) {
      Fail(program, "LF_DB (--db)", s);
    }
  }
  if (!options.migrations.empty()) {
    if (absl::Status s = rt->db->Migrate(options.service, options.migrations); !s.ok()) {
      Fail(program, "LF_DB (--db)", s);
    }
  }

  absl::StatusOr<std::unique_ptr<redis::Client>> redis = redis::Client::FromUrl(rt->config.redis);
  if (!redis.ok()) Fail(program, "LF_REDIS (--redis)", redis.status());
  rt->redis = *std::move(redis);

  if (rt->config.tls_enabled()) {
    absl::StatusOr<server::ClientTls> tls =
        server::LoadClientTls(rt->config.tls_ca, rt->config.tls_cert, rt->config.tls_key);
    if (!tls.ok()) Fail(program, "LF_TLS_CA (--tls-ca)", tls.status());
    rt->client_tls = std::make_shared<const server::ClientTls>(*std::move(tls));
  }
  return rt;
}

int Serve(Runtime& rt, const std::vector<grpc::Service*>& services,
          const std::vector<std::string>& served_services) {
  return Serve(rt, services, served_services, nullptr);
}

int Serve(Runtime& rt, const std::vector<grpc::Service*>& services,
          const std::vector<std::string>& served_services,
          const std::function<void()>& before_shutdown) {
  const std::string program = absl::StrCat("lf-", rt.config.service);
  server::ServerOptions options;
  options.service_name = rt.config.service;
  options.listen = rt.config.listen;
  options.served_services = served_services;
  options.metrics = &rt.metrics;
  // LF_MAX_INFLIGHT, validated at start-up (a bad value already ended the process).
  options.max_inflight_calls = rt.config.max_inflight;
  if (rt.config.tls_enabled()) {
    options.tls = server::TlsFiles{rt.config.tls_cert, rt.config.tls_key, rt.config.tls_ca};
  }
  // The fallback outlives the server (declared first, destroyed last).
  server::AuthorizingFallbackService fallback(rt.authorizer.get(), rt.verifier.get());
  server::ServiceServer server(std::move(options));
  for (grpc::Service* service : services) server.AddService(service);
  server.SetFallback(&fallback);
  const int redis_collector = rt.metrics.AddCollector(RedisCollector(rt.redis.get(), &rt.metrics));
  std::optional<server::MetricsListener> metrics_listener;
  if (!rt.config.metrics_listen.empty()) {
    metrics_listener.emplace(server::MetricsListener::Options{.listen = rt.config.metrics_listen},
                             &rt.metrics);
    if (absl::Status s = metrics_listener->Start(); !s.ok()) {
      Fail(program, "LF_METRICS_LISTEN (--metrics-listen)", s);
    }
  }
  if (absl::Status s = server.Start(); !s.ok()) Fail(program, "LF_LISTEN (--listen)", s);
  logging::Info("ready", {},
                {{"db", absl::StartsWith(rt.config.db, "sqlite:") ? rt.config.db : "postgresql"},
                 {"redis", rt.config.redis}});
  // The shared purge of idempotency records and delivered outbox messages, in every service:
  // at start, then hourly, until the drain is over (a run in progress stops between chunks).
  const Housekeeping housekeeping(rt.db.get(), &rt.clock, HousekeepingOptionsFor(rt.config));
  PeriodicJob housekeeping_job(absl::Hours(1), [&] {
    (void)housekeeping.RunOnce([&housekeeping_job] { return !housekeeping_job.stopping(); });
  });
  housekeeping_job.Start();
  const int code = server::RunUntilSignal(server, before_shutdown);
  housekeeping_job.Stop();
  if (metrics_listener.has_value()) metrics_listener->Stop();
  rt.metrics.RemoveCollector(redis_collector);
  return code;
}

}  // namespace lianfang::app
