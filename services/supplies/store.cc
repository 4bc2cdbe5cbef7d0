#include "services/supplies/store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/status/status_macros.h"
#include "common/time/timestamp.h"

namespace lianfang::supplies {
namespace {

// Kinds and sources in SQL text are the enum numbers: kind 1 RECEIPT, 2 ISSUE, 3 TRANSFER_OUT,
// 4 ADJUSTMENT; to_kind 1 task, 2 household, 3 area.
static_assert(v1::MOVEMENT_KIND_RECEIPT == 1 && v1::MOVEMENT_KIND_ISSUE == 2 &&
              v1::MOVEMENT_KIND_TRANSFER_OUT == 3 && v1::MOVEMENT_KIND_ADJUSTMENT == 4);
static_assert(v1::IssueDestination::kTaskId == 1 && v1::IssueDestination::kHouseholdId == 2 &&
              v1::IssueDestination::kArea == 3);

// ---- Schema ----

// Written once for SQLite; PostgreSQL wants BIGINT for microsecond times (see PostgresText).
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE supplies_ids (
  name TEXT PRIMARY KEY,
  next_value INTEGER NOT NULL
);
INSERT INTO supplies_ids (name, next_value) VALUES ('movement', 0);
CREATE TABLE supplies_items (
  code TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  unit TEXT NOT NULL,
  category INTEGER NOT NULL,
  min_stock INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE supplies_balances (
  site_id TEXT NOT NULL,
  item_code TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity >= 0),
  restocks INTEGER NOT NULL,
  PRIMARY KEY (site_id, item_code)
);
CREATE TABLE supplies_batches (
  site_id TEXT NOT NULL,
  item_code TEXT NOT NULL,
  batch TEXT NOT NULL,
  expires_on TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity >= 0),
  PRIMARY KEY (site_id, item_code, batch, expires_on)
);
CREATE TABLE supplies_movements (
  movement_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  op_id TEXT NOT NULL,
  site_id TEXT NOT NULL,
  item_code TEXT NOT NULL,
  kind INTEGER NOT NULL,
  quantity INTEGER NOT NULL,
  batch TEXT NOT NULL,
  expires_on TEXT NOT NULL,
  source INTEGER NOT NULL,
  to_kind INTEGER NOT NULL,
  to_ref TEXT NOT NULL,
  counterpart_site_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  note TEXT NOT NULL,
  donation_id TEXT NOT NULL,
  balance_after INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  recorded_by TEXT NOT NULL
);
CREATE INDEX supplies_movements_by_site ON supplies_movements (site_id, item_code, seq);
CREATE INDEX supplies_movements_by_time ON supplies_movements (recorded_at);
CREATE INDEX supplies_movements_by_task ON supplies_movements (to_kind, to_ref)
)sql";

std::string PostgresText(absl::string_view sqlite) {
  return absl::StrReplaceAll(sqlite, {{" INTEGER", " BIGINT"}, {" BLOB", " BYTEA"}});
}

// ---- Statements ----

constexpr char kNextNumber[] =
    "UPDATE supplies_ids SET next_value = next_value + 1 WHERE name = $1 RETURNING next_value";

#define LF_ITEM_COLUMNS "code, name, unit, category, min_stock, created_at"
constexpr char kInsertItem[] =
    "INSERT INTO supplies_items (" LF_ITEM_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6)";
constexpr char kSelectItem[] = "SELECT " LF_ITEM_COLUMNS " FROM supplies_items WHERE code = $1";
constexpr char kListItems[] =
    "SELECT " LF_ITEM_COLUMNS " FROM supplies_items WHERE $1 = 0 OR category = $1 ORDER BY code";

constexpr char kSelectBalance[] =
    "SELECT quantity, restocks FROM supplies_balances WHERE site_id = $1 AND item_code = $2";
constexpr char kWriteBalance[] =
    "INSERT INTO supplies_balances (site_id, item_code, quantity, restocks) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT (site_id, item_code) "
    "DO UPDATE SET quantity = $3, restocks = $4";
constexpr char kSelectBatches[] =
    "SELECT batch, expires_on, quantity FROM supplies_batches "
    "WHERE site_id = $1 AND item_code = $2 AND quantity > 0";
constexpr char kAddToBatch[] =
    "INSERT INTO supplies_batches (site_id, item_code, batch, expires_on, quantity) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (site_id, item_code, batch, expires_on) "
    "DO UPDATE SET quantity = supplies_batches.quantity + $5";
