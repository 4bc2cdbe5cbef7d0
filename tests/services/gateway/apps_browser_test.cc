// The guard console (/guard) and the volunteer app (/volunteer) in headless Chromium against
// the real lf-gate, lf-dispatch, lf-survey and lf-gateway binaries:
// - a guard records an admitted and a denied passage and sees ADMIT / DENY with the reason;
// - the phone loses the network (DevTools network emulation), three passages queue on it, the
//   network returns and exactly three arrive at the gate; the same when the gate itself is
//   down for a while;
// - the guard console, loaded once, reloads without network (its service worker serves the app
//   shell; the phone's network and the worker's are both cut), queues a passage, and the
//   passage arrives exactly once when the network returns; the volunteer app reloads offline
//   too;
// - a volunteer claims, starts and completes a task, and the leader's dashboard shows it done.
// - a volunteer surveys a household, registers a resident, reports for them from the
//   missing-reports list, and records a movement, on a 360 px screen;
// - a volunteer completes a supply delivery with "已发放 3" (the campus's stock drops by 3, the
//   task is done), a delivery beyond the stock is refused in Chinese and stays open, and the
//   leader's dashboard shows the item below its minimum (with lf-supplies, over the JSON API).
// Skipped when Chromium or the binaries are missing.
#include <unistd.h>

#include <httplib.h>

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/poll.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "tests/services/gateway/headless_browser.h"
#include "tests/services/gateway/real_stack.h"

