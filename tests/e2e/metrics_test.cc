// Metrics end to end: the six real binaries started with LF_METRICS_LISTEN on ports picked at
// run time. A guard takes duty, passages are admitted and denied, yesterday's report is
// generated and submitted; then each service's GET /metrics shows what a sysadmin's Prometheus
// would see, and `promtool check metrics` (Debian's prometheus package) accepts every
// endpoint's output.
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/pii/pii.h"
#include "common/server/grpc_status.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/suite.h"
#include "common/testing/poll.h"
#include "common/testing/ports.h"
#include "common/testing/service_binaries.h"
#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "lianfang/report/v1/report.grpc.pb.h"

namespace lianfang {
namespace {

using ::lianfang::testing::NewClientContext;
using ::lianfang::testing::Suite;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr absl::Duration kWait = absl::Seconds(30);

// A valid resident ID number (GB 11643 check digit), distinct for each `n`.
std::string IdNumber(int n) {
  const std::string first17 = absl::StrFormat("11010519900307%03d", n);
  return absl::StrCat(first17, std::string(1, pii::IdNumberCheckDigit(first17)));
}

// GET http://127.0.0.1:port/path: the body of a 200, or a description of what came instead.
std::string Fetch(int port, const std::string& path, std::string* content_type = nullptr) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  httplib::Result result = client.Get(path.c_str());
  if (!result) return absl::StrCat("<no answer: ", httplib::to_string(result.error()), ">");
  if (content_type != nullptr) *content_type = result->get_header_value("Content-Type");
  if (result->status != 200) return absl::StrCat("<status ", result->status, ">");
  return result->body;
}

// The line of `series` ("name" or "name{labels}") in `text`, "" when absent.
std::string Line(const std::string& text, absl::string_view series) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, absl::StrCat(series, " "))) return std::string(line);
  }
  return "";
}

// The value of `series` in `text`, -1 when absent.
double Value(const std::string& text, absl::string_view series) {
  const std::string line = Line(text, series);
  double value = -1;
  if (!line.empty() && !absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) return -1;
  return value;
}

class MetricsEndToEndTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    suite_ = new Suite();
    Suite::Options options;
    options.services = Suite::AllServices();
    options.metrics = true;
    // Yesterday's report is due at midnight: overdue until it is submitted.
    options.service_env["report"] = {{"LF_REPORT_DEADLINE", "00:00"}};
    const absl::Status started = suite_->Start(options);
    if (!started.ok()) {
      delete suite_;
      suite_ = nullptr;
      FAIL() << started;
    }
  }
  static void TearDownTestSuite() {
    delete suite_;
    suite_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(suite_, nullptr); }

  std::string Metrics(const std::string& service) {
    return Fetch(suite_->metrics_port(service), "/metrics");
  }

  // Polls `service`'s /metrics until `series` has `value`; returns the last text seen.
  std::string AwaitValue(const std::string& service, absl::string_view series, double value) {
    std::string text;
    lianfang::testing::PollUntil(
        [&] {
          text = Metrics(service);
          return Value(text, series) == value;
        },
        kWait);
    return text;
  }

  static Suite* suite_;
};

Suite* MetricsEndToEndTest::suite_ = nullptr;

