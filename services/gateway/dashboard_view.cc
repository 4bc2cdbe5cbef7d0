#include "services/gateway/dashboard_view.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/auth/authorizer.h"
#include "common/redis/keys.h"
#include "common/server/errors.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace lianfang::gateway {
namespace {

int32_t Clamp(int64_t v) {
  return static_cast<int32_t>(std::clamp<int64_t>(v, std::numeric_limits<int32_t>::min(),
                                                  std::numeric_limits<int32_t>::max()));
}

// A hash field as a count. Redis holds what the services wrote with HINCRBY or the
// reconciler: decimal integers. Anything else (a foreign write) reads as 0 rather than
// breaking the whole dashboard.
int32_t Field(const std::map<std::string, std::string>& hash, const char* name) {
  const auto it = hash.find(name);
  if (it == hash.end()) return 0;
  int64_t value = 0;
  if (!absl::SimpleAtoi(it->second, &value)) return 0;
  return Clamp(value);
}

// More ids than any directory holds is a malformed request, not a long list of unknowns.
constexpr size_t kMaxRequestedSites = 256;

template <typename Ids>
absl::StatusOr<std::vector<std::string>> Select(const sites::SiteDirectory& directory,
                                                const auth::Principal& principal,
                                                const Ids& requested) {
  std::set<std::string> chosen;
  if (requested.empty()) {
    for (const sites::Site& site : directory.sites()) {
      if (principal.MayActOnSite(site.id())) chosen.insert(site.id());
    }
    return std::vector<std::string>(chosen.begin(), chosen.end());
  }
  if (static_cast<size_t>(requested.size()) > kMaxRequestedSites) {
    return server::InvalidField("site_ids", absl::StrCat("at most ", kMaxRequestedSites,
                                                         " site ids may be given"));
  }
  server::FieldErrors errors;
  int index = 0;
  for (const std::string& id : requested) {
    if (directory.Find(id) == nullptr) {
      // The id is not echoed: it is caller input of any length.
      errors.Add(absl::StrCat("site_ids[", index, "]"), "unknown site");
    }
    ++index;
  }
  if (!errors.empty()) return errors.ToStatus();
  for (const std::string& id : requested) {
    if (absl::Status s = auth::CheckSite(principal, id); !s.ok()) return s;
    chosen.insert(id);
  }
  return std::vector<std::string>(chosen.begin(), chosen.end());
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SelectSites(
    const sites::SiteDirectory& directory, const auth::Principal& principal,
    const google::protobuf::RepeatedPtrField<std::string>& requested) {
  return Select(directory, principal, requested);
}

absl::StatusOr<std::vector<std::string>> SelectSites(const sites::SiteDirectory& directory,
                                                     const auth::Principal& principal,
                                                     const std::vector<std::string>& requested) {
  return Select(directory, principal, requested);
}

SiteLive EmptySiteLive(const sites::Site& site) {
  SiteLive live;
  live.set_site_id(site.id());
  live.set_name(site.name());
  live.set_kind(site.kind());
  live.set_capacity(site.policy().capacity());
  return live;
}

SiteLive SiteLiveFromHashes(const sites::Site& site, const SiteHashes& h) {
  SiteLive live = EmptySiteLive(site);
  live.set_onsite(Field(h.gate_live, redis::kFieldOnsite));
  live.set_gates_without_guard(Field(h.gate_live, redis::kFieldGatesWithoutGuard));
  live.set_entries_today(Field(h.gate_day, redis::kFieldEntries));
  live.set_exits_today(Field(h.gate_day, redis::kFieldExits));
  live.set_denied_today(Field(h.gate_day, redis::kFieldDenied));
  live.set_fevers_today(Field(h.gate_day, redis::kFieldFevers));

  live.set_households_total(Field(h.survey_live, redis::kFieldHouseholdsTotal));
  live.set_households_surveyed(Field(h.survey_live, redis::kFieldHouseholdsSurveyed));
  live.set_residents(Field(h.survey_live, redis::kFieldResidents));
  live.set_tenants_pending(Field(h.survey_live, redis::kFieldTenantsPending));
  live.set_under_observation(Field(h.survey_live, redis::kFieldUnderObservation));
  live.set_reports_today(Field(h.survey_day, redis::kFieldReports));
  live.set_reports_missing_today(Field(h.survey_day, redis::kFieldReportsMissing));

  live.set_tasks_open(Field(h.dispatch_live, redis::kFieldTasksOpen));
  live.set_tasks_in_progress(Field(h.dispatch_live, redis::kFieldTasksInProgress));
  live.set_tasks_overdue(Field(h.dispatch_live, redis::kFieldTasksOverdue));
  live.set_volunteers_on_duty(Field(h.dispatch_live, redis::kFieldVolunteersOnDuty));
  live.set_volunteers_overworked(Field(h.dispatch_live, redis::kFieldVolunteersOverworked));
  live.set_tasks_done_today(Field(h.dispatch_day, redis::kFieldTasksDone));
  return live;
}

SiteLive Totals(const google::protobuf::RepeatedPtrField<SiteLive>& sites) {
  // Every int32 count of SiteLive is summed through reflection, so a count added to the
  // message later is totalled without touching this function. Capacity is not a count.
  SiteLive totals;
  const google::protobuf::Descriptor* descriptor = SiteLive::descriptor();
  const google::protobuf::Reflection* reflection = SiteLive::GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_INT32 ||
        field->is_repeated() || field->number() == SiteLive::kCapacityFieldNumber) {
      continue;
    }
    int64_t sum = 0;
    for (const SiteLive& site : sites) sum += reflection->GetInt32(site, field);
    reflection->SetInt32(&totals, field, Clamp(sum));
  }
  int64_t capacity = 0;
  bool bounded = !sites.empty();
  for (const SiteLive& site : sites) {
    if (site.capacity() <= 0) bounded = false;
    capacity += site.capacity();
  }
  totals.set_capacity(bounded ? Clamp(capacity) : 0);
  return totals;
}

Dashboard ViewOf(const Dashboard& full, const std::vector<std::string>& site_ids) {
  Dashboard view;
  *view.mutable_as_of() = full.as_of();
  view.set_source(full.source());
  *view.mutable_services() = full.services();
  view.set_date(full.date());
  *view.mutable_incomplete_sources() = full.incomplete_sources();
  const std::set<std::string> wanted(site_ids.begin(), site_ids.end());
  for (const SiteLive& site : full.sites()) {
    if (wanted.count(site.site_id()) > 0) *view.add_sites() = site;
  }
  *view.mutable_totals() = Totals(view.sites());
  return view;
}

}  // namespace lianfang::gateway
