#include "services/gateway/http_gateway.h"

#include <array>
#include <condition_variable>
#include <deque>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/logging/logging.h"
#include "common/server/errors.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/gateway/dashboard_view.h"
#include "services/gateway/supplies_tile.h"
#include "services/gateway/gateway_service.h"
#include "services/gateway/http_server.h"
#include "services/gateway/qr_svg.h"
#include "services/gateway/web_assets.h"

namespace lianfang::gateway {
namespace {

// Route labels of the metrics: the fixed routes, and "other" for anything else, so hostile
// paths cannot grow the registry.
constexpr char kRouteHealth[] = "/healthz";
constexpr char kRouteMetrics[] = "/metrics";
constexpr char kRouteDashboard[] = "/api/v1/dashboard";
constexpr char kRouteEvents[] = "/api/v1/dashboard/events";
constexpr char kRouteSupplies[] = "/api/v1/dashboard/supplies";
constexpr char kRouteOther[] = "other";
constexpr char kRouteMe[] = "/api/v1/me";
constexpr char kRouteQr[] = "/api/v1/passes/{code}/qr.svg";
constexpr char kRouteApiUnknown[] = "/api/v1/{unknown}";
constexpr char kRouteQrText[] = "/api/v1/qr.svg";

// Who may have a text drawn as a QR code (activation and enrollment links): whoever makes
// enrollment codes (ADMIN, LEADER).
constexpr char kCreateEnrollment[] = "/lianfang.accounts.v1.AccountsService/CreateEnrollment";

// Who may see a pass's QR code: whoever may read passes.
constexpr char kListPasses[] = "/lianfang.gate.v1.GateService/ListPasses";

constexpr char kJson[] = "application/json; charset=utf-8";

// The page may load its own script and style and talk to its own origin; nothing else.
constexpr char kPagePolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

// The first chunk of every event stream also tells the browser how soon to reconnect.
constexpr char kGreeting[] = "retry: 3000\n\n";

constexpr int kDefaultMaxStreams = 10000;

std::string JsonOf(const google::protobuf::Message& message) { return MessageJson(message); }

http::Response ErrorResponse(const absl::Status& status) {
  http::Response res;
  res.status = HttpStatusOf(status.code());
  if (res.status == 401) res.SetHeader("WWW-Authenticate", "Bearer realm=\"lianfang\"");
  res.SetHeader("Cache-Control", "no-store");
  res.content_type = kJson;
  res.body = ErrorJson(status);
  return res;
}

http::Response JsonResponse(std::string body) {
  http::Response res;
  res.status = 200;
  res.SetHeader("Cache-Control", "no-store");
  res.content_type = kJson;
  res.body = std::move(body);
  return res;
}

// ?site_ids=a,b (also repeated: ?site_ids=a&site_ids=b); empty items are ignored.
std::vector<std::string> RequestedSites(const http::Request& req) {
  std::vector<std::string> ids;
  for (const std::string& value : req.Params("site_ids")) {
    for (absl::string_view id : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      ids.emplace_back(id);
    }
  }
  return ids;
}

// The caller's `authorization` header, or for event streams (EventSource cannot set headers)
// `?access_token=`.
std::string AuthorizationOf(const http::Request& req, bool allow_query) {
  std::string header = req.Header("Authorization");
  if (header.empty() && allow_query && req.HasParam("access_token")) {
    header = absl::StrCat("Bearer ", req.Param("access_token"));
  }
  return header;
}

// A slot of the API bound (HttpGateway::Options::max_inflight), held while one request is
// handled; admitted() is false when the bound was reached (nothing to give back then).
class ApiSlot final {
 public:
  explicit ApiSlot(server::InflightLimit& limit) : limit_(limit.TryAcquire() ? &limit : nullptr) {}
  ~ApiSlot() {
    if (limit_ != nullptr) limit_->Release();
  }
  ApiSlot(const ApiSlot&) = delete;
  ApiSlot& operator=(const ApiSlot&) = delete;

  bool admitted() const { return limit_ != nullptr; }

