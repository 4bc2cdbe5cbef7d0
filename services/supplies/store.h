// The SQL of the supplies service: its schema (Migrations(), component "supplies") and every
// statement it runs, as named constants with $N placeholders in store.cc, behind typed
// functions on a sql::Session (the caller owns the transaction: Database::Write/WriteAsync
// for changes, Database::Read for reads).
//
// The stock ledger is three tables kept equal inside each write transaction:
//   supplies_movements  every change, append-only (the truth an audit or a recount reads);
//   supplies_batches    units left per (site, item, batch, expiry), never negative;
//   supplies_balances   units per (site, item) = the sum of its batches = the sum of its
//                       movements, never negative, with the number of restock tasks raised.
// Movement ids are server-assigned from a counter kept in the database ("movement-42"), so
// they are unique across processes sharing the database and their numbers give record order.
// Times are microseconds since the epoch; dates ("YYYY-MM-DD", "" for none) are text, which
// sorts as the dates do.
//
// Donations and the canteen register keep their tables in a block of their own at the end of
// store.cc and of this header (see "donations and the canteen register").
//
// Stateless functions; a Session is not thread-safe (one thread per transaction). Unless
// stated otherwise, functions return the statement errors of sql::Session::Execute
// (common/sql/database.h).
#ifndef LIANFANG_SERVICES_SUPPLIES_STORE_H_
#define LIANFANG_SERVICES_SUPPLIES_STORE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/sql/database.h"
#include "lianfang/supplies/v1/supplies.pb.h"
#include "services/supplies/donation_book.h"
#include "services/supplies/stock_ledger.h"

