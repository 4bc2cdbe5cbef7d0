// The passage ledger: records one passage inside the caller's write transaction — resolves
// the person (ID card or pass code), decides with the rules of passage_rules.h over the SQL
// facts, stores the passage, moves presence and the site's onsite count, adds it to the day's
// counters and, for a fever, queues the follow-up task for dispatch in the transactional
// outbox. Either all of that commits or none of it.
//
// The fever follow-up is a lianfang.dispatch.v1 CreateTaskRequest (TASK_KIND_FEVER_FOLLOWUP,
// PRIORITY_URGENT, due two hours after recording, auto_assign) whose request_id is
// FeverTaskKey(passage_id): derived from the passage, so redelivery never makes a second
// task. It carries the person_key and no clear personal data.
//
// Thread-safety: immutable after construction; Record may run on any thread with its own
// session (in practice the database's writer thread).
#ifndef LIANFANG_SERVICES_GATE_PASSAGE_LEDGER_H_
#define LIANFANG_SERVICES_GATE_PASSAGE_LEDGER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"
#include "lianfang/gate/v1/gate.pb.h"
#include "services/gate/passage_rules.h"
#include "services/gate/validation.h"

namespace lianfang::gate {

// Where fever follow-ups go (outbox destination and method).
inline constexpr char kDispatchDestination[] = "dispatch";
inline constexpr char kCreateTaskMethod[] = "/lianfang.dispatch.v1.DispatchService/CreateTask";
// How long dispatch has to follow a fever up.
inline constexpr absl::Duration kFeverFollowUpWithin = absl::Hours(2);

// What recording a passage did, for the work after the commit.
struct RecordedPassage {
  v1::RecordPassageResponse response;
  Verdict verdict;
  // The calendar day the passage counts for (its captured_at day).
  absl::CivilDay day;
  // True when a fever follow-up was queued in the outbox.
  bool fever_task_queued = false;
};

// "gate-fever-<passage_id>": the dispatch request_id of a passage's fever follow-up.
std::string FeverTaskKey(absl::string_view passage_id);

// The CreateTask request raised by a fever `passage` at `site`.
dispatch::v1::CreateTaskRequest FeverTaskRequest(const v1::Passage& passage,
                                                 const sites::Site& site);

class PassageLedger final {
 public:
  // `sites` is not owned and must outlive the ledger; `tz` decides the day of a passage.
  PassageLedger(const sites::SiteDirectory* sites, absl::TimeZone tz);

  // Records `input` (validated) by `guard` (token subject) at `now` (recorded_at) in
  // `session`'s transaction, under `input.passage_id` (a NewPassageId(now) drawn here when
  // empty). Returns the stored passage and the site's onsite after it.
  // NOT_FOUND naming pass_code when no pass has the code; statement errors otherwise (the
  // caller's transaction then rolls back everything of this passage).
  absl::StatusOr<RecordedPassage> Record(sql::Session& session, const PassageInput& input,
                                         absl::string_view guard, absl::Time now) const;
  // Announces (sql::Session::Prefetch) the first read Record will make of `input` at `now`:
  // the facts of a passage by ID card, the pass of one by pass_code (its facts need the pass's
  // person). Call it in the same transaction, before Record.
  void AnnounceReads(sql::Session& session, const PassageInput& input, absl::Time now) const;

 private:
  const sites::SiteDirectory* sites_;
  const absl::TimeZone tz_;
};

}  // namespace lianfang::gate

#endif  // LIANFANG_SERVICES_GATE_PASSAGE_LEDGER_H_