 private:
  server::InflightLimit* const limit_;
};

google::protobuf::Value JsonValue(const std::string& json) {
  google::protobuf::Value value;
  (void)google::protobuf::util::JsonStringToMessage(json, &value);
  return value;
}

// "/api/v1/<service>/<method>" with the characters of the old route pattern; false otherwise.
bool SplitApiPath(absl::string_view path, std::string* service, std::string* method) {
  if (!absl::ConsumePrefix(&path, "/api/v1/")) return false;
  const std::vector<absl::string_view> parts = absl::StrSplit(path, '/');
  if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) return false;
  for (char c : parts[0]) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.') return false;
  }
  for (char c : parts[1]) {
    if (!absl::ascii_isalnum(c) && c != '_') return false;
  }
  *service = std::string(parts[0]);
  *method = std::string(parts[1]);
  return true;
}

// The status a server-side refusal (http_server.h) stands for.
absl::Status StatusOfHttp(int status, const std::string& message) {
  switch (status) {
    case 404:
      return absl::NotFoundError(message);
    case 408:
      return absl::DeadlineExceededError(message);
    case 413:
      return absl::ResourceExhaustedError(message);
    case 500:
      return absl::InternalError(message);
    case 503:
      return absl::UnavailableError(message);
    default:
      return absl::InvalidArgumentError(message);
  }
}

}  // namespace

// Per-route request counts (by status code) and latency histograms, rendered next to the
// process registry. Routes come from a fixed set, so the series are bounded.
class HttpGateway::RouteMetrics final {
 public:
  void Record(absl::string_view route, int code, absl::Duration latency) {
    const double seconds = absl::ToDoubleSeconds(latency);
    absl::MutexLock lock(&mu_);
    ++counts_[{std::string(route), code}];
    Histogram& h = histograms_[std::string(route)];
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      if (seconds <= kBuckets[i]) ++h.buckets[i];
    }
    ++h.count;
    h.sum += seconds;
  }

  std::string Render() const {
    absl::MutexLock lock(&mu_);
    std::string out;
    if (counts_.empty()) return out;
    absl::StrAppend(&out,
                    "# HELP lf_http_requests_total HTTP requests handled, by route and status\n"
                    "# TYPE lf_http_requests_total counter\n");
    for (const auto& [key, count] : counts_) {
      absl::StrAppend(&out, "lf_http_requests_total{route=\"", key.first, "\",code=\"", key.second,
                      "\"} ", count, "\n");
    }
    absl::StrAppend(&out,
                    "# HELP lf_http_request_duration_seconds Time to handle an HTTP request "
                    "(event streams: until the stream is set up)\n"
                    "# TYPE lf_http_request_duration_seconds histogram\n");
    for (const auto& [route, h] : histograms_) {
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        absl::StrAppend(&out, "lf_http_request_duration_seconds_bucket{route=\"", route, "\",le=\"",
                        kBuckets[i], "\"} ", h.buckets[i], "\n");
      }
      absl::StrAppend(&out, "lf_http_request_duration_seconds_bucket{route=\"", route,
                      "\",le=\"+Inf\"} ", h.count, "\n");
      absl::StrAppend(&out, "lf_http_request_duration_seconds_sum{route=\"", route, "\"} ", h.sum,
                      "\n");
      absl::StrAppend(&out, "lf_http_request_duration_seconds_count{route=\"", route, "\"} ",
                      h.count, "\n");
    }
    return out;
  }

 private:
  static constexpr auto kBuckets = server::Metrics::kLatencyBucketsSeconds;
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};  // cumulative: seconds <= bound
    uint64_t count = 0;
    double sum = 0;
  };
  mutable absl::Mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> counts_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Histogram> histograms_ ABSL_GUARDED_BY(mu_);
};

// Formats dashboard snapshots for the open streams on one thread of its own: the hub only
// hands a stream its latest snapshot (Offer, under the hub's lock), and this thread cuts it to
// the stream's sites, prints it (once per distinct site list and snapshot) and queues it on
// the stream's connection, which the I/O threads write.
class HttpGateway::FanOut final {
 public:
  FanOut() : thread_([this] { Run(); }) {}
  ~FanOut() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    thread_.join();
  }

  void Schedule(std::shared_ptr<Stream> stream) {
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(stream));
  }

  // The JSON of `snapshot` cut to `site_ids` (this thread only).
  const std::string& Json(const std::shared_ptr<const Dashboard>& snapshot,
                          const std::vector<std::string>& site_ids) {
    const std::string key = absl::StrJoin(site_ids, ",");
    if (cache_.size() > 1000) cache_.clear();
    auto& [cached, json] = cache_[key];
    if (cached != snapshot) {
      json = JsonOf(ViewOf(*snapshot, site_ids));
      cached = snapshot;
    }
    return json;
  }

 private:
  void Run();

  absl::Mutex mu_;
  std::deque<std::shared_ptr<Stream>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, std::pair<std::shared_ptr<const Dashboard>, std::string>> cache_;
  std::thread thread_;
};

