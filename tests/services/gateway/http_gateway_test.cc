// The gateway's HTTP side against a real redis-server: tokens and roles on the API (401, 403,
// 200), the JSON mapping, the Server-Sent Events stream, the public page, /healthz, /metrics.
#include "services/gateway/http_gateway.h"

#include <httplib.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/server/client.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/poll.h"
#include "common/testing/ports.h"
#include "common/testing/with_redis.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "services/gateway/cache_reader.h"
#include "services/gateway/services_reader.h"
#include "tests/services/gateway/gateway_test_support.h"
#include "tests/services/gateway/raw_http.h"

namespace lianfang::gateway {
namespace {

using ::lianfang::gateway::testing::GetRequest;
using ::lianfang::gateway::testing::RawConnection;
using ::lianfang::testing::PollUntil;
using ::lianfang::testing::TestTokens;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// The `data:` payloads of the complete events in `buffer`.
std::vector<std::string> EventData(const std::string& buffer) {
  std::vector<std::string> data;
  size_t start = 0;
  while (true) {
    const size_t end = buffer.find("\n\n", start);
    if (end == std::string::npos) break;
    for (absl::string_view line :
         absl::StrSplit(absl::string_view(buffer).substr(start, end - start), '\n')) {
      if (absl::ConsumePrefix(&line, "data: ")) data.emplace_back(line);
    }
    start = end + 2;
  }
  return data;
}

v1::Dashboard Parse(const std::string& json) {
  v1::Dashboard d;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &d).ok()) << json;
  return d;
}

class HttpGatewayTest : public lianfang::testing::WithRedis {
 protected:
  void SetUp() override {
    WithRedis::SetUp();
    client_ = std::make_unique<redis::Client>(*redis::ParseUrl(redis_url()));
    cache_ = std::make_unique<CacheReader>(client_.get(), &testing::Sites());
    const auto nowhere = server::MakeChannel(
        absl::StrCat("127.0.0.1:", *lianfang::testing::PickFreePort()), nullptr);
    services_ = std::make_unique<ServicesReader>(
        ServicesReader::Backends{nowhere, nowhere, nowhere},
        [this] { return tokens_.For(auth::Role::kService, "gateway"); }, &testing::Sites(),
        ServicesReader::Options{}, nullptr);
    reader_ = std::make_unique<DashboardReader>(
        cache_.get(), services_.get(), [] { return std::vector<ServiceHealth>{}; }, &clock_,
        tz_, DashboardReader::Options{}, &metrics_);
    DashboardHub::Options hub_options;
    hub_options.refresh_interval = absl::Hours(1);
    hub_ = std::make_unique<DashboardHub>(reader_.get(), testing::Sites().ids(),
                                          *redis::ParseUrl(redis_url()), hub_options, &metrics_);
    ASSERT_OK(hub_->Start());
    ASSERT_TRUE(hub_->WaitUntilSubscribed(absl::Seconds(10)));
  }

  void TearDown() override {
    if (http_ != nullptr) http_->Stop();
    if (hub_ != nullptr) hub_->Stop();
  }

  void StartHttp(int max_streams = 0,
                 const std::function<void(HttpGateway::Options&)>& tweak = nullptr) {
    HttpGateway::Options options;
    options.listen = "127.0.0.1:0";
    options.threads = 16;
    options.max_streams = max_streams;
    if (tweak) tweak(options);
    http_ = std::make_unique<HttpGateway>(
        options, HttpGateway::Deps{.authorizer = &tokens_.authorizer(),
                                   .sites = &testing::Sites(),
                                   .source = reader_.get(),
                                   .hub = hub_.get(),
                                   .metrics = &metrics_,
                                   .redis_up = [this] { return client_->Ping().ok(); }});
    ASSERT_OK(http_->Start());
  }

  std::unique_ptr<httplib::Client> Http() {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", http_->port());
    c->set_connection_timeout(5, 0);
    c->set_read_timeout(20, 0);
    return c;
  }

  httplib::Headers Bearer(const std::string& token) {
    return {{"Authorization", absl::StrCat("Bearer ", token)}};
  }

  absl::CivilDay Today() const { return time::DayOf(clock_.Now(), tz_); }

