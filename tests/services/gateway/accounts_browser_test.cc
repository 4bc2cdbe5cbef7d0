// Accounts through the gateway, end to end, against the real binaries (lf-gate, lf-survey,
// lf-dispatch, lf-report, lf-accounts, lf-gateway; every service holding the accounts
// service's public key, so people's tokens are the EdDSA ones lf-accounts signs):
// - over HTTP: the sign-in methods need no token; a client behind the gateway is braked by
//   its own address (lf-accounts believes the gateway's x-lf-client-address);
// - in headless Chromium:
//   (a) a leader signs in, adds a volunteer on the people page, the activation link is opened
//       in a fresh browser, the volunteer sets a password and completes a task in /volunteer,
//       without anyone touching a token;
//   (b) a leader makes an enrolment code, a phone enrols with /guard#enrol=<code> and records
//       a passage (at the gate); the leader revokes the phone; with a passage queued (gate
//       down), the next contact wipes the queue and the session and the page says why;
//   (b') a guard signed in with an account that is then disabled is wiped the same way;
//   (c) a wrong password gets its message, and no token or code is in any URL the browser
//       loaded or in the gateway's request log.
// Skipped when Chromium or the binaries are missing.
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/suite.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/poll.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "tests/services/gateway/headless_browser.h"
#include "tests/services/gateway/raw_http.h"

namespace lianfang::gateway {
namespace {

using ::google::protobuf::Struct;
using ::lianfang::testing::PollUntil;
using ::lianfang::testing::Suite;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAccounts[] = "lianfang.accounts.v1.AccountsService";
constexpr char kLeaderPassword[] = "长城-Leader-Pass-42";
constexpr char kVolunteerPassword[] = "Volunteer-Pass-2026";

// A JavaScript string literal of `s` (test values: no quotes or backslashes inside).
std::string Js(const std::string& s) { return absl::StrCat("'", s, "'"); }

// A resident ID number with a valid GB 11643 check digit, from its first 17 digits.
std::string IdNumber(const std::string& first17) {
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return first17 + "10X98765432"[sum % 11];
}

std::string Field(const Struct& s, const std::string& name) {
  const auto it = s.fields().find(name);
  return it == s.fields().end() ? "" : it->second.string_value();
}

// One suite for the whole binary (starting it takes seconds).
Suite* suite = nullptr;

class AccountsGatewayEnvironment final : public ::testing::Environment {
 public:
  void SetUp() override {
    suite = new Suite;
    Suite::Options options;
    options.services = {"gate", "survey", "dispatch", "report", "accounts", "gateway"};
    // Every service verifies people's tokens with the accounts service's public key.
    options.env = {{"LF_JWT_PUBLIC_KEY_FILE", suite->tokens().public_key_file()}};
    status_ = suite->Start(options);
  }
  void TearDown() override {
    delete suite;
    suite = nullptr;
  }
  static absl::Status status_;
};
absl::Status AccountsGatewayEnvironment::status_;

class AccountsGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const absl::Status& started = AccountsGatewayEnvironment::status_;
    if (absl::IsNotFound(started)) GTEST_SKIP() << started;
    ASSERT_OK(started);
  }

  static int Port() { return suite->http_port(); }
  static std::string Url(const std::string& path) {
    return absl::StrCat("http://127.0.0.1:", Port(), path);
  }
  static std::string Admin() { return suite->tokens().EdDsaFor(auth::Role::kAdmin, "admin-1"); }
  static std::string Leader() {
    return suite->tokens().EdDsaFor(auth::Role::kLeader, "leader-1", {"campus"});
  }

