#include "services/report/daily_report.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/request/request.h"
#include "common/server/errors.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace lianfang::report {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::EnumDescriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::Reflection;

int64_t Clamp(int64_t v, int64_t lo, int64_t hi) { return std::min(std::max(v, lo), hi); }

// Adds every singular integer field of `from` into `into` (same message type), saturating at
// the field's range. Strings (site_id), enums and repeated fields are left alone.
void AddIntFields(const Message& from, Message* into) {
  const Descriptor* descriptor = into->GetDescriptor();
  const Reflection* rf = from.GetReflection();
  const Reflection* ri = into->GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* f = descriptor->field(i);
    if (f->is_repeated()) continue;
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        ri->SetInt32(into, f,
                     static_cast<int32_t>(Clamp(
                         int64_t{ri->GetInt32(*into, f)} + rf->GetInt32(from, f),
                         std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max())));
        break;
      case FieldDescriptor::CPPTYPE_INT64: {
        const int64_t a = ri->GetInt64(*into, f);
        const int64_t b = rf->GetInt64(from, f);
        int64_t sum = 0;
        if (__builtin_add_overflow(a, b, &sum)) {
          sum = b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
        }
        ri->SetInt64(into, f, sum);
        break;
      }
      case FieldDescriptor::CPPTYPE_UINT32:
        ri->SetUInt32(into, f,
                      static_cast<uint32_t>(std::min<uint64_t>(
                          uint64_t{ri->GetUInt32(*into, f)} + rf->GetUInt32(from, f),
                          std::numeric_limits<uint32_t>::max())));
        break;
      case FieldDescriptor::CPPTYPE_UINT64: {
        uint64_t sum = 0;
        if (__builtin_add_overflow(ri->GetUInt64(*into, f), rf->GetUInt64(from, f), &sum)) {
          sum = std::numeric_limits<uint64_t>::max();
        }
        ri->SetUInt64(into, f, sum);
        break;
      }
      default:
        break;
    }
  }
}

// Figures that describe a standing state rather than events of the day: how many households
// and residents there are, who is inside, gates left without a guard, who is on duty. A day can
// have nothing to report (零报告) while they are not zero, so the zero check skips them.
bool IsStandingFigure(const FieldDescriptor* f) {
  static const auto* const kStanding = new std::set<std::string>{
      "peak_onsite",        "gates_without_guard_minutes", "households_total",
      "households_surveyed", "residents",                  "tenants_pending",
      "under_observation",  "health_reports_missing",      "volunteers_on_duty",
      "key_balances",       "low_stock_items"};
  return kStanding->contains(f->name());
}

// True when every integer field of `message` that counts events of the day (standing figures
// skipped), and of the messages it repeats, is zero.
bool AllEventsZero(const Message& message) {
  const Descriptor* descriptor = message.GetDescriptor();
  const Reflection* r = message.GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* f = descriptor->field(i);
    if (IsStandingFigure(f)) continue;
    if (f->is_repeated()) {
      if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
      for (int j = 0; j < r->FieldSize(message, f); ++j) {
        if (!AllEventsZero(r->GetRepeatedMessage(message, f, j))) return false;
      }
      continue;
    }
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        if (r->GetInt32(message, f) != 0) return false;
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        if (r->GetInt64(message, f) != 0) return false;
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        if (r->GetUInt32(message, f) != 0) return false;
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        if (r->GetUInt64(message, f) != 0) return false;
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        if (r->HasField(message, f) && !AllEventsZero(r->GetMessage(message, f))) return false;
        break;
      default:
        break;
    }
  }
  return true;
}

// Rebuilds denied_by_reason of `stats` as every reason of the enum (UNSPECIFIED excluded), in
// enum order, each with the sum of `counts` for it.
void SetReasons(const std::map<int, int64_t>& counts, gate::v1::DailyStats* stats) {
  stats->clear_denied_by_reason();
  const EnumDescriptor* reasons = gate::v1::DenyReason_descriptor();
  for (int i = 0; i < reasons->value_count(); ++i) {
    const int number = reasons->value(i)->number();
    if (number == gate::v1::DENY_REASON_UNSPECIFIED) continue;
    auto it = counts.find(number);
    const int64_t count = it == counts.end() ? 0 : it->second;
    gate::v1::DenyReasonCount* entry = stats->add_denied_by_reason();
    entry->set_reason(static_cast<gate::v1::DenyReason>(number));
    entry->set_count(static_cast<int32_t>(
        Clamp(count, 0, std::numeric_limits<int32_t>::max())));
  }
}

