#include "services/gateway/http_server.h"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <optional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/config/flags.h"
#include "common/logging/logging.h"

namespace lianfang::gateway::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Request and Response helpers.

std::string Request::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

std::string Request::Param(absl::string_view name) const {
  auto it = params.find(std::string(name));
  return it == params.end() ? "" : it->second;
}

std::vector<std::string> Request::Params(absl::string_view name) const {
  std::vector<std::string> out;
  auto [begin, end] = params.equal_range(std::string(name));
  for (auto it = begin; it != end; ++it) out.push_back(it->second);
  return out;
}

void Response::SetHeader(absl::string_view name, absl::string_view value) {
  for (auto& [key, v] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) {
      v = std::string(value);
      return;
    }
  }
  headers.emplace_back(std::string(name), std::string(value));
}

std::string Response::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

std::string DecodeQueryComponent(absl::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < in.size() && absl::ascii_isxdigit(in[i + 1]) &&
               absl::ascii_isxdigit(in[i + 2])) {
      int value = 0;
      (void)absl::SimpleHexAtoi(in.substr(i + 1, 2), &value);
      out.push_back(static_cast<char>(value));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

namespace {

std::chrono::milliseconds Ms(absl::Duration d) {
  return std::chrono::milliseconds(std::max<int64_t>(1, absl::ToInt64Milliseconds(d)));
}

// Header values come from code, but never let one split the response.
std::string Clean(absl::string_view value) {
  std::string out(value);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

// The status line and headers of `res` (Content-Length of its body when `length`).
std::string Head(const Server::Options& options, const Response& res, bool keep_alive, bool http10,
                 bool length) {
  const auto status = static_cast<unsigned>(res.status);
  std::string out =
      absl::StrCat("HTTP/1.1 ", res.status, " ",
                   std::string(bhttp::obsolete_reason(bhttp::int_to_status(status))), "\r\n");
  for (const auto& [name, value] : options.default_headers) {
    if (res.Header(name).empty()) absl::StrAppend(&out, name, ": ", Clean(value), "\r\n");
  }
  for (const auto& [name, value] : res.headers) {
    absl::StrAppend(&out, name, ": ", Clean(value), "\r\n");
  }
  if (!res.content_type.empty()) {
    absl::StrAppend(&out, "Content-Type: ", Clean(res.content_type), "\r\n");
  }
  if (length) absl::StrAppend(&out, "Content-Length: ", res.body.size(), "\r\n");
  if (!keep_alive) {
    out += "Connection: close\r\n";
  } else if (http10) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  return out;
}

std::string Chunk(absl::string_view data) {
  return absl::StrCat(absl::Hex(data.size()), "\r\n", data, "\r\n");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The server's state shared with sessions, exchanges and sinks. Exchanges and sinks may outlive
// the server (a service answers after Stop): they post to the I/O threads only while
// `running` (read under the lock, so Stop waits for posts in progress).
struct Shared {
  absl::Mutex mu;
  bool running ABSL_GUARDED_BY(mu) = true;
};

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Closes the connection (on its strand).
  virtual void PostClose() = 0;
};

class Server::Impl {
 public:
  Impl(Options options, Handler handler)
      : options(std::move(options)),
        handler(std::move(handler)),
        io(std::max(1, this->options.io_threads)),
        acceptor(io),
        shared(std::make_shared<Shared>()) {}

  absl::Status Start();
  void Stop();
  void Accept();
  template <class Sock>
  void Launch(Sock stream, std::string client, bool admitted);

  // Admission of a new connection from `client`; Leave undoes it.
  bool Admit(const std::string& client) {
    absl::MutexLock lock(&mu);
    if (stopping) return false;
    int& from = per_client[client];
    if (connections.load() >= options.max_connections ||
        from >= options.max_connections_per_client) {
      if (from == 0) per_client.erase(client);
      return false;
    }
    ++from;
    ++connections;
    return true;
  }
  void Leave(const std::string& client, SessionBase* session) {
    absl::MutexLock lock(&mu);
    auto it = per_client.find(client);
    if (it != per_client.end() && --it->second <= 0) per_client.erase(it);
    --connections;
    sessions.erase(session);
  }

  Response ErrorResponse(int status, const std::string& message) const {
    if (options.error_body) return options.error_body(status, message);
    Response res;
    res.status = status;
    res.content_type = "text/plain; charset=utf-8";
    res.body = message;
    return res;
  }

  const Options options;
  const Handler handler;
  // Before io: the sessions that io destroys last may still hold TLS streams of it.
  std::optional<asio::ssl::context> tls;
  asio::io_context io;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  std::unique_ptr<asio::thread_pool> workers;
  std::shared_ptr<Shared> shared;
  int port = 0;
  bool started = false;

  std::atomic<int64_t> connections{0};
  std::atomic<int64_t> streams{0};
  std::atomic<int64_t> refused{0};
  std::atomic<int64_t> timed_out{0};
  std::atomic<int64_t> slow_streams{0};

  absl::Mutex mu;
  bool stopping ABSL_GUARDED_BY(mu) = false;
  std::map<std::string, int> per_client ABSL_GUARDED_BY(mu);
  std::map<SessionBase*, std::weak_ptr<SessionBase>> sessions ABSL_GUARDED_BY(mu);
};

namespace {

// What an event stream's sink and its session share.
struct StreamState {
  std::atomic<bool> closed{false};
  std::atomic<size_t> queued{0};  // bytes handed to the session and not yet written
};

template <class Sock>
class Session;

template <class Sock>
class ExchangeImpl final : public Exchange {
 public:
  ExchangeImpl(std::shared_ptr<Session<Sock>> session, std::shared_ptr<Shared> shared,
               Request request, bool keep_alive, bool http10)
      : session_(std::move(session)),
        shared_(std::move(shared)),
        request_(std::move(request)),
        keep_alive_(keep_alive),
        http10_(http10) {}
  ~ExchangeImpl() override {
    if (answered_.load()) return;
    Response res;
    {
      absl::ReaderMutexLock lock(&shared_->mu);
      if (!shared_->running) return;
      res = session_->impl()->ErrorResponse(500, "internal error");
    }
    Respond(std::move(res));
  }

  const Request& request() const override { return request_; }

  void Respond(Response response) override {
    if (answered_.exchange(true)) return;
    // Under the lock: the server (and its options) exist while `running`.
    absl::ReaderMutexLock lock(&shared_->mu);
    if (!shared_->running) return;
    if (const auto& log = session_->impl()->options.logger) log(request_, response.status);
    const bool head = request_.method == "HEAD";
    std::string bytes = Head(session_->impl()->options, response, keep_alive_, http10_, true);
    if (!head) bytes += response.body;
    asio::post(session_->executor(),
               [s = session_, bytes = std::move(bytes), keep = keep_alive_]() mutable {
                 s->SendResponse(std::move(bytes), keep);
               });
  }

  std::shared_ptr<EventSink> Stream(Response head, std::function<void()> on_close) override;

 private:
  const std::shared_ptr<Session<Sock>> session_;
  const std::shared_ptr<Shared> shared_;
  const Request request_;
  const bool keep_alive_;
  const bool http10_;
  std::atomic<bool> answered_{false};
};

template <class Sock>
class SinkImpl final : public EventSink {
 public:
  SinkImpl(std::weak_ptr<Session<Sock>> session, std::shared_ptr<Shared> shared,
           std::shared_ptr<StreamState> state, size_t limit)
      : session_(std::move(session)),
        shared_(std::move(shared)),
        state_(std::move(state)),
        limit_(limit) {}

  bool Write(std::string data) override {
    if (state_->closed.load()) return false;
    std::string chunk = Chunk(data);
    const size_t size = chunk.size();
    const bool slow = state_->queued.fetch_add(size) + size > limit_;
    absl::ReaderMutexLock lock(&shared_->mu);
    if (!shared_->running) return false;
    std::shared_ptr<Session<Sock>> s = session_.lock();
    if (s == nullptr) return false;
    if (slow) {
      // The reader is this far behind: drop it rather than hold more for it.
      asio::post(s->executor(), [s] { s->DropSlow(); });
      return false;
    }
    asio::post(s->executor(),
               [s, chunk = std::move(chunk)]() mutable { s->EnqueueStream(std::move(chunk)); });
    return true;
  }

  void End() override {
    absl::ReaderMutexLock lock(&shared_->mu);
    if (!shared_->running) return;
    if (std::shared_ptr<Session<Sock>> s = session_.lock()) {
      asio::post(s->executor(), [s] { s->EndStream(); });
    }
  }

  bool closed() const override { return state_->closed.load(); }

 private:
  const std::weak_ptr<Session<Sock>> session_;
  const std::shared_ptr<Shared> shared_;
  const std::shared_ptr<StreamState> state_;
  const size_t limit_;
};

// One connection. Every member is touched only on the connection's strand (the executor of
// its stream), except through the posts of ExchangeImpl and SinkImpl.
template <class Sock>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Sock>> {
 public:
  Session(Server::Impl* impl, Sock stream, std::string client, bool admitted)
      : impl_(impl),
        stream_(std::move(stream)),
        client_(std::move(client)),
        admitted_(admitted),
        timer_(stream_.get_executor()) {}

  Server::Impl* impl() const { return impl_; }
  auto executor() { return stream_.get_executor(); }

  void Begin() {
    if constexpr (std::is_same_v<Sock, beast::tcp_stream>) {
      Ready();
    } else {
      Lowest().expires_after(Ms(impl_->options.header_timeout));
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->Fail(ec);
                                self->Ready();
                              });
    }
  }

  void PostClose() override {
    asio::post(executor(), [self = this->shared_from_this()] { self->Close(); });
  }

  void SendResponse(std::string bytes, bool keep_alive) {
    if (closed_) return;
    keep_alive_ = keep_alive;
    Enqueue(std::move(bytes));
  }

  void BeginStream(std::string head, std::function<void()> on_close,
                   std::shared_ptr<StreamState> state) {
    if (closed_) {
      state->closed = true;
      if (on_close) on_close();
      return;
    }
    streaming_ = true;
    ++impl_->streams;
    on_close_ = std::move(on_close);
    state_ = std::move(state);
    Lowest().expires_never();
    state_->queued += head.size();
    Enqueue(std::move(head));
    WatchClient();
    Tick();
  }

  void EnqueueStream(std::string chunk) {
    if (closed_ || ending_) return;
    last_data_ = Clock::now();
    Enqueue(std::move(chunk));
  }

  void EndStream() {
    if (closed_ || ending_) return;
    ending_ = true;
    std::string last = "0\r\n\r\n";
    state_->queued += last.size();
    Enqueue(std::move(last));
  }

  void DropSlow() {
    if (closed_) return;
    ++impl_->slow_streams;
    Close();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    timer_.cancel();
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().socket().close(ec);
    if (admitted_) impl_->Leave(client_, this);
    if (streaming_) {
      --impl_->streams;
      state_->closed = true;
      if (std::function<void()> f = std::exchange(on_close_, nullptr)) f();
    }
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void Fail(beast::error_code ec) {
    if (ec == beast::error::timeout) ++impl_->timed_out;
    Close();
  }

  void Ready() {
    if (!admitted_) return Refuse();
    WaitForRequest();
  }

  // Beyond the caps: a 503 at once, then the connection closes.
  void Refuse() {
    Response res = impl_->ErrorResponse(503, "too many connections; retry later");
    res.SetHeader("Retry-After", "5");
    std::string bytes = Head(impl_->options, res, false, false, true) + res.body;
    keep_alive_ = false;
    Enqueue(std::move(bytes));
  }

  // Waits for the first byte of the next request: within header_timeout on a new connection,
  // idle_timeout between the requests of a kept-alive one.
  void WaitForRequest() {
    if (closed_) return;
    if (buffer_.size() > 0) return ReadHeader();
    Lowest().expires_after(
        Ms(first_ ? impl_->options.header_timeout : impl_->options.idle_timeout));
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->Fail(ec);
                              self->buffer_.commit(n);
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(impl_->options.max_header_bytes));
    parser_->body_limit(impl_->options.max_body_bytes);
    Lowest().expires_after(Ms(impl_->options.header_timeout));
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return ReadFailed(ec);
    first_ = false;
    const auto& msg = parser_->get();
    if (const auto length = parser_->content_length();
        length && *length > impl_->options.max_body_bytes) {
      return RefuseRequest(413, absl::StrCat("the request body is larger than ",
                                             impl_->options.max_body_bytes, " bytes"));
    }
    if (parser_->is_done()) return OnRequest();
    Lowest().expires_after(Ms(impl_->options.body_timeout));
    const auto read_body = [self = this->shared_from_this()] {
      bhttp::async_read(self->stream_, self->buffer_, *self->parser_,
                        [self](beast::error_code ec, size_t) {
                          if (ec) return self->ReadFailed(ec);
                          self->OnRequest();
                        });
    };
    if (absl::EqualsIgnoreCase(std::string(msg[bhttp::field::expect]), "100-continue")) {
      auto line = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
      asio::async_write(
          stream_, asio::buffer(*line),
          [self = this->shared_from_this(), line, read_body](beast::error_code ec, size_t) {
            if (ec) return self->Fail(ec);
            read_body();
          });
      return;
    }
    read_body();
  }

  void ReadFailed(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      return RefuseRequest(413, absl::StrCat("the request body is larger than ",
                                             impl_->options.max_body_bytes, " bytes"));
    }
    if (ec == bhttp::error::header_limit) {
      return RefuseRequest(431, "the request headers are too large");
    }
    if (ec == beast::error::timeout || ec == bhttp::error::end_of_stream ||
        ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::error::operation_aborted || ec.category() == asio::error::get_ssl_category()) {
      return Fail(ec);
    }
    if (ec == bhttp::error::partial_message) return Fail(ec);
    RefuseRequest(400, "malformed request");
  }

  // An answer from the server itself; the connection closes after it.
  void RefuseRequest(int status, const std::string& message) {
    Response res = impl_->ErrorResponse(status, message);
    if (impl_->options.logger) {
      Request req;
      req.method = "?";
      req.path = "?";
      req.client = client_;
      impl_->options.logger(req, status);
    }
    keep_alive_ = false;
    Enqueue(Head(impl_->options, res, false, false, true) + res.body);
  }

  void OnRequest() {
    auto& msg = parser_->get();
    Request req;
    req.method = std::string(msg.method_string());
    const absl::string_view target(msg.target().data(), msg.target().size());
    const size_t q = target.find('?');
    req.path = std::string(target.substr(0, q));
    if (q != absl::string_view::npos) {
      for (absl::string_view pair : absl::StrSplit(target.substr(q + 1), '&', absl::SkipEmpty())) {
        const size_t eq = pair.find('=');
        req.params.emplace(DecodeQueryComponent(pair.substr(0, eq)),
                           eq == absl::string_view::npos
                               ? std::string()
                               : DecodeQueryComponent(pair.substr(eq + 1)));
      }
    }
    for (const auto& field : msg) {
      req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    req.body = std::move(msg.body());
    req.client = client_;
    const bool keep_alive = msg.keep_alive();
    const bool http10 = msg.version() == 10;
    parser_.reset();
    // While the handler works, the connection waits without a time limit of its own (the
    // handler's calls have their deadlines).
    Lowest().expires_never();
    auto exchange = std::make_shared<ExchangeImpl<Sock>>(this->shared_from_this(), impl_->shared,
                                                         std::move(req), keep_alive, http10);
    asio::post(*impl_->workers, [impl = impl_, exchange] { impl->handler(exchange); });
  }

  void Enqueue(std::string bytes) {
    if (closed_) return;
    pending_ += bytes;
    if (!writing_) StartWrite();
  }

  void StartWrite() {
    out_.clear();
    out_.swap(pending_);
    writing_ = true;
    write_started_ = Clock::now();
    if (!streaming_) Lowest().expires_after(Ms(impl_->options.write_timeout));
    asio::async_write(stream_, asio::buffer(out_),
                      [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                        self->OnWritten(ec, n);
                      });
  }

  void OnWritten(beast::error_code ec, size_t n) {
    writing_ = false;
    if (streaming_) state_->queued -= n;
    if (ec) return Fail(ec);
    if (closed_) return;
    if (!pending_.empty()) return StartWrite();
    if (streaming_) {
      if (ending_) Close();
      return;
    }
    if (!keep_alive_) {
      // Let the client read the answer before the connection goes.
      beast::error_code ignored;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      return Drain();
    }
    WaitForRequest();
  }

  // After a last answer: reads (and discards) what the client still sends, briefly, so closing
  // does not reset the connection before the answer is read.
  void Drain() {
    Lowest().expires_after(std::chrono::seconds(1));
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->Close();
                              self->buffer_.commit(n);
                              self->buffer_.consume(self->buffer_.size());
                              self->Drain();
                            });
  }

  // An open stream reads only to notice the client going away.
  void WatchClient() {
    stream_.async_read_some(buffer_.prepare(1024),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->Close();
                              self->buffer_.commit(n);
                              self->buffer_.consume(self->buffer_.size());
                              self->WatchClient();
                            });
  }

  // Keep-alive comments on a quiet stream, and the write time limit (a stream has no
  // stream-level timer: it reads forever).
  void Tick() {
    const absl::Duration period =
        std::min(impl_->options.stream_keepalive, impl_->options.write_timeout / 2);
    timer_.expires_after(Ms(period));
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      const auto now = Clock::now();
      if (self->writing_ && now - self->write_started_ > Ms(self->impl_->options.write_timeout)) {
        ++self->impl_->timed_out;
        return self->Close();
      }
      if (!self->ending_ && now - self->last_data_ >= Ms(self->impl_->options.stream_keepalive)) {
        self->last_data_ = now;
        std::string comment = Chunk(": keep-alive\n\n");
        self->state_->queued += comment.size();
        self->Enqueue(std::move(comment));
      }
      self->Tick();
    });
  }

  Server::Impl* const impl_;
  Sock stream_;
  const std::string client_;
  const bool admitted_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bool first_ = true;
  bool closed_ = false;
  bool keep_alive_ = true;
  std::string out_;
  std::string pending_;
  bool writing_ = false;
  Clock::time_point write_started_;
  // Event stream.
  bool streaming_ = false;
  bool ending_ = false;
  Clock::time_point last_data_ = Clock::now();
  std::function<void()> on_close_;
  std::shared_ptr<StreamState> state_;
};