  // Calls the JSON API (`token` empty: without one); the parsed response, or a failure
  // naming the answer.
  static absl::StatusOr<Struct> Api(const std::string& method, const std::string& token,
                                    const std::string& body) {
    httplib::Client client("127.0.0.1", Port());
    client.set_read_timeout(30, 0);
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", absl::StrCat("Bearer ", token));
    auto res =
        client.Post(absl::StrCat("/api/v1/", method).c_str(), headers, body, "application/json");
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

  // POST of `body` to `path` from the client address `source`; the HTTP status and body.
  static std::pair<int, std::string> PostFrom(const std::string& source, const std::string& path,
                                              const std::string& body) {
    absl::StatusOr<testing::RawConnection> c = testing::RawConnection::Open(Port(), source);
    if (!c.ok()) return {-1, c.status().ToString()};
    c->Send(absl::StrCat("POST ", path, " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json",
                         "\r\nContent-Length: ", body.size(), "\r\nConnection: close\r\n\r\n",
                         body));
    c->WaitClosed(absl::Seconds(30));
    const std::string& r = c->received();
    int status = -1;
    if (r.size() > 12) (void)absl::SimpleAtoi(r.substr(9, 3), &status);
    const size_t at = r.find("\r\n\r\n");
    return {status, at == std::string::npos ? "" : r.substr(at + 4)};
  }

  // A user made by the admin and activated through the gateway (no token); its user id.
  static absl::StatusOr<std::string> ActiveUser(const std::string& login, const std::string& role,
                                                const std::string& password) {
    absl::StatusOr<Struct> user =
        Api(absl::StrCat(kAccounts, "/CreateUser"), Admin(),
            absl::StrCat(R"({"requestId":"create-)", login, R"(","login":")", login,
                         R"(","displayName":"测试)", login, R"(","role":")", role,
                         R"(","siteIds":["campus"]})"));
    if (!user.ok()) return user.status();
    absl::StatusOr<Struct> session =
        Api(absl::StrCat(kAccounts, "/Activate"), "",
            absl::StrCat(R"({"activationCode":")", Field(*user, "activationCode"),
                         R"(","password":")", password, R"("})"));
    if (!session.ok()) return session.status();
    return Field(*user, "userId");
  }
};

TEST_F(AccountsGatewayTest, TheSignInMethodsWorkThroughTheGatewayWithoutAToken) {
  ASSERT_OK(ActiveUser("zhao.yun", "ROLE_VOLUNTEER", kVolunteerPassword).status());
  ASSERT_OK_AND_ASSIGN(Struct signed_in, Api(absl::StrCat(kAccounts, "/SignIn"), "",
                                             absl::StrCat(R"({"login":"zhao.yun","password":")",
                                                          kVolunteerPassword, R"("})")));
  const std::string access = Field(signed_in, "accessToken");
  EXPECT_THAT(access, Not(""));
  // The access token works on the gateway and the other services.
  httplib::Client client("127.0.0.1", Port());
  auto me = client.Get("/api/v1/me", {{"Authorization", absl::StrCat("Bearer ", access)}});
  ASSERT_TRUE(me);
  EXPECT_EQ(me->status, 200) << me->body;
  EXPECT_THAT(me->body, HasSubstr("volunteer"));
  ASSERT_OK_AND_ASSIGN(
      Struct refreshed,
      Api(absl::StrCat(kAccounts, "/Refresh"), "",
          absl::StrCat(R"({"refreshToken":")", Field(signed_in, "refreshToken"), R"("})")));
  EXPECT_THAT(Field(refreshed, "refreshToken"), Not(Field(signed_in, "refreshToken")));
  ASSERT_OK(Api(absl::StrCat(kAccounts, "/SignOut"), "",
                absl::StrCat(R"({"refreshToken":")", Field(refreshed, "refreshToken"), R"("})"))
                .status());
  EXPECT_THAT(Api(absl::StrCat(kAccounts, "/Refresh"), "",
                  absl::StrCat(R"({"refreshToken":")", Field(refreshed, "refreshToken"), R"("})")),
              lianfang::testing::StatusIs(absl::StatusCode::kInternal, HasSubstr("401")));
  // The managers' methods still need a token.
  EXPECT_THAT(Api(absl::StrCat(kAccounts, "/ListUsers"), "", "{}"),
              lianfang::testing::StatusIs(absl::StatusCode::kInternal, HasSubstr("401")));
}

TEST_F(AccountsGatewayTest, AClientBehindTheGatewayIsBrakedByItsOwnAddress) {
  const std::string path = absl::StrCat("/api/v1/", kAccounts, "/SignIn");
  // 20 failures across logins from one address (an office's worth): the address waits.
  for (int i = 0; i < 20; ++i) {
    const auto [status, body] =
        PostFrom("127.0.0.2", path,
                 absl::StrCat(R"({"login":"nobody.)", i, R"(","password":"guess-12345"})"));
    ASSERT_EQ(status, 401) << i << ": " << body;
  }
  const auto [braked, braked_body] =
      PostFrom("127.0.0.2", path, R"({"login":"nobody.x","password":"guess-12345"})");
  EXPECT_EQ(braked, 429) << braked_body;
  EXPECT_THAT(braked_body, HasSubstr("try again in"));
  // Another client of the same gateway is not: lf-accounts counted the clients, not the
  // gateway (before, every failure through the gateway counted against the gateway's address).
  const auto [other, other_body] =
      PostFrom("127.0.0.3", path, R"({"login":"nobody.x","password":"guess-12345"})");
  EXPECT_EQ(other, 401) << other_body;
  EXPECT_THAT(other_body, HasSubstr("wrong login or password"));
}

