#include "services/supplies/books.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/sql/page_token.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"
#include "services/supplies/canteen_register.h"
#include "services/supplies/donation_book.h"
#include "services/supplies/donation_statement.h"
#include "services/supplies/store.h"
#include "common/request/request.h"

namespace lianfang::supplies {
namespace {

constexpr char kListDonationsScope[] = "ListDonations";
constexpr char kListFoodPurchasesScope[] = "ListFoodPurchases";

std::optional<absl::Time> TimeOf(bool has, const google::protobuf::Timestamp& ts) {
  if (!has) return std::nullopt;
  return time::FromTimestamp(ts);
}

absl::StatusOr<std::map<std::string, v1::Item>> Catalogue(sql::Session& s) {
  ASSIGN_OR_RETURN(std::vector<v1::Item> items, ListItems(s, v1::ITEM_CATEGORY_UNSPECIFIED));
  std::map<std::string, v1::Item> out;
  for (v1::Item& item : items) out.emplace(item.code(), std::move(item));
  return out;
}

ItemLookup LookupIn(const std::map<std::string, v1::Item>& items) {
  return [&items](absl::string_view code) -> const v1::Item* {
    auto it = items.find(std::string(code));
    return it == items.end() ? nullptr : &it->second;
  };
}

}  // namespace

Books::Books(const Storekeeper* keeper, absl::TimeZone tz) : keeper_(keeper), tz_(tz) {}

absl::StatusOr<v1::Donation> Books::RecordDonation(sql::Session& s, const auth::Principal& who,
                                                   const v1::RecordDonationRequest& req,
                                                   absl::Time now, Effects* effects) const {
  ASSIGN_OR_RETURN(const int64_t n, NextNumber(s, "donation"));
  v1::Donation d = DonationOf(req);
  d.set_donation_id(absl::StrCat("donation-", n));
  *d.mutable_recorded_at() = time::ToTimestamp(now);
  d.set_recorded_by(who.subject);
  if (d.kind() == v1::DONATION_KIND_IN_KIND) {
    // The ledger's note says whose goods they were; the donation keeps its own note.
    const std::string note =
        absl::StrCat(d.direction() == v1::DONATION_DIRECTION_RECEIVED ? "捐赠来自：" : "捐赠给：",
                     d.donor_or_recipient());
    if (d.direction() == v1::DONATION_DIRECTION_RECEIVED) {
      v1::ReceiveStockRequest receive;
      receive.set_request_id(req.request_id());
      receive.set_site_id(req.site_id());
      receive.set_item_code(req.item_code());
      receive.set_quantity(req.quantity());
      receive.set_source(v1::STOCK_SOURCE_DONATION);
      receive.set_batch(request::StripText(req.batch()));
      receive.set_expires_on(req.expires_on());
      receive.set_note(note);
      ASSIGN_OR_RETURN(v1::ReceiveStockResponse r,
                       keeper_->ReceiveStock(s, who, receive, now, effects, d.donation_id()));
      *d.add_movements() = std::move(*r.mutable_movement());
    } else {
      v1::IssueStockRequest issue;
      issue.set_request_id(req.request_id());
      issue.set_site_id(req.site_id());
      issue.set_item_code(req.item_code());
      issue.set_quantity(req.quantity());
      issue.set_note(note);
      ASSIGN_OR_RETURN(v1::IssueStockResponse r,
                       keeper_->IssueStock(s, who, issue, now, effects, d.donation_id()));
      for (v1::StockMovement& m : *r.mutable_movements()) *d.add_movements() = std::move(m);
    }
  }
  RETURN_IF_ERROR(InsertDonation(s, d, n));
  return d;
}

absl::StatusOr<v1::ListDonationsResponse> Books::ListDonations(
    sql::Session& s, const v1::ListDonationsRequest& req) const {
  ASSIGN_OR_RETURN(const int size, sql::PageSize(req.page_size()));
  ASSIGN_OR_RETURN(const std::vector<sql::Value> key,
                   sql::DecodePageToken(kListDonationsScope, req.page_token(), 1));
  const int64_t before = key.empty() ? 0 : key[0].AsInt();
  const DonationFilter filter{.direction = req.direction(),
                              .kind = req.kind(),
                              .campaign = request::StripText(req.campaign()),
                              .start = TimeOf(req.has_start_time(), req.start_time()),
                              .end = TimeOf(req.has_end_time(), req.end_time())};
  ASSIGN_OR_RETURN(std::vector<DonationRow> rows,
                   supplies::ListDonations(s, filter, before, int64_t{size} + 1));
  v1::ListDonationsResponse resp;
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(size); ++i) {
    v1::Donation& d = *resp.add_donations() = std::move(rows[i].donation);
    if (d.kind() == v1::DONATION_KIND_IN_KIND) {
      ASSIGN_OR_RETURN(std::vector<v1::StockMovement> movements,
                       MovementsOfDonation(s, d.donation_id()));
      for (v1::StockMovement& m : movements) *d.add_movements() = std::move(m);
    }
  }
  if (rows.size() > static_cast<size_t>(size)) {
    resp.set_next_page_token(
        sql::EncodePageToken(kListDonationsScope, {rows[static_cast<size_t>(size) - 1].seq}));
  }
  return resp;
}

