// A server stream (a watch RPC) read on a thread of its own into a list, for tests that check
// what a console or an app would have been shown.
//
//   auto context = NewClientContext(token, absl::Seconds(120));
//   lianfang::testing::StreamReader<gate::v1::Passage> watcher(
//       std::move(context),
//       [&](grpc::ClientContext* c) { return stub.WatchPassages(c, request); });
//   ASSERT_TRUE(watcher.WaitFor(3, absl::Seconds(30)));
//   EXPECT_EQ(watcher.messages()[0].passage_id(), id);
//
// The constructor returns once the server has answered the call's headers (the stream is
// subscribed), so what is published afterwards reaches it. The destructor cancels the call and
// joins the thread. Test-only. Thread-safe.
#ifndef LIANFANG_COMMON_TESTING_GRPC_STREAM_READER_H_
#define LIANFANG_COMMON_TESTING_GRPC_STREAM_READER_H_

#include <cstddef>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/testing/poll.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/sync_stream.h"

namespace lianfang::testing {

template <typename Message>
class StreamReader final {
 public:
  using Start =
      absl::FunctionRef<std::unique_ptr<grpc::ClientReader<Message>>(grpc::ClientContext*)>;

  // Calls `start` with `context` (owned from now on) and reads what it returns until the
  // stream ends or this object is destroyed.
  StreamReader(std::unique_ptr<grpc::ClientContext> context, Start start)
      : context_(std::move(context)), reader_(start(context_.get())) {
    reader_->WaitForInitialMetadata();  // subscribed
    thread_ = std::thread([this] {
      Message message;
      while (reader_->Read(&message)) {
        absl::MutexLock lock(&mu_);
        messages_.push_back(message);
      }
    });
  }
  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;
  ~StreamReader() {
    context_->TryCancel();
    thread_.join();
    (void)reader_->Finish();
  }

  // What has arrived so far, in order.
  std::vector<Message> messages() const {
    absl::MutexLock lock(&mu_);
    return messages_;
  }
  size_t size() const {
    absl::MutexLock lock(&mu_);
    return messages_.size();
  }
  // Whether `n` messages (or more) arrived within `timeout`.
  bool WaitFor(size_t n, absl::Duration timeout) const {
    return PollUntil([&] { return size() >= n; }, timeout);
  }

 private:
  const std::unique_ptr<grpc::ClientContext> context_;
  const std::unique_ptr<grpc::ClientReader<Message>> reader_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::vector<Message> messages_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lianfang::testing

#endif  // LIANFANG_COMMON_TESTING_GRPC_STREAM_READER_H_
