#include "services/gate/gate_figures.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "common/redis/keys.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"

namespace lianfang::gate {
namespace {

constexpr v1::DenyReason kReasons[] = {v1::DENY_REASON_FEVER,
                                       v1::DENY_REASON_NO_VALID_PASS,
                                       v1::DENY_REASON_UNDER_OBSERVATION,
                                       v1::DENY_REASON_VEHICLE_NOT_ALLOWED,
                                       v1::DENY_REASON_SITE_FULL,
                                       v1::DENY_REASON_NO_HEALTH_REPORT};

int32_t Narrow(int64_t v) {
  return static_cast<int32_t>(std::clamp<int64_t>(v, 0, std::numeric_limits<int32_t>::max()));
}

}  // namespace

absl::StatusOr<live::Snapshot> ReadLiveSnapshot(sql::Session& session,
                                                const sites::SiteDirectory& sites,
                                                absl::CivilDay today) {
  ASSIGN_OR_RETURN(auto onsite, AllOnsite(session));
  ASSIGN_OR_RETURN(std::vector<CurrentDuty> duties, AllCurrentDuties(session));
  ASSIGN_OR_RETURN(auto day, FiguresOfDay(session, time::FormatDate(today)));
  std::set<std::pair<std::string, std::string>> guarded;
  for (const CurrentDuty& d : duties) guarded.insert({d.site_id, d.gate_id});

  live::Snapshot snapshot;
  for (const sites::Site& site : sites.sites()) {
    live::SiteFigures& f = snapshot[site.id()];
    int64_t unguarded = 0;
    for (const sites::Gate& gate : site.gates()) {
      if (!guarded.contains({site.id(), gate.id()})) ++unguarded;
    }
    auto it = onsite.find(site.id());
    f.live[redis::kFieldOnsite] = it == onsite.end() ? 0 : it->second;
    f.live[redis::kFieldGatesWithoutGuard] = unguarded;
    auto d = day.find(site.id());
    const DayFigures figures = d == day.end() ? DayFigures{} : d->second;
    f.today[redis::kFieldEntries] = figures.entries;
    f.today[redis::kFieldExits] = figures.exits;
    f.today[redis::kFieldDenied] = figures.denied;
    f.today[redis::kFieldFevers] = figures.fevers;
  }
  return snapshot;
}

live::SnapshotFn MakeSnapshotFn(const sites::SiteDirectory* sites) {
  return [sites](sql::Session& session, absl::CivilDay today) {
    return ReadLiveSnapshot(session, *sites, today);
  };
}

live::Delta PassageDelta(v1::Direction direction, const Verdict& verdict, absl::CivilDay day) {
  live::Delta delta;
  delta.day = day;
  if (verdict.onsite_delta() != 0) {
    delta.live.push_back({redis::kFieldOnsite, verdict.onsite_delta()});
  }
  if (verdict.admitted()) {
    delta.today.push_back(
        {direction == v1::DIRECTION_ENTRY ? redis::kFieldEntries : redis::kFieldExits, 1});
  } else {
    delta.today.push_back({redis::kFieldDenied, 1});
    if (verdict.fever()) delta.today.push_back({redis::kFieldFevers, 1});
  }
  return delta;
}

absl::StatusOr<v1::Occupancy> ReadOccupancy(sql::Session& session, const sites::Site& site,
                                            absl::Time now, absl::TimeZone tz) {
  ASSIGN_OR_RETURN(int64_t onsite, Onsite(session, site.id()));
  ASSIGN_OR_RETURN(std::optional<DayFigures> today,
                   SiteFiguresOfDay(session, site.id(), time::DateOf(now, tz)));
  const DayFigures figures = today.value_or(DayFigures{});
  v1::Occupancy out;
  out.set_site_id(site.id());
  out.set_onsite(Narrow(onsite));
  out.set_entries_today(Narrow(figures.entries));
  out.set_exits_today(Narrow(figures.exits));
  out.set_denied_today(Narrow(figures.denied));
  out.set_fevers_today(Narrow(figures.fevers));
  *out.mutable_as_of() = time::ToTimestamp(now);
  out.set_capacity(site.policy().capacity());
  return out;
}

absl::StatusOr<v1::DailyStats> ReadDailyStats(sql::Session& session, const sites::Site& site,
                                              absl::CivilDay day, absl::Time now,
                                              absl::TimeZone tz) {
  v1::DailyStats out;
  out.set_site_id(site.id());
  for (v1::DenyReason reason : kReasons) {
    v1::DenyReasonCount* c = out.add_denied_by_reason();
    c->set_reason(reason);
    c->set_count(0);
  }
  if (day > time::DayOf(now, tz)) return out;  // nothing has happened yet

  const std::string date = time::FormatDate(day);
  ASSIGN_OR_RETURN(std::optional<DayFigures> figures, SiteFiguresOfDay(session, site.id(), date));
  ASSIGN_OR_RETURN(int64_t carried, OnsiteCarriedInto(session, site.id(), date));
  int64_t peak = carried;
  if (figures.has_value()) {
    out.set_entries(Narrow(figures->entries));
    out.set_exits(Narrow(figures->exits));
    out.set_denied(Narrow(figures->denied));
    out.set_fevers(Narrow(figures->fevers));
    for (v1::DenyReasonCount& c : *out.mutable_denied_by_reason()) {
      auto it = figures->denied_by_reason.find(c.reason());
      if (it != figures->denied_by_reason.end()) c.set_count(Narrow(it->second));
    }
    peak = std::max(peak, figures->peak_onsite);
  }
  out.set_peak_onsite(Narrow(peak));

  const absl::Time start = time::StartOfDay(day, tz);
  const absl::Time end = std::min(time::EndOfDay(day, tz), now);
  if (end > start) {
    ASSIGN_OR_RETURN(std::vector<DutyInterval> duties,
                     DutiesOverlapping(session, site.id(), start, end));
    std::vector<std::string> gates;
    for (const sites::Gate& gate : site.gates()) gates.push_back(gate.id());
    out.set_gates_without_guard_minutes(Narrow(UnguardedMinutes(gates, duties, start, end)));
  }
  return out;
}

int64_t UnguardedMinutes(const std::vector<std::string>& gate_ids,
                         const std::vector<DutyInterval>& duties, absl::Time start,
                         absl::Time end) {
  if (end <= start) return 0;
  absl::Duration unguarded;
  for (const std::string& gate : gate_ids) {
    std::vector<std::pair<absl::Time, absl::Time>> spans;
    for (const DutyInterval& d : duties) {
      if (d.gate_id != gate) continue;
      const absl::Time from = std::max(d.started_at, start);
      const absl::Time to = std::min(d.ended_at.value_or(absl::InfiniteFuture()), end);
      if (to > from) spans.push_back({from, to});
    }
    std::sort(spans.begin(), spans.end());
    absl::Duration covered;
    absl::Time reach = start;  // covered time so far ends here
    for (const auto& [from, to] : spans) {
      if (to <= reach) continue;
      covered += to - std::max(from, reach);
      reach = to;
    }
    unguarded += (end - start) - covered;
  }
  return absl::ToInt64Minutes(unguarded);
}

}  // namespace lianfang::gate