class AccountsBrowserTest : public AccountsGatewayTest {
 protected:
  void SetUp() override {
    if (access(testing::kChromium, X_OK) != 0) {
      GTEST_SKIP() << testing::kChromium << " is not installed (tools/install-deps.sh installs it)";
    }
    AccountsGatewayTest::SetUp();
  }

  // Evaluates until `expression` gives `expected` (bounded); the last value on failure.
  static ::testing::AssertionResult Eventually(testing::HeadlessBrowser& browser,
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
    return ::testing::AssertionFailure()
           << expression << " is \"" << last << "\", expected \"" << expected << "\"\n"
           << browser.LogTail();
  }

  static std::string Click(testing::HeadlessBrowser& browser, const std::string& selector) {
    return browser
        .Evaluate(absl::StrCat("(document.querySelector(", Js(selector), ").click(), 'ok')"))
        .value_or("no answer");
  }
  static std::string Fill(testing::HeadlessBrowser& browser, const std::string& id,
                          const std::string& value) {
    return browser
        .Evaluate(
            absl::StrCat("(document.getElementById(", Js(id), ").value = ", Js(value), ", 'ok')"))
        .value_or("no answer");
  }

  // A phone's screen: 360 CSS pixels wide.
  static void PhoneScreen(testing::HeadlessBrowser& browser) {
    ASSERT_OK(browser
                  .Send("Emulation.setDeviceMetricsOverride",
                        R"({"width":360,"height":740,"deviceScaleFactor":2,"mobile":true})")
                  .status());
  }

  // Signs in on the sign-in page the tab is on and waits for `page` to open.
  static void SignIn(testing::HeadlessBrowser& browser, const std::string& login,
                     const std::string& password, const std::string& page) {
    ASSERT_TRUE(Eventually(browser,
                           "location.pathname === '/signin' && document.readyState === "
                           "'complete' && !!window.lfSignin",
                           "true", absl::Seconds(60)));
    ASSERT_EQ(Fill(browser, "login", login), "ok");
    ASSERT_EQ(Fill(browser, "password", password), "ok");
    ASSERT_EQ(Click(browser, "#signin-button"), "ok");
    ASSERT_TRUE(Eventually(browser,
                           absl::StrCat("location.pathname === ", Js(page),
                                        " && !!document.getElementById('app') && "
                                        "!document.getElementById('app').hidden"),
                           "true", absl::Seconds(60)));
  }

  // The URLs of every entry of the tab's history, joined by spaces.
  static std::string History(testing::HeadlessBrowser& browser) {
    absl::StatusOr<std::string> reply = browser.Send("Page.getNavigationHistory", "{}");
    if (!reply.ok()) return reply.status().ToString();
    Struct result;
    if (!google::protobuf::util::JsonStringToMessage(*reply, &result).ok()) return "bad reply";
    std::string urls;
    for (const auto& entry : result.fields().at("entries").list_value().values()) {
      absl::StrAppend(&urls, Field(entry.struct_value(), "url"), " ");
    }
    return urls;
  }

  // Every URL the page fetched (documents, scripts, API calls, streams).
  static std::string Loaded(testing::HeadlessBrowser& browser) {
    return browser
        .Evaluate(
            "[location.href].concat(performance.getEntriesByType('resource').map("
            "(e) => e.name)).join(' ')")
        .value_or("");
  }

