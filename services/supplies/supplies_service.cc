#include "services/supplies/supplies_service.h"

#include <grpcpp/client_context.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/app/audit_rpc.h"
#include "common/app/audited_read.h"
#include "common/app/unary.h"
#include "common/csv/csv.h"
#include "common/idempotency/idempotency.h"
#include "common/redis/keys.h"
#include "common/server/authorization.h"
#include "common/server/errors.h"
#include "common/server/grpc_status.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"
#include "services/supplies/books.h"
#include "services/supplies/canteen_register.h"
#include "services/supplies/donation_book.h"
#include "common/request/request.h"
#include "services/supplies/validation.h"

namespace lianfang::supplies {
namespace {

using auth::Principal;

#define LF_SUPPLIES_METHOD(name) "/lianfang.supplies.v1.SuppliesService/" #name
constexpr char kCreateItem[] = LF_SUPPLIES_METHOD(CreateItem);
constexpr char kListItems[] = LF_SUPPLIES_METHOD(ListItems);
constexpr char kReceiveStock[] = LF_SUPPLIES_METHOD(ReceiveStock);
constexpr char kIssueStock[] = LF_SUPPLIES_METHOD(IssueStock);
constexpr char kTransferStock[] = LF_SUPPLIES_METHOD(TransferStock);
constexpr char kAdjustStock[] = LF_SUPPLIES_METHOD(AdjustStock);
constexpr char kGetStock[] = LF_SUPPLIES_METHOD(GetStock);
constexpr char kListMovements[] = LF_SUPPLIES_METHOD(ListMovements);
constexpr char kExportMovements[] = LF_SUPPLIES_METHOD(ExportMovements);
constexpr char kGetDailyStats[] = LF_SUPPLIES_METHOD(GetDailyStats);
constexpr char kListAuditEvents[] = LF_SUPPLIES_METHOD(ListAuditEvents);
constexpr char kRecordDonation[] = LF_SUPPLIES_METHOD(RecordDonation);
constexpr char kListDonations[] = LF_SUPPLIES_METHOD(ListDonations);
constexpr char kGetDonationTotals[] = LF_SUPPLIES_METHOD(GetDonationTotals);
constexpr char kExportDonationStatement[] = LF_SUPPLIES_METHOD(ExportDonationStatement);
constexpr char kRegisterFoodPurchase[] = LF_SUPPLIES_METHOD(RegisterFoodPurchase);
constexpr char kListFoodPurchases[] = LF_SUPPLIES_METHOD(ListFoodPurchases);
constexpr char kTraceFood[] = LF_SUPPLIES_METHOD(TraceFood);
#undef LF_SUPPLIES_METHOD

// A read: `read(session)` on a snapshot, its result the response.
template <typename Response, typename ReadFn>
grpc::ServerUnaryReactor* ReadInto(sql::Database& db, grpc::CallbackServerContext* ctx,
                                   absl::string_view method, Response* resp, ReadFn read) {
  absl::Status status = db.Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(*resp, read(s));
    return absl::OkStatus();
  });
  return app::FinishWith(ctx, method, status);
}

// A caller restricted to some sites may name only those.
absl::Status CheckSites(const Principal& who, std::initializer_list<absl::string_view> sites) {
  for (absl::string_view site : sites) {
    if (!site.empty()) RETURN_IF_ERROR(auth::CheckSite(who, site));
  }
  return absl::OkStatus();
}

// What a volunteer's issue requires of the task dispatch answered (CONTRACT: the task is
// assigned to the caller, a supply delivery in progress, of the request's site and item).
absl::Status CheckVolunteerTask(const dispatch::v1::Task& task, const v1::IssueStockRequest& req) {
  if (!task.assigned_to_caller()) {
    return absl::PermissionDeniedError("to.task_id: the task is not assigned to you");
  }
  if (task.kind() != dispatch::v1::TASK_KIND_SUPPLY_DELIVERY) {
    return absl::FailedPreconditionError("to.task_id: the task is not a supply delivery");
  }
  if (task.status() != dispatch::v1::TASK_STATUS_ASSIGNED &&
      task.status() != dispatch::v1::TASK_STATUS_IN_PROGRESS) {
    return absl::FailedPreconditionError(
        "to.task_id: the task is not assigned or in progress (status)");
  }
  if (task.site_id() != req.site_id()) {
    return absl::FailedPreconditionError("site_id: the task belongs to another site");
  }
  if (task.item_code() != req.item_code()) {
    return absl::FailedPreconditionError("item_code: the task delivers another item");
  }
  return absl::OkStatus();
}

