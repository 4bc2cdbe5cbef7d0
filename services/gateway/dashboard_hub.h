// DashboardHub: the live stream behind WatchDashboard and the Server-Sent Events route.
//
// One background thread reads the dashboard of every site and hands the snapshot to every
// watcher; each watcher cuts it down to its own sites. A new snapshot is read
//   - at once for a new watcher when the latest one is not fresh (a snapshot at once),
//   - after a change notice on lf:changes (the services publish one after each change),
//     coalesced: at most one snapshot per `min_interval`, carrying the latest state, so a burst
//     of passages yields a few snapshots instead of one per passage,
//   - when Redis comes back (notices published meanwhile were lost),
//   - and every `refresh_interval` anyway (`degraded_refresh_interval` while the figures come
//     from the services, whose changes are not announced), so a quiet dashboard still moves
//     its clock and health.
// Nothing is read while nobody watches.
//
// Watchers never slow the hub or each other: Offer() must only store the snapshot (each
// watcher keeps the latest one it has not sent yet and drops older ones) and return.
//
//   DashboardHub hub(&reader, rt.sites->ids(), endpoint, {}, &rt.metrics);
//   RETURN_IF_ERROR(hub.Start());
//   RETURN_IF_ERROR(hub.Add(&watcher));   // watcher.Offer(...) is called from now on
//   hub.Remove(&watcher);                 // ... and never after this returns
//
// Thread-safety: every public method may be called from any thread, except from inside
// Watcher::Offer (which runs with the hub's lock held).
#ifndef LIANFANG_SERVICES_GATEWAY_DASHBOARD_HUB_H_
#define LIANFANG_SERVICES_GATEWAY_DASHBOARD_HUB_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/redis/endpoint.h"
#include "common/redis/subscriber.h"
#include "common/server/metrics.h"
#include "services/gateway/dashboard_reader.h"

namespace lianfang::gateway {

class DashboardHub final {
 public:
  struct Options {
    // At most one snapshot per this (the coalescing window after a change notice).
    absl::Duration min_interval = absl::Milliseconds(300);
    // A snapshot at least this often while someone watches...
    absl::Duration refresh_interval = absl::Seconds(10);
    // ... or this often while the figures come from the services.
    absl::Duration degraded_refresh_interval = absl::Seconds(3);
    // A latest snapshot younger than this is handed to a new watcher as its first one.
    absl::Duration fresh_for = absl::Seconds(1);
    // Watchers at once; Add() fails beyond.
    size_t max_watchers = 1000;
  };

  // Receives snapshots. Offer runs on the hub's thread (or the caller of Add) with the hub's
  // lock held: it must store the snapshot and return at once, and must not call the hub.
  class Watcher {
   public:
    virtual ~Watcher() = default;
    virtual void Offer(std::shared_ptr<const Dashboard> snapshot) = 0;
    // The gateway is shutting down: end the stream now (same rules as Offer). The watcher
    // still calls Remove() when its stream is gone.
    virtual void Close() = 0;
  };

  // `source` and `metrics` (may be null) are not owned and must outlive the hub. `site_ids`:
  // every site of the directory. `changes`: the Redis whose lf:changes channel drives the
  // stream; nullopt = periodic snapshots only.
  DashboardHub(DashboardSource* source, std::vector<std::string> site_ids,
               std::optional<redis::Endpoint> changes, Options options, server::Metrics* metrics);
  ~DashboardHub();  // Stop()
  DashboardHub(const DashboardHub&) = delete;
  DashboardHub& operator=(const DashboardHub&) = delete;

  // Starts the thread and the subscriber. FAILED_PRECONDITION when called twice.
  absl::Status Start();
  // Stops both; no Offer runs after it returns. Idempotent.
  void Stop();

  // Registers `watcher` (not owned; must stay valid until Remove returns). It gets the latest
  // snapshot at once when that is fresh, otherwise a new one as soon as it is read.
  // RESOURCE_EXHAUSTED when max_watchers are registered; UNAVAILABLE after CloseAll() or
  // Stop().
  absl::Status Add(Watcher* watcher);
  // Unregisters `watcher`; after this returns Offer is never called on it. Idempotent.
  void Remove(Watcher* watcher);

  // Before the process drains: closes every watcher (so open streams do not hold the drain)
  // and refuses new ones (UNAVAILABLE). Snapshots are no longer read. Idempotent.
  void CloseAll();

  // A change notice (what the lf:changes subscriber calls; public for tests and tools).
  void NotifyChange();

  // True once the change subscription is live (always false without `changes`).
  bool WaitUntilSubscribed(absl::Duration timeout) const;

  // The latest snapshot, or null before the first one.
  std::shared_ptr<const Dashboard> Latest() const;
  // Snapshots read so far, and watchers now.
  int64_t snapshots() const;
  size_t watchers() const;

 private:
  void Run();

  DashboardSource* const source_;
  const std::vector<std::string> site_ids_;
  const std::optional<redis::Endpoint> changes_;
  const Options options_;
  server::Metrics::Counter* snapshots_counter_ = nullptr;
  server::Metrics::Counter* notices_counter_ = nullptr;
  server::Metrics::Gauge* watchers_gauge_ = nullptr;
  std::unique_ptr<redis::Subscriber> subscriber_;

  mutable absl::Mutex mu_;
  std::set<Watcher*> watchers_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const Dashboard> latest_ ABSL_GUARDED_BY(mu_);
  absl::Time latest_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool dirty_ ABSL_GUARDED_BY(mu_) = false;        // a change since the latest snapshot
  bool want_now_ ABSL_GUARDED_BY(mu_) = false;     // a new watcher waits for its first one
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  int64_t snapshots_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace lianfang::gateway

#endif  // LIANFANG_SERVICES_GATEWAY_DASHBOARD_HUB_H_
