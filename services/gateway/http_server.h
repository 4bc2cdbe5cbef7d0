// http::Server: an event-driven HTTP/1.1 server (Boost.Beast on Boost.Asio, kept out of this
// header) for the gateway's HTTP side. Connections cost no thread: a few I/O threads read and
// write every socket; handlers run on a small pool of workers and answer whenever they are
// ready (from any thread), so a request waiting on a service or an open event stream holds
// neither a thread nor anyone else's turn.
//
//   http::Server server(options, [](std::shared_ptr<http::Exchange> ex) {
//     http::Response res;
//     res.body = "hello";
//     ex->Respond(std::move(res));            // now, or later from any thread
//   });
//   RETURN_IF_ERROR(server.Start());
//   ...
//   server.Stop();                             // closes every connection, joins the threads
//
// Time limits: the request line and headers must arrive within `header_timeout` (from the
// connection's start, or from the first byte of a later request on a kept-alive connection),
// the body within `body_timeout`; a kept-alive connection may sit idle `idle_timeout`; a
// response (or an event stream's data) that the client does not take within `write_timeout`
// ends the connection. A slow client is dropped, never waited for.
//
// Caps: at most `max_connections` open connections, and `max_connections_per_client` from one
// client address; one beyond is answered at once with 503, `Retry-After` and
// `Connection: close` (the body from `error_body`), and closed.
//
// Event streams (Exchange::Stream): a chunked `text/event-stream` response whose data is
// queued by EventSink::Write from any thread and written by the I/O threads; a comment line
// is sent after `stream_keepalive` without data. A stream whose unwritten data exceeds
// `max_stream_buffer` bytes (a reader slower than its events) is dropped, so it never slows
// the others or grows without bound.
//
// Thread-safety: Start/Stop from one thread; Exchange and EventSink from any thread.
#ifndef LIANFANG_SERVICES_GATEWAY_HTTP_SERVER_H_
#define LIANFANG_SERVICES_GATEWAY_HTTP_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace lianfang::gateway::http {

// One request, read whole (headers and body).
struct Request {
  std::string method;                              // "GET", "POST", ...
  std::string path;                                // the target without its query string, as sent
  std::multimap<std::string, std::string> params;  // the query, percent-decoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string client;  // the peer's address (no port)

  // The first header `name` (case-insensitive), "" when absent.
  std::string Header(absl::string_view name) const;
  bool HasParam(absl::string_view name) const { return params.count(std::string(name)) > 0; }
  // The first parameter `name`, "" when absent.
  std::string Param(absl::string_view name) const;
  // Every value of parameter `name`, in order.
  std::vector<std::string> Params(absl::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type;  // no Content-Type header when empty
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  // Replaces header `name` (case-insensitive) or adds it.
  void SetHeader(absl::string_view name, absl::string_view value);
  // The header `name` (case-insensitive), "" when absent.
  std::string Header(absl::string_view name) const;
};

// The writing end of an open event stream.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // Queues `data` (already framed as Server-Sent Events) for the client. False once the
  // stream is closed (client gone, dropped as too slow, ended, or the server stopping); the
  // data is then dropped. Never blocks.
  virtual bool Write(std::string data) = 0;
  // Ends the response (after what is queued) and closes the connection. Idempotent.
  virtual void End() = 0;
  virtual bool closed() const = 0;
};

// One request being answered. Exactly one of Respond or Stream must be called, once, from any
// thread; an Exchange dropped without either answers 500.
class Exchange {
 public:
  virtual ~Exchange() = default;
  virtual const Request& request() const = 0;
  // Sends `response` (with Content-Length; the connection is kept alive when the client
  // allows). A no-op when the connection is already gone.
  virtual void Respond(Response response) = 0;
  // Starts a chunked event stream with `head`'s status and headers (its body is ignored;
  // Content-Type text/event-stream unless `head` sets one). `on_close` runs exactly once when
  // the stream closes for any reason, on an I/O thread: it must not block. The sink stays
  // valid as long as it is held; Write fails once it is closed.
  virtual std::shared_ptr<EventSink> Stream(Response head, std::function<void()> on_close) = 0;
};

using Handler = std::function<void(std::shared_ptr<Exchange>)>;

class Server final {
 public:
  struct Options {
    // "host:port" or "[v6]:port"; port 0 picks a free port (see port()).
    std::string listen = "127.0.0.1:8080";
    // Threads that read and write the sockets.
    int io_threads = 2;
    // Threads that run handlers (which may block briefly, e.g. on Redis).
    int worker_threads = 8;
    // Serve HTTPS with this certificate chain and key (PEM files) when both are set.
    std::string tls_cert_file;
    std::string tls_key_file;
    // Larger request bodies are refused with 413 (error_body) and the connection closed.
    size_t max_body_bytes = 1024 * 1024;
    // The request line and headers together (beyond: 431).
    size_t max_header_bytes = 16 * 1024;
    absl::Duration header_timeout = absl::Seconds(10);
    absl::Duration body_timeout = absl::Seconds(30);
    absl::Duration idle_timeout = absl::Seconds(30);
    absl::Duration write_timeout = absl::Seconds(30);
    int max_connections = 20000;
    int max_connections_per_client = 2000;
    // A comment line on an event stream after this long without data.
    absl::Duration stream_keepalive = absl::Seconds(15);
    // Unwritten bytes an event stream may hold before it is dropped.
    size_t max_stream_buffer = 256 * 1024;
    // Headers of every response.
    std::vector<std::pair<std::string, std::string>> default_headers;
    // The response the server itself sends for `status` (400, 404, 408, 413, 431, 500, 503)
    // with `message`; null = a plain-text body.
    std::function<Response(int status, const std::string& message)> error_body;
    // Called once per answered request (after Respond, or when a stream starts), on any
    // thread; null = no log.
    std::function<void(const Request&, int status)> logger;
  };

  // What the server saw so far (for metrics and tests).
  struct Stats {
    int64_t connections = 0;   // open now
    int64_t streams = 0;       // event streams open now
    int64_t refused = 0;       // connections refused by the caps
    int64_t timed_out = 0;     // connections dropped by a time limit
    int64_t slow_streams = 0;  // event streams dropped for a full buffer
  };

  Server(Options options, Handler handler);
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving in the background. INVALID_ARGUMENT for a bad address or
  // unusable TLS files; UNAVAILABLE naming the address when it cannot be bound;
  // FAILED_PRECONDITION when called twice.
  absl::Status Start();
  // The bound port (after Start).
  int port() const;
  // Stops accepting, closes every connection (each stream's on_close runs), waits for the
  // handlers that are still running and joins the threads. Idempotent.
  void Stop();

  Stats stats() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Percent-decodes a query component ('+' is a space). Malformed escapes are kept as they are.
std::string DecodeQueryComponent(absl::string_view in);

}  // namespace lianfang::gateway::http

#endif  // LIANFANG_SERVICES_GATEWAY_HTTP_SERVER_H_
