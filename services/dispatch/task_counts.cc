#include "services/dispatch/task_counts.h"

#include <map>
#include <optional>

#include "common/redis/keys.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"

namespace lianfang::dispatch {
namespace {

// What one task counts for: live fields, and (day, field) pairs.
struct Contribution {
  std::map<std::string, int64_t> live;
  std::map<std::pair<absl::CivilDay, std::string>, int64_t> days;
};

void Add(const TaskRow& t, int64_t sign, absl::Time now, absl::TimeZone tz, Contribution* c) {
  if (t.status == v1::TASK_STATUS_OPEN) c->live[redis::kFieldTasksOpen] += sign;
  if (t.status == v1::TASK_STATUS_IN_PROGRESS) c->live[redis::kFieldTasksInProgress] += sign;
  if (IsOverdue(t.status, t.due_at, now)) c->live[redis::kFieldTasksOverdue] += sign;
  c->days[{time::DayOf(t.created_at, tz), redis::kFieldTasksCreated}] += sign;
  if (t.status == v1::TASK_STATUS_DONE && t.completed_at.has_value()) {
    c->days[{time::DayOf(*t.completed_at, tz), redis::kFieldTasksDone}] += sign;
  }
  if (t.kind == v1::TASK_KIND_DISINFECTION && t.due_at.has_value()) {
    const absl::CivilDay due_day = time::DayOf(*t.due_at, tz);
    if (t.status != v1::TASK_STATUS_CANCELLED) {
      c->days[{due_day, redis::kFieldDisinfectionPlanned}] += sign;
    }
    if (t.status == v1::TASK_STATUS_DONE) {
      c->days[{due_day, redis::kFieldDisinfectionDone}] += sign;
    }
  }
}

}  // namespace

std::vector<SiteDelta> TaskDeltas(const TaskRow* before, const TaskRow& after, absl::Time now,
                                  absl::TimeZone tz) {
  Contribution c;
  if (before != nullptr) Add(*before, -1, now, tz, &c);
  Add(after, +1, now, tz, &c);

  std::map<absl::CivilDay, live::Delta> by_day;
  for (const auto& [key, n] : c.days) {
    if (n == 0) continue;
    live::Delta& d = by_day[key.first];
    d.day = key.first;
    d.today.emplace_back(key.second, n);
  }
  std::vector<std::pair<std::string, int64_t>> live_changes;
  for (const auto& [field, n] : c.live) {
    if (n != 0) live_changes.emplace_back(field, n);
  }
  if (!live_changes.empty()) {
    const absl::CivilDay today = time::DayOf(now, tz);
    live::Delta& d = by_day[today];
    d.day = today;
    d.live = std::move(live_changes);
  }
  std::vector<SiteDelta> out;
  for (auto& [day, delta] : by_day) out.emplace_back(after.site_id, std::move(delta));
  return out;
}

std::vector<SiteDelta> DutyDeltas(const std::vector<std::string>& team_sites, int64_t change,
                                  absl::Time now, absl::TimeZone tz) {
  std::vector<SiteDelta> out;
  if (change == 0) return out;
  for (const std::string& site : team_sites) {
    live::Delta d;
    d.day = time::DayOf(now, tz);
    d.live.emplace_back(redis::kFieldVolunteersOnDuty, change);
    out.emplace_back(site, std::move(d));
  }
  return out;
}

absl::StatusOr<live::Snapshot> ReadSnapshot(const DispatchStore& store, sql::Session& session,
                                            const std::vector<std::string>& site_ids,
                                            absl::CivilDay today, absl::TimeZone tz,
                                            absl::Time now) {
  ASSIGN_OR_RETURN(auto live_figures, store.LiveFigures(session, now));
  ASSIGN_OR_RETURN(auto day_figures, store.DayFigures(session, time::StartOfDay(today, tz),
                                                      time::EndOfDay(today, tz), now));
  live::Snapshot snapshot;
  auto fill = [&](const std::string& site) {
    const SiteTaskFigures l = live_figures.count(site) ? live_figures[site] : SiteTaskFigures{};
    const SiteDayFigures d = day_figures.count(site) ? day_figures[site] : SiteDayFigures{};
    live::SiteFigures& f = snapshot[site];
    f.live = {{redis::kFieldTasksOpen, l.open},
              {redis::kFieldTasksInProgress, l.in_progress},
              {redis::kFieldTasksOverdue, l.overdue},
              {redis::kFieldVolunteersOnDuty, l.volunteers_on_duty}};
    f.today = {{redis::kFieldTasksCreated, d.created},
               {redis::kFieldTasksDone, d.done},
               {redis::kFieldDisinfectionPlanned, d.disinfection_planned},
               {redis::kFieldDisinfectionDone, d.disinfection_done}};
  };
  for (const std::string& site : site_ids) fill(site);
  // Sites no longer in the directory but still holding tasks are written too, so Redis never
  // keeps stale figures for them.
  for (const auto& [site, unused] : live_figures) fill(site);
  for (const auto& [site, unused] : day_figures) fill(site);
  return snapshot;
}

}  // namespace lianfang::dispatch