// One open dashboard event stream: the hub offers snapshots, the fan-out thread sends the
// latest one (a slow client skips old ones; one too slow is dropped by the server).
class HttpGateway::Stream final : public DashboardHub::Watcher,
                                  public std::enable_shared_from_this<Stream> {
 public:
  Stream(std::vector<std::string> site_ids, FanOut* fan_out)
      : site_ids_(std::move(site_ids)), fan_out_(fan_out) {}

  void Offer(std::shared_ptr<const Dashboard> snapshot) override {
    {
      absl::MutexLock lock(&mu_);
      pending_ = std::move(snapshot);
      if (queued_ || sink_ == nullptr) return;
      queued_ = true;
    }
    fan_out_->Schedule(shared_from_this());
  }

  void Close() override {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    if (sink_ != nullptr) sink_->End();
  }

  // The response is open: greets the client and sends what waits.
  void Attach(std::shared_ptr<http::EventSink> sink) {
    sink->Write(kGreeting);
    bool schedule = false;
    {
      absl::MutexLock lock(&mu_);
      sink_ = sink;
      if (closed_) {
        sink_->End();
        return;
      }
      if (pending_ != nullptr && !queued_) schedule = queued_ = true;
    }
    if (schedule) fan_out_->Schedule(shared_from_this());
  }

  void End() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    if (sink_ != nullptr) sink_->End();
  }

  // On the fan-out thread: sends the latest snapshot.
  void Flush() {
    std::shared_ptr<const Dashboard> snapshot;
    std::shared_ptr<http::EventSink> sink;
    {
      absl::MutexLock lock(&mu_);
      queued_ = false;
      snapshot = std::move(pending_);
      sink = sink_;
    }
    if (snapshot == nullptr || sink == nullptr) return;
    // JSON without whitespace has no line breaks: one data line per event.
    sink->Write(absl::StrCat("data: ", fan_out_->Json(snapshot, site_ids_), "\n\n"));
  }

 private:
  const std::vector<std::string> site_ids_;
  FanOut* const fan_out_;
  absl::Mutex mu_;
  std::shared_ptr<const Dashboard> pending_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<http::EventSink> sink_ ABSL_GUARDED_BY(mu_);
  bool queued_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

void HttpGateway::FanOut::Run() {
  while (true) {
    std::deque<std::shared_ptr<Stream>> batch;
    {
      absl::MutexLock lock(&mu_);
      const auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      batch.swap(queue_);
    }
    for (const std::shared_ptr<Stream>& stream : batch) stream->Flush();
  }
}

// One open JSON API event stream: the gRPC call pushes its messages to the connection.
class HttpGateway::ApiStream final {
 public:
  void Set(std::shared_ptr<JsonApi::Stream> call) {
    absl::MutexLock lock(&mu_);
    call_ = std::move(call);
    if (cancelled_) call_->Cancel();
  }
  void Cancel() {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    if (call_ != nullptr) call_->Cancel();
  }

