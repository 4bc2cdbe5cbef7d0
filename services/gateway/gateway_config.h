// The gateway's own settings, beyond the shared ones of common/config (which already hold
// LF_HTTP_LISTEN and the other services' addresses).
//
//   --http-threads       LF_HTTP_THREADS        HTTP handler threads (connections and event
//                                               streams hold none; default 8, 2..1024)
//   --http-max-streams   LF_HTTP_MAX_STREAMS    event streams at once (default 10000, 1..100000)
//   --http-max-connections LF_HTTP_MAX_CONNECTIONS  open HTTP connections (default 20000)
//   --http-max-connections-per-client LF_HTTP_MAX_CONNECTIONS_PER_CLIENT  from one client
//                                               address (default 1000)
//   --dashboard-refresh  LF_DASHBOARD_REFRESH   a live dashboard gets a fresh snapshot at
//                                               least this often even without changes
//                                               (default 10s, 1s..10m)
//   --http-deadline      LF_HTTP_DEADLINE       deadline of each call the JSON API forwards
//                                               to a service (default 10s, 10ms..5m)
//   --http-max-body      LF_HTTP_MAX_BODY       largest accepted HTTP request body in bytes
//                                               (default 1048576, 1024..67108864); larger
//                                               ones get 413
#ifndef LIANFANG_SERVICES_GATEWAY_GATEWAY_CONFIG_H_
#define LIANFANG_SERVICES_GATEWAY_GATEWAY_CONFIG_H_

#include <cstdint>

#include "absl/time/time.h"
#include "common/config/flags.h"

namespace lianfang::gateway {

struct GatewayConfig {
  int64_t http_threads = 8;
  int64_t http_max_streams = 10000;
  int64_t http_max_connections = 20000;
  int64_t http_max_connections_per_client = 1000;
  absl::Duration dashboard_refresh = absl::Seconds(10);
  absl::Duration http_deadline = absl::Seconds(10);
  int64_t http_max_body = 1024 * 1024;
};

// Declares the settings on `flags`, bound to `*config` (both must outlive the parse).
void AddGatewayFlags(config::FlagSet* flags, GatewayConfig* config);

}  // namespace lianfang::gateway

#endif  // LIANFANG_SERVICES_GATEWAY_GATEWAY_CONFIG_H_
