// The metrics listener over real loopback sockets: what a scraper and a hostile client get.
#include "common/server/metrics_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/server/metrics.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::server {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// A connected loopback socket with a receive timeout; -1 on failure.
int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{.tv_sec = 10, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Everything the server sends until it closes the connection (or 10 s pass).
std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Sends `request` on a new connection and returns the whole answer.
std::string Exchange(int port, const std::string& request) {
  const int fd = Connect(port);
  if (fd < 0) return "<connect failed>";
  (void)send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string answer = ReadAll(fd);
  close(fd);
  return answer;
}

std::string Get(int port, const std::string& target) {
  return Exchange(port, absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: x\r\n\r\n"));
}

class MetricsListenerTest : public ::testing::Test {
 protected:
  void Start(MetricsListener::Options options = {}) {
    options.listen = "127.0.0.1:0";
    listener_ = std::make_unique<MetricsListener>(options, &metrics_);
    ASSERT_OK(listener_->Start());
    port_ = listener_->port();
    ASSERT_GT(port_, 0);
  }

  Metrics metrics_;
  std::unique_ptr<MetricsListener> listener_;
  int port_ = 0;
};

TEST_F(MetricsListenerTest, GetMetricsServesTheRegistryInTheTextFormat) {
  metrics_.GetCounter("lf_things_total", "things")->Increment(3);
  int scrapes = 0;
  metrics_.AddCollector([&] { metrics_.GetGauge("lf_scrapes", "scrapes")->Set(++scrapes); });
  Start();
  const std::string answer = Get(port_, "/metrics");
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(answer, HasSubstr("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
  EXPECT_THAT(answer, HasSubstr("Connection: close\r\n"));
  EXPECT_THAT(answer, HasSubstr("\r\n\r\n# HELP "));
  EXPECT_THAT(answer, HasSubstr("# TYPE lf_things_total counter\nlf_things_total 3\n"));
  EXPECT_THAT(answer, HasSubstr("lf_scrapes 1\n"));
  // A query string is ignored; collectors run at each scrape.
  EXPECT_THAT(Get(port_, "/metrics?name[]=x"), HasSubstr("lf_scrapes 2\n"));
}

TEST_F(MetricsListenerTest, HeadHasNoBodyAndOtherMethodsAndPathsAreRefused) {
  metrics_.GetCounter("lf_things_total", "things")->Increment();
  Start();
  const std::string head = Exchange(port_, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(head, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(head, EndsWith("\r\n\r\n"));
  EXPECT_THAT(head, Not(HasSubstr("lf_things_total")));

  const std::string post =
      Exchange(port_, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_THAT(post, StartsWith("HTTP/1.1 405 "));
  EXPECT_THAT(post, HasSubstr("Allow: GET, HEAD\r\n"));
  EXPECT_THAT(Get(port_, "/"), StartsWith("HTTP/1.1 404 "));
  EXPECT_THAT(Get(port_, "/metrics/x"), StartsWith("HTTP/1.1 404 "));
  EXPECT_THAT(Get(port_, "/Metrics"), StartsWith("HTTP/1.1 404 "));
}

TEST_F(MetricsListenerTest, GarbageBodiesAndHugeHeadersAreRefusedAndServingGoesOn) {
  Start({.max_request_bytes = 1024});
  EXPECT_THAT(Exchange(port_, std::string("\x01\x02\xff garbage\r\n\r\n", 15)),
              StartsWith("HTTP/1.1 400 "));
  EXPECT_THAT(Exchange(port_, "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"),
              StartsWith("HTTP/1.1 400 "));
  EXPECT_THAT(Exchange(port_, absl::StrCat("GET /metrics HTTP/1.1\r\nX-Big: ",
                                           std::string(4000, 'a'), "\r\n\r\n")),
              StartsWith("HTTP/1.1 431 "));
  // A client that goes away in the middle of its request.
  const int fd = Connect(port_);
  ASSERT_GE(fd, 0);
  (void)send(fd, "GET /met", 8, MSG_NOSIGNAL);
  close(fd);
  EXPECT_THAT(Get(port_, "/metrics"), StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_F(MetricsListenerTest, ASilentClientNeitherBlocksOthersNorStaysForever) {
  Start({.read_timeout = absl::Milliseconds(300)});
  const int silent = Connect(port_);
  ASSERT_GE(silent, 0);
  EXPECT_THAT(Get(port_, "/metrics"), StartsWith("HTTP/1.1 200 OK\r\n"));
  const absl::Time start = absl::Now();
  EXPECT_EQ(ReadAll(silent), "");  // closed by the listener, well before the 10 s recv timeout
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  close(silent);
}

TEST_F(MetricsListenerTest, BadOrTakenAddressesFailToStart) {
  MetricsListener bad({.listen = "no-port"}, &metrics_);
  EXPECT_THAT(bad.Start(), StatusIs(absl::StatusCode::kInvalidArgument));
  Start();
  MetricsListener second({.listen = absl::StrCat("127.0.0.1:", port_)}, &metrics_);
  EXPECT_THAT(second.Start(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("cannot listen on 127.0.0.1:")));
  EXPECT_THAT(listener_->Start(), StatusIs(absl::StatusCode::kFailedPrecondition));
  listener_->Stop();
  listener_->Stop();  // idempotent
  EXPECT_EQ(Connect(port_) < 0 ? "refused" : "accepted", "refused");
}

}  // namespace
}  // namespace lianfang::server
