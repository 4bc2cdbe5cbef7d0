// HttpGateway: the gateway's HTTP side (event-driven, http_server.h), next to gRPC.
//
//   GET /                          the web dashboard page (public: it holds no data)
//   GET /app.js, /app.css          its script and style (embedded in the binary)
//   GET /api/v1/dashboard          the Dashboard in protobuf's JSON mapping (zeros written
//                                  out); ?site_ids=a,b
//   GET /api/v1/dashboard/events   Server-Sent Events: one `data:` line with a JSON Dashboard
//                                  per event, a snapshot at once and one within a second of any
//                                  change; `: keep-alive` comments while quiet; ?site_ids=a,b
//   GET /api/v1/dashboard/supplies the supplies tile (supplies_tile.h): low stock and nearest
//                                  expiry per site, read with the SERVICE token; the roles of
//                                  the dashboard; ?site_ids=a,b
//   GET /guard, /volunteer, /pass  the guard console, the volunteer app, a printable pass
//                                  (public pages with their scripts; they hold no data)
//   POST /api/v1/<pkg>.<Service>/<Method>   the JSON transcoder (json_api.h): every method of
//                                  the API's services, forwarded over gRPC with the caller's
//                                  token; server-streaming methods answer with Server-Sent
//                                  Events (also as GET with the request fields as parameters)
//   GET /api/v1/me                 the caller (subject, name, role) and the sites of its token
//   GET /api/v1/passes/<code>/qr.svg  the pass code as a QR code (roles of ListPasses)
//   GET /healthz                   {"status":"ok","redis":"up|down"} (public)
//   GET /metrics                   Prometheus text (public): the process registry plus
//                                  lf_http_requests_total{route,code} and
//                                  lf_http_request_duration_seconds{route}
// The API routes take the same bearer tokens and roles as GetDashboard / WatchDashboard
// (`Authorization: Bearer <jwt>`; the events route also accepts `?access_token=` because a
// browser's EventSource cannot set headers). Errors are JSON {"code": "<canonical code>",
// "message": "..."} (plus "fieldViolations" for bad input) with 400, 401 (and
// WWW-Authenticate), 403, 404, 429, 503 or 500.
//
//   HttpGateway http({.listen = rt.config.http_listen}, {...});
//   if (absl::Status s = http.Start(); !s.ok()) exit...;
//   ...
//   http.Stop();   // ends open event streams, stops listening, joins the threads
//
// Event-driven (http_server.h, Boost.Beast): connections, idle keep-alive connections, slow
// clients and open event streams hold no thread. Handlers run on `threads` workers; the JSON
// API's calls are asynchronous, so a call waiting on a service holds no worker either. Slow
// clients are dropped by time limits (headers, body, idle keep-alive, writes); connections
// are capped in total and per client address (503 beyond). Event streams are capped at
// `max_streams` (503 with Retry-After beyond); a stream whose client reads slower than its
// events arrive is dropped once `max_stream_buffer` bytes wait for it.
//
// Admission, as on the gRPC side (common/server/admission.h): the API requests other than event
// streams (/api/v1/dashboard, /api/v1/me, the QR codes and the JSON API's unary methods) hold
// a slot of `max_inflight` (LF_MAX_INFLIGHT) while they are handled; when none is free the
// answer is at once 429 with the JSON error {"code": "RESOURCE_EXHAUSTED", ...} (the JSON
// API's mapping of the gRPC code a busy server sheds with) and `Retry-After: 1`, before the
// token is looked at. The pages, /healthz and /metrics never take a slot: a saturated gateway
// still answers its probes. The JSON API's methods declared `anonymous` (signing in) take a
// slot of their own, smaller bound (`max_anonymous_inflight`) instead, are forwarded without
// any token, and carry the client's address to the service (`x-lf-client-address`).
//
// Thread-safety: Start/Stop from one thread; everything else is internal.
#ifndef LIANFANG_SERVICES_GATEWAY_HTTP_GATEWAY_H_
#define LIANFANG_SERVICES_GATEWAY_HTTP_GATEWAY_H_

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/authorizer.h"
#include "common/auth/jwt.h"
#include "common/server/admission.h"
#include "common/server/metrics.h"
#include "common/sites/site_directory.h"
#include "services/gateway/dashboard_hub.h"
#include "services/gateway/dashboard_reader.h"
#include "services/gateway/json_api.h"
#include "services/gateway/supplies_tile.h"

namespace lianfang::gateway::http {
class Server;
class Exchange;
struct Request;
struct Response;
}  // namespace lianfang::gateway::http

