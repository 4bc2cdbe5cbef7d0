#include "services/gateway/dashboard_hub.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging/logging.h"
#include "common/redis/keys.h"

namespace lianfang::gateway {

DashboardHub::DashboardHub(DashboardSource* source, std::vector<std::string> site_ids,
                           std::optional<redis::Endpoint> changes, Options options,
                           server::Metrics* metrics)
    : source_(source),
      site_ids_(std::move(site_ids)),
      changes_(std::move(changes)),
      options_(options) {
  if (metrics != nullptr) {
    snapshots_counter_ = metrics->GetCounter("lf_gateway_snapshots_total",
                                             "Dashboard snapshots read for the live stream");
    notices_counter_ = metrics->GetCounter("lf_gateway_change_notices_total",
                                           "Change notices received on lf:changes");
    watchers_gauge_ = metrics->GetGauge("lf_gateway_watchers",
                                        "Live dashboard streams open (gRPC and SSE)");
  }
}

DashboardHub::~DashboardHub() { Stop(); }

absl::Status DashboardHub::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (started_ || stopping_) {
      return absl::FailedPreconditionError("the dashboard hub was already started");
    }
    started_ = true;
  }
  if (changes_.has_value()) {
    subscriber_ = std::make_unique<redis::Subscriber>(*changes_);
    absl::Status s = subscriber_->Subscribe({
        .channels = {redis::kChangesChannel},
        .patterns = {},
        .on_message =
            [this](absl::string_view, absl::string_view payload) {
              // Malformed notices still mean "something changed"; they are not trusted
              // for anything else.
              (void)payload;
              NotifyChange();
            },
        // Redis is back: notices sent meanwhile are lost, and the counts may have been
        // rebuilt. Read again.
        .on_reconnect = [this] { NotifyChange(); },
    });
    if (!s.ok()) return s;
  }
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void DashboardHub::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (subscriber_ != nullptr) subscriber_->Stop();
  if (thread_.joinable()) thread_.join();
}

absl::Status DashboardHub::Add(Watcher* watcher) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || closing_) {
    return absl::UnavailableError("the gateway is shutting down; reconnect shortly");
  }
  if (watchers_.size() >= options_.max_watchers) {
    return absl::ResourceExhaustedError(
        "too many live dashboard streams are open; retry later or poll GetDashboard");
  }
  watchers_.insert(watcher);
  if (watchers_gauge_ != nullptr) watchers_gauge_->Set(static_cast<double>(watchers_.size()));
  if (latest_ != nullptr && absl::Now() - latest_at_ < options_.fresh_for) {
    watcher->Offer(latest_);
  } else {
    want_now_ = true;
  }
  return absl::OkStatus();
}

void DashboardHub::Remove(Watcher* watcher) {
  absl::MutexLock lock(&mu_);
  watchers_.erase(watcher);
  if (watchers_gauge_ != nullptr) watchers_gauge_->Set(static_cast<double>(watchers_.size()));
}

void DashboardHub::CloseAll() {
  absl::MutexLock lock(&mu_);
  closing_ = true;
  for (Watcher* watcher : watchers_) watcher->Close();
}

void DashboardHub::NotifyChange() {
  if (notices_counter_ != nullptr) notices_counter_->Increment();
  absl::MutexLock lock(&mu_);
  dirty_ = true;
}

bool DashboardHub::WaitUntilSubscribed(absl::Duration timeout) const {
  return subscriber_ != nullptr && subscriber_->WaitUntilSubscribed(timeout);
}

std::shared_ptr<const Dashboard> DashboardHub::Latest() const {
  absl::MutexLock lock(&mu_);
  return latest_;
}

int64_t DashboardHub::snapshots() const {
  absl::MutexLock lock(&mu_);
  return snapshots_;
}

size_t DashboardHub::watchers() const {
  absl::MutexLock lock(&mu_);
  return watchers_.size();
}

void DashboardHub::Run() {
  absl::Time last_read = absl::InfinitePast();
  absl::Time next_refresh = absl::InfinitePast();
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      while (true) {
        if (stopping_) return;
        const absl::Time now = absl::Now();
        if (closing_) {
          // Nothing more to read for anyone: wait for Stop().
          mu_.Await(absl::Condition(&stopping_));
          return;
        }
        absl::Time due = absl::InfiniteFuture();
        if (!watchers_.empty()) {
          if (want_now_) break;
          if (dirty_) due = std::min(due, last_read + options_.min_interval);
          due = std::min(due, next_refresh);
          if (now >= due) break;
        }
        // Wakes for Stop, a new watcher or a notice (which may move `due`), else at `due`.
        const bool dirty = dirty_;
        const size_t watchers = watchers_.size();
        const auto woken = [this, dirty, watchers]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
          return stopping_ || closing_ || want_now_ || dirty_ != dirty ||
                 watchers_.size() != watchers;
        };
        mu_.AwaitWithDeadline(absl::Condition(&woken), due);
      }
      // Cleared before reading: a notice during the read marks the next snapshot due.
      dirty_ = false;
      want_now_ = false;
    }
    const absl::Time start = absl::Now();
    auto snapshot = std::make_shared<const Dashboard>(source_->Read(site_ids_));
    last_read = start;
    next_refresh = start + (snapshot->source() == v1::SOURCE_SERVICES
                                ? options_.degraded_refresh_interval
                                : options_.refresh_interval);
    if (snapshots_counter_ != nullptr) snapshots_counter_->Increment();
    absl::MutexLock lock(&mu_);
    latest_ = snapshot;
    latest_at_ = absl::Now();
    ++snapshots_;
    for (Watcher* watcher : watchers_) watcher->Offer(snapshot);
  }
}

}  // namespace lianfang::gateway
