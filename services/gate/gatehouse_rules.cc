#include "services/gate/gatehouse_rules.h"

#include <utility>

#include "common/auth/authorizer.h"
#include "common/time/timestamp.h"
#include "services/gate/gate_store.h"

namespace lianfang::gate {

absl::StatusOr<v1::Pass> PassAfterRevoke(const std::optional<v1::Pass>& pass,
                                         const auth::Principal& who, absl::Time now) {
  if (!pass.has_value()) return absl::NotFoundError("no pass has this pass_code");
  if (absl::Status s = auth::CheckSite(who, pass->site_id()); !s.ok()) return s;
  if (pass->revoked()) return absl::FailedPreconditionError("the pass is already revoked");
  v1::Pass out = *pass;
  out.set_revoked(true);
  *out.mutable_revoked_at() = time::ToTimestamp(now);
  return out;
}

bool HoldActive(const v1::Hold& hold, absl::Time at) {
  if (hold.released() && time::FromTimestamp(hold.released_at()) <= at) return false;
  return time::FromTimestamp(hold.until()) > at;
}

v1::Hold HoldAfterPlacing(const std::optional<v1::Hold>& existing, const HoldRequest& request,
                          absl::Time now) {
  v1::Hold hold;
  if (existing.has_value() && HoldActive(*existing, now)) {
    hold = *existing;
    if (request.until > time::FromTimestamp(hold.until()))
      *hold.mutable_until() = time::ToTimestamp(request.until);
    hold.set_reason(request.reason);
    return hold;
  }
  hold.set_person_key(request.person_key);
  hold.set_reason(request.reason);
  *hold.mutable_until() = time::ToTimestamp(request.until);
  *hold.mutable_placed_at() = time::ToTimestamp(now);
  hold.set_placed_by(request.placed_by);
  return hold;
}

absl::StatusOr<v1::Hold> HoldAfterRelease(const std::optional<v1::Hold>& hold, absl::Time now) {
  if (!hold.has_value()) return absl::NotFoundError("this person has no hold");
  if (!HoldActive(*hold, now)) {
    return absl::FailedPreconditionError("the hold has already ended or been released");
  }
  v1::Hold out = *hold;
  out.set_released(true);
  *out.mutable_released_at() = time::ToTimestamp(now);
  return out;
}

v1::Duty DutyProto(const CurrentDuty& duty, std::optional<absl::Time> ended_at) {
  v1::Duty out;
  out.set_site_id(duty.site_id);
  out.set_gate_id(duty.gate_id);
  out.set_guard(duty.guard);
  *out.mutable_started_at() = time::ToTimestamp(duty.started_at);
  if (ended_at.has_value()) *out.mutable_ended_at() = time::ToTimestamp(*ended_at);
  return out;
}

DutyStart PlanDutyStart(const std::optional<CurrentDuty>& at_gate,
                        const std::optional<CurrentDuty>& of_guard, absl::string_view guard) {
  DutyStart plan;
  if (at_gate.has_value() && at_gate->guard == guard) {
    plan.already_on_duty = true;
    return plan;
  }
  if (of_guard.has_value()) plan.to_end.push_back(*of_guard);
  if (at_gate.has_value()) plan.to_end.push_back(*at_gate);
  return plan;
}

absl::Status CheckDutyEnd(const std::optional<CurrentDuty>& at_gate, absl::string_view guard) {
  if (!at_gate.has_value() || at_gate->guard != guard) {
    return absl::FailedPreconditionError("you are not on duty at this gate");
  }
  return absl::OkStatus();
}

std::map<std::string, int64_t> UnguardedDelta(std::span<const CurrentDuty> ended,
                                              std::span<const CurrentDuty> started) {
  std::map<std::string, int64_t> delta;
  for (const CurrentDuty& d : ended) delta[d.site_id] += 1;
  for (const CurrentDuty& d : started) delta[d.site_id] -= 1;
  std::erase_if(delta, [](const auto& entry) { return entry.second == 0; });
  return delta;
}

DutyBoardPage DutyBoard(const sites::SiteDirectory& sites, const auth::Principal& who,
                        absl::string_view site_id, std::span<const CurrentDuty> duties,
                        int64_t offset, int size) {
  std::map<std::pair<std::string, std::string>, const CurrentDuty*> by_gate;
  for (const CurrentDuty& d : duties) by_gate[{d.site_id, d.gate_id}] = &d;
  DutyBoardPage page;
  int64_t index = 0;
  for (const sites::Site& site : sites.sites()) {
    if (!site_id.empty() ? site.id() != site_id : !who.MayActOnSite(site.id())) continue;
    for (const sites::Gate& gate : site.gates()) {
      if (index++ < offset) continue;
      if (static_cast<int>(page.gates.size()) == size) {
        page.more = true;
        return page;
      }
      v1::GateDuty& g = page.gates.emplace_back();
      g.set_site_id(site.id());
      g.set_gate_id(gate.id());
      g.set_gate_name(gate.name());
      auto it = by_gate.find({site.id(), gate.id()});
      if (it != by_gate.end()) {
        g.set_guard(it->second->guard);
        *g.mutable_on_duty_since() = time::ToTimestamp(it->second->started_at);
      }
    }
  }
  return page;
}

}  // namespace lianfang::gate