absl::StatusOr<v1::DonationTotals> Books::GetDonationTotals(
    sql::Session& s, const v1::GetDonationTotalsRequest& req) const {
  const std::string campaign = request::StripText(req.campaign());
  ASSIGN_OR_RETURN(const std::vector<DonationGroup> groups,
                   SumDonationsOf(s, campaign, campaign.empty()));
  ASSIGN_OR_RETURN(const auto items, Catalogue(s));
  return SumDonations(campaign, groups, LookupIn(items));
}

absl::StatusOr<v1::ExportFile> Books::ExportDonationStatement(
    sql::Session& s, const v1::ExportDonationStatementRequest& req, absl::Time now) const {
  DonationStatement statement;
  statement.campaign = request::StripText(req.campaign());
  statement.generated_at = now;
  statement.tz = tz_;
  ASSIGN_OR_RETURN(
      std::vector<DonationRow> rows,
      supplies::ListDonations(s, {.campaign = statement.campaign}, 0, kMaxStatementDonations + 1));
  if (rows.size() > static_cast<size_t>(kMaxStatementDonations)) {
    return absl::OutOfRangeError(absl::StrCat("the campaign has more than ", kMaxStatementDonations,
                                              " donations, more than one statement lists"));
  }
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    statement.donations.push_back(std::move(it->donation));
  }
  ASSIGN_OR_RETURN(statement.items, Catalogue(s));
  ASSIGN_OR_RETURN(statement.totals,
                   SumDonations(statement.campaign, GroupDonations(statement.donations),
                                LookupIn(statement.items)));
  return RenderDonationStatement(statement, req.format());
}

absl::StatusOr<v1::FoodPurchase> Books::RegisterFoodPurchase(
    sql::Session& s, const auth::Principal& who, const v1::RegisterFoodPurchaseRequest& req,
    absl::Time now) const {
  ASSIGN_OR_RETURN(const int64_t n, NextNumber(s, "purchase"));
  v1::FoodPurchase p = AssessFoodPurchase(req);
  p.set_purchase_id(absl::StrCat("purchase-", n));
  *p.mutable_recorded_at() = time::ToTimestamp(now);
  p.set_recorded_by(who.subject);
  RETURN_IF_ERROR(InsertFoodPurchase(s, p, n));
  return p;
}

