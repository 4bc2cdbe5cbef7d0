#include "tools/lfctl/supplies_command.h"

#include <string>
#include <vector>

#include "tools/lfctl/output.h"
#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {
namespace {

using ::google::protobuf::Message;

// The columns of a balance (GetStock rows).
const std::vector<std::string>& BalanceColumns() {
  static const auto* columns =
      new std::vector<std::string>{"site_id",      "item_code", "item_name", "quantity",
                                   "unit|measure", "min_stock", "low",       "nearest_expiry"};
  return *columns;
}

// The columns of a stock movement (ListMovements rows).
const std::vector<std::string>& MovementColumns() {
  static const auto* columns = new std::vector<std::string>{"recorded_at",
                                                            "site_id",
                                                            "item_code",
                                                            "kind",
                                                            "quantity",
                                                            "balance_after",
                                                            "batch",
                                                            "expires_on",
                                                            "source",
                                                            "to.task_id|to.household_id|to.area",
                                                            "counterpart_site_id",
                                                            "reason",
                                                            "note",
                                                            "recorded_by"};
  return *columns;
}

// The columns of a food purchase (the canteen register's rows).
const std::vector<std::string>& PurchaseColumns() {
  static const auto* columns = new std::vector<std::string>{
      "purchased_at", "site_id",        "merchant.name",     "merchant.license_no",
      "item",         "specification",  "quantity",          "unit|measure",
      "batch",        "certificate_no", "storage_category",  "cold_chain_temperature_c",
      "inspector",    "accepted",       "rejection_reasons", "purchase_id"};
  return *columns;
}

// A stock change for people: the movements it made, then the balance afterwards.
int PrintStockChange(const RpcRun& run, const Message& response) {
  const Session& s = run.session;
  if (s.json()) {
    s.io().out << ToJson(response) << "\n";
    return kExitOk;
  }
  std::vector<const Message*> movements = RowsOf(response, "movements");
  const auto* movement = response.GetDescriptor()->FindFieldByName("movement");
  if (movement != nullptr && response.GetReflection()->HasField(response, movement)) {
    movements.push_back(&response.GetReflection()->GetMessage(response, movement));
  }
  if (!movements.empty()) {
    PrintRows(s.io().out, movements,
              {"movement_id", "site_id", "item_code", "kind", "quantity", "batch", "expires_on",
               "balance_after"},
              s.lang(), s.tz());
    s.io().out << "\n";
  }
  std::vector<const Message*> balances;
  for (const char* name : {"balance", "from_balance", "to_balance"}) {
    const auto* field = response.GetDescriptor()->FindFieldByName(name);
    if (field != nullptr && response.GetReflection()->HasField(response, field)) {
      balances.push_back(&response.GetReflection()->GetMessage(response, field));
    }
  }
  PrintRows(s.io().out, balances, BalanceColumns(), s.lang(), s.tz());
  return kExitOk;
}

// Donation totals for people: the sums, then the goods received and given per item.
int PrintTotals(const RpcRun& run, const Message& totals) {
  const Session& s = run.session;
  if (s.json()) {
    s.io().out << ToJson(totals) << "\n";
    return kExitOk;
  }
  PrintMessage(s.io().out, totals,
               {"campaign", "received_count", "received_money_fen", "received_goods_value_fen",
                "given_count", "given_money_fen", "given_goods_value_fen"},
               s.lang(), s.tz());
  for (const char* field : {"received_goods", "given_goods"}) {
    const std::vector<const Message*> rows = RowsOf(totals, field);
    if (rows.empty()) continue;
    s.io().out << "\n" << Label(field, s.lang()) << "\n";
    PrintRows(s.io().out, rows, {"item_code", "item_name", "quantity", "unit|measure"}, s.lang(),
              s.tz());
  }
  return kExitOk;
}

}  // namespace