void AddReasons(const gate::v1::DailyStats& from, std::map<int, int64_t>* counts) {
  for (const gate::v1::DenyReasonCount& c : from.denied_by_reason()) {
    if (c.reason() == gate::v1::DENY_REASON_UNSPECIFIED) continue;
    (*counts)[c.reason()] += c.count();
  }
}

// One site's figures from a source's answer: the sum of its entries for `site_id` (normally
// exactly one), zeros when the source did not mention the site.
template <typename Stats, typename Response>
Stats FiguresOf(const Response& response, const std::string& site_id) {
  Stats out;
  out.set_site_id(site_id);
  for (const Stats& s : response.stats()) {
    if (s.site_id() == site_id) AddIntFields(s, &out);
  }
  return out;
}

gate::v1::DailyStats GateFiguresOf(const gate::v1::GetDailyStatsResponse& response,
                                   const std::string& site_id) {
  gate::v1::DailyStats out = FiguresOf<gate::v1::DailyStats>(response, site_id);
  std::map<int, int64_t> counts;
  for (const gate::v1::DailyStats& s : response.stats()) {
    if (s.site_id() == site_id) AddReasons(s, &counts);
  }
  SetReasons(counts, &out);
  return out;
}

// One site's supplies figures: the integer fields summed over the answer's entries for
// `site_id` (normally exactly one) and their key balances merged by item.
supplies::v1::DailyStats SuppliesFiguresOf(const supplies::v1::GetDailyStatsResponse& response,
                                           const std::string& site_id) {
  supplies::v1::DailyStats out = FiguresOf<supplies::v1::DailyStats>(response, site_id);
  out.set_date(response.date());
  std::vector<const supplies::v1::StockBalance*> balances;
  for (const supplies::v1::DailyStats& s : response.stats()) {
    if (s.site_id() != site_id) continue;
    for (const supplies::v1::StockBalance& b : s.key_balances()) balances.push_back(&b);
  }
  std::stable_sort(balances.begin(), balances.end(),
                   [](const auto* a, const auto* b) { return a->item_code() < b->item_code(); });
  for (const supplies::v1::StockBalance* b : balances) {
    const int n = out.key_balances_size();
    if (n > 0 && out.key_balances(n - 1).item_code() == b->item_code()) {
      // The same item twice (never from one lf-supplies): one balance of both.
      supplies::v1::StockBalance* into = out.mutable_key_balances(n - 1);
      into->set_quantity(into->quantity() + b->quantity());
      into->set_low(into->quantity() < into->min_stock());
      continue;
    }
    *out.add_key_balances() = *b;
  }
  return out;
}

// Adds the key balances of one site into the totals' (site_id "", per item by code).
void AddKeyBalances(const supplies::v1::DailyStats& site, supplies::v1::DailyStats* totals) {
  for (const supplies::v1::StockBalance& b : site.key_balances()) {
    supplies::v1::StockBalance* into = nullptr;
    for (supplies::v1::StockBalance& t : *totals->mutable_key_balances()) {
      if (t.item_code() == b.item_code()) into = &t;
    }
    if (into == nullptr) {
      into = totals->add_key_balances();
      into->set_item_code(b.item_code());
      into->set_item_name(b.item_name());
      into->set_unit(b.unit());
    }
    into->set_quantity(into->quantity() + b.quantity());
    into->set_min_stock(into->min_stock() + b.min_stock());
    into->set_low(into->quantity() < into->min_stock());
    if (!b.nearest_expiry().empty() &&
        (into->nearest_expiry().empty() || b.nearest_expiry() < into->nearest_expiry())) {
      into->set_nearest_expiry(b.nearest_expiry());
    }
  }
}

uint64_t Fnv1a64(absl::string_view text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

absl::StatusOr<Coverage> ResolveCoverage(const sites::SiteDirectory& directory,
                                         std::span<const std::string> site_ids) {
  server::FieldErrors errors;
  std::vector<std::string> ids;
  for (size_t i = 0; i < site_ids.size(); ++i) {
    const std::string field = absl::StrCat("site_ids[", i, "]");
    const std::string& id = site_ids[i];
    if (id.empty()) {
      errors.Add(field, "must not be empty");
    } else if (id.size() > kMaxFieldBytes) {
      errors.Add(field, "must be at most 256 bytes");
    } else if (directory.Find(id) == nullptr) {
      errors.Add(field, "unknown site");
    } else {
      ids.push_back(id);
    }
  }
  RETURN_IF_ERROR(errors.ToStatus());
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());

  Coverage coverage;
  if (ids.empty() || ids.size() == static_cast<size_t>(directory.sites().size())) {
    for (const sites::Site& site : directory.sites()) coverage.sites.push_back(&site);
    std::sort(coverage.sites.begin(), coverage.sites.end(),
              [](const sites::Site* a, const sites::Site* b) { return a->id() < b->id(); });
    return coverage;
  }
  for (const std::string& id : ids) coverage.sites.push_back(directory.Find(id));
  coverage.scope = absl::StrJoin(ids, ",");
  coverage.site_ids = std::move(ids);
  return coverage;
}