namespace lianfang::gateway {
namespace {

using ::google::protobuf::Struct;
using ::lianfang::testing::PollUntil;
using ::testing::HasSubstr;

// A resident ID number with a valid GB 11643 check digit, from its first 17 digits.
std::string IdNumber(const std::string& first17) {
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return first17 + "10X98765432"[sum % 11];
}

// A JavaScript string literal of `s` (test values: no quotes or backslashes inside).
std::string Js(const std::string& s) { return absl::StrCat("'", s, "'"); }

class AppsBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(testing::kChromium, X_OK) != 0) {
      GTEST_SKIP() << testing::kChromium << " is not installed (tools/install-deps.sh installs it)";
    }
    absl::Status started = stack_.Start({.survey = true, .supplies = true});
    if (absl::IsNotFound(started)) GTEST_SKIP() << started;
    ASSERT_OK(started);
  }

  std::string Url(const std::string& path) {
    return absl::StrCat("http://127.0.0.1:", stack_.http_port(), path);
  }

  std::string Token(auth::Role role, const std::string& subject,
                    std::vector<std::string> sites = {}) {
    return stack_.tokens().For(role, subject, std::move(sites));
  }

  // Calls the JSON API; the parsed response, or a failure naming the answer.
  absl::StatusOr<Struct> Api(const std::string& method, const std::string& token,
                             const std::string& body) {
    httplib::Client client("127.0.0.1", stack_.http_port());
    client.set_read_timeout(30, 0);
    auto res = client.Post(absl::StrCat("/api/v1/", method).c_str(),
                           {{"Authorization", absl::StrCat("Bearer ", token)}}, body,
                           "application/json");
    if (!res) return absl::UnavailableError("no answer from the gateway");
    if (res->status != 200) {
      return absl::InternalError(absl::StrCat(method, " answered ", res->status, ": ", res->body));
    }
    Struct s;
    if (!google::protobuf::util::JsonStringToMessage(res->body, &s).ok()) {
      return absl::InternalError("not JSON");
    }
    return s;
  }

  // Evaluates `expression` (a Promise or a value) and returns String(what it resolves to), or
  // "error: ..." when it rejects or the browser does not answer.
  std::string Await(testing::HeadlessBrowser& browser, const std::string& expression) {
    Struct params;
    auto& f = *params.mutable_fields();
    f["expression"].set_string_value(
        absl::StrCat("(async () => { try { return String(await (", expression,
                     ")); } catch (e) { return 'error: ' + e; } })()"));
    f["awaitPromise"].set_bool_value(true);
    f["returnByValue"].set_bool_value(true);
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(params, &json).ok()) return "error: json";
    absl::StatusOr<std::string> reply =
        browser.Send("Runtime.evaluate", json, absl::Seconds(30));
    if (!reply.ok()) return absl::StrCat("error: ", reply.status().ToString());
    Struct result;
    if (!google::protobuf::util::JsonStringToMessage(*reply, &result).ok()) return "error: reply";
    const auto it = result.fields().find("result");
    if (it == result.fields().end()) return "error: no result";
    const auto value = it->second.struct_value().fields().find("value");
    return value == it->second.struct_value().fields().end() ? "" : value->second.string_value();
  }

  // Navigates the tab to `path` (Page.navigate); the navigation's error ("" when the page
  // came, e.g. "net::ERR_INTERNET_DISCONNECTED" when it could not).
  std::string Navigate(testing::HeadlessBrowser& browser, const std::string& path) {
    absl::StatusOr<std::string> reply = browser.Send(
        "Page.navigate", absl::StrCat(R"({"url":")", Url(path), R"("})"), absl::Seconds(30));
    if (!reply.ok()) return reply.status().ToString();
    Struct result;
    if (!google::protobuf::util::JsonStringToMessage(*reply, &result).ok()) return "bad reply";
    const auto it = result.fields().find("errorText");
    return it == result.fields().end() ? "" : it->second.string_value();
  }

  // Reloads the page and waits until the new one has run its scripts (a mark set on the old
  // page is gone, and `ready` is true on the new one).
  ::testing::AssertionResult Reload(testing::HeadlessBrowser& browser, const std::string& ready) {
    if (browser.Evaluate("(window.lfOldPage = true, 'marked')").value_or("") != "marked") {
      return ::testing::AssertionFailure() << "cannot mark the page";
    }
    if (absl::Status s = browser.Send("Page.reload", "{}").status(); !s.ok()) {
      return ::testing::AssertionFailure() << "Page.reload: " << s;
    }
    return Eventually(browser, absl::StrCat("!window.lfOldPage && !!(", ready, ")"), "true",
                      absl::Seconds(60));
  }

  // Waits until the page's service worker is activated (it has then cached the app shell
  // whole: its install is all or nothing); returns what is cached, as "cache-name /path"
  // sorted and comma-separated. The page itself need not be controlled yet: a page that was
  // being loaded while the worker activated is not claimed by it (Chromium), and what counts
  // for the phone is the next load, which the active worker serves. On failure, the states of
  // the registration's workers say where it stopped.
  std::string WaitForOfflineShell(testing::HeadlessBrowser& browser) {
    const std::string states =
        "navigator.serviceWorker.getRegistration().then((r) => !r ? 'no registration' :"
        "  ['installing', 'waiting', 'active'].map((k) => k + ':' + (r[k] ? r[k].state : '-'))"
        "  .join(' ') + ' controller:' + !!navigator.serviceWorker.controller)";
    std::string last;
    EXPECT_TRUE(PollUntil(
        [&] {
          last = Await(browser, states);
          return absl::StrContains(last, "active:activated");
        },
        absl::Seconds(90)))
        << last << "\n" << browser.LogTail();
    return Await(browser,
                 "caches.keys().then(async (names) => { const out = [];"
                 "  for (const n of names) {"
                 "    for (const r of await (await caches.open(n)).keys()) {"
                 "      out.push(n + ' ' + new URL(r.url).pathname);"
                 "    }"
                 "  }"
                 "  return out.sort().join(','); })");
  }

  // Evaluates until `expression` gives `expected` (bounded); the last value on failure.
  ::testing::AssertionResult Eventually(testing::HeadlessBrowser& browser,
                                        const std::string& expression,
                                        const std::string& expected,
                                        absl::Duration timeout = absl::Seconds(30)) {
    std::string last;
    if (PollUntil(
            [&] {
              last = browser.Evaluate(expression).value_or("<no answer>");
              return last == expected;
            },
            timeout)) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << expression << " is \"" << last << "\", expected \""
                                         << expected << "\"\n" << browser.LogTail();
  }

  // Puts `token` into the tab's session as a developer would (services/gateway/README.md:
  // a token minted on the server, without a refresh token) and opens the page the tab is on
  // (or the one the sign-in page would go back to). The sign-in itself is tested with the
  // accounts service in accounts_browser_test.cc.
  void UseToken(testing::HeadlessBrowser& browser, const std::string& token) {
    ASSERT_TRUE(Eventually(browser,
                           "document.readyState === 'complete' && (location.pathname === "
                           "'/signin' || !document.getElementById('login').hidden)",
                           "true", absl::Seconds(60)));
    ASSERT_EQ(*browser.Evaluate(absl::StrCat(
                  "(sessionStorage.setItem('lf.session', JSON.stringify({accessToken: ", Js(token),
                  "})), location.replace(location.pathname === '/signin' ? "
                  "new URLSearchParams(location.search).get('next') : location.pathname), "
                  "'sent')")),
              "sent");
  }

  // UseToken, then waits for the app to show.
  void LogIn(testing::HeadlessBrowser& browser, const std::string& token) {
    ASSERT_NO_FATAL_FAILURE(UseToken(browser, token));
    ASSERT_TRUE(Eventually(browser,
                           "!!document.getElementById('app') && "
                           "!document.getElementById('app').hidden",
                           "true", absl::Seconds(60)));
    // Kept for the session only.
    EXPECT_EQ(*browser.Evaluate(absl::StrCat(
                  "JSON.parse(sessionStorage.getItem('lf.session')).accessToken === ", Js(token))),
              "true");
    EXPECT_EQ(*browser.Evaluate("JSON.stringify(Object.keys(localStorage).filter("
                                "k => (localStorage.getItem(k) || '').indexOf('eyJ') >= 0))"),
              "[]")
        << "no token in localStorage";
  }

  // A phone's screen: 360 CSS pixels wide.
  void PhoneScreen(testing::HeadlessBrowser& browser) {
    ASSERT_OK(browser
                  .Send("Emulation.setDeviceMetricsOverride",
                        R"({"width":360,"height":740,"deviceScaleFactor":2,"mobile":true})")
                  .status());
  }

  // Nothing is wider than the screen (no sideways scrolling).
  void FitsTheScreen(testing::HeadlessBrowser& browser) {
    EXPECT_EQ(*browser.Evaluate("document.documentElement.scrollWidth <= 360"), "true")
        << *browser.Evaluate("document.documentElement.scrollWidth") << " px; wider: "
        << *browser.Evaluate(
               "[...document.querySelectorAll('body *')].filter(e => "
               "e.getBoundingClientRect().right > 361 && ![...e.children].some(c => "
               "c.getBoundingClientRect().right > 361)).slice(0, 5).map(e => e.tagName + '#' + "
               "e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
               ".join(', ')");
  }

  // Fills the guard's form and presses 登记.
  void RecordAtTheGuardConsole(testing::HeadlessBrowser& browser, const std::string& mode,
                               const std::string& identity, const std::string& temperature) {
    const std::string field = mode == "pass" ? "pass-code" : "id-number";
    // The button is disabled while the previous passage is being sent.
    ASSERT_TRUE(Eventually(browser, "document.getElementById('record').disabled", "false"));
    ASSERT_EQ(*browser.Evaluate(absl::StrCat(
                  "(document.querySelector('input[name=mode][value=", mode, "]').click(), "
                  "document.getElementById('", field, "').value = ", Js(identity), ", "
                  "document.getElementById('temperature').value = ", Js(temperature), ", "
                  "document.getElementById('record').click(), 'recorded')")),
              "recorded");
  }

  // The passages the gate stored at campus/east, asked of the gate itself.
  int GatePassages() {
    auto stub = gate::v1::GateService::NewStub(stack_.GateChannel());
    gate::v1::ListPassagesRequest request;
    request.set_site_id("campus");
    request.set_gate_id("east");
    request.set_page_size(500);
    gate::v1::ListPassagesResponse response;
    grpc::ClientContext context;
    context.AddMetadata("authorization",
                        absl::StrCat("Bearer ", Token(auth::Role::kLeader, "leader")));
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status s = stub->ListPassages(&context, request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.passages_size();
  }

  void OpenGuardConsole(std::unique_ptr<testing::HeadlessBrowser>* browser) {
    ASSERT_OK_AND_ASSIGN(*browser, testing::HeadlessBrowser::Launch(Url("/guard")));
    ASSERT_NO_FATAL_FAILURE(LogIn(**browser, Token(auth::Role::kGuard, "guard-1", {"campus"})));
    ASSERT_TRUE(Eventually(**browser, "document.getElementById('site').value", "campus"));
    ASSERT_TRUE(Eventually(**browser, "document.getElementById('gate').value", "east"));
    ASSERT_TRUE(Eventually(**browser, "document.getElementById('onsite').textContent", "0"));
  }

  testing::RealStack stack_;
};

