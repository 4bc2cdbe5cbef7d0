#include "services/gate/passage_feed.h"

#include <utility>

namespace lianfang::gate {

int64_t PassageFeed::Subscribe(std::set<std::string> sites, Subscriber* subscriber) {
  absl::MutexLock lock(&mu_);
  const int64_t id = next_id_++;
  entries_[id] = Entry{std::move(sites), subscriber};
  if (closed_) subscriber->Close();
  return id;
}

void PassageFeed::Unsubscribe(int64_t id) {
  absl::MutexLock lock(&mu_);
  entries_.erase(id);
}

void PassageFeed::Publish(const v1::Passage& passage) {
  absl::MutexLock lock(&mu_);
  for (const auto& [id, entry] : entries_) {
    if (!entry.sites.empty() && !entry.sites.contains(passage.site_id())) continue;
    entry.subscriber->Deliver(passage);
  }
}

void PassageFeed::CloseAll() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  for (const auto& [id, entry] : entries_) entry.subscriber->Close();
}

size_t PassageFeed::subscribers() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace lianfang::gate
