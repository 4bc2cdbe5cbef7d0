// lf-gate: wiring only (see common/app/runtime.h and this folder's README.md).
#include <cstdio>
#include <string>

#include "common/app/grpc_deliverer.h"
#include "common/app/periodic_job.h"
#include "common/app/runtime.h"
#include "common/live/live_counts.h"
#include "common/outbox/outbox.h"
#include "common/redis/keys.h"
#include "common/sql/database.h"
#include "services/gate/gate_figures.h"
#include "services/gate/gate_service.h"
#include "services/gate/gate_store.h"
#include "services/gate/retention.h"

namespace app = ::lianfang::app;
namespace gate = ::lianfang::gate;
namespace live = ::lianfang::live;
namespace outbox = ::lianfang::outbox;
namespace redis = ::lianfang::redis;

int main(int argc, char** argv) {
  auto rt = app::StartOrExit(
      {.service = "gate", .argc = argc, .argv = argv, .migrations = gate::Migrations()});

  live::LiveCounts live(redis::kGate, rt->sites->ids(), rt->redis.get(), rt->db.get(), &rt->clock,
                        rt->config.tz, gate::MakeSnapshotFn(rt->sites.get()),
                        {.metrics = &rt->metrics});
  app::GrpcDeliverer deliverer({{gate::kDispatchDestination, rt->config.dispatch_addr}},
                               rt->service_token.get(), rt->client_tls_or_null());
  outbox::Sender sender(*rt->db, deliverer, rt->clock, {.metrics = &rt->metrics});

  gate::GateService service({.sites = rt->sites.get(),
                             .clock = &rt->clock,
                             .db = rt->db.get(),
                             .keyer = rt->keyer.get(),
                             .authorizer = rt->authorizer.get(),
                             .tz = rt->config.tz,
                             .live = &live,
                             .outbox = &sender,
                             .metrics = &rt->metrics});
  // On PostgreSQL, WatchPassages streams carry the passages of every replica on the database.
  if (absl::Status listening = service.ListenForReplicas(rt->config.db); !listening.ok()) {
    std::fprintf(stderr, "lf-gate: LF_DB (--db): cannot listen for passages: %s\n",
                 std::string(listening.message()).c_str());
    return 2;
  }
  const gate::Retention retention(rt->db.get(), &rt->clock, rt->sites->ids(),
                                  absl::Hours(24) * rt->config.retention_days);
  app::PeriodicJob retention_job(absl::Hours(1), [&] {
    (void)retention.RunOnce([&retention_job] { return !retention_job.stopping(); });
  });
  live.Start();
  sender.Start();
  retention_job.Start();
  // Open WatchPassages streams end as soon as termination starts instead of holding the drain.
  const int exit_code = app::Serve(*rt, {&service}, {"lianfang.gate.v1.GateService"},
                                   [&service] { service.CloseWatchers(); });
  retention_job.Stop();
  sender.Stop();
  live.Stop();  // waits for its reconcile writes still queued on the database
  return exit_code;
}
