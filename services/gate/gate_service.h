// The gRPC adapter of lianfang.gate.v1.GateService (callback API): every method authorizes its
// caller first (server::AuthorizeCall, then auth::CheckSite for the site acted on), validates
// (validation.h), then calls the core (gatehouse.h) — inside an idempotent, audited mutation
// (app::RunMutation; app::SubmitMutation for each passage, single or batched) for writes, a
// read transaction for reads — and encodes the reply (clear names for ADMIN and LEADER only).
// The rules themselves live in the core, never here.
//
// After each committed (not replayed) passage it updates the Redis live counts
// (live::LiveCounts::Apply), publishes the passage to WatchPassages streams, and wakes the
// outbox sender when a fever follow-up was queued. None of these can fail the passage.
// On PostgreSQL each passage's transaction also notifies the replicas (passage_relay.h); once
// ListenForReplicas was called, the streams are fed from those notifications (every replica's
// passages) instead of from this process' commits.
//
//   gate::GateService service({.sites = rt->sites.get(), .clock = &rt->clock, .db = rt->db.get(),
//                              .keyer = rt->keyer.get(), .authorizer = rt->authorizer.get(),
//                              .tz = rt->config.tz, .live = &live, .outbox = &sender});
//   absl::Status listening = service.ListenForReplicas(rt->config.db);  // no-op on SQLite
//   app::Serve(*rt, {&service}, {"lianfang.gate.v1.GateService"},
//              [&service] { service.CloseWatchers(); });
//
// Thread-safety: every handler may run concurrently on gRPC's threads.
#ifndef LIANFANG_SERVICES_GATE_GATE_SERVICE_H_
#define LIANFANG_SERVICES_GATE_GATE_SERVICE_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <cstddef>
#include <functional>
#include <memory>

#include "absl/time/time.h"
#include "common/auth/authorizer.h"
#include "common/live/live_counts.h"
#include "common/outbox/outbox.h"
#include "common/pii/pii.h"
#include "common/server/metrics.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "common/time/clock.h"
#include "lianfang/common/v1/common.pb.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "services/gate/gatehouse.h"
#include "services/gate/passage_feed.h"
#include "services/gate/passage_ledger.h"
#include "services/gate/passage_relay.h"
#include "services/gate/validation.h"

namespace lianfang::gate {

// What the service runs on. Pointers are not owned and must outlive the service.
struct GateServiceOptions {
  const sites::SiteDirectory* sites = nullptr;
  const time::Clock* clock = nullptr;
  sql::Database* db = nullptr;
  const pii::PersonKeyer* keyer = nullptr;
  const auth::Authorizer* authorizer = nullptr;
  // The deployment's time zone ("today", the day of a passage).
  absl::TimeZone tz = absl::UTCTimeZone();
  // Redis live counts; null = none.
  live::LiveCounts* live = nullptr;
  // The outbox sender delivering fever follow-ups, woken after a fever; null = not woken (it
  // still polls).
  outbox::Sender* outbox = nullptr;
  // Passages queued per WatchPassages client before the oldest are dropped.
  size_t watch_queue_limit = 1024;
  // Passages a WatchPassages client resuming from after_seq is sent from the database, at most
  // (the latest ones).
  int watch_resume_limit = 1000;
  // Where passages are counted (lf_gate_passages_total{site,decision}) and, at each render,
  // the gates of the directory without a guard on duty are read from SQL
  // (lf_gate_unguarded{site,gate}; docs/metrics.md). Null = none. Not owned; must outlive the
  // service.
  server::Metrics* metrics = nullptr;
};

class GateService final : public v1::GateService::CallbackService {
 public:
  // Sets lf_gate_unguarded from the duties in progress (run by the metrics collector; public
  // for tests). Logs and leaves the gauges as they were when the read fails.
  void UpdateUnguardedMetrics();

  explicit GateService(GateServiceOptions options);
  ~GateService() override;
  GateService(const GateService&) = delete;
  GateService& operator=(const GateService&) = delete;

