#include "tools/lf-load/http_load.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/auth/jwt.h"
#include "common/auth/secret_file.h"
#include "google/protobuf/util/json_util.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "tools/lf-load/driver.h"
#include "tools/lf-load/workloads.h"

namespace lianfang::load {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
namespace gatev1 = ::lianfang::gate::v1;

struct HttpFlags {
  std::string mode = "passage";
  std::string http = "127.0.0.1:8080";
  std::string gate = "127.0.0.1:7101";
  std::string token;
  std::string jwt_secret_file;
  std::string site = "campus";
  std::string gate_id = "east";
  int concurrency = 64;
  absl::Duration duration = absl::Seconds(10);
  int rounds = 3;
  int streams = 1000;
  int passages = 10;
  int slow = 200;
  int idle = 1000;
  int sources = 1;
  int gateway_pid = 0;
};

struct Endpoint {
  std::string host;
  uint16_t port = 0;
};

bool ParseEndpoint(const std::string& s, Endpoint* e) {
  const size_t colon = s.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(s.substr(colon + 1), &port)) return false;
  e->host = s.substr(0, colon);
  e->port = static_cast<uint16_t>(port);
  return true;
}

// Milliseconds of the sorted `us` at quantile q (nearest rank).
double Quantile(std::vector<double>& ms, double q) {
  if (ms.empty()) return 0;
  std::sort(ms.begin(), ms.end());
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(ms.size())));
  rank = std::clamp<size_t>(rank, 1, ms.size());
  return ms[rank - 1];
}

std::string Summary(std::vector<double> ms) {
  if (ms.empty()) return "no samples";
  return absl::StrFormat("n=%d p50=%.2fms p99=%.2fms max=%.2fms", ms.size(), Quantile(ms, 0.5),
                         Quantile(ms, 0.99), Quantile(ms, 1.0));
}

std::string Rss(int pid) {
  if (pid <= 0) return "";
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  std::string rss, hwm;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "VmRSS:")) rss = line.substr(6);
    if (absl::StartsWith(line, "VmHWM:")) hwm = line.substr(6);
  }
  return absl::StrCat("gateway VmRSS", absl::StripAsciiWhitespace(rss), " (peak ",
                      absl::StripAsciiWhitespace(hwm), ")");
}

// One RecordPassage request; the same mix over HTTP and gRPC.
gatev1::RecordPassageRequest Passage(const HttpFlags& f, const std::string& run, int64_t seq) {
  gatev1::RecordPassageRequest r;
  r.set_request_id(absl::StrCat("http-load-", run, "-", seq));
  r.set_site_id(f.site);
  r.set_gate_id(f.gate_id);
  r.set_direction(seq % 2 == 0 ? gatev1::DIRECTION_ENTRY : gatev1::DIRECTION_EXIT);
  r.mutable_person()->set_id_number(LoadIdNumber(seq % 5000));
  r.mutable_person()->set_name(LoadName(seq % 5000));
  r.set_temperature_c(36.5);
  return r;
}

std::string JsonOf(const google::protobuf::Message& m) {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(m, &json);
  return json;
}

tcp::endpoint Target(const Endpoint& e) {
  return tcp::endpoint(asio::ip::make_address(e.host == "localhost" ? "127.0.0.1" : e.host),
                       e.port);
}

// A socket bound to source address number `i` (127.0.0.1 + i % sources).
tcp::socket SourceSocket(asio::io_context& io, const HttpFlags& f, int i) {
  tcp::socket s(io);
  s.open(tcp::v4());
  if (f.sources > 1) {
    const auto base = asio::ip::make_address_v4("127.0.0.1").to_uint();
    s.bind(tcp::endpoint(asio::ip::address_v4(base + static_cast<uint32_t>(i % f.sources)), 0));
  }
  return s;
}

// ---- passage: closed-loop POSTs on keep-alive connections -----------------------------------

struct HttpRun {
  std::vector<double> ms;
  int64_t ok = 0, errors = 0;
  double seconds = 0;
};

class PostLoop : public std::enable_shared_from_this<PostLoop> {
 public:
  PostLoop(asio::io_context& io, const HttpFlags& f, tcp::endpoint to, std::string path,
           std::function<std::string()> body, HttpRun* run, Clock::time_point count_from,
           Clock::time_point end, int index)
      : socket_(SourceSocket(io, f, index)),
        to_(to),
        path_(std::move(path)),
        body_(std::move(body)),
        run_(run),
        count_from_(count_from),
        end_(end),
        token_(f.token) {}

