// HttpGateway: the gateway's HTTP side (cpp-httplib), on its own threads next to gRPC.
//
//   GET /                          the web dashboard page (public: it holds no data)
//   GET /app.js, /app.css          its script and style (embedded in the binary)
//   GET /api/v1/dashboard          the Dashboard in protobuf's JSON mapping (zeros written
//                                  out); ?site_ids=a,b
//   GET /api/v1/dashboard/events   Server-Sent Events: one `data:` line with a JSON Dashboard
//                                  per event, a snapshot at once and one within a second of any
//                                  change; `: keep-alive` comments while quiet; ?site_ids=a,b
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
// Each open event stream holds one HTTP worker thread (cpp-httplib is thread-per-connection),
// so streams are capped at `max_streams`, below `threads`, leaving workers for everything
// else; beyond the cap the events route answers 503.
//
// Admission, as on the gRPC side (common/server/admission.h): the API requests other than event
// streams (/api/v1/dashboard, /api/v1/me, the QR codes and the JSON API's unary methods) hold
// a slot of `max_inflight` (LF_MAX_INFLIGHT) while they are handled; when none is free the
// answer is at once 429 with the JSON error {"code": "RESOURCE_EXHAUSTED", ...} (the JSON
// API's mapping of the gRPC code a busy server sheds with) and `Retry-After: 1`, before the
// token is looked at. The pages, /healthz and /metrics never take a slot: a saturated gateway
// still answers its probes.
//
// Thread-safety: Start/Stop from one thread; everything else is internal.
#ifndef LIANFANG_SERVICES_GATEWAY_HTTP_GATEWAY_H_
#define LIANFANG_SERVICES_GATEWAY_HTTP_GATEWAY_H_

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>

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

namespace httplib {
class Server;
struct Response;
}  // namespace httplib

namespace lianfang::gateway {

class HttpGateway final {
 public:
  struct Options {
    // "host:port" or "[v6]:port"; port 0 picks a free port (see port()).
    std::string listen = "127.0.0.1:8080";
    // Worker threads (one per open connection).
    int threads = 32;
    // Event streams at once; 0 = threads - 8.
    int max_streams = 0;
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
  int port() const { return port_; }

  // Ends every open event stream (dashboard and API), stops listening and joins the threads. Idempotent.
  void Stop();

  // Open event streams now.
  int open_streams() const { return open_streams_.load(); }

  // The bound on API requests in flight: requests holding a slot now, and refused so far.
  const server::InflightLimit& api_inflight() const { return api_inflight_; }

  class Stream;       // one open event stream (defined in the .cc)
  class RouteMetrics;  // per-route counts and latencies (defined in the .cc)

 private:
  void Route();
  void RouteApi();
  // Serves a server-streaming method as Server-Sent Events.
  void ServeApiStream(const JsonApi::Method& method, const google::protobuf::Message& request,
                      const std::string& token, httplib::Response& res);
  // Answers a request refused for want of a slot of api_inflight_ (429 RESOURCE_EXHAUSTED).
  void WriteOverloaded(httplib::Response& res);

  const Options options_;
  const Deps deps_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<RouteMetrics> route_metrics_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> open_streams_{0};
  std::atomic<bool> listener_done_{false};
  server::InflightLimit api_inflight_;

  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::set<Stream*> streams_ ABSL_GUARDED_BY(mu_);
  std::set<JsonApi::Stream*> api_streams_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lianfang::gateway

#endif  // LIANFANG_SERVICES_GATEWAY_HTTP_GATEWAY_H_