// Dispatch's answer to GetTask as this service's answer: down or slow is UNAVAILABLE; a task
// the caller may not see or that does not exist is refused as not its own.
absl::Status FromDispatch(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return absl::OkStatus();
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return absl::UnavailableError("the dispatch service did not answer; try again");
    case grpc::StatusCode::NOT_FOUND:
      return absl::FailedPreconditionError("to.task_id: no such task");
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return absl::PermissionDeniedError("to.task_id: the task is not assigned to you");
    case grpc::StatusCode::INVALID_ARGUMENT:
      return server::InvalidField("to.task_id", "is not a task id");
    default:
      return absl::UnavailableError("the dispatch service failed; try again");
  }
}

std::string KindLabel(v1::MovementKind kind) {
  switch (kind) {
    case v1::MOVEMENT_KIND_RECEIPT:
      return "入库";
    case v1::MOVEMENT_KIND_ISSUE:
      return "发放";
    case v1::MOVEMENT_KIND_TRANSFER_OUT:
      return "调出";
    case v1::MOVEMENT_KIND_ADJUSTMENT:
      return "盘点调整";
    default:
      return "";
  }
}

std::string SourceLabel(v1::StockSource source) {
  switch (source) {
    case v1::STOCK_SOURCE_PURCHASE:
      return "采购";
    case v1::STOCK_SOURCE_DONATION:
      return "捐赠";
    case v1::STOCK_SOURCE_TRANSFER:
      return "调入";
    default:
      return "";
  }
}

std::string DestinationLabel(const v1::IssueDestination& to) {
  switch (to.to_case()) {
    case v1::IssueDestination::kTaskId:
      return absl::StrCat("任务 ", to.task_id());
    case v1::IssueDestination::kHouseholdId:
      return absl::StrCat("住户 ", to.household_id());
    case v1::IssueDestination::kArea:
      return absl::StrCat("区域 ", to.area());
    default:
      return "";
  }
}

// The stock ledger as CSV (common/csv/csv.h), one row per movement, newest first.
std::string LedgerCsv(const std::vector<v1::StockMovement>& movements,
                      const std::vector<v1::Item>& items, const sites::SiteDirectory& sites,
                      absl::TimeZone tz) {
  std::map<std::string, const v1::Item*> item_of;
  for (const v1::Item& item : items) item_of[item.code()] = &item;
  csv::Writer out;
  out.Row({"记录时间", "站点编号", "站点", "物资编码", "物资名称", "类型", "数量", "单位", "批次",
           "有效期至", "来源", "去向", "对方站点", "盘点原因", "备注", "结存", "记录人", "流水号"});
  for (const v1::StockMovement& m : movements) {
    const sites::Site* site = sites.Find(m.site_id());
    const auto item = item_of.find(m.item_code());
    out.Row({absl::FormatTime("%Y-%m-%d %H:%M:%S", time::FromTimestamp(m.recorded_at()), tz),
             m.site_id(), site == nullptr ? "" : site->name(), m.item_code(),
             item == item_of.end() ? "" : item->second->name(), KindLabel(m.kind()),
             absl::StrCat(m.quantity()), item == item_of.end() ? "" : item->second->unit(),
             m.batch(), m.expires_on(), SourceLabel(m.source()), DestinationLabel(m.to()),
             m.counterpart_site_id(), m.reason(), m.note(), absl::StrCat(m.balance_after()),
             m.recorded_by(), m.movement_id()});
  }
  return std::move(out).Take();
}

// The audited object of each change: its first movement (a stocktake that matched: the
// site and item counted).
std::string ObjectOf(const v1::ReceiveStockResponse& r) { return r.movement().movement_id(); }
std::string ObjectOf(const v1::IssueStockResponse& r) {
  return r.movements().empty() ? "" : r.movements(0).movement_id();
}
std::string ObjectOf(const v1::TransferStockResponse& r) {
  return r.movements().empty() ? "" : r.movements(0).movement_id();
}
std::string ObjectOf(const v1::AdjustStockResponse& r) {
  return r.has_movement() ? r.movement().movement_id()
                          : absl::StrCat(r.balance().site_id(), "/", r.balance().item_code());
}
std::string ObjectOf(const v1::Donation& d) { return d.donation_id(); }

}  // namespace