  TestTokens tokens_;
  server::Metrics metrics_;
  time::RealClock clock_;
  absl::TimeZone tz_ = *time::LoadTimeZone("Asia/Shanghai");
  std::unique_ptr<redis::Client> client_;
  std::unique_ptr<CacheReader> cache_;
  std::unique_ptr<ServicesReader> services_;
  std::unique_ptr<DashboardReader> reader_;
  std::unique_ptr<DashboardHub> hub_;
  std::unique_ptr<HttpGateway> http_;
};

TEST_F(HttpGatewayTest, WithoutATokenTheApiAnswers401AsJson) {
  StartHttp();
  for (const char* path : {"/api/v1/dashboard", "/api/v1/dashboard/events"}) {
    auto res = Http()->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 401) << path;
    EXPECT_THAT(res->get_header_value("Content-Type"), StartsWith("application/json"));
    EXPECT_THAT(res->get_header_value("WWW-Authenticate"), StartsWith("Bearer"));
    google::protobuf::Struct body;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(res->body, &body).ok()) << res->body;
    EXPECT_EQ(body.fields().at("code").string_value(), "UNAUTHENTICATED");
    EXPECT_FALSE(body.fields().at("message").string_value().empty());
  }
  auto forged = Http()->Get("/api/v1/dashboard", Bearer("eyJhbGciOiJub25lIn0.e30."));
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 401);
}

TEST_F(HttpGatewayTest, ARoleThatMayNotSeeTheDashboardGets403) {
  StartHttp();
  for (auth::Role role : {auth::Role::kGuard, auth::Role::kVolunteer, auth::Role::kService}) {
    auto res = Http()->Get("/api/v1/dashboard", Bearer(tokens_.For(role, "x")));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 403) << auth::RoleName(role);
    EXPECT_THAT(res->body, HasSubstr("PERMISSION_DENIED"));
  }
  auto events = Http()->Get(
      absl::StrCat("/api/v1/dashboard/events?access_token=",
                   tokens_.For(auth::Role::kGuard, "g")));
  ASSERT_TRUE(events);
  EXPECT_EQ(events->status, 403);
}

TEST_F(HttpGatewayTest, ALeaderGetsTheDashboardInProtobufJsonWithZerosWrittenOut) {
  testing::Figures f;
  f.gate_live = {{"onsite", 25}};
  f.gate_day = {{"entries", 31}, {"denied", 2}, {"fevers", 1}};
  f.survey_live = {{"households_total", 10}, {"households_surveyed", 4}};
  ASSERT_OK(testing::WriteFigures(*client_, "village", Today(), f));
  StartHttp();
  auto res = Http()->Get("/api/v1/dashboard", Bearer(tokens_.For(auth::Role::kLeader, "l")));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_THAT(res->get_header_value("Content-Type"), StartsWith("application/json"));
  EXPECT_THAT(res->body, HasSubstr("\"source\":\"SOURCE_CACHE\""));
  EXPECT_THAT(res->body, HasSubstr("\"tasksOverdue\":0"));
  const v1::Dashboard d = Parse(res->body);
  ASSERT_EQ(d.sites_size(), 4);
  EXPECT_EQ(d.sites(3).site_id(), "village");
  EXPECT_EQ(d.sites(3).onsite(), 25);
  EXPECT_EQ(d.sites(3).entries_today(), 31);
  EXPECT_EQ(d.sites(3).households_surveyed(), 4);
  EXPECT_EQ(d.totals().fevers_today(), 1);
  EXPECT_FALSE(d.date().empty());
}

TEST_F(HttpGatewayTest, SiteIdsNarrowTheDashboardAndUnknownOnesAre400) {
  StartHttp();
  const auto leader = Bearer(tokens_.For(auth::Role::kLeader, "l"));
  auto two = Http()->Get("/api/v1/dashboard?site_ids=village,campus", leader);
  ASSERT_TRUE(two);
  ASSERT_EQ(two->status, 200);
  const v1::Dashboard d = Parse(two->body);
  ASSERT_EQ(d.sites_size(), 2);
  EXPECT_EQ(d.sites(0).site_id(), "campus");
  EXPECT_EQ(d.sites(1).site_id(), "village");

  auto bad = Http()->Get("/api/v1/dashboard?site_ids=campus,atlantis", leader);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(bad->body, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(bad->body, HasSubstr("site_ids[1]"));

  auto other = Http()->Get("/api/v1/dashboard?site_ids=village",
                           Bearer(tokens_.For(auth::Role::kViewer, "v", {"campus"})));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 403);
}