  void Start() {
    socket_.async_connect(to_, [self = shared_from_this()](beast::error_code ec) {
      if (ec) {
        ++self->run_->errors;
        return;
      }
      self->Next();
    });
  }

 private:
  void Next() {
    if (Clock::now() >= end_) return;
    req_ = {};
    req_.method(bhttp::verb::post);
    req_.target(path_);
    req_.version(11);
    req_.set(bhttp::field::host, "gateway");
    req_.set(bhttp::field::authorization, "Bearer " + token_);
    req_.set(bhttp::field::content_type, "application/json");
    req_.body() = body_();
    req_.prepare_payload();
    started_ = Clock::now();
    bhttp::async_write(socket_, req_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Failed();
      self->res_ = {};
      bhttp::async_read(
          self->socket_, self->buffer_, self->res_, [self](beast::error_code ec, size_t) {
            if (ec) return self->Failed();
            const auto now = Clock::now();
            if (self->started_ >= self->count_from_ && now <= self->end_) {
              if (self->res_.result_int() == 200) {
                ++self->run_->ok;
              } else {
                ++self->run_->errors;
              }
              self->run_->ms.push_back(
                  std::chrono::duration<double, std::milli>(now - self->started_).count());
            }
            self->Next();
          });
    });
  }
  void Failed() { ++run_->errors; }

  tcp::socket socket_;
  tcp::endpoint to_;
  std::string path_;
  std::function<std::string()> body_;
  HttpRun* run_;
  Clock::time_point count_from_, end_, started_;
  std::string token_;
  bhttp::request<bhttp::string_body> req_;
  bhttp::response<bhttp::string_body> res_;
  beast::flat_buffer buffer_;
};

HttpRun RunHttpPassages(const HttpFlags& f, const std::string& run_id, std::atomic<int64_t>& seq) {
  HttpRun run;
  asio::io_context io;
  Endpoint http;
  ParseEndpoint(f.http, &http);
  const auto start = Clock::now();
  const auto count_from = start + std::chrono::seconds(1);
  const auto end = count_from + std::chrono::milliseconds(absl::ToInt64Milliseconds(f.duration));
  for (int i = 0; i < f.concurrency; ++i) {
    std::make_shared<PostLoop>(
        io, f, Target(http), "/api/v1/lianfang.gate.v1.GateService/RecordPassage",
        [&f, &run_id, &seq] { return JsonOf(Passage(f, run_id, seq.fetch_add(1))); }, &run,
        count_from, end, i)
        ->Start();
  }
  io.run();
  run.seconds = absl::ToDoubleSeconds(f.duration);
  return run;
}

HttpRun RunGrpcPassages(const HttpFlags& f, const std::string& run_id, std::atomic<int64_t>& seq) {
  std::vector<std::unique_ptr<gatev1::GateService::Stub>> stubs;
  for (const auto& channel : MakeChannels(f.gate, 2)) {
    stubs.push_back(gatev1::GateService::NewStub(channel));
  }
  DriverOptions o{.threads = 2,
                  .concurrency = f.concurrency,
                  .duration = f.duration,
                  .warmup = absl::Seconds(1),
                  .deadline = absl::Seconds(10),
                  .progress_label = ""};
  using C = UnaryCall<gatev1::GateService::Stub, gatev1::RecordPassageRequest,
                      gatev1::RecordPassageResponse>;
  RunResult r = Drive(o, [&](int thread) -> std::unique_ptr<Call> {
    auto call = std::make_unique<C>(stubs[static_cast<size_t>(thread) % stubs.size()].get(),
                                    &gatev1::GateService::Stub::PrepareAsyncRecordPassage,
                                    Passage(f, run_id, seq.fetch_add(1)));
    call->context().AddMetadata("authorization", "Bearer " + f.token);
    return call;
  });
  HttpRun run;
  run.ok = r.ok;
  run.errors = r.errors();
  run.seconds = r.seconds;
  for (uint32_t us : r.latencies_us) run.ms.push_back(us / 1000.0);
  return run;
}