SuppliesService::SuppliesService(Deps deps) : deps_(std::move(deps)) {
  if (deps_.dispatch != nullptr) dispatch_ = dispatch::v1::DispatchService::NewStub(deps_.dispatch);
}

template <typename Request, typename Response, typename Effect>
void SuppliesService::SubmitChange(grpc::ServerUnaryReactor* reactor, absl::string_view method,
                                   const Principal& who, const Request* req, Response* resp,
                                   Effect effect, std::vector<std::string> sites) {
  auto effects = std::make_shared<Effects>();
  const time::Clock* clock = deps_.clock;
  outbox::Sender* sender = deps_.outbox;
  live::LiveCounts* live = deps_.live;
  const absl::TimeZone tz = deps_.tz;
  const absl::Time now = clock->Now();
  app::SubmitMutation<Response>(
      *deps_.db, now, {.scope = method, .audited_as = method}, who, *req,
      [effects, effect = std::move(effect), who, req, now](sql::Session& s) {
        *effects = Effects();
        return effect(s, who, *req, now, effects.get());
      },
      [](const Response& r) { return ObjectOf(r); },
      [reactor, resp, method = std::string(method), effects, sender, live, tz, now,
       sites = std::move(sites)](const absl::Status& status,
                                 idempotency::Outcome<Response>& outcome) {
        if (status.ok()) {
          *resp = std::move(outcome.response);
          if (!outcome.replayed) {
            if (effects->restock_queued && sender != nullptr) sender->Wake();
            if (live != nullptr) {
              // sites: {receiving site, issuing site} as the method counts them ("" for none).
              const absl::CivilDay day = time::DayOf(now, tz);
              std::map<std::string, live::Delta> deltas;
              for (const auto& [site, low] : effects->low_delta) {
                if (low != 0) deltas[site].live.emplace_back(redis::kFieldLowStockItems, low);
              }
              if (!sites[0].empty()) {
                deltas[sites[0]].today.emplace_back(redis::kFieldStockReceipts, 1);
              }
              if (!sites[1].empty()) {
                deltas[sites[1]].today.emplace_back(redis::kFieldStockIssues, 1);
              }
              for (auto& [site, delta] : deltas) {
                delta.day = day;
                if (!delta.empty()) live->Apply(site, std::move(delta));
              }
            }
          }
        }
        reactor->Finish(server::ToGrpcStatus(status, method));
      });
}

// ---- Items ----

grpc::ServerUnaryReactor* SuppliesService::CreateItem(grpc::CallbackServerContext* ctx,
                                                      const v1::CreateItemRequest* req,
                                                      v1::Item* resp) {
  ASSIGN_OR_FINISH(ctx, kCreateItem, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kCreateItem));
  FINISH_IF_ERROR(ctx, kCreateItem, ValidateCreateItem(*req));
  const Storekeeper* keeper = deps_.storekeeper;
  live::LiveCounts* live = deps_.live;
  return app::RunMutation(
      ctx, *deps_.db, *deps_.clock, kCreateItem, who, *req, resp,
      [keeper, req, now = deps_.clock->Now()](sql::Session& s) {
        return keeper->CreateItem(s, *req, now);
      },
      [](const v1::Item& item) { return item.code(); },
      [live](v1::Item& item, bool replayed) {
        // An item with a minimum is low at every site that has none of it yet.
        if (!replayed && live != nullptr && item.min_stock_per_site() > 0) {
          live->RequestReconcile();
        }
      });
}

grpc::ServerUnaryReactor* SuppliesService::ListItems(grpc::CallbackServerContext* ctx,
                                                     const v1::ListItemsRequest* req,
                                                     v1::ListItemsResponse* resp) {
  FINISH_IF_ERROR(ctx, kListItems,
                  server::AuthorizeCall(*deps_.authorizer, ctx, kListItems).status());
  FINISH_IF_ERROR(ctx, kListItems, ValidateListItems(*req));
  return ReadInto(*deps_.db, ctx, kListItems, resp,
                  [&](sql::Session& s) { return deps_.storekeeper->ListItems(s, *req); });
}

