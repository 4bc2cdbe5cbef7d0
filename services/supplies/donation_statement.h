// The donation statement of a campaign (捐赠公示), the page the working group posts or prints
// so everyone can see what was received and given:
//   HTML  a standalone printable page in Chinese (inline CSS with print styles, no external
//         resource): the title "<campaign> 捐赠公示", the totals (笔数, 资金, 物资折价 and the
//         goods per item, received and given), then one table per direction, oldest first
//         (日期, 捐赠方 / 受赠方, 类别, 物资, 数量, 金额（元）, 收据编号, 备注), and the
//         publisher's line. Every text from a request is escaped.
//   CSV   UTF-8 with a byte-order mark and CRLF line ends (Excel opens it with the Chinese text
//         intact): a header row, one row per donation, then the 合计 rows.
// Amounts are shown in yuan with two decimals, computed from the integer fen (200000 fen ->
// "2000.00"; the HTML groups thousands: "2,000.00"), never through floating point.
//
// Pure functions; thread-safe.
#ifndef LIANFANG_SERVICES_SUPPLIES_DONATION_STATEMENT_H_
#define LIANFANG_SERVICES_SUPPLIES_DONATION_STATEMENT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lianfang/supplies/v1/supplies.pb.h"

namespace lianfang::supplies {

// "2000.00" for 200000 fen, "0.05" for 5, "-1.50" for -150 (every int64 value, INT64_MIN
// included).
std::string FormatYuan(int64_t fen);
// As FormatYuan with thousands grouped: "1,234,567.89".
std::string FormatYuanGrouped(int64_t fen);

// What a statement shows.
struct DonationStatement {
  std::string campaign;
  // The campaign's donations, oldest first.
  std::vector<v1::Donation> donations;
  // Their totals (SumDonations of the same donations).
  v1::DonationTotals totals;
  // The catalogue, by code, for the names and units of goods (a code not in it is shown as
  // the code).
  std::map<std::string, v1::Item> items;
  // When the statement was made, and the time zone its dates are shown in.
  absl::Time generated_at;
  absl::TimeZone tz;
};

// The statement as a file: "donation-statement-YYYY-MM-DD.html" ("text/html; charset=utf-8")
// or ".csv" ("text/csv; charset=utf-8"), dated by generated_at. INVALID_ARGUMENT naming
// `format` unless it is HTML or CSV.
absl::StatusOr<v1::ExportFile> RenderDonationStatement(const DonationStatement& statement,
                                                       v1::StatementFormat format);

std::string RenderDonationStatementHtml(const DonationStatement& statement);
std::string RenderDonationStatementCsv(const DonationStatement& statement);

}  // namespace lianfang::supplies

#endif  // LIANFANG_SERVICES_SUPPLIES_DONATION_STATEMENT_H_