TEST_F(MetricsEndToEndTest, EveryServiceServesItsRegistryOnItsMetricsPortOnly) {
  for (const std::string& service : Suite::AllServices()) {
    SCOPED_TRACE(service);
    const int port = suite_->metrics_port(service);
    ASSERT_GT(port, 0);
    std::string content_type;
    const std::string text = Fetch(port, "/metrics", &content_type);
    EXPECT_EQ(content_type, "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_THAT(text, HasSubstr("# TYPE lf_grpc_server_in_flight gauge\n"));
    EXPECT_THAT(text, HasSubstr("# TYPE lf_sql_commit_seconds histogram\n"));
    EXPECT_EQ(Fetch(port, "/"), "<status 404>");
  }
}

TEST_F(MetricsEndToEndTest, PassagesDutyAndTheReportShowInTheNumbers) {
  auto gate = gate::v1::GateService::NewStub(suite_->Channel("gate"));
  const std::string guard = suite_->tokens().For(auth::Role::kGuard, "guard-chen", {"campus"});
  const std::string leader = suite_->tokens().For(auth::Role::kLeader, "leader-li");

  // Before: no guard anywhere, yesterday's report not submitted.
  std::string text = AwaitValue("gate", "lf_gate_unguarded{site=\"campus\",gate=\"east\"}", 1);
  EXPECT_EQ(Line(text, "lf_gate_unguarded{site=\"campus\",gate=\"north\"}"),
            "lf_gate_unguarded{site=\"campus\",gate=\"north\"} 1");
  text = AwaitValue("report", "lf_report_overdue{site=\"campus\"}", 1);
  EXPECT_EQ(Line(text, "lf_report_overdue{site=\"village\"}"),
            "lf_report_overdue{site=\"village\"} 1");

  gate::v1::StartDutyRequest duty;
  duty.set_request_id("duty-1");
  duty.set_site_id("campus");
  duty.set_gate_id("east");
  gate::v1::StartDutyResponse duty_response;
  ASSERT_TRUE(gate->StartDuty(NewClientContext(guard, kWait).get(), duty, &duty_response).ok());

  gate::v1::IssuePassRequest issue;
  issue.set_request_id("pass-1");
  issue.set_site_id("campus");
  issue.mutable_person()->set_id_number(IdNumber(1));
  issue.mutable_person()->set_name("王晓明");
  issue.mutable_person()->set_phone("13800138001");
  issue.set_kind(gate::v1::PASS_KIND_STAFF);
  gate::v1::Pass pass;
  ASSERT_OK(
      server::FromGrpcStatus(gate->IssuePass(NewClientContext(leader, kWait).get(), issue, &pass)));
  auto passage = [&](const std::string& id, const std::string& id_number) {
    gate::v1::RecordPassageRequest request;
    request.set_request_id(id);
    request.set_site_id("campus");
    request.set_gate_id("east");
    request.set_direction(gate::v1::DIRECTION_ENTRY);
    request.mutable_person()->set_id_number(id_number);
    request.mutable_person()->set_name("某人");
    request.set_temperature_c(36.5);
    gate::v1::RecordPassageResponse response;
    EXPECT_OK(server::FromGrpcStatus(
        gate->RecordPassage(NewClientContext(guard, kWait).get(), request, &response)));
    return response.passage().decision();
  };
  EXPECT_EQ(passage("p-1", IdNumber(1)), gate::v1::DECISION_ADMITTED);
  EXPECT_EQ(passage("p-2", IdNumber(2)), gate::v1::DECISION_DENIED);  // no pass
  EXPECT_EQ(passage("p-3", IdNumber(3)), gate::v1::DECISION_DENIED);

  text = Metrics("gate");
  EXPECT_EQ(Line(text, "lf_gate_passages_total{site=\"campus\",decision=\"admitted\"}"),
            "lf_gate_passages_total{site=\"campus\",decision=\"admitted\"} 1");
  EXPECT_EQ(Line(text, "lf_gate_passages_total{site=\"campus\",decision=\"denied\"}"),
            "lf_gate_passages_total{site=\"campus\",decision=\"denied\"} 2");
  EXPECT_EQ(Line(text, "lf_gate_unguarded{site=\"campus\",gate=\"east\"}"),
            "lf_gate_unguarded{site=\"campus\",gate=\"east\"} 0");
  EXPECT_EQ(Line(text, "lf_gate_unguarded{site=\"campus\",gate=\"north\"}"),
            "lf_gate_unguarded{site=\"campus\",gate=\"north\"} 1");
  EXPECT_EQ(Line(text,
                 "lf_grpc_server_handled_total{grpc_method=\"/lianfang.gate.v1.GateService/"
                 "RecordPassage\",grpc_code=\"OK\"}"),
            "lf_grpc_server_handled_total{grpc_method=\"/lianfang.gate.v1.GateService/"
            "RecordPassage\",grpc_code=\"OK\"} 3");
  EXPECT_EQ(Value(text,
                  "lf_grpc_server_handling_seconds_count{grpc_method=\"/lianfang.gate.v1."
                  "GateService/RecordPassage\"}"),
            3);
  // Duty, pass and three passages: at least five functions committed, in some batches.
  EXPECT_GE(Value(text, "lf_sql_commit_batch_size_sum"), 5);
  EXPECT_GE(Value(text, "lf_sql_commit_seconds_count"), 1);
  EXPECT_EQ(Line(text, "lf_sql_errors_total"), "lf_sql_errors_total 0");
  // A call gives its slot back once it is torn down, just after its answer.
  EXPECT_EQ(Value(AwaitValue("gate", "lf_grpc_server_in_flight", 0), "lf_grpc_server_in_flight"),
            0);
  // Live counts in Redis, and the outbox (nothing to deliver: no fever).
  text = AwaitValue("gate", "lf_redis_up", 1);
  EXPECT_EQ(Line(text, "lf_redis_errors_total"), "lf_redis_errors_total 0");
  EXPECT_GE(Value(text, "lf_live_count_reconciles_total"), 1);
  EXPECT_EQ(Line(text, "lf_outbox_backlog"), "lf_outbox_backlog 0");
  EXPECT_EQ(Line(text, "lf_outbox_oldest_age_seconds"), "lf_outbox_oldest_age_seconds 0");

  // Yesterday's report (in LF_TZ), generated and submitted: no longer overdue.
  absl::TimeZone tz;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &tz));
  const std::string yesterday = time::FormatDate(absl::ToCivilDay(absl::Now(), tz) - 1);
  auto report = report::v1::ReportService::NewStub(suite_->Channel("report"));
  report::v1::GenerateDailyReportRequest generate;
  generate.set_request_id("gen-1");
  generate.set_date(yesterday);
  report::v1::DailyReport generated;
  ASSERT_OK(server::FromGrpcStatus(
      report->GenerateDailyReport(NewClientContext(leader, kWait).get(), generate, &generated)));
  report::v1::SubmitDailyReportRequest submit;
  submit.set_request_id("sub-1");
  submit.set_report_id(generated.report_id());
  report::v1::DailyReport submitted;
  ASSERT_OK(server::FromGrpcStatus(
      report->SubmitDailyReport(NewClientContext(leader, kWait).get(), submit, &submitted)));
  text = Metrics("report");
  for (const char* site : {"campus", "family-area", "community", "village"}) {
    EXPECT_EQ(Line(text, absl::StrCat("lf_report_overdue{site=\"", site, "\"}")),
              absl::StrCat("lf_report_overdue{site=\"", site, "\"} 0"));
  }
  EXPECT_EQ(Line(text,
                 "lf_grpc_server_handled_total{grpc_method=\"/lianfang.report.v1.ReportService/"
                 "SubmitDailyReport\",grpc_code=\"OK\"}"),
            "lf_grpc_server_handled_total{grpc_method=\"/lianfang.report.v1.ReportService/"
            "SubmitDailyReport\",grpc_code=\"OK\"} 1");
  // The report service uses no Redis: no Redis series there.
  EXPECT_EQ(Line(text, "lf_redis_up"), "");

  // No phone enrolled: every gate's offline queue is 0.
  text = Metrics("accounts");
  EXPECT_EQ(Line(text, "lf_device_offline_queue_length{site=\"campus\",gate=\"east\"}"),
            "lf_device_offline_queue_length{site=\"campus\",gate=\"east\"} 0");
}

