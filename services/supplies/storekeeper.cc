#include "services/supplies/storekeeper.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/outbox/outbox.h"
#include "common/redis/keys.h"
#include "common/server/errors.h"
#include "common/sql/page_token.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"
#include "services/supplies/stock_ledger.h"

namespace lianfang::supplies {
namespace {

constexpr char kListMovementsScope[] = "ListMovements";

// How long a restock task may take.
constexpr absl::Duration kRestockWithin = absl::Hours(24);

// The sites a read covers: the one asked for, else every site of the caller's token (all of
// the directory when it lists none). The adapter has checked that the caller may see `asked`.
std::vector<std::string> SitesOf(const auth::Principal& who, absl::string_view asked,
                                 const sites::SiteDirectory& sites) {
  if (!asked.empty()) return {std::string(asked)};
  std::vector<std::string> out;
  for (std::string& id : sites.ids()) {
    if (who.MayActOnSite(id)) out.push_back(std::move(id));
  }
  std::sort(out.begin(), out.end());
  return out;
}

v1::StockBalance BalanceFrom(absl::string_view site_id, const v1::Item& item, int64_t quantity,
                             const std::vector<Batch>& batches) {
  v1::StockBalance b;
  b.set_site_id(std::string(site_id));
  b.set_item_code(item.code());
  b.set_item_name(item.name());
  b.set_unit(item.unit());
  b.set_quantity(quantity);
  b.set_min_stock(item.min_stock_per_site());
  b.set_low(IsLow(quantity, item.min_stock_per_site()));
  b.set_nearest_expiry(NearestExpiry(batches));
  for (const Batch& batch : FefoOrder(batches)) {
    v1::BatchBalance* out = b.add_batches();
    out->set_batch(batch.batch);
    out->set_expires_on(batch.expires_on);
    out->set_quantity(batch.quantity);
  }
  return b;
}

}  // namespace

std::string RestockKey(absl::string_view site_id, absl::string_view item_code, int64_t n) {
  return absl::StrCat("supplies-restock-", site_id, "-", item_code, "-", n);
}

dispatch::v1::CreateTaskRequest RestockTaskRequest(const sites::Site& site, const v1::Item& item,
                                                   int64_t quantity, int64_t n, absl::Time now) {
  dispatch::v1::CreateTaskRequest request;
  request.set_request_id(RestockKey(site.id(), item.code(), n));
  dispatch::v1::Task* task = request.mutable_task();
  task->set_kind(dispatch::v1::TASK_KIND_SUPPLY_DELIVERY);
  task->set_site_id(site.id());
  task->set_item_code(item.code());
  task->set_title(absl::StrCat("补充物资：", item.name()));
  task->set_details(absl::StrCat(site.name(), " 库存 ", quantity, item.unit(), "，低于下限 ",
                                 item.min_stock_per_site(), item.unit()));
  task->set_priority(dispatch::v1::PRIORITY_HIGH);
  *task->mutable_due_at() = time::ToTimestamp(now + kRestockWithin);
  task->set_source_ref(absl::StrCat("supplies.restock/", site.id(), "/", item.code()));
  return request;
}

Storekeeper::Storekeeper(const sites::SiteDirectory* sites, absl::TimeZone tz)
    : sites_(sites), tz_(tz) {}

// ---- Items ----

absl::StatusOr<v1::Item> Storekeeper::CreateItem(sql::Session& s, const v1::CreateItemRequest& req,
                                                 absl::Time now) const {
  v1::Item item = req.item();
  *item.mutable_created_at() = time::ToTimestamp(now);
  RETURN_IF_ERROR(InsertItem(s, item));
  return item;
}

absl::StatusOr<v1::ListItemsResponse> Storekeeper::ListItems(
    sql::Session& s, const v1::ListItemsRequest& req) const {
  ASSIGN_OR_RETURN(std::vector<v1::Item> items, supplies::ListItems(s, req.category()));
  v1::ListItemsResponse resp;
  for (v1::Item& item : items) *resp.add_items() = std::move(item);
  return resp;
}

// ---- Stock ----

absl::StatusOr<v1::Item> Storekeeper::RequireItem(sql::Session& s, absl::string_view code,
                                                  absl::string_view field) const {
  ASSIGN_OR_RETURN(std::optional<v1::Item> item, FindItem(s, code));
  if (!item.has_value()) return server::InvalidField(field, "unknown item");
  return *std::move(item);
}

absl::StatusOr<int64_t> Storekeeper::ChangeBalance(sql::Session& s, absl::string_view site_id,
                                                   const v1::Item& item, int64_t delta,
                                                   absl::Time now, Effects* effects) const {
  ASSIGN_OR_RETURN(BalanceRow balance, ReadBalance(s, site_id, item.code()));
  const int64_t before = balance.quantity;
  balance.quantity += delta;
  if (balance.quantity < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("quantity ", -delta, " exceeds the balance ", before, " on hand"));
  }
  if (CrossesBelowMinimum(before, balance.quantity, item.min_stock_per_site())) {
    const sites::Site* site = sites_->Find(site_id);
    if (site == nullptr) return absl::InternalError("a validated site is not in the directory");
    ++balance.restocks;
    const dispatch::v1::CreateTaskRequest task =
        RestockTaskRequest(*site, item, balance.quantity, balance.restocks, now);
    RETURN_IF_ERROR(outbox::Enqueue(s,
                                    {.destination = kDispatchDestination,
                                     .method = kCreateTaskMethod,
                                     .idempotency_key = task.request_id(),
                                     .payload = task.SerializeAsString()},
                                    now));
    if (effects != nullptr) effects->restock_queued = true;
  }
  if (effects != nullptr) {
    effects->low_delta[std::string(site_id)] +=
        static_cast<int64_t>(IsLow(balance.quantity, item.min_stock_per_site())) -
        static_cast<int64_t>(IsLow(before, item.min_stock_per_site()));
  }
  RETURN_IF_ERROR(WriteBalance(s, site_id, item.code(), balance));
  return balance.quantity;
}

