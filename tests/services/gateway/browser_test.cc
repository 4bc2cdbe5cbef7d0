// The web dashboard in a real browser: headless Chromium loads the page from a running
// lf-gateway (token in the URL fragment), and a passage recorded at the gate appears on the
// page without a reload.
//
// "A passage recorded at the gate": when a working lf-gate is built next to the gateway, the
// test runs it and calls IssuePass and RecordPassage for real. Otherwise it does exactly what
// the gate does after committing an admitted entry: HINCRBY on the gate's day and live hashes
// of the site and PUBLISH on lf:changes.
#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/redis/client.h"
#include "common/redis/keys.h"
#include "common/server/client.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/poll.h"
#include "common/testing/ports.h"
#include "common/testing/redis_server.h"
#include "common/testing/service_binaries.h"
#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "tests/services/gateway/gateway_test_support.h"
#include "tests/services/gateway/headless_browser.h"

namespace lianfang::gateway {
namespace {

using ::lianfang::testing::PollUntil;
using ::lianfang::testing::Subprocess;
using ::lianfang::testing::TestTokens;
using ::testing::HasSubstr;

constexpr char kPiiKey[] = "a-test-only-pii-key-of-32-bytes!!";

std::string Address(int port) { return absl::StrCat("127.0.0.1:", port); }

// The text of the value box of `field` in the card of `site`, "" while absent.
std::string CardValue(const std::string& site, const std::string& field) {
  return absl::StrCat("(document.querySelector('[data-site=\"", site, "\"] [data-field=\"",
                      field, "\"] .value') || {}).textContent || ''");
}

class BrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(testing::kChromium, X_OK) != 0) {
      GTEST_SKIP() << testing::kChromium << " is not installed (tools/install-deps.sh installs it)";
    }
    ASSERT_OK_AND_ASSIGN(redis_, lianfang::testing::RedisServer::Launch());
    client_ = std::make_unique<redis::Client>(*redis::ParseUrl(redis_->url()));
    ASSERT_OK_AND_ASSIGN(pii_key_file_, dir_.WriteFile("pii.key", kPiiKey));
    for (int* port : {&gateway_port_, &http_port_, &gate_port_, &nobody_port_}) {
      ASSERT_OK_AND_ASSIGN(*port, lianfang::testing::PickFreePort());
    }
  }

  void TearDown() override {
    if (gateway_ != nullptr) (void)gateway_->Terminate(absl::Seconds(15));
    if (gate_ != nullptr) (void)gate_->Terminate(absl::Seconds(15));
  }

  std::vector<std::pair<std::string, std::string>> Environment(const std::string& service,
                                                               int port) {
    return {{"LF_LISTEN", Address(port)},
            {"LF_DB", absl::StrCat("sqlite:", dir_.File(service + ".db"))},
            {"LF_REDIS", redis_->url()},
            {"LF_SITES", lianfang::testing::SourcePath("deploy/sites.textproto")},
            {"LF_JWT_SECRET_FILE", tokens_.secret_file()},
            {"LF_PII_KEY_FILE", pii_key_file_},
            {"LF_TZ", "Asia/Shanghai"},
            {"LF_GATE_ADDR", Address(gate_port_)},
            {"LF_SURVEY_ADDR", Address(nobody_port_)},
            {"LF_DISPATCH_ADDR", Address(nobody_port_)},
            {"LF_REPORT_ADDR", Address(nobody_port_)},
            {"LF_LOG_LEVEL", "warning"}};
  }

  void StartGateway() {
    ASSERT_OK_AND_ASSIGN(std::string binary, lianfang::testing::BinaryPath("lf-gateway"));
    Subprocess::Options options;
    options.args = {binary};
    options.env = Environment("gateway", gateway_port_);
    options.env.emplace_back("LF_HTTP_LISTEN", Address(http_port_));
    ASSERT_OK_AND_ASSIGN(gateway_, Subprocess::Start(std::move(options)));
    ASSERT_OK(server::WaitForServing(Address(gateway_port_), absl::Seconds(60)))
        << "running: " << gateway_->Running() << "\n" << gateway_->ReadStderr();
    ASSERT_OK(lianfang::testing::WaitForPort(http_port_, absl::Seconds(30)))
        << "running: " << gateway_->Running() << "\n" << gateway_->ReadStderr();
  }

  // Starts lf-gate when it is built; true when it serves.
  bool StartGate() {
    absl::StatusOr<std::string> binary = lianfang::testing::BinaryPath("lf-gate");
    if (!binary.ok()) return false;
    Subprocess::Options options;
    options.args = {*binary};
    options.env = Environment("gate", gate_port_);
    auto started = Subprocess::Start(std::move(options));
    if (!started.ok()) return false;
    gate_ = *std::move(started);
    return server::WaitForServing(Address(gate_port_), absl::Seconds(60)).ok();
  }

  // Records an admitted entry at the campus east gate through the real gate service. The
  // error says why when the gate cannot (not built yet, or refusing).
  absl::Status RecordPassageAtTheRealGate() {
    auto stub = gate::v1::GateService::NewStub(server::MakeChannel(Address(gate_port_), nullptr));
    gate::v1::IssuePassRequest issue;
    issue.set_request_id("browser-test-pass");
    issue.set_site_id("campus");
    issue.mutable_person()->set_id_number("11010519491231002X");
    issue.mutable_person()->set_name("王小明");
    issue.mutable_person()->set_phone("13800138000");
    issue.set_kind(gate::v1::PASS_KIND_STAFF);
    gate::v1::Pass pass;
    auto ctx = lianfang::testing::NewClientContext(tokens_.For(auth::Role::kLeader, "leader"));
    grpc::Status s = stub->IssuePass(ctx.get(), issue, &pass);
    if (!s.ok()) return absl::UnavailableError(absl::StrCat("IssuePass: ", s.error_message()));

    gate::v1::RecordPassageRequest passage;
    passage.set_request_id("browser-test-entry");
    passage.set_site_id("campus");
    passage.set_gate_id("east");
    passage.set_direction(gate::v1::DIRECTION_ENTRY);
    passage.set_pass_code(pass.pass_code());
    passage.set_temperature_c(36.5);
    gate::v1::RecordPassageResponse response;
    auto guard = lianfang::testing::NewClientContext(
        tokens_.For(auth::Role::kGuard, "guard-1", {"campus"}));
    s = stub->RecordPassage(guard.get(), passage, &response);
    if (!s.ok()) return absl::UnavailableError(absl::StrCat("RecordPassage: ", s.error_message()));
    if (response.passage().decision() != gate::v1::DECISION_ADMITTED) {
      return absl::FailedPreconditionError("the gate did not admit the entry");
    }
    return absl::OkStatus();
  }

  int64_t RedisEntries(absl::CivilDay today) {
    auto key = redis::DayKey(redis::kGate, "campus", today);
    auto value = client_->HGet(*key, redis::kFieldEntries);
    int64_t n = 0;
    if (value.ok() && value->has_value()) (void)absl::SimpleAtoi(**value, &n);
    return n;
  }

  lianfang::testing::TempDir dir_;
  TestTokens tokens_;
  std::unique_ptr<lianfang::testing::RedisServer> redis_;
  std::unique_ptr<redis::Client> client_;
  std::string pii_key_file_;
  int gateway_port_ = 0, http_port_ = 0, gate_port_ = 0, nobody_port_ = 0;
  std::unique_ptr<Subprocess> gateway_;
  std::unique_ptr<Subprocess> gate_;
};

