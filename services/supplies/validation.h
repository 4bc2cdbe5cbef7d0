// Request validation of the supplies service: every field rule of supplies.proto that needs no
// database. Each function returns OK, or INVALID_ARGUMENT naming every bad field
// (common/server/errors.h). Whether an item code names an item of the catalogue is checked by
// the core inside its transaction (INVALID_ARGUMENT naming item_code, "unknown item").
//
// Common rules: request_id 1..64 characters; sites from the site directory ("unknown site");
// quantities 1..10^9 (a stocktake's count 0..10^9); text as supplies.proto bounds it, in
// characters of UTF-8 without control characters. Free text that every reader sees as typed
// (notes, a stocktake's reason, an issue's area) must not hold an ID number or a phone
// (pii::ContainsIdNumberOrPhone): personal data typed there is refused, never stored in clear.
//
// Thread-safety: pure functions.
#ifndef LIANFANG_SERVICES_SUPPLIES_VALIDATION_H_
#define LIANFANG_SERVICES_SUPPLIES_VALIDATION_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/sites/site_directory.h"
#include "lianfang/supplies/v1/supplies.pb.h"

namespace lianfang::supplies {

// Longest free-text note and stocktake reason, in characters.
inline constexpr size_t kMaxNoteChars = 200;

absl::Status ValidateCreateItem(const v1::CreateItemRequest& req);
absl::Status ValidateListItems(const v1::ListItemsRequest& req);
// `today`: the deployment's calendar day (an expiry before it is refused).
absl::Status ValidateReceiveStock(const v1::ReceiveStockRequest& req,
                                  const sites::SiteDirectory& sites, absl::CivilDay today);
absl::Status ValidateIssueStock(const v1::IssueStockRequest& req,
                                const sites::SiteDirectory& sites);
absl::Status ValidateTransferStock(const v1::TransferStockRequest& req,
                                   const sites::SiteDirectory& sites);
absl::Status ValidateAdjustStock(const v1::AdjustStockRequest& req,
                                 const sites::SiteDirectory& sites);
absl::Status ValidateGetStock(const v1::GetStockRequest& req, const sites::SiteDirectory& sites);

// The time range of a ListMovements filter, once valid.
struct TimeRange {
  std::optional<absl::Time> start;
  std::optional<absl::Time> end;
};
// `prefix`: "" for ListMovements, "filter." for ExportMovements (fields are named under it).
absl::StatusOr<TimeRange> ValidateListMovements(const v1::ListMovementsRequest& req,
                                                const sites::SiteDirectory& sites,
                                                absl::string_view prefix = "");
// The day of a valid request.
absl::StatusOr<absl::CivilDay> ValidateGetDailyStats(const v1::GetDailyStatsRequest& req,
                                                     const sites::SiteDirectory& sites);

}  // namespace lianfang::supplies

#endif  // LIANFANG_SERVICES_SUPPLIES_VALIDATION_H_