TEST_F(HttpGatewayTest, AQueryTokenIsAcceptedOnTheEventsRouteOnly) {
  StartHttp();
  auto res = Http()->Get(absl::StrCat("/api/v1/dashboard?access_token=",
                                      tokens_.For(auth::Role::kLeader, "l")));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
}

TEST_F(HttpGatewayTest, TheEventStreamSendsASnapshotAtOnceAndAnotherAfterAChange) {
  StartHttp();
  auto http = Http();
  std::string buffer;
  int status = 0;
  std::string content_type;
  bool changed = false;
  std::vector<v1::Dashboard> events;
  auto res = http->Get(
      absl::StrCat("/api/v1/dashboard/events?site_ids=campus&access_token=",
                   tokens_.For(auth::Role::kViewer, "v")),
      [&](const httplib::Response& r) {
        status = r.status;
        content_type = r.get_header_value("Content-Type");
        return true;
      },
      [&](const char* data, size_t n) {
        buffer.append(data, n);
        const std::vector<std::string> data_lines = EventData(buffer);
        if (data_lines.size() >= 1 && !changed) {
          changed = true;  // the first snapshot is here: now a passage at the gate
          EXPECT_OK(testing::SimulateAdmittedEntry(*client_, "campus", Today()));
        }
        if (data_lines.size() >= 2) {
          for (const std::string& json : data_lines) events.push_back(Parse(json));
          return false;  // enough: hang up
        }
        return true;
      });
  EXPECT_EQ(status, 200);
  EXPECT_THAT(content_type, StartsWith("text/event-stream"));
  EXPECT_THAT(buffer, StartsWith("retry: "));
  ASSERT_EQ(events.size(), 2u) << buffer;
  ASSERT_EQ(events[0].sites_size(), 1);
  EXPECT_EQ(events[0].sites(0).site_id(), "campus");
  EXPECT_EQ(events[0].sites(0).entries_today(), 0);
  EXPECT_EQ(events[1].sites(0).entries_today(), 1);
  EXPECT_EQ(events[1].totals().onsite(), 1);
  // The hung-up client is noticed and released (at the latest on the next keep-alive).
  http.reset();
}

TEST_F(HttpGatewayTest, HealthAndMetricsArePublicAndCountRequestsPerRoute) {
  StartHttp();
  auto health = Http()->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "{\"status\":\"ok\",\"redis\":\"up\"}");

  ASSERT_TRUE(Http()->Get("/api/v1/dashboard"));  // a 401
  ASSERT_TRUE(Http()->Get("/api/v1/dashboard", Bearer(tokens_.For(auth::Role::kAdmin, "a"))));
  auto metrics = Http()->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_THAT(metrics->get_header_value("Content-Type"), StartsWith("text/plain; version=0.0.4"));
  const std::string& text = metrics->body;
  EXPECT_THAT(text, HasSubstr("lf_http_requests_total{route=\"/api/v1/dashboard\",code=\"401\"} 1"));
  EXPECT_THAT(text, HasSubstr("lf_http_requests_total{route=\"/api/v1/dashboard\",code=\"200\"} 1"));
  EXPECT_THAT(text, HasSubstr("lf_http_requests_total{route=\"/healthz\",code=\"200\"} 1"));
  EXPECT_THAT(text, HasSubstr("# TYPE lf_http_request_duration_seconds histogram"));
  EXPECT_THAT(text, HasSubstr("lf_http_request_duration_seconds_count{route=\"/api/v1/dashboard\"} 2"));
  EXPECT_THAT(text, HasSubstr("lf_redis_up 1"));
  EXPECT_THAT(text, HasSubstr("lf_gateway_dashboard_reads_total{source=\"cache\"} 1"));

  ASSERT_OK(redis_server().Kill());
  auto down = Http()->Get("/healthz");
  ASSERT_TRUE(down);
  EXPECT_EQ(down->status, 200) << "the gateway still serves, from the services";
  EXPECT_THAT(down->body, HasSubstr("\"redis\":\"down\""));
  EXPECT_THAT(Http()->Get("/metrics")->body, HasSubstr("lf_redis_up 0"));
}

