// Shared test data for the report service tests: a small site directory and builders of the
// four sources' GetDailyStats answers. Test-only.
#ifndef LIANFANG_TESTS_SERVICES_REPORT_REPORT_FIXTURES_H_
#define LIANFANG_TESTS_SERVICES_REPORT_REPORT_FIXTURES_H_

#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "common/sites/site_directory.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"
#include "lianfang/gate/v1/gate.pb.h"
#include "lianfang/supplies/v1/supplies.pb.h"
#include "lianfang/survey/v1/survey.pb.h"
#include "services/report/daily_report.h"
#include "services/report/stats_sources.h"

namespace lianfang::report::testing {

// Three sites, listed out of id order on purpose: campus, village, family-area.
inline sites::SiteDirectory TestSites() {
  auto directory = sites::SiteDirectory::Parse(R"pb(
    sites {
      id: "campus"
      name: "党校校园"
      kind: SITE_KIND_CAMPUS
      gates { id: "east" name: "东大门" }
      policy { capacity: 100 }
    }
    sites {
      id: "village"
      name: "驻村扶贫村"
      kind: SITE_KIND_VILLAGE
      gates { id: "checkpoint-1" name: "村口卡点" }
    }
    sites {
      id: "family-area"
      name: "家属区"
      kind: SITE_KIND_FAMILY_AREA
      gates { id: "south" name: "南门" }
    }
  )pb");
  if (!directory.ok()) std::abort();
  return *std::move(directory);
}

inline gate::v1::DailyStats GateStats(const std::string& site, int entries, int exits, int denied,
                                      int fevers, int peak, int no_pass = 0) {
  gate::v1::DailyStats s;
  s.set_site_id(site);
  s.set_entries(entries);
  s.set_exits(exits);
  s.set_denied(denied);
  s.set_fevers(fevers);
  s.set_peak_onsite(peak);
  if (fevers > 0) {
    auto* r = s.add_denied_by_reason();
    r->set_reason(gate::v1::DENY_REASON_FEVER);
    r->set_count(fevers);
  }
  if (no_pass > 0) {
    auto* r = s.add_denied_by_reason();
    r->set_reason(gate::v1::DENY_REASON_NO_VALID_PASS);
    r->set_count(no_pass);
  }
  return s;
}

inline survey::v1::DailyStats SurveyStats(const std::string& site, int households, int surveyed,
                                          int residents, int reports, int missing) {
  survey::v1::DailyStats s;
  s.set_site_id(site);
  s.set_households_total(households);
  s.set_households_surveyed(surveyed);
  s.set_residents(residents);
  s.set_health_reports(reports);
  s.set_health_reports_missing(missing);
  return s;
}

inline dispatch::v1::DailyStats DispatchStats(const std::string& site, int created, int done,
                                              int overdue, int volunteers) {
  dispatch::v1::DailyStats s;
  s.set_site_id(site);
  s.set_tasks_created(created);
  s.set_tasks_done(done);
  s.set_tasks_overdue(overdue);
  s.set_volunteers_on_duty(volunteers);
  return s;
}

// A key item's balance at a site (low when below `min`).
inline supplies::v1::StockBalance Balance(const std::string& site, const std::string& code,
                                          const std::string& name, const std::string& unit,
                                          int64_t quantity, int64_t min,
                                          const std::string& nearest_expiry = "") {
  supplies::v1::StockBalance b;
  b.set_site_id(site);
  b.set_item_code(code);
  b.set_item_name(name);
  b.set_unit(unit);
  b.set_quantity(quantity);
  b.set_min_stock(min);
  b.set_low(quantity < min);
  b.set_nearest_expiry(nearest_expiry);
  return b;
}

inline supplies::v1::DailyStats SuppliesStats(const std::string& site, int receipts, int issues,
                                              int purchases, int rejections) {
  supplies::v1::DailyStats s;
  s.set_site_id(site);
  s.set_receipts(receipts);
  s.set_issues(issues);
  s.set_canteen_purchases(purchases);
  s.set_canteen_rejections(rejections);
  return s;
}

// A day with activity at the campus and the family area; the village is idle and every
// source leaves it out of its answer. Supplies: the campus is low on disinfectant, the family
// area on masks; two donations were received (1500 yuan of money among them).
inline FetchedStats BusyDay(const std::string& date) {
  FetchedStats f;
  f.gate.emplace();
  f.gate->set_date(date);
  *f.gate->add_stats() = GateStats("campus", 5, 3, 2, 1, 4, 1);
  *f.gate->add_stats() = GateStats("family-area", 2, 2, 0, 0, 2);
  f.survey.emplace();
  f.survey->set_date(date);
  *f.survey->add_stats() = SurveyStats("campus", 10, 8, 30, 25, 5);
  *f.survey->add_stats() = SurveyStats("family-area", 4, 4, 12, 12, 0);
  f.dispatch.emplace();
  f.dispatch->set_date(date);
  *f.dispatch->add_stats() = DispatchStats("campus", 3, 2, 1, 4);
  f.supplies.emplace();
  f.supplies->set_date(date);
  supplies::v1::DailyStats* campus = f.supplies->add_stats();
  *campus = SuppliesStats("campus", 1, 2, 3, 1);
  *campus->add_key_balances() =
      Balance("campus", "disinfectant-84", "84消毒液", "ml", 800, 1000, "2023-01-31");
  *campus->add_key_balances() = Balance("campus", "mask-n95", "N95口罩", "piece", 300, 100);
  campus->set_low_stock_items(1);
  supplies::v1::DailyStats* family = f.supplies->add_stats();
  *family = SuppliesStats("family-area", 0, 1, 0, 0);
  *family->add_key_balances() =
      Balance("family-area", "disinfectant-84", "84消毒液", "ml", 2000, 1000, "2022-12-31");
  *family->add_key_balances() = Balance("family-area", "mask-n95", "N95口罩", "piece", 50, 100);
  family->set_low_stock_items(1);
  f.supplies->mutable_donations()->set_received_count(2);
  f.supplies->mutable_donations()->set_received_money_fen(150000);
  return f;
}

// Every source answered, with nothing to report anywhere.
inline FetchedStats QuietDay(const std::string& date) {
  FetchedStats f;
  f.gate.emplace();
  f.gate->set_date(date);
  f.survey.emplace();
  f.survey->set_date(date);
  f.dispatch.emplace();
  f.dispatch->set_date(date);
  f.supplies.emplace();
  f.supplies->set_date(date);
  return f;
}

// DailyStatsSources answering from a settable FetchedStats, counting the fetches. Thread-safe.
class FakeSources final : public DailyStatsSources {
 public:
  void Set(FetchedStats stats) {
    absl::MutexLock lock(&mu_);
    stats_ = std::move(stats);
  }
  int fetches() const {
    absl::MutexLock lock(&mu_);
    return fetches_;
  }
  std::string last_date() const {
    absl::MutexLock lock(&mu_);
    return last_date_;
  }
  void Fetch(absl::string_view date, Done done) override {
    FetchedStats stats;
    {
      absl::MutexLock lock(&mu_);
      ++fetches_;
      last_date_ = std::string(date);
      stats = stats_;
    }
    done(std::move(stats));
  }

 private:
  mutable absl::Mutex mu_;
  FetchedStats stats_ ABSL_GUARDED_BY(mu_);
  int fetches_ ABSL_GUARDED_BY(mu_) = 0;
  std::string last_date_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lianfang::report::testing

#endif  // LIANFANG_TESTS_SERVICES_REPORT_REPORT_FIXTURES_H_
