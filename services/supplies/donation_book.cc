#include "services/supplies/donation_book.h"

#include <map>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/request/request.h"
#include "common/server/errors.h"
#include "common/time/clock.h"

namespace lianfang::supplies {
namespace {

using server::FieldErrors;

constexpr size_t kPartyChars = 100;
constexpr size_t kShortTextChars = 64;
constexpr size_t kNoteChars = 200;
constexpr size_t kMaxPageTokenBytes = 1024;

bool IsItemCode(absl::string_view code) {
  if (code.empty() || code.size() > 32) return false;
  for (char c : code) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_' || c == '-')) return false;
  }
  return true;
}

bool Add(int64_t& sum, int64_t value) { return !__builtin_add_overflow(sum, value, &sum); }

}  // namespace

absl::Status ValidateRecordDonation(const v1::RecordDonationRequest& req,
                                    const sites::SiteDirectory& sites, absl::CivilDay today) {
  FieldErrors errors;
  request::CheckRequestId(errors, req.request_id());
  const bool received = req.direction() == v1::DONATION_DIRECTION_RECEIVED;
  if (req.direction() == v1::DONATION_DIRECTION_UNSPECIFIED ||
      !v1::DonationDirection_IsValid(req.direction())) {
    errors.Add("direction", "must be RECEIVED or GIVEN");
  }
  request::CheckFreeText(errors, "donor_or_recipient", req.donor_or_recipient(), kPartyChars, true);
  switch (req.kind()) {
    case v1::DONATION_KIND_MONEY:
      if (req.amount_fen() < 1 || req.amount_fen() > kMaxAmountFen) {
        errors.Add("amount_fen", "must be 1..1000000000000 fen for money");
      }
      if (!req.item_code().empty()) errors.Add("item_code", "must be empty for money");
      if (req.quantity() != 0) errors.Add("quantity", "must be 0 for money");
      if (!req.site_id().empty()) errors.Add("site_id", "must be empty for money");
      if (!req.batch().empty()) errors.Add("batch", "must be empty for money");
      if (!req.expires_on().empty()) errors.Add("expires_on", "must be empty for money");
      break;
    case v1::DONATION_KIND_IN_KIND:
      if (req.amount_fen() < 0 || req.amount_fen() > kMaxAmountFen) {
        errors.Add("amount_fen", "must be 0..1000000000000 fen for goods");
      }
      if (req.item_code().empty()) {
        errors.Add("item_code", "is required for goods");
      } else if (!IsItemCode(req.item_code())) {
        errors.Add("item_code", "unknown item");
      }
      if (req.quantity() < 1 || req.quantity() > kMaxDonationQuantity) {
        errors.Add("quantity", "must be 1..1000000000 for goods");
      }
      if (req.site_id().empty()) {
        errors.Add("site_id", "is required for goods");
      } else if (sites.Find(req.site_id()) == nullptr) {
        errors.Add("site_id", "unknown site");
      }
      if (received) {
        request::CheckPlainText(errors, "batch", req.batch(), 0, kShortTextChars);
        if (!req.expires_on().empty()) {
          absl::StatusOr<absl::CivilDay> day = time::ParseDate(req.expires_on());
          if (!day.ok()) {
            errors.Add("expires_on", "must be a date YYYY-MM-DD");
          } else if (*day < today) {
            errors.Add("expires_on", "must not be in the past");
          }
        }
      } else {
        // Goods given leave by the batches that expire first; they name none.
        if (!req.batch().empty()) errors.Add("batch", "must be empty for goods given");
        if (!req.expires_on().empty()) {
          errors.Add("expires_on", "must be empty for goods given");
        }
      }
      break;
    default:
      errors.Add("kind", "must be MONEY or IN_KIND");
  }
  request::CheckPlainText(errors, "campaign", req.campaign(), 0, kMaxCampaignChars);
  request::CheckPlainText(errors, "receipt_no", req.receipt_no(), 0, kShortTextChars);
  request::CheckFreeText(errors, "note", req.note(), kNoteChars, false);
  return errors.ToStatus();
}

v1::Donation DonationOf(const v1::RecordDonationRequest& req) {
  v1::Donation d;
  d.set_direction(req.direction());
  d.set_donor_or_recipient(request::StripText(req.donor_or_recipient()));
  d.set_kind(req.kind());
  d.set_amount_fen(req.amount_fen());
  d.set_item_code(req.item_code());
  d.set_quantity(req.quantity());
  d.set_site_id(req.site_id());
  d.set_campaign(request::StripText(req.campaign()));
  d.set_receipt_no(request::StripText(req.receipt_no()));
  d.set_note(request::StripText(req.note()));
  return d;
}