// Taking from a batch is an UPDATE: an upsert's VALUES row would fail the CHECK itself.
constexpr char kTakeFromBatch[] =
    "UPDATE supplies_batches SET quantity = quantity - $5 "
    "WHERE site_id = $1 AND item_code = $2 AND batch = $3 AND expires_on = $4";
constexpr char kDropEmptyBatch[] =
    "DELETE FROM supplies_batches "
    "WHERE site_id = $1 AND item_code = $2 AND batch = $3 AND expires_on = $4 AND quantity = 0";
constexpr char kListBalances[] =
    "SELECT site_id, item_code, quantity FROM supplies_balances "
    "WHERE ($1 = '' OR site_id = $1) AND ($2 = '' OR item_code = $2) ORDER BY site_id, item_code";
constexpr char kListAllBatches[] =
    "SELECT site_id, item_code, batch, expires_on, quantity FROM supplies_batches "
    "WHERE ($1 = '' OR site_id = $1) AND ($2 = '' OR item_code = $2) AND quantity > 0";

#define LF_MOVEMENT_COLUMNS                                                                  \
  "movement_id, seq, op_id, site_id, item_code, kind, quantity, batch, expires_on, source, " \
  "to_kind, to_ref, counterpart_site_id, reason, note, donation_id, balance_after, "         \
  "recorded_at, recorded_by"
constexpr char kInsertMovement[] =
    "INSERT INTO supplies_movements (" LF_MOVEMENT_COLUMNS
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, "
    "$19)";
// ListMovements: this head, then one "AND ..." fragment per filter given, then the tail.
constexpr char kListMovementsHead[] =
    "SELECT " LF_MOVEMENT_COLUMNS " FROM supplies_movements WHERE 1 = 1";

constexpr char kBalancesAt[] =
    "SELECT site_id, item_code, SUM(quantity) FROM supplies_movements WHERE recorded_at < $1 "
    "GROUP BY site_id, item_code ORDER BY site_id, item_code";
constexpr char kDayCounts[] =
    "SELECT site_id, COUNT(DISTINCT CASE WHEN kind = 1 THEN op_id END), "
    "COUNT(DISTINCT CASE WHEN kind IN (2, 3) THEN op_id END) "
    "FROM supplies_movements WHERE recorded_at >= $1 AND recorded_at < $2 GROUP BY site_id";
constexpr char kLedgerMismatches[] =
    "SELECT b.site_id, b.item_code FROM supplies_balances b WHERE b.quantity <> "
    "(SELECT COALESCE(SUM(m.quantity), 0) FROM supplies_movements m "
    "WHERE m.site_id = b.site_id AND m.item_code = b.item_code) OR b.quantity <> "
    "(SELECT COALESCE(SUM(t.quantity), 0) FROM supplies_batches t "
    "WHERE t.site_id = b.site_id AND t.item_code = b.item_code) "
    "UNION SELECT m.site_id, m.item_code FROM supplies_movements m "
    "WHERE NOT EXISTS (SELECT 1 FROM supplies_balances b "
    "WHERE b.site_id = m.site_id AND b.item_code = m.item_code)";

// ---- Rows ----

v1::Item ItemFrom(const sql::Row& r) {
  v1::Item item;
  item.set_code(r.Text(0));
  item.set_name(r.Text(1));
  item.set_unit(r.Text(2));
  item.set_category(static_cast<v1::ItemCategory>(r.Int(3)));
  item.set_min_stock_per_site(r.Int(4));
  *item.mutable_created_at() = time::ToTimestamp(r.Time(5));
  return item;
}

v1::StockMovement MovementFrom(const sql::Row& r) {
  v1::StockMovement m;
  m.set_movement_id(r.Text(0));
  m.set_site_id(r.Text(3));
  m.set_item_code(r.Text(4));
  m.set_kind(static_cast<v1::MovementKind>(r.Int(5)));
  m.set_quantity(r.Int(6));
  m.set_batch(r.Text(7));
  m.set_expires_on(r.Text(8));
  m.set_source(static_cast<v1::StockSource>(r.Int(9)));
  switch (r.Int(10)) {
    case v1::IssueDestination::kTaskId:
      m.mutable_to()->set_task_id(r.Text(11));
      break;
    case v1::IssueDestination::kHouseholdId:
      m.mutable_to()->set_household_id(r.Text(11));
      break;
    case v1::IssueDestination::kArea:
      m.mutable_to()->set_area(r.Text(11));
      break;
    default:
      break;
  }
  m.set_counterpart_site_id(r.Text(12));
  m.set_reason(r.Text(13));
  m.set_note(r.Text(14));
  m.set_donation_id(r.Text(15));
  m.set_balance_after(r.Int(16));
  *m.mutable_recorded_at() = time::ToTimestamp(r.Time(17));
  m.set_recorded_by(r.Text(18));
  return m;
}