namespace lianfang::gateway {

class HttpGateway final {
 public:
  struct Options {
    // "host:port" or "[v6]:port"; port 0 picks a free port (see port()).
    std::string listen = "127.0.0.1:8080";
    // Worker threads that run the handlers (connections and streams need none).
    int threads = 8;
    // Threads that read and write the sockets.
    int io_threads = 2;
    // Event streams at once (dashboard and API together); 0 = 10000.
    int max_streams = 0;
    // Open connections in total, and from one client address (503 beyond).
    int max_connections = 20000;
    int max_connections_per_client = 1000;
    // Time limits: request line and headers, body, idle keep-alive, writing an answer.
    absl::Duration header_timeout = absl::Seconds(10);
    absl::Duration body_timeout = absl::Seconds(30);
    absl::Duration idle_timeout = absl::Seconds(30);
    absl::Duration write_timeout = absl::Seconds(30);
    // Unwritten bytes an event stream may hold for a slow reader before it is dropped.
    size_t max_stream_buffer = 256 * 1024;
    // A comment line is sent on a quiet event stream this often (keeps proxies from closing
    // it and notices vanished clients).
    absl::Duration keepalive = absl::Seconds(15);
    // Serve HTTPS with this certificate chain and key (PEM files) when both are set.
    std::string tls_cert_file = "";
    std::string tls_key_file = "";
    // Larger request bodies are refused with 413.
    size_t max_body_bytes = 1024 * 1024;
    // API requests handled at once (see Admission above); 0 = no bound.
    int max_inflight = server::kDefaultMaxInflightCalls;
    // Calls of the methods taken without a token (signing in: Activate, SignIn, Refresh,
    // SignOut, RedeemEnrollment) handled at once. They hold a slot of this bound instead of
    // one of `max_inflight`, so a sign-in flood is shed here (429) and never takes the slots
    // the gates' calls need. 0 = no bound.
    int max_anonymous_inflight = 64;
  };
  // Nothing is owned; everything must outlive the HttpGateway.
  struct Deps {
    const auth::Authorizer* authorizer = nullptr;
    const sites::SiteDirectory* sites = nullptr;
    DashboardSource* source = nullptr;
    DashboardHub* hub = nullptr;
    server::Metrics* metrics = nullptr;
    // Whether Redis answers now (for /healthz and lf_redis_up at scrape time); may be null.
    std::function<bool()> redis_up;
    // The JSON transcoder of the /api/v1/<service>/<method> routes; null = no such routes.
    const JsonApi* api = nullptr;
    // Verifies tokens for /api/v1/me; null = no such route.
    const auth::TokenVerifier* verifier = nullptr;
    // Reads the stock for GET /api/v1/dashboard/supplies (supplies_tile.h); null = no such
    // route.
    const SuppliesReader* supplies = nullptr;
  };

  HttpGateway(Options options, Deps deps);
  ~HttpGateway();  // Stop()
  HttpGateway(const HttpGateway&) = delete;
  HttpGateway& operator=(const HttpGateway&) = delete;

  // Binds and starts serving in the background. INVALID_ARGUMENT for a bad address or
  // unusable TLS files; UNAVAILABLE naming the address when it cannot be bound;
  // FAILED_PRECONDITION when called twice.
  absl::Status Start();

  // The bound port (after Start).
  int port() const;

  // Ends every open event stream (dashboard and API), stops listening and joins the threads.
  // Idempotent.
  void Stop();

  // Open event streams now.
  int open_streams() const { return open_streams_.load(); }

  // Open connections now, and connections refused by the caps / dropped by a time limit /
  // streams dropped as too slow so far.
  struct ConnectionStats {
    int64_t open = 0;
    int64_t refused = 0;
    int64_t timed_out = 0;
    int64_t slow_streams = 0;
  };
  ConnectionStats connection_stats() const;

  // The bound on API requests in flight: requests holding a slot now, and refused so far.
  const server::InflightLimit& api_inflight() const { return api_inflight_; }
  // The same for the calls made without a token (Options::max_anonymous_inflight).
  const server::InflightLimit& anonymous_inflight() const { return anonymous_inflight_; }

  class Stream;        // one open dashboard event stream (defined in the .cc)
  class ApiStream;     // one open JSON API event stream (defined in the .cc)
  class RouteMetrics;  // per-route counts and latencies (defined in the .cc)
  class FanOut;        // formats dashboard snapshots for the streams (defined in the .cc)

 private:
  void Handle(std::shared_ptr<http::Exchange> exchange);
  bool HandleApi(const std::shared_ptr<http::Exchange>& exchange, absl::Time start);
  void ServeEvents(const std::shared_ptr<http::Exchange>& exchange, absl::Time start);
  // Serves a server-streaming method as Server-Sent Events.
  void ServeApiStream(const std::shared_ptr<http::Exchange>& exchange,
                      const JsonApi::Method& method, const google::protobuf::Message& request,
                      const std::string& token, const std::string& route, absl::Time start);
  // Answers with `res` and records it under `route`.
  void Reply(http::Exchange& exchange, const std::string& route, absl::Time start,
             http::Response res);
  // The answer to a request refused for want of a slot of api_inflight_ (429).
  http::Response Overloaded();
  // POST /api/v1/qr.svg {"text": "..."}: the text as a QR code (SVG); for ADMIN and LEADER.
  // The text travels in the body, so it reaches no URL and no log.
  http::Response QrOfText(const http::Request& req);
  int MaxStreams() const;
  // Sets the HTTP side's gauges (and lf_redis_up) in deps_.metrics: the registry's collector.
  void UpdateMetricsGauges();

  const Options options_;
  const Deps deps_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<RouteMetrics> route_metrics_;
  std::unique_ptr<FanOut> fan_out_;
  std::atomic<int> open_streams_{0};
  std::atomic<int> unary_calls_{0};  // JSON API calls waiting for their service
  server::InflightLimit api_inflight_;
  server::InflightLimit anonymous_inflight_;
  int metrics_collector_ = 0;  // 0 = none

  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::set<std::shared_ptr<Stream>> streams_ ABSL_GUARDED_BY(mu_);
  std::set<std::shared_ptr<ApiStream>> api_streams_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lianfang::gateway

#endif  // LIANFANG_SERVICES_GATEWAY_HTTP_GATEWAY_H_