absl::StatusOr<absl::CivilDay> ParseReportDate(absl::string_view date, absl::CivilDay today,
                                               absl::string_view field) {
  if (date.size() > kMaxFieldBytes) {
    return server::InvalidField(field, "must be a date YYYY-MM-DD");
  }
  absl::StatusOr<absl::CivilDay> day = time::ParseDate(date);
  if (!day.ok()) return server::InvalidField(field, "must be a date YYYY-MM-DD");
  if (*day > today) return server::InvalidField(field, "must not be in the future");
  return *day;
}

absl::StatusOr<GenerateInput> ValidateGenerateRequest(
    const v1::GenerateDailyReportRequest& request, const sites::SiteDirectory& directory,
    absl::CivilDay today) {
  server::FieldErrors errors;
  request::CheckRequestId(errors, request.request_id());
  absl::StatusOr<absl::CivilDay> day = ParseReportDate(request.date(), today);
  errors.AddFromStatus("", day.status());
  std::vector<std::string> ids(request.site_ids().begin(), request.site_ids().end());
  absl::StatusOr<Coverage> coverage = ResolveCoverage(directory, ids);
  errors.AddFromStatus("", coverage.status());
  RETURN_IF_ERROR(errors.ToStatus());
  return GenerateInput{.day = *day, .date = time::FormatDate(*day), .coverage = *std::move(coverage)};
}

DailyReport MergeDailyReport(absl::string_view date, const Coverage& coverage,
                             const FetchedStats& fetched) {
  DailyReport report;
  report.set_date(std::string(date));
  for (const std::string& id : coverage.site_ids) report.add_site_ids(id);
  if (!fetched.gate.has_value()) report.add_incomplete_sources(kSourceGate);
  if (!fetched.survey.has_value()) report.add_incomplete_sources(kSourceSurvey);
  if (!fetched.dispatch.has_value()) report.add_incomplete_sources(kSourceDispatch);
  if (!fetched.supplies.has_value()) report.add_incomplete_sources(kSourceSupplies);

  SiteReport* totals = report.mutable_totals();
  totals->set_site_name(kTotalsName);
  std::map<int, int64_t> total_reasons;
  if (fetched.gate.has_value()) totals->mutable_gate();
  if (fetched.survey.has_value()) totals->mutable_survey();
  if (fetched.dispatch.has_value()) totals->mutable_dispatch();
  if (fetched.supplies.has_value()) {
    totals->mutable_supplies()->set_date(fetched.supplies->date());
    *report.mutable_donations() = fetched.supplies->donations();
  }

  for (const sites::Site* site : coverage.sites) {
    SiteReport* row = report.add_sites();
    row->set_site_id(site->id());
    row->set_site_name(site->name());
    row->set_site_kind(site->kind());
    if (fetched.gate.has_value()) {
      *row->mutable_gate() = GateFiguresOf(*fetched.gate, site->id());
      AddIntFields(row->gate(), totals->mutable_gate());
      AddReasons(row->gate(), &total_reasons);
    }
    if (fetched.survey.has_value()) {
      *row->mutable_survey() = FiguresOf<survey::v1::DailyStats>(*fetched.survey, site->id());
      AddIntFields(row->survey(), totals->mutable_survey());
    }
    if (fetched.dispatch.has_value()) {
      *row->mutable_dispatch() =
          FiguresOf<dispatch::v1::DailyStats>(*fetched.dispatch, site->id());
      AddIntFields(row->dispatch(), totals->mutable_dispatch());
    }
    if (fetched.supplies.has_value()) {
      *row->mutable_supplies() = SuppliesFiguresOf(*fetched.supplies, site->id());
      AddIntFields(row->supplies(), totals->mutable_supplies());
      AddKeyBalances(row->supplies(), totals->mutable_supplies());
    }
  }
  if (fetched.supplies.has_value()) {
    std::sort(totals->mutable_supplies()->mutable_key_balances()->begin(),
              totals->mutable_supplies()->mutable_key_balances()->end(),
              [](const auto& a, const auto& b) { return a.item_code() < b.item_code(); });
  }
  if (fetched.gate.has_value()) SetReasons(total_reasons, totals->mutable_gate());
  return report;
}

