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
// Thread-safety: Start/Stop from one thread; the rest runs on the listener's thread.
#ifndef LIANFANG_SERVICES_GATE_PASSAGE_RELAY_H_
#define LIANFANG_SERVICES_GATE_PASSAGE_RELAY_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/sql/database.h"
#include "common/sql/listener.h"
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
  PassageRelay(sql::Database* db, PassageFeed* feed) : db_(db), feed_(feed) {}
  ~PassageRelay() { Stop(); }
  PassageRelay(const PassageRelay&) = delete;
  PassageRelay& operator=(const PassageRelay&) = delete;

  // Listens on `database_url` (the database `db` was opened from); from its return on, every
  // passage committed by any replica is published. Errors of sql::Listener::Start, or of the
  // read of the highest seq stored.
  absl::Status Start(absl::string_view database_url);
  // Stops listening; idempotent.
  void Stop();

  // How many times the relay caught up after a lost connection, and whether it listens now
  // (for tests).
  int resumes() const { return listener_ == nullptr ? 0 : listener_->resumes(); }
  bool listening() const { return listener_ != nullptr && listener_->listening(); }

 private:
  void OnNotify(absl::string_view payload);
  void OnResumed();
  // Publishes `passage` unless it is among the last kDedupeWindow published.
  void PublishOnce(const v1::Passage& passage);

  sql::Database* const db_;
  PassageFeed* const feed_;
  std::unique_ptr<sql::Listener> listener_;
  absl::Mutex mu_;
  int64_t high_seq_ ABSL_GUARDED_BY(mu_) = 0;  // the highest seq published or stored at start
  std::deque<std::string> recent_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> recent_ids_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lianfang::gate

#endif  // LIANFANG_SERVICES_GATE_PASSAGE_RELAY_H_
