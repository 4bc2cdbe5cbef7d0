#include "services/gate/gate_service.h"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/app/audit_rpc.h"
#include "common/app/audited_read.h"
#include "common/app/unary.h"
#include "common/audit/audit.h"
#include "common/idempotency/idempotency.h"
#include "common/logging/logging.h"
#include "common/redis/keys.h"
#include "common/request/request.h"
#include "common/server/authorization.h"
#include "common/server/errors.h"
#include "common/server/grpc_status.h"
#include "common/sql/page_token.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"
#include "google/protobuf/any.pb.h"
#include "google/rpc/status.pb.h"
#include "services/gate/codes.h"
#include "services/gate/gate_figures.h"
#include "services/gate/gate_store.h"
#include "services/gate/validation.h"

namespace lianfang::gate {
namespace {

#define LF_GATE_METHOD(name) "/lianfang.gate.v1.GateService/" #name
constexpr char kRecordPassage[] = LF_GATE_METHOD(RecordPassage);
constexpr char kBatchRecordPassages[] = LF_GATE_METHOD(BatchRecordPassages);
constexpr char kGetOccupancy[] = LF_GATE_METHOD(GetOccupancy);
constexpr char kListOnsite[] = LF_GATE_METHOD(ListOnsite);
constexpr char kListPassages[] = LF_GATE_METHOD(ListPassages);
constexpr char kWatchPassages[] = LF_GATE_METHOD(WatchPassages);
constexpr char kIssuePass[] = LF_GATE_METHOD(IssuePass);
constexpr char kRevokePass[] = LF_GATE_METHOD(RevokePass);
constexpr char kListPasses[] = LF_GATE_METHOD(ListPasses);
constexpr char kPlaceHold[] = LF_GATE_METHOD(PlaceHold);
constexpr char kReleaseHold[] = LF_GATE_METHOD(ReleaseHold);
constexpr char kNoteHealthReports[] = LF_GATE_METHOD(NoteHealthReports);
constexpr char kRegisterVehicle[] = LF_GATE_METHOD(RegisterVehicle);
constexpr char kStartDuty[] = LF_GATE_METHOD(StartDuty);
constexpr char kEndDuty[] = LF_GATE_METHOD(EndDuty);
constexpr char kListDuty[] = LF_GATE_METHOD(ListDuty);
constexpr char kGetDailyStats[] = LF_GATE_METHOD(GetDailyStats);
constexpr char kListAuditEvents[] = LF_GATE_METHOD(ListAuditEvents);
#undef LF_GATE_METHOD

constexpr int kMaxBatch = 500;

// Clear names are for the working group's leaders and administrators only.
bool MaySeeNames(const auth::Principal& who) {
  return who.role == auth::Role::kAdmin || who.role == auth::Role::kLeader;
}

// The google.rpc.Status of one batch item, built as ToGrpcStatus builds a call's status
// (server faults hidden behind "internal error", details carried as Any).
google::rpc::Status ToRpcStatus(const absl::Status& status, absl::string_view request_id) {
  google::rpc::Status out;
  if (status.ok()) return out;
  const grpc::Status g = server::ToGrpcStatus(status, kBatchRecordPassages, request_id);
  if (!g.error_details().empty() && out.ParseFromString(g.error_details())) return out;
  out.set_code(static_cast<int>(g.error_code()));
  out.set_message(g.error_message());
  return out;
}

// A stream refused before it started (authorization or bad input).
class RefusedStream final : public grpc::ServerWriteReactor<v1::Passage> {
 public:
  explicit RefusedStream(const absl::Status& status) {
    Finish(server::ToGrpcStatus(status, kWatchPassages));
  }
  void OnDone() override { delete this; }
};

// One WatchPassages client: passages arrive through Deliver (after commits: on the database's
// writer thread, or the relay's listener thread on PostgreSQL) and are written one at a time.
// The queue is bounded: a client that cannot keep up loses its oldest passages; the publisher
// never waits.
//
// A client resuming from after_seq is subscribed first, then the handler reads the passages
// stored after that point and hands them to Resume(); live passages arriving in between are
// held until then. A passage committed between the subscription and the read is both read and
// delivered live (before or after the read): the read's ids are kept, and a live passage with
// one of them is dropped, so each is sent once, the read ones first.
class WatchReactor final : public grpc::ServerWriteReactor<v1::Passage>,
                           public PassageFeed::Subscriber {
 public:
  WatchReactor(PassageFeed* feed, std::set<std::string> sites, size_t queue_limit, bool resuming)
      : feed_(feed), queue_limit_(std::max<size_t>(queue_limit, 1)), resuming_(resuming) {
    // Initial metadata tells the client the subscription is in place (unless the feed was
    // already closed: the stream has then ended).
    id_ = feed_->Subscribe(std::move(sites), this);
    absl::MutexLock lock(&mu_);
    if (!finished_) StartSendInitialMetadata();
  }

  // The passages stored after the client's resume point (oldest first), or why they could not
  // be read. REQUIRES: constructed resuming; called once.
  void Resume(const absl::Status& read, std::vector<v1::Passage> backlog) {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    if (!read.ok()) {
      FinishLocked(server::ToGrpcStatus(
          absl::UnavailableError(absl::StrCat("cannot read the passages missed since after_seq; "
                                              "reconnect (",
                                              read.message(), ")")),
          kWatchPassages));
      return;
    }
    for (v1::Passage& passage : backlog) {
      backlog_ids_.insert(passage.passage_id());
      EnqueueLocked(std::move(passage));
    }
    resuming_ = false;
    std::deque<v1::Passage> held = std::move(held_);
    held_.clear();
    for (v1::Passage& passage : held) {
      if (backlog_ids_.erase(passage.passage_id()) > 0) continue;  // sent from the read
      EnqueueLocked(std::move(passage));
    }
  }

  void Close() override {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                              "the gate service is shutting down; reconnect"));
  }

