#include "common/server/metrics.h"

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kRecord[] = "/lianfang.gate.v1.GateService/RecordPassage";

TEST(MetricsTest, CallsAreCountedByMethodAndCode) {
  Metrics metrics;
  metrics.RecordCall(kRecord, absl::StatusCode::kOk, absl::Milliseconds(2));
  metrics.RecordCall(kRecord, absl::StatusCode::kOk, absl::Milliseconds(3));
  metrics.RecordCall(kRecord, absl::StatusCode::kInvalidArgument, absl::Milliseconds(1));

  EXPECT_EQ(metrics.CallCount(kRecord, absl::StatusCode::kOk), 2u);
  EXPECT_EQ(metrics.CallCount(kRecord, absl::StatusCode::kInvalidArgument), 1u);
  EXPECT_EQ(metrics.CallCount(kRecord, absl::StatusCode::kInternal), 0u);
  EXPECT_EQ(metrics.CallCount("/other.S/M", absl::StatusCode::kOk), 0u);

  const std::string text = metrics.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("# TYPE lf_grpc_server_handled_total counter\n"));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("lf_grpc_server_handled_total{grpc_method=\"", kRecord,
                                           "\",grpc_code=\"OK\"} 2\n")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("lf_grpc_server_handled_total{grpc_method=\"", kRecord,
                                           "\",grpc_code=\"INVALID_ARGUMENT\"} 1\n")));
}

TEST(MetricsTest, LatencyHistogramIsCumulative) {
  Metrics metrics;
  metrics.RecordCall(kRecord, absl::StatusCode::kOk, absl::Microseconds(300));  // <= 0.0005
  metrics.RecordCall(kRecord, absl::StatusCode::kOk, absl::Milliseconds(4));    // <= 0.005
  metrics.RecordCall(kRecord, absl::StatusCode::kOk, absl::Seconds(30));        // +Inf only

  const std::string text = metrics.RenderPrometheus();
  const std::string prefix =
      absl::StrCat("lf_grpc_server_handling_seconds_bucket{grpc_method=\"", kRecord, "\",le=\"");
  EXPECT_THAT(text, HasSubstr("# TYPE lf_grpc_server_handling_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr(prefix + "0.0005\"} 1\n"));
  EXPECT_THAT(text, HasSubstr(prefix + "0.0025\"} 1\n"));
  EXPECT_THAT(text, HasSubstr(prefix + "0.005\"} 2\n"));
  EXPECT_THAT(text, HasSubstr(prefix + "10\"} 2\n"));
  EXPECT_THAT(text, HasSubstr(prefix + "+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("lf_grpc_server_handling_seconds_count{grpc_method=\"",
                                           kRecord, "\"} 3\n")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("lf_grpc_server_handling_seconds_sum{grpc_method=\"",
                                           kRecord, "\"} 30.0043\n")));
}

TEST(MetricsTest, NamedGaugesAndCountersAreRendered) {
  Metrics metrics;
  Metrics::Gauge* redis_up = metrics.GetGauge("lf_redis_up", "1 when Redis answers");
  redis_up->Set(1);
  metrics.GetGauge("lf_outbox_backlog", "Effects waiting", {{"target", "dispatch"}})->Set(7);
  metrics.GetGauge("lf_outbox_backlog", "Effects waiting", {{"target", "gate"}})->Set(0);
  Metrics::Counter* sent = metrics.GetCounter("lf_outbox_sent_total", "Effects delivered");
  sent->Increment();
  sent->Increment(2);
  sent->Increment(-5);  // ignored: counters only go up

  // The same name and labels give the same metric.
  EXPECT_EQ(metrics.GetGauge("lf_redis_up", "ignored"), redis_up);
  EXPECT_EQ(sent->Value(), 3);

  const std::string text = metrics.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("# HELP lf_redis_up 1 when Redis answers\n"
                              "# TYPE lf_redis_up gauge\n"
                              "lf_redis_up 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE lf_outbox_backlog gauge\n"
                              "lf_outbox_backlog{target=\"dispatch\"} 7\n"
                              "lf_outbox_backlog{target=\"gate\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE lf_outbox_sent_total counter\nlf_outbox_sent_total 3\n"));
  // Without calls there is no gRPC family.
  EXPECT_THAT(text, Not(HasSubstr("lf_grpc_server")));
}

TEST(MetricsTest, LabelValuesAndHelpAreEscaped) {
  Metrics metrics;
  metrics.GetGauge("lf_odd", "line one\nline \\two", {{"path", "a\"b\\c\nd"}})->Set(0.25);
  const std::string text = metrics.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("# HELP lf_odd line one\\nline \\\\two\n"));
  EXPECT_THAT(text, HasSubstr("lf_odd{path=\"a\\\"b\\\\c\\nd\"} 0.25\n"));
}

TEST(MetricsTest, InvalidNamesAreSanitized) {
  Metrics metrics;
  metrics.GetCounter("lf-bad name", "x")->Increment();
  EXPECT_THAT(metrics.RenderPrometheus(), HasSubstr("\nlf_bad_name 1\n"));
}

TEST(MetricsTest, ANameUsedWithTwoTypesKeepsTheFirst) {
  Metrics metrics;
  metrics.GetGauge("lf_thing", "a gauge")->Set(5);
  Metrics::Counter* conflicting = metrics.GetCounter("lf_thing", "a counter");
  conflicting->Increment(100);  // works, but is not exported
  EXPECT_EQ(metrics.GetCounter("lf_thing", "a counter"), conflicting);
  const std::string text = metrics.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("# TYPE lf_thing gauge\nlf_thing 5\n"));
  EXPECT_THAT(text, Not(HasSubstr("100")));
}