TEST_F(AppsBrowserTest, AGuardSeesAdmitAndDenyWithTheReason) {
  ASSERT_OK_AND_ASSIGN(
      Struct pass,
      Api("lianfang.gate.v1.GateService/IssuePass", Token(auth::Role::kLeader, "leader"),
          R"({"requestId":"p-1","siteId":"campus","kind":"PASS_KIND_STAFF",)"
          R"("person":{"idNumber":"11010519491231002X","name":"王小明"}})"));
  const std::string code = pass.fields().at("passCode").string_value();

  std::unique_ptr<testing::HeadlessBrowser> browser;
  ASSERT_NO_FATAL_FAILURE(OpenGuardConsole(&browser));
  ASSERT_NO_FATAL_FAILURE(PhoneScreen(*browser));

  // Duty first.
  ASSERT_EQ(*browser->Evaluate("(document.getElementById('duty-start').click(), 'ok')"), "ok");
  ASSERT_TRUE(Eventually(*browser,
                         "document.getElementById('duty-state').textContent.startsWith('在岗')",
                         "true"));

  // The pass holder, 36.5 °C: admitted.
  ASSERT_NO_FATAL_FAILURE(RecordAtTheGuardConsole(*browser, "pass", code, "36.5"));
  ASSERT_TRUE(Eventually(*browser, "document.getElementById('verdict-word').textContent",
                         "准许通行"));
  EXPECT_EQ(*browser->Evaluate("document.getElementById('verdict').className"),
            "verdict verdict-admitted");
  EXPECT_TRUE(Eventually(*browser, "document.getElementById('onsite').textContent", "1"));

  // Someone with a fever: denied, and the page says why.
  ASSERT_NO_FATAL_FAILURE(
      RecordAtTheGuardConsole(*browser, "id", IdNumber("32010219800101123"), "38.4"));
  ASSERT_TRUE(Eventually(*browser, "document.getElementById('verdict-word').textContent",
                         "禁止通行"));
  EXPECT_EQ(*browser->Evaluate("document.getElementById('verdict').className"),
            "verdict verdict-denied");
  EXPECT_EQ(*browser->Evaluate("document.getElementById('verdict-reason').textContent"),
            "体温异常（发热）");
  EXPECT_TRUE(Eventually(*browser, "document.getElementById('onsite').textContent", "1"));

  // Both are on the list of last passages, and stored at the gate.
  EXPECT_TRUE(Eventually(*browser, "document.querySelectorAll('#passages li').length", "2"));
  EXPECT_EQ(GatePassages(), 2);
  FitsTheScreen(*browser);

  // English on the switch, without a reload.
  EXPECT_EQ(*browser->Evaluate("(document.querySelector('button[data-lang=en]').click(), "
                               "document.getElementById('verdict-word').textContent)"),
            "DENY");
  EXPECT_EQ(*browser->Evaluate("document.getElementById('verdict-reason').textContent"),
            "Fever");
}

TEST_F(AppsBrowserTest, PassagesRecordedOfflineAreSyncedExactlyOnce) {
  std::unique_ptr<testing::HeadlessBrowser> browser;
  ASSERT_NO_FATAL_FAILURE(OpenGuardConsole(&browser));
  ASSERT_EQ(GatePassages(), 0);

  ASSERT_OK(browser->SetOffline(true));
  const std::vector<std::string> people = {IdNumber("32010219800101123"),
                                           IdNumber("32010219850505456"),
                                           IdNumber("11010519700707789")};
  for (size_t i = 0; i < people.size(); ++i) {
    ASSERT_NO_FATAL_FAILURE(RecordAtTheGuardConsole(*browser, "id", people[i], "36.6"));
    ASSERT_TRUE(Eventually(*browser, "window.lfGuard.queued()", absl::StrCat(i + 1)));
    ASSERT_TRUE(Eventually(*browser, "document.getElementById('record').disabled", "false"));
    EXPECT_EQ(*browser->Evaluate("document.getElementById('verdict-word').textContent"),
              "已暂存");
  }
  EXPECT_EQ(*browser->Evaluate("document.getElementById('queue-count').textContent"), "3");
  EXPECT_EQ(*browser->Evaluate("document.getElementById('net').textContent"), "离线");
  // Each waits with its own request id and the time it was captured.
  EXPECT_EQ(*browser->Evaluate(
                "JSON.parse(localStorage.getItem('lf.guard.queue')).filter("
                "r => r.requestId && r.capturedAt).length"),
            "3");
  EXPECT_EQ(GatePassages(), 0) << "nothing reached the gate while offline";

  ASSERT_OK(browser->SetOffline(false));
  ASSERT_TRUE(Eventually(*browser, "window.lfGuard.queued()", "0", absl::Seconds(60)));
  EXPECT_EQ(GatePassages(), 3);
  EXPECT_EQ(*browser->Evaluate("window.lfGuard.state.synced"), "3");
  EXPECT_TRUE(Eventually(*browser, "document.getElementById('queue-line').hidden", "true"));
  EXPECT_TRUE(Eventually(*browser, "document.getElementById('net').textContent", "在线"));

  // Another sync (a retry after a lost answer looks the same) doubles nothing.
  ASSERT_EQ(*browser->Evaluate("(window.lfGuard.sync(), 'ok')"), "ok");
  EXPECT_TRUE(Eventually(*browser, "document.querySelectorAll('#passages li').length", "3"));
  EXPECT_EQ(GatePassages(), 3);
}

