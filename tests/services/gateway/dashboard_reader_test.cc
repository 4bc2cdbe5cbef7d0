// The merge: figures written into a real redis-server exactly as the services write them come
// out per site and in total; the cost is a fixed number of hash reads per site whatever the
// counts stand for; with Redis down the services are asked instead, and the one that does not
// answer is named.
#include "services/gateway/dashboard_reader.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/redis/keys.h"
#include "common/server/client.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/poll.h"
#include "common/testing/ports.h"
#include "common/testing/with_redis.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/gateway/cache_reader.h"
#include "services/gateway/services_reader.h"
#include "tests/services/gateway/fake_services.h"
#include "tests/services/gateway/gateway_test_support.h"

namespace lianfang::gateway {
namespace {

using ::lianfang::testing::TestTokens;
using ::testing::ElementsAre;
using ::testing::Each;
using ::testing::Eq;

absl::Time TenInTheMorning() {
  absl::TimeZone tz = *time::LoadTimeZone("Asia/Shanghai");
  return absl::FromCivil(absl::CivilSecond(2026, 11, 28, 10, 0, 0), tz);
}

server::ServerOptions Serving(const std::string& service) {
  server::ServerOptions options;
  options.served_services = {service};
  return options;
}

std::vector<ServiceHealth> FixedHealth() {
  ServiceHealth gate;
  gate.set_name("gate");
  gate.set_status(v1::HEALTH_STATUS_SERVING);
  gate.set_latency_ms(1.5);
  return {gate};
}

// Per-command call counts since the last CONFIG RESETSTAT, from INFO commandstats.
std::map<std::string, int64_t> CommandCounts(redis::Client& client) {
  std::map<std::string, int64_t> counts;
  auto info = client.Command({"INFO", "commandstats"});
  if (!info.ok()) return counts;
  for (absl::string_view line : absl::StrSplit(info->str(), absl::ByAnyChar("\r\n"))) {
    // cmdstat_hgetall:calls=24,usec=...
    if (!absl::ConsumePrefix(&line, "cmdstat_")) continue;
    std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(':', 1));
    if (parts.size() != 2 || !absl::ConsumePrefix(&parts[1], "calls=")) continue;
    int64_t calls = 0;
    if (absl::SimpleAtoi(parts[1].substr(0, parts[1].find(',')), &calls)) {
      counts[std::string(parts[0])] = calls;
    }
  }
  counts.erase("info");
  counts.erase("config");
  counts.erase("config|resetstat");
  return counts;
}

class DashboardReaderTest : public lianfang::testing::WithRedis {
 protected:
  void SetUp() override {
    WithRedis::SetUp();
    client_ = std::make_unique<redis::Client>(*redis::ParseUrl(redis_url()));
    today_ = time::DayOf(clock_.Now(), tz_);
    // Nothing listens there: the services' fallback finds nobody unless a test starts one.
    const int nobody = *lianfang::testing::PickFreePort();
    nowhere_ = server::MakeChannel(absl::StrCat("127.0.0.1:", nobody), nullptr);
  }

  DashboardReader Reader(redis::Client* redis, const ServicesReader* services) {
    caches_.push_back(std::make_unique<CacheReader>(redis, &testing::Sites()));
    return DashboardReader(caches_.back().get(), services, FixedHealth, &clock_, tz_, {},
                           nullptr);
  }

  std::unique_ptr<ServicesReader> Services(std::shared_ptr<grpc::Channel> gate,
                                           std::shared_ptr<grpc::Channel> survey,
                                           std::shared_ptr<grpc::Channel> dispatch) {
    return std::make_unique<ServicesReader>(
        ServicesReader::Backends{gate, survey, dispatch},
        [this] { return tokens_.For(auth::Role::kService, "gateway"); }, &testing::Sites(),
        ServicesReader::Options{}, nullptr);
  }