absl::Status Storekeeper::Record(sql::Session& s, v1::StockMovement& movement,
                                 std::string* op_id) const {
  ASSIGN_OR_RETURN(const int64_t seq, NextNumber(s, "movement"));
  movement.set_movement_id(absl::StrCat("movement-", seq));
  if (op_id->empty()) *op_id = movement.movement_id();
  return InsertMovement(s, movement, seq, *op_id);
}

absl::StatusOr<v1::StockBalance> Storekeeper::BalanceOf(sql::Session& s, absl::string_view site_id,
                                                        const v1::Item& item) const {
  ASSIGN_OR_RETURN(BalanceRow balance, ReadBalance(s, site_id, item.code()));
  ASSIGN_OR_RETURN(std::vector<Batch> batches, ReadBatches(s, site_id, item.code()));
  return BalanceFrom(site_id, item, balance.quantity, batches);
}

absl::StatusOr<v1::ReceiveStockResponse> Storekeeper::ReceiveStock(
    sql::Session& s, const auth::Principal& who, const v1::ReceiveStockRequest& req, absl::Time now,
    Effects* effects, absl::string_view donation_id) const {
  ASSIGN_OR_RETURN(const v1::Item item, RequireItem(s, req.item_code(), "item_code"));
  RETURN_IF_ERROR(
      AddToBatch(s, req.site_id(), item.code(), req.batch(), req.expires_on(), req.quantity()));
  ASSIGN_OR_RETURN(const int64_t after,
                   ChangeBalance(s, req.site_id(), item, req.quantity(), now, effects));
  v1::ReceiveStockResponse resp;
  v1::StockMovement& m = *resp.mutable_movement();
  m.set_site_id(req.site_id());
  m.set_item_code(item.code());
  m.set_kind(v1::MOVEMENT_KIND_RECEIPT);
  m.set_quantity(req.quantity());
  m.set_batch(req.batch());
  m.set_expires_on(req.expires_on());
  m.set_source(req.source());
  m.set_note(req.note());
  m.set_donation_id(std::string(donation_id));
  m.set_balance_after(after);
  *m.mutable_recorded_at() = time::ToTimestamp(now);
  m.set_recorded_by(who.subject);
  std::string op_id;
  RETURN_IF_ERROR(Record(s, m, &op_id));
  ASSIGN_OR_RETURN(*resp.mutable_balance(), BalanceOf(s, req.site_id(), item));
  return resp;
}

