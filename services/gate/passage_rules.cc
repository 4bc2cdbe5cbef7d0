#include "services/gate/passage_rules.h"

namespace lianfang::gate {

bool MissesHealthReport(const PassageFacts& facts, const std::string& today) {
  return facts.health_report_expected && facts.last_report_date != today;
}

Verdict DecidePassage(const PassageQuery& query, const PassageFacts& facts) {
  const bool entry = query.direction == v1::DIRECTION_ENTRY;
  Verdict verdict;
  verdict.onsite_before = facts.onsite;
  verdict.onsite_after = verdict.onsite_before;
  verdict.inside_before = facts.inside;
  verdict.inside_after = facts.inside;

  auto deny = [&verdict](v1::DenyReason reason) {
    verdict.decision = v1::DECISION_DENIED;
    verdict.deny_reason = reason;
    return verdict;
  };

  // 1. Fever on entry.
  if (entry && query.temperature_c >= query.fever_threshold_c) {
    return deny(v1::DENY_REASON_FEVER);
  }
  // 2. No valid pass where outsiders are forbidden.
  if (!query.outsiders_allowed && !facts.has_valid_pass) {
    return deny(v1::DENY_REASON_NO_VALID_PASS);
  }
  // 3. Exit under an observation hold.
  if (!entry && facts.under_hold) return deny(v1::DENY_REASON_UNDER_OBSERVATION);
  // 4. Unregistered vehicle where outside vehicles are forbidden.
  if (query.has_vehicle && !query.outside_vehicles_allowed && !facts.vehicle_registered) {
    return deny(v1::DENY_REASON_VEHICLE_NOT_ALLOWED);
  }
  // 5. Site full: only an entry that would raise the count is refused.
  if (entry && !verdict.inside_before && query.capacity > 0 &&
      verdict.onsite_before >= query.capacity) {
    return deny(v1::DENY_REASON_SITE_FULL);
  }
  // 6. No health report today where the site requires one (elsewhere a warning, below).
  const bool misses_report = entry && MissesHealthReport(facts, query.today);
  if (misses_report && query.health_report_required) {
    return deny(v1::DENY_REASON_NO_HEALTH_REPORT);
  }

  verdict.decision = v1::DECISION_ADMITTED;
  verdict.inside_after = entry;
  if (misses_report) verdict.warnings.push_back(v1::PASSAGE_WARNING_NO_HEALTH_REPORT_TODAY);
  if (verdict.inside_after != verdict.inside_before) {
    verdict.onsite_after = verdict.onsite_before + (entry ? 1 : -1);
    if (verdict.onsite_after < 0) verdict.onsite_after = 0;  // never below zero
  }
  return verdict;
}

}  // namespace lianfang::gate