Command SuppliesCommand() {
  return MakeFamily(
      "supplies", "emergency supplies (应急物资): the catalogue and each site's stock ledger",
      {
          RpcSpec{.name = "item create",
                  .summary = "add an item to the catalogue",
                  .service = Service::kSupplies,
                  .method = "CreateItem",
                  .flags = {{"code", "item.code", "CODE",
                             "1..32 of [a-z0-9_-], e.g. disinfectant-84", true},
                            {"name", "item.name", "NAME", "its name, e.g. 84消毒液", true},
                            {"unit", "item.unit", "UNIT",
                             "what its quantities count: ml, piece, 瓶", true},
                            {"category", "item.category", "CATEGORY",
                             "disinfection, protection, instrument, living or other", true},
                            {"min-stock", "item.min_stock_per_site", "N",
                             "a site below this many units is low (default 0: never)"}},
                  .columns = {"code", "name", "unit|measure", "category", "min_stock_per_site",
                              "created_at"}},
          RpcSpec{.name = "item list",
                  .summary = "list the catalogue",
                  .service = Service::kSupplies,
                  .method = "ListItems",
                  .flags = {{"category", "category", "CATEGORY", "only this category"}},
                  .rows = "items",
                  .columns = {"code", "name", "unit|measure", "category", "min_stock_per_site"}},
          RpcSpec{.name = "receive",
                  .summary = "receive stock at a site (a purchase, a donation, a transfer)",
                  .service = Service::kSupplies,
                  .method = "ReceiveStock",
                  .flags = {{"site", "site_id", "SITE", "the receiving site", true},
                            {"item", "item_code", "CODE", "the item's code", true},
                            {"quantity", "quantity", "N", "units received, 1..10^9", true},
                            {"source", "source", "SOURCE",
                             "purchase (default), donation or transfer", false, "purchase"},
                            {"batch", "batch", "BATCH", "the batch"},
                            {"expires", "expires_on", "DATE", "the batch's expiry, YYYY-MM-DD"},
                            {"note", "note", "TEXT", "free text"}},
                  .output = PrintStockChange},
          RpcSpec{
              .name = "issue",
              .summary = "issue stock to a task, a household or an area (earliest expiry "
                         "first; never beyond the balance)",
              .service = Service::kSupplies,
              .method = "IssueStock",
              .flags = {{"site", "site_id", "SITE", "the issuing site", true},
                        {"item", "item_code", "CODE", "the item's code", true},
                        {"quantity", "quantity", "N", "units issued, at most the balance", true},
                        {"task", "to.task_id", "TASK", "to a dispatch task (supply delivery)"},
                        {"household", "to.household_id", "HOUSEHOLD", "to a household"},
                        {"area", "to.area", "AREA", "to a public area, e.g. 3号楼楼道"},
                        {"note", "note", "TEXT", "free text"}},
              .exactly_one_of = {{"task", "household", "area"}},
              .output = PrintStockChange},
          RpcSpec{
              .name = "transfer",
              .summary = "move stock from one site to another (batches and expiry kept)",
              .service = Service::kSupplies,
              .method = "TransferStock",
              .flags = {{"from", "from_site_id", "SITE", "the site the stock leaves", true},
                        {"to", "to_site_id", "SITE", "the site it arrives at", true},
                        {"item", "item_code", "CODE", "the item's code", true},
                        {"quantity", "quantity", "N", "units moved, at most the balance", true}},
              .output = PrintStockChange},
          RpcSpec{
              .name = "adjust",
              .summary = "record a stocktake: the balance becomes the counted quantity",
              .service = Service::kSupplies,
              .method = "AdjustStock",
              .flags = {{"site", "site_id", "SITE", "the site counted", true},
                        {"item", "item_code", "CODE", "the item counted", true},
                        {"counted", "counted_quantity", "N", "units found, 0..10^9", true},
                        {"reason", "reason", "TEXT", "why it differs, e.g. 盘点：破损2瓶", true}},
              .output = PrintStockChange},
          RpcSpec{.name = "stock",
                  .summary = "balances per site and item, low-stock flags, nearest expiry",
                  .service = Service::kSupplies,
                  .method = "GetStock",
                  .flags = {{"site", "site_id", "SITE", "only this site"},
                            {"item", "item_code", "CODE", "only this item"},
                            {"low-only", "low_only", "", "only balances below their minimum"}},
                  .rows = "balances",
                  .columns = BalanceColumns()},
          RpcSpec{
              .name = "movements",
              .summary = "the stock ledger, newest first",
              .service = Service::kSupplies,
              .method = "ListMovements",
              .flags = {{"site", "site_id", "SITE", "only this site"},
                        {"item", "item_code", "CODE", "only this item"},
                        {"kind", "kind", "KIND", "only receipt, issue, transfer-out or adjustment"},
                        {"task", "task_id", "TASK", "only issues against this task"},
                        {"since", "start_time", "TIME", "from this time, e.g. -24h"},
                        {"until", "end_time", "TIME", "before this time"}},
              .rows = "movements",
              .columns = MovementColumns()},
          RpcSpec{.name = "export",
                  .summary = "the stock ledger as CSV for Excel (every page of the filters)",
                  .service = Service::kSupplies,
                  .method = "ExportMovements",
                  .flags = {{"site", "filter.site_id", "SITE", "only this site"},
                            {"item", "filter.item_code", "CODE", "only this item"},
                            {"kind", "filter.kind", "KIND",
                             "only receipt, issue, transfer-out or adjustment"},
                            {"task", "filter.task_id", "TASK", "only issues against this task"},
                            {"since", "filter.start_time", "TIME", "from this time"},
                            {"until", "filter.end_time", "TIME", "before this time"},
                            {"out", "", "FILE", "where to write it (default or -: stdout)"}},
                  .output = WriteExportedFile},
      });
}