  // The passages the gate stored at campus/east.
  static int GatePassages() {
    auto stub = gate::v1::GateService::NewStub(suite->Channel("gate"));
    gate::v1::ListPassagesRequest request;
    request.set_site_id("campus");
    request.set_gate_id("east");
    request.set_page_size(500);
    gate::v1::ListPassagesResponse response;
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", Leader()));
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status s = stub->ListPassages(&context, request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.passages_size();
  }

  // A leader's browser on the people page, signed in.
  static void OpenPeoplePage(const std::string& login,
                             std::unique_ptr<testing::HeadlessBrowser>* browser) {
    ASSERT_OK(ActiveUser(login, "ROLE_LEADER", kLeaderPassword).status());
    ASSERT_OK_AND_ASSIGN(*browser, testing::HeadlessBrowser::Launch(Url("/people")));
    // Without a session, the page sends the tab to the sign-in page and back.
    ASSERT_NO_FATAL_FAILURE(SignIn(**browser, login, kLeaderPassword, "/people"));
  }
};

TEST_F(AccountsBrowserTest, ALeaderAddsAVolunteerWhoActivatesOnTheirPhoneAndCompletesATask) {
  std::unique_ptr<testing::HeadlessBrowser> leader;
  ASSERT_NO_FATAL_FAILURE(OpenPeoplePage("leader.zhang", &leader));
  ASSERT_NO_FATAL_FAILURE(PhoneScreen(*leader));

  // The leader adds a volunteer of campus.
  ASSERT_EQ(Fill(*leader, "new-login", "li.si"), "ok");
  ASSERT_EQ(Fill(*leader, "new-name", "李四"), "ok");
  ASSERT_EQ(*leader->Evaluate("(document.getElementById('new-role').value = 'ROLE_VOLUNTEER', "
                              "document.querySelectorAll('#new-sites input').forEach((i) => "
                              "i.checked = i.value === 'campus'), 'ok')"),
            "ok");
  ASSERT_EQ(Click(*leader, "#add-user"), "ok");
  ASSERT_TRUE(
      Eventually(*leader, "document.getElementById('code-link').textContent !== ''", "true"));
  const std::string link = *leader->Evaluate("document.getElementById('code-link').textContent");
  const std::string code = *leader->Evaluate("document.getElementById('code-text').textContent");
  ASSERT_EQ(link, Url(absl::StrCat("/signin#activate=", code)));
  // Its QR code is drawn (an SVG from the gateway, shown from a blob: URL).
  EXPECT_TRUE(Eventually(*leader, "document.getElementById('code-qr').naturalWidth > 0", "true"));
  EXPECT_THAT(*leader->Evaluate("document.getElementById('code-qr').src"),
              ::testing::StartsWith("blob:"));
  EXPECT_TRUE(Eventually(*leader,
                         "(document.querySelector('#users tr[data-login=\"li.si\"]') || "
                         "{textContent: ''}).textContent.includes('待激活')",
                         "true"));
  EXPECT_EQ(*leader->Evaluate("document.documentElement.scrollWidth <= 360"), "true");

  // The volunteer's team and a task for it (dispatch knows people by their user id).
  ASSERT_OK_AND_ASSIGN(Struct users, Api(absl::StrCat(kAccounts, "/ListUsers"), Admin(), "{}"));
  std::string user_id;
  for (const auto& u : users.fields().at("users").list_value().values()) {
    if (Field(u.struct_value(), "login") == "li.si") user_id = Field(u.struct_value(), "userId");
  }
  ASSERT_THAT(user_id, Not(""));
  ASSERT_OK_AND_ASSIGN(Struct team,
                       Api("lianfang.dispatch.v1.DispatchService/CreateTeam", Leader(),
                           R"({"requestId":"team-a","name":"第一突击队","siteIds":["campus"],)"
                           R"("leaderSub":"leader-1"})"));
  const std::string team_id = Field(team, "teamId");
  ASSERT_OK(Api("lianfang.dispatch.v1.DispatchService/EnrollVolunteer", Leader(),
                absl::StrCat(R"({"requestId":"vol-a","teamId":")", team_id, R"(","userSub":")",
                             user_id, R"(","person":{"idNumber":")", IdNumber("32010219900303123"),
                             R"(","name":"李四"}})"))
                .status());
  const std::string due =
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now() + absl::Hours(4), absl::UTCTimeZone());
  ASSERT_OK_AND_ASSIGN(
      Struct task,
      Api("lianfang.dispatch.v1.DispatchService/CreateTask", Leader(),
          absl::StrCat(R"({"requestId":"task-a","task":{"kind":"TASK_KIND_DISINFECTION",)"
                       R"("siteId":"campus","location":"教学楼","title":"消毒教学楼",)"
                       R"("priority":"PRIORITY_NORMAL","dueAt":")",
                       due, R"(","teamId":")", team_id, R"("}})")));
  const std::string task_id = Field(task, "taskId");

  // The volunteer's phone (a fresh browser) opens the activation link of the QR code.
  ASSERT_OK_AND_ASSIGN(auto phone, testing::HeadlessBrowser::Launch(link));
  ASSERT_NO_FATAL_FAILURE(PhoneScreen(*phone));
  ASSERT_TRUE(Eventually(*phone, "document.getElementById('code').value", code, absl::Seconds(60)));
  EXPECT_EQ(*phone->Evaluate("location.hash"), "") << "the code left the address bar";
  EXPECT_EQ(*phone->Evaluate("document.getElementById('activate').hidden"), "false");
  // A password against the rules first: the page says which rule.
  ASSERT_EQ(Fill(*phone, "new-password", "li.si"), "ok");
  ASSERT_EQ(Fill(*phone, "new-password2", "li.si"), "ok");
  ASSERT_EQ(Click(*phone, "#activate-button"), "ok");
  ASSERT_TRUE(Eventually(
      *phone, "document.getElementById('error').textContent.startsWith('密码不符合要求')", "true"));
  ASSERT_EQ(Fill(*phone, "new-password", kVolunteerPassword), "ok");
  ASSERT_EQ(Fill(*phone, "new-password2", kVolunteerPassword), "ok");
  ASSERT_EQ(Click(*phone, "#activate-button"), "ok");
  // Activated and signed in: the volunteer app opens (the page of the role).
  ASSERT_TRUE(Eventually(*phone,
                         "location.pathname === '/volunteer' && "
                         "!!document.getElementById('app') && "
                         "!document.getElementById('app').hidden",
                         "true", absl::Seconds(60)));
  EXPECT_EQ(*phone->Evaluate("!!JSON.parse(sessionStorage.getItem('lf.session')).refreshToken"),
            "true");
  EXPECT_EQ(*phone->Evaluate("Object.keys(localStorage).some((k) => "
                             "(localStorage.getItem(k) || '').indexOf('eyJ') >= 0)"),
            "false");

  const std::string row = absl::StrCat("document.querySelector('[data-task=\"", task_id, "\"]')");
  const std::string status = absl::StrCat("(", row,
                                          " || {getAttribute: () => ''})"
                                          ".getAttribute('data-status')");
  ASSERT_TRUE(Eventually(*phone, status, "TASK_STATUS_OPEN", absl::Seconds(60)));
  ASSERT_EQ(
      *phone->Evaluate(absl::StrCat("(", row, ".querySelector('button.claim').click(), 'ok')")),
      "ok");
  ASSERT_TRUE(Eventually(*phone, status, "TASK_STATUS_ASSIGNED"));
  ASSERT_EQ(
      *phone->Evaluate(absl::StrCat("(", row, ".querySelector('button.start').click(), 'ok')")),
      "ok");
  ASSERT_TRUE(Eventually(*phone, status, "TASK_STATUS_IN_PROGRESS"));
  ASSERT_EQ(*phone->Evaluate(absl::StrCat("(", row,
                                          ".querySelector('input.note').value = "
                                          "'已消毒', ",
                                          row, ".querySelector('button.complete').click(), 'ok')")),
            "ok");
  ASSERT_TRUE(Eventually(*phone, status, "TASK_STATUS_DONE"));
  ASSERT_OK_AND_ASSIGN(Struct stored, Api("lianfang.dispatch.v1.DispatchService/GetTask", Leader(),
                                          absl::StrCat(R"({"taskId":")", task_id, R"("})")));
  EXPECT_EQ(Field(stored, "status"), "TASK_STATUS_DONE");

  // The leader disables and enables the volunteer from the list.
  const std::string li_row = "document.querySelector('#users tr[data-login=\"li.si\"]')";
  ASSERT_EQ(*leader->Evaluate(absl::StrCat(
                "(", li_row, ".querySelector('button[data-action=disable]').click(), 'ok')")),
            "ok");
  ASSERT_TRUE(Eventually(
      *leader, absl::StrCat("(", li_row, " || {textContent: ''}).textContent.includes('已停用')"),
      "true"));
  ASSERT_EQ(*leader->Evaluate(absl::StrCat(
                "(", li_row, ".querySelector('button[data-action=enable]').click(), 'ok')")),
            "ok");

  // The code is in no URL of the phone's history, and the leader's list shows the volunteer
  // active.
  EXPECT_THAT(History(*phone), Not(HasSubstr(code)));
  EXPECT_TRUE(Eventually(*leader,
                         "(window.lfPeople.loadUsers(), (document.querySelector("
                         "'#users tr[data-login=\"li.si\"]') || {textContent: ''})"
                         ".textContent.includes('正常'))",
                         "true"));
}

