#include "common/server/metrics_listener.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/config/flags.h"
#include "common/logging/logging.h"

namespace lianfang::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

std::chrono::milliseconds Ms(absl::Duration d) {
  return std::chrono::milliseconds(std::max<int64_t>(1, absl::ToInt64Milliseconds(d)));
}

struct Answer {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string extra_headers;  // "Name: value\r\n" lines
};

std::string Serialize(const Answer& answer, bool head) {
  const auto status = static_cast<unsigned>(answer.status);
  std::string out = absl::StrCat("HTTP/1.1 ", answer.status, " ",
                                 std::string(bhttp::obsolete_reason(bhttp::int_to_status(status))),
                                 "\r\n", "Content-Type: ", answer.content_type, "\r\n",
                                 "Content-Length: ", answer.body.size(), "\r\n",
                                 answer.extra_headers, "Connection: close\r\n\r\n");
  if (!head) out += answer.body;
  return out;
}

}  // namespace

class MetricsListener::Impl {
 public:
  Impl(Options options, const Metrics* metrics)
      : options(std::move(options)), metrics(metrics), acceptor(io) {}

  void Accept();
  Answer AnswerFor(const bhttp::request<bhttp::empty_body>& request) const;

  const Options options;
  const Metrics* const metrics;
  // Before io: sessions destroyed with io's pending handlers update it.
  std::atomic<int> connections{0};
  asio::io_context io;
  tcp::acceptor acceptor;
  std::thread thread;
  int port = 0;
  bool started = false;
  bool stopped = false;
};

namespace {

class Session final : public std::enable_shared_from_this<Session> {
 public:
  Session(MetricsListener::Impl* impl, tcp::socket socket)
      : impl_(impl), stream_(std::move(socket)), buffer_(impl->options.max_request_bytes) {
    ++impl_->connections;
  }
  ~Session() { --impl_->connections; }

  void Begin() {
    parser_.header_limit(static_cast<uint32_t>(impl_->options.max_request_bytes));
    parser_.body_limit(0);
    stream_.expires_after(Ms(impl_->options.read_timeout));
    bhttp::async_read(
        stream_, buffer_, parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
        ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
      return Close();
    }
    Answer answer;
    bool head = false;
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      answer.status = 431;
      answer.body = "the request headers are too large\n";
    } else if (ec) {
      answer.status = 400;
      answer.body = "malformed request\n";
    } else {
      head = parser_.get().method() == bhttp::verb::head;
      answer = impl_->AnswerFor(parser_.get());
    }
    out_ = Serialize(answer, head);
    stream_.expires_after(Ms(impl_->options.write_timeout));
    asio::async_write(stream_, asio::buffer(out_),
                      [self = shared_from_this()](beast::error_code, size_t) { self->Close(); });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  MetricsListener::Impl* const impl_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bhttp::request_parser<bhttp::empty_body> parser_;
  std::string out_;
};

}  // namespace

Answer MetricsListener::Impl::AnswerFor(const bhttp::request<bhttp::empty_body>& request) const {
  const absl::string_view target(request.target().data(), request.target().size());
  const absl::string_view path = target.substr(0, target.find('?'));
  Answer answer;
  if (path != "/metrics") {
    answer.status = 404;
    answer.body = "not found; metrics are at /metrics\n";
    return answer;
  }
  if (request.method() != bhttp::verb::get && request.method() != bhttp::verb::head) {
    answer.status = 405;
    answer.body = "only GET and HEAD\n";
    answer.extra_headers = "Allow: GET, HEAD\r\n";
    return answer;
  }
  answer.content_type = kPrometheusContentType;
  answer.body = metrics->RenderPrometheus();
  return answer;
}

void MetricsListener::Impl::Accept() {
  acceptor.async_accept(io, [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {
      // Out of descriptors, most likely: pause instead of spinning.
      logging::Warning("metrics accept failed", {}, {{"error", ec.message()}});
      auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(100));
      timer->async_wait([this, timer](beast::error_code) { Accept(); });
      return;
    }
    if (connections.load() >= options.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      std::make_shared<Session>(this, std::move(socket))->Begin();
    }
    Accept();
  });
}

MetricsListener::MetricsListener(Options options, const Metrics* metrics)
    : impl_(std::make_unique<Impl>(std::move(options), metrics)) {}

MetricsListener::~MetricsListener() { Stop(); }

absl::Status MetricsListener::Start() {
  Impl& impl = *impl_;
  if (impl.started)
    return absl::FailedPreconditionError("the metrics listener was already started");
  impl.started = true;
  const std::string& listen = impl.options.listen;
  absl::StatusOr<config::HostPort> address = [&]() -> absl::StatusOr<config::HostPort> {
    // ParseAddress refuses port 0, which tests use to get a free port.
    if (absl::EndsWith(listen, ":0")) {
      auto parsed = config::ParseAddress(absl::StrCat(listen.substr(0, listen.size() - 2), ":1"));
      if (parsed.ok()) parsed->port = 0;
      return parsed;
    }
    return config::ParseAddress(listen);
  }();
  if (!address.ok()) return address.status();
  beast::error_code ec;
  asio::ip::address ip = asio::ip::make_address(address->host, ec);
  if (ec) {
    tcp::resolver resolver(impl.io);
    auto results = resolver.resolve(address->host, "", ec);
    if (ec || results.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot resolve the metrics listen address ", listen));
    }
    ip = results.begin()->endpoint().address();
    ec.clear();
  }
  const tcp::endpoint endpoint(ip, static_cast<uint16_t>(address->port));
  impl.acceptor.open(endpoint.protocol(), ec);
  // SO_REUSEADDR so a restart can bind at once; never SO_REUSEPORT (a second process on the
  // port must fail).
  if (!ec) impl.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl.acceptor.bind(endpoint, ec);
  if (!ec) impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    impl.acceptor.close(ignored);
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", listen, " (in use, or not an address of this host): ", ec.message()));
  }
  impl.port = impl.acceptor.local_endpoint().port();
  impl.Accept();
  impl.thread = std::thread([&impl] { impl.io.run(); });
  return absl::OkStatus();
}

int MetricsListener::port() const { return impl_->port; }

void MetricsListener::Stop() {
  Impl& impl = *impl_;
  if (impl.stopped || !impl.thread.joinable()) return;
  impl.stopped = true;
  impl.io.stop();
  impl.thread.join();
  beast::error_code ignored;
  impl.acceptor.close(ignored);
}

}  // namespace lianfang::server
