#include "services/gateway/gateway_config.h"

namespace lianfang::gateway {

void AddGatewayFlags(config::FlagSet* flags, GatewayConfig* config) {
  flags->AddInt({.name = "http-threads",
                 .env = "LF_HTTP_THREADS",
                 .default_value = "32",
                 .help = "HTTP worker threads; each open event stream holds one"},
                &config->http_threads, 4, 1024);
  flags->AddDuration({.name = "dashboard-refresh",
                      .env = "LF_DASHBOARD_REFRESH",
                      .default_value = "10s",
                      .help = "a live dashboard is refreshed at least this often"},
                     &config->dashboard_refresh, absl::Seconds(1), absl::Minutes(10));
  flags->AddDuration({.name = "http-deadline",
                      .env = "LF_HTTP_DEADLINE",
                      .default_value = "10s",
                      .help = "deadline of each call the JSON API forwards to a service"},
                     &config->http_deadline, absl::Milliseconds(10), absl::Minutes(5));
  flags->AddInt({.name = "http-max-body",
                 .env = "LF_HTTP_MAX_BODY",
                 .default_value = "1048576",
                 .help = "largest accepted HTTP request body in bytes (larger: 413)"},
                &config->http_max_body, 1024, 64 * 1024 * 1024);
}

}  // namespace lianfang::gateway
