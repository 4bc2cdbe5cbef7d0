// The donations and the canteen register on the store: the core of RecordDonation,
// ListDonations, GetDonationTotals, ExportDonationStatement, RegisterFoodPurchase,
// ListFoodPurchases and TraceFood, and the donation and canteen figures of GetDailyStats. The
// gRPC adapter (supplies_service.h) authorizes and validates (donation_book.h,
// canteen_register.h) before it calls here, inside its transaction.
//
// Goods received enter the stock of their site and goods given leave it in the donation's
// transaction, through the Storekeeper (a RECEIPT with source STOCK_SOURCE_DONATION, or ISSUE
// movements taken earliest expiry first), each movement carrying the donation's id: beyond the
// balance it is FAILED_PRECONDITION and nothing is written; an item not in the catalogue is
// INVALID_ARGUMENT naming item_code.
//
// Thread-safety: immutable; methods may run concurrently, each on its own Session.
#ifndef LIANFANG_SERVICES_SUPPLIES_BOOKS_H_
#define LIANFANG_SERVICES_SUPPLIES_BOOKS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/sql/database.h"
#include "lianfang/supplies/v1/supplies.pb.h"
#include "services/supplies/storekeeper.h"

namespace lianfang::supplies {

// The most donations one statement lists (OUT_OF_RANGE beyond), and the most purchases one
// TraceFood answers (OUT_OF_RANGE beyond: trace by batch instead of merchant).
inline constexpr int64_t kMaxStatementDonations = 100000;
inline constexpr int64_t kMaxTracedPurchases = 5000;

class Books final {
 public:
  // Nothing is owned; everything must outlive the Books.
  Books(const Storekeeper* keeper, absl::TimeZone tz);

  // REQUIRES: ValidateRecordDonation passed. The donation with its movements (goods).
  absl::StatusOr<v1::Donation> RecordDonation(sql::Session& s, const auth::Principal& who,
                                              const v1::RecordDonationRequest& req, absl::Time now,
                                              Effects* effects) const;
  // REQUIRES: ValidateListDonations passed. INVALID_ARGUMENT naming page_token for a bad one.
  absl::StatusOr<v1::ListDonationsResponse> ListDonations(
      sql::Session& s, const v1::ListDonationsRequest& req) const;
  absl::StatusOr<v1::DonationTotals> GetDonationTotals(
      sql::Session& s, const v1::GetDonationTotalsRequest& req) const;
  // The campaign's statement, made at `now`.
  absl::StatusOr<v1::ExportFile> ExportDonationStatement(
      sql::Session& s, const v1::ExportDonationStatementRequest& req, absl::Time now) const;

  // REQUIRES: ValidateFoodPurchase passed. The entry as registered, accepted or rejected.
  absl::StatusOr<v1::FoodPurchase> RegisterFoodPurchase(sql::Session& s, const auth::Principal& who,
                                                        const v1::RegisterFoodPurchaseRequest& req,
                                                        absl::Time now) const;
  // The sites a caller restricted to some sites may see (all when req.site_id is empty).
  absl::StatusOr<v1::ListFoodPurchasesResponse> ListFoodPurchases(
      sql::Session& s, const auth::Principal& who, const v1::ListFoodPurchasesRequest& req) const;
  absl::StatusOr<v1::TraceFoodResponse> TraceFood(sql::Session& s, const auth::Principal& who,
                                                  const v1::TraceFoodRequest& req) const;

  // Fills canteen_purchases / canteen_rejections of every entry of resp->stats() and
  // resp->donations() for `day`.
  absl::Status AddDailyFigures(sql::Session& s, absl::CivilDay day,
                               v1::GetDailyStatsResponse* resp) const;

 private:
  const Storekeeper* keeper_;
  absl::TimeZone tz_;
};

}  // namespace lianfang::supplies

#endif  // LIANFANG_SERVICES_SUPPLIES_BOOKS_H_