absl::StatusOr<v1::IssueStockResponse> Storekeeper::IssueStock(
    sql::Session& s, const auth::Principal& who, const v1::IssueStockRequest& req, absl::Time now,
    Effects* effects, absl::string_view donation_id) const {
  ASSIGN_OR_RETURN(const v1::Item item, RequireItem(s, req.item_code(), "item_code"));
  ASSIGN_OR_RETURN(const std::vector<Batch> on_hand, ReadBatches(s, req.site_id(), item.code()));
  ASSIGN_OR_RETURN(
      const std::vector<Batch> taken,
      AllocateUsable(on_hand, req.quantity(), time::FormatDate(time::DayOf(now, tz_))));
  int64_t running = TotalOf(on_hand);
  v1::IssueStockResponse resp;
  std::string op_id;
  for (const Batch& b : taken) {
    RETURN_IF_ERROR(AddToBatch(s, req.site_id(), item.code(), b.batch, b.expires_on, -b.quantity));
    running -= b.quantity;
    v1::StockMovement& m = *resp.add_movements();
    m.set_site_id(req.site_id());
    m.set_item_code(item.code());
    m.set_kind(v1::MOVEMENT_KIND_ISSUE);
    m.set_quantity(-b.quantity);
    m.set_batch(b.batch);
    m.set_expires_on(b.expires_on);
    *m.mutable_to() = req.to();
    m.set_note(req.note());
    m.set_donation_id(std::string(donation_id));
    m.set_balance_after(running);
    *m.mutable_recorded_at() = time::ToTimestamp(now);
    m.set_recorded_by(who.subject);
    RETURN_IF_ERROR(Record(s, m, &op_id));
  }
  RETURN_IF_ERROR(ChangeBalance(s, req.site_id(), item, -req.quantity(), now, effects).status());
  ASSIGN_OR_RETURN(*resp.mutable_balance(), BalanceOf(s, req.site_id(), item));
  return resp;
}

absl::StatusOr<v1::TransferStockResponse> Storekeeper::TransferStock(
    sql::Session& s, const auth::Principal& who, const v1::TransferStockRequest& req,
    absl::Time now, Effects* effects) const {
  ASSIGN_OR_RETURN(const v1::Item item, RequireItem(s, req.item_code(), "item_code"));
  ASSIGN_OR_RETURN(const std::vector<Batch> on_hand,
                   ReadBatches(s, req.from_site_id(), item.code()));
  ASSIGN_OR_RETURN(
      const std::vector<Batch> taken,
      AllocateUsable(on_hand, req.quantity(), time::FormatDate(time::DayOf(now, tz_))));
  ASSIGN_OR_RETURN(const BalanceRow to_before, ReadBalance(s, req.to_site_id(), item.code()));
  int64_t from_running = TotalOf(on_hand);
  int64_t to_running = to_before.quantity;
  v1::TransferStockResponse resp;
  std::string op_id;
  for (const Batch& b : taken) {
    RETURN_IF_ERROR(
        AddToBatch(s, req.from_site_id(), item.code(), b.batch, b.expires_on, -b.quantity));
    RETURN_IF_ERROR(
        AddToBatch(s, req.to_site_id(), item.code(), b.batch, b.expires_on, b.quantity));
    from_running -= b.quantity;
    to_running += b.quantity;
    for (const bool out : {true, false}) {
      v1::StockMovement& m = *resp.add_movements();
      m.set_site_id(out ? req.from_site_id() : req.to_site_id());
      m.set_item_code(item.code());
      m.set_kind(out ? v1::MOVEMENT_KIND_TRANSFER_OUT : v1::MOVEMENT_KIND_RECEIPT);
      m.set_quantity(out ? -b.quantity : b.quantity);
      m.set_batch(b.batch);
      m.set_expires_on(b.expires_on);
      if (!out) m.set_source(v1::STOCK_SOURCE_TRANSFER);
      m.set_counterpart_site_id(out ? req.to_site_id() : req.from_site_id());
      m.set_balance_after(out ? from_running : to_running);
      *m.mutable_recorded_at() = time::ToTimestamp(now);
      m.set_recorded_by(who.subject);
      RETURN_IF_ERROR(Record(s, m, &op_id));
    }
  }
  RETURN_IF_ERROR(
      ChangeBalance(s, req.from_site_id(), item, -req.quantity(), now, effects).status());
  RETURN_IF_ERROR(ChangeBalance(s, req.to_site_id(), item, req.quantity(), now, effects).status());
  ASSIGN_OR_RETURN(*resp.mutable_from_balance(), BalanceOf(s, req.from_site_id(), item));
  ASSIGN_OR_RETURN(*resp.mutable_to_balance(), BalanceOf(s, req.to_site_id(), item));
  return resp;
}