TEST_F(BrowserTest, APassageRecordedAtTheGateAppearsOnThePageWithoutAReload) {
  const absl::TimeZone tz = *time::LoadTimeZone("Asia/Shanghai");
  const absl::CivilDay today = time::DayOf(absl::Now(), tz);
  const bool real_gate = StartGate();
  if (!real_gate) {
    // Figures the simulated gate starts from (the real one rebuilds its own from SQL).
    testing::Figures f;
    f.gate_live = {{"onsite", 5}};
    f.gate_day = {{"entries", 7}, {"fevers", 1}};
    ASSERT_OK(testing::WriteFigures(*client_, "campus", today, f));
  }
  ASSERT_NO_FATAL_FAILURE(StartGateway());

  const std::string token = tokens_.For(auth::Role::kLeader, "leader-zhang");
  ASSERT_OK_AND_ASSIGN(
      auto browser,
      testing::HeadlessBrowser::Launch(absl::StrCat("http://127.0.0.1:", http_port_,
                                                    "/#token=", token)));

  // The page took the token, dropped it from the address bar, and shows the figures.
  const int64_t before = RedisEntries(today);
  std::string shown;
  ASSERT_TRUE(PollUntil(
      [&] {
        shown = browser->Evaluate(CardValue("campus", "entries_today")).value_or("");
        return shown == absl::StrCat(before);
      },
      absl::Seconds(60)))
      << "page shows \"" << shown << "\", Redis has " << before << "\n"
      << browser->LogTail();
  EXPECT_EQ(*browser->Evaluate("localStorage.getItem('lf.dashboard.token') === '" + token + "'"),
            "true");
  EXPECT_EQ(*browser->Evaluate("window.location.hash"), "");
  EXPECT_EQ(*browser->Evaluate("document.getElementById('source').textContent"), "实时缓存");
  EXPECT_EQ(*browser->Evaluate("document.querySelectorAll('#sites .card').length"), "4");
  if (!real_gate) {
    EXPECT_THAT(*browser->Evaluate("document.getElementById('alerts').textContent"),
                HasSubstr("党校校园 · 今日发热 1"));
  }

  // Mark this page load: a reload would lose the mark.
  ASSERT_EQ(*browser->Evaluate("(window.lfTestMark = 'same page load')"), "same page load");

  absl::Status real = real_gate ? RecordPassageAtTheRealGate()
                                : absl::UnavailableError("lf-gate is not built");
  if (!real.ok()) {
    std::cerr << "simulating the gate's effect (" << real.message() << ")\n";
    ASSERT_OK(testing::SimulateAdmittedEntry(*client_, "campus", today));
  } else {
    std::cerr << "the passage was recorded by a running lf-gate\n";
  }
  // The gate updates its live counts just after its commit (asynchronously): wait for the
  // passage to reach Redis. The page must then show exactly what Redis holds.
  int64_t after = before;
  ASSERT_TRUE(PollUntil(
      [&] {
        after = RedisEntries(today);
        return after > before;
      },
      absl::Seconds(30)))
      << "the passage never reached the live counts";
  EXPECT_EQ(after, before + 1) << "one passage must count exactly once in the live counts";
  if (real.ok()) {
    // The gate's own figure, logged for comparison when the line above fails (a difference
    // is then the gate's live counts, not the dashboard).
    auto stub = gate::v1::GateService::NewStub(server::MakeChannel(Address(gate_port_), nullptr));
    gate::v1::GetOccupancyRequest request;
    request.set_site_id("campus");
    gate::v1::Occupancy occupancy;
    auto context = lianfang::testing::NewClientContext(tokens_.For(auth::Role::kLeader, "l"));
    if (stub->GetOccupancy(context.get(), request, &occupancy).ok()) {
      std::cerr << "gate GetOccupancy entries_today=" << occupancy.entries_today()
                << ", live counts in Redis entries=" << after << "\n";
    }
  }
  const std::string expected = absl::StrCat(after);
  ASSERT_TRUE(PollUntil(
      [&] {
        shown = browser->Evaluate(CardValue("campus", "entries_today")).value_or("");
        return shown == expected;
      },
      absl::Seconds(30)))
      << "page shows \"" << shown << "\", expected " << expected;
  EXPECT_EQ(*browser->Evaluate("window.lfTestMark"), "same page load") << "the page reloaded";
  EXPECT_EQ(*browser->Evaluate("performance.getEntriesByType('navigation').length"), "1");
  EXPECT_THAT(*browser->Evaluate("window.lfDashboard.updates"), ::testing::Not("1"));

  // The English switch relabels the same figures, still without a reload.
  EXPECT_EQ(*browser->Evaluate(
                "(document.querySelector('button[data-lang=\"en\"]').click(), "
                "document.querySelector('[data-site=\"campus\"] [data-field=\"onsite\"] "
                ".label').textContent)"),
            "People inside");
  EXPECT_EQ(*browser->Evaluate(CardValue("campus", "entries_today")), expected);
  EXPECT_EQ(*browser->Evaluate("window.lfTestMark"), "same page load");
}

