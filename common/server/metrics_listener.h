// MetricsListener: the small HTTP/1.1 server on which every service binary serves its
// registry (metrics.h) as `GET /metrics`, on the address of LF_METRICS_LISTEN
// (common/app/runtime.h starts it; empty = no listener). Boost.Beast on one thread, kept out of
// this header.
//
//   MetricsListener listener({.listen = "0.0.0.0:9100"}, &metrics);
//   RETURN_IF_ERROR(listener.Start());
//   ...                                    // GET http://host:9100/metrics
//   listener.Stop();
//
// What it answers (one request per connection, then `Connection: close`):
//   GET or HEAD /metrics (any query)   200, "text/plain; version=0.0.4; charset=utf-8",
//                                      Metrics::RenderPrometheus() (collectors included)
//   another method on /metrics          405 with `Allow: GET, HEAD`
//   any other path                      404
//   a malformed request, or a body      400
//   request line and headers beyond `max_request_bytes`   431
// A client that does not send its request within `read_timeout`, or does not take the answer
// within `write_timeout`, is dropped; beyond `max_connections` open connections a new one is
// closed at once. Nothing a client sends can crash it or grow its memory without bound.
//
// Thread-safety: Start/Stop/port from one thread. Rendering runs on the listener's thread.
#ifndef LIANFANG_COMMON_SERVER_METRICS_LISTENER_H_
#define LIANFANG_COMMON_SERVER_METRICS_LISTENER_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/server/metrics.h"

namespace lianfang::server {

// The content type of the Prometheus text exposition format.
inline constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";

class MetricsListener final {
 public:
  struct Options {
    // "host:port" or "[v6]:port"; port 0 picks a free port (see port()).
    std::string listen{};
    // The request line and headers together.
    size_t max_request_bytes = 8 * 1024;
    absl::Duration read_timeout = absl::Seconds(5);
    absl::Duration write_timeout = absl::Seconds(10);
    int max_connections = 32;
  };

  // `metrics` is not owned and must outlive the listener.
  MetricsListener(Options options, const Metrics* metrics);
  ~MetricsListener();  // Stop()
  MetricsListener(const MetricsListener&) = delete;
  MetricsListener& operator=(const MetricsListener&) = delete;

  // Binds and starts serving on its thread. INVALID_ARGUMENT for a malformed address or a
  // host that does not resolve; UNAVAILABLE "cannot listen on <address> ..." when it cannot be
  // bound; FAILED_PRECONDITION when called twice.
  absl::Status Start();
  // The bound port (after a successful Start), else 0.
  int port() const;
  // Stops accepting and answering and joins the thread (connections still open are closed
  // when the listener is destroyed). Idempotent.
  void Stop();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace lianfang::server

#endif  // LIANFANG_COMMON_SERVER_METRICS_LISTENER_H_