absl::Status ValidateListDonations(const v1::ListDonationsRequest& req) {
  FieldErrors errors;
  if (!v1::DonationDirection_IsValid(req.direction())) {
    errors.Add("direction", "must be one of the DonationDirection values");
  }
  if (!v1::DonationKind_IsValid(req.kind())) {
    errors.Add("kind", "must be one of the DonationKind values");
  }
  request::CheckPlainText(errors, "campaign", req.campaign(), 0, kMaxCampaignChars);
  if (req.has_start_time()) request::CheckTimestamp(errors, "start_time", req.start_time());
  if (req.has_end_time()) request::CheckTimestamp(errors, "end_time", req.end_time());
  if (req.page_size() < 0) errors.Add("page_size", "must not be negative");
  if (req.page_token().size() > kMaxPageTokenBytes) {
    errors.Add("page_token", "is not a valid page token");
  }
  return errors.ToStatus();
}

absl::Status ValidateGetDonationTotals(const v1::GetDonationTotalsRequest& req) {
  FieldErrors errors;
  request::CheckPlainText(errors, "campaign", req.campaign(), 0, kMaxCampaignChars);
  return errors.ToStatus();
}

absl::Status ValidateExportDonationStatement(const v1::ExportDonationStatementRequest& req) {
  FieldErrors errors;
  request::CheckPlainText(errors, "campaign", req.campaign(), 1, kMaxCampaignChars);
  if (req.format() != v1::STATEMENT_FORMAT_HTML && req.format() != v1::STATEMENT_FORMAT_CSV) {
    errors.Add("format", "must be HTML or CSV");
  }
  return errors.ToStatus();
}

absl::StatusOr<v1::DonationTotals> SumDonations(absl::string_view campaign,
                                                const std::vector<DonationGroup>& groups,
                                                const ItemLookup& items) {
  v1::DonationTotals totals;
  totals.set_campaign(std::string(campaign));
  int64_t received_money = 0, given_money = 0, received_goods = 0, given_goods = 0;
  int64_t received_count = 0, given_count = 0;
  // (direction, item_code) -> units, ordered by item code.
  std::map<std::pair<int, std::string>, int64_t> goods;
  bool ok = true;
  for (const DonationGroup& g : groups) {
    const bool received = g.direction == v1::DONATION_DIRECTION_RECEIVED;
    ok = ok && Add(received ? received_count : given_count, g.count);
    if (g.kind == v1::DONATION_KIND_MONEY) {
      ok = ok && Add(received ? received_money : given_money, g.amount_fen);
    } else {
      ok = ok && Add(received ? received_goods : given_goods, g.amount_fen);
      ok = ok && Add(goods[{g.direction, g.item_code}], g.quantity);
    }
  }
  if (!ok || received_count > INT32_MAX || given_count > INT32_MAX) {
    return absl::OutOfRangeError("the donation totals do not fit in 64-bit integers");
  }
  totals.set_received_money_fen(received_money);
  totals.set_given_money_fen(given_money);
  totals.set_received_goods_value_fen(received_goods);
  totals.set_given_goods_value_fen(given_goods);
  totals.set_received_count(static_cast<int32_t>(received_count));
  totals.set_given_count(static_cast<int32_t>(given_count));
  for (const auto& [key, quantity] : goods) {
    v1::ItemQuantity* line = key.first == v1::DONATION_DIRECTION_RECEIVED
                                 ? totals.add_received_goods()
                                 : totals.add_given_goods();
    line->set_item_code(key.second);
    line->set_quantity(quantity);
    if (const v1::Item* item = items ? items(key.second) : nullptr) {
      line->set_item_name(item->name());
      line->set_unit(item->unit());
    }
  }
  return totals;
}

std::vector<DonationGroup> GroupDonations(const std::vector<v1::Donation>& donations) {
  std::map<std::tuple<int, int, std::string>, DonationGroup> groups;
  for (const v1::Donation& d : donations) {
    DonationGroup& g = groups[{d.direction(), d.kind(), d.item_code()}];
    g.direction = d.direction();
    g.kind = d.kind();
    g.item_code = d.item_code();
    g.count += 1;
    g.amount_fen += d.amount_fen();
    g.quantity += d.quantity();
  }
  std::vector<DonationGroup> out;
  for (auto& [key, g] : groups) out.push_back(std::move(g));
  return out;
}

}  // namespace lianfang::supplies
