// The load driver of lf-load: issues unary calls over the asynchronous gRPC client API
// (one CompletionQueue per client thread) either closed-loop (a fixed number of calls in
// flight) or open-loop (a fixed rate of call starts), for a duration, and measures each
// call's latency and status.
//
//   DriverOptions options{.threads = 2, .concurrency = 64, .duration = absl::Seconds(10)};
//   RunResult r = Drive(options, [&](int thread) { return workload.NextCall(thread); });
//
// Calls are described by `Call` objects (see UnaryCall) created by the caller's factory, so
// the same driver runs the echo baseline and every Lianfang workload.
#ifndef LIANFANG_TOOLS_LF_LOAD_DRIVER_H_
#define LIANFANG_TOOLS_LF_LOAD_DRIVER_H_

#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/support/async_unary_call.h>
#include <grpcpp/support/status.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace lianfang::load {

using SteadyTime = std::chrono::steady_clock::time_point;

// One unary call in flight. Owned by the driver from creation to completion.
class Call {
 public:
  virtual ~Call() = default;

  // Starts the call on `cq`; its completion is reported on `cq` with `this` as the tag.
  virtual void Start(grpc::CompletionQueue* cq) = 0;

  // Called on the client thread once the call has finished (status() is set).
  virtual void OnDone() {}

  grpc::ClientContext& context() { return context_; }
  const grpc::Status& status() const { return status_; }

  // When the call was meant to start (open loop) or started (closed loop).
  SteadyTime intended_start{};

 protected:
  grpc::ClientContext context_;
  grpc::Status status_;
};

// A call of a generated async stub method `prepare` (e.g. &GateService::Stub::
// PrepareAsyncRecordPassage) with a request built by the caller, and an optional check run on
// the response (its non-OK status replaces the call's status; for counting wrong answers).
template <typename Stub, typename Request, typename Response>
class UnaryCall final : public Call {
 public:
  using Prepare = std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> (Stub::*)(
      grpc::ClientContext*, const Request&, grpc::CompletionQueue*);
  using Check = std::function<void(const Request&, const Response&, grpc::Status&)>;

  UnaryCall(Stub* stub, Prepare prepare, Request request, Check check = nullptr)
      : stub_(stub), prepare_(prepare), request_(std::move(request)), check_(std::move(check)) {}

  void Start(grpc::CompletionQueue* cq) override {
    reader_ = (stub_->*prepare_)(&context_, request_, cq);
    reader_->StartCall();
    reader_->Finish(&response_, &status_, this);
  }

  void OnDone() override {
    if (status_.ok() && check_) check_(request_, response_, status_);
  }

  const Request& request() const { return request_; }
  const Response& response() const { return response_; }

 private:
  Stub* stub_;
  Prepare prepare_;
  Request request_;
  Response response_;
  Check check_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader_;
};

// Creates the next call for client thread `thread`, or null when the workload has no more
// calls to make (the driver then stops starting calls on that thread). Called concurrently
// from every client thread.
using CallFactory = std::function<std::unique_ptr<Call>(int thread)>;

struct DriverOptions {
  // Client threads, each with its own CompletionQueue (and its own share of the calls).
  int threads = 2;
  // Closed loop: calls kept in flight (spread over the threads). Open loop: the most calls
  // in flight before further starts are skipped (counted as `skipped`).
  int concurrency = 64;
  // Open loop when > 0: call starts per second (spread over the threads); 0 = closed loop.
  double rate = 0;
  // Measured time, after `warmup` (whose calls are made but not counted).
  absl::Duration duration = absl::Seconds(10);
  absl::Duration warmup = absl::Seconds(1);
  // Stop after this many calls were started (0 = no limit); the run then ends when they are
  // done, or at the end of `duration`, whichever is first.
  int64_t max_calls = 0;
  // Deadline of each call.
  absl::Duration deadline = absl::Seconds(10);
  // Label of the progress line, printed on stderr every second (empty = no progress line).
  std::string progress_label;
};

// What a run measured. Latencies are of calls started after the warm-up and finished within
// the measured window, in microseconds, unsorted.
struct RunResult {
  int64_t ok = 0;
  std::array<int64_t, 17> errors_by_code{};  // index = grpc::StatusCode; [0] unused
  int64_t skipped = 0;                       // open loop: starts skipped at the in-flight cap
  double seconds = 0;                        // the measured window actually observed
  std::vector<uint32_t> latencies_us;
  int64_t errors() const;
  int64_t calls() const { return ok + errors(); }
  double throughput() const { return seconds > 0 ? calls() / seconds : 0; }
};

// Runs the load and returns when every started call has finished (calls still in flight at
// the end of the window are waited for, not counted). Thread-safe factory required.
RunResult Drive(const DriverOptions& options, const CallFactory& factory);

// Latency percentiles of a run, in milliseconds.
struct LatencySummary {
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;
};
// Sorts `latencies_us` and reads the percentiles (nearest rank). Zeros when empty.
LatencySummary Summarize(std::vector<uint32_t>& latencies_us);

// "OK", "UNAVAILABLE", ... for a grpc::StatusCode value.
const char* StatusCodeName(int code);

}  // namespace lianfang::load

#endif  // LIANFANG_TOOLS_LF_LOAD_DRIVER_H_
