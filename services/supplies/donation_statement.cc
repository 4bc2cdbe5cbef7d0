#include "services/supplies/donation_statement.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/csv/csv.h"
#include "common/server/errors.h"
#include "common/text/text.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"

namespace lianfang::supplies {
namespace {

using text::HtmlEscape;

// The whole yuan and the fen of `fen`, as digits, with the sign apart.
struct YuanParts {
  bool negative;
  std::string whole;
  std::string cents;
};

YuanParts Split(int64_t fen) {
  const bool negative = fen < 0;
  // The magnitude in unsigned arithmetic, so INT64_MIN has one too.
  const uint64_t magnitude =
      negative ? ~static_cast<uint64_t>(fen) + 1 : static_cast<uint64_t>(fen);
  const uint64_t cents = magnitude % 100;
  return {negative, absl::StrCat(magnitude / 100), absl::StrCat(cents < 10 ? "0" : "", cents)};
}

std::string GroupThousands(const std::string& digits) {
  std::string out;
  const size_t n = digits.size();
  for (size_t i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

const char* DirectionLabel(v1::DonationDirection d) {
  return d == v1::DONATION_DIRECTION_RECEIVED ? "接收" : "对外捐赠";
}

const char* KindLabel(v1::DonationKind k) { return k == v1::DONATION_KIND_MONEY ? "资金" : "物资"; }

std::string ItemName(const DonationStatement& s, const std::string& code) {
  auto it = s.items.find(code);
  return it == s.items.end() ? code : it->second.name();
}

std::string ItemUnit(const DonationStatement& s, const std::string& code) {
  auto it = s.items.find(code);
  return it == s.items.end() ? "" : it->second.unit();
}

std::string DateOf(const DonationStatement& s, const google::protobuf::Timestamp& ts) {
  return time::DateOf(time::FromTimestamp(ts), s.tz);
}

std::string Title(const DonationStatement& s) { return absl::StrCat(s.campaign, " 捐赠公示"); }

// "84消毒液 100瓶、N95口罩 2000个"; "—" when none.
std::string GoodsLine(const google::protobuf::RepeatedPtrField<v1::ItemQuantity>& goods) {
  if (goods.empty()) return "—";
  std::vector<std::string> parts;
  for (const v1::ItemQuantity& g : goods) {
    parts.push_back(absl::StrCat(g.item_name().empty() ? g.item_code() : g.item_name(), " ",
                                 g.quantity(), g.unit()));
  }
  return absl::StrJoin(parts, "、");
}

constexpr char kStyle[] = R"css(
  @page { size: A4 portrait; margin: 14mm; }
  * { box-sizing: border-box; }
  body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
         "SimSun", sans-serif; color: #111; margin: 24px auto; max-width: 1000px; padding: 0 16px;
         line-height: 1.5; }
  h1 { font-size: 22px; text-align: center; margin: 0 0 8px; }
  h2 { font-size: 16px; margin: 20px 0 6px; border-left: 4px solid #b71c1c; padding-left: 8px; }
  .meta { text-align: center; color: #333; margin: 0 0 12px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { border: 1px solid #555; padding: 4px 6px; text-align: left; }
  th { background: #eceff1; text-align: center; }
  td.num { text-align: right; white-space: nowrap; }
  td.none { text-align: center; color: #555; }
  .sign { margin-top: 28px; text-align: right; }
  .sign p { margin: 4px 0; }
  @media print {
    body { margin: 0; max-width: none; padding: 0; font-size: 11pt; }
    h2 { break-after: avoid; page-break-after: avoid; }
    tr { break-inside: avoid; page-break-inside: avoid; }
    thead { display: table-header-group; }
    th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  }
)css";

void AppendDetailTable(std::string& out, const DonationStatement& s,
                       v1::DonationDirection direction) {
  const bool received = direction == v1::DONATION_DIRECTION_RECEIVED;
  absl::StrAppend(&out, "<table>\n<thead><tr><th>序号</th><th>日期</th><th>",
                  received ? "捐赠方" : "受赠方",
                  "</th><th>类别</th><th>物资</th><th>数量</th><th>金额（元）</th>"
                  "<th>收据编号</th><th>备注</th></tr></thead>\n<tbody>\n");
  int n = 0;
  for (const v1::Donation& d : s.donations) {
    if (d.direction() != direction) continue;
    const bool goods = d.kind() == v1::DONATION_KIND_IN_KIND;
    absl::StrAppend(&out, "<tr><td class=\"num\">", ++n, "</td><td>", DateOf(s, d.recorded_at()),
                    "</td><td>", HtmlEscape(d.donor_or_recipient()), "</td><td>",
                    KindLabel(d.kind()), "</td><td>",
                    goods ? HtmlEscape(ItemName(s, d.item_code())) : "", "</td><td class=\"num\">",
                    goods ? HtmlEscape(absl::StrCat(d.quantity(), ItemUnit(s, d.item_code()))) : "",
                    "</td><td class=\"num\">", FormatYuanGrouped(d.amount_fen()), "</td><td>",
                    HtmlEscape(d.receipt_no()), "</td><td>", HtmlEscape(d.note()), "</td></tr>\n");
  }
  if (n == 0) absl::StrAppend(&out, "<tr><td class=\"none\" colspan=\"9\">无</td></tr>\n");
  absl::StrAppend(&out, "</tbody>\n</table>\n");
}

std::string FileName(const DonationStatement& s, absl::string_view extension) {
  return absl::StrCat("donation-statement-", time::DateOf(s.generated_at, s.tz), ".", extension);
}

}  // namespace

std::string FormatYuan(int64_t fen) {
  const YuanParts p = Split(fen);
  return absl::StrCat(p.negative ? "-" : "", p.whole, ".", p.cents);
}

std::string FormatYuanGrouped(int64_t fen) {
  const YuanParts p = Split(fen);
  return absl::StrCat(p.negative ? "-" : "", GroupThousands(p.whole), ".", p.cents);
}

std::string RenderDonationStatementHtml(const DonationStatement& s) {
  const v1::DonationTotals& t = s.totals;
  const std::string title = HtmlEscape(Title(s));
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
      title, "</title>\n<style>", kStyle, "</style>\n</head>\n<body>\n<h1>", title, "</h1>\n");
  absl::StrAppend(&out, "<p class=\"meta\">捐赠项目：", HtmlEscape(s.campaign), "　统计截至：",
                  HtmlEscape(absl::FormatTime("%Y-%m-%d %H:%M", s.generated_at, s.tz)), "</p>\n");

  absl::StrAppend(&out,
                  "<h2>一、合计</h2>\n<table>\n<thead><tr><th>项目</th><th>笔数</th>"
                  "<th>资金（元）</th><th>物资折价（元）</th><th>物资数量</th></tr></thead>\n"
                  "<tbody>\n");
  absl::StrAppend(&out, "<tr><td>接收捐赠</td><td class=\"num\">", t.received_count(),
                  "</td><td class=\"num\">", FormatYuanGrouped(t.received_money_fen()),
                  "</td><td class=\"num\">", FormatYuanGrouped(t.received_goods_value_fen()),
                  "</td><td>", HtmlEscape(GoodsLine(t.received_goods())), "</td></tr>\n");
  absl::StrAppend(&out, "<tr><td>对外捐赠</td><td class=\"num\">", t.given_count(),
                  "</td><td class=\"num\">", FormatYuanGrouped(t.given_money_fen()),
                  "</td><td class=\"num\">", FormatYuanGrouped(t.given_goods_value_fen()),
                  "</td><td>", HtmlEscape(GoodsLine(t.given_goods())), "</td></tr>\n");
  absl::StrAppend(&out, "</tbody>\n</table>\n");

  absl::StrAppend(&out, "<h2>二、接收捐赠明细</h2>\n");
  AppendDetailTable(out, s, v1::DONATION_DIRECTION_RECEIVED);
  absl::StrAppend(&out, "<h2>三、对外捐赠明细</h2>\n");
  AppendDetailTable(out, s, v1::DONATION_DIRECTION_GIVEN);

  absl::StrAppend(&out, "<div class=\"sign\">\n<p>联防联控工作组</p>\n<p>公示日期：",
                  time::DateOf(s.generated_at, s.tz), "</p>\n</div>\n</body>\n</html>\n");
  return out;
}

std::string RenderDonationStatementCsv(const DonationStatement& s) {
  csv::Writer out;
  out.Row({"序号", "方向", "日期", "捐赠方/受赠方", "类别", "物资", "数量", "单位", "金额（元）",
           "收据编号", "备注"});
  int n = 0;
  for (v1::DonationDirection direction :
       {v1::DONATION_DIRECTION_RECEIVED, v1::DONATION_DIRECTION_GIVEN}) {
    for (const v1::Donation& d : s.donations) {
      if (d.direction() != direction) continue;
      const bool goods = d.kind() == v1::DONATION_KIND_IN_KIND;
      out.Row({absl::StrCat(++n), DirectionLabel(direction), DateOf(s, d.recorded_at()),
               text::SpreadsheetText(d.donor_or_recipient()), KindLabel(d.kind()),
               goods ? text::SpreadsheetText(ItemName(s, d.item_code())) : "",
               goods ? absl::StrCat(d.quantity()) : "", goods ? ItemUnit(s, d.item_code()) : "",
               FormatYuan(d.amount_fen()), text::SpreadsheetText(d.receipt_no()),
               text::SpreadsheetText(d.note())});
    }
  }
  const v1::DonationTotals& t = s.totals;
  auto totals_rows = [&](v1::DonationDirection direction, int32_t count, int64_t money,
                         int64_t goods_value,
                         const google::protobuf::RepeatedPtrField<v1::ItemQuantity>& goods) {
    const char* label = DirectionLabel(direction);
    out.Row({"合计", label, "", absl::StrCat("共", count, "笔"), "资金", "", "", "",
             FormatYuan(money), "", ""});
    out.Row({"合计", label, "", "", "物资折价", "", "", "", FormatYuan(goods_value), "", ""});
    for (const v1::ItemQuantity& g : goods) {
      out.Row({"合计", label, "", "", "物资", g.item_name().empty() ? g.item_code() : g.item_name(),
               absl::StrCat(g.quantity()), g.unit(), "", "", ""});
    }
  };
  totals_rows(v1::DONATION_DIRECTION_RECEIVED, t.received_count(), t.received_money_fen(),
              t.received_goods_value_fen(), t.received_goods());
  totals_rows(v1::DONATION_DIRECTION_GIVEN, t.given_count(), t.given_money_fen(),
              t.given_goods_value_fen(), t.given_goods());
  return std::move(out).Take();
}

absl::StatusOr<v1::ExportFile> RenderDonationStatement(const DonationStatement& statement,
                                                       v1::StatementFormat format) {
  v1::ExportFile file;
  switch (format) {
    case v1::STATEMENT_FORMAT_HTML:
      file.set_filename(FileName(statement, "html"));
      file.set_content_type("text/html; charset=utf-8");
      file.set_content(RenderDonationStatementHtml(statement));
      return file;
    case v1::STATEMENT_FORMAT_CSV:
      file.set_filename(FileName(statement, "csv"));
      file.set_content_type(csv::kContentType);
      file.set_content(RenderDonationStatementCsv(statement));
      return file;
    default:
      return server::InvalidField("format", "must be HTML or CSV");
  }
}

}  // namespace lianfang::supplies
