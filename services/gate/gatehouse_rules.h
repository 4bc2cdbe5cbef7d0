// The rules of passes, holds and guard duty, free of SQL and gRPC (the passage rules are in
// passage_rules.h). The core (gatehouse.h) reads the records, asks these functions what
// follows, and writes the answer back.
//
//   ASSIGN_OR_RETURN(v1::Hold released, HoldAfterRelease(FindHold(...), now));
//   DutyStart start = PlanDutyStart(at_gate, of_guard, guard);
//
// Every function is pure and thread-safe.
#ifndef LIANFANG_SERVICES_GATE_GATEHOUSE_RULES_H_
#define LIANFANG_SERVICES_GATE_GATEHOUSE_RULES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/sites/site_directory.h"
#include "lianfang/gate/v1/gate.pb.h"

namespace lianfang::gate {

// ---- Passes --------------------------------------------------------------------------------

// `pass` (as stored, or nullopt when no pass has the code) once `who` revokes it at `now`.
// NOT_FOUND when there is no pass, PERMISSION_DENIED when its site is outside `who`'s token,
// FAILED_PRECONDITION when it is already revoked.
absl::StatusOr<v1::Pass> PassAfterRevoke(const std::optional<v1::Pass>& pass,
                                         const auth::Principal& who, absl::Time now);

// ---- Holds ---------------------------------------------------------------------------------

// True when `hold` is in force at `at`: not released by then, and ending after it.
bool HoldActive(const v1::Hold& hold, absl::Time at);

// A hold being placed.
struct HoldRequest {
  std::string person_key;
  std::string reason;
  absl::Time until;
  std::string placed_by;  // token subject
};

// The person's hold once `request` is placed at `now` over `existing` (nullopt: never held).
// A hold on someone already held extends the active one (never shortens it) and takes the new
// reason; otherwise a new hold starts at `now` (replacing an ended or released one).
v1::Hold HoldAfterPlacing(const std::optional<v1::Hold>& existing, const HoldRequest& request,
                          absl::Time now);

// `hold` once released at `now`. NOT_FOUND when the person was never held,
// FAILED_PRECONDITION when the hold has already ended or been released.
absl::StatusOr<v1::Hold> HoldAfterRelease(const std::optional<v1::Hold>& hold, absl::Time now);

// ---- Duty ----------------------------------------------------------------------------------

// A duty in progress.
struct CurrentDuty {
  int64_t duty_id = 0;
  std::string site_id;
  std::string gate_id;
  std::string guard;
  absl::Time started_at;
};

// The Duty message of `duty`, ended at `ended_at` when given.
v1::Duty DutyProto(const CurrentDuty& duty, std::optional<absl::Time> ended_at);

// What a guard taking a gate does.
struct DutyStart {
  // The guard is already on duty at this gate: nothing changes (the reply is that duty).
  bool already_on_duty = false;
  // Duties to end first: the guard's own elsewhere (a guard is at one gate at a time), then
  // the one at this gate (handover: the guard taking a gate relieves the one there).
  std::vector<CurrentDuty> to_end;
};

// The plan of `guard` starting at a gate whose duty is `at_gate`, while the guard's own duty
// is `of_guard` (nullopt: none).
DutyStart PlanDutyStart(const std::optional<CurrentDuty>& at_gate,
                        const std::optional<CurrentDuty>& of_guard, absl::string_view guard);

// OK when `guard` is the one on duty at the gate (`at_gate`); FAILED_PRECONDITION otherwise.
absl::Status CheckDutyEnd(const std::optional<CurrentDuty>& at_gate, absl::string_view guard);

// Site -> change of its number of gates without a guard, after `ended` duties ended and
// `started` ones started (sites whose number does not change are left out).
std::map<std::string, int64_t> UnguardedDelta(std::span<const CurrentDuty> ended,
                                              std::span<const CurrentDuty> started);

// The duty board: every gate of the directory's sites (only `site_id` when not empty, else
// every site `who` may act on), ordered as the directory lists them, each with its guard
// from `duties` or none; the page of `size` gates from position `offset`. `more` is set when
// gates follow the page.
struct DutyBoardPage {
  std::vector<v1::GateDuty> gates;
  bool more = false;
};
DutyBoardPage DutyBoard(const sites::SiteDirectory& sites, const auth::Principal& who,
                        absl::string_view site_id, std::span<const CurrentDuty> duties,
                        int64_t offset, int size);

}  // namespace lianfang::gate

#endif  // LIANFANG_SERVICES_GATE_GATEHOUSE_RULES_H_