TEST_F(HttpGatewayTest, ThePageAndItsFilesAreServedWithoutAToken) {
  StartHttp();
  auto page = Http()->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->get_header_value("Content-Type"), StartsWith("text/html"));
  EXPECT_THAT(page->get_header_value("Content-Security-Policy"), HasSubstr("default-src 'none'"));
  EXPECT_THAT(page->body, HasSubstr("联防联控"));
  EXPECT_THAT(page->body, HasSubstr("English"));
  EXPECT_THAT(page->body, HasSubstr("/app.js"));
  EXPECT_THAT(page->body, ::testing::Not(HasSubstr("http://")));
  EXPECT_THAT(page->body, ::testing::Not(HasSubstr("https://")));

  auto script = Http()->Get("/app.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 200);
  EXPECT_THAT(script->get_header_value("Content-Type"), StartsWith("text/javascript"));
  EXPECT_THAT(script->body, HasSubstr("LFSession.events"));
  EXPECT_THAT(script->body, HasSubstr("/api/v1/dashboard/events"));

  auto style = Http()->Get("/app.css");
  ASSERT_TRUE(style);
  EXPECT_EQ(style->status, 200);
  EXPECT_THAT(style->get_header_value("Content-Type"), StartsWith("text/css"));
  EXPECT_THAT(style->body, HasSubstr("grid-template-columns"));

  auto missing = Http()->Get("/secrets");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_THAT(missing->body, HasSubstr("NOT_FOUND"));
}

TEST_F(HttpGatewayTest, StreamsBeyondTheCapAreRefusedAndStoppingEndsOpenStreams) {
  StartHttp(/*max_streams=*/1);
  const std::string path = absl::StrCat("/api/v1/dashboard/events?access_token=",
                                        tokens_.For(auth::Role::kLeader, "l"));
  std::atomic<bool> got_event{false};
  std::thread first([&] {
    auto http = Http();
    std::string buffer;
    http->Get(path, [&](const char* data, size_t n) {
      buffer.append(data, n);
      if (!EventData(buffer).empty()) got_event = true;
      return true;  // keep listening until the server ends the stream
    });
  });
  ASSERT_TRUE(PollUntil([&] { return got_event.load(); }, absl::Seconds(10)));
  EXPECT_EQ(http_->open_streams(), 1);

  auto second = Http()->Get(path);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 503);
  EXPECT_EQ(second->get_header_value("Retry-After"), "5");

  http_->Stop();  // must not wait for the client to hang up
  first.join();
  EXPECT_EQ(http_->open_streams(), 0);
  EXPECT_EQ(hub_->watchers(), 0u);
}

TEST_F(HttpGatewayTest, BeforeTheDrainOpenEventStreamsEnd) {
  StartHttp();
  std::atomic<bool> got_event{false};
  std::thread client([&] {
    auto http = Http();
    std::string buffer;
    http->Get(absl::StrCat("/api/v1/dashboard/events?access_token=",
                           tokens_.For(auth::Role::kLeader, "l")),
              [&](const char* data, size_t n) {
                buffer.append(data, n);
                if (!EventData(buffer).empty()) got_event = true;
                return true;
              });
  });
  ASSERT_TRUE(PollUntil([&] { return got_event.load(); }, absl::Seconds(10)));
  hub_->CloseAll();
  client.join();  // the server ended the response: the client returns
  ASSERT_TRUE(PollUntil([&] { return http_->open_streams() == 0; }, absl::Seconds(10)));
  auto late = Http()->Get(absl::StrCat("/api/v1/dashboard/events?access_token=",
                                       tokens_.For(auth::Role::kLeader, "l")));
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 503);
}

// The time a GET of `path` takes, or a failure.
absl::StatusOr<absl::Duration> TimedGet(httplib::Client& client, const std::string& path,
                                        const httplib::Headers& headers, int expected) {
  const absl::Time start = absl::Now();
  auto res = client.Get(path, headers);
  if (!res) return absl::UnavailableError(absl::StrCat(path, ": no answer"));
  if (res->status != expected) {
    return absl::InternalError(absl::StrCat(path, ": ", res->status, " ", res->body));
  }
  return absl::Now() - start;
}