  void Deliver(const v1::Passage& passage) override {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    if (resuming_) {
      if (held_.size() >= queue_limit_) {
        held_.pop_front();
        ++dropped_;
      }
      held_.push_back(passage);
      return;
    }
    // Each passage of the read arrives live at most once: its id is then forgotten.
    if (!backlog_ids_.empty() && backlog_ids_.erase(passage.passage_id()) > 0) return;
    EnqueueLocked(passage);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the stream was closed"));
      return;
    }
    if (finished_ || queue_.empty()) {
      writing_ = false;
      return;
    }
    current_ = std::move(queue_.front());
    queue_.pop_front();
    StartWrite(&current_);
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the watch was cancelled"));
  }

  void OnDone() override {
    feed_->Unsubscribe(id_);  // no Deliver runs after this returns
    if (dropped_ > 0) {
      logging::Info("watch client lost passages because it read too slowly", {kWatchPassages, ""},
                    {{"dropped", absl::StrCat(dropped_)}});
    }
    delete this;
  }

 private:
  // Writes `passage` now, or queues it behind the write in progress.
  void EnqueueLocked(v1::Passage passage) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_) {
      if (queue_.size() >= queue_limit_) {
        queue_.pop_front();
        ++dropped_;
      }
      queue_.push_back(std::move(passage));
      return;
    }
    writing_ = true;
    current_ = std::move(passage);
    StartWrite(&current_);
  }

  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    queue_.clear();
    held_.clear();
    Finish(std::move(status));
  }

  PassageFeed* const feed_;
  const size_t queue_limit_;
  int64_t id_ = 0;
  absl::Mutex mu_;
  std::deque<v1::Passage> queue_ ABSL_GUARDED_BY(mu_);
  v1::Passage current_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  // While true (between the subscription and Resume), live passages wait in held_.
  bool resuming_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::Passage> held_ ABSL_GUARDED_BY(mu_);
  // Ids of the passages sent from the read that have not (yet) arrived live.
  absl::flat_hash_set<std::string> backlog_ids_ ABSL_GUARDED_BY(mu_);
  int64_t dropped_ = 0;  // written under mu_, read in OnDone after the last reaction
};

// The shared state of one BatchRecordPassages call: items finish on the writer thread in any
// order of completion; the last one finishes the call.
struct BatchState {
  explicit BatchState(int n) : responses(n), statuses(n) {}
  absl::Mutex mu;
  std::vector<v1::RecordPassageResponse> responses ABSL_GUARDED_BY(mu);
  std::vector<google::rpc::Status> statuses ABSL_GUARDED_BY(mu);
  int pending ABSL_GUARDED_BY(mu) = 0;
};

}  // namespace

GateService::GateService(GateServiceOptions options)
    : options_(std::move(options)), core_(options_.sites, options_.tz) {
  if (options_.metrics != nullptr) {
    metrics_collector_ = options_.metrics->AddCollector([this] { UpdateUnguardedMetrics(); });
  }
}

GateService::~GateService() {
  if (metrics_collector_ != 0) options_.metrics->RemoveCollector(metrics_collector_);
  if (relay_ != nullptr) relay_->Stop();
}

absl::Status GateService::ListenForReplicas(absl::string_view database_url) {
  if (options_.db->dialect() != sql::Dialect::kPostgres) return absl::OkStatus();
  if (relay_ != nullptr) return absl::FailedPreconditionError("already listening for replicas");
  auto relay = std::make_unique<PassageRelay>(options_.db, &feed_);
  RETURN_IF_ERROR(relay->Start(database_url));
  relay_ = std::move(relay);
  return absl::OkStatus();
}

void GateService::UpdateUnguardedMetrics() {
  if (options_.metrics == nullptr) return;
  std::set<std::pair<std::string, std::string>> guarded;
  const absl::Status read = options_.db->Read([&](sql::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<CurrentDuty> duties, AllCurrentDuties(session));
    for (const CurrentDuty& duty : duties) guarded.emplace(duty.site_id, duty.gate_id);
    return absl::OkStatus();
  });
  if (!read.ok()) {
    logging::Warning("gate metrics: cannot read the duties in progress", {},
                     {{"error", read.message()}});
    return;
  }
  for (const sites::Site& site : options_.sites->sites()) {
    for (const common::v1::Gate& gate : site.gates()) {
      options_.metrics
          ->GetGauge("lf_gate_unguarded",
                     "1 when a gate of the site directory has no guard on duty.",
                     {{"site", site.id()}, {"gate", gate.id()}})
          ->Set(guarded.contains({site.id(), gate.id()}) ? 0 : 1);
    }
  }
}