TEST_F(AccountsBrowserTest, APhoneEnrolledByQrCodeRecordsAndIsWipedOnItsNextContactOnceRevoked) {
  std::unique_ptr<testing::HeadlessBrowser> leader;
  ASSERT_NO_FATAL_FAILURE(OpenPeoplePage("leader.wang", &leader));
  const int passages_before = GatePassages();

  // An enrolment code for campus / east.
  ASSERT_EQ(*leader->Evaluate("(document.getElementById('enrol-site').value = 'campus', "
                              "document.getElementById('enrol-site').dispatchEvent("
                              "new Event('change')), "
                              "document.getElementById('enrol-gate').value = 'east', 'ok')"),
            "ok");
  ASSERT_EQ(Click(*leader, "#enrolment-button"), "ok");
  ASSERT_TRUE(
      Eventually(*leader, "document.getElementById('code-link').textContent !== ''", "true"));
  const std::string link = *leader->Evaluate("document.getElementById('code-link').textContent");
  const std::string code = *leader->Evaluate("document.getElementById('code-text').textContent");
  ASSERT_EQ(link, Url(absl::StrCat("/guard#enrol=", code)));
  EXPECT_TRUE(Eventually(*leader, "document.getElementById('code-qr').naturalWidth > 0", "true"));

  // The gate phone opens the link of the QR code and enrols.
  ASSERT_OK_AND_ASSIGN(auto phone, testing::HeadlessBrowser::Launch(link));
  ASSERT_NO_FATAL_FAILURE(PhoneScreen(*phone));
  ASSERT_TRUE(
      Eventually(*phone, "document.getElementById('enrol-code').value", code, absl::Seconds(60)));
  EXPECT_EQ(*phone->Evaluate("location.hash"), "");
  ASSERT_EQ(Fill(*phone, "device-name", "东门手机1"), "ok");
  ASSERT_EQ(Click(*phone, "#enrol-button"), "ok");
  ASSERT_TRUE(
      Eventually(*phone, "!document.getElementById('app').hidden", "true", absl::Seconds(60)));
  ASSERT_TRUE(Eventually(*phone, "document.getElementById('site').value", "campus"));
  ASSERT_TRUE(Eventually(*phone, "document.getElementById('gate').value", "east"));
  EXPECT_EQ(*phone->Evaluate("!!JSON.parse(sessionStorage.getItem('lf.session')).device"), "true");

  // It records a passage, which the gate stores.
  const auto record = [&](const std::string& id) {
    return phone
        ->Evaluate(absl::StrCat("(document.querySelector('input[name=mode][value=id]').click(), "
                                "document.getElementById('id-number').value = ",
                                Js(id),
                                ", "
                                "document.getElementById('temperature').value = '36.6', "
                                "document.getElementById('record').click(), 'recorded')"))
        .value_or("");
  };
  ASSERT_TRUE(Eventually(*phone, "document.getElementById('record').disabled", "false"));
  ASSERT_EQ(record(IdNumber("32010219800101123")), "recorded");
  ASSERT_TRUE(Eventually(*phone,
                         "['准许通行', '禁止通行'].includes("
                         "document.getElementById('verdict-word').textContent)",
                         "true"));
  EXPECT_EQ(GatePassages(), passages_before + 1);

  // The gate goes down; the phone queues a passage.
  ASSERT_OK(suite->Stop("gate"));
  ASSERT_TRUE(Eventually(*phone, "document.getElementById('record').disabled", "false"));
  ASSERT_EQ(record(IdNumber("32010219850505123")), "recorded");
  ASSERT_TRUE(Eventually(*phone, "window.lfGuard.queued()", "1", absl::Seconds(60)));

  // The leader sees the phone with its app version and queue, and revokes it (the phone's
  // access token stays valid: it learns of the revocation on its next contact).
  const std::string device_row = "document.querySelector('#devices tr[data-device]')";
  ASSERT_TRUE(
      Eventually(*leader,
                 absl::StrCat("(window.lfPeople.loadDevices(), (", device_row,
                              " || {textContent: ''}).textContent.includes('guard-web-1'))"),
                 "true"));
  EXPECT_THAT(*leader->Evaluate(absl::StrCat(device_row, ".textContent")), HasSubstr("东门手机1"));
  // A contact of the phone reports its queue, which the leader sees.
  ASSERT_EQ(*phone->Evaluate("(window.lfGuard.contact(), 'ok')"), "ok");
  ASSERT_TRUE(Eventually(*leader,
                         absl::StrCat("(window.lfPeople.loadDevices(), (", device_row,
                                      " || {querySelector: () => ({textContent: ''})})"
                                      ".querySelector('.queue-length').textContent)"),
                         "1"));
  ASSERT_EQ(Click(*leader, "#devices button[data-action=revoke]"), "ok");
  ASSERT_TRUE(Eventually(*leader,
                         absl::StrCat("(", device_row,
                                      " || {textContent: ''})"
                                      ".textContent.includes('已撤销')"),
                         "true"));

  // Its next contact (the guard presses 立即上传): the refresh is refused, the queue and the
  // session are deleted, and the page says why.
  ASSERT_EQ(Click(*phone, "#sync-now"), "ok");
  ASSERT_TRUE(Eventually(*phone, "!document.getElementById('login').hidden", "true"));
  EXPECT_THAT(*phone->Evaluate("document.getElementById('login-error').textContent"),
              HasSubstr("已被组长撤销登记"));
  EXPECT_EQ(*phone->Evaluate("document.getElementById('app').hidden"), "true");
  EXPECT_EQ(*phone->Evaluate("localStorage.getItem('lf.guard.queue')"), "null");
  EXPECT_EQ(*phone->Evaluate("sessionStorage.getItem('lf.session')"), "null");
  EXPECT_EQ(*phone->Evaluate("window.lfGuard.state.wiped"), "wipedRevoked");

  // The gate comes back: it holds the one passage sent before, never the wiped one.
  ASSERT_OK(suite->StartService("gate"));
  EXPECT_EQ(GatePassages(), passages_before + 1);
  EXPECT_THAT(History(*phone), Not(HasSubstr(code)));
}