  grpc::ServerUnaryReactor* RecordPassage(grpc::CallbackServerContext* ctx,
                                          const v1::RecordPassageRequest* req,
                                          v1::RecordPassageResponse* resp) override;
  grpc::ServerUnaryReactor* BatchRecordPassages(grpc::CallbackServerContext* ctx,
                                                const v1::BatchRecordPassagesRequest* req,
                                                v1::BatchRecordPassagesResponse* resp) override;
  grpc::ServerUnaryReactor* GetOccupancy(grpc::CallbackServerContext* ctx,
                                         const v1::GetOccupancyRequest* req,
                                         v1::Occupancy* resp) override;
  grpc::ServerUnaryReactor* ListOnsite(grpc::CallbackServerContext* ctx,
                                       const v1::ListOnsiteRequest* req,
                                       v1::ListOnsiteResponse* resp) override;
  grpc::ServerUnaryReactor* ListPassages(grpc::CallbackServerContext* ctx,
                                         const v1::ListPassagesRequest* req,
                                         v1::ListPassagesResponse* resp) override;
  grpc::ServerWriteReactor<v1::Passage>* WatchPassages(
      grpc::CallbackServerContext* ctx, const v1::WatchPassagesRequest* req) override;
  grpc::ServerUnaryReactor* IssuePass(grpc::CallbackServerContext* ctx,
                                      const v1::IssuePassRequest* req, v1::Pass* resp) override;
  grpc::ServerUnaryReactor* RevokePass(grpc::CallbackServerContext* ctx,
                                       const v1::RevokePassRequest* req,
                                       v1::RevokePassResponse* resp) override;
  grpc::ServerUnaryReactor* ListPasses(grpc::CallbackServerContext* ctx,
                                       const v1::ListPassesRequest* req,
                                       v1::ListPassesResponse* resp) override;
  grpc::ServerUnaryReactor* PlaceHold(grpc::CallbackServerContext* ctx,
                                      const v1::PlaceHoldRequest* req, v1::Hold* resp) override;
  grpc::ServerUnaryReactor* ReleaseHold(grpc::CallbackServerContext* ctx,
                                        const v1::ReleaseHoldRequest* req,
                                        v1::ReleaseHoldResponse* resp) override;
  grpc::ServerUnaryReactor* NoteHealthReports(grpc::CallbackServerContext* ctx,
                                              const v1::NoteHealthReportsRequest* req,
                                              v1::NoteHealthReportsResponse* resp) override;
  grpc::ServerUnaryReactor* RegisterVehicle(grpc::CallbackServerContext* ctx,
                                            const v1::RegisterVehicleRequest* req,
                                            v1::Vehicle* resp) override;
  grpc::ServerUnaryReactor* StartDuty(grpc::CallbackServerContext* ctx,
                                      const v1::StartDutyRequest* req,
                                      v1::StartDutyResponse* resp) override;
  grpc::ServerUnaryReactor* EndDuty(grpc::CallbackServerContext* ctx, const v1::EndDutyRequest* req,
                                    v1::EndDutyResponse* resp) override;
  grpc::ServerUnaryReactor* ListDuty(grpc::CallbackServerContext* ctx,
                                     const v1::ListDutyRequest* req,
                                     v1::ListDutyResponse* resp) override;
  grpc::ServerUnaryReactor* GetDailyStats(grpc::CallbackServerContext* ctx,
                                          const v1::GetDailyStatsRequest* req,
                                          v1::GetDailyStatsResponse* resp) override;
  grpc::ServerUnaryReactor* ListAuditEvents(grpc::CallbackServerContext* ctx,
                                            const common::v1::ListAuditEventsRequest* req,
                                            common::v1::ListAuditEventsResponse* resp) override;

  // Ends every open WatchPassages stream (UNAVAILABLE, "shutting down") and every one opened
  // later: call it when termination starts (app::Serve's before_shutdown), so that watching
  // guard consoles do not hold the drain for its whole timeout.
  void CloseWatchers() { feed_.CloseAll(); }

  // On PostgreSQL: feeds WatchPassages from the passages every replica on the database commits
  // (PassageRelay, listening on `database_url`, the URL `db` was opened from) instead of from
  // this process' own commits. Call once, before serving. OK and nothing done on SQLite;
  // errors of PassageRelay::Start (UNAVAILABLE when the database cannot be reached).
  absl::Status ListenForReplicas(absl::string_view database_url);

  // The live feed of WatchPassages (for tests).
  PassageFeed& feed() { return feed_; }
  // The relay started by ListenForReplicas; null when none (for tests).
  PassageRelay* relay() { return relay_.get(); }

 private:
  // How a passage's write ended: its status and, when OK, the reply (replayed set).
  using PassageDone = std::function<void(const absl::Status&, v1::RecordPassageResponse&)>;
  // Records one validated passage of `who` (app::SubmitMutation, idempotent under its
  // request_id as a RecordPassage, audited as `audited_as`); after the commit runs
  // AfterPassage (not for replays), then `done` — on the writer thread.
  void SubmitPassage(const auth::Principal& who, const v1::RecordPassageRequest& req,
                     PassageInput input, absl::Time now, absl::string_view audited_as,
                     PassageDone done);
  // The work after a passage's commit (not for replays); `passage` is the committed reply's.
  void AfterPassage(const RecordedPassage& recorded, const v1::Passage& passage);
  // Applies gates_without_guard changes (site -> delta) to the live counts.
  void AfterDutyChange(const UnguardedChange& unguarded_delta);

  const GateServiceOptions options_;
  const Gatehouse core_;
  PassageFeed feed_;
  // Set by ListenForReplicas before serving; destroyed before the feed it publishes to.
  std::unique_ptr<PassageRelay> relay_;
  int metrics_collector_ = 0;  // the id of UpdateUnguardedMetrics' collector; 0 = none
};

}  // namespace lianfang::gate

#endif  // LIANFANG_SERVICES_GATE_GATE_SERVICE_H_