void GateService::AfterPassage(const RecordedPassage& recorded, const v1::Passage& passage) {
  if (options_.metrics != nullptr) {
    options_.metrics
        ->GetCounter("lf_gate_passages_total", "Passages recorded, by site and decision.",
                     {{"site", passage.site_id()},
                      {"decision", passage.decision() == v1::DECISION_ADMITTED ? "admitted"
                                   : passage.decision() == v1::DECISION_DENIED ? "denied"
                                                                               : "unspecified"}})
        ->Increment();
  }
  if (options_.live != nullptr) {
    options_.live->Apply(passage.site_id(),
                         PassageDelta(passage.direction(), recorded.verdict, recorded.day));
  }
  // With a relay, the passage reaches the feed through its notification (exactly once).
  if (relay_ == nullptr) feed_.Publish(passage);
  if (recorded.fever_task_queued && options_.outbox != nullptr) options_.outbox->Wake();
}

void GateService::AfterDutyChange(const UnguardedChange& unguarded_delta) {
  if (options_.live == nullptr) return;
  const absl::CivilDay today = time::DayOf(options_.clock->Now(), options_.tz);
  for (const auto& [site, delta] : unguarded_delta) {
    if (delta == 0) continue;
    live::Delta d;
    d.day = today;
    d.live.push_back({redis::kFieldGatesWithoutGuard, delta});
    options_.live->Apply(site, std::move(d));
  }
}

// ---- Passages ----------------------------------------------------------------------------------

void GateService::SubmitPassage(const auth::Principal& who, const v1::RecordPassageRequest& req,
                                PassageInput input, absl::Time now, absl::string_view audited_as,
                                PassageDone done) {
  // Drawn here, on the calling thread, not on the database's writer.
  absl::StatusOr<std::string> passage_id = NewPassageId(now);
  if (!passage_id.ok()) {
    v1::RecordPassageResponse none;
    done(passage_id.status(), none);
    return;
  }
  input.passage_id = *std::move(passage_id);
  auto recorded = std::make_shared<RecordedPassage>();
  // Shared by the announcement of its first read and the passage itself.
  auto shared_input = std::make_shared<const PassageInput>(std::move(input));
  app::SubmitMutation<v1::RecordPassageResponse>(
      *options_.db, now, {.scope = kRecordPassage, .audited_as = audited_as}, who, req,
      [this, input = shared_input, guard = who.subject, now,
       recorded](sql::Session& session) -> absl::StatusOr<v1::RecordPassageResponse> {
        ASSIGN_OR_RETURN(*recorded, core_.RecordPassage(session, *input, guard, now));
        // Every replica's relay learns of it when (and only if) this transaction commits; a
        // batch run again after a conflict notifies again, and only its committed run counts.
        if (session.dialect() == sql::Dialect::kPostgres) {
          RETURN_IF_ERROR(NotifyPassage(session, recorded->response.passage()));
        }
        // Moved, not copied: after the commit the reply itself carries the passage.
        return std::move(recorded->response);
      },
      [](const v1::RecordPassageResponse& r) { return r.passage().passage_id(); },
      [this, recorded, done = std::move(done)](
          const absl::Status& status,
          idempotency::Outcome<v1::RecordPassageResponse>& outcome) mutable {
        if (status.ok()) {
          outcome.response.set_replayed(outcome.replayed);
          if (!outcome.replayed) AfterPassage(*recorded, outcome.response.passage());
        }
        done(status, outcome.response);
      },
      // The first read travels with the idempotency lookup: one round trip for a passage by ID
      // card, two for one by pass_code.
      [this, input = shared_input, now](sql::Session& session) {
        core_.AnnouncePassageReads(session, *input, now);
      });
}

grpc::ServerUnaryReactor* GateService::RecordPassage(grpc::CallbackServerContext* ctx,
                                                     const v1::RecordPassageRequest* req,
                                                     v1::RecordPassageResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kRecordPassage, auth::Principal who,
                   server::AuthorizeCall(*options_.authorizer, ctx, kRecordPassage));
  const absl::Time now = options_.clock->Now();
  ASSIGN_OR_FINISH(ctx, kRecordPassage, PassageInput input,
                   ValidateRecordPassage(*req, *options_.sites, *options_.keyer, now, options_.tz));
  FINISH_IF_ERROR(ctx, kRecordPassage, auth::CheckSite(who, input.site_id));
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  SubmitPassage(who, *req, std::move(input), now, kRecordPassage,
                [reactor, resp](const absl::Status& status, v1::RecordPassageResponse& response) {
                  if (status.ok()) *resp = std::move(response);
                  reactor->Finish(server::ToGrpcStatus(status, kRecordPassage));
                });
  return reactor;
}

