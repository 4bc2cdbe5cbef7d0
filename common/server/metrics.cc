#include "common/server/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/logging/logging.h"

namespace lianfang::server {
namespace {

constexpr int kNumCodes = 17;                                               // canonical codes 0..16
constexpr size_t kNumBuckets = Metrics::kLatencyBucketsSeconds.size() + 1;  // + the +Inf one

bool IsNameChar(char c, bool first, bool allow_colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (allow_colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

std::string SanitizeName(absl::string_view name, bool allow_colon) {
  std::string out;
  out.reserve(name.size() + 1);
  for (size_t i = 0; i < name.size(); ++i) {
    out.push_back(IsNameChar(name[i], i == 0, allow_colon) ? name[i] : '_');
  }
  if (out.empty()) out.push_back('_');
  return out;
}

// Label values: backslash, double quote and newline are escaped (exposition format 0.0.4).
std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out.append("\\\\");
        break;
      case '"':
        out.append("\\\"");
        break;
      case '\n':
        out.append("\\n");
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// HELP text: backslash and newline are escaped.
std::string EscapeHelp(absl::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string RenderLabels(const MetricLabels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out.push_back(',');
    absl::StrAppend(&out, SanitizeName(labels[i].first, /*allow_colon=*/false), "=\"",
                    EscapeLabelValue(labels[i].second), "\"");
  }
  out.push_back('}');
  return out;
}

// Integral values print as integers (counters stay exact up to 2^53); others with enough digits
// to round-trip the usual magnitudes.
std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  return absl::StrFormat("%.15g", value);
}

std::string FormatBound(double bound) { return absl::StrFormat("%g", bound); }

void AppendHeader(std::string* out, absl::string_view name, absl::string_view help,
                  absl::string_view type) {
  absl::StrAppend(out, "# HELP ", name, " ", EscapeHelp(help), "\n");
  absl::StrAppend(out, "# TYPE ", name, " ", type, "\n");
}

}  // namespace

struct Metrics::MethodStats {
  std::array<std::atomic<uint64_t>, kNumCodes> by_code{};
  std::array<std::atomic<uint64_t>, kNumBuckets> buckets{};  // not cumulative
  std::atomic<uint64_t> latency_sum_nanos{0};
};

struct Metrics::Family {
  Kind kind = Kind::kCounter;
  std::string help;
  std::vector<double> bounds;  // histograms
  // Keyed by the rendered label set, so rendering is sorted and stable.
  std::map<std::string, std::unique_ptr<Counter>, std::less<>> counters;
  std::map<std::string, std::unique_ptr<Gauge>, std::less<>> gauges;
  std::map<std::string, std::unique_ptr<Histogram>, std::less<>> histograms;
};

namespace {

std::vector<double> CleanBounds(std::span<const double> bounds) {
  std::vector<double> out;
  for (double b : bounds) {
    if (std::isfinite(b)) out.push_back(b);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

Metrics::Histogram::Histogram(std::vector<double> bounds)
    : bounds_(CleanBounds(bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Metrics::Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  const size_t bucket = static_cast<size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

uint64_t Metrics::Histogram::CumulativeCount(size_t i) const {
  uint64_t n = 0;
  for (size_t b = 0; b <= std::min(i, bounds_.size()); ++b) {
    n += buckets_[b].load(std::memory_order_relaxed);
  }
  return n;
}

void Metrics::Counter::Increment(double amount) {
  if (!(amount >= 0)) return;  // also rejects NaN
  value_.fetch_add(amount, std::memory_order_relaxed);
}

void Metrics::Gauge::Add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }

Metrics::Metrics() = default;
Metrics::~Metrics() = default;

Metrics::MethodStats* Metrics::StatsFor(absl::string_view method) {
  {
    absl::ReaderMutexLock lock(&methods_mu_);
    auto it = methods_.find(method);
    if (it != methods_.end()) return it->second.get();
  }
  absl::MutexLock lock(&methods_mu_);
  auto it = methods_.find(method);
  if (it != methods_.end()) return it->second.get();
  if (methods_.size() >= kMaxMethods) {
    auto other = methods_.find(absl::string_view(kOtherMethod));
    if (other != methods_.end()) return other->second.get();
    method = kOtherMethod;  // the one extra entry beyond the bound
  }
  auto inserted = methods_.emplace(std::string(method), std::make_unique<MethodStats>());
  return inserted.first->second.get();
}

void Metrics::RecordCall(absl::string_view method, absl::StatusCode code, absl::Duration latency) {
  MethodStats* stats = StatsFor(method);
  int code_index = static_cast<int>(code);
  if (code_index < 0 || code_index >= kNumCodes)
    code_index = static_cast<int>(absl::StatusCode::kUnknown);
  stats->by_code[code_index].fetch_add(1, std::memory_order_relaxed);
  const double seconds = absl::ToDoubleSeconds(latency);
  size_t bucket = 0;
  while (bucket < kLatencyBucketsSeconds.size() && seconds > kLatencyBucketsSeconds[bucket]) {
    ++bucket;
  }
  stats->buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  const int64_t nanos = absl::ToInt64Nanoseconds(latency);
  stats->latency_sum_nanos.fetch_add(nanos > 0 ? static_cast<uint64_t>(nanos) : 0,
                                     std::memory_order_relaxed);
}

uint64_t Metrics::CallCount(absl::string_view method, absl::StatusCode code) const {
  const int code_index = static_cast<int>(code);
  if (code_index < 0 || code_index >= kNumCodes) return 0;
  absl::ReaderMutexLock lock(&methods_mu_);
  auto it = methods_.find(method);
  if (it == methods_.end()) return 0;
  return it->second->by_code[code_index].load(std::memory_order_relaxed);
}

void* Metrics::GetMetric(absl::string_view name, absl::string_view help, const MetricLabels& labels,
                         Kind kind, std::span<const double> bounds) {
  const std::string family_name = SanitizeName(name, /*allow_colon=*/true);
  const std::string label_key = RenderLabels(labels);
  auto find = [&](const Family& family) -> void* {
    switch (kind) {
      case Kind::kCounter: {
        auto c = family.counters.find(label_key);
        return c == family.counters.end() ? nullptr : c->second.get();
      }
      case Kind::kGauge: {
        auto g = family.gauges.find(label_key);
        return g == family.gauges.end() ? nullptr : g->second.get();
      }
      case Kind::kHistogram: {
        auto h = family.histograms.find(label_key);
        return h == family.histograms.end() ? nullptr : h->second.get();
      }
    }
    return nullptr;
  };
  {
    absl::ReaderMutexLock lock(&families_mu_);
    auto it = families_.find(family_name);
    if (it != families_.end() && it->second->kind == kind) {
      if (void* found = find(*it->second); found != nullptr) return found;
    }
  }
  absl::MutexLock lock(&families_mu_);
  auto it = families_.find(family_name);
  if (it == families_.end()) {
    auto family = std::make_unique<Family>();
    family->kind = kind;
    family->help = std::string(help);
    if (kind == Kind::kHistogram) family->bounds = CleanBounds(bounds);
    it = families_.emplace(family_name, std::move(family)).first;
  }
  Family& family = *it->second;
  if (family.kind != kind) {
    // A programming error: hand out a working metric that is never rendered, the same one on
    // every call, and say so once.
    const std::string orphan_key = absl::StrCat(family_name, label_key);
    auto say = [&] {
      logging::Error("metric requested with two types; the later type is not exported", {},
                     {{"metric", family_name}});
    };
    switch (kind) {
      case Kind::kCounter: {
        auto& slot = orphan_counters_[orphan_key];
        if (slot == nullptr) {
          say();
          slot = std::make_unique<Counter>();
        }
        return slot.get();
      }
      case Kind::kGauge: {
        auto& slot = orphan_gauges_[orphan_key];
        if (slot == nullptr) {
          say();
          slot = std::make_unique<Gauge>();
        }
        return slot.get();
      }
      case Kind::kHistogram: {
        auto& slot = orphan_histograms_[orphan_key];
        if (slot == nullptr) {
          say();
          slot = std::make_unique<Histogram>(std::vector<double>(bounds.begin(), bounds.end()));
        }
        return slot.get();
      }
    }
  }
  if (void* found = find(family); found != nullptr) return found;
  switch (kind) {
    case Kind::kCounter:
      return (family.counters[label_key] = std::make_unique<Counter>()).get();
    case Kind::kGauge:
      return (family.gauges[label_key] = std::make_unique<Gauge>()).get();
    case Kind::kHistogram:
      return (family.histograms[label_key] = std::make_unique<Histogram>(family.bounds)).get();
  }
  return nullptr;
}

Metrics::Counter* Metrics::GetCounter(absl::string_view name, absl::string_view help,
                                      const MetricLabels& labels) {
  return static_cast<Counter*>(GetMetric(name, help, labels, Kind::kCounter));
}

Metrics::Gauge* Metrics::GetGauge(absl::string_view name, absl::string_view help,
                                  const MetricLabels& labels) {
  return static_cast<Gauge*>(GetMetric(name, help, labels, Kind::kGauge));
}

Metrics::Histogram* Metrics::GetHistogram(absl::string_view name, absl::string_view help,
                                          std::span<const double> bounds,
                                          const MetricLabels& labels) {
  return static_cast<Histogram*>(GetMetric(name, help, labels, Kind::kHistogram, bounds));
}

int Metrics::AddCollector(Collector collector) {
  absl::MutexLock lock(&collectors_mu_);
  const int id = next_collector_id_++;
  collectors_.emplace(id, std::move(collector));
  return id;
}

void Metrics::RemoveCollector(int id) {
  absl::MutexLock lock(&collectors_mu_);
  collectors_.erase(id);
}

std::string Metrics::RenderPrometheus() const {
  {
    absl::MutexLock lock(&collectors_mu_);
    for (const auto& [id, collector] : collectors_) collector();
  }
  std::string out;
  {
    absl::ReaderMutexLock lock(&methods_mu_);
    if (!methods_.empty()) {
      AppendHeader(&out, "lf_grpc_server_handled_total",
                   "gRPC calls completed by the server, by method and status code.", "counter");
      for (const auto& [method, stats] : methods_) {
        const std::string method_label = EscapeLabelValue(method);
        for (int code = 0; code < kNumCodes; ++code) {
          const uint64_t n = stats->by_code[code].load(std::memory_order_relaxed);
          if (n == 0) continue;
          absl::StrAppend(
              &out, "lf_grpc_server_handled_total{grpc_method=\"", method_label, "\",grpc_code=\"",
              absl::StatusCodeToString(static_cast<absl::StatusCode>(code)), "\"} ", n, "\n");
        }
      }
      AppendHeader(&out, "lf_grpc_server_handling_seconds",
                   "Server-side latency of gRPC calls, by method.", "histogram");
      for (const auto& [method, stats] : methods_) {
        const std::string method_label = EscapeLabelValue(method);
        uint64_t cumulative = 0;
        for (size_t b = 0; b < kNumBuckets; ++b) {
          cumulative += stats->buckets[b].load(std::memory_order_relaxed);
          const std::string le = b < kLatencyBucketsSeconds.size()
                                     ? FormatBound(kLatencyBucketsSeconds[b])
                                     : std::string("+Inf");
          absl::StrAppend(&out, "lf_grpc_server_handling_seconds_bucket{grpc_method=\"",
                          method_label, "\",le=\"", le, "\"} ", cumulative, "\n");
        }
        const double sum_seconds =
            static_cast<double>(stats->latency_sum_nanos.load(std::memory_order_relaxed)) / 1e9;
        absl::StrAppend(&out, "lf_grpc_server_handling_seconds_sum{grpc_method=\"", method_label,
                        "\"} ", FormatValue(sum_seconds), "\n");
        absl::StrAppend(&out, "lf_grpc_server_handling_seconds_count{grpc_method=\"", method_label,
                        "\"} ", cumulative, "\n");
      }
    }
  }
  absl::ReaderMutexLock lock(&families_mu_);
  for (const auto& [name, family] : families_) {
    switch (family->kind) {
      case Kind::kCounter:
        AppendHeader(&out, name, family->help, "counter");
        for (const auto& [labels, counter] : family->counters) {
          absl::StrAppend(&out, name, labels, " ", FormatValue(counter->Value()), "\n");
        }
        break;
      case Kind::kGauge:
        AppendHeader(&out, name, family->help, "gauge");
        for (const auto& [labels, gauge] : family->gauges) {
          absl::StrAppend(&out, name, labels, " ", FormatValue(gauge->Value()), "\n");
        }
        break;
      case Kind::kHistogram:
        AppendHeader(&out, name, family->help, "histogram");
        for (const auto& [labels, histogram] : family->histograms) {
          // `labels` is "" or "{a="x"}": the bucket's `le` joins them.
          const std::string open =
              labels.empty() ? std::string("{") : labels.substr(0, labels.size() - 1) + ",";
          const std::vector<double>& bounds = histogram->bounds();
          uint64_t total = 0;
          for (size_t b = 0; b <= bounds.size(); ++b) {
            total = histogram->CumulativeCount(b);
            const std::string le = b < bounds.size() ? FormatBound(bounds[b]) : "+Inf";
            absl::StrAppend(&out, name, "_bucket", open, "le=\"", le, "\"} ", total, "\n");
          }
          absl::StrAppend(&out, name, "_sum", labels, " ", FormatValue(histogram->Sum()), "\n");
          absl::StrAppend(&out, name, "_count", labels, " ", total, "\n");
        }
        break;
    }
  }
  return out;
}

}  // namespace lianfang::server
