// The canteen register (食材采购登记): the checks and acceptance rules of a food purchase
// received by a site's canteen, without the database.
//
// Two kinds of "no", as the API fixes them:
//   - bad input is INVALID_ARGUMENT naming every bad field, and nothing is registered:
//     an unknown site, a missing or future purchased_at, text out of its bounds, a quantity
//     outside 1..10^9, a storage category not set, a temperature that is NaN or outside
//     -40..60 °C, and a missing merchant licence where the category needs one (every
//     category but fresh produce);
//   - a refusal on receipt is a REJECTION, registered with its reasons in Chinese (one per
//     rule broken), because the register keeps the refusals too:
//       chilled, frozen, fresh meat without a quarantine certificate number;
//       chilled or frozen without a measured temperature;
//       chilled above 8 °C, frozen above -15 °C.
//
//   RETURN_IF_ERROR(ValidateFoodPurchase(req, sites, clock.Now()));
//   v1::FoodPurchase purchase = AssessFoodPurchase(req);  // accepted, rejection_reasons
//
// Pure functions; thread-safe.
#ifndef LIANFANG_SERVICES_SUPPLIES_CANTEEN_REGISTER_H_
#define LIANFANG_SERVICES_SUPPLIES_CANTEEN_REGISTER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/sites/site_directory.h"
#include "lianfang/supplies/v1/supplies.pb.h"

namespace lianfang::supplies {

// The range of a temperature measured on receipt, °C (inclusive).
inline constexpr double kMinReceiptTemperatureC = -40.0;
inline constexpr double kMaxReceiptTemperatureC = 60.0;
// The warmest chilled (冷藏) and frozen (冷冻) goods may arrive, °C (inclusive).
inline constexpr double kChilledMaxTemperatureC = 8.0;
inline constexpr double kFrozenMaxTemperatureC = -15.0;
// The largest quantity of one purchase.
inline constexpr int64_t kMaxFoodQuantity = 1'000'000'000;
// How far purchased_at may run ahead of the server's clock (a client's clock a little fast)
// before it counts as "in the future".
inline constexpr absl::Duration kPurchaseClockSkew = absl::Minutes(5);

// Whether goods of `category` need the merchant's licence number (all but fresh produce), a
// quarantine certificate number (chilled, frozen, fresh meat), a measured temperature
// (chilled, frozen).
bool LicenseRequired(v1::StorageCategory category);
bool CertificateRequired(v1::StorageCategory category);
bool TemperatureRequired(v1::StorageCategory category);

// OK, or INVALID_ARGUMENT with a google.rpc.BadRequest naming every bad field ("request_id",
// "site_id", "purchased_at", "merchant.name", "merchant.license_no", "item", "specification",
// "quantity", "unit", "origin", "batch", "certificate_no", "storage_category",
// "cold_chain_temperature_c", "inspector"). Text is checked after surrounding ASCII
// whitespace is stripped: required text must not be blank, lengths are counted in characters,
// and text must be UTF-8 without control characters. `now` bounds purchased_at (at most
// kPurchaseClockSkew ahead).
absl::Status ValidateFoodPurchase(const v1::RegisterFoodPurchaseRequest& req,
                                  const sites::SiteDirectory& sites, absl::Time now);

// The reasons, in Chinese, why goods of `req` are refused on receipt, one per rule broken, in
// the order certificate, temperature; empty when they are accepted.
// REQUIRES: `req` passed ValidateFoodPurchase.
std::vector<std::string> RejectionReasons(const v1::RegisterFoodPurchaseRequest& req);

// The register's entry for `req` (text stripped of surrounding whitespace, accepted and
// rejection_reasons set); purchase_id, recorded_at and recorded_by are left for the store.
// REQUIRES: `req` passed ValidateFoodPurchase.
v1::FoodPurchase AssessFoodPurchase(const v1::RegisterFoodPurchaseRequest& req);

// Checks of the readers' requests. ListFoodPurchases: site_id known when given, date a
// "YYYY-MM-DD" when given, merchant (at most 100 characters) and batch (at most 64), a known
// storage category, page_size not negative, a page token of sane size.
// TraceFood: exactly one of merchant or batch, non-blank, within those bounds.
absl::Status ValidateListFoodPurchases(const v1::ListFoodPurchasesRequest& req,
                                       const sites::SiteDirectory& sites);
absl::Status ValidateTraceFood(const v1::TraceFoodRequest& req);

}  // namespace lianfang::supplies

#endif  // LIANFANG_SERVICES_SUPPLIES_CANTEEN_REGISTER_H_