grpc::ServerUnaryReactor* GateService::BatchRecordPassages(
    grpc::CallbackServerContext* ctx, const v1::BatchRecordPassagesRequest* req,
    v1::BatchRecordPassagesResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kBatchRecordPassages, auth::Principal who,
                   server::AuthorizeCall(*options_.authorizer, ctx, kBatchRecordPassages));
  {
    server::FieldErrors errors;
    request::CheckRequestId(errors, req->request_id());
    if (req->requests_size() > kMaxBatch) {
      errors.Add("requests", absl::StrCat("at most ", kMaxBatch, " passages per batch"));
    }
    FINISH_IF_ERROR(ctx, kBatchRecordPassages, errors.ToStatus());
  }
  const int n = req->requests_size();
  const absl::Time now = options_.clock->Now();
  auto state = std::make_shared<BatchState>(n);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();

  // Validation first, so the number of writes to wait for is known before any completes.
  std::vector<std::optional<PassageInput>> inputs(n);
  {
    absl::MutexLock lock(&state->mu);
    for (int i = 0; i < n; ++i) {
      const v1::RecordPassageRequest& item = req->requests(i);
      absl::StatusOr<PassageInput> input =
          ValidateRecordPassage(item, *options_.sites, *options_.keyer, now, options_.tz);
      absl::Status status = input.status();
      if (status.ok()) status = auth::CheckSite(who, input->site_id);
      if (!status.ok()) {
        state->statuses[i] = ToRpcStatus(status, item.request_id());
        continue;
      }
      inputs[i] = *std::move(input);
      ++state->pending;
    }
  }
  auto finish = [state, reactor, resp]() {
    absl::MutexLock lock(&state->mu);
    for (auto& r : state->responses) *resp->add_responses() = std::move(r);
    for (auto& s : state->statuses) *resp->add_statuses() = std::move(s);
    reactor->Finish(grpc::Status::OK);
  };
  bool none_pending;
  {
    absl::MutexLock lock(&state->mu);
    none_pending = state->pending == 0;
  }
  if (none_pending) {
    finish();
    return reactor;
  }

  // Each item is its own write (its own savepoint in the group commit), so one item's error
  // undoes only that item: the same mutation as RecordPassage (idempotent under its request_id
  // as a RecordPassage), audited as part of the batch. Items are queued in order and the
  // writer runs them in that order.
  for (int i = 0; i < n; ++i) {
    if (!inputs[i].has_value()) continue;
    const v1::RecordPassageRequest& item = req->requests(i);
    SubmitPassage(who, item, *std::move(inputs[i]), now, kBatchRecordPassages,
                  [i, request_id = item.request_id(), state, finish](
                      const absl::Status& status, v1::RecordPassageResponse& response) {
                    bool last;
                    {
                      absl::MutexLock lock(&state->mu);
                      if (status.ok()) {
                        state->responses[i] = std::move(response);
                      } else {
                        state->statuses[i] = ToRpcStatus(status, request_id);
                      }
                      last = --state->pending == 0;
                    }
                    if (last) finish();
                  });
  }
  return reactor;
}

grpc::ServerUnaryReactor* GateService::GetOccupancy(grpc::CallbackServerContext* ctx,
                                                    const v1::GetOccupancyRequest* req,
                                                    v1::Occupancy* resp) {
  ASSIGN_OR_FINISH(ctx, kGetOccupancy, auth::Principal who,
                   server::AuthorizeCall(*options_.authorizer, ctx, kGetOccupancy));
  if (req->site_id().empty()) {
    return app::FinishWith(ctx, kGetOccupancy, server::InvalidField("site_id", "is required"));
  }
  server::FieldErrors errors;
  if (CheckLength(req->site_id(), "site_id", errors)) {
    errors.AddFromStatus("", options_.sites->CheckSite(req->site_id()));
  }
  FINISH_IF_ERROR(ctx, kGetOccupancy, errors.ToStatus());
  FINISH_IF_ERROR(ctx, kGetOccupancy, auth::CheckSite(who, req->site_id()));
  const sites::Site& site = *options_.sites->Find(req->site_id());
  const absl::Time now = options_.clock->Now();
  FINISH_IF_ERROR(ctx, kGetOccupancy, options_.db->Read([&](sql::Session& session) {
    ASSIGN_OR_RETURN(*resp, ReadOccupancy(session, site, now, options_.tz));
    return absl::OkStatus();
  }));
  return app::FinishWith(ctx, kGetOccupancy, absl::OkStatus());
}

grpc::ServerUnaryReactor* GateService::ListOnsite(grpc::CallbackServerContext* ctx,
                                                  const v1::ListOnsiteRequest* req,
                                                  v1::ListOnsiteResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kListOnsite, auth::Principal who,
                   server::AuthorizeCall(*options_.authorizer, ctx, kListOnsite));
  server::FieldErrors errors;
  if (req->site_id().empty()) {
    errors.Add("site_id", "is required");
  } else if (CheckLength(req->site_id(), "site_id", errors)) {
    errors.AddFromStatus("", options_.sites->CheckSite(req->site_id()));
  }
  if (req->page_size() < 0) errors.Add("page_size", "must not be negative");
  CheckLength(req->page_token(), "page_token", errors);
  FINISH_IF_ERROR(ctx, kListOnsite, errors.ToStatus());
  FINISH_IF_ERROR(ctx, kListOnsite, auth::CheckSite(who, req->site_id()));
  FINISH_IF_ERROR(ctx, kListOnsite, options_.db->Read([&](sql::Session& session) {
    ASSIGN_OR_RETURN(
        *resp, core_.ListOnsite(session, req->site_id(), req->page_size(), req->page_token()));
    return absl::OkStatus();
  }));
  // Who is inside is personal data (masks and keys): every read is audited.
  return app::FinishRead(ctx, *options_.db, *options_.clock, kListOnsite, who, req->site_id(),
                         /*clear_data=*/true);
}

