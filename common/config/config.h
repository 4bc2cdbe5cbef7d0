// The settings every Lianfang service shares (API.md, "Running the binaries"), loaded from
// flags and their LF_… environment variables, and the one way a binary stops on bad
// configuration.
//
//   int main(int argc, char** argv) {
//     lianfang::config::FlagSet extra("lf-survey");
//     std::string risk_file;
//     extra.AddReadableFile({.name = "risk-regions", .env = "LF_RISK_REGIONS", ...}, &risk_file);
//     auto config = lianfang::config::LoadCommonConfig(
//         "survey", argc, argv, lianfang::config::Environment::Process(), &extra);
//     if (!config.ok()) lianfang::config::ExitWithConfigError("lf-survey", config.status());
//     ...
//   }
//
// Settings (flag, variable, default):
//   --listen           LF_LISTEN            gateway 127.0.0.1:7100, gate :7101, survey :7102,
//                                           dispatch :7103, report :7104, accounts :7105,
//                                           supplies :7106 (all 127.0.0.1)
//   --http-listen      LF_HTTP_LISTEN       127.0.0.1:8080 (gateway only)
//   --metrics-listen   LF_METRICS_LISTEN    "" (off): host:port of the HTTP listener serving
//                                           GET /metrics (docs/metrics.md)
//   --db               LF_DB                sqlite:var/<service>.db
//   --db-writers       LF_DB_WRITERS        1: PostgreSQL writer connections, each with its
//                                           own group commit (sql::Options::writers); a whole
//                                           number 1..16; SQLite keeps one writer
//   --redis            LF_REDIS             redis://127.0.0.1:6379/0; or through Sentinel
//                                           redis-sentinel://HOST:PORT[,...]/MASTER_NAME[/DB]
//   --sites            LF_SITES             deploy/sites.textproto (must be a readable file)
//   --jwt-secret-file  LF_JWT_SECRET_FILE   required, readable, non-empty
//   --jwt-public-key-file LF_JWT_PUBLIC_KEY_FILE  optional readable PEM Ed25519 public key of
//                                           the accounts service: people's EdDSA tokens are
//                                           verified with it and their HS256 tokens refused
//   --pii-key-file     LF_PII_KEY_FILE      required, readable, non-empty
//   --tz               LF_TZ                Asia/Shanghai
//   --gate-addr …      LF_GATE_ADDR …       127.0.0.1:7101 / :7102 / :7103 / :7104 / :7105 /
//                                           :7106 (gate, survey, dispatch, report, accounts,
//                                           supplies)
//   --tls-cert, --tls-key, --tls-ca  LF_TLS_CERT, LF_TLS_KEY, LF_TLS_CA   optional readable
//                      files; cert and key come together; the CA needs them
//   --log-level        LF_LOG_LEVEL         info (debug|info|warning|error)
//   --max-inflight     LF_MAX_INFLIGHT      1000: most unary API calls (and, on the gateway,
//                                           JSON API requests) in flight at once; a whole
//                                           number 0..1000000, 0 = no bound
//   --retention-days   LF_RETENTION_DAYS    30: days the stored replies of requests (every
//                                           service), passages (gate) and health reports
//                                           (survey) are kept; a whole number 1..3650
#ifndef LIANFANG_COMMON_CONFIG_CONFIG_H_
#define LIANFANG_COMMON_CONFIG_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/config/flags.h"
#include "common/logging/logging.h"