std::string DestinationRef(const v1::IssueDestination& to) {
  switch (to.to_case()) {
    case v1::IssueDestination::kTaskId:
      return to.task_id();
    case v1::IssueDestination::kHouseholdId:
      return to.household_id();
    case v1::IssueDestination::kArea:
      return to.area();
    default:
      return "";
  }
}

}  // namespace

std::span<const sql::Migration> Migrations() {
  static const auto* const kMigrations = new std::vector<sql::Migration>{
      {.version = 1,
       .name = "items, stock movements, batches and balances",
       .sql = kSchemaV1,
       .postgres_sql = PostgresText(kSchemaV1)},
      // --- donations and the canteen register: their migrations follow here ---
      {.version = 2,
       .name = "donations and the canteen register",
       .sql = std::string(DonationsAndCanteenSchema()),
       .postgres_sql = absl::StrReplaceAll(PostgresText(DonationsAndCanteenSchema()),
                                           {{" REAL", " DOUBLE PRECISION"}})},
  };
  return *kMigrations;
}

absl::StatusOr<int64_t> NextNumber(sql::Session& s, absl::string_view name) {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kNextNumber, {name}));
  if (!row.has_value()) return absl::InternalError(absl::StrCat("no counter ", name));
  return row->Int(0);
}

// ---- Items ----

absl::Status InsertItem(sql::Session& s, const v1::Item& item) {
  ASSIGN_OR_RETURN(std::optional<sql::Row> taken, s.QueryRow(kSelectItem, {item.code()}));
  if (taken.has_value()) {
    return absl::AlreadyExistsError("an item with this code already exists");
  }
  return s
      .Execute(kInsertItem,
               {item.code(), item.name(), item.unit(), static_cast<int64_t>(item.category()),
                item.min_stock_per_site(), time::FromTimestamp(item.created_at())})
      .status();
}

absl::StatusOr<std::optional<v1::Item>> FindItem(sql::Session& s, absl::string_view code) {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kSelectItem, {code}));
  if (!row.has_value()) return std::nullopt;
  return ItemFrom(*row);
}

absl::StatusOr<std::vector<v1::Item>> ListItems(sql::Session& s, v1::ItemCategory category) {
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(kListItems, {static_cast<int64_t>(category)}));
  std::vector<v1::Item> items;
  items.reserve(result.rows.size());
  for (const sql::Row& r : result.rows) items.push_back(ItemFrom(r));
  return items;
}

// ---- Stock ----

absl::StatusOr<BalanceRow> ReadBalance(sql::Session& s, absl::string_view site_id,
                                       absl::string_view item_code) {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kSelectBalance, {site_id, item_code}));
  if (!row.has_value()) return BalanceRow{};
  return BalanceRow{.quantity = row->Int(0), .restocks = row->Int(1)};
}

absl::Status WriteBalance(sql::Session& s, absl::string_view site_id, absl::string_view item_code,
                          const BalanceRow& balance) {
  return s.Execute(kWriteBalance, {site_id, item_code, balance.quantity, balance.restocks})
      .status();
}

absl::StatusOr<std::vector<Batch>> ReadBatches(sql::Session& s, absl::string_view site_id,
                                               absl::string_view item_code) {
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(kSelectBatches, {site_id, item_code}));
  std::vector<Batch> batches;
  batches.reserve(result.rows.size());
  for (const sql::Row& r : result.rows) {
    batches.push_back({.batch = r.Text(0), .expires_on = r.Text(1), .quantity = r.Int(2)});
  }
  return batches;
}

