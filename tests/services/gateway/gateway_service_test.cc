// GatewayService over real gRPC on loopback, with a real redis-server and SQLite file:
// roles and sites of GetDashboard, the WatchDashboard stream, ListAuditEvents.
#include "services/gateway/gateway_service.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/audit/audit.h"
#include "common/server/client.h"
#include "common/server/errors.h"
#include "common/server/grpc_status.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/poll.h"
#include "common/testing/ports.h"
#include "common/testing/temp_dir.h"
#include "common/testing/test_database.h"
#include "common/testing/with_redis.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/gateway/cache_reader.h"
#include "services/gateway/services_reader.h"
#include "tests/services/gateway/gateway_test_support.h"

namespace lianfang::gateway {
namespace {

using ::lianfang::testing::NewClientContext;
using ::lianfang::testing::PollUntil;
using ::lianfang::testing::TestTokens;
using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::_;

class GatewayServiceTest : public lianfang::testing::WithRedis {
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
        tz_, DashboardReader::Options{}, nullptr);
    DashboardHub::Options hub_options;
    hub_options.refresh_interval = absl::Hours(1);
    hub_ = std::make_unique<DashboardHub>(reader_.get(), testing::Sites().ids(),
                                          *redis::ParseUrl(redis_url()), hub_options, nullptr);
    ASSERT_OK(hub_->Start());
    ASSERT_TRUE(hub_->WaitUntilSubscribed(absl::Seconds(10)));
    ASSERT_OK_AND_ASSIGN(db_, sql::Database::Open(::lianfang::testing::TestDatabaseUrl(dir_, "gw.db")));
    ASSERT_OK(db_->Migrate(audit::kComponent, audit::Migrations()));
    executor_ = std::make_unique<Executor>(2, 64);
    service_ = std::make_unique<GatewayService>(GatewayService::Deps{
        .authorizer = &tokens_.authorizer(),
        .sites = &testing::Sites(),
        .source = reader_.get(),
        .hub = hub_.get(),
        .db = db_.get(),
        .executor = executor_.get()});
    server::ServerOptions options;
    options.served_services = {"lianfang.gateway.v1.GatewayService"};
    server_ = std::make_unique<lianfang::testing::LoopbackServer>(options);
    server_->AddService(service_.get());
    server_->UseFallback(tokens_);
    ASSERT_OK(server_->Start());
    stub_ = v1::GatewayService::NewStub(server_->channel());
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
    if (hub_ != nullptr) hub_->Stop();
  }

  absl::CivilDay Today() const { return time::DayOf(clock_.Now(), tz_); }

  absl::StatusOr<v1::Dashboard> Get(const std::string& token,
                                    std::vector<std::string> site_ids = {}) {
    v1::GetDashboardRequest request;
    for (auto& id : site_ids) request.add_site_ids(id);
    v1::Dashboard response;
    auto context = NewClientContext(token);
    grpc::Status status = stub_->GetDashboard(context.get(), request, &response);
    if (!status.ok()) return server::FromGrpcStatus(status);
    return response;
  }

  TestTokens tokens_;
  lianfang::testing::TempDir dir_;
  time::RealClock clock_;
  absl::TimeZone tz_ = *time::LoadTimeZone("Asia/Shanghai");
  std::unique_ptr<redis::Client> client_;
  std::unique_ptr<CacheReader> cache_;
  std::unique_ptr<ServicesReader> services_;
  std::unique_ptr<DashboardReader> reader_;
  std::unique_ptr<DashboardHub> hub_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<Executor> executor_;
  std::unique_ptr<GatewayService> service_;
  std::unique_ptr<lianfang::testing::LoopbackServer> server_;
  std::unique_ptr<v1::GatewayService::Stub> stub_;
};

TEST_F(GatewayServiceTest, OnlyLeadersAdminsAndViewersMayReadTheDashboard) {
  EXPECT_THAT(Get(""), lianfang::testing::StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Get("not-a-token"), lianfang::testing::StatusIs(absl::StatusCode::kUnauthenticated));
  for (auth::Role role : {auth::Role::kGuard, auth::Role::kVolunteer, auth::Role::kService}) {
    EXPECT_THAT(Get(tokens_.For(role, "someone")),
                lianfang::testing::StatusIs(absl::StatusCode::kPermissionDenied))
        << auth::RoleName(role);
  }
  for (auth::Role role : {auth::Role::kAdmin, auth::Role::kLeader, auth::Role::kViewer}) {
    EXPECT_OK(Get(tokens_.For(role, "someone"))) << auth::RoleName(role);
  }
}

TEST_F(GatewayServiceTest, TheDashboardCarriesTheLiveFigures) {
  testing::Figures f;
  f.gate_live = {{"onsite", 9}};
  f.gate_day = {{"entries", 11}, {"fevers", 1}};
  f.dispatch_live = {{"tasks_overdue", 2}};
  ASSERT_OK(testing::WriteFigures(*client_, "family-area", Today(), f));
  ASSERT_OK_AND_ASSIGN(v1::Dashboard d, Get(tokens_.For(auth::Role::kLeader, "leader")));
  EXPECT_EQ(d.source(), v1::SOURCE_CACHE);
  ASSERT_EQ(d.sites_size(), 4);
  EXPECT_EQ(d.sites(2).site_id(), "family-area");
  EXPECT_EQ(d.sites(2).onsite(), 9);
  EXPECT_EQ(d.sites(2).entries_today(), 11);
  EXPECT_EQ(d.totals().fevers_today(), 1);
  EXPECT_EQ(d.totals().tasks_overdue(), 2);
}

