// The supplies core: the catalogue of items and the stock ledger of every site (receipts,
// issues, transfers, stocktakes), the balances with their low-stock flags, the movements and
// the daily figures, on the store (store.h) inside the caller's transaction. The gRPC adapter
// (supplies_service.h) authorizes and validates (validation.h) before it calls here.
//
// Every change keeps the ledger's invariant in its transaction: a balance equals the sum of
// its movements and of its batches and is never negative. An issue beyond the balance is
// FAILED_PRECONDITION and writes nothing. When a change takes a site's balance of an item from
// at or above the item's minimum to below it (stock_ledger.h, CrossesBelowMinimum), the same
// transaction queues one outbox message to dispatch's CreateTask: a TASK_KIND_SUPPLY_DELIVERY
// task with request_id "supplies-restock-<site>-<item>-<n>" (n counts the restocks of that
// site and item), so the task exists exactly once whatever the retries.
//
// Thread-safety: a Storekeeper is immutable; its methods may run concurrently, each on its
// own Session.
#ifndef LIANFANG_SERVICES_SUPPLIES_STOREKEEPER_H_
#define LIANFANG_SERVICES_SUPPLIES_STOREKEEPER_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/live/live_counts.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"
#include "lianfang/supplies/v1/supplies.pb.h"
#include "services/supplies/store.h"

namespace lianfang::supplies {

// The outbox destination and method of restock tasks.
inline constexpr char kDispatchDestination[] = "dispatch";
inline constexpr char kCreateTaskMethod[] = "/lianfang.dispatch.v1.DispatchService/CreateTask";

// The request_id of the n-th restock task of (site, item).
std::string RestockKey(absl::string_view site_id, absl::string_view item_code, int64_t n);

// The CreateTask request of the n-th restock of `item` at `site` whose balance is now
// `quantity`, raised at `now`.
dispatch::v1::CreateTaskRequest RestockTaskRequest(const sites::Site& site, const v1::Item& item,
                                                   int64_t quantity, int64_t n, absl::Time now);

// What a change did besides its answer, for the adapter's after-commit work.
struct Effects {
  bool restock_queued = false;  // an outbox message waits: wake the sender
  // Per site: the change of the number of items below their minimum (live counts).
  std::map<std::string, int64_t> low_delta;
};

class Storekeeper final {
 public:
  // `sites` is not owned and must outlive the Storekeeper.
  Storekeeper(const sites::SiteDirectory* sites, absl::TimeZone tz);

  // ---- Items ----

  // ALREADY_EXISTS when the code is taken.
  absl::StatusOr<v1::Item> CreateItem(sql::Session& s, const v1::CreateItemRequest& req,
                                      absl::Time now) const;
  absl::StatusOr<v1::ListItemsResponse> ListItems(sql::Session& s,
                                                  const v1::ListItemsRequest& req) const;

  // ---- Stock (requests already validated; INVALID_ARGUMENT "unknown item" for item_code) --

  absl::StatusOr<v1::ReceiveStockResponse> ReceiveStock(sql::Session& s, const auth::Principal& who,
                                                        const v1::ReceiveStockRequest& req,
                                                        absl::Time now, Effects* effects) const;
  // FAILED_PRECONDITION beyond the balance (nothing written).
  absl::StatusOr<v1::IssueStockResponse> IssueStock(sql::Session& s, const auth::Principal& who,
                                                    const v1::IssueStockRequest& req,
                                                    absl::Time now, Effects* effects) const;
  // FAILED_PRECONDITION beyond the balance at from_site_id (nothing written).
  absl::StatusOr<v1::TransferStockResponse> TransferStock(sql::Session& s,
                                                          const auth::Principal& who,
                                                          const v1::TransferStockRequest& req,
                                                          absl::Time now, Effects* effects) const;
  absl::StatusOr<v1::AdjustStockResponse> AdjustStock(sql::Session& s, const auth::Principal& who,
                                                      const v1::AdjustStockRequest& req,
                                                      absl::Time now, Effects* effects) const;

  // One balance per (site, item) of the catalogue, zeros included, for the sites `who` may see
  // (or req.site_id). Filters of the request applied.
  absl::StatusOr<v1::GetStockResponse> GetStock(sql::Session& s, const auth::Principal& who,
                                                const v1::GetStockRequest& req) const;
  // One page, newest first. `start`/`end` validated from the request. INVALID_ARGUMENT naming
  // page_token for a bad token.
  absl::StatusOr<v1::ListMovementsResponse> ListMovements(sql::Session& s,
                                                          const auth::Principal& who,
                                                          const v1::ListMovementsRequest& req,
                                                          std::optional<absl::Time> start,
                                                          std::optional<absl::Time> end) const;
  // Every movement of the filter (no paging), newest first, at most `limit` (the export's
  // bound); OUT_OF_RANGE beyond it.
  absl::StatusOr<std::vector<v1::StockMovement>> AllMovements(
      sql::Session& s, const auth::Principal& who, const v1::ListMovementsRequest& req,
      std::optional<absl::Time> start, std::optional<absl::Time> end, int64_t limit) const;

  // The figures of `day` per site (req.site_id, else every site `who` may see), zeros
  // included; donations and canteen figures zero.
  absl::StatusOr<v1::GetDailyStatsResponse> GetDailyStats(sql::Session& s,
                                                          const auth::Principal& who,
                                                          const v1::GetDailyStatsRequest& req,
                                                          absl::CivilDay day) const;

  // The live figures of every site of the directory (common/live/live_counts.h): live
  // low_stock_items, today's stock_receipts and stock_issues.
  absl::StatusOr<live::Snapshot> LiveSnapshot(sql::Session& s, absl::CivilDay today) const;

  // The balance of (site, item) as GetStock answers it.
  absl::StatusOr<v1::StockBalance> BalanceOf(sql::Session& s, absl::string_view site_id,
                                             const v1::Item& item) const;

 private:
  absl::StatusOr<v1::Item> RequireItem(sql::Session& s, absl::string_view code,
                                       absl::string_view field) const;
  // Applies a change of `delta` units to (site, item)'s balance row and raises a restock
  // task on a downward crossing of the minimum. Returns the balance afterwards.
  absl::StatusOr<int64_t> ChangeBalance(sql::Session& s, absl::string_view site_id,
                                        const v1::Item& item, int64_t delta, absl::Time now,
                                        Effects* effects) const;
  // Inserts `movement` with a new id and seq; the first of a request sets `*op_id`.
  absl::Status Record(sql::Session& s, v1::StockMovement& movement, std::string* op_id) const;

  const sites::SiteDirectory* sites_;
  absl::TimeZone tz_;
};

}  // namespace lianfang::supplies

#endif  // LIANFANG_SERVICES_SUPPLIES_STOREKEEPER_H_