absl::StatusOr<v1::AdjustStockResponse> Storekeeper::AdjustStock(sql::Session& s,
                                                                 const auth::Principal& who,
                                                                 const v1::AdjustStockRequest& req,
                                                                 absl::Time now,
                                                                 Effects* effects) const {
  ASSIGN_OR_RETURN(const v1::Item item, RequireItem(s, req.item_code(), "item_code"));
  ASSIGN_OR_RETURN(const std::vector<Batch> on_hand, ReadBatches(s, req.site_id(), item.code()));
  const int64_t before = TotalOf(on_hand);
  const int64_t delta = req.counted_quantity() - before;
  v1::AdjustStockResponse resp;
  if (delta != 0) {
    // Units found beyond the books join the stock without batch or expiry; units missing are
    // taken as an issue would take them (earliest expiry first).
    std::vector<Batch> changed;
    if (delta > 0) {
      changed.push_back({.batch = "", .expires_on = "", .quantity = delta});
    } else {
      ASSIGN_OR_RETURN(changed, AllocateFefo(on_hand, -delta));
      for (Batch& b : changed) b.quantity = -b.quantity;
    }
    for (const Batch& b : changed) {
      RETURN_IF_ERROR(AddToBatch(s, req.site_id(), item.code(), b.batch, b.expires_on, b.quantity));
    }
    RETURN_IF_ERROR(ChangeBalance(s, req.site_id(), item, delta, now, effects).status());
    v1::StockMovement& m = *resp.mutable_movement();
    m.set_site_id(req.site_id());
    m.set_item_code(item.code());
    m.set_kind(v1::MOVEMENT_KIND_ADJUSTMENT);
    m.set_quantity(delta);
    // One movement per stocktake: it names the batch when exactly one batch changed.
    if (changed.size() == 1) {
      m.set_batch(changed.front().batch);
      m.set_expires_on(changed.front().expires_on);
    }
    m.set_reason(req.reason());
    m.set_balance_after(req.counted_quantity());
    *m.mutable_recorded_at() = time::ToTimestamp(now);
    m.set_recorded_by(who.subject);
    std::string op_id;
    RETURN_IF_ERROR(Record(s, m, &op_id));
  }
  ASSIGN_OR_RETURN(*resp.mutable_balance(), BalanceOf(s, req.site_id(), item));
  return resp;
}