template <class Sock>
std::shared_ptr<EventSink> ExchangeImpl<Sock>::Stream(Response head,
                                                      std::function<void()> on_close) {
  auto state = std::make_shared<StreamState>();
  absl::ReaderMutexLock lock(&shared_->mu);
  if (answered_.exchange(true) || !shared_->running) {
    state->closed = true;
    return std::make_shared<SinkImpl<Sock>>(session_, shared_, state, 0);
  }
  const Server::Options& options = session_->impl()->options;
  auto sink = std::make_shared<SinkImpl<Sock>>(session_, shared_, state, options.max_stream_buffer);
  if (options.logger) options.logger(request_, head.status);
  if (head.content_type.empty()) head.content_type = "text/event-stream";
  head.SetHeader("Transfer-Encoding", "chunked");
  std::string bytes = Head(options, head, true, false, false);
  asio::post(session_->executor(), [s = session_, bytes = std::move(bytes),
                                    on_close = std::move(on_close), state]() mutable {
    s->BeginStream(std::move(bytes), std::move(on_close), std::move(state));
  });
  return sink;
}

}  // namespace

template <class Sock>
void Server::Impl::Launch(Sock stream, std::string client, bool admitted) {
  auto session = std::make_shared<Session<Sock>>(this, std::move(stream), client, admitted);
  if (admitted) {
    absl::MutexLock lock(&mu);
    sessions[session.get()] = session;
  }
  asio::post(session->executor(), [session] { session->Begin(); });
}