// ---- Stock ----

grpc::ServerUnaryReactor* SuppliesService::ReceiveStock(grpc::CallbackServerContext* ctx,
                                                        const v1::ReceiveStockRequest* req,
                                                        v1::ReceiveStockResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kReceiveStock, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kReceiveStock));
  FINISH_IF_ERROR(
      ctx, kReceiveStock,
      ValidateReceiveStock(*req, *deps_.sites, time::DayOf(deps_.clock->Now(), deps_.tz)));
  FINISH_IF_ERROR(ctx, kReceiveStock, CheckSites(who, {req->site_id()}));
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const Storekeeper* keeper = deps_.storekeeper;
  SubmitChange(
      reactor, kReceiveStock, who, req, resp,
      [keeper](sql::Session& s, const Principal& w, const v1::ReceiveStockRequest& r,
               absl::Time now, Effects* e) { return keeper->ReceiveStock(s, w, r, now, e); },
      {req->site_id(), ""});
  return reactor;
}

grpc::ServerUnaryReactor* SuppliesService::IssueStock(grpc::CallbackServerContext* ctx,
                                                      const v1::IssueStockRequest* req,
                                                      v1::IssueStockResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kIssueStock, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kIssueStock));
  FINISH_IF_ERROR(ctx, kIssueStock, ValidateIssueStock(*req, *deps_.sites));
  FINISH_IF_ERROR(ctx, kIssueStock, CheckSites(who, {req->site_id()}));
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const Storekeeper* keeper = deps_.storekeeper;
  auto issue = [this, reactor, who, req, resp, keeper] {
    SubmitChange(
        reactor, kIssueStock, who, req, resp,
        [keeper](sql::Session& s, const Principal& w, const v1::IssueStockRequest& r,
                 absl::Time now, Effects* e) { return keeper->IssueStock(s, w, r, now, e); },
        {"", req->site_id()});
  };
  if (who.role != auth::Role::kVolunteer) {
    issue();
    return reactor;
  }

  // A volunteer: only against a task of its own, as dispatch tells.
  if (req->to().to_case() != v1::IssueDestination::kTaskId) {
    reactor->Finish(server::ToGrpcStatus(
        absl::PermissionDeniedError("to: a volunteer issues only against its own task "
                                    "(to.task_id)"),
        kIssueStock));
    return reactor;
  }
  // A retry of an issue already made is answered as the first one, whatever became of the
  // task since (e.g. completed right after the issue).
  std::optional<std::string> stored;
  absl::Status looked = deps_.db->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(stored, idempotency::Lookup(s, kIssueStock, req->request_id(),
                                                 idempotency::Fingerprint(*req)));
    return absl::OkStatus();
  });
  if (!looked.ok() || stored.has_value()) {
    if (looked.ok()) {
      issue();
    } else {
      reactor->Finish(server::ToGrpcStatus(looked, kIssueStock));
    }
    return reactor;
  }
  if (dispatch_ == nullptr) {
    reactor->Finish(server::ToGrpcStatus(
        absl::UnavailableError("the dispatch service is not configured"), kIssueStock));
    return reactor;
  }
  struct Call {
    grpc::ClientContext context;
    dispatch::v1::GetTaskRequest request;
    dispatch::v1::Task task;
  };
  auto call = std::make_shared<Call>();
  call->context.set_deadline(absl::ToChronoTime(absl::Now() + deps_.dispatch_timeout));
  call->context.AddMetadata("authorization", std::string(server::AuthorizationMetadata(*ctx)));
  call->request.set_task_id(req->to().task_id());
  dispatch_->async()->GetTask(&call->context, &call->request, &call->task,
                              [call, req, reactor, issue = std::move(issue)](grpc::Status status) {
                                absl::Status checked = FromDispatch(status);
                                if (checked.ok()) checked = CheckVolunteerTask(call->task, *req);
                                if (!checked.ok()) {
                                  reactor->Finish(server::ToGrpcStatus(checked, kIssueStock));
                                  return;
                                }
                                issue();
                              });
  return reactor;
}