 private:
  absl::Mutex mu_;
  std::shared_ptr<JsonApi::Stream> call_ ABSL_GUARDED_BY(mu_);
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

HttpGateway::HttpGateway(Options options, Deps deps)
    : options_(std::move(options)),
      deps_(std::move(deps)),
      route_metrics_(std::make_unique<RouteMetrics>()),
      api_inflight_(options_.max_inflight),
      anonymous_inflight_(options_.max_anonymous_inflight) {
  // The HTTP side's gauges are set at each render of the registry, wherever it is served (here
  // and on LF_METRICS_LISTEN).
  if (deps_.metrics != nullptr) {
    metrics_collector_ = deps_.metrics->AddCollector([this] { UpdateMetricsGauges(); });
  }
}

HttpGateway::~HttpGateway() {
  if (metrics_collector_ != 0) deps_.metrics->RemoveCollector(metrics_collector_);
  Stop();
}

void HttpGateway::UpdateMetricsGauges() {
  if (deps_.redis_up != nullptr) {
    deps_.metrics->GetGauge("lf_redis_up", "1 when Redis answered the last call")
        ->Set(deps_.redis_up() ? 1 : 0);
  }
  deps_.metrics->GetGauge("lf_gateway_http_streams", "Server-Sent Events streams open")
      ->Set(open_streams_.load());
  deps_.metrics
      ->GetGauge("lf_gateway_http_inflight",
                 "HTTP API requests being handled (bounded by LF_MAX_INFLIGHT)")
      ->Set(static_cast<double>(api_inflight_.inflight()));
  const ConnectionStats c = connection_stats();
  deps_.metrics->GetGauge("lf_gateway_http_connections", "HTTP connections open")
      ->Set(static_cast<double>(c.open));
  deps_.metrics
      ->GetGauge("lf_gateway_http_refused_connections",
                 "HTTP connections refused by the connection caps so far")
      ->Set(static_cast<double>(c.refused));
  deps_.metrics
      ->GetGauge("lf_gateway_http_timed_out_connections",
                 "HTTP connections dropped by a time limit so far")
      ->Set(static_cast<double>(c.timed_out));
  deps_.metrics
      ->GetGauge("lf_gateway_http_slow_streams",
                 "event streams dropped because their reader fell behind, so far")
      ->Set(static_cast<double>(c.slow_streams));
}

int HttpGateway::MaxStreams() const {
  return options_.max_streams > 0 ? options_.max_streams : kDefaultMaxStreams;
}

HttpGateway::ConnectionStats HttpGateway::connection_stats() const {
  if (server_ == nullptr) return {};
  const http::Server::Stats s = server_->stats();
  return {.open = s.connections,
          .refused = s.refused,
          .timed_out = s.timed_out,
          .slow_streams = s.slow_streams};
}

http::Response HttpGateway::Overloaded() {
  if (deps_.metrics != nullptr) {
    deps_.metrics
        ->GetCounter("lf_gateway_http_shed_total",
                     "HTTP API requests refused at once because LF_MAX_INFLIGHT were in flight")
        ->Increment();
  }
  http::Response res = ErrorResponse(server::OverloadedStatus());
  res.SetHeader("Retry-After", "1");
  return res;
}

void HttpGateway::Reply(http::Exchange& exchange, const std::string& route, absl::Time start,
                        http::Response res) {
  route_metrics_->Record(route, res.status, absl::Now() - start);
  exchange.Respond(std::move(res));
}

absl::Status HttpGateway::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (started_ || stopping_) {
      return absl::FailedPreconditionError("the HTTP server was already started");
    }
    started_ = true;
  }
  http::Server::Options o;
  o.listen = options_.listen;
  o.io_threads = std::max(1, options_.io_threads);
  o.worker_threads = std::max(2, options_.threads);
  o.tls_cert_file = options_.tls_cert_file;
  o.tls_key_file = options_.tls_key_file;
  o.max_body_bytes = options_.max_body_bytes;
  o.header_timeout = options_.header_timeout;
  o.body_timeout = options_.body_timeout;
  o.idle_timeout = options_.idle_timeout;
  o.write_timeout = options_.write_timeout;
  o.max_connections = options_.max_connections;
  o.max_connections_per_client = options_.max_connections_per_client;
  o.stream_keepalive = options_.keepalive;
  o.max_stream_buffer = options_.max_stream_buffer;
  o.default_headers = {{"X-Content-Type-Options", "nosniff"},
                       {"Referrer-Policy", "no-referrer"},
                       {"X-Frame-Options", "DENY"}};
  o.error_body = [this](int status, const std::string& message) {
    http::Response res = ErrorResponse(StatusOfHttp(status, message));
    res.status = status;
    route_metrics_->Record(kRouteOther, status, absl::ZeroDuration());
    return res;
  };
  // One log line per request, without the query string (it may hold a token).
  o.logger = [](const http::Request& req, int code) {
    const bool api = absl::StartsWith(req.path, "/api/");
    // Paths of unknown routes are caller input: bounded in the log. Pass codes admit people:
    // they stay out of the log.
    const absl::string_view path = absl::StartsWith(req.path, "/api/v1/passes/")
                                       ? absl::string_view(kRouteQr)
                                       : absl::string_view(req.path).substr(0, 200);
    logging::Log(api || code >= 400 ? logging::Level::kInfo : logging::Level::kDebug,
                 "http request", {},
                 {{"http_method", absl::string_view(req.method).substr(0, 16)},
                  {"path", path},
                  {"status", absl::StrCat(code)}});
  };
  fan_out_ = std::make_unique<FanOut>();
  server_ = std::make_unique<http::Server>(
      std::move(o), [this](std::shared_ptr<http::Exchange> ex) { Handle(std::move(ex)); });
  if (absl::Status s = server_->Start(); !s.ok()) return s;
  logging::Info("http listening", {},
                {{"address", options_.listen}, {"port", absl::StrCat(server_->port())}});
  return absl::OkStatus();
}

