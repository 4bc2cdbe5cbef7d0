#include "services/gate/passage_relay.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/logging/logging.h"
#include "common/status/status_macros.h"
#include "services/gate/gate_store.h"

namespace lianfang::gate {

std::string PassagePayload(const v1::Passage& passage) {
  std::string payload = absl::Base64Escape(passage.SerializeAsString());
  if (payload.size() <= sql::Listener::kMaxPayloadBytes) return payload;
  // Base64 never holds '#': the reader tells the two forms apart by the first character.
  return absl::StrCat("#", passage.passage_id());
}

absl::Status NotifyPassage(sql::Session& session, const v1::Passage& passage) {
  return session.Execute("SELECT pg_notify($1, $2)", {kPassageChannel, PassagePayload(passage)})
      .status();
}

absl::Status PassageRelay::Start(absl::string_view database_url) {
  sql::ListenerOptions options;
  options.channels = {kPassageChannel};
  options.on_notify = [this](absl::string_view, absl::string_view payload) { OnNotify(payload); };
  options.on_resumed = [this] { OnResumed(); };
  ASSIGN_OR_RETURN(listener_, sql::Listener::Start(database_url, std::move(options)));
  // Listening first: a passage committed from now on is notified. The highest seq stored is
  // where a later catch-up starts (nothing before it was owed to anyone: no watcher was here).
  int64_t latest = 0;
  absl::Status read = db_->Read([&](sql::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(latest, LatestPassageSeq(session));
    return absl::OkStatus();
  });
  if (!read.ok()) {
    Stop();
    return read;
  }
  absl::MutexLock lock(&mu_);
  high_seq_ = std::max(high_seq_, latest);
  return absl::OkStatus();
}

void PassageRelay::Stop() {
  if (listener_ != nullptr) listener_->Stop();
}

void PassageRelay::OnNotify(absl::string_view payload) {
  v1::Passage passage;
  if (!payload.empty() && payload.front() == '#') {
    // Too large to travel: read it (committed before the notification was sent).
    const std::string id(payload.substr(1));
    std::optional<v1::Passage> found;
    absl::Status read = db_->Read([&](sql::Session& session) -> absl::Status {
      ASSIGN_OR_RETURN(found, FindPassage(session, id));
      return absl::OkStatus();
    });
    if (!read.ok() || !found.has_value()) {
      logging::Warning("watch relay: cannot read a notified passage", {},
                       {{"error", read.ok() ? "not found" : read.message()}});
      return;
    }
    passage = *std::move(found);
  } else {
    std::string raw;
    if (!absl::Base64Unescape(payload, &raw) || !passage.ParseFromString(raw)) {
      logging::Warning("watch relay: a passage notification could not be decoded", {}, {});
      return;
    }
  }
  PublishOnce(passage);
}

void PassageRelay::OnResumed() {
  int64_t from = 0;
  {
    absl::MutexLock lock(&mu_);
    from = std::max<int64_t>(0, high_seq_ - kCatchUpOverlap);
  }
  std::vector<v1::Passage> missed;
  absl::Status read = db_->Read([&](sql::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(missed, PassagesAfter(session, from, "", kCatchUpLimit));
    return absl::OkStatus();
  });
  if (!read.ok()) {
    // The database is still out of reach: the watchers miss what was committed meanwhile.
    logging::Warning("watch relay: cannot read the passages committed while not listening", {},
                     {{"error", read.message()}});
    return;
  }
  int published = 0;
  for (const v1::Passage& passage : missed) {
    bool fresh;
    {
      absl::MutexLock lock(&mu_);
      fresh = !recent_ids_.contains(passage.passage_id());
    }
    if (fresh) ++published;
    PublishOnce(passage);
  }
  logging::Info("watch relay: caught up after listening again", {},
                {{"read", absl::StrCat(missed.size())}, {"published", absl::StrCat(published)}});
}

void PassageRelay::PublishOnce(const v1::Passage& passage) {
  {
    absl::MutexLock lock(&mu_);
    if (!recent_ids_.insert(passage.passage_id()).second) return;
    recent_.push_back(passage.passage_id());
    if (recent_.size() > kDedupeWindow) {
      recent_ids_.erase(recent_.front());
      recent_.pop_front();
    }
    high_seq_ = std::max(high_seq_, passage.seq());
  }
  // Publishing runs only on the listener's thread, so passages leave in the order they came.
  feed_->Publish(passage);
}

}  // namespace lianfang::gate