int PassageMode(const HttpFlags& f, std::ostream& out) {
  const std::string run_id = absl::StrFormat("%08x", std::random_device{}());
  std::atomic<int64_t> seq{0};
  bool failed = false;
  std::vector<double> ratios;
  for (int round = 1; round <= f.rounds; ++round) {
    HttpRun grpc = RunGrpcPassages(f, run_id, seq);
    HttpRun http = RunHttpPassages(f, run_id, seq);
    const double grpc_rate = grpc.ok / std::max(grpc.seconds, 1e-9);
    const double http_rate = http.ok / std::max(http.seconds, 1e-9);
    ratios.push_back(grpc_rate > 0 ? http_rate / grpc_rate : 0);
    out << absl::StrFormat(
        "round %d  RecordPassage at %d in flight\n"
        "  gRPC to the gate : %8.0f/s  errors %d  %s\n"
        "  JSON API via HTTP: %8.0f/s  errors %d  %s\n"
        "  HTTP / gRPC      : %.2f\n",
        round, f.concurrency, grpc_rate, grpc.errors, Summary(grpc.ms), http_rate, http.errors,
        Summary(http.ms), ratios.back());
    failed = failed || grpc.errors > 0 || http.errors > 0;
  }
  out << absl::StrFormat("median HTTP / gRPC: %.2f\n", Quantile(ratios, 0.5));
  return failed ? 1 : 0;
}

// ---- streams: N open event streams, a passage, its arrival on each -------------------------

struct StreamState {
  std::atomic<int64_t> events{0};
  std::atomic<int64_t> arrival_ns{0};  // first event after the mark; 0 = none yet
  std::atomic<bool> open{false};
  std::atomic<bool> closed{false};
};

class StreamReader : public std::enable_shared_from_this<StreamReader> {
 public:
  StreamReader(asio::io_context& io, const HttpFlags& f, tcp::endpoint to, StreamState* state,
               int index)
      : socket_(SourceSocket(io, f, index)), to_(to), state_(state) {
    request_ =
        absl::StrCat("GET /api/v1/dashboard/events?site_ids=", f.site, "&access_token=", f.token,
                     " HTTP/1.1\r\nHost: gateway\r\nAccept: text/event-stream\r\n\r\n");
  }

  void Start() {
    socket_.async_connect(to_, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->Closed();
      asio::async_write(self->socket_, asio::buffer(self->request_),
                        [self](beast::error_code ec, size_t) {
                          if (ec) return self->Closed();
                          self->state_->open = true;
                          self->Read();
                        });
    });
  }

 private:
  void Read() {
    socket_.async_read_some(asio::buffer(buffer_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->Closed();
                              self->Consume(absl::string_view(self->buffer_.data(), n));
                              self->Read();
                            });
  }
  // Counts "data: " lines across reads (a line may be split between two).
  void Consume(absl::string_view data) {
    tail_.append(data.data(), data.size());
    size_t at = 0;
    int64_t found = 0;
    while ((at = tail_.find("data: ", at)) != std::string::npos) {
      ++found;
      at += 6;
    }
    if (tail_.size() > 5) tail_ = tail_.substr(tail_.size() - 5);
    if (found > 0) {
      state_->events += found;
      int64_t none = 0;
      state_->arrival_ns.compare_exchange_strong(
          none,
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
              .count());
    }
  }
  void Closed() { state_->closed = true; }

  tcp::socket socket_;
  tcp::endpoint to_;
  StreamState* state_;
  std::string request_;
  std::array<char, 8192> buffer_{};
  std::string tail_;
};