grpc::ServerUnaryReactor* GateService::ListPassages(grpc::CallbackServerContext* ctx,
                                                    const v1::ListPassagesRequest* req,
                                                    v1::ListPassagesResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kListPassages, auth::Principal who,
                   server::AuthorizeCall(*options_.authorizer, ctx, kListPassages));
  ASSIGN_OR_FINISH(ctx, kListPassages, PassageFilter filter,
                   ValidateListPassages(*req, *options_.sites));
  FINISH_IF_ERROR(ctx, kListPassages, auth::CheckSite(who, filter.site_id));
  FINISH_IF_ERROR(ctx, kListPassages, options_.db->Read([&](sql::Session& session) {
    ASSIGN_OR_RETURN(*resp, core_.ListPassages(session, filter));
    return absl::OkStatus();
  }));
  return app::FinishWith(ctx, kListPassages, absl::OkStatus());
}

grpc::ServerWriteReactor<v1::Passage>* GateService::WatchPassages(
    grpc::CallbackServerContext* ctx, const v1::WatchPassagesRequest* req) {
  absl::StatusOr<auth::Principal> who =
      server::AuthorizeCall(*options_.authorizer, ctx, kWatchPassages);
  if (!who.ok()) return new RefusedStream(who.status());
  std::set<std::string> sites;
  server::FieldErrors errors;
  if (!req->site_id().empty() && CheckLength(req->site_id(), "site_id", errors)) {
    errors.AddFromStatus("", options_.sites->CheckSite(req->site_id()));
  }
  if (req->after_seq() < 0) errors.Add("after_seq", "must not be negative");
  if (absl::Status s = errors.ToStatus(); !s.ok()) return new RefusedStream(s);
  if (!req->site_id().empty()) {
    if (absl::Status s = auth::CheckSite(*who, req->site_id()); !s.ok()) {
      return new RefusedStream(s);
    }
    sites.insert(req->site_id());
  } else {
    sites.insert(who->sites.begin(), who->sites.end());  // empty = every site
  }
  const bool resuming = req->after_seq() > 0;
  auto* reactor = new WatchReactor(&feed_, sites, options_.watch_queue_limit, resuming);
  if (!resuming) return reactor;
  // Subscribed first, read second: see WatchReactor. The latest watch_resume_limit passages of
  // the stream's sites after the resume point, oldest first.
  const int limit = std::max(options_.watch_resume_limit, 0);
  std::vector<v1::Passage> backlog;
  const absl::Status read = options_.db->Read([&](sql::Session& session) -> absl::Status {
    if (sites.empty()) {
      ASSIGN_OR_RETURN(backlog, PassagesAfter(session, req->after_seq(), "", limit));
      return absl::OkStatus();
    }
    for (const std::string& site : sites) {
      ASSIGN_OR_RETURN(std::vector<v1::Passage> of_site,
                       PassagesAfter(session, req->after_seq(), site, limit));
      for (v1::Passage& p : of_site) backlog.push_back(std::move(p));
    }
    return absl::OkStatus();
  });
  std::sort(backlog.begin(), backlog.end(),
            [](const v1::Passage& a, const v1::Passage& b) { return a.seq() < b.seq(); });
  if (backlog.size() > static_cast<size_t>(limit)) {
    backlog.erase(backlog.begin(), backlog.end() - limit);
  }
  reactor->Resume(read, std::move(backlog));
  return reactor;
}

// ---- Passes ------------------------------------------------------------------------------------

grpc::ServerUnaryReactor* GateService::IssuePass(grpc::CallbackServerContext* ctx,
                                                 const v1::IssuePassRequest* req, v1::Pass* resp) {
  ASSIGN_OR_FINISH(ctx, kIssuePass, auth::Principal who,
                   server::AuthorizeCall(*options_.authorizer, ctx, kIssuePass));
  const absl::Time now = options_.clock->Now();
  ASSIGN_OR_FINISH(ctx, kIssuePass, PassInput input,
                   ValidateIssuePass(*req, *options_.sites, *options_.keyer, now, options_.tz));
  FINISH_IF_ERROR(ctx, kIssuePass, auth::CheckSite(who, input.site_id));
  const bool show_name = MaySeeNames(who);
  const std::string name = input.name;
  return app::RunMutation(
      ctx, *options_.db, *options_.clock, kIssuePass, who, *req, resp,
      [this, input = std::move(input), issuer = who.subject,
       now](sql::Session& session) -> absl::StatusOr<v1::Pass> {
        ASSIGN_OR_RETURN(v1::Pass pass, core_.IssuePass(session, input, issuer, now));
        pass.clear_name();  // the stored reply (for retries) holds no clear name
        return pass;
      },
      [](const v1::Pass& p) { return p.pass_code(); },
      [show_name, name](v1::Pass& p, bool) {
        if (show_name) p.set_name(name);
      });
}

