// The web dashboard in a real browser: headless Chromium loads the page from a running
// lf-gateway (a token put in the tab's session, as services/gateway/README.md tells
// developers), and a passage recorded at the gate appears on the page without a reload.
//
// "A passage recorded at the gate": when a working lf-gate is built next to the gateway, the
// test runs it and calls IssuePass and RecordPassage for real. Otherwise it does exactly what
// the gate does after committing an admitted entry: HINCRBY on the gate's day and live hashes
// of the site and PUBLISH on lf:changes.
#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/redis/client.h"
#include "common/redis/keys.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/suite.h"
#include "common/testing/poll.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "tests/services/gateway/gateway_test_support.h"
#include "tests/services/gateway/headless_browser.h"

namespace lianfang::gateway {
namespace {

using ::lianfang::testing::PollUntil;
using ::lianfang::testing::Suite;
using ::testing::HasSubstr;

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
    // No service yet: each test starts what it needs, the gate before the gateway.
    Suite::Options options;
    options.services = {};
    options.env = {{"LF_LOG_LEVEL", "warning"}};
    options.database = Suite::Database::kSqlite;
    ASSERT_OK(suite_.Start(options));
    client_ = std::make_unique<redis::Client>(*redis::ParseUrl(suite_.redis_url()));
  }

  void StartGateway() { ASSERT_OK(suite_.StartService("gateway")); }

  // Starts lf-gate when it is built; OK when it serves.
  absl::Status StartGate() { return suite_.StartService("gate"); }

  // Records an admitted entry at the campus east gate through the real gate service. The
  // error says why when the gate cannot (not built yet, or refusing).
  absl::Status RecordPassageAtTheRealGate() {
    auto stub = gate::v1::GateService::NewStub(suite_.Channel("gate"));
    gate::v1::IssuePassRequest issue;
    issue.set_request_id("browser-test-pass");
    issue.set_site_id("campus");
    issue.mutable_person()->set_id_number("11010519491231002X");
    issue.mutable_person()->set_name("王小明");
    issue.mutable_person()->set_phone("13800138000");
    issue.set_kind(gate::v1::PASS_KIND_STAFF);
    gate::v1::Pass pass;
    auto ctx =
        lianfang::testing::NewClientContext(suite_.tokens().For(auth::Role::kLeader, "leader"));
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
        suite_.tokens().For(auth::Role::kGuard, "guard-1", {"campus"}));
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

  Suite suite_;
  std::unique_ptr<redis::Client> client_;
};

TEST_F(BrowserTest, APassageRecordedAtTheGateAppearsOnThePageWithoutAReload) {
  const absl::TimeZone tz = *time::LoadTimeZone("Asia/Shanghai");
  const absl::CivilDay today = time::DayOf(absl::Now(), tz);
  const absl::Status gate_started = StartGate();
  const bool real_gate = gate_started.ok();
  if (!real_gate) {
    // Figures the simulated gate starts from (the real one rebuilds its own from SQL).
    testing::Figures f;
    f.gate_live = {{"onsite", 5}};
    f.gate_day = {{"entries", 7}, {"fevers", 1}};
    ASSERT_OK(testing::WriteFigures(*client_, "campus", today, f));
  }
  ASSERT_NO_FATAL_FAILURE(StartGateway());

  const std::string token = suite_.tokens().For(auth::Role::kLeader, "leader-zhang");
  ASSERT_OK_AND_ASSIGN(auto browser, testing::HeadlessBrowser::Launch(absl::StrCat(
                                         "http://127.0.0.1:", suite_.http_port(), "/")));
  // Without a session the dashboard sends the tab to the sign-in page.
  ASSERT_TRUE(PollUntil(
      [&] {
        return browser->Evaluate("location.pathname + location.search").value_or("") ==
               "/signin?next=%2F";
      },
      absl::Seconds(60)))
      << browser->LogTail();
  ASSERT_TRUE(PollUntil(
      [&] { return browser->Evaluate("document.readyState").value_or("") == "complete"; },
      absl::Seconds(30)));
  ASSERT_EQ(*browser->Evaluate(absl::StrCat(
                "(sessionStorage.setItem('lf.session', JSON.stringify({accessToken: '", token,
                "'})), location.replace('/'), 'sent')")),
            "sent");

  // The page uses the session's token and shows the figures.
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
  EXPECT_EQ(*browser->Evaluate("Object.keys(localStorage).some("
                               "(k) => (localStorage.getItem(k) || '').indexOf('eyJ') >= 0)"),
            "false")
      << "no token in localStorage";
  EXPECT_EQ(*browser->Evaluate("document.getElementById('source').textContent"), "实时缓存");
  EXPECT_EQ(*browser->Evaluate("document.querySelectorAll('#sites .card').length"), "4");
  if (!real_gate) {
    EXPECT_THAT(*browser->Evaluate("document.getElementById('alerts').textContent"),
                HasSubstr("党校校园 · 今日发热 1"));
  }

  // Mark this page load: a reload would lose the mark.
  ASSERT_EQ(*browser->Evaluate("(window.lfTestMark = 'same page load')"), "same page load");

  absl::Status real = real_gate ? RecordPassageAtTheRealGate() : gate_started;
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
    auto stub = gate::v1::GateService::NewStub(suite_.Channel("gate"));
    gate::v1::GetOccupancyRequest request;
    request.set_site_id("campus");
    gate::v1::Occupancy occupancy;
    auto context =
        lianfang::testing::NewClientContext(suite_.tokens().For(auth::Role::kLeader, "l"));
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

TEST_F(BrowserTest, ASessionThatMayNotSeeTheDashboardIsToldSo) {
  ASSERT_NO_FATAL_FAILURE(StartGateway());
  ASSERT_OK_AND_ASSIGN(auto browser, testing::HeadlessBrowser::Launch(absl::StrCat(
                                         "http://127.0.0.1:", suite_.http_port(), "/signin")));
  ASSERT_TRUE(PollUntil(
      [&] {
        return browser->Evaluate("location.pathname + ' ' + document.readyState").value_or("") ==
               "/signin complete";
      },
      absl::Seconds(60)))
      << browser->LogTail();
  // A guard's token may not see the dashboard: refused with a message, no figures shown.
  const std::string guard = suite_.tokens().For(auth::Role::kGuard, "guard-1");
  ASSERT_EQ(*browser->Evaluate(absl::StrCat(
                "(sessionStorage.setItem('lf.session', JSON.stringify({accessToken: '", guard,
                "'})), location.replace('/'), 'sent')")),
            "sent");
  ASSERT_TRUE(PollUntil(
      [&] {
        return browser->Evaluate("document.getElementById('login-error').textContent")
                   .value_or("") == "此账号无权查看看板。";
      },
      absl::Seconds(30)))
      << browser->LogTail();
  EXPECT_EQ(*browser->Evaluate("document.getElementById('board').hidden"), "true");
  EXPECT_EQ(*browser->Evaluate("document.querySelectorAll('#sites .card').length"), "0");
}

}  // namespace
}  // namespace lianfang::gateway