TEST_F(GatewayServiceTest, ATokenLimitedToSitesSeesOnlyThoseAndCannotAskForOthers) {
  const std::string viewer = tokens_.For(auth::Role::kViewer, "town-office", {"campus"});
  ASSERT_OK_AND_ASSIGN(v1::Dashboard d, Get(viewer));
  ASSERT_EQ(d.sites_size(), 1);
  EXPECT_EQ(d.sites(0).site_id(), "campus");
  EXPECT_THAT(Get(viewer, {"village"}),
              lianfang::testing::StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(GatewayServiceTest, UnknownSitesAreBadInputNamingTheField) {
  absl::StatusOr<v1::Dashboard> d =
      Get(tokens_.For(auth::Role::kLeader, "leader"), {"campus", "atlantis"});
  EXPECT_THAT(d, lianfang::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(server::FieldViolations(d.status()), ElementsAre(Pair("site_ids[1]", _)));
}

TEST_F(GatewayServiceTest, AWatchGetsASnapshotAtOnceThenOneAfterAChange) {
  auto context = NewClientContext(tokens_.For(auth::Role::kViewer, "viewer"),
                                  absl::Seconds(30));
  v1::WatchDashboardRequest request;
  request.add_site_ids("campus");
  auto stream = stub_->WatchDashboard(context.get(), request);
  v1::Dashboard d;
  ASSERT_TRUE(stream->Read(&d));
  ASSERT_EQ(d.sites_size(), 1);
  EXPECT_EQ(d.sites(0).entries_today(), 0);

  ASSERT_OK(testing::SimulateAdmittedEntry(*client_, "campus", Today()));
  // Periodic refreshes are off (1 h): only the notice can bring this one.
  ASSERT_TRUE(stream->Read(&d));
  EXPECT_EQ(d.sites(0).entries_today(), 1);
  EXPECT_EQ(d.totals().onsite(), 1);
  context->TryCancel();
  while (stream->Read(&d)) {
  }
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(GatewayServiceTest, AVanishedWatcherIsUnregistered) {
  {
    auto context = NewClientContext(tokens_.For(auth::Role::kLeader, "leader"),
                                    absl::Seconds(30));
    auto stream = stub_->WatchDashboard(context.get(), v1::WatchDashboardRequest());
    v1::Dashboard d;
    ASSERT_TRUE(stream->Read(&d));
    EXPECT_EQ(hub_->watchers(), 1u);
    context->TryCancel();
    while (stream->Read(&d)) {
    }
    (void)stream->Finish();
  }
  ASSERT_TRUE(PollUntil([&] { return hub_->watchers() == 0; }, absl::Seconds(10)));
}

TEST_F(GatewayServiceTest, ShuttingDownEndsOpenWatchesAtOnceWithARetryableCode) {
  auto context = NewClientContext(tokens_.For(auth::Role::kViewer, "viewer"),
                                  absl::Seconds(30));
  auto stream = stub_->WatchDashboard(context.get(), v1::WatchDashboardRequest());
  v1::Dashboard d;
  ASSERT_TRUE(stream->Read(&d));
  hub_->CloseAll();  // what the termination signal triggers before the drain
  while (stream->Read(&d)) {
  }
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  ASSERT_TRUE(PollUntil([&] { return hub_->watchers() == 0; }, absl::Seconds(10)));
}

TEST_F(GatewayServiceTest, AWatchWithoutTokenOrRoleIsRefused) {
  for (const std::string& token : {std::string(), tokens_.For(auth::Role::kGuard, "g1")}) {
    auto context = NewClientContext(token);
    auto stream = stub_->WatchDashboard(context.get(), v1::WatchDashboardRequest());
    v1::Dashboard d;
    EXPECT_FALSE(stream->Read(&d));
    const grpc::StatusCode code = stream->Finish().error_code();
    EXPECT_TRUE(code == grpc::StatusCode::UNAUTHENTICATED ||
                code == grpc::StatusCode::PERMISSION_DENIED)
        << code;
  }
  EXPECT_EQ(hub_->watchers(), 0u);
}

TEST_F(GatewayServiceTest, OnlyAdminsListTheAuditTrail) {
  ASSERT_OK(db_->Write([&](sql::Session& s) {
    return audit::Record(s, {.subject = "admin-1",
                             .role = "admin",
                             .method = "/lianfang.gateway.v1.GatewayService/GetDashboard",
                             .object = "campus",
                             .request_id = "r-1",
                             .at = absl::FromUnixSeconds(1'800'000'000),
                             .outcome = "OK"});
  }));
  common::v1::ListAuditEventsRequest request;
  common::v1::ListAuditEventsResponse response;
  {
    auto context = NewClientContext(tokens_.For(auth::Role::kLeader, "leader"));
    EXPECT_EQ(stub_->ListAuditEvents(context.get(), request, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    auto context = NewClientContext(tokens_.For(auth::Role::kAdmin, "admin"));
    ASSERT_TRUE(stub_->ListAuditEvents(context.get(), request, &response).ok());
    ASSERT_EQ(response.events_size(), 1);
    EXPECT_EQ(response.events(0).subject(), "admin-1");
    EXPECT_EQ(response.events(0).role(), common::v1::ROLE_ADMIN);
    EXPECT_EQ(response.events(0).object(), "campus");
    EXPECT_EQ(response.events(0).at().seconds(), 1'800'000'000);
  }
  {
    request.set_page_token("garbage");
    auto context = NewClientContext(tokens_.For(auth::Role::kAdmin, "admin"));
    EXPECT_EQ(stub_->ListAuditEvents(context.get(), request, &response).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
}

}  // namespace
}  // namespace lianfang::gateway