grpc::ServerUnaryReactor* GateService::RevokePass(grpc::CallbackServerContext* ctx,
                                                  const v1::RevokePassRequest* req,
                                                  v1::RevokePassResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kRevokePass, auth::Principal who,
                   server::AuthorizeCall(*options_.authorizer, ctx, kRevokePass));
  ASSIGN_OR_FINISH(ctx, kRevokePass, std::string code, ValidateRevokePass(*req));
  const absl::Time now = options_.clock->Now();
  auto name = std::make_shared<std::string>();
  const bool show_name = MaySeeNames(who);
  return app::RunMutation(
      ctx, *options_.db, *options_.clock, kRevokePass, who, *req, resp,
      [this, code, who, now, reason = req->reason(),
       name](sql::Session& session) -> absl::StatusOr<v1::RevokePassResponse> {
        ASSIGN_OR_RETURN(v1::Pass pass, core_.RevokePass(session, who, code, reason, now));
        *name = pass.name();
        pass.clear_name();  // the stored reply (for retries) holds no clear name
        v1::RevokePassResponse out;
        *out.mutable_pass() = std::move(pass);
        return out;
      },
      [](const v1::RevokePassResponse& r) { return r.pass().pass_code(); },
      [show_name, name](v1::RevokePassResponse& r, bool) {
        if (show_name) r.mutable_pass()->set_name(*name);
      });
}

grpc::ServerUnaryReactor* GateService::ListPasses(grpc::CallbackServerContext* ctx,
                                                  const v1::ListPassesRequest* req,
                                                  v1::ListPassesResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kListPasses, auth::Principal who,
                   server::AuthorizeCall(*options_.authorizer, ctx, kListPasses));
  server::FieldErrors errors;
  if (req->site_id().empty()) {
    errors.Add("site_id", "is required");
  } else if (CheckLength(req->site_id(), "site_id", errors)) {
    errors.AddFromStatus("", options_.sites->CheckSite(req->site_id()));
  }
  if (!req->person_key().empty()) request::CheckPersonKey(errors, "person_key", req->person_key());
  if (req->page_size() < 0) errors.Add("page_size", "must not be negative");
  CheckLength(req->page_token(), "page_token", errors);
  FINISH_IF_ERROR(ctx, kListPasses, errors.ToStatus());
  FINISH_IF_ERROR(ctx, kListPasses, auth::CheckSite(who, req->site_id()));
  const absl::Time now = options_.clock->Now();
  FINISH_IF_ERROR(ctx, kListPasses, options_.db->Read([&](sql::Session& session) {
    ASSIGN_OR_RETURN(*resp, core_.ListPasses(session, *req, now));
    return absl::OkStatus();
  }));
  if (!MaySeeNames(who)) {
    for (v1::Pass& pass : *resp->mutable_passes()) pass.clear_name();
  }
  return app::FinishRead(ctx, *options_.db, *options_.clock, kListPasses, who, req->site_id(),
                         MaySeeNames(who));
}

// ---- Holds -------------------------------------------------------------------------------------

grpc::ServerUnaryReactor* GateService::PlaceHold(grpc::CallbackServerContext* ctx,
                                                 const v1::PlaceHoldRequest* req, v1::Hold* resp) {
  ASSIGN_OR_FINISH(ctx, kPlaceHold, auth::Principal who,
                   server::AuthorizeCall(*options_.authorizer, ctx, kPlaceHold));
  const absl::Time now = options_.clock->Now();
  FINISH_IF_ERROR(ctx, kPlaceHold, ValidatePlaceHold(*req, now));
  HoldRequest hold{.person_key = req->person_key(),
                   .reason = req->reason(),
                   .until = time::FromTimestamp(req->until()),
                   .placed_by = who.subject};
  return app::RunMutation(
      ctx, *options_.db, *options_.clock, kPlaceHold, who, *req, resp,
      [this, hold = std::move(hold), now](sql::Session& session) {
        return core_.PlaceHold(session, hold, now);
      },
      [](const v1::Hold& h) { return h.person_key(); }, [](v1::Hold&, bool) {});
}

grpc::ServerUnaryReactor* GateService::ReleaseHold(grpc::CallbackServerContext* ctx,
                                                   const v1::ReleaseHoldRequest* req,
                                                   v1::ReleaseHoldResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kReleaseHold, auth::Principal who,
                   server::AuthorizeCall(*options_.authorizer, ctx, kReleaseHold));
  FINISH_IF_ERROR(ctx, kReleaseHold, ValidateReleaseHold(*req));
  const absl::Time now = options_.clock->Now();
  return app::RunMutation(
      ctx, *options_.db, *options_.clock, kReleaseHold, who, *req, resp,
      [this, person_key = req->person_key(),
       now](sql::Session& session) -> absl::StatusOr<v1::ReleaseHoldResponse> {
        v1::ReleaseHoldResponse out;
        ASSIGN_OR_RETURN(*out.mutable_hold(), core_.ReleaseHold(session, person_key, now));
        return out;
      },
      [](const v1::ReleaseHoldResponse& r) { return r.hold().person_key(); },
      [](v1::ReleaseHoldResponse&, bool) {});
}

