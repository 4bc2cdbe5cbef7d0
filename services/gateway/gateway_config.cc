#include "services/gateway/gateway_config.h"

namespace lianfang::gateway {

void AddGatewayFlags(config::FlagSet* flags, GatewayConfig* config) {
  flags->AddInt({.name = "http-threads",
                 .env = "LF_HTTP_THREADS",
                 .default_value = "8",
                 .help = "HTTP handler threads (connections and event streams hold none)"},
                &config->http_threads, 2, 1024);
  flags->AddInt({.name = "http-max-streams",
                 .env = "LF_HTTP_MAX_STREAMS",
                 .default_value = "10000",
                 .help = "event streams open at once (beyond: 503)"},
                &config->http_max_streams, 1, 100000);
  flags->AddInt({.name = "http-max-connections",
                 .env = "LF_HTTP_MAX_CONNECTIONS",
                 .default_value = "20000",
                 .help = "open HTTP connections (beyond: 503 and closed)"},
                &config->http_max_connections, 1, 1000000);
  flags->AddInt({.name = "http-max-connections-per-client",
                 .env = "LF_HTTP_MAX_CONNECTIONS_PER_CLIENT",
                 .default_value = "1000",
                 .help = "open HTTP connections from one client address (beyond: 503)"},
                &config->http_max_connections_per_client, 1, 1000000);
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