TEST_F(AppsBrowserTest, TheGuardConsoleReloadsWithoutNetworkAndItsPassageSyncsOnce) {
  std::unique_ptr<testing::HeadlessBrowser> browser;
  ASSERT_NO_FATAL_FAILURE(OpenGuardConsole(&browser));

  // Online, the service worker takes the app shell of both apps, and nothing else (no API
  // answer), in a cache named for the version the build wrote into /sw.js.
  const std::string version = Await(
      *browser, "fetch('/sw.js', {cache: 'no-store'}).then((r) => r.text()).then((t) => "
                "(t.match(/const VERSION = '([0-9a-f]{16})';/) || [])[1])");
  ASSERT_THAT(version, ::testing::MatchesRegex("[0-9a-f]{16}"));
  std::vector<std::string> expected;
  for (const char* path : {"/apps.css", "/apps.js", "/base.css", "/guard", "/guard.js",
                           "/session.js", "/volunteer", "/volunteer.js"}) {
    expected.push_back(absl::StrCat("lf-shell-", version, " ", path));
  }
  EXPECT_EQ(WaitForOfflineShell(*browser), absl::StrJoin(expected, ","));

  // No signal: the phone's requests fail, and so do the service worker's own (Chromium's
  // page emulation alone would leave the worker online; SetOffline cuts both).
  ASSERT_OK(browser->SetOffline(true));
  EXPECT_THAT(Await(*browser, "fetch('/healthz', {cache: 'no-store'}).then((r) => r.status)"),
              ::testing::StartsWith("error: TypeError"));

  // The guard reloads: the console comes from the phone, ready to record.
  ASSERT_TRUE(Reload(*browser, "!document.getElementById('app').hidden"));
  EXPECT_EQ(*browser->Evaluate("!!navigator.serviceWorker.controller"), "true");
  EXPECT_EQ(*browser->Evaluate("document.getElementById('site').value"), "campus");
  EXPECT_EQ(*browser->Evaluate("document.getElementById('gate').value"), "east");
  EXPECT_TRUE(Eventually(*browser, "document.getElementById('net').textContent", "离线"));
  EXPECT_EQ(*browser->Evaluate("getComputedStyle(document.querySelector('header.bar'))"
                               ".backgroundColor"),
            "rgb(183, 28, 28)")
      << "the stylesheets came too";

  const std::string person = IdNumber("32010219800101123");
  ASSERT_NO_FATAL_FAILURE(RecordAtTheGuardConsole(*browser, "id", person, "36.6"));
  ASSERT_TRUE(Eventually(*browser, "window.lfGuard.queued()", "1"));
  EXPECT_EQ(*browser->Evaluate("document.getElementById('verdict-word').textContent"), "已暂存");
  EXPECT_EQ(*browser->Evaluate("document.getElementById('queue-count').textContent"), "1");

  EXPECT_THAT(Await(*browser, "fetch('/healthz', {cache: 'no-store'}).then((r) => r.status)"),
              ::testing::StartsWith("error: TypeError"))
      << "still offline after the reload";
  EXPECT_EQ(GatePassages(), 0) << "nothing reached the gate while offline";

  // Signal again: the passage arrives, once.
  ASSERT_OK(browser->SetOffline(false));
  ASSERT_TRUE(Eventually(*browser, "window.lfGuard.queued()", "0", absl::Seconds(60)));
  EXPECT_EQ(GatePassages(), 1);
  EXPECT_EQ(*browser->Evaluate("window.lfGuard.state.synced"), "1");
  EXPECT_TRUE(Eventually(*browser, "document.getElementById('net').textContent", "在线"));
  ASSERT_EQ(*browser->Evaluate("(window.lfGuard.sync(), 'ok')"), "ok");
  EXPECT_TRUE(Eventually(*browser, "document.querySelectorAll('#passages li').length", "1"));
  EXPECT_EQ(GatePassages(), 1);
}

TEST_F(AppsBrowserTest, TheVolunteerAppReloadsWithoutNetwork) {
  ASSERT_OK_AND_ASSIGN(auto browser, testing::HeadlessBrowser::Launch(Url("/volunteer")));
  ASSERT_NO_FATAL_FAILURE(LogIn(*browser, Token(auth::Role::kVolunteer, "vol-3", {"campus"})));
  EXPECT_THAT(WaitForOfflineShell(*browser), HasSubstr(" /volunteer.js"));

  ASSERT_OK(browser->SetOffline(true));
  ASSERT_TRUE(Reload(*browser, "!document.getElementById('app').hidden"));
  EXPECT_EQ(*browser->Evaluate("window.lfVolunteer.me.subject"), "vol-3");
  EXPECT_EQ(*browser->Evaluate("window.lfVolunteer.me.offline"), "true");
  EXPECT_EQ(*browser->Evaluate("document.getElementById('login').hidden"), "true");

  // The network really is down for the tab: a page the worker does not keep does not come.
  // (Last: Chromium drops a tab's network emulation once it shows its error page.)
  EXPECT_EQ(Navigate(*browser, "/pass"), "net::ERR_INTERNET_DISCONNECTED");
}

TEST_F(AppsBrowserTest, PassagesWaitWhileTheGateIsDownAndArriveWhenItReturns) {
  std::unique_ptr<testing::HeadlessBrowser> browser;
  ASSERT_NO_FATAL_FAILURE(OpenGuardConsole(&browser));

  ASSERT_OK(stack_.StopGate());
  const std::vector<std::string> people = {IdNumber("32010219800101123"),
                                           IdNumber("32010219850505456"),
                                           IdNumber("11010519700707789")};
  for (size_t i = 0; i < people.size(); ++i) {
    ASSERT_NO_FATAL_FAILURE(RecordAtTheGuardConsole(*browser, "id", people[i], "36.6"));
    ASSERT_TRUE(Eventually(*browser, "window.lfGuard.queued()", absl::StrCat(i + 1)));
    ASSERT_TRUE(Eventually(*browser, "document.getElementById('record').disabled", "false"));
  }
  EXPECT_EQ(*browser->Evaluate("document.getElementById('queue-count').textContent"), "3");

  ASSERT_OK(stack_.RestartGate());
  ASSERT_TRUE(Eventually(*browser, "window.lfGuard.queued()", "0", absl::Seconds(120)));
  EXPECT_EQ(GatePassages(), 3);
}

