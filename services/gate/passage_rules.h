// The admission rules of a gate (API.md, RecordPassage), free of gRPC and SQL.
//
// DecidePassage applies the rules in their fixed order, the first match deciding:
//   1. FEVER               an entry with a temperature at or above the site's threshold;
//   2. NO_VALID_PASS       the site forbids outsiders and the person holds no valid pass for it;
//   3. UNDER_OBSERVATION   an exit of a person under an active observation hold;
//   4. VEHICLE_NOT_ALLOWED a vehicle not registered for the site while the site forbids
//                          outside vehicles;
//   5. SITE_FULL           an entry that would raise `onsite` while onsite >= capacity > 0;
//   6. NO_HEALTH_REPORT    an entry of a person the gate knows as expected to file a daily
//                          health report whose last report is not of the passage's day, at a
//                          site whose policy sets health_report_required.
// Otherwise the passage is admitted. Rules 2 and 4 hold for entries and exits alike (a revoked
// pass is refused whichever way it is shown); rules 1, 5 and 6 concern entries, rule 3 exits.
// An admitted entry of a person rule 6 describes, at a site without health_report_required,
// carries PASSAGE_WARNING_NO_HEALTH_REPORT_TODAY in Verdict::warnings (the same fact, only a
// warning).
//
// Presence is per person: an admitted entry of someone already inside, or an admitted exit of
// someone not inside, is recorded but leaves `onsite` unchanged. For the same reason rule 5
// does not refuse a person the records already count as inside (admitting them cannot raise
// the count).
//
// The rules decide over PassageFacts, a plain value: everything a decision may depend on,
// read beforehand in one statement (gate_store.h, ReadPassageFacts) whatever the rules end up
// needing. A fact a rule does not reach leaves the verdict alone.
#ifndef LIANFANG_SERVICES_GATE_PASSAGE_RULES_H_
#define LIANFANG_SERVICES_GATE_PASSAGE_RULES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "lianfang/gate/v1/gate.pb.h"

namespace lianfang::gate {

// What the rules know about the passing person, the vehicle and the site, at the passage's
// time (gate_store.h reads it in the passage's transaction; tests set it by hand).
struct PassageFacts {
  // Whether the person holds a pass for this site valid at the passage's time.
  bool has_valid_pass = false;
  // Whether the person is under an observation hold at the passage's time.
  bool under_hold = false;
  // Whether the passage's vehicle is registered for this site.
  bool vehicle_registered = false;
  // Whether the records count the person as inside the site now.
  bool inside = false;
  // People inside the site now.
  int64_t onsite = 0;
  // Whether survey noted the person as expected to file a daily health report
  // (NoteHealthReports), and the day of their last report ("YYYY-MM-DD"; empty when never).
  bool health_report_expected = false;
  std::string last_report_date{};
};

// The passage as the rules see it.
struct PassageQuery {
  v1::Direction direction = v1::DIRECTION_UNSPECIFIED;
  // Degrees Celsius; 0 when none was taken (exits).
  double temperature_c = 0;
  // True when the person came with a vehicle.
  bool has_vehicle = false;
  // The site's policy (threshold already normalised: never 0).
  double fever_threshold_c = 37.3;
  bool outsiders_allowed = false;
  bool outside_vehicles_allowed = false;
  int64_t capacity = 0;  // 0 = unlimited
  bool health_report_required = false;
  // The passage's day ("YYYY-MM-DD", its captured time in the deployment's time zone).
  std::string today{};
};

// The decision and what it does to presence.
struct Verdict {
  v1::Decision decision = v1::DECISION_UNSPECIFIED;
  v1::DenyReason deny_reason = v1::DENY_REASON_UNSPECIFIED;
  // The person's presence before and after the passage (after == before unless it moved).
  bool inside_before = false;
  bool inside_after = false;
  // People inside the site before and after the passage (after - before is -1, 0 or +1).
  int64_t onsite_before = 0;
  int64_t onsite_after = 0;
  // Warnings of an admitted passage (empty when denied).
  std::vector<v1::PassageWarning> warnings{};

  bool admitted() const { return decision == v1::DECISION_ADMITTED; }
  bool fever() const { return deny_reason == v1::DENY_REASON_FEVER; }
  bool presence_changed() const { return inside_before != inside_after; }
  int64_t onsite_delta() const { return onsite_after - onsite_before; }
};

// True when `facts` say the person owes a health report for `today` (expected to report, and
// the last report is not of that day).
bool MissesHealthReport(const PassageFacts& facts, const std::string& today);

// Applies the rules (see the file comment). Pure and thread-safe.
// REQUIRES: query.direction is DIRECTION_ENTRY or DIRECTION_EXIT.
Verdict DecidePassage(const PassageQuery& query, const PassageFacts& facts);

}  // namespace lianfang::gate

#endif  // LIANFANG_SERVICES_GATE_PASSAGE_RULES_H_