// lf-report started like the suite's, on a new gRPC port, with LF_METRICS_LISTEN=`value`: how
// it ended and what it said.
std::pair<lianfang::testing::ExitStatus, std::string> StartReportWithMetricsListen(
    const Suite& suite, const std::string& value) {
  lianfang::testing::Subprocess::Options options;
  absl::StatusOr<std::string> binary = lianfang::testing::BinaryPath("lf-report");
  if (!binary.ok()) return {{}, std::string(binary.status().message())};
  options.args = {*binary};
  options.env = suite.Environment("report");
  absl::StatusOr<int> port = lianfang::testing::PickFreePort();
  if (!port.ok()) return {{}, std::string(port.status().message())};
  for (auto& [name, setting] : options.env) {
    if (name == "LF_LISTEN") setting = absl::StrCat("127.0.0.1:", *port);
    if (name == "LF_METRICS_LISTEN") setting = value;
  }
  absl::StatusOr<std::unique_ptr<lianfang::testing::Subprocess>> process =
      lianfang::testing::Subprocess::Start(options);
  if (!process.ok()) return {{}, std::string(process.status().message())};
  absl::StatusOr<lianfang::testing::ExitStatus> exit = (*process)->Wait(kWait);
  if (!exit.ok()) (void)(*process)->Terminate(absl::Seconds(10));
  return {exit.value_or(lianfang::testing::ExitStatus{}), (*process)->ReadStderr()};
}

