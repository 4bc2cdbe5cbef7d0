#include "common/server/metrics.h"

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
  bool counter = false;
  std::string help;
  // Keyed by the rendered label set, so rendering is sorted and stable.
  std::map<std::string, std::unique_ptr<Counter>, std::less<>> counters;
  std::map<std::string, std::unique_ptr<Gauge>, std::less<>> gauges;
};

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
                         bool counter) {
  const std::string family_name = SanitizeName(name, /*allow_colon=*/true);
  const std::string label_key = RenderLabels(labels);
  {
    absl::ReaderMutexLock lock(&families_mu_);
    auto it = families_.find(family_name);
    if (it != families_.end() && it->second->counter == counter) {
      if (counter) {
        auto c = it->second->counters.find(label_key);
        if (c != it->second->counters.end()) return c->second.get();
      } else {
        auto g = it->second->gauges.find(label_key);
        if (g != it->second->gauges.end()) return g->second.get();
      }
    }
  }
  absl::MutexLock lock(&families_mu_);
  auto it = families_.find(family_name);
  if (it == families_.end()) {
    auto family = std::make_unique<Family>();
    family->counter = counter;
    family->help = std::string(help);
    it = families_.emplace(family_name, std::move(family)).first;
  }
  Family& family = *it->second;
  if (family.counter != counter) {
    // A programming error: hand out a working metric that is never rendered, the same one on
    // every call, and say so once.
    const std::string orphan_key = absl::StrCat(family_name, label_key);
    if (counter) {
      auto& slot = orphan_counters_[orphan_key];
      if (slot == nullptr) {
        logging::Error("metric requested as counter and gauge; the counter is not exported", {},
                       {{"metric", family_name}});
        slot = std::make_unique<Counter>();
      }
      return slot.get();
    }
    auto& slot = orphan_gauges_[orphan_key];
    if (slot == nullptr) {
      logging::Error("metric requested as counter and gauge; the gauge is not exported", {},
                     {{"metric", family_name}});
      slot = std::make_unique<Gauge>();
    }
    return slot.get();
  }
  if (counter) {
    auto& slot = family.counters[label_key];
    if (slot == nullptr) slot = std::make_unique<Counter>();
    return slot.get();
  }
  auto& slot = family.gauges[label_key];
  if (slot == nullptr) slot = std::make_unique<Gauge>();
  return slot.get();
}

Metrics::Counter* Metrics::GetCounter(absl::string_view name, absl::string_view help,
                                      const MetricLabels& labels) {
  return static_cast<Counter*>(GetMetric(name, help, labels, /*counter=*/true));
}

Metrics::Gauge* Metrics::GetGauge(absl::string_view name, absl::string_view help,
                                  const MetricLabels& labels) {
  return static_cast<Gauge*>(GetMetric(name, help, labels, /*counter=*/false));
}

std::string Metrics::RenderPrometheus() const {
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
    AppendHeader(&out, name, family->help, family->counter ? "counter" : "gauge");
    if (family->counter) {
      for (const auto& [labels, counter] : family->counters) {
        absl::StrAppend(&out, name, labels, " ", FormatValue(counter->Value()), "\n");
      }
    } else {
      for (const auto& [labels, gauge] : family->gauges) {
        absl::StrAppend(&out, name, labels, " ", FormatValue(gauge->Value()), "\n");
      }
    }
  }
  return out;
}

}  // namespace lianfang::server
