#include "services/gateway/http_gateway.h"

#include <httplib.h>
#include <sys/socket.h>

#include <array>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/config/flags.h"
#include "common/logging/logging.h"
#include "common/server/errors.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/gateway/dashboard_view.h"
#include "services/gateway/gateway_service.h"
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
constexpr char kRouteOther[] = "other";
constexpr char kRouteMe[] = "/api/v1/me";
constexpr char kRouteQr[] = "/api/v1/passes/{code}/qr.svg";
constexpr char kRouteApiUnknown[] = "/api/v1/{unknown}";

// Who may see a pass's QR code: whoever may read passes.
constexpr char kListPasses[] = "/lianfang.gate.v1.GateService/ListPasses";

constexpr char kJson[] = "application/json; charset=utf-8";

// The page may load its own script and style and talk to its own origin; nothing else.
constexpr char kPagePolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

std::string JsonOf(const google::protobuf::Message& message) { return MessageJson(message); }

void WriteError(httplib::Response& res, const absl::Status& status) {
  const int http = HttpStatusOf(status.code());
  if (http == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"lianfang\"");
  res.set_header("Cache-Control", "no-store");
  res.status = http;
  res.set_content(ErrorJson(status), kJson);
}

// ?site_ids=a,b (also repeated: ?site_ids=a&site_ids=b); empty items are ignored.
std::vector<std::string> RequestedSites(const httplib::Request& req) {
  std::vector<std::string> ids;
  const size_t n = req.get_param_value_count("site_ids");
  for (size_t i = 0; i < n; ++i) {
    for (absl::string_view id :
         absl::StrSplit(req.get_param_value("site_ids", i), ',', absl::SkipWhitespace())) {
      ids.emplace_back(id);
    }
  }
  return ids;
}

// The caller's `authorization` header, or for event streams (EventSource cannot set headers)
// `?access_token=`.
std::string AuthorizationOf(const httplib::Request& req, bool allow_query) {
  std::string header = req.get_header_value("Authorization");
  if (header.empty() && allow_query && req.has_param("access_token")) {
    header = absl::StrCat("Bearer ", req.get_param_value("access_token"));
  }
  return header;
}

// A slot of the API bound (HttpGateway::Options::max_inflight), held while one request is
// handled; admitted() is false when the bound was reached (nothing to give back then).
class ApiSlot final {
 public:
  explicit ApiSlot(server::InflightLimit& limit)
      : limit_(limit.TryAcquire() ? &limit : nullptr) {}
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
      absl::StrAppend(&out, "lf_http_requests_total{route=\"", key.first, "\",code=\"",
                      key.second, "\"} ", count, "\n");
    }
    absl::StrAppend(&out,
                    "# HELP lf_http_request_duration_seconds Time to handle an HTTP request "
                    "(event streams: until the stream is set up)\n"
                    "# TYPE lf_http_request_duration_seconds histogram\n");
    for (const auto& [route, h] : histograms_) {
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        absl::StrAppend(&out, "lf_http_request_duration_seconds_bucket{route=\"", route,
                        "\",le=\"", kBuckets[i], "\"} ", h.buckets[i], "\n");
      }
      absl::StrAppend(&out, "lf_http_request_duration_seconds_bucket{route=\"", route,
                      "\",le=\"+Inf\"} ", h.count, "\n");
      absl::StrAppend(&out, "lf_http_request_duration_seconds_sum{route=\"", route, "\"} ",
                      h.sum, "\n");
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

// One open event stream: the hub offers snapshots, the HTTP worker thread waits for them.
// Keeps only the latest unsent snapshot, so a slow client skips old ones.
class HttpGateway::Stream final : public DashboardHub::Watcher {
 public:
  enum class Next { kSnapshot, kQuiet, kStopped };

  explicit Stream(std::vector<std::string> site_ids) : site_ids_(std::move(site_ids)) {}

  void Offer(std::shared_ptr<const Dashboard> snapshot) override {
    absl::MutexLock lock(&mu_);
    pending_ = std::move(snapshot);
  }