void Server::Impl::Accept() {
  acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {
      // Out of descriptors, most likely: pause instead of spinning.
      logging::Warning("http accept failed", {}, {{"error", ec.message()}});
      auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(100));
      timer->async_wait([this, timer](beast::error_code) { Accept(); });
      return;
    }
    beast::error_code ignored;
    const tcp::endpoint peer = socket.remote_endpoint(ignored);
    std::string client = peer.address().to_string();
    const bool admitted = Admit(client);
    if (!admitted) ++refused;
    socket.set_option(tcp::no_delay(true), ignored);
    if (tls) {
      Launch(beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls),
             std::move(client), admitted);
    } else {
      Launch(beast::tcp_stream(std::move(socket)), std::move(client), admitted);
    }
    Accept();
  });
}

absl::Status Server::Impl::Start() {
  if (started) return absl::FailedPreconditionError("the HTTP server was already started");
  started = true;
  absl::StatusOr<config::HostPort> address = [&]() -> absl::StatusOr<config::HostPort> {
    // ParseAddress refuses port 0, which tests use to get a free port.
    if (absl::EndsWith(options.listen, ":0")) {
      auto parsed = config::ParseAddress(
          absl::StrCat(options.listen.substr(0, options.listen.size() - 2), ":1"));
      if (parsed.ok()) parsed->port = 0;
      return parsed;
    }
    return config::ParseAddress(options.listen);
  }();
  if (!address.ok()) return address.status();
  beast::error_code ec;
  std::string host = address->host;
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) {
    host = host.substr(1, host.size() - 2);
  }
  asio::ip::address ip = host.empty() || host == "*"
                             ? asio::ip::address(asio::ip::address_v4::any())
                             : asio::ip::make_address(host, ec);
  if (ec) {
    // A name, not an address: resolve it.
    tcp::resolver resolver(io);
    auto results = resolver.resolve(host, "", ec);
    if (ec || results.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot resolve the HTTP listen address ", options.listen));
    }
    ip = results.begin()->endpoint().address();
    ec.clear();
  }

  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    tls.emplace(asio::ssl::context::tls_server);
    tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use,
                     ec);
    beast::error_code cert_ec;
    beast::error_code key_ec;
    tls->use_certificate_chain_file(options.tls_cert_file, cert_ec);
    tls->use_private_key_file(options.tls_key_file, asio::ssl::context::pem, key_ec);
    if (options.tls_cert_file.empty() || options.tls_key_file.empty() || cert_ec || key_ec) {
      return absl::InvalidArgumentError(absl::StrCat("cannot serve HTTPS with certificate ",
                                                     options.tls_cert_file, " and key ",
                                                     options.tls_key_file));
    }
  }

  const tcp::endpoint endpoint(ip, static_cast<uint16_t>(address->port));
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    // SO_REUSEADDR so a restart can bind at once, but never SO_REUSEPORT: a second gateway on
    // a busy port must fail, not silently share it (as for gRPC).
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen,
                     " (in use, or not an address of this host): ", ec.message()));
  }
  port = acceptor.local_endpoint().port();
  workers = std::make_unique<asio::thread_pool>(std::max(1, options.worker_threads));
  Accept();
  for (int i = 0; i < std::max(1, options.io_threads); ++i) {
    threads.emplace_back([this] { io.run(); });
  }
  return absl::OkStatus();
}