absl::Status AddToBatch(sql::Session& s, absl::string_view site_id, absl::string_view item_code,
                        absl::string_view batch, absl::string_view expires_on, int64_t delta) {
  if (delta >= 0) {
    return s.Execute(kAddToBatch, {site_id, item_code, batch, expires_on, delta}).status();
  }
  ASSIGN_OR_RETURN(sql::Result taken,
                   s.Execute(kTakeFromBatch, {site_id, item_code, batch, expires_on, -delta}));
  if (taken.rows_affected != 1) {
    return absl::FailedPreconditionError("the batch to take from is not on hand");
  }
  return s.Execute(kDropEmptyBatch, {site_id, item_code, batch, expires_on}).status();
}

namespace {

// Rows of (site_id, item_code, quantity).
std::vector<StockRow> StockRows(const sql::Result& result) {
  std::vector<StockRow> rows;
  rows.reserve(result.rows.size());
  for (const sql::Row& r : result.rows) {
    rows.push_back({.site_id = r.Text(0), .item_code = r.Text(1), .quantity = r.Int(2)});
  }
  return rows;
}

}  // namespace

absl::StatusOr<std::vector<StockRow>> ListBalances(sql::Session& s, absl::string_view site_id,
                                                   absl::string_view item_code) {
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(kListBalances, {site_id, item_code}));
  return StockRows(result);
}

absl::StatusOr<std::vector<StockBatch>> ListAllBatches(sql::Session& s, absl::string_view site_id,
                                                       absl::string_view item_code) {
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(kListAllBatches, {site_id, item_code}));
  std::vector<StockBatch> rows;
  rows.reserve(result.rows.size());
  for (const sql::Row& r : result.rows) {
    rows.push_back({.site_id = r.Text(0),
                    .item_code = r.Text(1),
                    .batch = {.batch = r.Text(2), .expires_on = r.Text(3), .quantity = r.Int(4)}});
  }
  return rows;
}

// ---- Movements ----

absl::Status InsertMovement(sql::Session& s, const v1::StockMovement& m, int64_t seq,
                            absl::string_view op_id) {
  return s
      .Execute(
          kInsertMovement,
          {m.movement_id(), seq, op_id, m.site_id(), m.item_code(), static_cast<int64_t>(m.kind()),
           m.quantity(), m.batch(), m.expires_on(), static_cast<int64_t>(m.source()),
           static_cast<int64_t>(m.to().to_case()), DestinationRef(m.to()), m.counterpart_site_id(),
           m.reason(), m.note(), m.donation_id(), m.balance_after(),
           time::FromTimestamp(m.recorded_at()), m.recorded_by()})
      .status();
}

absl::StatusOr<std::vector<MovementRow>> ListMovements(sql::Session& s,
                                                       const MovementFilter& filter,
                                                       int64_t before_seq, int64_t limit) {
  std::string query = kListMovementsHead;
  std::vector<sql::Value> params;
  auto param = [&params](sql::Value v) {
    params.push_back(std::move(v));
    return absl::StrCat("$", params.size());
  };
  if (!filter.site_id.empty()) absl::StrAppend(&query, " AND site_id = ", param(filter.site_id));
  if (!filter.sites_any_of.empty()) {
    absl::StrAppend(&query, " AND site_id IN (");
    for (size_t i = 0; i < filter.sites_any_of.size(); ++i) {
      absl::StrAppend(&query, i == 0 ? "" : ", ", param(filter.sites_any_of[i]));
    }
    absl::StrAppend(&query, ")");
  }
  if (!filter.item_code.empty()) {
    absl::StrAppend(&query, " AND item_code = ", param(filter.item_code));
  }
  if (filter.kind != v1::MOVEMENT_KIND_UNSPECIFIED) {
    absl::StrAppend(&query, " AND kind = ", param(static_cast<int64_t>(filter.kind)));
  }
  if (!filter.task_id.empty()) {
    absl::StrAppend(&query,
                    " AND to_kind = ", param(static_cast<int64_t>(v1::IssueDestination::kTaskId)),
                    " AND to_ref = ", param(filter.task_id));
  }
  if (filter.start.has_value()) {
    absl::StrAppend(&query, " AND recorded_at >= ", param(*filter.start));
  }
  if (filter.end.has_value()) absl::StrAppend(&query, " AND recorded_at < ", param(*filter.end));
  if (before_seq > 0) absl::StrAppend(&query, " AND seq < ", param(before_seq));
  absl::StrAppend(&query, " ORDER BY seq DESC LIMIT ", param(limit));
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(query, params));
  std::vector<MovementRow> rows;
  rows.reserve(result.rows.size());
  for (const sql::Row& r : result.rows) rows.push_back({MovementFrom(r), r.Int(1)});
  return rows;
}

