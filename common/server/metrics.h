// Process metrics in Prometheus' text exposition format, without gRPC.
//
// One Metrics registry per process (created in main, passed by pointer; no global). It holds
//   - per gRPC method: calls by status code and a latency histogram with fixed buckets,
//     recorded by the server's call observer (common/server/interceptors.h):
//       lf_grpc_server_handled_total{grpc_method="/lianfang.gate.v1.GateService/X",
//                                    grpc_code="OK"} 12            (one line in the output)
//       lf_grpc_server_handling_seconds_bucket{grpc_method="...",le="0.005"} 10
//       (and _sum, _count)
//   - named counters, gauges and histograms that their owners create, e.g. (the gateway's)
//       Metrics::Gauge* redis_up = metrics.GetGauge("lf_redis_up", "1 when Redis answers");
//       redis_up->Set(1);
//       metrics.GetGauge("lf_gateway_backend_up", "1 when the backend answers SERVING",
//                        {{"service", "gate"}})->Set(1);
//       metrics.GetHistogram("lf_sql_commit_batch_size", "Functions per commit",
//                            {1, 2, 4, 8, 16})->Observe(3);
//   - collectors: functions run at the start of every RenderPrometheus() that set gauges from
//     a state read on demand (e.g. the gates without a guard, read from SQL at each scrape).
// RenderPrometheus() produces the text served at GET /metrics: by every service binary on
// LF_METRICS_LISTEN (common/server/metrics_listener.h), and by the gateway on its HTTP port.
// docs/metrics.md lists every metric.
//
// Thread-safety: every member function may be called from any thread. Recording a call or
// updating a counter/gauge is a shared-lock lookup plus relaxed atomic adds; a lock is taken
// exclusively only the first time a method or metric name is seen.
#ifndef LIANFANG_COMMON_SERVER_METRICS_H_
#define LIANFANG_COMMON_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace lianfang::server {