TEST_F(MetricsEndToEndTest, ABadOrTakenMetricsAddressStopsTheStartNamingTheSetting) {
  const auto [bad_exit, bad_log] = StartReportWithMetricsListen(*suite_, "9100");
  EXPECT_EQ(bad_exit.exit_code, 2) << bad_log;
  EXPECT_THAT(bad_log, HasSubstr("LF_METRICS_LISTEN (--metrics-listen): "));
  // The gate's metrics port is taken by the running gate.
  const auto [taken_exit, taken_log] = StartReportWithMetricsListen(
      *suite_, absl::StrCat("127.0.0.1:", suite_->metrics_port("gate")));
  EXPECT_EQ(taken_exit.exit_code, 2) << taken_log;
  EXPECT_THAT(taken_log, HasSubstr("LF_METRICS_LISTEN (--metrics-listen): cannot listen on"));
}

// `promtool check metrics` on `text`: its exit status and output.
struct PromtoolResult {
  int status = -1;
  std::string output;
};
PromtoolResult Promtool(const lianfang::testing::TempDir& dir, const std::string& name,
                        const std::string& text) {
  const std::string input = dir.File(absl::StrCat(name, ".prom"));
  const std::string output = dir.File(absl::StrCat(name, ".out"));
  std::ofstream(input) << text;
  PromtoolResult result;
  result.status = std::system(
      absl::StrCat("promtool check metrics < '", input, "' > '", output, "' 2>&1").c_str());
  std::ifstream in(output);
  std::stringstream buffer;
  buffer << in.rdbuf();
  result.output = buffer.str();
  return result;
}

TEST_F(MetricsEndToEndTest, PromtoolAcceptsEveryEndpoint) {
  if (std::system("command -v promtool > /dev/null 2>&1") != 0) {
    const char* allow = std::getenv("LF_ALLOW_MISSING_PROMTOOL");
    if (allow != nullptr && std::string(allow) == "1") {
      GTEST_SKIP() << "promtool is not installed and LF_ALLOW_MISSING_PROMTOOL=1 "
                      "(tools/install-deps.sh installs Debian's prometheus package)";
    }
    FAIL() << "promtool is not installed: run tools/install-deps.sh (Debian's prometheus "
              "package), or set LF_ALLOW_MISSING_PROMTOOL=1 to skip this check";
  }
  // Some traffic first, so that the call and SQL families have series.
  auto gate = gate::v1::GateService::NewStub(suite_->Channel("gate"));
  gate::v1::ListDutyRequest list;
  gate::v1::ListDutyResponse duties;
  (void)gate->ListDuty(
      NewClientContext(suite_->tokens().For(auth::Role::kLeader, "leader-li"), kWait).get(), list,
      &duties);
  lianfang::testing::TempDir dir;
  std::vector<std::pair<std::string, int>> endpoints;
  for (const std::string& service : Suite::AllServices()) {
    endpoints.emplace_back(service, suite_->metrics_port(service));
  }
  endpoints.emplace_back("gateway-http", suite_->http_port());
  for (const auto& [name, port] : endpoints) {
    SCOPED_TRACE(name);
    const std::string text = Fetch(port, "/metrics");
    ASSERT_THAT(text, StartsWith("# HELP "));
    const PromtoolResult checked = Promtool(dir, name, text);
    EXPECT_EQ(checked.status, 0) << checked.output;
  }
}

}  // namespace
}  // namespace lianfang