// ---- Daily figures ----

absl::StatusOr<std::vector<StockRow>> BalancesAt(sql::Session& s, absl::Time end) {
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(kBalancesAt, {end}));
  return StockRows(result);
}

absl::StatusOr<std::vector<SiteDayCounts>> DayCounts(sql::Session& s, absl::Time start,
                                                     absl::Time end) {
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(kDayCounts, {start, end}));
  std::vector<SiteDayCounts> rows;
  rows.reserve(result.rows.size());
  for (const sql::Row& r : result.rows) {
    rows.push_back({.site_id = r.Text(0), .receipts = r.Int(1), .issues = r.Int(2)});
  }
  return rows;
}

absl::StatusOr<std::vector<std::string>> LedgerMismatches(sql::Session& s) {
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(kLedgerMismatches));
  std::vector<std::string> out;
  for (const sql::Row& r : result.rows) out.push_back(absl::StrCat(r.Text(0), "/", r.Text(1)));
  return out;
}

// --- donations and the canteen register ---

namespace {

// Directions and kinds in SQL text are the enum numbers: direction 1 RECEIVED, 2 GIVEN; kind 1
// MONEY, 2 IN_KIND.
static_assert(v1::DONATION_DIRECTION_RECEIVED == 1 && v1::DONATION_DIRECTION_GIVEN == 2 &&
              v1::DONATION_KIND_MONEY == 1 && v1::DONATION_KIND_IN_KIND == 2);

constexpr char kDonationsAndCanteenSchema[] = R"sql(
INSERT INTO supplies_ids (name, next_value) VALUES ('donation', 0), ('purchase', 0);
CREATE TABLE supplies_donations (
  donation_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  direction INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  donor_or_recipient TEXT NOT NULL,
  amount_fen INTEGER NOT NULL CHECK (amount_fen >= 0),
  item_code TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity >= 0),
  site_id TEXT NOT NULL,
  campaign TEXT NOT NULL,
  receipt_no TEXT NOT NULL,
  note TEXT NOT NULL,
  recorded_at INTEGER NOT NULL,
  recorded_by TEXT NOT NULL
);
CREATE INDEX supplies_donations_by_campaign ON supplies_donations (campaign, seq);
CREATE INDEX supplies_donations_by_time ON supplies_donations (recorded_at);
CREATE INDEX supplies_movements_by_donation ON supplies_movements (donation_id, seq);
CREATE TABLE supplies_food_purchases (
  purchase_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  site_id TEXT NOT NULL,
  purchased_at INTEGER NOT NULL,
  merchant_name TEXT NOT NULL,
  license_no TEXT NOT NULL,
  item TEXT NOT NULL,
  specification TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  unit TEXT NOT NULL,
  origin TEXT NOT NULL,
  batch TEXT NOT NULL,
  certificate_no TEXT NOT NULL,
  storage_category INTEGER NOT NULL,
  temperature_c REAL,
  inspector TEXT NOT NULL,
  accepted INTEGER NOT NULL,
  rejection_reasons TEXT NOT NULL,
  recorded_at INTEGER NOT NULL,
  recorded_by TEXT NOT NULL
);
CREATE INDEX supplies_food_by_purchase_time ON supplies_food_purchases (purchased_at, seq);
CREATE INDEX supplies_food_by_record_time ON supplies_food_purchases (recorded_at);
CREATE INDEX supplies_food_by_merchant ON supplies_food_purchases (merchant_name);
CREATE INDEX supplies_food_by_license ON supplies_food_purchases (license_no);
CREATE INDEX supplies_food_by_batch ON supplies_food_purchases (batch)
)sql";

#define LF_DONATION_COLUMNS                                                                  \
  "donation_id, seq, direction, kind, donor_or_recipient, amount_fen, item_code, quantity, " \
  "site_id, campaign, receipt_no, note, recorded_at, recorded_by"
constexpr char kInsertDonation[] =
    "INSERT INTO supplies_donations (" LF_DONATION_COLUMNS
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
constexpr char kListDonationsHead[] =
    "SELECT " LF_DONATION_COLUMNS " FROM supplies_donations WHERE 1 = 1";
constexpr char kMovementsOfDonation[] = "SELECT " LF_MOVEMENT_COLUMNS
                                        " FROM supplies_movements WHERE donation_id = $1 "
                                        "ORDER BY seq";