int StreamsMode(const HttpFlags& f, std::ostream& out, std::ostream& err) {
  Endpoint http;
  ParseEndpoint(f.http, &http);
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::vector<std::unique_ptr<StreamState>> states;
  for (int i = 0; i < f.streams; ++i) states.push_back(std::make_unique<StreamState>());
  std::thread io_thread([&io] { io.run(); });
  const absl::Time opening = absl::Now();
  // Opened in batches, so the listen backlog is not the limit.
  for (int i = 0; i < f.streams; ++i) {
    asio::post(io, [&, i] {
      std::make_shared<StreamReader>(io, f, Target(http), states[static_cast<size_t>(i)].get(), i)
          ->Start();
    });
    if (i % 200 == 199) absl::SleepFor(absl::Milliseconds(20));
  }
  const auto all = [&](const std::function<bool(const StreamState&)>& pred, absl::Duration t) {
    const absl::Time give_up = absl::Now() + t;
    while (absl::Now() < give_up) {
      bool every = true;
      for (const auto& s : states) every = every && pred(*s);
      if (every) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  };
  const bool opened =
      all([](const StreamState& s) { return s.events.load() > 0; }, absl::Seconds(120));
  int64_t open = 0;
  for (const auto& s : states) open += s->events.load() > 0 && !s->closed.load();
  out << absl::StrFormat("%d of %d streams open with their first snapshot after %s\n", open,
                         f.streams, absl::FormatDuration(absl::Now() - opening));
  if (!opened) err << "lf-load http: not every stream got its first snapshot\n";
  out << Rss(f.gateway_pid) << "\n";

  auto stub = gatev1::GateService::NewStub(MakeChannels(f.gate, 1)[0]);
  const std::string run_id = absl::StrFormat("%08x", std::random_device{}());
  std::vector<double> delays;
  int64_t missed = 0;
  for (int p = 0; p < f.passages; ++p) {
    absl::SleepFor(absl::Milliseconds(700));  // beyond the hub's 300 ms coalescing window
    for (auto& s : states) s->arrival_ns = 0;
    const int64_t mark =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
            .count();
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + f.token);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    gatev1::RecordPassageResponse response;
    const grpc::Status status = stub->RecordPassage(&context, Passage(f, run_id, p), &response);
    if (!status.ok()) {
      err << "lf-load http: RecordPassage: " << status.error_message() << "\n";
      return 2;
    }
    all([](const StreamState& s) { return s.arrival_ns.load() != 0 || s.closed.load(); },
        absl::Seconds(10));
    for (const auto& s : states) {
      const int64_t at = s->arrival_ns.load();
      if (at == 0) {
        ++missed;
      } else {
        delays.push_back(static_cast<double>(at - mark) / 1e6);
      }
    }
  }
  out << absl::StrFormat(
      "%d passages x %d streams: passage -> event on the stream: %s; missed %d\n", f.passages,
      f.streams, Summary(delays), missed);
  out << Rss(f.gateway_pid) << "\n";
  work.reset();
  io.stop();
  io_thread.join();
  return missed > 0 || !opened ? 1 : 0;
}

// ---- flood: slow-header and idle keep-alive connections, and probes -------------------------

class FloodConn : public std::enable_shared_from_this<FloodConn> {
 public:
  FloodConn(asio::io_context& io, const HttpFlags& f, tcp::endpoint to, bool slow, int index,
            std::atomic<int>* live, std::atomic<int64_t>* dropped, const std::atomic<bool>* stop)
      : io_(io),
        f_(f),
        to_(to),
        slow_(slow),
        index_(index),
        live_(live),
        dropped_(dropped),
        stop_(stop),
        socket_(SourceSocket(io, f, index)),
        timer_(io) {}

  void Start() {
    socket_.async_connect(to_, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->Again();
      self->Opened();
    });
  }

 private:
  void Opened() {
    if (slow_) {
      // Headers that never end: a line now, another every second.
      line_ = "GET /healthz HTTP/1.1\r\nHost: gateway\r\n";
      asio::async_write(socket_, asio::buffer(line_),
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          if (ec) return self->Again();
                          ++*self->live_;
                          self->counted_ = true;
                          self->Trickle();
                          self->WatchClose();
                        });
    } else {
      line_ = "GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n";
      asio::async_write(socket_, asio::buffer(line_),
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          if (ec) return self->Again();
                          bhttp::async_read(self->socket_, self->buffer_, self->res_,
                                            [self](beast::error_code ec, size_t) {
                                              if (ec) return self->Again();
                                              ++*self->live_;
                                              self->counted_ = true;
                                              self->WatchClose();
                                            });
                        });
    }
  }
  void Trickle() {
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->done_) return;
      self->line_ = "X-Slow: 1\r\n";
      asio::async_write(self->socket_, asio::buffer(self->line_),
                        [self](beast::error_code ec, size_t) {
                          if (ec) return;  // WatchClose sees it
                          self->Trickle();
                        });
    });
  }
  void WatchClose() {
    socket_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (!ec) return self->WatchClose();
                              ++*self->dropped_;
                              self->Again();
                            });
  }
  // Closed (by the server's time limits): open a new one, so the flood stays at its size.
  void Again() {
    if (done_) return;
    done_ = true;
    timer_.cancel();
    if (counted_) --*live_;
    beast::error_code ignored;
    socket_.close(ignored);
    if (stop_->load()) return;
    auto next = std::make_shared<FloodConn>(io_, f_, to_, slow_, index_, live_, dropped_, stop_);
    auto pause = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(50));
    pause->async_wait([next, pause](beast::error_code) { next->Start(); });
  }

  asio::io_context& io_;
  const HttpFlags& f_;
  tcp::endpoint to_;
  const bool slow_;
  const int index_;
  std::atomic<int>* live_;
  std::atomic<int64_t>* dropped_;
  const std::atomic<bool>* stop_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::string line_;
  beast::flat_buffer buffer_;
  bhttp::response<bhttp::string_body> res_;
  std::array<char, 512> scratch_{};
  bool done_ = false;
  bool counted_ = false;
};

