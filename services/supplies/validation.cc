#include "services/supplies/validation.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/request/request.h"
#include "common/server/errors.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"
#include "services/supplies/stock_ledger.h"

namespace lianfang::supplies {
namespace {

using server::FieldErrors;

// Longest ids of other services (tasks, households) and of a batch, in characters.
constexpr size_t kMaxRefChars = 64;

void CheckSite(FieldErrors& errors, absl::string_view field, absl::string_view site_id,
               const sites::SiteDirectory& sites, bool required) {
  if (site_id.empty()) {
    if (required) errors.Add(field, "is required");
    return;
  }
  if (site_id.size() > 64 || sites.Find(site_id) == nullptr) errors.Add(field, "unknown site");
}

void CheckItemCode(FieldErrors& errors, absl::string_view field, absl::string_view code,
                   bool required) {
  if (code.empty()) {
    if (required) errors.Add(field, "is required");
    return;
  }
  if (!IsItemCode(code)) errors.Add(field, "must be 1..32 of [a-z0-9_-]");
}

}  // namespace

absl::Status ValidateCreateItem(const v1::CreateItemRequest& req) {
  FieldErrors errors;
  request::CheckRequestId(errors, req.request_id());
  if (!req.has_item()) {
    errors.Add("item", "is required");
    return errors.ToStatus();
  }
  const v1::Item& item = req.item();
  CheckItemCode(errors, "item.code", item.code(), true);
  request::CheckPlainText(errors, "item.name", item.name(), 1, 64);
  request::CheckPlainText(errors, "item.unit", item.unit(), 1, 16);
  if (item.category() == v1::ITEM_CATEGORY_UNSPECIFIED ||
      !v1::ItemCategory_IsValid(item.category())) {
    errors.Add("item.category", "must be one of the ItemCategory values");
  }
  CheckQuantity(errors, "item.min_stock_per_site", item.min_stock_per_site(), 0);
  return errors.ToStatus();
}

absl::Status ValidateListItems(const v1::ListItemsRequest& req) {
  FieldErrors errors;
  if (!v1::ItemCategory_IsValid(req.category())) {
    errors.Add("category", "must be one of the ItemCategory values");
  }
  return errors.ToStatus();
}

absl::Status ValidateReceiveStock(const v1::ReceiveStockRequest& req,
                                  const sites::SiteDirectory& sites, absl::CivilDay today) {
  FieldErrors errors;
  request::CheckRequestId(errors, req.request_id());
  CheckSite(errors, "site_id", req.site_id(), sites, true);
  CheckItemCode(errors, "item_code", req.item_code(), true);
  CheckQuantity(errors, "quantity", req.quantity(), 1);
  if (req.source() == v1::STOCK_SOURCE_UNSPECIFIED || !v1::StockSource_IsValid(req.source())) {
    errors.Add("source", "must be one of the StockSource values");
  }
  request::CheckPlainText(errors, "batch", req.batch(), 0, kMaxRefChars);
  CheckExpiry(errors, "expires_on", req.expires_on(), today);
  request::CheckFreeText(errors, "note", req.note(), kMaxNoteChars, false);
  return errors.ToStatus();
}

absl::Status ValidateIssueStock(const v1::IssueStockRequest& req,
                                const sites::SiteDirectory& sites) {
  FieldErrors errors;
  request::CheckRequestId(errors, req.request_id());
  CheckSite(errors, "site_id", req.site_id(), sites, true);
  CheckItemCode(errors, "item_code", req.item_code(), true);
  CheckQuantity(errors, "quantity", req.quantity(), 1);
  switch (req.to().to_case()) {
    case v1::IssueDestination::kTaskId:
      request::CheckPlainText(errors, "to.task_id", req.to().task_id(), 1, kMaxRefChars);
      break;
    case v1::IssueDestination::kHouseholdId:
      request::CheckPlainText(errors, "to.household_id", req.to().household_id(), 1, kMaxRefChars);
      break;
    case v1::IssueDestination::kArea:
      request::CheckFreeText(errors, "to.area", req.to().area(), 64, true);
      break;
    default:
      errors.Add("to", "is required (task_id, household_id or area)");
  }
  request::CheckFreeText(errors, "note", req.note(), kMaxNoteChars, false);
  return errors.ToStatus();
}

absl::Status ValidateTransferStock(const v1::TransferStockRequest& req,
                                   const sites::SiteDirectory& sites) {
  FieldErrors errors;
  request::CheckRequestId(errors, req.request_id());
  CheckSite(errors, "from_site_id", req.from_site_id(), sites, true);
  CheckSite(errors, "to_site_id", req.to_site_id(), sites, true);
  if (!req.to_site_id().empty() && req.to_site_id() == req.from_site_id()) {
    errors.Add("to_site_id", "must differ from from_site_id");
  }
  CheckItemCode(errors, "item_code", req.item_code(), true);
  CheckQuantity(errors, "quantity", req.quantity(), 1);
  return errors.ToStatus();
}

absl::Status ValidateAdjustStock(const v1::AdjustStockRequest& req,
                                 const sites::SiteDirectory& sites) {
  FieldErrors errors;
  request::CheckRequestId(errors, req.request_id());
  CheckSite(errors, "site_id", req.site_id(), sites, true);
  CheckItemCode(errors, "item_code", req.item_code(), true);
  CheckQuantity(errors, "counted_quantity", req.counted_quantity(), 0);
  request::CheckFreeText(errors, "reason", req.reason(), kMaxNoteChars, true);
  return errors.ToStatus();
}

absl::Status ValidateGetStock(const v1::GetStockRequest& req, const sites::SiteDirectory& sites) {
  FieldErrors errors;
  CheckSite(errors, "site_id", req.site_id(), sites, false);
  CheckItemCode(errors, "item_code", req.item_code(), false);
  return errors.ToStatus();
}

absl::StatusOr<TimeRange> ValidateListMovements(const v1::ListMovementsRequest& req,
                                                const sites::SiteDirectory& sites,
                                                absl::string_view prefix) {
  FieldErrors errors;
  auto name = [prefix](absl::string_view field) { return absl::StrCat(prefix, field); };
  CheckSite(errors, name("site_id"), req.site_id(), sites, false);
  CheckItemCode(errors, name("item_code"), req.item_code(), false);
  if (!v1::MovementKind_IsValid(req.kind())) {
    errors.Add(name("kind"), "must be one of the MovementKind values");
  }
  request::CheckPlainText(errors, name("task_id"), req.task_id(), 0, kMaxRefChars);
  TimeRange range;
  if (req.has_start_time()) {
    range.start = request::CheckTimestamp(errors, name("start_time"), req.start_time());
  }
  if (req.has_end_time()) {
    range.end = request::CheckTimestamp(errors, name("end_time"), req.end_time());
  }
  if (range.start.has_value() && range.end.has_value() && *range.start > *range.end) {
    errors.Add(name("end_time"), "must not be before start_time");
  }
  if (req.page_size() < 0) errors.Add(name("page_size"), "must not be negative");
  if (req.page_token().size() > 1024) errors.Add(name("page_token"), "is not a valid page token");
  RETURN_IF_ERROR(errors.ToStatus());
  return range;
}

absl::StatusOr<absl::CivilDay> ValidateGetDailyStats(const v1::GetDailyStatsRequest& req,
                                                     const sites::SiteDirectory& sites) {
  FieldErrors errors;
  absl::CivilDay day;
  if (req.date().empty()) {
    errors.Add("date", "is required");
  } else if (absl::StatusOr<absl::CivilDay> parsed = time::ParseDate(req.date()); !parsed.ok()) {
    errors.Add("date", "must be a date YYYY-MM-DD");
  } else {
    day = *parsed;
  }
  CheckSite(errors, "site_id", req.site_id(), sites, false);
  RETURN_IF_ERROR(errors.ToStatus());
  return day;
}

}  // namespace lianfang::supplies