// Label name/value pairs of one time series, e.g. {{"target", "dispatch"}}. Names must match
// [a-zA-Z_][a-zA-Z0-9_]* (other characters are replaced by '_'); values are free text
// (escaped when rendered). Keep the number of distinct values small and never put personal
// data, ids or request ids in a label.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Metrics final {
 public:
  // A monotonically increasing value. Thread-safe; owned by the Metrics that returned it.
  class Counter final {
   public:
    // REQUIRES: amount >= 0 (negative amounts are ignored).
    void Increment(double amount = 1.0);
    double Value() const { return value_.load(std::memory_order_relaxed); }

   private:
    std::atomic<double> value_{0.0};
  };

  // A value that goes up and down. Thread-safe; owned by the Metrics that returned it.
  class Gauge final {
   public:
    void Set(double value) { value_.store(value, std::memory_order_relaxed); }
    void Add(double delta);
    double Value() const { return value_.load(std::memory_order_relaxed); }

   private:
    std::atomic<double> value_{0.0};
  };

  // Observations counted into buckets by upper bound (Prometheus histogram: _bucket with
  // cumulative counts per `le`, _sum, _count). Thread-safe; owned by the Metrics that
  // returned it.
  class Histogram final {
   public:
    // Counts `value` in the first bucket whose bound is >= value (+Inf when none). NaN is
    // ignored.
    void Observe(double value);
    uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
    double Sum() const { return sum_.load(std::memory_order_relaxed); }
    // The bounds, strictly increasing, without +Inf.
    const std::vector<double>& bounds() const { return bounds_; }
    // Observations <= bounds()[i] (i < bounds().size()) or in all (i == bounds().size()).
    uint64_t CumulativeCount(size_t i) const;

    explicit Histogram(std::vector<double> bounds);

   private:
    const std::vector<double> bounds_;
    std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
    std::atomic<uint64_t> count_{0};
    std::atomic<double> sum_{0.0};
  };

  // Upper bounds (seconds) of the latency histogram buckets; +Inf is implied.
  static constexpr std::array<double, 14> kLatencyBucketsSeconds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};

  // At most this many distinct method labels are kept; calls of further methods are counted
  // under kOtherMethod, so hostile clients calling random method names cannot grow the registry.
  static constexpr size_t kMaxMethods = 512;
  static constexpr char kOtherMethod[] = "other";

  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Records one finished call of `method` (gRPC's "/pkg.Service/Method") with `code` and its
  // server-side `latency`.
  void RecordCall(absl::string_view method, absl::StatusCode code, absl::Duration latency);

  // Calls of `method` finished with `code` so far (0 when none). For tests and dashboards.
  uint64_t CallCount(absl::string_view method, absl::StatusCode code) const;

  // The counter/gauge `name` with `labels`, created on first use with `help` (the help text of
  // the first call wins). The pointer stays valid for the lifetime of the Metrics. `name` must
  // match [a-zA-Z_:][a-zA-Z0-9_:]* (other characters are replaced by '_'). Asking for a counter
  // under a name already used by a gauge (or the reverse) returns a working metric that is
  // never rendered, and logs the conflict once as an error: it is a programming error.
  Counter* GetCounter(absl::string_view name, absl::string_view help,
                      const MetricLabels& labels = {});
  Gauge* GetGauge(absl::string_view name, absl::string_view help, const MetricLabels& labels = {});
  // The histogram `name` with `labels` and bucket upper `bounds` (+Inf implied), created on
  // first use; the help text and bounds of the family's first call win (every series of a
  // family has the same buckets). Bounds that are not finite are dropped and the rest sorted
  // and made unique. Same naming and conflict rules as GetCounter.
  Histogram* GetHistogram(absl::string_view name, absl::string_view help,
                          std::span<const double> bounds, const MetricLabels& labels = {});

  // A function run at the start of each RenderPrometheus(), to set gauges from a state read
  // on demand. Collectors run one render at a time, in the order they were added, on the
  // rendering thread; they must not call RenderPrometheus, AddCollector or RemoveCollector.
  // Keep them quick (a scrape waits for them). Returns an id for RemoveCollector.
  using Collector = std::function<void()>;
  int AddCollector(Collector collector);
  // Removes a collector; once it returns, the collector is not running and never runs again
  // (so what it uses may be destroyed). Unknown ids are ignored.
  void RemoveCollector(int id);

  // Everything, in the Prometheus text exposition format (version 0.0.4), after running the
  // collectors: the two gRPC call families first (when a call was recorded), then the named
  // metrics sorted by name, each family with # HELP and # TYPE lines. Serve it as
  // "text/plain; version=0.0.4; charset=utf-8".
  std::string RenderPrometheus() const;

 private:
  struct MethodStats;
  struct Family;

  MethodStats* StatsFor(absl::string_view method);
  enum class Kind { kCounter, kGauge, kHistogram };
  void* GetMetric(absl::string_view name, absl::string_view help, const MetricLabels& labels,
                  Kind kind, std::span<const double> bounds = {});

  mutable absl::Mutex methods_mu_;
  std::map<std::string, std::unique_ptr<MethodStats>, std::less<>> methods_
      ABSL_GUARDED_BY(methods_mu_);

  mutable absl::Mutex families_mu_;
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_
      ABSL_GUARDED_BY(families_mu_);
  // Metrics handed out for type conflicts, by name and labels: kept alive, never rendered.
  std::map<std::string, std::unique_ptr<Counter>, std::less<>> orphan_counters_
      ABSL_GUARDED_BY(families_mu_);
  std::map<std::string, std::unique_ptr<Gauge>, std::less<>> orphan_gauges_
      ABSL_GUARDED_BY(families_mu_);
  std::map<std::string, std::unique_ptr<Histogram>, std::less<>> orphan_histograms_
      ABSL_GUARDED_BY(families_mu_);

  // Held while collectors run (one render at a time) and while they are added or removed.
  mutable absl::Mutex collectors_mu_;
  std::map<int, Collector> collectors_ ABSL_GUARDED_BY(collectors_mu_);
  int next_collector_id_ ABSL_GUARDED_BY(collectors_mu_) = 1;
};

}  // namespace lianfang::server

#endif  // LIANFANG_COMMON_SERVER_METRICS_H_