Command DonationCommand() {
  return MakeFamily(
      "donation", "donations (捐赠) received and given, money in yuan",
      {
          RpcSpec{.name = "record",
                  .summary = "record a donation; goods enter (received) or leave (given) a "
                             "site's stock",
                  .service = Service::kSupplies,
                  .method = "RecordDonation",
                  .flags = {{"direction", "direction", "DIRECTION", "received or given", true},
                            {"party", "donor_or_recipient", "NAME",
                             "who gave it (received) or who got it (given), e.g. 市红十字会", true},
                            {"kind", "kind", "KIND", "money or in-kind", true},
                            YuanFlag("amount", "amount_fen",
                                     "in yuan, at most 2 decimals, e.g. 2000 or 31.50 "
                                     "(money: required; goods: their value)"),
                            {"item", "item_code", "CODE", "goods: the item's code"},
                            {"quantity", "quantity", "N", "goods: units"},
                            {"site", "site_id", "SITE", "goods: the site whose stock changes"},
                            {"campaign", "campaign", "NAME", "e.g. 2026冬季疫情防控"},
                            {"receipt", "receipt_no", "NO", "the receipt's number"},
                            {"batch", "batch", "BATCH", "goods received: the batch"},
                            {"expires", "expires_on", "DATE", "goods received: YYYY-MM-DD"},
                            {"note", "note", "TEXT", "free text"}},
                  .columns = {"donation_id", "direction", "donor_or_recipient", "kind",
                              "amount_fen", "item_code", "quantity", "site_id", "campaign",
                              "receipt_no", "note", "recorded_at", "recorded_by"}},
          RpcSpec{.name = "list",
                  .summary = "list donations, newest first",
                  .service = Service::kSupplies,
                  .method = "ListDonations",
                  .flags = {{"direction", "direction", "DIRECTION", "only received or given"},
                            {"kind", "kind", "KIND", "only money or in-kind"},
                            {"campaign", "campaign", "NAME", "only this campaign"},
                            {"since", "start_time", "TIME", "from this time, e.g. -720h"},
                            {"until", "end_time", "TIME", "before this time"}},
                  .rows = "donations",
                  .columns = {"recorded_at", "direction", "donor_or_recipient", "kind",
                              "amount_fen", "item_code", "quantity", "site_id", "campaign",
                              "receipt_no", "donation_id"}},
          RpcSpec{.name = "totals",
                  .summary = "sums received and given, in yuan, and goods per item",
                  .service = Service::kSupplies,
                  .method = "GetDonationTotals",
                  .flags = {{"campaign", "campaign", "NAME", "only this campaign (default all)"}},
                  .output = PrintTotals},
          RpcSpec{.name = "statement",
                  .summary = "the printable donation statement (捐赠公示) of a campaign",
                  .service = Service::kSupplies,
                  .method = "ExportDonationStatement",
                  .flags = {{"campaign", "campaign", "NAME", "the campaign", true},
                            {"format", "format", "FORMAT", "html (default) or csv", false, "html"},
                            {"out", "", "FILE", "where to write it (default or -: stdout)"}},
                  .output = WriteExportedFile},
      });
}

