// Executor: a few worker threads with a bounded queue, where the gRPC handlers hand their
// blocking work (a Redis round trip, or calls to the services while Redis is down, or an
// audit query) so that no gRPC callback thread waits on I/O.
//
//   Executor executor(2, 256);
//   if (!executor.Submit([reactor, ...] { ...; reactor->Finish(...); })) {
//     reactor->Finish(overloaded);
//   }
//
// Thread-safety: Submit may be called from any thread. The destructor runs the tasks already
// queued, then joins the threads.
#ifndef LIANFANG_SERVICES_GATEWAY_EXECUTOR_H_
#define LIANFANG_SERVICES_GATEWAY_EXECUTOR_H_

#include <cstddef>
#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace lianfang::gateway {

class Executor final {
 public:
  // REQUIRES: threads >= 1, max_queue >= 1.
  Executor(int threads, size_t max_queue);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Queues `task`. False (and `task` is dropped unrun) when the queue is full or the executor
  // is shutting down: the caller answers "overloaded" itself.
  bool Submit(absl::AnyInvocable<void()> task);

 private:
  void Work();

  const size_t max_queue_;
  absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace lianfang::gateway

#endif  // LIANFANG_SERVICES_GATEWAY_EXECUTOR_H_