grpc::ServerUnaryReactor* SuppliesService::TransferStock(grpc::CallbackServerContext* ctx,
                                                         const v1::TransferStockRequest* req,
                                                         v1::TransferStockResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kTransferStock, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kTransferStock));
  FINISH_IF_ERROR(ctx, kTransferStock, ValidateTransferStock(*req, *deps_.sites));
  FINISH_IF_ERROR(ctx, kTransferStock, CheckSites(who, {req->from_site_id(), req->to_site_id()}));
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const Storekeeper* keeper = deps_.storekeeper;
  SubmitChange(
      reactor, kTransferStock, who, req, resp,
      [keeper](sql::Session& s, const Principal& w, const v1::TransferStockRequest& r,
               absl::Time now, Effects* e) { return keeper->TransferStock(s, w, r, now, e); },
      {req->to_site_id(), req->from_site_id()});
  return reactor;
}

grpc::ServerUnaryReactor* SuppliesService::AdjustStock(grpc::CallbackServerContext* ctx,
                                                       const v1::AdjustStockRequest* req,
                                                       v1::AdjustStockResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kAdjustStock, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kAdjustStock));
  FINISH_IF_ERROR(ctx, kAdjustStock, ValidateAdjustStock(*req, *deps_.sites));
  FINISH_IF_ERROR(ctx, kAdjustStock, CheckSites(who, {req->site_id()}));
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const Storekeeper* keeper = deps_.storekeeper;
  SubmitChange(
      reactor, kAdjustStock, who, req, resp,
      [keeper](sql::Session& s, const Principal& w, const v1::AdjustStockRequest& r, absl::Time now,
               Effects* e) { return keeper->AdjustStock(s, w, r, now, e); },
      {"", ""});
  return reactor;
}

grpc::ServerUnaryReactor* SuppliesService::GetStock(grpc::CallbackServerContext* ctx,
                                                    const v1::GetStockRequest* req,
                                                    v1::GetStockResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kGetStock, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kGetStock));
  FINISH_IF_ERROR(ctx, kGetStock, ValidateGetStock(*req, *deps_.sites));
  FINISH_IF_ERROR(ctx, kGetStock, CheckSites(who, {req->site_id()}));
  return ReadInto(*deps_.db, ctx, kGetStock, resp,
                  [&](sql::Session& s) { return deps_.storekeeper->GetStock(s, who, *req); });
}

grpc::ServerUnaryReactor* SuppliesService::ListMovements(grpc::CallbackServerContext* ctx,
                                                         const v1::ListMovementsRequest* req,
                                                         v1::ListMovementsResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kListMovements, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kListMovements));
  ASSIGN_OR_FINISH(ctx, kListMovements, const TimeRange range,
                   ValidateListMovements(*req, *deps_.sites));
  FINISH_IF_ERROR(ctx, kListMovements, CheckSites(who, {req->site_id()}));
  return ReadInto(*deps_.db, ctx, kListMovements, resp, [&](sql::Session& s) {
    return deps_.storekeeper->ListMovements(s, who, *req, range.start, range.end);
  });
}

grpc::ServerUnaryReactor* SuppliesService::ExportMovements(grpc::CallbackServerContext* ctx,
                                                           const v1::ExportMovementsRequest* req,
                                                           v1::ExportFile* resp) {
  ASSIGN_OR_FINISH(ctx, kExportMovements, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kExportMovements));
  ASSIGN_OR_FINISH(ctx, kExportMovements, const TimeRange range,
                   ValidateListMovements(req->filter(), *deps_.sites, "filter."));
  FINISH_IF_ERROR(ctx, kExportMovements, CheckSites(who, {req->filter().site_id()}));
  const absl::Time now = deps_.clock->Now();
  FINISH_IF_ERROR(ctx, kExportMovements, deps_.db->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(const std::vector<v1::StockMovement> movements,
                     deps_.storekeeper->AllMovements(s, who, req->filter(), range.start, range.end,
                                                     kMaxExportedMovements));
    ASSIGN_OR_RETURN(const std::vector<v1::Item> items,
                     supplies::ListItems(s, v1::ITEM_CATEGORY_UNSPECIFIED));
    resp->set_filename(absl::StrCat("stock-ledger-", time::DateOf(now, deps_.tz), ".csv"));
    resp->set_content_type(csv::kContentType);
    resp->set_content(LedgerCsv(movements, items, *deps_.sites, deps_.tz));
    return absl::OkStatus();
  }));
  // Every export is in the audit trail (object: the site exported, "" for all it may see).
  return app::FinishRead(ctx, *deps_.db, *deps_.clock, kExportMovements, who,
                         req->filter().site_id(), /*clear_data=*/true);
}