TEST_F(AccountsBrowserTest, AGuardWhoseAccountIsDisabledIsWipedOnItsNextContact) {
  ASSERT_OK_AND_ASSIGN(std::string user_id,
                       ActiveUser("guard.li", "ROLE_GUARD", kVolunteerPassword));
  // The console without a session offers both ways in; the guard signs in.
  ASSERT_OK_AND_ASSIGN(auto phone, testing::HeadlessBrowser::Launch(Url("/guard")));
  ASSERT_TRUE(
      Eventually(*phone, "!document.getElementById('login').hidden", "true", absl::Seconds(60)));
  EXPECT_EQ(*phone->Evaluate("document.getElementById('enrol-form').hidden"), "false");
  ASSERT_EQ(Click(*phone, "#signin-link"), "ok");
  ASSERT_NO_FATAL_FAILURE(SignIn(*phone, "guard.li", kVolunteerPassword, "/guard"));
  ASSERT_TRUE(Eventually(*phone, "document.getElementById('gate').value", "east"));

  // The gate goes down and a passage waits on the phone; meanwhile the account is disabled.
  ASSERT_OK(suite->Stop("gate"));
  ASSERT_TRUE(Eventually(*phone, "document.getElementById('record').disabled", "false"));
  ASSERT_EQ(*phone->Evaluate(
                absl::StrCat("(document.querySelector('input[name=mode][value=id]').click(), "
                             "document.getElementById('id-number').value = ",
                             Js(IdNumber("32010219700707123")),
                             ", document.getElementById('temperature').value = '36.5', "
                             "document.getElementById('record').click(), 'recorded')")),
            "recorded");
  ASSERT_TRUE(Eventually(*phone, "window.lfGuard.queued()", "1", absl::Seconds(60)));
  ASSERT_OK(Api(absl::StrCat(kAccounts, "/DisableUser"), Admin(),
                absl::StrCat(R"({"requestId":"disable-guard","userId":")", user_id, R"("})"))
                .status());

  // The next contact wipes the queue and the session, and says why.
  ASSERT_EQ(Click(*phone, "#sync-now"), "ok");
  ASSERT_TRUE(Eventually(*phone, "window.lfGuard.state.wiped", "wipedDisabled"));
  EXPECT_THAT(*phone->Evaluate("document.getElementById('login-error').textContent"),
              HasSubstr("此账号已被停用或重置"));
  EXPECT_EQ(*phone->Evaluate("localStorage.getItem('lf.guard.queue')"), "null");
  EXPECT_EQ(*phone->Evaluate("sessionStorage.getItem('lf.session')"), "null");
  ASSERT_OK(suite->StartService("gate"));
}