int HttpGateway::port() const { return server_ == nullptr ? 0 : server_->port(); }

void HttpGateway::Stop() {
  std::vector<std::shared_ptr<Stream>> streams;
  std::vector<std::shared_ptr<ApiStream>> api_streams;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    streams.assign(streams_.begin(), streams_.end());
    api_streams.assign(api_streams_.begin(), api_streams_.end());
  }
  // Open streams end properly (the last chunk), then every connection closes.
  for (const auto& stream : streams) stream->End();
  for (const auto& stream : api_streams) stream->Cancel();
  if (server_ != nullptr) server_->Stop();
  // Calls still waiting for a service answer within their deadline; their callbacks use this.
  while (unary_calls_.load() > 0) absl::SleepFor(absl::Milliseconds(5));
  fan_out_.reset();
}

void HttpGateway::Handle(std::shared_ptr<http::Exchange> exchange) {
  const absl::Time start = absl::Now();
  const http::Request& req = exchange->request();
  const bool get = req.method == "GET" || req.method == "HEAD";

  if (get) {
    if (const WebAsset* asset = FindWebAsset(req.path)) {
      http::Response res;
      res.SetHeader("Cache-Control", "no-cache");
      if (absl::StartsWith(asset->content_type, "text/html")) {
        res.SetHeader("Content-Security-Policy", kPagePolicy);
      }
      res.content_type = std::string(asset->content_type);
      res.body = std::string(asset->body);
      return Reply(*exchange, std::string(asset->path), start, std::move(res));
    }
    if (req.path == kRouteHealth) {
      const bool redis = deps_.redis_up == nullptr || deps_.redis_up();
      return Reply(*exchange, kRouteHealth, start,
                   JsonResponse(absl::StrCat("{\"status\":\"ok\",\"redis\":\"",
                                             redis ? "up" : "down", "\"}")));
    }
    if (req.path == kRouteMetrics) {
      std::string text;
      if (deps_.metrics != nullptr) {
        text = deps_.metrics->RenderPrometheus();
      }
      text += route_metrics_->Render();
      http::Response res;
      res.content_type = "text/plain; version=0.0.4; charset=utf-8";
      res.body = std::move(text);
      return Reply(*exchange, kRouteMetrics, start, std::move(res));
    }
    if (req.path == kRouteDashboard) {
      const ApiSlot slot(api_inflight_);
      if (!slot.admitted()) return Reply(*exchange, kRouteDashboard, start, Overloaded());
      absl::StatusOr<auth::Principal> who =
          deps_.authorizer->Authorize(kGetDashboard, req.Header("Authorization"));
      if (!who.ok()) return Reply(*exchange, kRouteDashboard, start, ErrorResponse(who.status()));
      absl::StatusOr<std::vector<std::string>> ids =
          SelectSites(*deps_.sites, *who, RequestedSites(req));
      if (!ids.ok()) return Reply(*exchange, kRouteDashboard, start, ErrorResponse(ids.status()));
      const Dashboard dashboard = deps_.source->Read(*ids);
      return Reply(*exchange, kRouteDashboard, start, JsonResponse(JsonOf(dashboard)));
    }
    if (req.path == kRouteSupplies && deps_.supplies != nullptr) {
      // The supplies tile: who may read the dashboard sees its sites' low stock and nearest
      // expiry, read with the gateway's SERVICE token.
      const ApiSlot slot(api_inflight_);
      if (!slot.admitted()) return Reply(*exchange, kRouteSupplies, start, Overloaded());
      absl::StatusOr<auth::Principal> who =
          deps_.authorizer->Authorize(kGetDashboard, req.Header("Authorization"));
      if (!who.ok()) return Reply(*exchange, kRouteSupplies, start, ErrorResponse(who.status()));
      absl::StatusOr<std::vector<std::string>> ids =
          SelectSites(*deps_.sites, *who, RequestedSites(req));
      if (!ids.ok()) return Reply(*exchange, kRouteSupplies, start, ErrorResponse(ids.status()));
      return Reply(*exchange, kRouteSupplies, start,
                   JsonResponse(MessageJson(
                       SuppliesTileOf(deps_.supplies->Read(), *ids, *deps_.sites))));
    }
    if (req.path == kRouteEvents) return ServeEvents(exchange, start);
    if (req.path == kRouteMe && deps_.verifier != nullptr) {
      const ApiSlot slot(api_inflight_);
      if (!slot.admitted()) return Reply(*exchange, kRouteMe, start, Overloaded());
      const std::string header = req.Header("Authorization");
      absl::StatusOr<absl::string_view> token = auth::BearerToken(header);
      if (!token.ok()) return Reply(*exchange, kRouteMe, start, ErrorResponse(token.status()));
      absl::StatusOr<auth::Principal> who = deps_.verifier->Verify(*token);
      if (!who.ok()) return Reply(*exchange, kRouteMe, start, ErrorResponse(who.status()));
      google::protobuf::Struct body;
      auto& f = *body.mutable_fields();
      f["subject"].set_string_value(who->subject);
      f["name"].set_string_value(who->name);
      f["role"].set_string_value(std::string(auth::RoleName(who->role)));
      auto* sites = f["sites"].mutable_list_value();
      for (const common::v1::Site& site : deps_.sites->sites()) {
        if (who->MayActOnSite(site.id())) *sites->add_values() = JsonValue(MessageJson(site));
      }
      return Reply(*exchange, kRouteMe, start, JsonResponse(MessageJson(body)));
    }
    absl::string_view rest = req.path;
    if (absl::ConsumePrefix(&rest, "/api/v1/passes/") && absl::ConsumeSuffix(&rest, "/qr.svg") &&
        !rest.empty() && !absl::StrContains(rest, '/')) {
      const ApiSlot slot(api_inflight_);
      if (!slot.admitted()) return Reply(*exchange, kRouteQr, start, Overloaded());
      absl::StatusOr<auth::Principal> who =
          deps_.authorizer->Authorize(kListPasses, req.Header("Authorization"));
      if (!who.ok()) return Reply(*exchange, kRouteQr, start, ErrorResponse(who.status()));
      const std::string code(rest);
      if (!IsPlausiblePassCode(code)) {
        return Reply(*exchange, kRouteQr, start,
                     ErrorResponse(server::InvalidField("pass_code", "not a pass code")));
      }
      absl::StatusOr<std::string> svg = QrSvg(code);
      if (!svg.ok()) return Reply(*exchange, kRouteQr, start, ErrorResponse(svg.status()));
      http::Response res;
      res.SetHeader("Cache-Control", "no-store");
      res.SetHeader("Content-Disposition",
                    absl::StrCat("inline; filename=\"pass-", code, ".svg\""));
      res.content_type = "image/svg+xml";
      res.body = *std::move(svg);
      return Reply(*exchange, kRouteQr, start, std::move(res));
    }
  }
  if (req.method == "POST" && req.path == kRouteQrText) {
    return Reply(*exchange, kRouteQrText, start, QrOfText(req));
  }
  if ((req.method == "GET" || req.method == "POST") && HandleApi(exchange, start)) return;
  // Unknown paths get a JSON error too.
  Reply(*exchange, kRouteOther, start, ErrorResponse(absl::NotFoundError("no such page")));
}

