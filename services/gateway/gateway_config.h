// The gateway's own settings, beyond the shared ones of common/config (which already hold
// LF_HTTP_LISTEN and the other services' addresses).
//
//   --http-threads       LF_HTTP_THREADS        HTTP worker threads; each open event stream
//                                               holds one (default 32, 4..1024)
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
  int64_t http_threads = 32;
  absl::Duration dashboard_refresh = absl::Seconds(10);
  absl::Duration http_deadline = absl::Seconds(10);
  int64_t http_max_body = 1024 * 1024;
};

// Declares the settings on `flags`, bound to `*config` (both must outlive the parse).
void AddGatewayFlags(config::FlagSet* flags, GatewayConfig* config);

}  // namespace lianfang::gateway

#endif  // LIANFANG_SERVICES_GATEWAY_GATEWAY_CONFIG_H_
