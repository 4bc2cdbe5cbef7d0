#include "services/gate/passage_rules.h"

#include "common/status/status_macros.h"

namespace lianfang::gate {

absl::StatusOr<Verdict> DecidePassage(const PassageQuery& query, PassageFacts& facts) {
  const bool entry = query.direction == v1::DIRECTION_ENTRY;
  Verdict verdict;
  // The reply always carries `onsite`, so this one is read whatever the outcome.
  ASSIGN_OR_RETURN(verdict.onsite_before, facts.Onsite());
  verdict.onsite_after = verdict.onsite_before;

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
  if (!query.outsiders_allowed) {
    ASSIGN_OR_RETURN(bool has_pass, facts.HasValidPass());
    if (!has_pass) return deny(v1::DENY_REASON_NO_VALID_PASS);
  }
  // 3. Exit under an observation hold.
  if (!entry) {
    ASSIGN_OR_RETURN(bool held, facts.UnderHold());
    if (held) return deny(v1::DENY_REASON_UNDER_OBSERVATION);
  }
  // 4. Unregistered vehicle where outside vehicles are forbidden.
  if (query.has_vehicle && !query.outside_vehicles_allowed) {
    ASSIGN_OR_RETURN(bool registered, facts.VehicleRegistered());
    if (!registered) return deny(v1::DENY_REASON_VEHICLE_NOT_ALLOWED);
  }
  ASSIGN_OR_RETURN(verdict.inside_before, facts.Inside());
  verdict.inside_after = verdict.inside_before;
  // 5. Site full: only an entry that would raise the count is refused.
  if (entry && !verdict.inside_before && query.capacity > 0 &&
      verdict.onsite_before >= query.capacity) {
    return deny(v1::DENY_REASON_SITE_FULL);
  }

  verdict.decision = v1::DECISION_ADMITTED;
  verdict.inside_after = entry;
  if (verdict.inside_after != verdict.inside_before) {
    verdict.onsite_after = verdict.onsite_before + (entry ? 1 : -1);
    if (verdict.onsite_after < 0) verdict.onsite_after = 0;  // never below zero
  }
  return verdict;
}

}  // namespace lianfang::gate