absl::StatusOr<v1::GetStockResponse> Storekeeper::GetStock(sql::Session& s,
                                                           const auth::Principal& who,
                                                           const v1::GetStockRequest& req) const {
  std::vector<v1::Item> items;
  if (!req.item_code().empty()) {
    ASSIGN_OR_RETURN(items.emplace_back(), RequireItem(s, req.item_code(), "item_code"));
  } else {
    ASSIGN_OR_RETURN(items, supplies::ListItems(s, v1::ITEM_CATEGORY_UNSPECIFIED));
  }
  ASSIGN_OR_RETURN(const std::vector<StockRow> balances,
                   ListBalances(s, req.site_id(), req.item_code()));
  ASSIGN_OR_RETURN(const std::vector<StockBatch> batches,
                   ListAllBatches(s, req.site_id(), req.item_code()));
  std::map<std::pair<std::string, std::string>, int64_t> quantity;
  for (const StockRow& r : balances) quantity[{r.site_id, r.item_code}] = r.quantity;
  std::map<std::pair<std::string, std::string>, std::vector<Batch>> batches_of;
  for (const StockBatch& r : batches) batches_of[{r.site_id, r.item_code}].push_back(r.batch);

  v1::GetStockResponse resp;
  for (const std::string& site_id : SitesOf(who, req.site_id(), *sites_)) {
    for (const v1::Item& item : items) {
      const std::pair<std::string, std::string> key{site_id, item.code()};
      const auto q = quantity.find(key);
      const auto b = batches_of.find(key);
      v1::StockBalance balance =
          BalanceFrom(site_id, item, q == quantity.end() ? 0 : q->second,
                      b == batches_of.end() ? std::vector<Batch>() : b->second);
      if (req.low_only() && !balance.low()) continue;
      *resp.add_balances() = std::move(balance);
    }
  }
  return resp;
}

absl::StatusOr<v1::ListMovementsResponse> Storekeeper::ListMovements(
    sql::Session& s, const auth::Principal& who, const v1::ListMovementsRequest& req,
    std::optional<absl::Time> start, std::optional<absl::Time> end) const {
  ASSIGN_OR_RETURN(const int size, sql::PageSize(req.page_size()));
  ASSIGN_OR_RETURN(const std::vector<sql::Value> after,
                   sql::DecodePageToken(kListMovementsScope, req.page_token(), 1));
  const int64_t before_seq = after.empty() ? 0 : after.front().AsInt();
  if (!after.empty() && before_seq <= 0) {
    return server::InvalidField("page_token", "is not a valid page token");
  }
  MovementFilter filter{
      .site_id = req.site_id(),
      .sites_any_of = req.site_id().empty() ? who.sites : std::vector<std::string>(),
      .item_code = req.item_code(),
      .kind = req.kind(),
      .task_id = req.task_id(),
      .start = start,
      .end = end};
  ASSIGN_OR_RETURN(std::vector<MovementRow> rows,
                   supplies::ListMovements(s, filter, before_seq, size + 1));
  v1::ListMovementsResponse resp;
  const bool more = rows.size() > static_cast<size_t>(size);
  if (more) rows.resize(size);
  for (MovementRow& r : rows) *resp.add_movements() = std::move(r.movement);
  if (more) {
    resp.set_next_page_token(sql::EncodePageToken(kListMovementsScope, {rows.back().seq}));
  }
  return resp;
}

absl::StatusOr<std::vector<v1::StockMovement>> Storekeeper::AllMovements(
    sql::Session& s, const auth::Principal& who, const v1::ListMovementsRequest& req,
    std::optional<absl::Time> start, std::optional<absl::Time> end, int64_t limit) const {
  MovementFilter filter{
      .site_id = req.site_id(),
      .sites_any_of = req.site_id().empty() ? who.sites : std::vector<std::string>(),
      .item_code = req.item_code(),
      .kind = req.kind(),
      .task_id = req.task_id(),
      .start = start,
      .end = end};
  ASSIGN_OR_RETURN(std::vector<MovementRow> rows, supplies::ListMovements(s, filter, 0, limit + 1));
  if (rows.size() > static_cast<size_t>(limit)) {
    return absl::OutOfRangeError(absl::StrCat("more than ", limit,
                                              " movements match; narrow the filter (sites, "
                                              "item, start_time, end_time)"));
  }
  std::vector<v1::StockMovement> out;
  out.reserve(rows.size());
  for (MovementRow& r : rows) out.push_back(std::move(r.movement));
  return out;
}