bool IsZeroSite(const SiteReport& site) {
  if (!site.has_gate() || !site.has_survey() || !site.has_dispatch() || !site.has_supplies()) {
    return false;
  }
  return AllEventsZero(site.gate()) && AllEventsZero(site.survey()) &&
         AllEventsZero(site.dispatch()) && AllEventsZero(site.supplies());
}

bool IsZeroReport(const DailyReport& report) {
  if (report.incomplete_sources_size() > 0) return false;
  if (!AllEventsZero(report.donations())) return false;
  for (const SiteReport& site : report.sites()) {
    if (!IsZeroSite(site)) return false;
  }
  return true;
}

absl::Status CheckSubmittable(const DailyReport& report, int latest_version) {
  if (report.status() == v1::REPORT_STATUS_SUBMITTED) {
    return absl::FailedPreconditionError(
        "the report is already submitted; to correct it, generate a new version and submit "
        "that");
  }
  if (report.incomplete_sources_size() > 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the report is incomplete (no figures from ", absl::StrJoin(report.incomplete_sources(), ", "),
        "); generate it again once every service answers"));
  }
  if (report.version() < latest_version) {
    return absl::FailedPreconditionError(
        "a newer version of this report exists; submit the newest version");
  }
  return absl::OkStatus();
}

std::string ReportIdFor(absl::string_view date, absl::string_view scope, int version) {
  std::string id = absl::StrCat(absl::StrReplaceAll(date, {{"-", ""}}), "-v", version);
  if (!scope.empty()) {
    absl::StrAppend(&id, "-", absl::StrFormat("%08x", Fnv1a64(scope) & 0xffffffffu));
  }
  return id;
}

absl::Time DeadlineOf(absl::CivilDay day, TimeOfDay deadline, absl::TimeZone tz) {
  const absl::CivilDay next = day + 1;
  return absl::FromCivil(
      absl::CivilMinute(next.year(), next.month(), next.day(), deadline.hour, deadline.minute),
      tz);
}

absl::CivilDay LastDueDay(absl::Time now, TimeOfDay deadline, absl::TimeZone tz) {
  absl::CivilDay day = absl::ToCivilDay(now, tz) - 1;
  if (!(DeadlineOf(day, deadline, tz) < now)) day -= 1;
  return day;
}

v1::GetReportingStatusResponse BuildReportingStatus(absl::string_view date,
                                                    const sites::SiteDirectory& directory,
                                                    std::span<const Submission> submissions,
                                                    absl::Time deadline, absl::Time now) {
  v1::GetReportingStatusResponse response;
  response.set_date(std::string(date));
  *response.mutable_deadline() = time::ToTimestamp(deadline);
  *response.mutable_as_of() = time::ToTimestamp(now);
  std::vector<const sites::Site*> sorted;
  for (const sites::Site& site : directory.sites()) sorted.push_back(&site);
  std::sort(sorted.begin(), sorted.end(),
            [](const sites::Site* a, const sites::Site* b) { return a->id() < b->id(); });
  for (const sites::Site* site : sorted) {
    v1::SiteReportingStatus* status = response.add_sites();
    status->set_site_id(site->id());
    status->set_site_name(site->name());
    const Submission* first = nullptr;
    const Submission* latest = nullptr;
    for (const Submission& s : submissions) {
      const bool covers =
          s.site_ids.empty() ||
          std::find(s.site_ids.begin(), s.site_ids.end(), site->id()) != s.site_ids.end();
      if (!covers) continue;
      if (first == nullptr || s.submitted_at < first->submitted_at) first = &s;
      if (latest == nullptr || s.submitted_at >= latest->submitted_at) latest = &s;
    }
    if (latest != nullptr) {
      status->set_submitted(true);
      status->set_report_id(latest->report_id);
      *status->mutable_submitted_at() = time::ToTimestamp(latest->submitted_at);
      status->set_state(first->submitted_at <= deadline ? v1::REPORTING_STATE_ON_TIME
                                                        : v1::REPORTING_STATE_LATE);
    } else {
      status->set_state(now > deadline ? v1::REPORTING_STATE_MISSING
                                       : v1::REPORTING_STATE_PENDING);
    }
  }
  return response;
}

}  // namespace lianfang::report
