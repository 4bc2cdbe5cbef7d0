#include "services/survey/survey_live.h"

#include <set>
#include <string>
#include <utility>

#include "common/redis/keys.h"
#include "common/status/status_macros.h"

namespace lianfang::survey {

absl::StatusOr<live::Snapshot> SurveySnapshot(sql::Session& session, absl::CivilDay today,
                                              absl::TimeZone tz,
                                              const sites::SiteDirectory& sites) {
  SurveyStore store;
  ASSIGN_OR_RETURN(auto figures, store.CoverageOfAll(session, today, time::EndOfDay(today, tz)));
  for (const std::string& id : sites.ids()) figures.try_emplace(id);
  live::Snapshot snapshot;
  for (const auto& [site, c] : figures) {
    live::SiteFigures& f = snapshot[site];
    f.live = {{redis::kFieldHouseholdsTotal, c.households_total},
              {redis::kFieldHouseholdsSurveyed, c.households_surveyed},
              {redis::kFieldResidents, c.residents},
              {redis::kFieldTenantsTotal, c.tenants_total},
              {redis::kFieldTenantsVerified, c.tenants_verified},
              {redis::kFieldTenantsPending, c.tenants_pending},
              {redis::kFieldUnderObservation, c.under_observation}};
    f.today = {{redis::kFieldReports, c.reports_today},
               {redis::kFieldReportsMissing, c.reports_missing_today}};
  }
  return snapshot;
}

SurveyLive::SurveyLive(redis::Client* redis, sql::Database* db, const sites::SiteDirectory* sites,
                       const time::Clock* clock, absl::TimeZone tz, Options options)
    : clock_(clock),
      tz_(tz),
      options_(options),
      counts_(
          redis::kSurvey, sites->ids(), redis, db, clock, tz,
          [sites, tz](sql::Session& session, absl::CivilDay today) {
            return SurveySnapshot(session, today, tz, *sites);
          },
          options.counts),
      day_(time::DayOf(clock->Now(), tz)) {}

SurveyLive::~SurveyLive() { Stop(); }

void SurveyLive::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (running_) return;
    running_ = true;
    stopping_ = false;
    day_ = time::DayOf(clock_->Now(), tz_);
  }
  counts_.Start();
  watcher_ = std::thread([this] { WatchDay(); });
}

void SurveyLive::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!running_) return;
    stopping_ = true;
  }
  watcher_.join();
  counts_.Stop();
  absl::MutexLock lock(&mu_);
  running_ = false;
}

void SurveyLive::WatchDay() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.day_check_interval);
    if (stopping_) break;
    const absl::CivilDay now = time::DayOf(clock_->Now(), tz_);
    if (now != day_) {
      day_ = now;
      counts_.RequestReconcile();
    }
  }
}

void SurveyLive::Publish(const CommitEffects& effects) {
  {
    // The first commit of a new day: today's hash must start from the SQL truth (the missing
    // count does not start at zero), so reconcile; the increments queued before the
    // reconcile's snapshot are overwritten by it, never counted twice.
    absl::MutexLock lock(&mu_);
    if (effects.day > day_) {
      day_ = effects.day;
      counts_.RequestReconcile();
    }
  }
  std::set<std::string> sites;
  for (const auto& [site, fields] : effects.live) sites.insert(site);
  for (const auto& [site, fields] : effects.today) sites.insert(site);
  for (const std::string& site : sites) {
    live::Delta delta;
    delta.day = effects.day;
    if (auto it = effects.live.find(site); it != effects.live.end()) {
      for (const auto& [field, n] : it->second) {
        if (n != 0) delta.live.emplace_back(field, n);
      }
    }
    if (auto it = effects.today.find(site); it != effects.today.end()) {
      for (const auto& [field, n] : it->second) {
        if (n != 0) delta.today.emplace_back(field, n);
      }
    }
    counts_.Apply(site, std::move(delta));
  }
}

}  // namespace lianfang::survey