  void Close() override { Stop(); }

  void Stop() {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
  }

  // Waits up to `timeout` for a snapshot (moved to *out) or Stop().
  Next Wait(absl::Duration timeout, std::shared_ptr<const Dashboard>* out) {
    absl::MutexLock lock(&mu_);
    const auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return stopped_ || pending_ != nullptr;
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    if (stopped_) return Next::kStopped;
    if (pending_ == nullptr) return Next::kQuiet;
    *out = std::move(pending_);
    return Next::kSnapshot;
  }

  const std::vector<std::string>& site_ids() const { return site_ids_; }
  // The first chunk also tells the browser how soon to reconnect after a drop.
  bool TakeGreeting() {
    absl::MutexLock lock(&mu_);
    return !std::exchange(greeted_, true);
  }

 private:
  const std::vector<std::string> site_ids_;
  absl::Mutex mu_;
  std::shared_ptr<const Dashboard> pending_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool greeted_ ABSL_GUARDED_BY(mu_) = false;
};

HttpGateway::HttpGateway(Options options, Deps deps)
    : options_(std::move(options)),
      deps_(std::move(deps)),
      route_metrics_(std::make_unique<RouteMetrics>()),
      api_inflight_(options_.max_inflight) {}

void HttpGateway::WriteOverloaded(httplib::Response& res) {
  if (deps_.metrics != nullptr) {
    deps_.metrics
        ->GetCounter("lf_gateway_http_shed_total",
                     "HTTP API requests refused at once because LF_MAX_INFLIGHT were in flight")
        ->Increment();
  }
  res.set_header("Retry-After", "1");
  WriteError(res, server::OverloadedStatus());
}

HttpGateway::~HttpGateway() { Stop(); }

absl::Status HttpGateway::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (started_ || stopping_) {
      return absl::FailedPreconditionError("the HTTP server was already started");
    }
    started_ = true;
  }
  absl::StatusOr<config::HostPort> address = [&]() -> absl::StatusOr<config::HostPort> {
    // ParseAddress refuses port 0, which tests use to get a free port.
    if (absl::EndsWith(options_.listen, ":0")) {
      auto parsed = config::ParseAddress(absl::StrCat(
          options_.listen.substr(0, options_.listen.size() - 2), ":1"));
      if (parsed.ok()) parsed->port = 0;
      return parsed;
    }
    return config::ParseAddress(options_.listen);
  }();
  if (!address.ok()) return address.status();

  if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
    auto tls = std::make_unique<httplib::SSLServer>(options_.tls_cert_file.c_str(),
                                                    options_.tls_key_file.c_str());
    if (!tls->is_valid()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot serve HTTPS with certificate ", options_.tls_cert_file,
                       " and key ", options_.tls_key_file));
    }
    server_ = std::move(tls);
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  const int threads = std::max(options_.threads, 2);
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_keep_alive_timeout(2);
  server_->set_read_timeout(5);
  server_->set_write_timeout(5);
  server_->set_payload_max_length(options_.max_body_bytes);
  // SO_REUSEADDR so a restart can bind at once, but not cpp-httplib's default SO_REUSEPORT:
  // a second gateway on a busy port must fail, not silently share it (as for gRPC).
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server_->set_default_headers({{"X-Content-Type-Options", "nosniff"},
                                {"Referrer-Policy", "no-referrer"},
                                {"X-Frame-Options", "DENY"}});
  Route();

  if (address->port == 0) {
    port_ = server_->bind_to_any_port(address->host);
    if (port_ <= 0) {
      return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.listen));
    }
  } else {
    if (!server_->bind_to_port(address->host, address->port)) {
      return absl::UnavailableError(absl::StrCat(
          "cannot listen on ", options_.listen, " (in use, or not an address of this host)"));
    }
    port_ = address->port;
  }
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listener_done_ = true;
  });
  logging::Info("http listening", {},
                {{"address", options_.listen}, {"port", absl::StrCat(port_)}});
  return absl::OkStatus();
}