TEST_F(HttpGatewayTest, SlowHeaderClientsHoldNoThreadAndAreDroppedAtTheHeaderTimeout) {
  // Two handler threads and sixty phones on a weak signal, each in the middle of its headers.
  StartHttp(0, [](HttpGateway::Options& o) {
    o.threads = 2;
    o.header_timeout = absl::Seconds(2);
  });
  std::vector<RawConnection> slow;
  for (int i = 0; i < 60; ++i) {
    ASSERT_OK_AND_ASSIGN(RawConnection c, RawConnection::Open(http_->port()));
    ASSERT_TRUE(c.Send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: sl"));
    slow.push_back(std::move(c));
  }
  ASSERT_TRUE(PollUntil([&] { return http_->connection_stats().open >= 60; }, absl::Seconds(10)));
  // Everyone else is served at once meanwhile.
  auto client = Http();
  ASSERT_OK_AND_ASSIGN(absl::Duration health, TimedGet(*client, "/healthz", {}, 200));
  EXPECT_LT(health, absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(absl::Duration dashboard,
                       TimedGet(*client, "/api/v1/dashboard",
                                Bearer(tokens_.For(auth::Role::kLeader, "l")), 200));
  EXPECT_LT(dashboard, absl::Seconds(1));
  // And the slow ones are dropped, not waited for.
  for (RawConnection& c : slow) {
    EXPECT_TRUE(c.WaitClosed(absl::Seconds(10)));
    EXPECT_EQ(c.received(), "") << "dropped without an answer";
  }
  // (Counted just after the socket closes: the client may see the close first.)
  EXPECT_TRUE(
      PollUntil([&] { return http_->connection_stats().timed_out >= 60; }, absl::Seconds(10)));
}

TEST_F(HttpGatewayTest, IdleKeepAliveConnectionsHoldNoThreadAndCloseAfterTheIdleTimeout) {
  StartHttp(0, [](HttpGateway::Options& o) {
    o.threads = 2;
    o.idle_timeout = absl::Seconds(2);
  });
  // A hundred browsers that asked once and keep their connections open.
  std::vector<RawConnection> idle;
  for (int i = 0; i < 100; ++i) {
    ASSERT_OK_AND_ASSIGN(RawConnection c, RawConnection::Open(http_->port()));
    ASSERT_TRUE(c.Send(GetRequest("/healthz")));
    ASSERT_TRUE(c.ReadUntil("\"redis\":\"up\"}", absl::Seconds(10))) << c.received();
    EXPECT_THAT(c.received(), StartsWith("HTTP/1.1 200 OK\r\n"));
    EXPECT_FALSE(c.closed());
    idle.push_back(std::move(c));
  }
  auto client = Http();
  ASSERT_OK_AND_ASSIGN(absl::Duration dashboard,
                       TimedGet(*client, "/api/v1/dashboard",
                                Bearer(tokens_.For(auth::Role::kLeader, "l")), 200));
  EXPECT_LT(dashboard, absl::Seconds(1));
  // A kept-alive connection serves a second request...
  idle[0].clear_received();
  ASSERT_TRUE(idle[0].Send(GetRequest("/healthz")));
  ASSERT_TRUE(idle[0].ReadUntil("\"redis\":\"up\"}", absl::Seconds(10)));
  // ... and every idle one is closed once the idle time passed.
  for (RawConnection& c : idle) EXPECT_TRUE(c.WaitClosed(absl::Seconds(10)));
}

TEST_F(HttpGatewayTest, ConnectionsBeyondTheCapsAreRefusedWith503AndRetryAfter) {
  StartHttp(0, [](HttpGateway::Options& o) {
    o.max_connections_per_client = 3;
    o.max_connections = 4;
  });
  std::vector<RawConnection> held;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(RawConnection c, RawConnection::Open(http_->port()));
    held.push_back(std::move(c));
  }
  ASSERT_TRUE(PollUntil([&] { return http_->connection_stats().open == 3; }, absl::Seconds(10)));
  // A fourth from the same address: refused at once, clearly.
  ASSERT_OK_AND_ASSIGN(RawConnection fourth, RawConnection::Open(http_->port()));
  ASSERT_TRUE(fourth.Send(GetRequest("/healthz")));
  EXPECT_TRUE(fourth.WaitClosed(absl::Seconds(10)));
  EXPECT_THAT(fourth.received(), StartsWith("HTTP/1.1 503 Service Unavailable\r\n"));
  EXPECT_THAT(fourth.received(), HasSubstr("Retry-After: 5\r\n"));
  EXPECT_THAT(fourth.received(), HasSubstr("Connection: close\r\n"));
  EXPECT_THAT(fourth.received(), HasSubstr("\"code\":\"UNAVAILABLE\""));
  // Another address still gets in (the fourth connection in total)...
  ASSERT_OK_AND_ASSIGN(RawConnection other, RawConnection::Open(http_->port(), "127.0.0.2"));
  ASSERT_TRUE(other.Send(GetRequest("/healthz")));
  ASSERT_TRUE(other.ReadUntil("\"redis\":\"up\"}", absl::Seconds(10))) << other.received();
  // ... but not a fifth in total.
  ASSERT_OK_AND_ASSIGN(RawConnection fifth, RawConnection::Open(http_->port(), "127.0.0.3"));
  EXPECT_TRUE(fifth.WaitClosed(absl::Seconds(10)));
  EXPECT_THAT(fifth.received(), StartsWith("HTTP/1.1 503"));
  EXPECT_EQ(http_->connection_stats().refused, 2);
  // Once one goes, the address is welcome again.
  held.pop_back();
  ASSERT_TRUE(PollUntil(
      [&] {
        auto res = Http()->Get("/healthz");
        return res && res->status == 200;
      },
      absl::Seconds(10)));
}

TEST_F(HttpGatewayTest, HundredsOfEventStreamsOnTwoThreadsEachGetAChange) {
  constexpr int kStreams = 300;
  StartHttp(0, [](HttpGateway::Options& o) {
    o.threads = 2;
    o.io_threads = 1;
  });
  const std::string request = GetRequest(absl::StrCat(
      "/api/v1/dashboard/events?site_ids=campus&access_token=",
      tokens_.For(auth::Role::kViewer, "v")));
  std::vector<RawConnection> streams;
  for (int i = 0; i < kStreams; ++i) {
    ASSERT_OK_AND_ASSIGN(RawConnection c, RawConnection::Open(http_->port()));
    ASSERT_TRUE(c.Send(request));
    streams.push_back(std::move(c));
  }
  const auto all_have = [&](const std::string& text) {
    return PollUntil(
        [&] {
          for (RawConnection& c : streams) {
            if (!absl::StrContains(c.received(), text)) {
              c.Read(absl::ZeroDuration());
              if (!absl::StrContains(c.received(), text)) return false;
            }
          }
          return true;
        },
        absl::Seconds(30));
  };
  ASSERT_TRUE(all_have("\"entriesToday\":0"));
  EXPECT_EQ(http_->open_streams(), kStreams);
  EXPECT_THAT(streams[0].received(), StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(streams[0].received(), HasSubstr("Content-Type: text/event-stream"));
  EXPECT_THAT(streams[0].received(), HasSubstr("retry: 3000"));
  // A passage at the gate reaches every one of them.
  const absl::Time passage = absl::Now();
  ASSERT_OK(testing::SimulateAdmittedEntry(*client_, "campus", Today()));
  ASSERT_TRUE(all_have("\"entriesToday\":1"));
  EXPECT_LT(absl::Now() - passage, absl::Seconds(5));
  // Clients that hang up are released.
  streams.erase(streams.begin() + kStreams / 2, streams.end());
  ASSERT_TRUE(
      PollUntil([&] { return http_->open_streams() == kStreams / 2; }, absl::Seconds(20)));
  streams.clear();
  ASSERT_TRUE(PollUntil([&] { return hub_->watchers() == 0; }, absl::Seconds(20)));
}

TEST_F(HttpGatewayTest, ABusyAddressIsReportedAsUnavailable) {
  StartHttp();
  HttpGateway::Options options;
  options.listen = absl::StrCat("127.0.0.1:", http_->port());
  HttpGateway second(options, HttpGateway::Deps{.authorizer = &tokens_.authorizer(),
                                                .sites = &testing::Sites(),
                                                .source = reader_.get(),
                                                .hub = hub_.get(),
                                                .metrics = nullptr,
                                                .redis_up = nullptr});
  EXPECT_THAT(second.Start(), lianfang::testing::StatusIs(absl::StatusCode::kUnavailable));
  HttpGateway bad({.listen = "not an address"}, HttpGateway::Deps{});
  EXPECT_THAT(bad.Start(), lianfang::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace lianfang::gateway