absl::StatusOr<v1::GetDailyStatsResponse> Storekeeper::GetDailyStats(
    sql::Session& s, const auth::Principal& who, const v1::GetDailyStatsRequest& req,
    absl::CivilDay day) const {
  const absl::Time start = time::StartOfDay(day, tz_);
  const absl::Time end = time::EndOfDay(day, tz_);
  ASSIGN_OR_RETURN(const std::vector<v1::Item> items,
                   supplies::ListItems(s, v1::ITEM_CATEGORY_UNSPECIFIED));
  ASSIGN_OR_RETURN(const std::vector<StockRow> balances, BalancesAt(s, end));
  ASSIGN_OR_RETURN(const std::vector<SiteDayCounts> counts, DayCounts(s, start, end));
  std::map<std::pair<std::string, std::string>, int64_t> quantity;
  for (const StockRow& q : balances) quantity[{q.site_id, q.item_code}] = q.quantity;
  std::map<std::string, SiteDayCounts> counts_of;
  for (const SiteDayCounts& c : counts) counts_of[c.site_id] = c;

  const std::vector<std::string> site_ids = SitesOf(who, req.site_id(), *sites_);
  v1::GetDailyStatsResponse resp;
  resp.set_date(time::FormatDate(day));
  resp.mutable_donations();  // zeros written out
  for (const std::string& site_id : site_ids) {
    v1::DailyStats& stats = *resp.add_stats();
    stats.set_site_id(site_id);
    stats.set_date(time::FormatDate(day));
    int32_t low = 0;
    for (const v1::Item& item : items) {
      if (item.min_stock_per_site() <= 0) continue;
      const auto q = quantity.find({site_id, item.code()});
      const int64_t on_hand = q == quantity.end() ? 0 : q->second;
      *stats.add_key_balances() = BalanceFrom(site_id, item, on_hand, {});
      if (IsLow(on_hand, item.min_stock_per_site())) ++low;
    }
    stats.set_low_stock_items(low);
    if (auto c = counts_of.find(site_id); c != counts_of.end()) {
      stats.set_receipts(static_cast<int32_t>(c->second.receipts));
      stats.set_issues(static_cast<int32_t>(c->second.issues));
    }
  }
  return resp;
}

absl::StatusOr<live::Snapshot> Storekeeper::LiveSnapshot(sql::Session& s,
                                                         absl::CivilDay today) const {
  ASSIGN_OR_RETURN(const std::vector<v1::Item> items,
                   supplies::ListItems(s, v1::ITEM_CATEGORY_UNSPECIFIED));
  ASSIGN_OR_RETURN(const std::vector<StockRow> balances, ListBalances(s, "", ""));
  ASSIGN_OR_RETURN(const std::vector<SiteDayCounts> counts,
                   DayCounts(s, time::StartOfDay(today, tz_), time::EndOfDay(today, tz_)));
  std::map<std::pair<std::string, std::string>, int64_t> quantity;
  for (const StockRow& r : balances) quantity[{r.site_id, r.item_code}] = r.quantity;
  live::Snapshot snapshot;
  for (const std::string& site_id : sites_->ids()) {
    int64_t low = 0;
    for (const v1::Item& item : items) {
      const auto q = quantity.find({site_id, item.code()});
      if (IsLow(q == quantity.end() ? 0 : q->second, item.min_stock_per_site())) ++low;
    }
    live::SiteFigures& figures = snapshot[site_id];
    figures.live[redis::kFieldLowStockItems] = low;
    figures.today[redis::kFieldStockReceipts] = 0;
    figures.today[redis::kFieldStockIssues] = 0;
  }
  for (const SiteDayCounts& c : counts) {
    auto it = snapshot.find(c.site_id);
    if (it == snapshot.end()) continue;
    it->second.today[redis::kFieldStockReceipts] = c.receipts;
    it->second.today[redis::kFieldStockIssues] = c.issues;
  }
  return snapshot;
}

}  // namespace lianfang::supplies