grpc::ServerUnaryReactor* SuppliesService::GetDailyStats(grpc::CallbackServerContext* ctx,
                                                         const v1::GetDailyStatsRequest* req,
                                                         v1::GetDailyStatsResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kGetDailyStats, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kGetDailyStats));
  ASSIGN_OR_FINISH(ctx, kGetDailyStats, const absl::CivilDay day,
                   ValidateGetDailyStats(*req, *deps_.sites));
  FINISH_IF_ERROR(ctx, kGetDailyStats, CheckSites(who, {req->site_id()}));
  return ReadInto(
      *deps_.db, ctx, kGetDailyStats, resp,
      [&](sql::Session& s) -> absl::StatusOr<v1::GetDailyStatsResponse> {
        ASSIGN_OR_RETURN(v1::GetDailyStatsResponse stats,
                         deps_.storekeeper->GetDailyStats(s, who, *req, day));
        // --- donations and the canteen register ---
        RETURN_IF_ERROR(Books(deps_.storekeeper, deps_.tz).AddDailyFigures(s, day, &stats));
        return stats;
      });
}

grpc::ServerUnaryReactor* SuppliesService::ListAuditEvents(
    grpc::CallbackServerContext* ctx, const common::v1::ListAuditEventsRequest* req,
    common::v1::ListAuditEventsResponse* resp) {
  FINISH_IF_ERROR(ctx, kListAuditEvents,
                  server::AuthorizeCall(*deps_.authorizer, ctx, kListAuditEvents).status());
  ASSIGN_OR_FINISH(ctx, kListAuditEvents, *resp, app::ListAuditEvents(*deps_.db, *req));
  return app::FinishWith(ctx, kListAuditEvents, absl::OkStatus());
}

// --- donations and the canteen register ---

grpc::ServerUnaryReactor* SuppliesService::RecordDonation(grpc::CallbackServerContext* ctx,
                                                          const v1::RecordDonationRequest* req,
                                                          v1::Donation* resp) {
  ASSIGN_OR_FINISH(ctx, kRecordDonation, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kRecordDonation));
  FINISH_IF_ERROR(
      ctx, kRecordDonation,
      ValidateRecordDonation(*req, *deps_.sites, time::DayOf(deps_.clock->Now(), deps_.tz)));
  FINISH_IF_ERROR(ctx, kRecordDonation, CheckSites(who, {req->site_id()}));
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const Books books(deps_.storekeeper, deps_.tz);
  const bool goods = req->kind() == v1::DONATION_KIND_IN_KIND;
  const bool received = req->direction() == v1::DONATION_DIRECTION_RECEIVED;
  SubmitChange(
      reactor, kRecordDonation, who, req, resp,
      [books](sql::Session& s, const Principal& w, const v1::RecordDonationRequest& r,
              absl::Time now, Effects* e) { return books.RecordDonation(s, w, r, now, e); },
      {goods && received ? req->site_id() : "", goods && !received ? req->site_id() : ""});
  return reactor;
}

grpc::ServerUnaryReactor* SuppliesService::ListDonations(grpc::CallbackServerContext* ctx,
                                                         const v1::ListDonationsRequest* req,
                                                         v1::ListDonationsResponse* resp) {
  FINISH_IF_ERROR(ctx, kListDonations,
                  server::AuthorizeCall(*deps_.authorizer, ctx, kListDonations).status());
  FINISH_IF_ERROR(ctx, kListDonations, ValidateListDonations(*req));
  const Books books(deps_.storekeeper, deps_.tz);
  return ReadInto(*deps_.db, ctx, kListDonations, resp,
                  [&](sql::Session& s) { return books.ListDonations(s, *req); });
}

