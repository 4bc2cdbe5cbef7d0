// lf-supplies: wiring only (see common/app/runtime.h and this folder's README.md).
#include "common/app/grpc_deliverer.h"
#include "common/app/runtime.h"
#include "common/config/flags.h"
#include "common/live/live_counts.h"
#include "common/outbox/outbox.h"
#include "common/redis/keys.h"
#include "common/server/client.h"
#include "services/supplies/config.h"
#include "services/supplies/store.h"
#include "services/supplies/storekeeper.h"
#include "services/supplies/supplies_service.h"

int main(int argc, char** argv) {
  namespace app = lianfang::app;
  namespace supplies = lianfang::supplies;
  lianfang::config::FlagSet extra("lf-supplies");
  supplies::Settings settings;
  supplies::AddFlags(&extra, &settings);
  auto rt = app::StartOrExit({.service = "supplies",
                              .argc = argc,
                              .argv = argv,
                              .migrations = supplies::Migrations(),
                              .extra_flags = &extra});

  supplies::Storekeeper storekeeper(rt->sites.get(), rt->config.tz);
  lianfang::live::LiveCounts live(
      lianfang::redis::kSupplies, rt->sites->ids(), rt->redis.get(), rt->db.get(), &rt->clock,
      rt->config.tz,
      [&storekeeper](lianfang::sql::Session& s, absl::CivilDay today) {
        return storekeeper.LiveSnapshot(s, today);
      },
      {.metrics = &rt->metrics, .reconcile_interval = settings.live_reconcile_interval});
  app::GrpcDeliverer deliverer({{supplies::kDispatchDestination, rt->config.dispatch_addr}},
                               rt->service_token.get(), rt->client_tls_or_null());
  lianfang::outbox::Sender sender(*rt->db, deliverer, rt->clock, {.metrics = &rt->metrics});
  supplies::SuppliesService service({.db = rt->db.get(),
                                     .clock = &rt->clock,
                                     .authorizer = rt->authorizer.get(),
                                     .sites = rt->sites.get(),
                                     .storekeeper = &storekeeper,
                                     .outbox = &sender,
                                     .live = &live,
                                     .dispatch = lianfang::server::MakeChannel(
                                         rt->config.dispatch_addr, rt->client_tls_or_null()),
                                     .dispatch_timeout = settings.dispatch_timeout,
                                     .tz = rt->config.tz});

  live.Start();
  sender.Start();
  const int code = app::Serve(*rt, {&service}, {"lianfang.supplies.v1.SuppliesService"});
  sender.Stop();
  live.Stop();  // waits for its reconcile writes still queued on the database
  return code;
}