TEST(MetricsTest, MethodLabelsAreBounded) {
  Metrics metrics;
  for (size_t i = 0; i < Metrics::kMaxMethods + 10; ++i) {
    metrics.RecordCall(absl::StrCat("/x.S/M", i), absl::StatusCode::kUnimplemented,
                       absl::Milliseconds(1));
  }
  EXPECT_EQ(metrics.CallCount(Metrics::kOtherMethod, absl::StatusCode::kUnimplemented), 10u);
  EXPECT_EQ(metrics.CallCount(absl::StrCat("/x.S/M", Metrics::kMaxMethods + 5),
                              absl::StatusCode::kUnimplemented),
            0u);
}

TEST(MetricsTest, ConcurrentRecordingLosesNothing) {
  Metrics metrics;
  Metrics::Counter* counter = metrics.GetCounter("lf_events_total", "events");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&metrics, counter, t] {
      for (int i = 0; i < 2000; ++i) {
        metrics.RecordCall(absl::StrCat("/x.S/M", i % 3), absl::StatusCode::kOk,
                           absl::Microseconds(t + 1));
        counter->Increment();
        metrics.GetGauge("lf_level", "level")->Add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  uint64_t total = 0;
  for (int m = 0; m < 3; ++m) {
    total += metrics.CallCount(absl::StrCat("/x.S/M", m), absl::StatusCode::kOk);
  }
  EXPECT_EQ(total, 8000u);
  EXPECT_EQ(counter->Value(), 8000);
  EXPECT_EQ(metrics.GetGauge("lf_level", "level")->Value(), 8000);
}

TEST(MetricsTest, HistogramsWithCustomBucketsAreCumulativeWithSumAndCount) {
  Metrics metrics;
  constexpr double kBounds[] = {1, 4, 16};
  Metrics::Histogram* sizes =
      metrics.GetHistogram("lf_batch_size", "functions per batch", kBounds, {{"db", "main"}});
  for (double v : {1.0, 3.0, 4.0, 20.0}) sizes->Observe(v);
  sizes->Observe(std::nan(""));  // ignored
  EXPECT_EQ(sizes->Count(), 4u);
  EXPECT_EQ(metrics.GetHistogram("lf_batch_size", "other help", kBounds, {{"db", "main"}}), sizes);

  const std::string text = metrics.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("# HELP lf_batch_size functions per batch\n"
                              "# TYPE lf_batch_size histogram\n"
                              "lf_batch_size_bucket{db=\"main\",le=\"1\"} 1\n"
                              "lf_batch_size_bucket{db=\"main\",le=\"4\"} 3\n"
                              "lf_batch_size_bucket{db=\"main\",le=\"16\"} 3\n"
                              "lf_batch_size_bucket{db=\"main\",le=\"+Inf\"} 4\n"
                              "lf_batch_size_sum{db=\"main\"} 28\n"
                              "lf_batch_size_count{db=\"main\"} 4\n"));
}

TEST(MetricsTest, AHistogramWithoutLabelsAndUnsortedBoundsRendersInOrder) {
  Metrics metrics;
  const std::vector<double> bounds = {0.5, 0.1, 0.5, std::numeric_limits<double>::infinity()};
  Metrics::Histogram* seconds = metrics.GetHistogram("lf_wait_seconds", "waits", bounds);
  seconds->Observe(0.05);
  seconds->Observe(0.2);
  EXPECT_EQ(seconds->bounds(), (std::vector<double>{0.1, 0.5}));
  const std::string text = metrics.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("lf_wait_seconds_bucket{le=\"0.1\"} 1\n"
                              "lf_wait_seconds_bucket{le=\"0.5\"} 2\n"
                              "lf_wait_seconds_bucket{le=\"+Inf\"} 2\n"
                              "lf_wait_seconds_sum 0.25\n"
                              "lf_wait_seconds_count 2\n"));
}

TEST(MetricsTest, AHistogramNameAlreadyUsedByAGaugeIsNotExported) {
  Metrics metrics;
  metrics.GetGauge("lf_thing", "a gauge")->Set(5);
  constexpr double kBounds[] = {1};
  metrics.GetHistogram("lf_thing", "a histogram", kBounds)->Observe(1);
  const std::string text = metrics.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("# TYPE lf_thing gauge\nlf_thing 5\n"));
  EXPECT_THAT(text, Not(HasSubstr("lf_thing_bucket")));
}

TEST(MetricsTest, CollectorsRunBeforeEachRenderUntilRemoved) {
  Metrics metrics;
  int runs = 0;
  const int id = metrics.AddCollector([&] {
    ++runs;
    metrics.GetGauge("lf_collected", "set by a collector")->Set(runs * 10);
  });
  EXPECT_THAT(metrics.RenderPrometheus(), HasSubstr("lf_collected 10\n"));
  EXPECT_THAT(metrics.RenderPrometheus(), HasSubstr("lf_collected 20\n"));
  metrics.RemoveCollector(id);
  metrics.RemoveCollector(id);  // unknown ids are ignored
  EXPECT_THAT(metrics.RenderPrometheus(), HasSubstr("lf_collected 20\n"));
  EXPECT_EQ(runs, 2);
}

}  // namespace
}  // namespace lianfang::server