void HttpGateway::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    for (Stream* stream : streams_) stream->Stop();
    for (JsonApi::Stream* stream : api_streams_) stream->Cancel();
  }
  if (thread_.joinable()) {
    // cpp-httplib's stop() does nothing until the listener thread has entered its loop (and
    // must not be called twice once it has), so a Stop() right after Start() waits for that.
    bool stopped = false;
    while (!listener_done_.load()) {
      if (!stopped && server_->is_running()) {
        server_->stop();
        stopped = true;
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
    thread_.join();
  }
}

void HttpGateway::Route() {
  // Wraps a handler with the per-route metrics.
  const auto observed = [this](std::string route, httplib::Server::Handler handler) {
    return [this, route = std::move(route), handler = std::move(handler)](
               const httplib::Request& req, httplib::Response& res) {
      const absl::Time start = absl::Now();
      handler(req, res);
      route_metrics_->Record(route, res.status, absl::Now() - start);
    };
  };

  for (const WebAsset& asset : WebAssets()) {
    // Every embedded file is a fixed route of its own.
    const std::string route(asset.path);
    const WebAsset* a = &asset;
    server_->Get(std::string(asset.path),
                 observed(route, [a](const httplib::Request&, httplib::Response& res) {
                   res.status = 200;
                   res.set_header("Cache-Control", "no-cache");
                   if (absl::StartsWith(a->content_type, "text/html")) {
                     res.set_header("Content-Security-Policy", kPagePolicy);
                   }
                   res.set_content(a->body.data(), a->body.size(), std::string(a->content_type));
                 }));
  }

  server_->Get(kRouteHealth,
               observed(kRouteHealth, [this](const httplib::Request&, httplib::Response& res) {
                 const bool redis = deps_.redis_up == nullptr || deps_.redis_up();
                 res.status = 200;
                 res.set_header("Cache-Control", "no-store");
                 res.set_content(absl::StrCat("{\"status\":\"ok\",\"redis\":\"",
                                              redis ? "up" : "down", "\"}"),
                                 kJson);
               }));

  server_->Get(kRouteMetrics,
               observed(kRouteMetrics, [this](const httplib::Request&, httplib::Response& res) {
                 std::string text;
                 if (deps_.metrics != nullptr) {
                   if (deps_.redis_up != nullptr) {
                     deps_.metrics->GetGauge("lf_redis_up", "1 when Redis answered the last call")
                         ->Set(deps_.redis_up() ? 1 : 0);
                   }
                   deps_.metrics->GetGauge("lf_gateway_http_streams",
                                           "Server-Sent Events streams open")
                       ->Set(open_streams_.load());
                   deps_.metrics
                       ->GetGauge("lf_gateway_http_inflight",
                                  "HTTP API requests being handled (bounded by LF_MAX_INFLIGHT)")
                       ->Set(static_cast<double>(api_inflight_.inflight()));
                   text = deps_.metrics->RenderPrometheus();
                 }
                 text += route_metrics_->Render();
                 res.status = 200;
                 res.set_content(text, "text/plain; version=0.0.4; charset=utf-8");
               }));

  server_->Get(
      kRouteDashboard,
      observed(kRouteDashboard, [this](const httplib::Request& req, httplib::Response& res) {
        const ApiSlot slot(api_inflight_);
        if (!slot.admitted()) return WriteOverloaded(res);
        absl::StatusOr<auth::Principal> who = deps_.authorizer->Authorize(
            kGetDashboard, req.get_header_value("Authorization"));
        if (!who.ok()) return WriteError(res, who.status());
        absl::StatusOr<std::vector<std::string>> ids =
            SelectSites(*deps_.sites, *who, RequestedSites(req));
        if (!ids.ok()) return WriteError(res, ids.status());
        const Dashboard dashboard = deps_.source->Read(*ids);
        res.status = 200;
        res.set_header("Cache-Control", "no-store");
        res.set_content(JsonOf(dashboard), kJson);
      }));

  server_->Get(kRouteEvents, observed(kRouteEvents, [this](const httplib::Request& req,
                                                           httplib::Response& res) {
    std::string header = req.get_header_value("Authorization");
    if (header.empty() && req.has_param("access_token")) {
      header = absl::StrCat("Bearer ", req.get_param_value("access_token"));
    }
    absl::StatusOr<auth::Principal> who = deps_.authorizer->Authorize(kWatchDashboard, header);
    if (!who.ok()) return WriteError(res, who.status());
    absl::StatusOr<std::vector<std::string>> ids =
        SelectSites(*deps_.sites, *who, RequestedSites(req));
    if (!ids.ok()) return WriteError(res, ids.status());

    const int max_streams =
        options_.max_streams > 0 ? options_.max_streams : std::max(1, options_.threads - 8);
    auto stream = std::make_shared<Stream>(*std::move(ids));
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) {
        return WriteError(res, absl::UnavailableError("the gateway is shutting down"));
      }
      if (static_cast<int>(streams_.size()) >= max_streams) {
        res.set_header("Retry-After", "5");
        return WriteError(res, absl::UnavailableError(
                                   "too many live dashboard streams are open; retry later"));
      }
      if (absl::Status s = deps_.hub->Add(stream.get()); !s.ok()) return WriteError(res, s);
      streams_.insert(stream.get());
      ++open_streams_;
    }
    res.status = 200;
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, stream](size_t, httplib::DataSink& sink) -> bool {
          std::string chunk = stream->TakeGreeting() ? "retry: 3000\n\n" : "";
          std::shared_ptr<const Dashboard> snapshot;
          switch (stream->Wait(options_.keepalive, &snapshot)) {
            case Stream::Next::kStopped:
              if (!chunk.empty()) sink.write(chunk.data(), chunk.size());
              sink.done();
              return true;
            case Stream::Next::kQuiet:
              chunk += ": keep-alive\n\n";
              break;
            case Stream::Next::kSnapshot:
              // JSON without whitespace has no line breaks: one data line per event.
              absl::StrAppend(&chunk, "data: ", JsonOf(ViewOf(*snapshot, stream->site_ids())),
                              "\n\n");
              break;
          }
          // False when the client is gone: the connection is closed and released.
          return sink.write(chunk.data(), chunk.size());
        },
        [this, stream](bool) {
          deps_.hub->Remove(stream.get());
          absl::MutexLock lock(&mu_);
          streams_.erase(stream.get());
          --open_streams_;
        });
  }));

  RouteApi();

  // Unknown paths (and requests httplib refuses before routing) get a JSON error too.
  server_->set_error_handler([this](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;  // a handler's own error, already written and counted
    const int code = res.status;
    WriteError(res, code == 404   ? absl::NotFoundError("no such page")
                    : code == 413 ? absl::ResourceExhaustedError(absl::StrCat(
                                        "the request body is larger than ",
                                        options_.max_body_bytes, " bytes"))
                    : code == 405 ? absl::InvalidArgumentError("method not allowed here")
                                  : absl::InvalidArgumentError("malformed request"));
    res.status = code;
    route_metrics_->Record(kRouteOther, code, absl::ZeroDuration());
  });

  // One log line per request, without the query string (it may hold a token).
  server_->set_logger([](const httplib::Request& req, const httplib::Response& res) {
    const std::string status = absl::StrCat(res.status);
    const bool api = absl::StartsWith(req.path, "/api/");
    // Paths of unknown routes are caller input: bounded in the log. Pass codes admit people:
    // they stay out of the log.
    const absl::string_view path = absl::StartsWith(req.path, "/api/v1/passes/")
                                       ? absl::string_view(kRouteQr)
                                       : absl::string_view(req.path).substr(0, 200);
    logging::Log(api || res.status >= 400 ? logging::Level::kInfo : logging::Level::kDebug,
                 "http request", {},
                 {{"http_method", req.method}, {"path", path}, {"status", status}});
  });
}

}  // namespace lianfang::gateway