  time::FakeClock clock_{TenInTheMorning()};
  absl::TimeZone tz_ = *time::LoadTimeZone("Asia/Shanghai");
  absl::CivilDay today_;
  std::unique_ptr<redis::Client> client_;
  std::shared_ptr<grpc::Channel> nowhere_;
  TestTokens tokens_;
  std::vector<std::unique_ptr<CacheReader>> caches_;
};

testing::Figures Campus() {
  testing::Figures f;
  f.gate_live = {{"onsite", 120}, {"gates_without_guard", 1}};
  f.gate_day = {{"entries", 300}, {"exits", 180}, {"denied", 7}, {"fevers", 2}};
  f.survey_live = {{"households_total", 50}, {"households_surveyed", 45}, {"residents", 130},
                   {"tenants_pending", 3}, {"under_observation", 1}};
  f.survey_day = {{"reports", 120}, {"reports_missing", 10}};
  f.dispatch_live = {{"tasks_open", 4}, {"tasks_in_progress", 2}, {"tasks_overdue", 1},
                     {"volunteers_on_duty", 6}};
  f.dispatch_day = {{"tasks_done", 9}};
  return f;
}

testing::Figures Village() {
  testing::Figures f;
  f.gate_live = {{"onsite", 80}};
  f.gate_day = {{"entries", 40}, {"denied", 3}, {"fevers", 1}};
  f.survey_live = {{"households_total", 200}, {"households_surveyed", 150},
                   {"tenants_pending", 12}, {"under_observation", 4}};
  f.survey_day = {{"reports", 500}, {"reports_missing", 60}};
  f.dispatch_live = {{"tasks_open", 6}, {"tasks_overdue", 3}, {"volunteers_on_duty", 10}};
  f.dispatch_day = {{"tasks_done", 1}};
  return f;
}

TEST_F(DashboardReaderTest, TheMergeShowsEachSiteAndTheTotalsAsTheServicesWroteThem) {
  ASSERT_OK(testing::WriteFigures(*client_, "campus", today_, Campus()));
  ASSERT_OK(testing::WriteFigures(*client_, "village", today_, Village()));
  auto services = Services(nowhere_, nowhere_, nowhere_);
  DashboardReader reader = Reader(client_.get(), services.get());

  const Dashboard d = reader.Read({"campus", "community", "family-area", "village"});
  EXPECT_EQ(d.source(), v1::SOURCE_CACHE);
  EXPECT_EQ(d.date(), "2026-11-28");
  EXPECT_EQ(d.as_of().seconds(), absl::ToUnixSeconds(TenInTheMorning()));
  EXPECT_TRUE(d.incomplete_sources().empty());
  ASSERT_EQ(d.sites_size(), 4);

  const SiteLive& campus = d.sites(0);
  EXPECT_EQ(campus.site_id(), "campus");
  EXPECT_EQ(campus.name(), "党校校园");
  EXPECT_EQ(campus.onsite(), 120);
  EXPECT_EQ(campus.entries_today(), 300);
  EXPECT_EQ(campus.exits_today(), 180);
  EXPECT_EQ(campus.denied_today(), 7);
  EXPECT_EQ(campus.fevers_today(), 2);
  EXPECT_EQ(campus.gates_without_guard(), 1);
  EXPECT_EQ(campus.households_surveyed(), 45);
  EXPECT_EQ(campus.reports_missing_today(), 10);
  EXPECT_EQ(campus.tasks_overdue(), 1);
  EXPECT_EQ(campus.tasks_done_today(), 9);
  EXPECT_EQ(campus.volunteers_on_duty(), 6);

  // A site nobody wrote about is a zero site, named.
  EXPECT_EQ(d.sites(1).site_id(), "community");
  EXPECT_EQ(d.sites(1).name(), "帮建社区");
  EXPECT_EQ(d.sites(1).onsite(), 0);

  const SiteLive& village = d.sites(3);
  EXPECT_EQ(village.onsite(), 80);
  EXPECT_EQ(village.tenants_pending(), 12);
  EXPECT_EQ(village.reports_today(), 500);

  const SiteLive& t = d.totals();
  EXPECT_EQ(t.onsite(), 200);
  EXPECT_EQ(t.entries_today(), 340);
  EXPECT_EQ(t.denied_today(), 10);
  EXPECT_EQ(t.fevers_today(), 3);
  EXPECT_EQ(t.households_total(), 250);
  EXPECT_EQ(t.households_surveyed(), 195);
  EXPECT_EQ(t.tenants_pending(), 15);
  EXPECT_EQ(t.under_observation(), 5);
  EXPECT_EQ(t.reports_today(), 620);
  EXPECT_EQ(t.reports_missing_today(), 70);
  EXPECT_EQ(t.tasks_open(), 10);
  EXPECT_EQ(t.tasks_overdue(), 4);
  EXPECT_EQ(t.tasks_done_today(), 10);
  EXPECT_EQ(t.volunteers_on_duty(), 16);
  EXPECT_EQ(t.gates_without_guard(), 1);

  ASSERT_EQ(d.services_size(), 1);
  EXPECT_EQ(d.services(0).name(), "gate");
  EXPECT_EQ(d.services(0).status(), v1::HEALTH_STATUS_SERVING);
}

TEST_F(DashboardReaderTest, AskedSitesOnlyAreReadAndTotalled) {
  ASSERT_OK(testing::WriteFigures(*client_, "campus", today_, Campus()));
  ASSERT_OK(testing::WriteFigures(*client_, "village", today_, Village()));
  auto services = Services(nowhere_, nowhere_, nowhere_);
  DashboardReader reader = Reader(client_.get(), services.get());
  const Dashboard d = reader.Read({"village"});
  ASSERT_EQ(d.sites_size(), 1);
  EXPECT_EQ(d.sites(0).site_id(), "village");
  EXPECT_EQ(d.totals().onsite(), 80);
}

TEST_F(DashboardReaderTest, YesterdaysCountersDoNotCountToday) {
  testing::Figures yesterday;
  yesterday.gate_day = {{"entries", 999}, {"fevers", 5}};
  ASSERT_OK(testing::WriteFigures(*client_, "campus", today_ - 1, yesterday));
  testing::Figures live;
  live.gate_live = {{"onsite", 3}};
  ASSERT_OK(testing::WriteFigures(*client_, "campus", today_, live));
  auto services = Services(nowhere_, nowhere_, nowhere_);
  DashboardReader reader = Reader(client_.get(), services.get());
  const Dashboard d = reader.Read({"campus"});
  EXPECT_EQ(d.sites(0).entries_today(), 0);
  EXPECT_EQ(d.sites(0).fevers_today(), 0);
  EXPECT_EQ(d.sites(0).onsite(), 3);
  // The next day, yesterday's hash is simply not read.
  clock_.Advance(absl::Hours(24));
  EXPECT_EQ(reader.Read({"campus"}).date(), "2026-11-29");
}

TEST_F(DashboardReaderTest, ReadingCostsSixHashReadsPerSiteInOneRoundTripWhateverTheRecords) {
  auto services = Services(nowhere_, nowhere_, nowhere_);
  DashboardReader reader = Reader(client_.get(), services.get());
  const std::vector<std::string> all = {"campus", "community", "family-area", "village"};
  ASSERT_OK_AND_ASSIGN(auto commands, CacheReader::Commands(all, today_));
  EXPECT_EQ(commands.size(), 24u);

  for (int64_t passages : {10, 10'000'000}) {
    // What ten or ten million passages leave in Redis: the same keys, bigger numbers.
    testing::Figures f;
    f.gate_day = {{"entries", passages}};
    ASSERT_OK(testing::WriteFigures(*client_, "campus", today_, f));
    ASSERT_OK(client_->Command({"CONFIG", "RESETSTAT"}).status());
    const uint64_t calls_before = client_->stats().calls;

    const Dashboard d = reader.Read(all);
    EXPECT_EQ(d.sites(0).entries_today(), passages);

    EXPECT_EQ(client_->stats().calls - calls_before, 1u) << "one pipelined round trip";
    const std::map<std::string, int64_t> counts = CommandCounts(*client_);
    EXPECT_EQ(counts, (std::map<std::string, int64_t>{{"hgetall", 24}}))
        << "only six HGETALLs per site, no scans";
  }
}

TEST_F(DashboardReaderTest, WithRedisDownTheServicesAreAskedAndTheSilentOneIsNamed) {
  lianfang::testing::LoopbackServer gate_server(Serving("lianfang.gate.v1.GateService"));
  testing::FakeGate gate(&tokens_);
  gate_server.AddService(&gate);
  gate_server.UseFallback(tokens_);
  ASSERT_OK(gate_server.Start());
  lianfang::testing::LoopbackServer survey_server(Serving("lianfang.survey.v1.SurveyService"));
  testing::FakeSurvey survey(&tokens_);
  survey_server.AddService(&survey);
  survey_server.UseFallback(tokens_);
  ASSERT_OK(survey_server.Start());

  gate::v1::Occupancy campus;
  campus.set_site_id("campus");
  campus.set_onsite(42);
  campus.set_entries_today(50);
  campus.set_exits_today(8);
  campus.set_denied_today(3);
  campus.set_fevers_today(1);
  gate.SetOccupancy(campus);
  gate::v1::Occupancy village;
  village.set_site_id("village");
  village.set_onsite(7);
  gate.SetOccupancy(village);
  gate.AddGate("campus", "east", "guard-1");
  gate.AddGate("campus", "north", "");
  gate.AddGate("village", "main", "");
  survey::v1::GetCoverageResponse coverage;
  coverage.set_site_id("campus");
  coverage.set_households_total(60);
  coverage.set_households_surveyed(30);
  coverage.set_tenants_pending(2);
  coverage.set_under_observation(1);
  coverage.set_reports_today(90);
  coverage.set_reports_missing_today(5);
  survey.SetCoverage(coverage);

  // Redis is down: the gateway's client points at a port where nothing listens.
  const int dead = *lianfang::testing::PickFreePort();
  redis::Client down(redis::Endpoint{.host = "127.0.0.1", .port = dead, .db = 0});
  auto services = Services(gate_server.channel(), survey_server.channel(), nowhere_);
  DashboardReader reader = Reader(&down, services.get());

  const Dashboard d = reader.Read({"campus", "village"});
  EXPECT_EQ(d.source(), v1::SOURCE_SERVICES);
  EXPECT_THAT(d.incomplete_sources(), ElementsAre("dispatch"));
  ASSERT_EQ(d.sites_size(), 2);
  const SiteLive& c = d.sites(0);
  EXPECT_EQ(c.site_id(), "campus");
  EXPECT_EQ(c.name(), "党校校园");
  EXPECT_EQ(c.onsite(), 42);
  EXPECT_EQ(c.entries_today(), 50);
  EXPECT_EQ(c.exits_today(), 8);
  EXPECT_EQ(c.denied_today(), 3);
  EXPECT_EQ(c.fevers_today(), 1);
  EXPECT_EQ(c.gates_without_guard(), 1);
  EXPECT_EQ(c.households_total(), 60);
  EXPECT_EQ(c.households_surveyed(), 30);
  EXPECT_EQ(c.tenants_pending(), 2);
  EXPECT_EQ(c.reports_missing_today(), 5);
  EXPECT_EQ(c.tasks_open(), 0);  // dispatch did not answer
  EXPECT_EQ(d.sites(1).onsite(), 7);
  EXPECT_EQ(d.sites(1).gates_without_guard(), 1);
  EXPECT_EQ(d.totals().onsite(), 49);
  EXPECT_EQ(d.totals().gates_without_guard(), 2);
  EXPECT_EQ(d.date(), "2026-11-28");
  // The services were called as the gateway (SERVICE token), which their roles admit.
  EXPECT_THAT(gate.roles(), Each(Eq("service")));
  EXPECT_FALSE(gate.roles().empty());
}

TEST_F(DashboardReaderTest, DuringAnOutageManyReadersShareOneRoundOfCallsPerSecond) {
  lianfang::testing::LoopbackServer gate_server(Serving("lianfang.gate.v1.GateService"));
  testing::FakeGate gate(&tokens_);
  gate_server.AddService(&gate);
  gate_server.UseFallback(tokens_);
  ASSERT_OK(gate_server.Start());
  const int dead = *lianfang::testing::PickFreePort();
  redis::Client down(redis::Endpoint{.host = "127.0.0.1", .port = dead, .db = 0});
  auto services = Services(gate_server.channel(), nowhere_, nowhere_);
  DashboardReader reader = Reader(&down, services.get());

  const Dashboard first = reader.Read({"campus"});
  const int calls = gate.calls();
  EXPECT_GT(calls, 0);
  EXPECT_THAT(first.incomplete_sources(), ElementsAre("survey", "dispatch"));
  for (int i = 0; i < 5; ++i) reader.Read({"campus"});
  EXPECT_EQ(gate.calls(), calls) << "reads within a second reuse the last answers";
  clock_.Advance(absl::Seconds(2));
  reader.Read({"campus"});
  EXPECT_GT(gate.calls(), calls);
}

TEST_F(DashboardReaderTest, WhenRedisComesBackTheCacheIsUsedAgain) {
  auto services = Services(nowhere_, nowhere_, nowhere_);
  DashboardReader reader = Reader(client_.get(), services.get());
  ASSERT_OK(redis_server().Kill());
  EXPECT_EQ(reader.Read({"campus"}).source(), v1::SOURCE_SERVICES);
  ASSERT_OK(redis_server().Start());
  testing::Figures f;
  f.gate_live = {{"onsite", 5}};
  // The client backs off for a moment after the failure: poll, bounded.
  ASSERT_TRUE(lianfang::testing::PollUntil(
      [&] { return testing::WriteFigures(*client_, "campus", today_, f).ok(); },
      absl::Seconds(10)));
  const Dashboard d = reader.Read({"campus"});
  EXPECT_EQ(d.source(), v1::SOURCE_CACHE);
  EXPECT_EQ(d.sites(0).onsite(), 5);
}

}  // namespace
}  // namespace lianfang::gateway