TEST_F(AppsBrowserTest, AVolunteerCompletesATaskAndTheLeadersDashboardShowsItDone) {
  const std::string leader = Token(auth::Role::kLeader, "leader-1");
  ASSERT_OK_AND_ASSIGN(Struct team,
                       Api("lianfang.dispatch.v1.DispatchService/CreateTeam", leader,
                           R"({"requestId":"team-1","name":"第一突击队","siteIds":["campus"],)"
                           R"("leaderSub":"leader-1"})"));
  const std::string team_id = team.fields().at("teamId").string_value();
  ASSERT_OK(Api("lianfang.dispatch.v1.DispatchService/EnrollVolunteer", leader,
                absl::StrCat(R"({"requestId":"vol-1","teamId":")", team_id,
                             R"(","userSub":"vol-1","partyMember":true,)"
                             R"("person":{"idNumber":")",
                             IdNumber("32010219900303123"), R"(","name":"李四"}})"))
                .status());
  const std::string due =
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now() + absl::Hours(4), absl::UTCTimeZone());
  ASSERT_OK_AND_ASSIGN(
      Struct task,
      Api("lianfang.dispatch.v1.DispatchService/CreateTask", leader,
          absl::StrCat(R"({"requestId":"task-1","task":{"kind":"TASK_KIND_DISINFECTION",)"
                       R"("siteId":"campus","location":"教学楼","title":"消毒教学楼",)"
                       R"("priority":"PRIORITY_NORMAL","dueAt":")",
                       due, R"(","teamId":")", team_id, R"("}})")));
  const std::string task_id = task.fields().at("taskId").string_value();

  // The leader's dashboard, open before the work is done.
  ASSERT_OK_AND_ASSIGN(auto dashboard, testing::HeadlessBrowser::Launch(Url("/")));
  ASSERT_NO_FATAL_FAILURE(UseToken(*dashboard, leader));
  const std::string done_today =
      "(document.querySelector('[data-site=\"campus\"] [data-field=\"tasks\"] .extra') || "
      "{}).textContent || ''";
  ASSERT_TRUE(Eventually(*dashboard, absl::StrCat("(", done_today, ").endsWith('今日完成 0')"),
                         "true", absl::Seconds(60)));

  ASSERT_OK_AND_ASSIGN(auto browser, testing::HeadlessBrowser::Launch(Url("/volunteer")));
  ASSERT_NO_FATAL_FAILURE(LogIn(*browser, Token(auth::Role::kVolunteer, "vol-1", {"campus"})));
  const std::string row = absl::StrCat("document.querySelector('[data-task=\"", task_id, "\"]')");
  const std::string status = absl::StrCat("(", row, " || {getAttribute: () => ''})"
                                          ".getAttribute('data-status')");
  ASSERT_TRUE(Eventually(*browser, status, "TASK_STATUS_OPEN"));

  ASSERT_EQ(*browser->Evaluate(absl::StrCat("(", row, ".querySelector('button.claim').click(), 'ok')")),
            "ok");
  ASSERT_TRUE(Eventually(*browser, status, "TASK_STATUS_ASSIGNED"));
  ASSERT_EQ(*browser->Evaluate(absl::StrCat("(", row, ".querySelector('button.start').click(), 'ok')")),
            "ok");
  ASSERT_TRUE(Eventually(*browser, status, "TASK_STATUS_IN_PROGRESS"));
  ASSERT_EQ(*browser->Evaluate(absl::StrCat("(", row, ".querySelector('input.note').value = "
                                            "'已完成一楼至三楼消毒', ",
                                            row, ".querySelector('button.complete').click(), 'ok')")),
            "ok");
  ASSERT_TRUE(Eventually(*browser, status, "TASK_STATUS_DONE"));

  // Stored as done, with the note, by the dispatch service.
  ASSERT_OK_AND_ASSIGN(Struct stored, Api("lianfang.dispatch.v1.DispatchService/GetTask", leader,
                                          absl::StrCat(R"({"taskId":")", task_id, R"("})")));
  EXPECT_EQ(stored.fields().at("status").string_value(), "TASK_STATUS_DONE");
  EXPECT_EQ(stored.fields().at("completionNote").string_value(), "已完成一楼至三楼消毒");

  // The leader sees it done without reloading.
  EXPECT_TRUE(Eventually(*dashboard, absl::StrCat("(", done_today, ").endsWith('今日完成 1')"),
                         "true", absl::Seconds(60)));
  EXPECT_EQ(*dashboard->Evaluate("performance.getEntriesByType('navigation').length"), "1");
}

TEST_F(AppsBrowserTest, AVolunteerReadsAndStudiesANoticeAndTheDashboardShowsItsReadRate) {
  const std::string leader = Token(auth::Role::kLeader, "leader-1");
  ASSERT_OK_AND_ASSIGN(Struct team,
                       Api("lianfang.dispatch.v1.DispatchService/CreateTeam", leader,
                           R"({"requestId":"team-n","name":"通知突击队","siteIds":["campus"],)"
                           R"("leaderSub":"leader-1"})"));
  const std::string team_id = team.fields().at("teamId").string_value();
  ASSERT_OK(Api("lianfang.dispatch.v1.DispatchService/EnrollVolunteer", leader,
                absl::StrCat(R"({"requestId":"vol-n","teamId":")", team_id,
                             R"(","userSub":"vol-n","partyMember":true,)"
                             R"("person":{"idNumber":")",
                             IdNumber("32010219900303456"), R"(","name":"赵六"}})"))
                .status());
  ASSERT_OK_AND_ASSIGN(Struct notice,
                       Api("lianfang.dispatch.v1.DispatchService/PublishNotice", leader,
                           R"({"requestId":"notice-1","notice":{"title":"关于卡口两人值守的通知",)"
                           R"("body":"即日起各卡口两人值守。","audience":{"siteIds":["campus"]},)"
                           R"("requiresStudy":true}})"));
  const std::string notice_id = notice.fields().at("noticeId").string_value();

  // The leaders' dashboard shows the notice unread by its one addressee.
  ASSERT_OK_AND_ASSIGN(auto dashboard, testing::HeadlessBrowser::Launch(Url("/")));
  ASSERT_NO_FATAL_FAILURE(UseToken(*dashboard, leader));
  const std::string rate =
      absl::StrCat("(document.querySelector('[data-notice=\"", notice_id,
                   "\"] [data-field=\"read_rate\"]') || {}).textContent || ''");
  ASSERT_TRUE(Eventually(*dashboard, rate, "已阅读 0/1 (0%) · 已学习 0", absl::Seconds(60)));

  ASSERT_OK_AND_ASSIGN(auto browser, testing::HeadlessBrowser::Launch(Url("/volunteer")));
  PhoneScreen(*browser);
  ASSERT_NO_FATAL_FAILURE(LogIn(*browser, Token(auth::Role::kVolunteer, "vol-n", {"campus"})));
  ASSERT_TRUE(Eventually(*browser, "document.getElementById('notice-badge').textContent", "1"));
  EXPECT_EQ(*browser->Evaluate("document.getElementById('notice-badge').hidden"), "false");
  ASSERT_EQ(*browser->Evaluate("(document.querySelector('.tab[data-tab=notices]').click(), 'ok')"),
            "ok");
  const std::string item =
      absl::StrCat("document.querySelector('[data-notice=\"", notice_id, "\"]')");
  ASSERT_TRUE(Eventually(*browser,
                         absl::StrCat(item,
                                      ".querySelector('button.notice-read')"
                                      ".textContent"),
                         "我已阅读"));
  ASSERT_EQ(*browser->Evaluate(
                absl::StrCat("(", item, ".querySelector('button.notice-read').click(), 'ok')")),
            "ok");
  ASSERT_TRUE(Eventually(*browser, "document.getElementById('notice-badge').hidden", "true"));
  // English on the switch; then studied.
  ASSERT_EQ(*browser->Evaluate("(document.querySelector('button[data-lang=en]').click(), 'ok')"),
            "ok");
  ASSERT_TRUE(Eventually(*browser,
                         absl::StrCat(item,
                                      ".querySelector('button.notice-studied')"
                                      ".textContent"),
                         "I have studied it"));
  ASSERT_EQ(*browser->Evaluate(
                absl::StrCat("(", item, ".querySelector('button.notice-studied').click(), 'ok')")),
            "ok");
  ASSERT_TRUE(Eventually(
      *browser, absl::StrCat("!!", item, " && !", item, ".querySelector('button')"), "true"));
  FitsTheScreen(*browser);

  // Stored, and the dashboard follows without reloading.
  ASSERT_OK_AND_ASSIGN(Struct receipts,
                       Api("lianfang.dispatch.v1.DispatchService/GetNoticeReceipts", leader,
                           absl::StrCat(R"({"noticeId":")", notice_id, R"("})")));
  EXPECT_EQ(
      receipts.fields().at("notice").struct_value().fields().at("studiedCount").number_value(), 1);
  EXPECT_TRUE(Eventually(*dashboard, rate, "已阅读 1/1 (100%) · 已学习 1", absl::Seconds(60)));
  EXPECT_EQ(*dashboard->Evaluate("performance.getEntriesByType('navigation').length"), "1");
}