namespace lianfang::gateway {

void HttpGateway::RouteApi() {
  const auto record = [this](const std::string& route, const httplib::Response& res,
                             absl::Time start) {
    route_metrics_->Record(route, res.status, absl::Now() - start);
  };

  if (deps_.verifier != nullptr) {
    server_->Get(kRouteMe, [this, record](const httplib::Request& req, httplib::Response& res) {
      const absl::Time start = absl::Now();
      [&] {
        const ApiSlot slot(api_inflight_);
        if (!slot.admitted()) return WriteOverloaded(res);
        const std::string header = req.get_header_value("Authorization");
        absl::StatusOr<absl::string_view> token = auth::BearerToken(header);
        if (!token.ok()) return WriteError(res, token.status());
        absl::StatusOr<auth::Principal> who = deps_.verifier->Verify(*token);
        if (!who.ok()) return WriteError(res, who.status());
        google::protobuf::Struct body;
        auto& f = *body.mutable_fields();
        f["subject"].set_string_value(who->subject);
        f["name"].set_string_value(who->name);
        f["role"].set_string_value(std::string(auth::RoleName(who->role)));
        auto* sites = f["sites"].mutable_list_value();
        for (const common::v1::Site& site : deps_.sites->sites()) {
          if (who->MayActOnSite(site.id())) *sites->add_values() = JsonValue(MessageJson(site));
        }
        res.status = 200;
        res.set_header("Cache-Control", "no-store");
        res.set_content(MessageJson(body), kJson);
      }();
      record(kRouteMe, res, start);
    });
  }

  server_->Get(R"(/api/v1/passes/([^/]+)/qr\.svg)", [this, record](const httplib::Request& req,
                                                                   httplib::Response& res) {
    const absl::Time start = absl::Now();
    [&] {
      const ApiSlot slot(api_inflight_);
      if (!slot.admitted()) return WriteOverloaded(res);
      absl::StatusOr<auth::Principal> who =
          deps_.authorizer->Authorize(kListPasses, req.get_header_value("Authorization"));
      if (!who.ok()) return WriteError(res, who.status());
      const std::string code = req.matches[1];
      if (!IsPlausiblePassCode(code)) {
        return WriteError(res, server::InvalidField("pass_code", "not a pass code"));
      }
      absl::StatusOr<std::string> svg = QrSvg(code);
      if (!svg.ok()) return WriteError(res, svg.status());
      res.status = 200;
      res.set_header("Cache-Control", "no-store");
      res.set_header("Content-Disposition",
                     absl::StrCat("inline; filename=\"pass-", code, ".svg\""));
      res.set_content(*svg, "image/svg+xml");
    }();
    record(kRouteQr, res, start);
  });

  if (deps_.api == nullptr) return;
  const auto handle = [this, record](const httplib::Request& req, httplib::Response& res) {
    const absl::Time start = absl::Now();
    const bool get = req.method == "GET";
    absl::StatusOr<const JsonApi::Method*> method =
        deps_.api->Find(req.matches[1].str(), req.matches[2].str());
    if (!method.ok()) {
      WriteError(res, method.status());
      return record(kRouteApiUnknown, res, start);
    }
    const JsonApi::Method& m = **method;
    const std::string route = absl::StrCat("/api/v1", m.grpc_name);
    [&] {
      // Unary calls hold a slot until answered; streams are bounded by max_streams instead.
      std::optional<ApiSlot> slot;
      if (!m.server_streaming) {
        slot.emplace(api_inflight_);
        if (!slot->admitted()) return WriteOverloaded(res);
      }
      if (get && !m.server_streaming) {
        res.set_header("Allow", "POST");
        WriteError(res, absl::InvalidArgumentError(
                            "unary methods take POST with the request as a JSON body"));
        res.status = 405;
        return;
      }
      if (req.body.size() > options_.max_body_bytes) {
        WriteError(res, absl::ResourceExhaustedError(absl::StrCat(
                            "the request body is larger than ", options_.max_body_bytes,
                            " bytes")));
        res.status = 413;
        return;
      }
      // The token first: a caller without one learns nothing else.
      const std::string header = AuthorizationOf(req, /*allow_query=*/m.server_streaming);
      absl::StatusOr<absl::string_view> token = auth::BearerToken(header);
      if (!token.ok()) return WriteError(res, token.status());
      absl::StatusOr<auth::Principal> who = deps_.authorizer->Authorize(m.grpc_name, header);
      if (!who.ok()) return WriteError(res, who.status());

      absl::StatusOr<std::unique_ptr<google::protobuf::Message>> request;
      if (get) {
        std::multimap<std::string, std::string> params(req.params.begin(), req.params.end());
        request = deps_.api->RequestFromQuery(m, params, {"access_token"});
      } else {
        request = deps_.api->ParseRequest(m, req.body);
      }
      if (!request.ok()) return WriteError(res, request.status());
      if (m.server_streaming) {
        return ServeApiStream(m, **request, std::string(*token), res);
      }
      absl::StatusOr<std::string> json = deps_.api->CallUnary(m, **request, *token);
      if (!json.ok()) return WriteError(res, json.status());
      res.status = 200;
      res.set_header("Cache-Control", "no-store");
      res.set_content(*std::move(json), kJson);
    }();
    record(route, res, start);
  };
  constexpr char kPattern[] = R"(/api/v1/([A-Za-z0-9_.]+)/([A-Za-z0-9_]+))";
  server_->Post(kPattern, handle);
  server_->Get(kPattern, handle);
}

void HttpGateway::ServeApiStream(const JsonApi::Method& method,
                                 const google::protobuf::Message& request,
                                 const std::string& token, httplib::Response& res) {
  const int max_streams =
      options_.max_streams > 0 ? options_.max_streams : std::max(1, options_.threads - 8);
  std::shared_ptr<JsonApi::Stream> stream;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      return WriteError(res, absl::UnavailableError("the gateway is shutting down"));
    }
    if (static_cast<int>(streams_.size() + api_streams_.size()) >= max_streams) {
      res.set_header("Retry-After", "5");
      return WriteError(res,
                        absl::UnavailableError("too many live streams are open; retry later"));
    }
    stream = deps_.api->OpenStream(method, request, token);
    api_streams_.insert(stream.get());
    ++open_streams_;
  }
  res.status = 200;
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");
  auto greeted = std::make_shared<bool>(false);
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, stream, greeted](size_t, httplib::DataSink& sink) -> bool {
        if (!std::exchange(*greeted, true)) {
          // At once, so the client knows the stream is open before the first message.
          constexpr absl::string_view kGreeting = "retry: 3000\n\n";
          return sink.write(kGreeting.data(), kGreeting.size());
        }
        std::string chunk;
        std::string json;
        switch (stream->Wait(options_.keepalive, &json)) {
          case JsonApi::Stream::Next::kMessage:
            // JSON without whitespace has no line breaks: one data line per event.
            absl::StrAppend(&chunk, "data: ", json, "\n\n");
            break;
          case JsonApi::Stream::Next::kQuiet:
            chunk += ": keep-alive\n\n";
            break;
          case JsonApi::Stream::Next::kDone: {
            const absl::Status status = stream->final_status();
            if (!status.ok() && status.code() != absl::StatusCode::kCancelled) {
              // The service refused or ended the call: say why, as an `error` event.
              absl::StrAppend(&chunk, "event: error\ndata: ", ErrorJson(status), "\n\n");
            }
            if (!chunk.empty()) sink.write(chunk.data(), chunk.size());
            sink.done();
            return true;
          }
        }
        // False when the client is gone: the connection is closed and released.
        return sink.write(chunk.data(), chunk.size());
      },
      [this, stream](bool) {
        stream->Cancel();
        absl::MutexLock lock(&mu_);
        api_streams_.erase(stream.get());
        --open_streams_;
      });
}

}  // namespace lianfang::gateway