constexpr char kSumDonations[] =
    "SELECT direction, kind, item_code, COUNT(*), SUM(amount_fen), SUM(quantity) "
    "FROM supplies_donations WHERE $1 = 1 OR campaign = $2 "
    "GROUP BY direction, kind, item_code ORDER BY direction, kind, item_code";
constexpr char kDonationsBetween[] =
    "SELECT direction, COUNT(*), COALESCE(SUM(CASE WHEN kind = 1 THEN amount_fen ELSE 0 END), 0) "
    "FROM supplies_donations WHERE recorded_at >= $1 AND recorded_at < $2 GROUP BY direction";

#define LF_FOOD_COLUMNS                                                                         \
  "purchase_id, seq, site_id, purchased_at, merchant_name, license_no, item, specification, "   \
  "quantity, unit, origin, batch, certificate_no, storage_category, temperature_c, inspector, " \
  "accepted, rejection_reasons, recorded_at, recorded_by"
constexpr char kInsertFoodPurchase[] =
    "INSERT INTO supplies_food_purchases (" LF_FOOD_COLUMNS
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, "
    "$19, $20)";
constexpr char kFoodHead[] = "SELECT " LF_FOOD_COLUMNS " FROM supplies_food_purchases WHERE 1 = 1";
constexpr char kCanteenCounts[] =
    "SELECT site_id, COUNT(*), SUM(CASE WHEN accepted = 0 THEN 1 ELSE 0 END) "
    "FROM supplies_food_purchases WHERE recorded_at >= $1 AND recorded_at < $2 "
    "GROUP BY site_id";

// The reasons are stored one per line (a reason holds no line break: they are ours).
constexpr char kReasonSeparator[] = "\n";

v1::Donation DonationFrom(const sql::Row& r) {
  v1::Donation d;
  d.set_donation_id(r.Text(0));
  d.set_direction(static_cast<v1::DonationDirection>(r.Int(2)));
  d.set_kind(static_cast<v1::DonationKind>(r.Int(3)));
  d.set_donor_or_recipient(r.Text(4));
  d.set_amount_fen(r.Int(5));
  d.set_item_code(r.Text(6));
  d.set_quantity(r.Int(7));
  d.set_site_id(r.Text(8));
  d.set_campaign(r.Text(9));
  d.set_receipt_no(r.Text(10));
  d.set_note(r.Text(11));
  *d.mutable_recorded_at() = time::ToTimestamp(r.Time(12));
  d.set_recorded_by(r.Text(13));
  return d;
}

v1::FoodPurchase FoodPurchaseFrom(const sql::Row& r) {
  v1::FoodPurchase p;
  p.set_purchase_id(r.Text(0));
  p.set_site_id(r.Text(2));
  *p.mutable_purchased_at() = time::ToTimestamp(r.Time(3));
  p.mutable_merchant()->set_name(r.Text(4));
  p.mutable_merchant()->set_license_no(r.Text(5));
  p.set_item(r.Text(6));
  p.set_specification(r.Text(7));
  p.set_quantity(r.Int(8));
  p.set_unit(r.Text(9));
  p.set_origin(r.Text(10));
  p.set_batch(r.Text(11));
  p.set_certificate_no(r.Text(12));
  p.set_storage_category(static_cast<v1::StorageCategory>(r.Int(13)));
  if (std::optional<double> t = r.OptionalDouble(14)) p.set_cold_chain_temperature_c(*t);
  p.set_inspector(r.Text(15));
  p.set_accepted(r.Bool(16));
  const std::string reasons = r.Text(17);
  if (!reasons.empty()) {
    for (absl::string_view reason : absl::StrSplit(reasons, kReasonSeparator)) {
      p.add_rejection_reasons(std::string(reason));
    }
  }
  *p.mutable_recorded_at() = time::ToTimestamp(r.Time(18));
  p.set_recorded_by(r.Text(19));
  return p;
}