namespace lianfang::supplies {

// The component name of Migrations() in lf_schema_migrations.
inline constexpr char kComponent[] = "supplies";

// The schema of the supplies service; apply with Database::Migrate(kComponent, ...).
std::span<const sql::Migration> Migrations();

// The next number of the counter `name` ("movement"), starting at 1.
absl::StatusOr<int64_t> NextNumber(sql::Session& s, absl::string_view name);

// ---- Items ----

// Inserts `item` (created_at set). ALREADY_EXISTS when its code is taken.
absl::Status InsertItem(sql::Session& s, const v1::Item& item);
// The item of `code`, or nullopt.
absl::StatusOr<std::optional<v1::Item>> FindItem(sql::Session& s, absl::string_view code);
// Every item (of `category` unless UNSPECIFIED), by code.
absl::StatusOr<std::vector<v1::Item>> ListItems(sql::Session& s, v1::ItemCategory category);

// ---- Stock ----

// A site's balance of an item; zeros for a pair never stocked.
struct BalanceRow {
  int64_t quantity = 0;
  int64_t restocks = 0;  // restock tasks raised so far for this site and item
};

absl::StatusOr<BalanceRow> ReadBalance(sql::Session& s, absl::string_view site_id,
                                       absl::string_view item_code);
// Writes the balance of (site, item), inserting it when missing.
absl::Status WriteBalance(sql::Session& s, absl::string_view site_id, absl::string_view item_code,
                          const BalanceRow& balance);
// The batches on hand of (site, item), in no particular order (stock_ledger.h orders them).
absl::StatusOr<std::vector<Batch>> ReadBatches(sql::Session& s, absl::string_view site_id,
                                               absl::string_view item_code);
// Adds `delta` (positive or negative) to the batch, creating it when missing and deleting it
// when it reaches zero. FAILED_PRECONDITION when a negative delta finds no such batch; a
// constraint violation (FAILED_PRECONDITION) if it would go negative.
absl::Status AddToBatch(sql::Session& s, absl::string_view site_id, absl::string_view item_code,
                        absl::string_view batch, absl::string_view expires_on, int64_t delta);

// Every stored balance with quantity or batches (site, item), by site then item; for GetStock.
struct StockRow {
  std::string site_id{};
  std::string item_code{};
  int64_t quantity = 0;
};
absl::StatusOr<std::vector<StockRow>> ListBalances(sql::Session& s, absl::string_view site_id,
                                                   absl::string_view item_code);
// Every batch on hand (site, item, batch), for GetStock; filters as ListBalances.
struct StockBatch {
  std::string site_id{};
  std::string item_code{};
  Batch batch{};
};
absl::StatusOr<std::vector<StockBatch>> ListAllBatches(sql::Session& s, absl::string_view site_id,
                                                       absl::string_view item_code);

// ---- Movements ----

// A movement as stored: the proto (every field but movement_id filled by the caller) plus
// the id of the request's first movement (`op_id`, groups the movements of one request).
absl::Status InsertMovement(sql::Session& s, const v1::StockMovement& movement, int64_t seq,
                            absl::string_view op_id);

// Filters of ListMovements; empty / zero members do not filter.
struct MovementFilter {
  std::string site_id{};
  std::vector<std::string> sites_any_of{};  // the caller's token sites; empty = all
  std::string item_code{};
  v1::MovementKind kind = v1::MOVEMENT_KIND_UNSPECIFIED;
  std::string task_id{};
  std::optional<absl::Time> start{};
  std::optional<absl::Time> end{};
};
// Movements matching `filter` with seq < `before_seq` (0: no bound), newest first, at most
// `limit`. Each comes with its seq (the page position).
struct MovementRow {
  v1::StockMovement movement{};
  int64_t seq = 0;
};
absl::StatusOr<std::vector<MovementRow>> ListMovements(sql::Session& s,
                                                       const MovementFilter& filter,
                                                       int64_t before_seq, int64_t limit);

// ---- Daily figures ----

// Per (site, item): the sum of the movements recorded before `end` (the balance at `end`).
absl::StatusOr<std::vector<StockRow>> BalancesAt(sql::Session& s, absl::Time end);
// Per site: the requests that received (receipts, transfers in) and issued (issues, transfers
// out) stock in [start, end).
struct SiteDayCounts {
  std::string site_id{};
  int64_t receipts = 0;
  int64_t issues = 0;
};
absl::StatusOr<std::vector<SiteDayCounts>> DayCounts(sql::Session& s, absl::Time start,
                                                     absl::Time end);

// Per (site, item) balances equal to the sum of their movements and of their batches: the
// ledger's invariant, for tests and the reliability check. Returns the pairs that differ.
absl::StatusOr<std::vector<std::string>> LedgerMismatches(sql::Session& s);

// --- donations and the canteen register ---
//
// Two tables of their own (migration 2): supplies_donations (one row per donation; the stock
// movements of goods are in supplies_movements with its donation_id) and
// supplies_food_purchases (the canteen register, accepted and rejected purchases alike, the
// rejection reasons joined by line breaks). Ids come from the counters "donation" and
// "purchase" of NextNumber ("donation-7", "purchase-3"); their seq gives record order.

// The SQLite text of migration 2 (Migrations() holds it with its PostgreSQL variant).
absl::string_view DonationsAndCanteenSchema();

// Inserts `donation` (donation_id, recorded_at, recorded_by set; movements are not stored
// here) with `seq`.
absl::Status InsertDonation(sql::Session& s, const v1::Donation& donation, int64_t seq);
// The movements of a donation, in record order.
absl::StatusOr<std::vector<v1::StockMovement>> MovementsOfDonation(sql::Session& s,
                                                                   absl::string_view donation_id);

// Filters of ListDonations; empty / zero members do not filter.
struct DonationFilter {
  v1::DonationDirection direction = v1::DONATION_DIRECTION_UNSPECIFIED;
  v1::DonationKind kind = v1::DONATION_KIND_UNSPECIFIED;
  std::string campaign{};
  std::optional<absl::Time> start{};  // recorded_at >= start
  std::optional<absl::Time> end{};    // recorded_at < end
};
struct DonationRow {
  v1::Donation donation{};  // movements not filled
  int64_t seq = 0;
};
// Donations matching `filter` with seq < `before_seq` (0: no bound), newest first, at most
// `limit`.
absl::StatusOr<std::vector<DonationRow>> ListDonations(sql::Session& s,
                                                       const DonationFilter& filter,
                                                       int64_t before_seq, int64_t limit);

// Per (direction, kind, item_code): the number of donations and their sums (donation_book.h),
// of `campaign` (every donation when `all`), by direction, kind, item code.
absl::StatusOr<std::vector<DonationGroup>> SumDonationsOf(sql::Session& s,
                                                          absl::string_view campaign, bool all);

// Inserts the register's entry `purchase` (purchase_id, recorded_at, recorded_by set) with
// `seq`.
absl::Status InsertFoodPurchase(sql::Session& s, const v1::FoodPurchase& purchase, int64_t seq);

// Filters of ListFoodPurchases and TraceFood; empty / zero members do not filter.
struct FoodPurchaseFilter {
  std::string site_id{};
  std::vector<std::string> sites_any_of{};  // the caller's token sites; empty = all
  std::optional<absl::Time> start{};        // purchased_at >= start
  std::optional<absl::Time> end{};          // purchased_at < end
  std::string merchant{};                   // its name or its licence number, exactly
  std::string batch{};
  v1::StorageCategory storage_category = v1::STORAGE_CATEGORY_UNSPECIFIED;
  bool rejected_only = false;
};
// Where a page of ListFoodPurchases resumes: after (purchased_at, seq) in newest-first order.
struct FoodPurchaseKey {
  absl::Time purchased_at{};
  int64_t seq = 0;
};
struct FoodPurchaseRow {
  v1::FoodPurchase purchase{};
  FoodPurchaseKey key{};
};
// Newest purchase first (purchased_at, then record order), strictly after `after` when
// given, at most `limit`.
absl::StatusOr<std::vector<FoodPurchaseRow>> ListFoodPurchases(sql::Session& s,
                                                               const FoodPurchaseFilter& filter,
                                                               std::optional<FoodPurchaseKey> after,
                                                               int64_t limit);
// Oldest purchase first, at most `limit`.
absl::StatusOr<std::vector<v1::FoodPurchase>> TraceFoodPurchases(sql::Session& s,
                                                                 const FoodPurchaseFilter& filter,
                                                                 int64_t limit);

// Per site: the purchases registered (recorded_at) in [start, end) and how many were
// rejected.
struct CanteenDayCounts {
  std::string site_id{};
  int64_t purchases = 0;
  int64_t rejections = 0;
};
absl::StatusOr<std::vector<CanteenDayCounts>> CanteenCounts(sql::Session& s, absl::Time start,
                                                            absl::Time end);
// The donations recorded in [start, end): counts by direction and money by direction.
absl::StatusOr<v1::DailyDonations> DonationsBetween(sql::Session& s, absl::Time start,
                                                    absl::Time end);

}  // namespace lianfang::supplies

#endif  // LIANFANG_SERVICES_SUPPLIES_STORE_H_