// ---- Health-report notes -----------------------------------------------------------------------

grpc::ServerUnaryReactor* GateService::NoteHealthReports(grpc::CallbackServerContext* ctx,
                                                         const v1::NoteHealthReportsRequest* req,
                                                         v1::NoteHealthReportsResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kNoteHealthReports, auth::Principal who,
                   server::AuthorizeCall(*options_.authorizer, ctx, kNoteHealthReports));
  const absl::Time now = options_.clock->Now();
  FINISH_IF_ERROR(ctx, kNoteHealthReports, ValidateNoteHealthReports(*req, now, options_.tz));
  return app::RunMutation(
      ctx, *options_.db, *options_.clock, kNoteHealthReports, who, *req, resp,
      [this, req, now](sql::Session& session) -> absl::StatusOr<v1::NoteHealthReportsResponse> {
        v1::NoteHealthReportsResponse out;
        ASSIGN_OR_RETURN(int32_t applied, core_.NoteHealthReports(session, req->notes(), now));
        out.set_applied(applied);
        return out;
      },
      [count = req->notes_size()](const v1::NoteHealthReportsResponse&) {
        return absl::StrCat(count, " notes");
      },
      [](v1::NoteHealthReportsResponse&, bool) {});
}

// ---- Vehicles ----------------------------------------------------------------------------------

grpc::ServerUnaryReactor* GateService::RegisterVehicle(grpc::CallbackServerContext* ctx,
                                                       const v1::RegisterVehicleRequest* req,
                                                       v1::Vehicle* resp) {
  ASSIGN_OR_FINISH(ctx, kRegisterVehicle, auth::Principal who,
                   server::AuthorizeCall(*options_.authorizer, ctx, kRegisterVehicle));
  ASSIGN_OR_FINISH(ctx, kRegisterVehicle, std::string plate,
                   ValidateRegisterVehicle(*req, *options_.sites));
  FINISH_IF_ERROR(ctx, kRegisterVehicle, auth::CheckSite(who, req->site_id()));
  const absl::Time now = options_.clock->Now();
  return app::RunMutation(
      ctx, *options_.db, *options_.clock, kRegisterVehicle, who, *req, resp,
      [this, site_id = req->site_id(), plate, owner = req->owner_person_key(), by = who.subject,
       now](sql::Session& session) {
        return core_.RegisterVehicle(session, site_id, plate, owner, by, now);
      },
      [](const v1::Vehicle& v) { return absl::StrCat(v.site_id(), "/", v.plate()); },
      [](v1::Vehicle&, bool) {});
}

// ---- Duty --------------------------------------------------------------------------------------

grpc::ServerUnaryReactor* GateService::StartDuty(grpc::CallbackServerContext* ctx,
                                                 const v1::StartDutyRequest* req,
                                                 v1::StartDutyResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kStartDuty, auth::Principal who,
                   server::AuthorizeCall(*options_.authorizer, ctx, kStartDuty));
  FINISH_IF_ERROR(ctx, kStartDuty,
                  ValidateDuty(req->request_id(), req->site_id(), req->gate_id(), *options_.sites));
  FINISH_IF_ERROR(ctx, kStartDuty, auth::CheckSite(who, req->site_id()));
  const absl::Time now = options_.clock->Now();
  auto unguarded = std::make_shared<UnguardedChange>();
  return app::RunMutation(
      ctx, *options_.db, *options_.clock, kStartDuty, who, *req, resp,
      [this, site_id = req->site_id(), gate_id = req->gate_id(), guard = who.subject, now,
       unguarded](sql::Session& session) -> absl::StatusOr<v1::StartDutyResponse> {
        unguarded->clear();
        v1::StartDutyResponse out;
        ASSIGN_OR_RETURN(*out.mutable_duty(),
                         core_.StartDuty(session, site_id, gate_id, guard, now, unguarded.get()));
        return out;
      },
      [](const v1::StartDutyResponse& r) {
        return absl::StrCat(r.duty().site_id(), "/", r.duty().gate_id());
      },
      [this, unguarded](v1::StartDutyResponse&, bool replayed) {
        if (!replayed) AfterDutyChange(*unguarded);
      });
}

grpc::ServerUnaryReactor* GateService::EndDuty(grpc::CallbackServerContext* ctx,
                                               const v1::EndDutyRequest* req,
                                               v1::EndDutyResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kEndDuty, auth::Principal who,
                   server::AuthorizeCall(*options_.authorizer, ctx, kEndDuty));
  FINISH_IF_ERROR(ctx, kEndDuty,
                  ValidateDuty(req->request_id(), req->site_id(), req->gate_id(), *options_.sites));
  FINISH_IF_ERROR(ctx, kEndDuty, auth::CheckSite(who, req->site_id()));
  const absl::Time now = options_.clock->Now();
  auto unguarded = std::make_shared<UnguardedChange>();
  return app::RunMutation(
      ctx, *options_.db, *options_.clock, kEndDuty, who, *req, resp,
      [this, site_id = req->site_id(), gate_id = req->gate_id(), guard = who.subject, now,
       unguarded](sql::Session& session) -> absl::StatusOr<v1::EndDutyResponse> {
        unguarded->clear();
        v1::EndDutyResponse out;
        ASSIGN_OR_RETURN(*out.mutable_duty(),
                         core_.EndDuty(session, site_id, gate_id, guard, now, unguarded.get()));
        return out;
      },
      [](const v1::EndDutyResponse& r) {
        return absl::StrCat(r.duty().site_id(), "/", r.duty().gate_id());
      },
      [this, unguarded](v1::EndDutyResponse&, bool replayed) {
        if (!replayed) AfterDutyChange(*unguarded);
      });
}