TEST_F(AccountsBrowserTest, AWrongPasswordIsToldAndNoTokenOrCodeIsInAnyUrl) {
  ASSERT_OK(ActiveUser("wu.gang", "ROLE_VOLUNTEER", kVolunteerPassword).status());
  ASSERT_OK_AND_ASSIGN(auto browser, testing::HeadlessBrowser::Launch(Url("/volunteer")));
  ASSERT_NO_FATAL_FAILURE(PhoneScreen(*browser));
  ASSERT_TRUE(Eventually(*browser,
                         "location.pathname + location.search === '/signin?next=%2Fvolunteer' "
                         "&& !!window.lfSignin",
                         "true", absl::Seconds(60)));
  ASSERT_EQ(Fill(*browser, "login", "wu.gang"), "ok");
  ASSERT_EQ(Fill(*browser, "password", "not-my-password-1"), "ok");
  ASSERT_EQ(Click(*browser, "#signin-button"), "ok");
  ASSERT_TRUE(
      Eventually(*browser, "document.getElementById('error').textContent", "登录名或密码错误。"));
  // Four more wrong guesses, then the login waits: the page says for how long.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Eventually(*browser, "document.getElementById('signin-button').disabled", "false"));
    ASSERT_EQ(Fill(*browser, "password", absl::StrCat("not-my-password-", i + 2)), "ok");
    ASSERT_EQ(Click(*browser, "#signin-button"), "ok");
    ASSERT_TRUE(Eventually(*browser, "window.lfSignin.state.errors", absl::StrCat(i + 2)));
  }
  EXPECT_THAT(*browser->Evaluate("document.getElementById('error').textContent"),
              ::testing::MatchesRegex("失败次数过多，请 [0-9]+ 秒后再试。"));
  // Once the wait is over (the message counts down and goes), the right password works.
  ASSERT_TRUE(
      Eventually(*browser, "document.getElementById('error').hidden", "true", absl::Seconds(30)));
  // In English too.
  ASSERT_EQ(Click(*browser, "button[data-lang=en]"), "ok");
  EXPECT_EQ(*browser->Evaluate("document.getElementById('signin-button').textContent"), "Sign in");
  ASSERT_EQ(Click(*browser, "button[data-lang=zh]"), "ok");
  EXPECT_EQ(*browser->Evaluate("document.documentElement.scrollWidth <= 360"), "true");

  ASSERT_NO_FATAL_FAILURE(SignIn(*browser, "wu.gang", kVolunteerPassword, "/volunteer"));
  const std::string access =
      *browser->Evaluate("JSON.parse(sessionStorage.getItem('lf.session')).accessToken");
  const std::string refresh =
      *browser->Evaluate("JSON.parse(sessionStorage.getItem('lf.session')).refreshToken");
  ASSERT_THAT(access, ::testing::StartsWith("eyJ"));
  // The app's live task list is open (an event stream), so its URL was loaded too.
  ASSERT_TRUE(Eventually(*browser,
                         "document.getElementById('feed-state') === null || "
                         "document.getElementById('feed-state').textContent !== '—'",
                         "true"));

  const std::string loaded_before_reload = Loaded(*browser);

  // The session is refreshed in the background two minutes before the access token's 15
  // minutes are over, counted from when it arrived: make it have arrived 12 min 57 s ago.
  ASSERT_EQ(*browser->Evaluate("(sessionStorage.setItem('lf.session.received', "
                               "String(Date.now() - (13 * 60 - 3) * 1000)), location.reload(), "
                               "'ok')"),
            "ok");
  ASSERT_TRUE(Eventually(*browser,
                         absl::StrCat("document.readyState === 'complete' && "
                                      "JSON.parse(sessionStorage.getItem('lf.session'))"
                                      ".refreshToken !== ",
                                      Js(refresh)),
                         "true", absl::Seconds(30)));
  const std::string rotated =
      *browser->Evaluate("JSON.parse(sessionStorage.getItem('lf.session')).refreshToken");
  EXPECT_THAT(rotated, Not(""));
  ASSERT_TRUE(Eventually(*browser, "!document.getElementById('app').hidden", "true"));

  // No URL the browser loaded (pages, scripts, API calls, event streams) and no history entry
  // carries a token; nor does the gateway's request log.
  const std::string loaded = loaded_before_reload + " " + Loaded(*browser);
  EXPECT_THAT(loaded, HasSubstr("/api/v1/"));
  for (const std::string& secret :
       {std::string("eyJ"), std::string("access_token"), refresh, rotated}) {
    EXPECT_THAT(loaded, Not(HasSubstr(secret)));
    EXPECT_THAT(History(*browser), Not(HasSubstr(secret)));
    EXPECT_THAT(suite->Stderr("gateway"), Not(HasSubstr(secret)));
  }
}

}  // namespace
}  // namespace lianfang::gateway

[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new lianfang::gateway::AccountsGatewayEnvironment);
