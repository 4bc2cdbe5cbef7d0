#include "services/supplies/canteen_register.h"

#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/request/request.h"
#include "common/server/errors.h"
#include "common/time/clock.h"

namespace lianfang::supplies {
namespace {

using server::FieldErrors;

// Bounds of the text fields, in characters (supplies.proto).
constexpr size_t kMerchantNameChars = 100;
constexpr size_t kShortTextChars = 64;
constexpr size_t kUnitChars = 16;
constexpr size_t kMaxPageTokenBytes = 1024;

const char* CategoryName(v1::StorageCategory category) {
  switch (category) {
    case v1::STORAGE_CATEGORY_AMBIENT:
      return "常温";
    case v1::STORAGE_CATEGORY_CHILLED:
      return "冷藏";
    case v1::STORAGE_CATEGORY_FROZEN:
      return "冷冻";
    case v1::STORAGE_CATEGORY_DRY:
      return "干货粮油";
    case v1::STORAGE_CATEGORY_PRODUCE:
      return "果蔬";
    case v1::STORAGE_CATEGORY_FRESH_MEAT:
      return "鲜肉禽蛋";
    default:
      return "未知类别";
  }
}

bool IsKnownCategory(int category) {
  return category != v1::STORAGE_CATEGORY_UNSPECIFIED && v1::StorageCategory_IsValid(category);
}

// "9.5", "-12.0": one decimal, which is how a probe thermometer reads.
std::string Celsius(double t) { return absl::StrFormat("%.1f", t); }

}  // namespace

bool LicenseRequired(v1::StorageCategory category) {
  return category != v1::STORAGE_CATEGORY_PRODUCE;
}

bool CertificateRequired(v1::StorageCategory category) {
  return category == v1::STORAGE_CATEGORY_CHILLED || category == v1::STORAGE_CATEGORY_FROZEN ||
         category == v1::STORAGE_CATEGORY_FRESH_MEAT;
}

bool TemperatureRequired(v1::StorageCategory category) {
  return category == v1::STORAGE_CATEGORY_CHILLED || category == v1::STORAGE_CATEGORY_FROZEN;
}

absl::Status ValidateFoodPurchase(const v1::RegisterFoodPurchaseRequest& req,
                                  const sites::SiteDirectory& sites, absl::Time now) {
  FieldErrors errors;
  request::CheckRequestId(errors, req.request_id());
  if (req.site_id().empty()) {
    errors.Add("site_id", "is required");
  } else if (sites.Find(req.site_id()) == nullptr) {
    errors.Add("site_id", "unknown site");
  }
  if (!req.has_purchased_at()) {
    errors.Add("purchased_at", "is required");
  } else if (std::optional<absl::Time> at =
                 request::CheckTimestamp(errors, "purchased_at", req.purchased_at());
             at && *at > now + kPurchaseClockSkew) {
    errors.Add("purchased_at", "must not be in the future");
  }
  request::CheckFreeText(errors, "merchant.name", req.merchant().name(), kMerchantNameChars, true);
  const bool category_known = IsKnownCategory(req.storage_category());
  if (request::CheckPlainText(errors, "merchant.license_no", req.merchant().license_no(), 0,
                              kShortTextChars) &&
      category_known && LicenseRequired(req.storage_category()) &&
      request::StripText(req.merchant().license_no()).empty()) {
    errors.Add("merchant.license_no", "is required for every storage category but fresh produce");
  }
  request::CheckPlainText(errors, "item", req.item(), 1, kShortTextChars);
  request::CheckPlainText(errors, "specification", req.specification(), 0, kShortTextChars);
  if (req.quantity() < 1 || req.quantity() > kMaxFoodQuantity) {
    errors.Add("quantity", "must be 1..1000000000");
  }
  request::CheckPlainText(errors, "unit", req.unit(), 1, kUnitChars);
  request::CheckFreeText(errors, "origin", req.origin(), kShortTextChars, false);
  request::CheckPlainText(errors, "batch", req.batch(), 0, kShortTextChars);
  request::CheckPlainText(errors, "certificate_no", req.certificate_no(), 0, kShortTextChars);
  if (!category_known) {
    errors.Add("storage_category", "must be one of the StorageCategory values");
  }
  if (req.has_cold_chain_temperature_c()) {
    const double t = req.cold_chain_temperature_c();
    // NaN fails both comparisons, so it is caught by the explicit test.
    if (std::isnan(t) || t < kMinReceiptTemperatureC || t > kMaxReceiptTemperatureC) {
      errors.Add("cold_chain_temperature_c", "must be a number within -40..60");
    }
  }
  request::CheckPlainText(errors, "inspector", req.inspector(), 1, kShortTextChars);
  return errors.ToStatus();
}

std::vector<std::string> RejectionReasons(const v1::RegisterFoodPurchaseRequest& req) {
  std::vector<std::string> reasons;
  const v1::StorageCategory category = req.storage_category();
  if (CertificateRequired(category) && request::StripText(req.certificate_no()).empty()) {
    reasons.push_back(
        absl::StrCat("缺少检疫合格证明编号：", CategoryName(category), "食材须凭检疫合格证明收货"));
  }
  if (TemperatureRequired(category)) {
    if (!req.has_cold_chain_temperature_c()) {
      reasons.push_back(
          absl::StrCat("未测量到货温度：", CategoryName(category), "食材须测温后收货"));
    } else if (category == v1::STORAGE_CATEGORY_CHILLED &&
               req.cold_chain_temperature_c() > kChilledMaxTemperatureC) {
      reasons.push_back(
          absl::StrCat("冷藏食材到货温度 ", Celsius(req.cold_chain_temperature_c()), "℃，高于 8℃"));
    } else if (category == v1::STORAGE_CATEGORY_FROZEN &&
               req.cold_chain_temperature_c() > kFrozenMaxTemperatureC) {
      reasons.push_back(absl::StrCat("冷冻食材到货温度 ", Celsius(req.cold_chain_temperature_c()),
                                     "℃，高于 -15℃"));
    }
  }
  return reasons;
}

v1::FoodPurchase AssessFoodPurchase(const v1::RegisterFoodPurchaseRequest& req) {
  v1::FoodPurchase p;
  p.set_site_id(req.site_id());
  *p.mutable_purchased_at() = req.purchased_at();
  p.mutable_merchant()->set_name(request::StripText(req.merchant().name()));
  p.mutable_merchant()->set_license_no(request::StripText(req.merchant().license_no()));
  p.set_item(request::StripText(req.item()));
  p.set_specification(request::StripText(req.specification()));
  p.set_quantity(req.quantity());
  p.set_unit(request::StripText(req.unit()));
  p.set_origin(request::StripText(req.origin()));
  p.set_batch(request::StripText(req.batch()));
  p.set_certificate_no(request::StripText(req.certificate_no()));
  p.set_storage_category(req.storage_category());
  if (req.has_cold_chain_temperature_c()) {
    p.set_cold_chain_temperature_c(req.cold_chain_temperature_c());
  }
  p.set_inspector(request::StripText(req.inspector()));
  for (std::string& reason : RejectionReasons(req)) p.add_rejection_reasons(std::move(reason));
  p.set_accepted(p.rejection_reasons().empty());
  return p;
}

absl::Status ValidateListFoodPurchases(const v1::ListFoodPurchasesRequest& req,
                                       const sites::SiteDirectory& sites) {
  FieldErrors errors;
  if (!req.site_id().empty() && sites.Find(req.site_id()) == nullptr) {
    errors.Add("site_id", "unknown site");
  }
  if (!req.date().empty() && !time::ParseDate(req.date()).ok()) {
    errors.Add("date", "must be a date YYYY-MM-DD");
  }
  request::CheckPlainText(errors, "merchant", req.merchant(), 0, kMerchantNameChars);
  request::CheckPlainText(errors, "batch", req.batch(), 0, kShortTextChars);
  if (!v1::StorageCategory_IsValid(req.storage_category())) {
    errors.Add("storage_category", "must be one of the StorageCategory values");
  }
  // Above the maximum is served as the maximum, as every List of the API does.
  if (req.page_size() < 0) errors.Add("page_size", "must not be negative");
  if (req.page_token().size() > kMaxPageTokenBytes) {
    errors.Add("page_token", "is not a valid page token");
  }
  return errors.ToStatus();
}

absl::Status ValidateTraceFood(const v1::TraceFoodRequest& req) {
  FieldErrors errors;
  switch (req.key_case()) {
    case v1::TraceFoodRequest::kMerchant:
      request::CheckPlainText(errors, "merchant", req.merchant(), 1, kMerchantNameChars);
      break;
    case v1::TraceFoodRequest::kBatch:
      request::CheckPlainText(errors, "batch", req.batch(), 1, kShortTextChars);
      break;
    default:
      errors.Add("key", "one of merchant or batch is required");
  }
  return errors.ToStatus();
}

}  // namespace lianfang::supplies