http::Response HttpGateway::QrOfText(const http::Request& req) {
  const ApiSlot slot(api_inflight_);
  if (!slot.admitted()) return Overloaded();
  absl::StatusOr<auth::Principal> who =
      deps_.authorizer->Authorize(kCreateEnrollment, req.Header("Authorization"));
  if (!who.ok()) return ErrorResponse(who.status());
  google::protobuf::Struct body;
  if (!google::protobuf::util::JsonStringToMessage(req.body, &body).ok()) {
    return ErrorResponse(absl::InvalidArgumentError("the body must be a JSON object {\"text\"}"));
  }
  const auto it = body.fields().find("text");
  if (it == body.fields().end() || !it->second.has_string_value() ||
      it->second.string_value().empty() || it->second.string_value().size() > 256) {
    return ErrorResponse(server::InvalidField("text", "is required, at most 256 bytes"));
  }
  absl::StatusOr<std::string> svg = QrSvg(it->second.string_value());
  if (!svg.ok()) return ErrorResponse(svg.status());
  http::Response res;
  res.SetHeader("Cache-Control", "no-store");
  res.content_type = "image/svg+xml";
  res.body = *std::move(svg);
  return res;
}

void HttpGateway::ServeEvents(const std::shared_ptr<http::Exchange>& exchange, absl::Time start) {
  const http::Request& req = exchange->request();
  absl::StatusOr<auth::Principal> who =
      deps_.authorizer->Authorize(kWatchDashboard, AuthorizationOf(req, /*allow_query=*/true));
  if (!who.ok()) return Reply(*exchange, kRouteEvents, start, ErrorResponse(who.status()));
  absl::StatusOr<std::vector<std::string>> ids =
      SelectSites(*deps_.sites, *who, RequestedSites(req));
  if (!ids.ok()) return Reply(*exchange, kRouteEvents, start, ErrorResponse(ids.status()));

  auto stream = std::make_shared<Stream>(*std::move(ids), fan_out_.get());
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      return Reply(*exchange, kRouteEvents, start,
                   ErrorResponse(absl::UnavailableError("the gateway is shutting down")));
    }
    if (static_cast<int>(streams_.size() + api_streams_.size()) >= MaxStreams()) {
      http::Response res = ErrorResponse(
          absl::UnavailableError("too many live dashboard streams are open; retry later"));
      res.SetHeader("Retry-After", "5");
      return Reply(*exchange, kRouteEvents, start, std::move(res));
    }
    if (absl::Status s = deps_.hub->Add(stream.get()); !s.ok()) {
      return Reply(*exchange, kRouteEvents, start, ErrorResponse(s));
    }
    streams_.insert(stream);
    ++open_streams_;
  }
  http::Response head;
  head.SetHeader("Cache-Control", "no-store");
  head.SetHeader("X-Accel-Buffering", "no");
  route_metrics_->Record(kRouteEvents, 200, absl::Now() - start);
  std::shared_ptr<http::EventSink> sink = exchange->Stream(std::move(head), [this, stream] {
    deps_.hub->Remove(stream.get());
    absl::MutexLock lock(&mu_);
    if (streams_.erase(stream) > 0) --open_streams_;
  });
  stream->Attach(std::move(sink));
}

