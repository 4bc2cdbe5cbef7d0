#include "services/survey/gap_rules.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"

namespace lianfang::survey {
namespace {

// dispatch's limit on every task string (services/dispatch/validation.h).
constexpr size_t kMaxTaskText = 256;

std::string Compact(absl::CivilDay day) {
  return absl::StrFormat("%04d%02d%02d", day.year(), day.month(), day.day());
}

// The longest prefix of `s` of at most `max` bytes that does not cut a UTF-8 character.
std::string Utf8Prefix(absl::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return std::string(s.substr(0, end));
}

std::string ClockText(absl::Time t, absl::TimeZone tz) { return absl::FormatTime("%H:%M", t, tz); }

int Tenths(double celsius) { return static_cast<int>(std::lround(celsius * 10)); }

}  // namespace

std::string MissingReportsKey(absl::string_view household_id, absl::CivilDay day) {
  return absl::StrCat("survey-missing-reports-", household_id, "-", Compact(day));
}

std::string TenantVerificationKey(absl::string_view resident_id) {
  return absl::StrCat("survey-tenant-verification-", resident_id);
}

absl::Time MissingReportsCheckTime(const sites::SitePolicy& policy, absl::CivilDay day,
                                   absl::TimeZone tz) {
  int minute = sites::MissingReportsCheckMinute(policy);
  if (minute < 0) minute = sites::ParseTimeOfDay(sites::kDefaultMissingReportsCheckAt);
  return absl::FromCivil(
      absl::CivilMinute(day.year(), day.month(), day.day(), minute / 60, minute % 60), tz);
}

std::vector<GapTask> MissingReportTasks(const MissingReportsCheck& check) {
  std::map<std::string, std::vector<const MissingResident*>> by_household;
  for (const MissingResident& r : check.missing) by_household[r.household_id].push_back(&r);
  const std::string date = time::FormatDate(check.day);
  std::vector<GapTask> out;
  for (const auto& [household_id, residents] : by_household) {
    dispatch::v1::CreateTaskRequest request;
    request.set_request_id(MissingReportsKey(household_id, check.day));
    request.set_auto_assign(true);
    dispatch::v1::Task& task = *request.mutable_task();
    task.set_kind(dispatch::v1::TASK_KIND_DOOR_TO_DOOR_SURVEY);
    task.set_site_id(check.site_id);
    const auto address = check.addresses.find(household_id);
    const std::string where = address == check.addresses.end() ? "" : address->second;
    task.set_location(Utf8Prefix(where, kMaxTaskText));
    task.set_title(Utf8Prefix(
        absl::StrCat("健康报告未报上门督促（", date, "）", where.empty() ? "" : "：", where),
        kMaxTaskText));
    // "截至10:00仍有3人未报2026-03-10健康报告：王*明、李*。请上门或电话提醒补报，了解健康状况。"
    // With as many names as fit in dispatch's limit; the rest as "等N人".
    const std::string head = absl::StrCat("截至", ClockText(check.check_time, check.tz), "仍有",
                                          residents.size(), "人未报", date, "健康报告：");
    const std::string tail = "。请上门或电话提醒补报，了解健康状况。";
    std::string details;
    for (size_t shown = residents.size(); shown > 0; --shown) {
      std::vector<std::string> names;
      for (size_t i = 0; i < shown; ++i) {
        names.push_back(residents[i]->name_masked.empty() ? "（未留姓名）"
                                                          : residents[i]->name_masked);
      }
      details = absl::StrCat(
          head, absl::StrJoin(names, "、"),
          shown < residents.size() ? absl::StrCat("等", residents.size(), "人") : "", tail);
      if (details.size() <= kMaxTaskText) break;
    }
    task.set_details(Utf8Prefix(details, kMaxTaskText));
    task.set_priority(dispatch::v1::PRIORITY_NORMAL);
    *task.mutable_due_at() = time::ToTimestamp(check.now + kMissingReportsDue);
    task.set_source_ref(absl::StrCat("survey.missing_reports/", household_id, "/", date));
    out.push_back({household_id, std::move(request)});
  }
  return out;
}

bool TenantOverdue(absl::Time registered_at, int days, absl::Time now) {
  return now - registered_at > absl::Hours(24) * days;
}

dispatch::v1::CreateTaskRequest TenantVerificationTask(const PendingTenant& tenant, int days,
                                                       absl::Time now, absl::TimeZone tz) {
  dispatch::v1::CreateTaskRequest request;
  request.set_request_id(TenantVerificationKey(tenant.resident_id));
  request.set_auto_assign(true);
  dispatch::v1::Task& task = *request.mutable_task();
  task.set_kind(dispatch::v1::TASK_KIND_TENANT_VERIFICATION);
  task.set_site_id(tenant.site_id);
  task.set_location(Utf8Prefix(tenant.address, kMaxTaskText));
  task.set_title(Utf8Prefix(absl::StrCat("租户待核验超过", days, "天",
                                         tenant.address.empty() ? "" : "：", tenant.address),
                            kMaxTaskText));
  task.set_details(
      Utf8Prefix(absl::StrCat("租户", tenant.name_masked.empty() ? "" : tenant.name_masked, "于",
                              time::DateOf(tenant.registered_at, tz), "登记，至今仍待核验。",
                              "请上门核验身份与租住情况，并在摸排中记录核验结果。"),
                 kMaxTaskText));
  task.set_priority(dispatch::v1::PRIORITY_NORMAL);
  *task.mutable_due_at() = time::ToTimestamp(now + kTenantVerificationDue);
  task.set_person_key(tenant.person_key);
  task.set_source_ref(absl::StrCat("survey.tenant_verification/", tenant.resident_id));
  return request;
}

std::vector<v1::ReportFlag> RoteReportFlags(const std::vector<ReportRow>& rows, absl::CivilDay day,
                                            size_t limit) {
  std::vector<v1::ReportFlag> flags;
  const absl::CivilDay first = day - (kSameTemperatureDays - 1);

  // The same temperature to the tenth on each of the 7 days ending on `day`.
  struct Days {
    std::map<absl::CivilDay, int> tenths;
    std::string name_masked;
  };
  std::map<std::string, Days> people;
  for (const ReportRow& r : rows) {
    if (r.date < first || r.date > day) continue;
    Days& d = people[r.person_key];
    d.tenths[r.date] = Tenths(r.temperature_c);
    d.name_masked = r.name_masked;
  }
  for (const auto& [person_key, d] : people) {
    if (static_cast<int>(d.tenths.size()) < kSameTemperatureDays) continue;
    const int t = d.tenths.begin()->second;
    if (!std::all_of(d.tenths.begin(), d.tenths.end(),
                     [t](const auto& e) { return e.second == t; })) {
      continue;
    }
    v1::ReportFlag& f = flags.emplace_back();
    f.set_kind(v1::ReportFlag::KIND_SAME_TEMPERATURE);
    f.set_person_key(person_key);
    f.set_name_masked(d.name_masked);
    f.set_detail(absl::StrFormat("连续%d天体温均为%.1f℃", kSameTemperatureDays, t / 10.0));
  }

  // Every report of a household that day (at least 3) within 60 seconds.
  struct Span {
    std::set<std::string> people;
    absl::Time first = absl::InfiniteFuture();
    absl::Time last = absl::InfinitePast();
  };
  std::map<std::string, Span> households;
  std::map<std::string, std::set<std::string>> accounts;
  for (const ReportRow& r : rows) {
    if (r.date != day) continue;
    Span& s = households[r.household_id];
    s.people.insert(r.person_key);
    s.first = std::min(s.first, r.submitted_at);
    s.last = std::max(s.last, r.submitted_at);
    if (!r.submitted_by.empty()) accounts[r.submitted_by].insert(r.household_id);
  }
  for (const auto& [household_id, s] : households) {
    if (static_cast<int>(s.people.size()) < kHouseholdAtOnceMinReports) continue;
    if (s.last - s.first > kHouseholdAtOnceWindow) continue;
    v1::ReportFlag& f = flags.emplace_back();
    f.set_kind(v1::ReportFlag::KIND_HOUSEHOLD_AT_ONCE);
    f.set_household_id(household_id);
    f.set_detail(absl::StrFormat("全户%d人的当日报告在%d秒内提交", s.people.size(),
                                 static_cast<int>(absl::ToInt64Seconds(s.last - s.first))));
  }

  // One account submitting for 5 households or more.
  for (const auto& [account, homes] : accounts) {
    if (static_cast<int>(homes.size()) < kOneAccountMinHouseholds) continue;
    v1::ReportFlag& f = flags.emplace_back();
    f.set_kind(v1::ReportFlag::KIND_ONE_ACCOUNT_MANY_HOUSEHOLDS);
    f.set_submitted_by(account);
    f.set_detail(absl::StrFormat("同一账号当日为%d户提交健康报告", homes.size()));
  }
  if (flags.size() > limit) flags.resize(limit);
  return flags;
}

}  // namespace lianfang::survey