TEST_F(AppsBrowserTest, AVolunteerPledgesToAnInitiativeOnceFromTheApp) {
  const std::string leader = Token(auth::Role::kLeader, "leader-1");
  ASSERT_OK_AND_ASSIGN(Struct team,
                       Api("lianfang.dispatch.v1.DispatchService/CreateTeam", leader,
                           R"({"requestId":"team-p","name":"承诺突击队","siteIds":["campus"],)"
                           R"("leaderSub":"leader-1"})"));
  const std::string team_id = team.fields().at("teamId").string_value();
  ASSERT_OK(Api("lianfang.dispatch.v1.DispatchService/EnrollVolunteer", leader,
                absl::StrCat(R"({"requestId":"vol-p","teamId":")", team_id,
                             R"(","userSub":"vol-p","partyMember":true,)"
                             R"("person":{"idNumber":")",
                             IdNumber("32010219900404123"), R"(","name":"赵六"}})"))
                .status());
  ASSERT_OK_AND_ASSIGN(Struct initiative,
                       Api("lianfang.dispatch.v1.DispatchService/PublishInitiative", leader,
                           R"({"requestId":"ini-1","title":"党员带头守好家门",)"
                           R"("body":"请党员志愿者主动亮身份","siteIds":["campus"]})"));
  const std::string id = initiative.fields().at("initiativeId").string_value();

  ASSERT_OK_AND_ASSIGN(auto browser, testing::HeadlessBrowser::Launch(Url("/volunteer")));
  ASSERT_NO_FATAL_FAILURE(PhoneScreen(*browser));
  ASSERT_NO_FATAL_FAILURE(LogIn(*browser, Token(auth::Role::kVolunteer, "vol-p", {"campus"})));
  ASSERT_EQ(*browser->Evaluate(
                "(document.querySelector('.tab[data-tab=\"initiatives\"]').click(), 'ok')"),
            "ok");
  const std::string item = absl::StrCat("document.querySelector('[data-initiative=\"", id, "\"]')");
  const std::string button = absl::StrCat("(", item, " || document).querySelector('button')");
  ASSERT_TRUE(Eventually(*browser, absl::StrCat("(", button, " || {}).textContent"), "我承诺"));
  ASSERT_EQ(*browser->Evaluate(absl::StrCat("(", button, ".click(), 'ok')")), "ok");
  ASSERT_TRUE(Eventually(*browser,
                         absl::StrCat("(", item,
                                      ".querySelector('.badge') || {})"
                                      ".textContent"),
                         "已承诺"));
  EXPECT_EQ(*browser->Evaluate(absl::StrCat("String(!!", item, ".querySelector('button'))")),
            "false")
      << "once pledged, the app offers no second pledge";
  EXPECT_EQ(*browser->Evaluate("document.documentElement.scrollWidth <= 360"), "true");

  ASSERT_OK_AND_ASSIGN(Struct stored,
                       Api("lianfang.dispatch.v1.DispatchService/GetInitiative", leader,
                           absl::StrCat(R"({"initiativeId":")", id, R"("})")));
  EXPECT_EQ(stored.fields().at("pledgedCount").number_value(), 1);
  EXPECT_EQ(stored.fields().at("partyMembersPledged").number_value(), 1);
}

TEST_F(AppsBrowserTest, AVolunteerSurveysAHouseholdAndReportsForAResidentWhoHadNotReported) {
  ASSERT_OK_AND_ASSIGN(auto browser, testing::HeadlessBrowser::Launch(Url("/volunteer")));
  ASSERT_NO_FATAL_FAILURE(PhoneScreen(*browser));
  ASSERT_NO_FATAL_FAILURE(LogIn(*browser, Token(auth::Role::kVolunteer, "vol-2", {"campus"})));
  const auto click = [&](const std::string& selector) {
    return *browser->Evaluate(
        absl::StrCat("(document.querySelector(", Js(selector), ").click(), 'ok')"));
  };
  const auto fill = [&](const std::string& id, const std::string& value) {
    return *browser->Evaluate(
        absl::StrCat("(document.getElementById(", Js(id), ").value = ", Js(value), ", 'ok')"));
  };

  // 摸排: the household, then a resident.
  ASSERT_EQ(click(".tab[data-tab=survey]"), "ok");
  ASSERT_TRUE(Eventually(*browser, "document.getElementById('hh-site').value", "campus"));
  for (const auto& [id, value] :
       std::vector<std::pair<std::string, std::string>>{{"hh-building", "3"}, {"hh-unit", "2"},
                                                        {"hh-room", "301"}}) {
    ASSERT_EQ(fill(id, value), "ok");
  }
  ASSERT_EQ(click("#household-form button[type=submit]"), "ok");
  ASSERT_TRUE(Eventually(*browser, "document.getElementById('hh-current').textContent", "3-2-301"));
  ASSERT_EQ(fill("rs-id", IdNumber("32010219750606321")), "ok");
  ASSERT_EQ(fill("rs-name", "张三"), "ok");
  ASSERT_EQ(fill("rs-relation", "户主"), "ok");
  ASSERT_EQ(click("#resident-form button[type=submit]"), "ok");
  ASSERT_TRUE(Eventually(*browser, "document.querySelectorAll('#residents li').length", "1"))
      << *browser->Evaluate("document.getElementById('message').textContent");
  FitsTheScreen(*browser);

  // 未报名单: the new resident has not reported today; report for them.
  ASSERT_EQ(click(".tab[data-tab=missing]"), "ok");
  ASSERT_TRUE(Eventually(*browser, "document.querySelectorAll('#missing li[data-resident]').length",
                         "1"));
  ASSERT_EQ(click("#missing li[data-resident] button"), "ok");
  ASSERT_TRUE(Eventually(*browser, "document.getElementById('tab-health').hidden", "false"));
  EXPECT_EQ(*browser->Evaluate("document.getElementById('hr-resident-line').hidden"), "false");
  ASSERT_EQ(fill("hr-temp", "36.5"), "ok");
  ASSERT_EQ(click("#health-form button[type=submit]"), "ok");
  ASSERT_TRUE(Eventually(*browser, "document.getElementById('message').textContent",
                         "健康报告已提交。"));
  ASSERT_EQ(click(".tab[data-tab=missing]"), "ok");
  ASSERT_TRUE(Eventually(*browser, "document.getElementById('missing').textContent", "全部已报"));

  // 人员流动: a movement is recorded.
  ASSERT_EQ(click(".tab[data-tab=survey]"), "ok");
  ASSERT_EQ(fill("mv-id", IdNumber("32010219750606321")), "ok");
  ASSERT_EQ(fill("mv-region", "某市"), "ok");
  ASSERT_EQ(click("#movement-form button[type=submit]"), "ok");
  ASSERT_TRUE(Eventually(*browser, "document.getElementById('message').textContent !== ''",
                         "true"));
  EXPECT_EQ(*browser->Evaluate("document.getElementById('message').className"), "message");
  EXPECT_THAT(*browser->Evaluate("document.getElementById('message').textContent"),
              ::testing::AnyOf("已保存。", ::testing::StartsWith("已开始居家观察")));
}