bool HttpGateway::HandleApi(const std::shared_ptr<http::Exchange>& exchange, absl::Time start) {
  const http::Request& req = exchange->request();
  std::string service_name;
  std::string method_name;
  if (deps_.api == nullptr || !SplitApiPath(req.path, &service_name, &method_name)) return false;
  const bool get = req.method == "GET";
  absl::StatusOr<const JsonApi::Method*> method = deps_.api->Find(service_name, method_name);
  if (!method.ok()) {
    Reply(*exchange, kRouteApiUnknown, start, ErrorResponse(method.status()));
    return true;
  }
  const JsonApi::Method& m = **method;
  const std::string route = absl::StrCat("/api/v1", m.grpc_name);
  // Signing in needs no token; such calls have a bound of their own, so that a flood of them
  // never takes the slots of the gates' calls.
  const bool anonymous = !m.server_streaming && deps_.authorizer->IsAnonymous(m.grpc_name);
  // Unary calls hold a slot until answered; streams are bounded by max_streams instead.
  std::shared_ptr<ApiSlot> slot;
  if (!m.server_streaming) {
    slot = std::make_shared<ApiSlot>(anonymous ? anonymous_inflight_ : api_inflight_);
    if (!slot->admitted()) {
      Reply(*exchange, route, start, Overloaded());
      return true;
    }
  }
  if (get && !m.server_streaming) {
    http::Response res = ErrorResponse(
        absl::InvalidArgumentError("unary methods take POST with the request as a JSON body"));
    res.status = 405;
    res.SetHeader("Allow", "POST");
    Reply(*exchange, route, start, std::move(res));
    return true;
  }
  // The token first: a caller without one learns nothing else. The anonymous methods take
  // none (a header sent anyway is not forwarded).
  const std::string header =
      anonymous ? std::string() : AuthorizationOf(req, /*allow_query=*/m.server_streaming);
  absl::StatusOr<absl::string_view> token = absl::string_view();
  if (!anonymous) {
    token = auth::BearerToken(header);
    if (!token.ok()) {
      Reply(*exchange, route, start, ErrorResponse(token.status()));
      return true;
    }
    absl::StatusOr<auth::Principal> who = deps_.authorizer->Authorize(m.grpc_name, header);
    if (!who.ok()) {
      Reply(*exchange, route, start, ErrorResponse(who.status()));
      return true;
    }
  }
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> request =
      get ? deps_.api->RequestFromQuery(m, req.params, {"access_token"})
          : deps_.api->ParseRequest(m, req.body);
  if (!request.ok()) {
    Reply(*exchange, route, start, ErrorResponse(request.status()));
    return true;
  }
  if (m.server_streaming) {
    ServeApiStream(exchange, m, **request, std::string(*token), route, start);
    return true;
  }
  ++unary_calls_;
  deps_.api->CallUnaryAsync(
      m, **request, *token,
      [this, ex = exchange, slot, route, start](absl::StatusOr<std::string> json) mutable {
        slot.reset();  // the slot is free once the service answered
        Reply(*ex, route, start,
              json.ok() ? JsonResponse(*std::move(json)) : ErrorResponse(json.status()));
        ex.reset();
        --unary_calls_;  // last: Stop() waits for this
      },
      req.client);
  return true;
}

