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
}

}  // namespace lianfang::gateway