TEST_F(BrowserTest, WithoutATokenThePageAsksForOne) {
  ASSERT_NO_FATAL_FAILURE(StartGateway());
  ASSERT_OK_AND_ASSIGN(auto browser, testing::HeadlessBrowser::Launch(
                                         absl::StrCat("http://127.0.0.1:", http_port_, "/")));
  ASSERT_TRUE(PollUntil(
      [&] {
        return browser->Evaluate("!document.getElementById('login').hidden").value_or("") ==
               "true";
      },
      absl::Seconds(60)))
      << browser->LogTail();
  EXPECT_EQ(*browser->Evaluate("document.getElementById('board').hidden"), "true");
  EXPECT_EQ(*browser->Evaluate("document.querySelectorAll('#sites .card').length"), "0");

  // A token that may not see the dashboard is refused with a message.
  const std::string guard = tokens_.For(auth::Role::kGuard, "guard-1");
  ASSERT_EQ(*browser->Evaluate(absl::StrCat(
                "(document.getElementById('token-input').value = '", guard, "', "
                "document.querySelector('#login-form button').click(), 'sent')")),
            "sent");
  ASSERT_TRUE(PollUntil(
      [&] {
        return browser->Evaluate("document.getElementById('login-error').textContent")
                   .value_or("") == "此令牌无权查看看板。";
      },
      absl::Seconds(30)));
}

}  // namespace
}  // namespace lianfang::gateway