void HttpGateway::ServeApiStream(const std::shared_ptr<http::Exchange>& exchange,
                                 const JsonApi::Method& method,
                                 const google::protobuf::Message& request, const std::string& token,
                                 const std::string& route, absl::Time start) {
  auto stream = std::make_shared<ApiStream>();
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      return Reply(*exchange, route, start,
                   ErrorResponse(absl::UnavailableError("the gateway is shutting down")));
    }
    if (static_cast<int>(streams_.size() + api_streams_.size()) >= MaxStreams()) {
      http::Response res =
          ErrorResponse(absl::UnavailableError("too many live streams are open; retry later"));
      res.SetHeader("Retry-After", "5");
      return Reply(*exchange, route, start, std::move(res));
    }
    api_streams_.insert(stream);
    ++open_streams_;
  }
  http::Response head;
  head.SetHeader("Cache-Control", "no-store");
  head.SetHeader("X-Accel-Buffering", "no");
  route_metrics_->Record(route, 200, absl::Now() - start);
  std::shared_ptr<http::EventSink> sink = exchange->Stream(std::move(head), [this, stream] {
    stream->Cancel();
    absl::MutexLock lock(&mu_);
    if (api_streams_.erase(stream) > 0) --open_streams_;
  });
  // At once, so the client knows the stream is open before the first message.
  sink->Write(kGreeting);
  std::weak_ptr<ApiStream> weak = stream;
  stream->Set(deps_.api->OpenStream(
      method, request, token,
      [sink, weak](std::string json) {
        // JSON without whitespace has no line breaks: one data line per event.
        if (!sink->Write(absl::StrCat("data: ", json, "\n\n"))) {
          if (auto s = weak.lock()) s->Cancel();  // the client is gone
        }
      },
      [sink](absl::Status status) {
        if (!status.ok() && status.code() != absl::StatusCode::kCancelled) {
          // The service refused or ended the call: say why, as an `error` event.
          sink->Write(absl::StrCat("event: error\ndata: ", ErrorJson(status), "\n\n"));
        }
        sink->End();
      }));
}

}  // namespace lianfang::gateway
