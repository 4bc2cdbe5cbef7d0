#include "common/sql/notify_relay.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/logging/logging.h"

namespace lianfang::sql {

std::string NotifyPayload(absl::string_view bytes, absl::string_view ref) {
  if (!bytes.empty()) {
    std::string payload = absl::Base64Escape(bytes);
    if (payload.size() <= Listener::kMaxPayloadBytes) return payload;
  }
  return absl::StrCat("#", ref);
}

absl::Status Notify(Session& session, absl::string_view channel, absl::string_view payload) {
  return session.ExecuteDeferred("SELECT pg_notify($1, $2)",
                                 {std::string(channel), std::string(payload)});
}

bool RecentKeys::Insert(const std::string& key) {
  if (!keys_.insert(key).second) return false;
  order_.push_back(key);
  if (order_.size() > capacity_) {
    keys_.erase(order_.front());
    order_.pop_front();
  }
  return true;
}

namespace relay_internal {

void LogUndecodable(absl::string_view what) {
  logging::Warning(absl::StrCat("watch relay: a ", what, " notification could not be decoded"), {},
                   {});
}

void LogUnreadable(absl::string_view what, absl::string_view error) {
  logging::Warning(absl::StrCat("watch relay: cannot read a notified ", what), {},
                   {{"error", std::string(error)}});
}

void LogCatchUpFailed(absl::string_view what, absl::string_view error) {
  logging::Warning(
      absl::StrCat("watch relay: cannot read the ", what, "s committed while not listening"), {},
      {{"error", std::string(error)}});
}

void LogCaughtUp(absl::string_view what, size_t read, int published) {
  logging::Info(absl::StrCat("watch relay: caught up after listening again (", what, "s)"), {},
                {{"read", absl::StrCat(read)}, {"published", absl::StrCat(published)}});
}

}  // namespace relay_internal
}  // namespace lianfang::sql