Command CanteenCommand() {
  return MakeFamily(
      "canteen", "the canteen register (食材采购登记): food purchases received, traceable",
      {
          RpcSpec{
              .name = "register",
              .summary = "register a food purchase; it is accepted or rejected with reasons "
                         "(both are kept)",
              .service = Service::kSupplies,
              .method = "RegisterFoodPurchase",
              .flags = {{"site", "site_id", "SITE", "the canteen's site", true},
                        {"purchased-at", "purchased_at", "TIME",
                         "when bought and received (default: now)", false, "+0s"},
                        {"merchant", "merchant.name", "NAME", "who sold it", true},
                        {"license", "merchant.license_no", "NO",
                         "the merchant's food-business licence (all but fresh produce)"},
                        {"item", "item", "TEXT", "what, e.g. 猪肉", true},
                        {"spec", "specification", "TEXT", "e.g. 5kg/箱"},
                        {"quantity", "quantity", "N", "how much, 1..10^9", true},
                        {"unit", "unit", "UNIT", "e.g. kg, 箱", true},
                        {"origin", "origin", "TEXT", "where it comes from"},
                        {"batch", "batch", "BATCH", "the producer's batch"},
                        {"certificate", "certificate_no", "NO",
                         "the quarantine certificate (chilled, frozen, fresh meat)"},
                        {"storage", "storage_category", "STORAGE",
                         "ambient, chilled, frozen, dry, produce or fresh-meat", true},
                        {"temp", "cold_chain_temperature_c", "CELSIUS",
                         "measured on receipt (chilled and frozen goods)"},
                        {"inspector", "inspector", "NAME", "who checked the goods", true}},
              .columns = {"purchase_id", "accepted", "rejection_reasons", "site_id", "purchased_at",
                          "merchant.name", "item", "quantity", "unit|measure", "storage_category",
                          "cold_chain_temperature_c", "certificate_no", "inspector"}},
          RpcSpec{
              .name = "list",
              .summary = "the register, newest purchase first",
              .service = Service::kSupplies,
              .method = "ListFoodPurchases",
              .flags = {{"site", "site_id", "SITE", "only this canteen's site"},
                        {"date", "date", "DATE", "only this day (YYYY-MM-DD, today)"},
                        {"merchant", "merchant", "NAME", "only this merchant (name or licence)"},
                        {"batch", "batch", "BATCH", "only this batch"},
                        {"storage", "storage_category", "STORAGE", "only this storage"},
                        {"rejected-only", "rejected_only", "", "only rejected purchases"}},
              .rows = "purchases",
              .columns = PurchaseColumns()},
          RpcSpec{.name = "trace",
                  .summary = "every receipt from one merchant or of one batch, oldest first",
                  .service = Service::kSupplies,
                  .method = "TraceFood",
                  .flags = {{"merchant", "merchant", "NAME", "the merchant's name or licence"},
                            {"batch", "batch", "BATCH", "the batch"}},
                  .exactly_one_of = {{"merchant", "batch"}},
                  .rows = "purchases",
                  .columns = PurchaseColumns()},
      });
}

}  // namespace lianfang::lfctl
