// The passages of every gate replica, for WatchPassages on PostgreSQL.
//
// Several gate processes (replicas) may share one PostgreSQL database. Each passage's write
// transaction raises a notification on kPassageChannel (NotifyPassage); PostgreSQL delivers it
// only if that transaction commits, to every listening connection, in commit order. Each
// process runs one PassageRelay: it listens (sql::Listener) and publishes every passage so
// notified, its own included, to its PassageFeed, so a console connected to any replica sees
// every replica's passages, each once. (The service then no longer publishes its own commits
// directly; on SQLite, one process per file, it does, and no relay runs.)
//
// The payload is the passage itself (base64 of the serialized v1::Passage), or, for a passage
// whose encoding would not fit PostgreSQL's 8000-byte limit (only a guard with an absurdly long
// token subject could make one), "#" followed by its passage_id, and the relay reads the row.
//
// When the listening connection is lost, notifications raised meanwhile are lost with it: once
// listening again, the relay reads from the table the latest kCatchUpLimit passages stored
// after the highest seq it had published (less kCatchUpOverlap, for passages whose seq was
// taken earlier but committed later by another replica) and publishes those it has not
// published already (it remembers the ids of the last kDedupeWindow it published).
//
// The listening, decoding, each-once window and catch-up are sql::NotifyRelay's
// (common/sql/notify_relay.h), shared with dispatch's event relay; this file says what a
// passage's notification holds and where it is read back from.
//
// Thread-safety: Start/Stop from one thread; the rest runs on the listener's thread.
#ifndef LIANFANG_SERVICES_GATE_PASSAGE_RELAY_H_
#define LIANFANG_SERVICES_GATE_PASSAGE_RELAY_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/sql/database.h"
#include "common/sql/notify_relay.h"
#include "lianfang/gate/v1/gate.pb.h"
#include "services/gate/passage_feed.h"

namespace lianfang::gate {

// The PostgreSQL notification channel of stored passages.
inline constexpr char kPassageChannel[] = "lf_gate_passages";

// The notification payload of `passage` (see the file comment).
std::string PassagePayload(const v1::Passage& passage);

// Raises the notification of the stored `passage` in `session`'s transaction (delivered when it
// commits). REQUIRES: a PostgreSQL write session. Statement errors of the session.
absl::Status NotifyPassage(sql::Session& session, const v1::Passage& passage);

class PassageRelay final {
 public:
  // Passages read back after a lost connection, at most.
  static constexpr int kCatchUpLimit = 1000;
  // How far below the highest seq published the catch-up starts reading.
  static constexpr int64_t kCatchUpOverlap = 256;
  // Ids of the last passages published, not published again.
  static constexpr size_t kDedupeWindow = 4096;

  // `db` (PostgreSQL) and `feed` are not owned and must outlive the relay.
  PassageRelay(sql::Database* db, PassageFeed* feed);
  PassageRelay(const PassageRelay&) = delete;
  PassageRelay& operator=(const PassageRelay&) = delete;

  // Listens on `database_url` (the database `db` was opened from); from its return on, every
  // passage committed by any replica is published. Errors of sql::Listener::Start, or of the
  // read of the highest seq stored.
  absl::Status Start(absl::string_view database_url) { return relay_.Start(database_url); }
  // Stops listening; idempotent.
  void Stop() { relay_.Stop(); }

  // How many times the relay caught up after a lost connection, and whether it listens now
  // (for tests).
  int resumes() const { return relay_.resumes(); }
  bool listening() const { return relay_.listening(); }

 private:
  sql::NotifyRelay<v1::Passage> relay_;
};

}  // namespace lianfang::gate

#endif  // LIANFANG_SERVICES_GATE_PASSAGE_RELAY_H_
