// The event-driven HTTP server under the gateway (services/gateway/http_server.h): a slow
// event-stream reader is dropped without slowing the others, answers from other threads,
// keep-alive, chunked streams and the request size limits.
#include "services/gateway/http_server.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status/status_matchers.h"
#include "common/testing/poll.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/gateway/raw_http.h"

namespace lianfang::gateway::http {
namespace {

using ::lianfang::gateway::testing::GetRequest;
using ::lianfang::gateway::testing::RawConnection;
using ::lianfang::testing::PollUntil;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Server::Options Loopback() {
  Server::Options o;
  o.listen = "127.0.0.1:0";
  return o;
}

TEST(HttpServerTest, AnAnswerFromAnotherThreadKeepsTheConnectionAlive) {
  std::vector<std::thread> later;
  absl::Mutex mu;
  Server server(Loopback(), [&](std::shared_ptr<Exchange> ex) {
    absl::MutexLock lock(&mu);
    later.emplace_back([ex] {
      Response res;
      res.content_type = "text/plain";
      res.body = absl::StrCat(ex->request().method, " ", ex->request().path, " ",
                              ex->request().Param("q"), " ", ex->request().Header("x-test"));
      ex->Respond(std::move(res));
    });
  });
  ASSERT_OK(server.Start());
  ASSERT_OK_AND_ASSIGN(RawConnection c, RawConnection::Open(server.port()));
  ASSERT_TRUE(c.Send(GetRequest("/a?q=x%20y+z", "X-Test: 1\r\n")));
  ASSERT_TRUE(c.ReadUntil("GET /a x y z 1", absl::Seconds(10))) << c.received();
  EXPECT_THAT(c.received(), HasSubstr("Content-Length: 14\r\n"));
  c.clear_received();
  ASSERT_TRUE(c.Send(GetRequest("/b")));
  ASSERT_TRUE(c.ReadUntil("GET /b", absl::Seconds(10))) << c.received();
  server.Stop();
  for (std::thread& t : later) t.join();
}

TEST(HttpServerTest, ABodyOverTheLimitIs413AndTheConnectionCloses) {
  Server::Options o = Loopback();
  o.max_body_bytes = 100;
  Server server(o, [](std::shared_ptr<Exchange> ex) { ex->Respond(Response{}); });
  ASSERT_OK(server.Start());
  ASSERT_OK_AND_ASSIGN(RawConnection c, RawConnection::Open(server.port()));
  ASSERT_TRUE(c.Send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n"));
  EXPECT_TRUE(c.WaitClosed(absl::Seconds(10)));
  EXPECT_THAT(c.received(), StartsWith("HTTP/1.1 413 "));
  EXPECT_THAT(c.received(), HasSubstr("larger than 100 bytes"));
}

TEST(HttpServerTest, AReaderSlowerThanItsStreamIsDroppedWhileTheOthersGoOn) {
  Server::Options o = Loopback();
  o.max_stream_buffer = 256 * 1024;
  absl::Mutex mu;
  std::vector<std::shared_ptr<EventSink>> sinks;
  std::atomic<int> closed{0};
  Server server(o, [&](std::shared_ptr<Exchange> ex) {
    std::shared_ptr<EventSink> sink = ex->Stream(Response{}, [&closed] { ++closed; });
    absl::MutexLock lock(&mu);
    sinks.push_back(std::move(sink));
  });
  ASSERT_OK(server.Start());
  // One reader that never reads (with a small receive buffer), one that keeps up.
  ASSERT_OK_AND_ASSIGN(RawConnection slow, RawConnection::Open(server.port(), "", 4096));
  ASSERT_TRUE(slow.Send(GetRequest("/events")));
  ASSERT_OK_AND_ASSIGN(RawConnection fast, RawConnection::Open(server.port()));
  ASSERT_TRUE(fast.Send(GetRequest("/events")));
  ASSERT_TRUE(PollUntil(
      [&] {
        absl::MutexLock lock(&mu);
        return sinks.size() == 2;
      },
      absl::Seconds(10)));
  std::atomic<size_t> fast_bytes{0};
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done.load() && fast.Read(absl::Milliseconds(50))) fast_bytes = fast.received().size();
  });
  // 8 MB for each: far beyond what the kernel buffers of the slow one hold.
  const std::string event = absl::StrCat("data: ", std::string(8186, 'x'), "\n\n");
  std::vector<int> failed(2, 0);
  for (int i = 0; i < 1000; ++i) {
    absl::MutexLock lock(&mu);
    for (int s = 0; s < 2; ++s) {
      if (!sinks[s]->Write(event)) ++failed[s];
    }
    // Paced by the fast reader (it stays within a few events).
    if (i > 8) {
      ASSERT_TRUE(
          PollUntil([&] { return fast_bytes.load() >= (i - 8) * event.size(); }, absl::Seconds(20)))
          << i;
    }
  }
  ASSERT_TRUE(
      PollUntil([&] { return fast_bytes.load() >= 1000 * event.size(); }, absl::Seconds(20)));
  done = true;
  reader.join();
  // Exactly one stream was dropped, the other received everything.
  EXPECT_TRUE((failed[0] == 0) != (failed[1] == 0)) << failed[0] << " " << failed[1];
  ASSERT_TRUE(PollUntil([&] { return closed.load() == 1; }, absl::Seconds(10)));
  EXPECT_EQ(server.stats().slow_streams, 1);
  EXPECT_EQ(server.stats().streams, 1);
  EXPECT_FALSE(fast.closed());
  EXPECT_THAT(fast.received(), HasSubstr("Transfer-Encoding: chunked"));
  server.Stop();
  EXPECT_EQ(closed.load(), 2) << "Stop closes the open stream";
}

}  // namespace
}  // namespace lianfang::gateway::http