void Server::Impl::Stop() {
  std::vector<std::shared_ptr<SessionBase>> open;
  {
    absl::MutexLock lock(&mu);
    if (stopping) return;
    stopping = true;
    for (auto& [raw, weak] : sessions) {
      if (auto s = weak.lock()) open.push_back(std::move(s));
    }
  }
  if (threads.empty()) return;  // never started
  asio::post(io, [this] {
    beast::error_code ignored;
    acceptor.close(ignored);
  });
  for (auto& s : open) s->PostClose();
  open.clear();
  // Every connection closes on its strand (running the streams' on_close); bounded.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (connections.load() > 0 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(5));
  // Handlers still running finish (their answers go nowhere).
  workers->join();
  {
    absl::MutexLock lock(&shared->mu);
    shared->running = false;
  }
  io.stop();
  for (std::thread& t : threads) t.join();
  threads.clear();
}

Server::Server(Options options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

Server::~Server() { Stop(); }

absl::Status Server::Start() { return impl_->Start(); }

int Server::port() const { return impl_->port; }

void Server::Stop() { impl_->Stop(); }

Server::Stats Server::stats() const {
  return {.connections = impl_->connections.load(),
          .streams = impl_->streams.load(),
          .refused = impl_->refused.load(),
          .timed_out = impl_->timed_out.load(),
          .slow_streams = impl_->slow_streams.load()};
}

}  // namespace lianfang::gateway::http