namespace lianfang::config {

// Default addresses of the services (what LF_…_ADDR and LF_LISTEN default to).
inline constexpr char kDefaultGatewayAddr[] = "127.0.0.1:7100";
inline constexpr char kDefaultGateAddr[] = "127.0.0.1:7101";
inline constexpr char kDefaultSurveyAddr[] = "127.0.0.1:7102";
inline constexpr char kDefaultDispatchAddr[] = "127.0.0.1:7103";
inline constexpr char kDefaultReportAddr[] = "127.0.0.1:7104";
inline constexpr char kDefaultAccountsAddr[] = "127.0.0.1:7105";
inline constexpr char kDefaultSuppliesAddr[] = "127.0.0.1:7106";
inline constexpr char kDefaultHttpListen[] = "127.0.0.1:8080";
inline constexpr char kDefaultRedis[] = "redis://127.0.0.1:6379/0";
inline constexpr char kDefaultSitesFile[] = "deploy/sites.textproto";
// LF_MAX_INFLIGHT: its default and largest accepted value (the same figures as
// common/server/admission.h, which applies the bound).
inline constexpr int kDefaultMaxInflight = 1000;
inline constexpr int kMaxInflightLimit = 1000000;
// LF_DB_WRITERS: its default and largest accepted value (sql::kDefaultPostgresWriters and
// sql::kMaxWriters, common/sql/database.h; common/app/runtime.cc asserts they are equal).
inline constexpr int kDefaultDbWriters = 1;
inline constexpr int kMaxDbWriters = 16;
// LF_RETENTION_DAYS: its default and bounds.
inline constexpr int64_t kDefaultRetentionDays = 30;
inline constexpr int64_t kMaxRetentionDays = 3650;

struct CommonConfig {
  std::string service;          // "gate", "survey", "dispatch", "report" or "gateway"
  std::string listen;           // gRPC listen address, host:port
  std::string http_listen;      // gateway only (empty for the other services)
  std::string metrics_listen;   // host:port serving GET /metrics; empty = no listener
  std::string db;               // sqlite:PATH or postgresql://… (see ParseDatabaseUrl)
  // PostgreSQL writer connections (LF_DB_WRITERS), 1..kMaxDbWriters; ignored on SQLite.
  int db_writers = kDefaultDbWriters;
  std::string redis;            // redis:// or redis-sentinel:// (see redis::ParseUrl)
  std::string sites;            // path of the SiteDirectory text file (checked readable)
  std::string jwt_secret_file;  // path; checked readable and non-empty
  std::string jwt_public_key_file;  // path, or empty (no EdDSA tokens, HS256 for everyone)
  std::string pii_key_file;     // path; checked readable and non-empty
  std::string tz_name = "Asia/Shanghai";
  absl::TimeZone tz;  // loaded from tz_name
  std::string gate_addr;
  std::string survey_addr;
  std::string dispatch_addr;
  std::string report_addr;
  std::string accounts_addr;
  std::string supplies_addr;
  std::string tls_cert;  // empty = plaintext
  std::string tls_key;
  std::string tls_ca;  // empty = no peer verification against a CA
  logging::Level log_level = logging::Level::kInfo;
  // The bound on calls in flight (LF_MAX_INFLIGHT), 0..kMaxInflightLimit; 0 = no bound.
  int max_inflight = kDefaultMaxInflight;
  // Days personal data is kept before the purges (LF_RETENTION_DAYS), 1..kMaxRetentionDays:
  // idempotency records in every service (common/app/housekeeping.h), passages in the gate,
  // health reports in the survey.
  int64_t retention_days = kDefaultRetentionDays;

  bool tls_enabled() const { return !tls_cert.empty(); }
};

// The default gRPC listen address of `service` ("gate" -> "127.0.0.1:7101"); empty for an
// unknown service.
std::string DefaultListen(absl::string_view service);

// Loads the shared settings of `service` from argv and `env`, plus the settings declared on
// `extra` (may be null; its outputs are filled in the same pass; not modified; REQUIRES: its
// names and variables differ from the shared ones above). Returns:
//   the configuration;
//   HelpRequestedStatus(usage) for --help (ExitWithConfigError prints it and exits 0);
//   INVALID_ARGUMENT with one line naming the first bad setting, e.g.
//     `LF_JWT_SECRET_FILE (--jwt-secret-file): /x/y: no such file`
//   (also for an unknown `service`, which is a programming error).
// Does not change the process's logging state: apply log_level with logging::SetMinLevel.
absl::StatusOr<CommonConfig> LoadCommonConfig(absl::string_view service, int argc,
                                              const char* const* argv, const Environment& env,
                                              const FlagSet* extra = nullptr);

// Ends the process because of `status`, as API.md requires: one line `<program>: <message>`
// on stderr (line breaks in the message become spaces) and exit code 2. When `status` is a
// help request, prints the usage on stdout and exits 0 instead. Uses _exit after flushing
// stdio, so it is safe even when other threads already run.
[[noreturn]] void ExitWithConfigError(absl::string_view program, const absl::Status& status);

}  // namespace lianfang::config

#endif  // LIANFANG_COMMON_CONFIG_CONFIG_H_