TEST_F(AppsBrowserTest, AVolunteerIssuesThreeUnitsAndCompletesTheDeliveryAndTheDashboardShowsLowStock) {
  const std::string leader = Token(auth::Role::kLeader, "leader-1");
  ASSERT_OK_AND_ASSIGN(Struct team,
                       Api("lianfang.dispatch.v1.DispatchService/CreateTeam", leader,
                           R"({"requestId":"team-1","name":"第一突击队","siteIds":["campus"],)"
                           R"("leaderSub":"leader-1"})"));
  const std::string team_id = team.fields().at("teamId").string_value();
  ASSERT_OK(Api("lianfang.dispatch.v1.DispatchService/EnrollVolunteer", leader,
                absl::StrCat(R"({"requestId":"vol-1","teamId":")", team_id,
                             R"(","userSub":"vol-1","partyMember":true,)"
                             R"("person":{"idNumber":")",
                             IdNumber("32010219900303123"), R"(","name":"李四"}})"))
                .status());

  // The catalogue and the campus's stock, through the gateway's JSON API: 10 bottles of
  // disinfectant (minimum 5) and 20 masks (minimum 100: low).
  ASSERT_OK(Api("lianfang.supplies.v1.SuppliesService/CreateItem", leader,
                R"({"requestId":"item-1","item":{"code":"disinfectant-84","name":"84消毒液",)"
                R"("unit":"瓶","category":"ITEM_CATEGORY_DISINFECTION","minStockPerSite":"5"}})")
                .status());
  ASSERT_OK(Api("lianfang.supplies.v1.SuppliesService/CreateItem", leader,
                R"({"requestId":"item-2","item":{"code":"mask-n95","name":"N95口罩",)"
                R"("unit":"只","category":"ITEM_CATEGORY_PROTECTION","minStockPerSite":"100"}})")
                .status());
  ASSERT_OK(Api("lianfang.supplies.v1.SuppliesService/ReceiveStock", leader,
                R"({"requestId":"in-1","siteId":"campus","itemCode":"disinfectant-84",)"
                R"("quantity":"10","source":"STOCK_SOURCE_PURCHASE","batch":"B1",)"
                R"("expiresOn":"2099-12-31"})")
                .status());
  ASSERT_OK(Api("lianfang.supplies.v1.SuppliesService/ReceiveStock", leader,
                R"({"requestId":"in-2","siteId":"campus","itemCode":"mask-n95",)"
                R"("quantity":"20","source":"STOCK_SOURCE_DONATION"})")
                .status());
  const auto balance = [&](const std::string& item) -> std::string {
    absl::StatusOr<Struct> stock =
        Api("lianfang.supplies.v1.SuppliesService/GetStock", leader,
            absl::StrCat(R"({"siteId":"campus","itemCode":")", item, R"("})"));
    if (!stock.ok()) return stock.status().ToString();
    const auto& rows = stock->fields().at("balances").list_value().values();
    if (rows.size() != 1) return "no balance";
    const auto& q = rows[0].struct_value().fields().at("quantity");
    return q.has_string_value() ? q.string_value() : absl::StrCat(q.number_value());
  };
  ASSERT_EQ(balance("disinfectant-84"), "10");

  const std::string due =
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now() + absl::Hours(4), absl::UTCTimeZone());
  const auto delivery = [&](const std::string& request_id) {
    return Api("lianfang.dispatch.v1.DispatchService/CreateTask", leader,
               absl::StrCat(R"({"requestId":")", request_id,
                            R"(","task":{"kind":"TASK_KIND_SUPPLY_DELIVERY",)"
                            R"("siteId":"campus","location":"教学楼","title":"配送消毒液",)"
                            R"("itemCode":"disinfectant-84","dueAt":")",
                            due, R"(","teamId":")", team_id, R"("}})"));
  };
  ASSERT_OK_AND_ASSIGN(Struct task, delivery("task-1"));
  const std::string task_id = task.fields().at("taskId").string_value();
  ASSERT_OK_AND_ASSIGN(Struct too_much, delivery("task-2"));
  const std::string too_much_id = too_much.fields().at("taskId").string_value();

  ASSERT_OK_AND_ASSIGN(auto browser, testing::HeadlessBrowser::Launch(Url("/volunteer")));
  ASSERT_NO_FATAL_FAILURE(LogIn(*browser, Token(auth::Role::kVolunteer, "vol-1", {"campus"})));
  const auto row = [](const std::string& id) {
    return absl::StrCat("document.querySelector('[data-task=\"", id, "\"]')");
  };
  const auto status = [&](const std::string& id) {
    return absl::StrCat("(", row(id), " || {getAttribute: () => ''}).getAttribute('data-status')");
  };
  const auto click = [&](const std::string& id, const std::string& button) {
    return *browser->Evaluate(
        absl::StrCat("(", row(id), ".querySelector('button.", button, "').click(), 'ok')"));
  };
  for (const std::string& id : {task_id, too_much_id}) {
    ASSERT_TRUE(Eventually(*browser, status(id), "TASK_STATUS_OPEN"));
    ASSERT_EQ(click(id, "claim"), "ok");
    ASSERT_TRUE(Eventually(*browser, status(id), "TASK_STATUS_ASSIGNED"));
    ASSERT_EQ(click(id, "start"), "ok");
    ASSERT_TRUE(Eventually(*browser, status(id), "TASK_STATUS_IN_PROGRESS"));
  }
  // The task shows its item, and the quantity field its unit (from the catalogue).
  ASSERT_TRUE(Eventually(*browser,
                         absl::StrCat("(", row(task_id), ".querySelector('.item') || {})"
                                      ".textContent"),
                         "物资: 84消毒液（瓶）"));
  ASSERT_TRUE(Eventually(*browser,
                         absl::StrCat("(", row(task_id), ".querySelector('label.issued') || {})"
                                      ".textContent"),
                         "已发放  瓶"));

  // Beyond the balance: refused in Chinese, nothing issued, the task stays in progress.
  ASSERT_EQ(*browser->Evaluate(absl::StrCat(
                "(", row(too_much_id), ".querySelector('input.issued-quantity').value = '100', ",
                row(too_much_id), ".querySelector('button.complete').click(), 'ok')")),
            "ok");
  ASSERT_TRUE(Eventually(*browser,
                         "document.getElementById('message').textContent.indexOf("
                         "'超出本点位库存') >= 0",
                         "true"));
  EXPECT_EQ(*browser->Evaluate(status(too_much_id)), "TASK_STATUS_IN_PROGRESS");
  EXPECT_EQ(balance("disinfectant-84"), "10");

  // 已发放 3: issued from the campus's stock against the task, then the task is done.
  ASSERT_EQ(*browser->Evaluate(absl::StrCat(
                "(", row(task_id), ".querySelector('input.issued-quantity').value = '3', ",
                row(task_id), ".querySelector('button.complete').click(), 'ok')")),
            "ok");
  ASSERT_TRUE(Eventually(*browser, status(task_id), "TASK_STATUS_DONE"));
  EXPECT_EQ(balance("disinfectant-84"), "7");
  ASSERT_OK_AND_ASSIGN(Struct stored, Api("lianfang.dispatch.v1.DispatchService/GetTask", leader,
                                          absl::StrCat(R"({"taskId":")", task_id, R"("})")));
  EXPECT_EQ(stored.fields().at("status").string_value(), "TASK_STATUS_DONE");
  EXPECT_EQ(stored.fields().at("completionNote").string_value(), "已发放 3 瓶");
  ASSERT_OK_AND_ASSIGN(
      Struct issues,
      Api("lianfang.supplies.v1.SuppliesService/ListMovements", leader,
          absl::StrCat(R"({"siteId":"campus","kind":"MOVEMENT_KIND_ISSUE","taskId":")", task_id,
                       R"("})")));
  EXPECT_EQ(issues.fields().at("movements").list_value().values_size(), 1);

  // The leader's dashboard: the campus's supplies tile shows the masks below their minimum and
  // the disinfectant's batch as the nearest expiry.
  ASSERT_OK_AND_ASSIGN(auto dashboard, testing::HeadlessBrowser::Launch(Url("/")));
  ASSERT_NO_FATAL_FAILURE(UseToken(*dashboard, leader));
  const std::string tile = "document.querySelector('[data-supplies-site=\"campus\"]')";
  EXPECT_TRUE(Eventually(*dashboard,
                         absl::StrCat("((", tile, " || document.body).querySelector("
                                      "'[data-item=\"mask-n95\"]') || {}).textContent"),
                         "N95口罩 20 / 100 只", absl::Seconds(60)));
  EXPECT_TRUE(Eventually(*dashboard,
                         absl::StrCat("((", tile, " || document.body).querySelector("
                                      "'[data-field=\"nearest_expiry\"] .extra') || {})"
                                      ".textContent"),
                         "84消毒液 2099-12-31"));
  EXPECT_EQ(*dashboard->Evaluate(absl::StrCat("!!", tile, ".querySelector("
                                              "'[data-item=\"disinfectant-84\"]')")),
            "false");
}

