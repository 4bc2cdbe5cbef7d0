// The closed- and open-loop client loops of lf-load (driver.h).
#include "tools/lf-load/driver.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

namespace lianfang::load {
namespace {

using Clock = std::chrono::steady_clock;

// Counters shared with the progress thread.
struct Progress {
  std::atomic<int64_t> ok{0};
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> in_flight{0};
  std::atomic<int64_t> started{0};
};

struct ThreadState {
  RunResult result;
};

class ThreadLoop {
 public:
  ThreadLoop(const DriverOptions& options, const CallFactory& factory, int index,
             SteadyTime measure_from, SteadyTime end, Progress& progress)
      : options_(options),
        factory_(factory),
        index_(index),
        measure_from_(measure_from),
        end_(end),
        progress_(progress) {}

  RunResult Run() {
    if (options_.rate > 0) {
      RunOpen();
    } else {
      RunClosed();
    }
    cq_.Shutdown();
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) {
    }
    return std::move(result_);
  }

 private:
  // Claims one call from the global budget (max_calls); false when exhausted.
  bool MayStart() {
    if (options_.max_calls <= 0) return true;
    return progress_.started.fetch_add(1, std::memory_order_relaxed) < options_.max_calls;
  }

  bool StartOne(SteadyTime intended) {
    if (!MayStart()) return false;
    std::unique_ptr<Call> call = factory_(index_);
    if (call == nullptr) return false;
    call->intended_start = intended;
    call->context().set_deadline(std::chrono::system_clock::now() +
                                 absl::ToChronoMilliseconds(options_.deadline));
    call.release()->Start(&cq_);
    ++in_flight_;
    progress_.in_flight.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  void Complete(void* tag) {
    std::unique_ptr<Call> call(static_cast<Call*>(tag));
    const SteadyTime now = Clock::now();
    call->OnDone();
    --in_flight_;
    progress_.in_flight.fetch_sub(1, std::memory_order_relaxed);
    const int code = static_cast<int>(call->status().error_code());
    if (code == 0) {
      progress_.ok.fetch_add(1, std::memory_order_relaxed);
    } else {
      progress_.errors.fetch_add(1, std::memory_order_relaxed);
    }
    if (call->intended_start < measure_from_ || now > end_) return;
    if (code == 0) {
      ++result_.ok;
    } else {
      ++result_.errors_by_code[std::clamp(code, 1, 16)];
    }
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(now - call->intended_start).count();
    result_.latencies_us.push_back(static_cast<uint32_t>(std::clamp<int64_t>(us, 0, UINT32_MAX)));
  }

  void RunClosed() {
    const int share = options_.concurrency / options_.threads +
                      (index_ < options_.concurrency % options_.threads ? 1 : 0);
    bool more = true;
    for (int i = 0; i < share && more; ++i) more = StartOne(Clock::now());
    void* tag;
    bool ok;
    while (in_flight_ > 0 && cq_.Next(&tag, &ok)) {
      Complete(tag);
      if (more && Clock::now() < end_) more = StartOne(Clock::now());
    }
  }

  void RunOpen() {
    const double per_thread = options_.rate / options_.threads;
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(1.0 / per_thread));
    const int cap = std::max(1, options_.concurrency / options_.threads);
    // Threads start staggered so that their starts interleave.
    SteadyTime next = Clock::now() + interval * index_ / options_.threads;
    bool more = true;
    void* tag;
    bool ok;
    while (true) {
      SteadyTime now = Clock::now();
      const bool starting = more && now < end_;
      if (!starting && in_flight_ == 0) break;
      const SteadyTime wake = starting ? std::min(next, end_) : now + std::chrono::milliseconds(50);
      const auto wake_system =
          std::chrono::system_clock::now() +
          std::chrono::duration_cast<std::chrono::system_clock::duration>(wake - now);
      switch (cq_.AsyncNext(&tag, &ok, wake_system)) {
        case grpc::CompletionQueue::GOT_EVENT:
          Complete(tag);
          break;
        case grpc::CompletionQueue::TIMEOUT:
          break;
        case grpc::CompletionQueue::SHUTDOWN:
          return;
      }
      now = Clock::now();
      while (more && next <= now && next < end_) {
        if (in_flight_ >= cap) {
          if (next >= measure_from_) ++result_.skipped;
        } else {
          more = StartOne(next);
        }
        next += interval;
      }
    }
  }