// The WHERE fragments of a FoodPurchaseFilter, appended to `query` with their parameters.
void AppendFoodFilter(const FoodPurchaseFilter& filter, std::string& query,
                      std::vector<sql::Value>& params) {
  auto param = [&params](sql::Value v) {
    params.push_back(std::move(v));
    return absl::StrCat("$", params.size());
  };
  if (!filter.site_id.empty()) absl::StrAppend(&query, " AND site_id = ", param(filter.site_id));
  if (!filter.sites_any_of.empty()) {
    absl::StrAppend(&query, " AND site_id IN (");
    for (size_t i = 0; i < filter.sites_any_of.size(); ++i) {
      absl::StrAppend(&query, i == 0 ? "" : ", ", param(filter.sites_any_of[i]));
    }
    absl::StrAppend(&query, ")");
  }
  if (filter.start.has_value()) {
    absl::StrAppend(&query, " AND purchased_at >= ", param(*filter.start));
  }
  if (filter.end.has_value()) absl::StrAppend(&query, " AND purchased_at < ", param(*filter.end));
  if (!filter.merchant.empty()) {
    const std::string p = param(filter.merchant);
    absl::StrAppend(&query, " AND (merchant_name = ", p, " OR license_no = ", p, ")");
  }
  if (!filter.batch.empty()) absl::StrAppend(&query, " AND batch = ", param(filter.batch));
  if (filter.storage_category != v1::STORAGE_CATEGORY_UNSPECIFIED) {
    absl::StrAppend(
        &query, " AND storage_category = ", param(static_cast<int64_t>(filter.storage_category)));
  }
  if (filter.rejected_only) absl::StrAppend(&query, " AND accepted = 0");
}

}  // namespace

absl::string_view DonationsAndCanteenSchema() { return kDonationsAndCanteenSchema; }

absl::Status InsertDonation(sql::Session& s, const v1::Donation& d, int64_t seq) {
  return s
      .Execute(kInsertDonation,
               {d.donation_id(), seq, static_cast<int64_t>(d.direction()),
                static_cast<int64_t>(d.kind()), d.donor_or_recipient(), d.amount_fen(),
                d.item_code(), d.quantity(), d.site_id(), d.campaign(), d.receipt_no(), d.note(),
                time::FromTimestamp(d.recorded_at()), d.recorded_by()})
      .status();
}

absl::StatusOr<std::vector<v1::StockMovement>> MovementsOfDonation(sql::Session& s,
                                                                   absl::string_view donation_id) {
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(kMovementsOfDonation, {donation_id}));
  std::vector<v1::StockMovement> out;
  out.reserve(result.rows.size());
  for (const sql::Row& r : result.rows) out.push_back(MovementFrom(r));
  return out;
}

absl::StatusOr<std::vector<DonationRow>> ListDonations(sql::Session& s,
                                                       const DonationFilter& filter,
                                                       int64_t before_seq, int64_t limit) {
  std::string query = kListDonationsHead;
  std::vector<sql::Value> params;
  auto param = [&params](sql::Value v) {
    params.push_back(std::move(v));
    return absl::StrCat("$", params.size());
  };
  if (filter.direction != v1::DONATION_DIRECTION_UNSPECIFIED) {
    absl::StrAppend(&query, " AND direction = ", param(static_cast<int64_t>(filter.direction)));
  }
  if (filter.kind != v1::DONATION_KIND_UNSPECIFIED) {
    absl::StrAppend(&query, " AND kind = ", param(static_cast<int64_t>(filter.kind)));
  }
  if (!filter.campaign.empty()) {
    absl::StrAppend(&query, " AND campaign = ", param(filter.campaign));
  }
  if (filter.start.has_value()) {
    absl::StrAppend(&query, " AND recorded_at >= ", param(*filter.start));
  }
  if (filter.end.has_value()) absl::StrAppend(&query, " AND recorded_at < ", param(*filter.end));
  if (before_seq > 0) absl::StrAppend(&query, " AND seq < ", param(before_seq));
  absl::StrAppend(&query, " ORDER BY seq DESC LIMIT ", param(limit));
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(query, params));
  std::vector<DonationRow> rows;
  rows.reserve(result.rows.size());
  for (const sql::Row& r : result.rows) rows.push_back({DonationFrom(r), r.Int(1)});
  return rows;
}

absl::StatusOr<std::vector<DonationGroup>> SumDonationsOf(sql::Session& s,
                                                          absl::string_view campaign, bool all) {
  ASSIGN_OR_RETURN(sql::Result result,
                   s.Execute(kSumDonations, {static_cast<int64_t>(all ? 1 : 0), campaign}));
  std::vector<DonationGroup> out;
  out.reserve(result.rows.size());
  for (const sql::Row& r : result.rows) {
    out.push_back({.direction = static_cast<v1::DonationDirection>(r.Int(0)),
                   .kind = static_cast<v1::DonationKind>(r.Int(1)),
                   .item_code = r.Text(2),
                   .count = r.Int(3),
                   .amount_fen = r.Int(4),
                   .quantity = r.Int(5)});
  }
  return out;
}