absl::StatusOr<v1::ListFoodPurchasesResponse> Books::ListFoodPurchases(
    sql::Session& s, const auth::Principal& who, const v1::ListFoodPurchasesRequest& req) const {
  ASSIGN_OR_RETURN(const int size, sql::PageSize(req.page_size()));
  ASSIGN_OR_RETURN(const std::vector<sql::Value> key,
                   sql::DecodePageToken(kListFoodPurchasesScope, req.page_token(), 2));
  std::optional<FoodPurchaseKey> after;
  if (!key.empty()) after = FoodPurchaseKey{.purchased_at = key[0].AsTime(), .seq = key[1].AsInt()};
  FoodPurchaseFilter filter{
      .site_id = req.site_id(),
      .sites_any_of = req.site_id().empty() ? who.sites : std::vector<std::string>(),
      .merchant = request::StripText(req.merchant()),
      .batch = request::StripText(req.batch()),
      .storage_category = req.storage_category(),
      .rejected_only = req.rejected_only()};
  if (!req.date().empty()) {
    ASSIGN_OR_RETURN(const absl::CivilDay day, time::ParseDate(req.date()));
    filter.start = time::StartOfDay(day, tz_);
    filter.end = time::EndOfDay(day, tz_);
  }
  ASSIGN_OR_RETURN(std::vector<FoodPurchaseRow> rows,
                   supplies::ListFoodPurchases(s, filter, after, int64_t{size} + 1));
  v1::ListFoodPurchasesResponse resp;
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(size); ++i) {
    *resp.add_purchases() = std::move(rows[i].purchase);
  }
  if (rows.size() > static_cast<size_t>(size)) {
    const FoodPurchaseKey& last = rows[static_cast<size_t>(size) - 1].key;
    resp.set_next_page_token(
        sql::EncodePageToken(kListFoodPurchasesScope, {last.purchased_at, last.seq}));
  }
  return resp;
}

absl::StatusOr<v1::TraceFoodResponse> Books::TraceFood(sql::Session& s, const auth::Principal& who,
                                                       const v1::TraceFoodRequest& req) const {
  FoodPurchaseFilter filter{.sites_any_of = who.sites};
  if (req.key_case() == v1::TraceFoodRequest::kMerchant) {
    filter.merchant = request::StripText(req.merchant());
  } else {
    filter.batch = request::StripText(req.batch());
  }
  ASSIGN_OR_RETURN(std::vector<v1::FoodPurchase> purchases,
                   TraceFoodPurchases(s, filter, kMaxTracedPurchases + 1));
  if (purchases.size() > static_cast<size_t>(kMaxTracedPurchases)) {
    return absl::OutOfRangeError(absl::StrCat("more than ", kMaxTracedPurchases,
                                              " purchases match; trace one batch at a time"));
  }
  v1::TraceFoodResponse resp;
  for (v1::FoodPurchase& p : purchases) *resp.add_purchases() = std::move(p);
  return resp;
}

absl::Status Books::AddDailyFigures(sql::Session& s, absl::CivilDay day,
                                    v1::GetDailyStatsResponse* resp) const {
  const absl::Time start = time::StartOfDay(day, tz_);
  const absl::Time end = time::EndOfDay(day, tz_);
  ASSIGN_OR_RETURN(const std::vector<CanteenDayCounts> counts, CanteenCounts(s, start, end));
  std::map<std::string, CanteenDayCounts> by_site;
  for (const CanteenDayCounts& c : counts) by_site[c.site_id] = c;
  for (v1::DailyStats& stats : *resp->mutable_stats()) {
    auto it = by_site.find(stats.site_id());
    stats.set_canteen_purchases(it == by_site.end() ? 0
                                                    : static_cast<int32_t>(it->second.purchases));
    stats.set_canteen_rejections(it == by_site.end() ? 0
                                                     : static_cast<int32_t>(it->second.rejections));
  }
  ASSIGN_OR_RETURN(*resp->mutable_donations(), DonationsBetween(s, start, end));
  return absl::OkStatus();
}

}  // namespace lianfang::supplies
