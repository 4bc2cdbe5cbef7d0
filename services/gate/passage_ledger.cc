#include "services/gate/passage_ledger.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/outbox/outbox.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"
#include "services/gate/codes.h"
#include "services/gate/gate_store.h"

namespace lianfang::gate {
namespace {

std::string GateName(const sites::Site& site, absl::string_view gate_id) {
  for (const sites::Gate& gate : site.gates()) {
    if (gate.id() == gate_id) return gate.name();
  }
  return std::string(gate_id);
}

}  // namespace

std::string FeverTaskKey(absl::string_view passage_id) {
  return absl::StrCat("gate-fever-", passage_id);
}

dispatch::v1::CreateTaskRequest FeverTaskRequest(const v1::Passage& passage,
                                                 const sites::Site& site) {
  const std::string gate_name = GateName(site, passage.gate_id());
  const std::string temperature = absl::StrFormat("%.1f", passage.temperature_c());
  dispatch::v1::CreateTaskRequest request;
  request.set_request_id(FeverTaskKey(passage.passage_id()));
  request.set_auto_assign(true);
  dispatch::v1::Task* task = request.mutable_task();
  task->set_kind(dispatch::v1::TASK_KIND_FEVER_FOLLOWUP);
  task->set_priority(dispatch::v1::PRIORITY_URGENT);
  task->set_site_id(passage.site_id());
  task->set_location(absl::StrCat(site.name(), " ", gate_name));
  task->set_title(absl::StrCat("发热随访：", gate_name, " ", temperature, "℃"));
  task->set_details(
      absl::StrCat("入口测温 ", temperature, "℃（发热阈值 ",
                   absl::StrFormat("%.1f", sites::EffectiveFeverThreshold(site)),
                   "℃），已拒绝入内。请尽快联系本人随访、复测体温，必要时引导就医。通行记录：",
                   passage.passage_id()));
  task->set_person_key(passage.person_key());
  task->set_source_ref(passage.passage_id());
  *task->mutable_due_at() =
      time::ToTimestamp(time::FromTimestamp(passage.recorded_at()) + kFeverFollowUpWithin);
  return request;
}

PassageLedger::PassageLedger(const sites::SiteDirectory* sites, absl::TimeZone tz)
    : sites_(sites), tz_(tz) {}

void PassageLedger::AnnounceReads(sql::Session& session, const PassageInput& input,
                                  absl::Time now) const {
  if (!input.pass_code.empty()) {
    PrefetchPass(session, input.pass_code);  // the facts need the pass's person first
    return;
  }
  PrefetchPassageFacts(session, input.site_id, input.person_key, input.vehicle_plate,
                       input.captured_at.value_or(now));
}

absl::StatusOr<RecordedPassage> PassageLedger::Record(sql::Session& session,
                                                      const PassageInput& input,
                                                      absl::string_view guard,
                                                      absl::Time now) const {
  const sites::Site* site = sites_->Find(input.site_id);
  if (site == nullptr) return absl::InvalidArgumentError("unknown site");  // validated before

  v1::Passage passage;
  if (!input.pass_code.empty()) {
    ASSIGN_OR_RETURN(std::optional<v1::Pass> pass, FindPass(session, input.pass_code));
    if (!pass.has_value()) {
      return absl::NotFoundError("no pass has this pass_code; check the code or use the ID card");
    }
    passage.set_person_key(pass->person_key());
    passage.set_id_masked(pass->id_masked());
    passage.set_name_masked(pass->name_masked());
    passage.set_pass_code(input.pass_code);
  } else {
    passage.set_person_key(input.person_key);
    passage.set_id_masked(input.id_masked);
    passage.set_name_masked(input.name_masked);
  }
  const absl::Time at = input.captured_at.value_or(now);
  const absl::CivilDay day = time::DayOf(at, tz_);

  PassageQuery query{
      .direction = input.direction,
      .temperature_c = input.temperature_c,
      .has_vehicle = !input.vehicle_plate.empty(),
      .fever_threshold_c = sites::EffectiveFeverThreshold(*site),
      .outsiders_allowed = site->policy().outsiders_allowed(),
      .outside_vehicles_allowed = site->policy().outside_vehicles_allowed(),
      .capacity = site->policy().capacity(),
      .health_report_required = site->policy().health_report_required(),
      .today = time::FormatDate(day),
  };
  // The passage's seq comes with the facts, so that storing it waits for no answer (and with
  // AnnounceReads the facts come with the statement before).
  int64_t seq = 0;
  ASSIGN_OR_RETURN(const PassageFacts facts,
                   ReadPassageFacts(session, input.site_id, passage.person_key(),
                                    input.vehicle_plate, at, &seq));
  const Verdict verdict = DecidePassage(query, facts);

  if (!input.passage_id.empty()) {
    passage.set_passage_id(input.passage_id);
  } else {
    ASSIGN_OR_RETURN(std::string passage_id, NewPassageId(now));
    passage.set_passage_id(std::move(passage_id));
  }
  passage.set_site_id(input.site_id);
  passage.set_gate_id(input.gate_id);
  passage.set_direction(input.direction);
  passage.set_decision(verdict.decision);
  passage.set_deny_reason(verdict.deny_reason);
  for (v1::PassageWarning warning : verdict.warnings) passage.add_warnings(warning);
  passage.set_temperature_c(input.temperature_c);
  passage.set_vehicle_plate(input.vehicle_plate);
  *passage.mutable_captured_at() = time::ToTimestamp(at);
  *passage.mutable_recorded_at() = time::ToTimestamp(now);
  passage.set_guard(std::string(guard));
  passage.set_seq(seq);
  RETURN_IF_ERROR(StorePassage(session, passage));

  if (verdict.presence_changed()) {
    RETURN_IF_ERROR(SetPresence(session, passage, verdict.inside_after, now));
  }
  if (verdict.onsite_delta() != 0) {
    RETURN_IF_ERROR(SetOnsite(session, input.site_id, verdict.onsite_after));
  }
  RecordedPassage out;
  out.day = day;
  RETURN_IF_ERROR(
      CountPassage(session, input.site_id, time::FormatDate(out.day), input.direction, verdict));

  if (verdict.fever()) {
    const dispatch::v1::CreateTaskRequest task = FeverTaskRequest(passage, *site);
    RETURN_IF_ERROR(outbox::Enqueue(session,
                                    {.destination = kDispatchDestination,
                                     .method = kCreateTaskMethod,
                                     .idempotency_key = task.request_id(),
                                     .payload = task.SerializeAsString()},
                                    now));
    out.fever_task_queued = true;
  }

  *out.response.mutable_passage() = std::move(passage);
  out.response.set_onsite(static_cast<int32_t>(verdict.onsite_after));
  out.verdict = verdict;
  return out;
}

}  // namespace lianfang::gate