grpc::ServerUnaryReactor* GateService::ListDuty(grpc::CallbackServerContext* ctx,
                                                const v1::ListDutyRequest* req,
                                                v1::ListDutyResponse* resp) {
  constexpr char kScope[] = "ListDuty";
  ASSIGN_OR_FINISH(ctx, kListDuty, auth::Principal who,
                   server::AuthorizeCall(*options_.authorizer, ctx, kListDuty));
  server::FieldErrors errors;
  if (!req->site_id().empty() && CheckLength(req->site_id(), "site_id", errors)) {
    errors.AddFromStatus("", options_.sites->CheckSite(req->site_id()));
  }
  absl::StatusOr<int> size = sql::PageSize(req->page_size());
  if (!size.ok()) errors.Add("page_size", "must not be negative");
  absl::StatusOr<int64_t> offset = absl::InvalidArgumentError("page_token");
  if (CheckLength(req->page_token(), "page_token", errors)) {
    offset = sql::DecodeOffsetPageToken(kScope, req->page_token());
    if (!offset.ok()) errors.Add("page_token", "is not a next_page_token of this list");
  }
  FINISH_IF_ERROR(ctx, kListDuty, errors.ToStatus());
  if (!req->site_id().empty()) {
    FINISH_IF_ERROR(ctx, kListDuty, auth::CheckSite(who, req->site_id()));
  }
  FINISH_IF_ERROR(ctx, kListDuty, options_.db->Read([&](sql::Session& session) {
    ASSIGN_OR_RETURN(*resp, core_.ListDuty(session, who, req->site_id(), *offset, *size, kScope));
    return absl::OkStatus();
  }));
  return app::FinishWith(ctx, kListDuty, absl::OkStatus());
}

// ---- Figures and audit -------------------------------------------------------------------------

grpc::ServerUnaryReactor* GateService::GetDailyStats(grpc::CallbackServerContext* ctx,
                                                     const v1::GetDailyStatsRequest* req,
                                                     v1::GetDailyStatsResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kGetDailyStats, auth::Principal who,
                   server::AuthorizeCall(*options_.authorizer, ctx, kGetDailyStats));
  server::FieldErrors errors;
  absl::CivilDay day;
  if (req->date().empty()) {
    errors.Add("date", "is required (YYYY-MM-DD)");
  } else if (absl::StatusOr<absl::CivilDay> parsed = time::ParseDate(req->date()); parsed.ok()) {
    day = *parsed;
  } else {
    errors.Add("date", "must be a calendar date YYYY-MM-DD");
  }
  if (!req->site_id().empty() && CheckLength(req->site_id(), "site_id", errors)) {
    errors.AddFromStatus("", options_.sites->CheckSite(req->site_id()));
  }
  FINISH_IF_ERROR(ctx, kGetDailyStats, errors.ToStatus());
  std::vector<const sites::Site*> selected;
  if (!req->site_id().empty()) {
    FINISH_IF_ERROR(ctx, kGetDailyStats, auth::CheckSite(who, req->site_id()));
    selected.push_back(options_.sites->Find(req->site_id()));
  } else {
    for (const sites::Site& site : options_.sites->sites()) {
      if (who.MayActOnSite(site.id())) selected.push_back(&site);
    }
  }
  std::sort(selected.begin(), selected.end(),
            [](const sites::Site* a, const sites::Site* b) { return a->id() < b->id(); });
  const absl::Time now = options_.clock->Now();
  resp->set_date(time::FormatDate(day));
  FINISH_IF_ERROR(ctx, kGetDailyStats, options_.db->Read([&](sql::Session& session) {
    for (const sites::Site* site : selected) {
      ASSIGN_OR_RETURN(*resp->add_stats(), ReadDailyStats(session, *site, day, now, options_.tz));
    }
    return absl::OkStatus();
  }));
  return app::FinishWith(ctx, kGetDailyStats, absl::OkStatus());
}

grpc::ServerUnaryReactor* GateService::ListAuditEvents(
    grpc::CallbackServerContext* ctx, const common::v1::ListAuditEventsRequest* req,
    common::v1::ListAuditEventsResponse* resp) {
  FINISH_IF_ERROR(ctx, kListAuditEvents,
                  server::AuthorizeCall(*options_.authorizer, ctx, kListAuditEvents).status());
  ASSIGN_OR_FINISH(ctx, kListAuditEvents, *resp, app::ListAuditEvents(*options_.db, *req));
  return app::FinishWith(ctx, kListAuditEvents, absl::OkStatus());
}

}  // namespace lianfang::gate
