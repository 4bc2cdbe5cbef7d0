// The in-process live feed of passages behind WatchPassages.
//
// After each commit the service Publish()es the stored passage; every subscriber whose filter
// matches receives it through Deliver(). Publishing never waits for a reader: a subscriber
// (the stream reactor of one client) only queues the passage in its own bounded queue and
// returns, so a slow or stuck guard console can never slow the gate (it loses its oldest
// queued passages instead; see WatchReactor in gate_service.cc).
//
// At shutdown CloseAll() tells every subscriber to end its stream (Close()), so open streams
// do not hold the server's drain; a subscriber arriving after that is closed at once.
//
// Thread-safety: all methods are thread-safe. Deliver() and Close() are called with the
// feed's lock held: implementations must not call back into the feed from them. After
// Unsubscribe() returns, the subscriber receives no further call, so it may be destroyed.
#ifndef LIANFANG_SERVICES_GATE_PASSAGE_FEED_H_
#define LIANFANG_SERVICES_GATE_PASSAGE_FEED_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "lianfang/gate/v1/gate.pb.h"

namespace lianfang::gate {

class PassageFeed final {
 public:
  class Subscriber {
   public:
    virtual ~Subscriber() = default;
    // Must not block.
    virtual void Deliver(const v1::Passage& passage) = 0;
    // The feed is closing (shutdown): end the stream. Must not block; may be called more
    // than once.
    virtual void Close() = 0;
  };

  PassageFeed() = default;
  PassageFeed(const PassageFeed&) = delete;
  PassageFeed& operator=(const PassageFeed&) = delete;

  // Registers `subscriber` (not owned) for the passages of `sites` (empty = every site).
  // Returns the id to unsubscribe with. After CloseAll() the subscriber is registered and
  // closed before this returns.
  int64_t Subscribe(std::set<std::string> sites, Subscriber* subscriber);
  // Removes a subscription; unknown ids are ignored.
  void Unsubscribe(int64_t id);

  // Hands `passage` to every matching subscriber.
  void Publish(const v1::Passage& passage);

  // Closes every subscriber, now and from now on (shutdown). They unsubscribe themselves once
  // their streams are done.
  void CloseAll();

  // Current subscriptions (for tests and metrics).
  size_t subscribers() const;

 private:
  struct Entry {
    std::set<std::string> sites;
    Subscriber* subscriber;
  };
  mutable absl::Mutex mu_;
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::map<int64_t, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lianfang::gate

#endif  // LIANFANG_SERVICES_GATE_PASSAGE_FEED_H_