grpc::ServerUnaryReactor* SuppliesService::GetDonationTotals(
    grpc::CallbackServerContext* ctx, const v1::GetDonationTotalsRequest* req,
    v1::DonationTotals* resp) {
  FINISH_IF_ERROR(ctx, kGetDonationTotals,
                  server::AuthorizeCall(*deps_.authorizer, ctx, kGetDonationTotals).status());
  FINISH_IF_ERROR(ctx, kGetDonationTotals, ValidateGetDonationTotals(*req));
  const Books books(deps_.storekeeper, deps_.tz);
  return ReadInto(*deps_.db, ctx, kGetDonationTotals, resp,
                  [&](sql::Session& s) { return books.GetDonationTotals(s, *req); });
}

grpc::ServerUnaryReactor* SuppliesService::ExportDonationStatement(
    grpc::CallbackServerContext* ctx, const v1::ExportDonationStatementRequest* req,
    v1::ExportFile* resp) {
  ASSIGN_OR_FINISH(ctx, kExportDonationStatement, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kExportDonationStatement));
  FINISH_IF_ERROR(ctx, kExportDonationStatement, ValidateExportDonationStatement(*req));
  const Books books(deps_.storekeeper, deps_.tz);
  const absl::Time now = deps_.clock->Now();
  FINISH_IF_ERROR(ctx, kExportDonationStatement,
                  deps_.db->Read([&](sql::Session& s) -> absl::Status {
                    ASSIGN_OR_RETURN(*resp, books.ExportDonationStatement(s, *req, now));
                    return absl::OkStatus();
                  }));
  // Every export is in the audit trail (object: the campaign).
  return app::FinishRead(ctx, *deps_.db, *deps_.clock, kExportDonationStatement, who,
                         request::StripText(req->campaign()), /*clear_data=*/true);
}

grpc::ServerUnaryReactor* SuppliesService::RegisterFoodPurchase(
    grpc::CallbackServerContext* ctx, const v1::RegisterFoodPurchaseRequest* req,
    v1::FoodPurchase* resp) {
  ASSIGN_OR_FINISH(ctx, kRegisterFoodPurchase, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kRegisterFoodPurchase));
  FINISH_IF_ERROR(ctx, kRegisterFoodPurchase,
                  ValidateFoodPurchase(*req, *deps_.sites, deps_.clock->Now()));
  FINISH_IF_ERROR(ctx, kRegisterFoodPurchase, CheckSites(who, {req->site_id()}));
  const Books books(deps_.storekeeper, deps_.tz);
  return app::RunMutation(
      ctx, *deps_.db, *deps_.clock, kRegisterFoodPurchase, who, *req, resp,
      [books, who, req, now = deps_.clock->Now()](sql::Session& s) {
        return books.RegisterFoodPurchase(s, who, *req, now);
      },
      [](const v1::FoodPurchase& p) { return p.purchase_id(); }, [](v1::FoodPurchase&, bool) {});
}

grpc::ServerUnaryReactor* SuppliesService::ListFoodPurchases(
    grpc::CallbackServerContext* ctx, const v1::ListFoodPurchasesRequest* req,
    v1::ListFoodPurchasesResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kListFoodPurchases, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kListFoodPurchases));
  FINISH_IF_ERROR(ctx, kListFoodPurchases, ValidateListFoodPurchases(*req, *deps_.sites));
  FINISH_IF_ERROR(ctx, kListFoodPurchases, CheckSites(who, {req->site_id()}));
  const Books books(deps_.storekeeper, deps_.tz);
  return ReadInto(*deps_.db, ctx, kListFoodPurchases, resp,
                  [&](sql::Session& s) { return books.ListFoodPurchases(s, who, *req); });
}

grpc::ServerUnaryReactor* SuppliesService::TraceFood(grpc::CallbackServerContext* ctx,
                                                     const v1::TraceFoodRequest* req,
                                                     v1::TraceFoodResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kTraceFood, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kTraceFood));
  FINISH_IF_ERROR(ctx, kTraceFood, ValidateTraceFood(*req));
  const Books books(deps_.storekeeper, deps_.tz);
  return ReadInto(*deps_.db, ctx, kTraceFood, resp,
                  [&](sql::Session& s) { return books.TraceFood(s, who, *req); });
}

// --- end of donations and the canteen register ---

}  // namespace lianfang::supplies