TEST_F(AppsBrowserTest, TheLeadersDashboardShowsARunningDrillsProgress) {
  const std::string leader = Token(auth::Role::kLeader, "leader-1");
  ASSERT_OK(Api("lianfang.dispatch.v1.DispatchService/CreateTeam", leader,
                R"({"requestId":"team-1","name":"第一突击队","siteIds":["campus"],)"
                R"("leaderSub":"leader-1"})")
                .status());
  ASSERT_OK_AND_ASSIGN(
      Struct plan,
      Api("lianfang.dispatch.v1.DispatchService/CreatePlan", leader,
          R"({"requestId":"plan-1","plan":{"name":"节后返岗返校防控预案",)"
          R"("scenario":"PLAN_SCENARIO_AFTER_HOLIDAY","siteId":"campus","steps":[)"
          R"({"title":"公共区域全面消毒","kind":"TASK_KIND_DISINFECTION","durationMinutes":120},)"
          R"({"title":"张贴防控须知","kind":"TASK_KIND_PUBLICITY","durationMinutes":60}]}})"));
  ASSERT_OK_AND_ASSIGN(
      Struct activation,
      Api("lianfang.dispatch.v1.DispatchService/ActivatePlan", leader,
          absl::StrCat(R"({"requestId":"drill-1","planId":")",
                       plan.fields().at("planId").string_value(),
                       R"(","mode":"ACTIVATION_MODE_DRILL"})")));
  const std::string id = activation.fields().at("activationId").string_value();

  ASSERT_OK_AND_ASSIGN(auto dashboard, testing::HeadlessBrowser::Launch(Url("/")));
  ASSERT_NO_FATAL_FAILURE(UseToken(*dashboard, leader));
  const std::string card = absl::StrCat("document.querySelector('[data-activation=\"", id, "\"]')");
  EXPECT_TRUE(Eventually(*dashboard,
                         absl::StrCat("((", card, " || document.body).querySelector("
                                      "'[data-field=\"steps_done\"] .value') || {}).textContent"),
                         "0 / 2", absl::Seconds(60)));
  EXPECT_EQ(*dashboard->Evaluate(absl::StrCat("(", card, ".querySelector('h3') || {}).textContent")),
            "节后返岗返校防控预案");
  EXPECT_EQ(*dashboard->Evaluate(absl::StrCat("(", card, ".querySelector('.badge') || {}).textContent")),
            "演练");
  EXPECT_EQ(*dashboard->Evaluate("(document.querySelector('[data-field=\"stale_plans\"] .value') "
                                 "|| {}).textContent"),
            "0");
}

}  // namespace
}  // namespace lianfang::gateway
