#include "common/config/config.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/time/clock.h"

namespace lianfang::config {

std::string DefaultListen(absl::string_view service) {
  if (service == "gateway") return kDefaultGatewayAddr;
  if (service == "gate") return kDefaultGateAddr;
  if (service == "survey") return kDefaultSurveyAddr;
  if (service == "dispatch") return kDefaultDispatchAddr;
  if (service == "report") return kDefaultReportAddr;
  if (service == "accounts") return kDefaultAccountsAddr;
  if (service == "supplies") return kDefaultSuppliesAddr;
  return "";
}

absl::StatusOr<CommonConfig> LoadCommonConfig(absl::string_view service, int argc,
                                              const char* const* argv, const Environment& env,
                                              const FlagSet* extra) {
  const std::string listen = DefaultListen(service);
  if (listen.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown service \"", service, "\""));
  }
  const std::string program = absl::StrCat("lf-", service);
  CommonConfig config;
  config.service = std::string(service);
  std::string log_level = "info";

  FlagSet flags(program, absl::StrCat("Lianfang ", service, " service."));
  flags.AddAddress({.name = "listen",
                    .env = "LF_LISTEN",
                    .default_value = listen,
                    .help = "gRPC listen address, host:port"},
                   &config.listen);
  if (service == "gateway") {
    flags.AddAddress({.name = "http-listen",
                      .env = "LF_HTTP_LISTEN",
                      .default_value = kDefaultHttpListen,
                      .help = "HTTP address of the dashboard, JSON, SSE and metrics"},
                     &config.http_listen);
  }
  flags.AddAddress({.name = "metrics-listen",
                    .env = "LF_METRICS_LISTEN",
                    .help = "host:port of the HTTP listener serving GET /metrics (Prometheus); "
                            "empty = none"},
                   &config.metrics_listen);
  flags.AddDatabaseUrl({.name = "db",
                        .env = "LF_DB",
                        .default_value = absl::StrCat("sqlite:var/", service, ".db"),
                        .help = "database: sqlite:PATH or postgresql://..."},
                       &config.db);
  int64_t db_writers = kDefaultDbWriters;
  flags.AddInt({.name = "db-writers",
                .env = "LF_DB_WRITERS",
                .default_value = absl::StrCat(kDefaultDbWriters),
                .help = absl::StrCat("PostgreSQL: writer connections, each committing its own "
                                     "batches (1..",
                                     kMaxDbWriters, "); SQLite has one writer")},
               &db_writers, 1, kMaxDbWriters);
  flags.AddRedisUrl({.name = "redis",
                     .env = "LF_REDIS",
                     .default_value = kDefaultRedis,
                     .help = "Redis for live counts: redis://HOST:PORT[/DB], or "
                             "redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTER_NAME[/DB]"},
                    &config.redis);
  flags.AddReadableFile({.name = "sites",
                         .env = "LF_SITES",
                         .default_value = kDefaultSitesFile,
                         .help = "SiteDirectory text-format file"},
                        &config.sites);
  flags.AddReadableFile({.name = "jwt-secret-file",
                         .env = "LF_JWT_SECRET_FILE",
                         .help = "file holding the HS256 token key",
                         .required = true},
                        &config.jwt_secret_file, /*non_empty=*/true);
  flags.AddReadableFile(
      {.name = "jwt-public-key-file",
       .env = "LF_JWT_PUBLIC_KEY_FILE",
       .help = "PEM Ed25519 public key of the accounts service; when set, people's tokens "
               "must be its EdDSA tokens (HS256 only for services)"},
      &config.jwt_public_key_file, /*non_empty=*/true);
  flags.AddReadableFile({.name = "pii-key-file",
                         .env = "LF_PII_KEY_FILE",
                         .help = "file holding the HMAC key of person_key",
                         .required = true},
                        &config.pii_key_file, /*non_empty=*/true);
  flags.AddTimeZone({.name = "tz",
                     .env = "LF_TZ",
                     .default_value = time::kDefaultTimeZone,
                     .help = "time zone of \"today\""},
                    &config.tz, &config.tz_name);
  flags.AddAddress({.name = "gate-addr",
                    .env = "LF_GATE_ADDR",
                    .default_value = kDefaultGateAddr,
                    .help = "address of the gate service"},
                   &config.gate_addr);
  flags.AddAddress({.name = "survey-addr",
                    .env = "LF_SURVEY_ADDR",
                    .default_value = kDefaultSurveyAddr,
                    .help = "address of the survey service"},
                   &config.survey_addr);
  flags.AddAddress({.name = "dispatch-addr",
                    .env = "LF_DISPATCH_ADDR",
                    .default_value = kDefaultDispatchAddr,
                    .help = "address of the dispatch service"},
                   &config.dispatch_addr);
  flags.AddAddress({.name = "report-addr",
                    .env = "LF_REPORT_ADDR",
                    .default_value = kDefaultReportAddr,
                    .help = "address of the report service"},
                   &config.report_addr);
  flags.AddAddress({.name = "accounts-addr",
                    .env = "LF_ACCOUNTS_ADDR",
                    .default_value = kDefaultAccountsAddr,
                    .help = "address of the accounts service"},
                   &config.accounts_addr);
  flags.AddAddress({.name = "supplies-addr",
                    .env = "LF_SUPPLIES_ADDR",
                    .default_value = kDefaultSuppliesAddr,
                    .help = "address of the supplies service"},
                   &config.supplies_addr);
  flags.AddReadableFile({.name = "tls-cert",
                         .env = "LF_TLS_CERT",
                         .help = "PEM certificate chain; serve TLS when set (with --tls-key)"},
                        &config.tls_cert);
  flags.AddReadableFile(
      {.name = "tls-key", .env = "LF_TLS_KEY", .help = "PEM private key of --tls-cert"},
      &config.tls_key);
  flags.AddReadableFile({.name = "tls-ca",
                         .env = "LF_TLS_CA",
                         .help = "PEM CA bundle to verify peers against (needs --tls-cert)"},
                        &config.tls_ca);
  flags.AddString({.name = "log-level",
                   .env = "LF_LOG_LEVEL",
                   .default_value = "info",
                   .help = "debug, info, warning or error"},
                  &log_level, [](absl::string_view v) { return logging::ParseLevel(v).status(); });
  int64_t max_inflight = kDefaultMaxInflight;
  flags.AddInt({.name = "max-inflight",
                .env = "LF_MAX_INFLIGHT",
                .default_value = absl::StrCat(kDefaultMaxInflight),
                .help = absl::StrCat("most API calls handled at once, beyond it RESOURCE_EXHAUSTED "
                                     "(0..",
                                     kMaxInflightLimit, ", 0 = no bound)")},
               &max_inflight, 0, kMaxInflightLimit);
  flags.AddInt({.name = "retention-days",
                .env = "LF_RETENTION_DAYS",
                .default_value = absl::StrCat(kDefaultRetentionDays),
                .help = "days stored request replies (every service), passages (gate) and "
                        "health reports (survey) are kept before they are purged"},
               &config.retention_days, 1, kMaxRetentionDays);
  if (extra != nullptr) flags.AddAll(*extra);

  if (absl::Status status = flags.Parse(argc, argv, env); !status.ok()) return status;

  if (config.tls_cert.empty() != config.tls_key.empty()) {
    return absl::InvalidArgumentError(
        config.tls_cert.empty()
            ? "LF_TLS_CERT (--tls-cert): required when LF_TLS_KEY (--tls-key) is set"
            : "LF_TLS_KEY (--tls-key): required when LF_TLS_CERT (--tls-cert) is set");
  }
  if (!config.tls_ca.empty() && config.tls_cert.empty()) {
    return absl::InvalidArgumentError(
        "LF_TLS_CA (--tls-ca): needs LF_TLS_CERT (--tls-cert) and LF_TLS_KEY (--tls-key)");
  }
  config.max_inflight = static_cast<int>(max_inflight);
  config.db_writers = static_cast<int>(db_writers);
  // Validated by the flag already.
  config.log_level = logging::ParseLevel(log_level).value_or(logging::Level::kInfo);
  return config;
}

void ExitWithConfigError(absl::string_view program, const absl::Status& status) {
  std::fflush(stdout);
  if (std::optional<HelpRequested> help = AsHelpRequested(status)) {
    std::fputs(help->usage.c_str(), stdout);
    std::fflush(stdout);
    std::fflush(stderr);
    ::_exit(0);
  }
  const std::string message =
      absl::StrReplaceAll(status.message(), {{"\r\n", " "}, {"\n", " "}, {"\r", " "}});
  const std::string line =
      absl::StrCat(program, ": ", message.empty() ? status.ToString() : message, "\n");
  std::fflush(stderr);
  // One write, so the line stays whole even if other threads are logging.
  absl::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, rest.data(), rest.size());
    if (n <= 0) break;
    rest.remove_prefix(static_cast<size_t>(n));
  }
  ::_exit(2);
}

}  // namespace lianfang::config