absl::Status InsertFoodPurchase(sql::Session& s, const v1::FoodPurchase& p, int64_t seq) {
  return s
      .Execute(kInsertFoodPurchase,
               {p.purchase_id(),
                seq,
                p.site_id(),
                time::FromTimestamp(p.purchased_at()),
                p.merchant().name(),
                p.merchant().license_no(),
                p.item(),
                p.specification(),
                p.quantity(),
                p.unit(),
                p.origin(),
                p.batch(),
                p.certificate_no(),
                static_cast<int64_t>(p.storage_category()),
                p.has_cold_chain_temperature_c() ? sql::Value(p.cold_chain_temperature_c())
                                                 : sql::Null(),
                p.inspector(),
                p.accepted(),
                absl::StrJoin(p.rejection_reasons(), kReasonSeparator),
                time::FromTimestamp(p.recorded_at()),
                p.recorded_by()})
      .status();
}

absl::StatusOr<std::vector<FoodPurchaseRow>> ListFoodPurchases(sql::Session& s,
                                                               const FoodPurchaseFilter& filter,
                                                               std::optional<FoodPurchaseKey> after,
                                                               int64_t limit) {
  std::string query = kFoodHead;
  std::vector<sql::Value> params;
  AppendFoodFilter(filter, query, params);
  if (after.has_value()) {
    params.push_back(after->purchased_at);
    const std::string at = absl::StrCat("$", params.size());
    params.push_back(after->seq);
    const std::string seq = absl::StrCat("$", params.size());
    absl::StrAppend(&query, " AND (purchased_at < ", at, " OR (purchased_at = ", at, " AND seq < ",
                    seq, "))");
  }
  params.push_back(limit);
  absl::StrAppend(&query, " ORDER BY purchased_at DESC, seq DESC LIMIT $", params.size());
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(query, params));
  std::vector<FoodPurchaseRow> rows;
  rows.reserve(result.rows.size());
  for (const sql::Row& r : result.rows) {
    rows.push_back({FoodPurchaseFrom(r), {.purchased_at = r.Time(3), .seq = r.Int(1)}});
  }
  return rows;
}

absl::StatusOr<std::vector<v1::FoodPurchase>> TraceFoodPurchases(sql::Session& s,
                                                                 const FoodPurchaseFilter& filter,
                                                                 int64_t limit) {
  std::string query = kFoodHead;
  std::vector<sql::Value> params;
  AppendFoodFilter(filter, query, params);
  params.push_back(limit);
  absl::StrAppend(&query, " ORDER BY purchased_at, seq LIMIT $", params.size());
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(query, params));
  std::vector<v1::FoodPurchase> out;
  out.reserve(result.rows.size());
  for (const sql::Row& r : result.rows) out.push_back(FoodPurchaseFrom(r));
  return out;
}

absl::StatusOr<std::vector<CanteenDayCounts>> CanteenCounts(sql::Session& s, absl::Time start,
                                                            absl::Time end) {
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(kCanteenCounts, {start, end}));
  std::vector<CanteenDayCounts> out;
  out.reserve(result.rows.size());
  for (const sql::Row& r : result.rows) {
    out.push_back({.site_id = r.Text(0), .purchases = r.Int(1), .rejections = r.Int(2)});
  }
  return out;
}

absl::StatusOr<v1::DailyDonations> DonationsBetween(sql::Session& s, absl::Time start,
                                                    absl::Time end) {
  ASSIGN_OR_RETURN(sql::Result result, s.Execute(kDonationsBetween, {start, end}));
  v1::DailyDonations out;
  for (const sql::Row& r : result.rows) {
    if (r.Int(0) == v1::DONATION_DIRECTION_RECEIVED) {
      out.set_received_count(static_cast<int32_t>(r.Int(1)));
      out.set_received_money_fen(r.Int(2));
    } else if (r.Int(0) == v1::DONATION_DIRECTION_GIVEN) {
      out.set_given_count(static_cast<int32_t>(r.Int(1)));
      out.set_given_money_fen(r.Int(2));
    }
  }
  return out;
}

}  // namespace lianfang::supplies
