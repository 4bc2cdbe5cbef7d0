#include "tests/services/dispatch/dispatch_harness.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/audit/audit.h"
#include "common/idempotency/idempotency.h"
#include "common/redis/keys.h"
#include "common/status/status_macros.h"
#include "common/testing/service_binaries.h"
#include "common/testing/test_database.h"
#include "services/dispatch/store.h"

namespace lianfang::dispatch::testing {

absl::StatusOr<std::unique_ptr<DispatchHarness>> DispatchHarness::Start(HarnessOptions options) {
  std::unique_ptr<DispatchHarness> h(new DispatchHarness());
  h->options_ = options;
  h->database_url_ = options.database_url.empty()
                         ? ::lianfang::testing::TestDatabaseUrlForPath(options.db_path)
                         : options.database_url;
  ASSIGN_OR_RETURN(h->db_, sql::Database::Open(h->database_url_));
  RETURN_IF_ERROR(h->db_->Migrate(idempotency::kComponent, idempotency::Migrations()));
  RETURN_IF_ERROR(h->db_->Migrate(audit::kComponent, audit::Migrations()));
  RETURN_IF_ERROR(h->db_->Migrate(kComponent, Migrations()));
  ASSIGN_OR_RETURN(
      sites::SiteDirectory sites,
      sites::SiteDirectory::LoadFile(lianfang::testing::SourcePath("deploy/sites.textproto")));
  h->sites_ = std::make_unique<sites::SiteDirectory>(std::move(sites));
  ASSIGN_OR_RETURN(pii::PersonKeyer keyer, pii::PersonKeyer::FromSecret(kTestPiiKey));
  h->keyer_ = std::make_unique<pii::PersonKeyer>(std::move(keyer));
  ASSIGN_OR_RETURN(absl::TimeZone tz, time::LoadTimeZone(kTestTimeZone));

  h->dispatcher_ = std::make_unique<Dispatcher>(h->sites_.get(), h->keyer_.get(), tz);
  h->hub_ = std::make_unique<TaskEventHub>();
  h->notices_ = std::make_unique<NoticeBoard>();
  h->notice_hub_ = std::make_unique<NoticeEventHub>();
  if (!options.redis_url.empty()) {
    ASSIGN_OR_RETURN(h->redis_, redis::Client::FromUrl(options.redis_url));
    const Dispatcher* dispatcher = h->dispatcher_.get();
    const time::Clock* clock = options.clock;
    h->counts_ = std::make_unique<live::LiveCounts>(
        redis::kDispatch, h->sites_->ids(), h->redis_.get(), h->db_.get(), options.clock, tz,
        [dispatcher, clock](sql::Session& s, absl::CivilDay today) {
          return dispatcher->Snapshot(s, today, clock->Now());
        });
    h->counts_->Start();
  }
  h->feed_ = std::make_unique<ChangeFeed>(h->hub_.get(), h->counts_.get(), nullptr);
  h->scheduler_ = std::make_unique<Scheduler>(
      h->db_.get(), h->dispatcher_.get(), h->feed_.get(), options.clock,
      Scheduler::Options{.lead = options.schedule_lead, .interval = absl::Seconds(15)});
  h->service_ = std::make_unique<DispatchService>(
      DispatchService::Deps{.db = h->db_.get(),
                            .clock = options.clock,
                            .authorizer = &options.tokens->authorizer(),
                            .sites = h->sites_.get(),
                            .dispatcher = h->dispatcher_.get(),
                            .feed = h->feed_.get(),
                            .hub = h->hub_.get(),
                            .tz = tz,
                            .watch_queue = options.watch_queue,
                            .notices = h->notices_.get(),
                            .notice_hub = h->notice_hub_.get()});
  // On PostgreSQL the hubs carry every harness' events on the database, as with replicas.
  RETURN_IF_ERROR(h->service_->ListenForReplicas(h->database_url_));
  server::ServerOptions server_options;
  server_options.service_name = "dispatch";
  server_options.served_services = {"lianfang.dispatch.v1.DispatchService"};
  server_options.log_calls = false;
  h->server_ = std::make_unique<lianfang::testing::LoopbackServer>(std::move(server_options));
  h->server_->AddService(h->service_.get());
  h->server_->UseFallback(*options.tokens);
  RETURN_IF_ERROR(h->server_->Start());
  h->stub_ = v1::DispatchService::NewStub(h->server_->channel());
  return h;
}

DispatchHarness::~DispatchHarness() {
  if (service_ != nullptr) service_->CloseWatchers();
  if (server_ != nullptr) server_->Shutdown();
  if (scheduler_ != nullptr) scheduler_->Stop();
  if (counts_ != nullptr) counts_->Stop();
  // Writes complete in order: once this one is done, no earlier completion can reach the
  // objects destroyed below.
  if (db_ != nullptr) (void)db_->Write([](sql::Session&) { return absl::OkStatus(); });
  stub_.reset();
  server_.reset();
  service_.reset();
  scheduler_.reset();
  feed_.reset();
  counts_.reset();
  redis_.reset();
  hub_.reset();
  notice_hub_.reset();
  notices_.reset();
  dispatcher_.reset();
  db_.reset();
}

std::string TestIdNumber(int n) {
  // Region 110105, born 1990-03-07, sequence n: 17 digits, then the check digit.
  const std::string first17 = absl::StrFormat("11010519900307%03d", n % 1000);
  return absl::StrCat(first17, std::string(1, pii::IdNumberCheckDigit(first17)));
}

}  // namespace lianfang::dispatch::testing
