// The donation book: the checks of a donation received or given, and the sums of donations,
// without the database. Money is a whole number of fen (分) everywhere, never floating point.
//
// A donation is money or goods:
//   money  amount_fen 1..10^12; item_code, quantity, site_id, batch and expires_on empty;
//   goods  item_code (a catalogue code: 1..32 of [a-z0-9_-]; whether the catalogue holds it is
//          the store's check), quantity 1..10^9, site_id a known site, amount_fen (their
//          stated value) 0..10^12; batch (0..64 characters) and expires_on ("YYYY-MM-DD", not
//          before today) only for goods received.
// Both: direction and kind set, donor_or_recipient 1..100 characters, campaign and receipt_no
// 0..64, note 0..200 (free text: request::CheckFreeText).
//
// Thread-safe: pure functions.
#ifndef LIANFANG_SERVICES_SUPPLIES_DONATION_BOOK_H_
#define LIANFANG_SERVICES_SUPPLIES_DONATION_BOOK_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/sites/site_directory.h"
#include "lianfang/supplies/v1/supplies.pb.h"

namespace lianfang::supplies {

// The largest amount of one donation, in fen (10^10 yuan).
inline constexpr int64_t kMaxAmountFen = 1'000'000'000'000;
// The largest quantity of goods of one donation.
inline constexpr int64_t kMaxDonationQuantity = 1'000'000'000;
// The longest campaign name, in characters.
inline constexpr size_t kMaxCampaignChars = 64;

// OK, or INVALID_ARGUMENT with a google.rpc.BadRequest naming every bad field ("request_id",
// "direction", "kind", "donor_or_recipient", "amount_fen", "item_code", "quantity", "site_id",
// "campaign", "receipt_no", "note", "batch", "expires_on"). `today` is the deployment's
// calendar day (expiry dates before it are refused).
absl::Status ValidateRecordDonation(const v1::RecordDonationRequest& req,
                                    const sites::SiteDirectory& sites, absl::CivilDay today);

// The donation `req` records, its text stripped of surrounding whitespace; donation_id,
// movements, recorded_at and recorded_by are left for the store.
// REQUIRES: `req` passed ValidateRecordDonation.
v1::Donation DonationOf(const v1::RecordDonationRequest& req);

// Checks of the readers' requests: ListDonations (known enums, campaign at most 64
// characters, start_time/end_time valid, page_size not negative, a page token of sane size),
// GetDonationTotals (campaign at most 64 characters) and ExportDonationStatement (campaign
// required, format HTML or CSV).
absl::Status ValidateListDonations(const v1::ListDonationsRequest& req);
absl::Status ValidateGetDonationTotals(const v1::GetDonationTotalsRequest& req);
absl::Status ValidateExportDonationStatement(const v1::ExportDonationStatementRequest& req);

// The donations of one direction, kind and item (item_code empty for money), summed: what a
// store's GROUP BY gives.
struct DonationGroup {
  v1::DonationDirection direction = v1::DONATION_DIRECTION_UNSPECIFIED;
  v1::DonationKind kind = v1::DONATION_KIND_UNSPECIFIED;
  std::string item_code;
  int64_t count = 0;
  int64_t amount_fen = 0;
  int64_t quantity = 0;
};

// The item's name and unit for the totals' ItemQuantity lines, or nullptr when unknown (the
// code is then shown without them).
using ItemLookup = std::function<const v1::Item*(absl::string_view item_code)>;

// The totals of `groups` for `campaign` (empty: every donation), zeros written out, goods per
// item by item code. OUT_OF_RANGE when a sum leaves int64 (it cannot with the bounds above
// below 9 million donations, and is refused rather than wrapped).
absl::StatusOr<v1::DonationTotals> SumDonations(absl::string_view campaign,
                                                const std::vector<DonationGroup>& groups,
                                                const ItemLookup& items);

// The groups of `donations` (convenient for statements and tests, where the donations are at
// hand anyway).
std::vector<DonationGroup> GroupDonations(const std::vector<v1::Donation>& donations);

}  // namespace lianfang::supplies

#endif  // LIANFANG_SERVICES_SUPPLIES_DONATION_BOOK_H_