// One probe: a request on its own keep-alive connection; the time to the whole answer.
class Prober {
 public:
  Prober(const HttpFlags& f, tcp::endpoint to) : f_(f), to_(to), socket_(io_) {}

  absl::StatusOr<double> Probe(bhttp::verb verb, const std::string& path, const std::string& body) {
    beast::error_code ec;
    const auto start = Clock::now();
    if (!socket_.is_open()) {
      socket_.connect(to_, ec);
      if (ec) return absl::UnavailableError(ec.message());
    }
    bhttp::request<bhttp::string_body> req{verb, path, 11};
    req.set(bhttp::field::host, "gateway");
    req.set(bhttp::field::authorization, "Bearer " + f_.token);
    if (!body.empty()) {
      req.set(bhttp::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    bhttp::write(socket_, req, ec);
    bhttp::response<bhttp::string_body> res;
    if (!ec) bhttp::read(socket_, buffer_, res, ec);
    if (ec) {
      socket_.close(ec);
      return absl::UnavailableError(ec.message());
    }
    if (res.result_int() != 200) {
      return absl::InternalError(absl::StrCat(path, ": HTTP ", res.result_int()));
    }
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  }

 private:
  const HttpFlags& f_;
  tcp::endpoint to_;
  asio::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

int FloodMode(const HttpFlags& f, std::ostream& out, std::ostream& err) {
  Endpoint http;
  ParseEndpoint(f.http, &http);
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread io_thread([&io] { io.run(); });
  std::atomic<int> slow_live{0}, idle_live{0};
  std::atomic<int64_t> slow_dropped{0}, idle_dropped{0};
  std::atomic<bool> stop{false};
  for (int i = 0; i < f.slow + f.idle; ++i) {
    const bool slow = i < f.slow;
    asio::post(io, [&, slow, i] {
      std::make_shared<FloodConn>(io, f, Target(http), slow, i, slow ? &slow_live : &idle_live,
                                  slow ? &slow_dropped : &idle_dropped, &stop)
          ->Start();
    });
    if (i % 200 == 199) absl::SleepFor(absl::Milliseconds(20));
  }
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while ((slow_live.load() < f.slow || idle_live.load() < f.idle) && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  out << absl::StrFormat("flood open: %d slow-header, %d idle keep-alive connections\n",
                         slow_live.load(), idle_live.load());
  Prober health(f, Target(http));
  Prober api(f, Target(http));
  std::vector<double> health_ms, api_ms;
  int64_t errors = 0;
  const std::string body = absl::StrCat(R"({"siteId":")", f.site, R"("})");
  const absl::Time end = absl::Now() + f.duration;
  int64_t sum_slow = 0, sum_idle = 0, samples = 0;
  while (absl::Now() < end) {
    absl::StatusOr<double> h = health.Probe(bhttp::verb::get, "/healthz", "");
    absl::StatusOr<double> a =
        api.Probe(bhttp::verb::post, "/api/v1/lianfang.gate.v1.GateService/GetOccupancy", body);
    if (h.ok())
      health_ms.push_back(*h);
    else {
      ++errors;
      err << h.status() << "\n";
    }
    if (a.ok())
      api_ms.push_back(*a);
    else {
      ++errors;
      err << a.status() << "\n";
    }
    sum_slow += slow_live.load();
    sum_idle += idle_live.load();
    ++samples;
    absl::SleepFor(absl::Milliseconds(20));
  }
  out << absl::StrFormat(
      "while %d slow-header (%.0f open on average; %d dropped by the server) and %d idle "
      "(%.0f open on average; %d dropped) connections:\n"
      "  GET /healthz          %s\n"
      "  POST GetOccupancy     %s\n"
      "  probe errors %d\n",
      f.slow, static_cast<double>(sum_slow) / std::max<int64_t>(samples, 1), slow_dropped.load(),
      f.idle, static_cast<double>(sum_idle) / std::max<int64_t>(samples, 1), idle_dropped.load(),
      Summary(health_ms), Summary(api_ms), errors);
  out << Rss(f.gateway_pid) << "\n";
  stop = true;
  work.reset();
  io.stop();
  io_thread.join();
  return errors > 0 ? 1 : 0;
}

}  // namespace

int RunHttpLoad(const std::vector<std::string>& args,
                const std::function<const char*(const char*)>& getenv, std::ostream& out,
                std::ostream& err) {
  HttpFlags f;
  const auto env = [&](const char* name, std::string& to) {
    if (const char* v = getenv(name); v != nullptr && *v != '\0') to = v;
  };
  env("LF_HTTP_ADDR", f.http);
  env("LF_GATE_ADDR", f.gate);
  env("LF_TOKEN", f.token);
  env("LF_JWT_SECRET_FILE", f.jwt_secret_file);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i], value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    }
    const auto integer = [&](int* to) {
      if (!absl::SimpleAtoi(value, to) || *to < 0) {
        err << "lf-load http: " << name << ": not a count: " << value << "\n";
        return false;
      }
      return true;
    };
    bool ok = true;
    if (name == "--mode")
      f.mode = value;
    else if (name == "--http")
      f.http = value;
    else if (name == "--gate")
      f.gate = value;
    else if (name == "--token")
      f.token = value;
    else if (name == "--jwt-secret-file")
      f.jwt_secret_file = value;
    else if (name == "--site")
      f.site = value;
    else if (name == "--gate-id")
      f.gate_id = value;
    else if (name == "--concurrency")
      ok = integer(&f.concurrency);
    else if (name == "--rounds")
      ok = integer(&f.rounds);
    else if (name == "--streams")
      ok = integer(&f.streams);
    else if (name == "--passages")
      ok = integer(&f.passages);
    else if (name == "--slow")
      ok = integer(&f.slow);
    else if (name == "--idle")
      ok = integer(&f.idle);
    else if (name == "--sources")
      ok = integer(&f.sources);
    else if (name == "--gateway-pid")
      ok = integer(&f.gateway_pid);
    else if (name == "--duration")
      ok = absl::ParseDuration(value, &f.duration);
    else {
      err << "lf-load http: unknown flag " << name << "\n";
      return 2;
    }
    if (!ok) return 2;
  }
  if (f.sources < 1) f.sources = 1;
  if (f.token.empty() && !f.jwt_secret_file.empty()) {
    absl::StatusOr<std::string> key = auth::ReadSecretFile(f.jwt_secret_file);
    if (!key.ok()) {
      err << "lf-load http: --jwt-secret-file: " << key.status().message() << "\n";
      return 2;
    }
    auth::Principal admin;
    admin.subject = "lf-load";
    admin.name = "压测";
    admin.role = auth::Role::kAdmin;
    absl::StatusOr<std::string> token =
        auth::TokenSigner(*key).Sign(admin, absl::Now(), absl::Hours(12));
    if (!token.ok()) {
      err << "lf-load http: " << token.status().message() << "\n";
      return 2;
    }
    f.token = *token;
  }
  if (f.token.empty()) {
    err << "lf-load http: no token: pass --token (LF_TOKEN) or --jwt-secret-file\n";
    return 2;
  }
  Endpoint e;
  if (!ParseEndpoint(f.http, &e)) {
    err << "lf-load http: --http: not HOST:PORT: " << f.http << "\n";
    return 2;
  }
  try {
    if (f.mode == "passage") return PassageMode(f, out);
    if (f.mode == "streams") return StreamsMode(f, out, err);
    if (f.mode == "flood") return FloodMode(f, out, err);
  } catch (const std::exception& e) {
    err << "lf-load http: " << e.what() << "\n";
    return 2;
  }
  err << "lf-load http: --mode must be passage, streams or flood\n";
  return 2;
}

}  // namespace lianfang::load