  const DriverOptions& options_;
  const CallFactory& factory_;
  const int index_;
  const SteadyTime measure_from_;
  const SteadyTime end_;
  Progress& progress_;
  grpc::CompletionQueue cq_;
  int64_t in_flight_ = 0;
  RunResult result_;
};

}  // namespace

int64_t RunResult::errors() const {
  return std::accumulate(errors_by_code.begin(), errors_by_code.end(), int64_t{0});
}

RunResult Drive(const DriverOptions& options, const CallFactory& factory) {
  DriverOptions o = options;
  o.threads = std::max(1, o.threads);
  o.concurrency = std::max(o.threads, o.concurrency);
  const SteadyTime start = Clock::now();
  const SteadyTime measure_from = start + absl::ToChronoNanoseconds(o.warmup);
  const SteadyTime end = measure_from + absl::ToChronoNanoseconds(o.duration);
  Progress progress;

  absl::Notification done;
  std::thread reporter;
  if (!o.progress_label.empty()) {
    reporter = std::thread([&] {
      int64_t last_ok = 0, last_err = 0;
      int second = 0;
      while (!done.WaitForNotificationWithTimeout(absl::Seconds(1))) {
        ++second;
        const int64_t okc = progress.ok.load(), errc = progress.errors.load();
        std::fprintf(
            stderr, "lf-load: %-14s %3ds  %8lld calls/s  ok %lld  errors %lld  in flight %lld\n",
            o.progress_label.c_str(), second,
            static_cast<long long>(okc + errc - last_ok - last_err), static_cast<long long>(okc),
            static_cast<long long>(errc), static_cast<long long>(progress.in_flight.load()));
        last_ok = okc;
        last_err = errc;
      }
    });
  }

  std::vector<RunResult> parts(o.threads);
  std::vector<std::thread> threads;
  for (int i = 0; i < o.threads; ++i) {
    threads.emplace_back([&, i] {
      ThreadLoop loop(o, factory, i, measure_from, end, progress);
      parts[i] = loop.Run();
    });
  }
  for (std::thread& t : threads) t.join();
  const SteadyTime finished = Clock::now();
  done.Notify();
  if (reporter.joinable()) reporter.join();

  RunResult total;
  for (RunResult& p : parts) {
    total.ok += p.ok;
    total.skipped += p.skipped;
    for (size_t c = 0; c < total.errors_by_code.size(); ++c) {
      total.errors_by_code[c] += p.errors_by_code[c];
    }
    total.latencies_us.insert(total.latencies_us.end(), p.latencies_us.begin(),
                              p.latencies_us.end());
  }
  // With max_calls the work may end before the window does.
  const SteadyTime window_end = std::min(end, finished);
  total.seconds = std::max(0.0, std::chrono::duration<double>(window_end - measure_from).count());
  return total;
}

LatencySummary Summarize(std::vector<uint32_t>& latencies_us) {
  LatencySummary s;
  if (latencies_us.empty()) return s;
  std::sort(latencies_us.begin(), latencies_us.end());
  const size_t n = latencies_us.size();
  auto at = [&](double q) {
    size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(n)));
    rank = std::clamp<size_t>(rank, 1, n);
    return latencies_us[rank - 1] / 1000.0;
  };
  s.p50 = at(0.50);
  s.p90 = at(0.90);
  s.p99 = at(0.99);
  s.p999 = at(0.999);
  s.max = latencies_us.back() / 1000.0;
  double sum = 0;
  for (uint32_t v : latencies_us) sum += v;
  s.mean = sum / static_cast<double>(n) / 1000.0;
  return s;
}

const char* StatusCodeName(int code) {
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  if (code < 0 || code > 16) return "UNKNOWN";
  return kNames[code];
}

}  // namespace lianfang::load
