// `tools/dev.sh up` as a newcomer runs it, on ports picked at run time and a scratch var
// folder (LF_VAR_DIR, LF_*_ADDR, LF_HTTP_LISTEN, LF_REDIS_PORT; LF_SKIP_BUILD=1 with the
// binaries of this build): it prints a sign-in link carrying the admin account's activation
// code; run again while the account is pending it prints a new one (the old code stops
// working); once the account is activated it prints the plain sign-in page. With --demo the
// demo's leaders, guards and volunteers sign in with the demo password it printed.
// `tools/dev.sh down` stops everything at the end.
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/testing/ports.h"
#include "common/testing/service_binaries.h"
#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/accounts/v1/accounts.grpc.pb.h"

namespace lianfang {
namespace {

using ::lianfang::testing::Subprocess;
using ::testing::HasSubstr;

struct ScriptRun {
  int code = -1;
  std::string out;
  std::string err;
};

class DevUpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> lfctl = testing::BinaryPath("lfctl");
    ASSERT_TRUE(lfctl.ok()) << lfctl.status();
    // <build>/bin/lfctl -> <build>
    build_dir_ = lfctl->substr(0, lfctl->rfind('/'));
    build_dir_ = build_dir_.substr(0, build_dir_.rfind('/'));
    env_ = {
        {"LF_VAR_DIR", var_.path() + "/var"}, {"LF_SKIP_BUILD", "1"}, {"LF_BUILD_DIR", build_dir_}};
    auto port = [&]() {
      absl::StatusOr<int> p = testing::PickFreePort();
      EXPECT_TRUE(p.ok()) << p.status();
      return p.value_or(1);
    };
    env_.emplace_back("LF_REDIS_PORT", absl::StrCat(port()));
    http_ = absl::StrCat("127.0.0.1:", port());
    env_.emplace_back("LF_HTTP_LISTEN", http_);
    for (const char* service :
         {"GATEWAY", "GATE", "SURVEY", "DISPATCH", "REPORT", "ACCOUNTS", "SUPPLIES"}) {
      const std::string address = absl::StrCat("127.0.0.1:", port());
      env_.emplace_back(absl::StrCat("LF_", service, "_ADDR"), address);
      if (std::string(service) == "ACCOUNTS") accounts_ = address;
    }
  }
  void TearDown() override {
    const ScriptRun down = DevSh({"down"});
    EXPECT_EQ(down.code, 0) << down.out << down.err;
  }

  ScriptRun DevSh(std::vector<std::string> args) {
    ScriptRun run;
    Subprocess::Options options;
    options.args = {"bash", testing::SourcePath("tools/dev.sh")};
    for (std::string& a : args) options.args.push_back(std::move(a));
    options.env = env_;
    options.unset_env = {"LF_TOKEN",
                         "LF_DEMO",
                         "LF_JWT_SIGNING_KEY_FILE",
                         "LF_JWT_SECRET_FILE",
                         "LF_JWT_PUBLIC_KEY_FILE",
                         "LF_DB",
                         "LF_LISTEN"};
    // The services it starts outlive the script (setsid); `down` stops them.
    options.kill_with_parent = false;
    absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(std::move(options));
    EXPECT_TRUE(process.ok()) << process.status();
    if (!process.ok()) return run;
    absl::StatusOr<testing::ExitStatus> exit = (*process)->Wait(absl::Seconds(240));
    EXPECT_TRUE(exit.ok()) << exit.status();
    run.code = exit.ok() ? exit->exit_code : -1;
    run.out = (*process)->ReadStdout();
    run.err = (*process)->ReadStderr();
    return run;
  }

  // The activation code of the sign-in link in `out`; empty when the link has none.
  std::string ActivationCode(const std::string& out) {
    std::smatch match;
    const std::regex link("http://" + std::regex_replace(http_, std::regex("\\."), "\\.") +
                          "/signin#activate=([A-Za-z0-9-]+)");
    return std::regex_search(out, match, link) ? match[1].str() : "";
  }

  grpc::Status Activate(const std::string& code, const std::string& password) {
    auto stub = accounts::v1::AccountsService::NewStub(
        grpc::CreateChannel(accounts_, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    accounts::v1::ActivateRequest request;
    request.set_activation_code(code);
    request.set_password(password);
    accounts::v1::Session session;
    return stub->Activate(&context, request, &session);
  }

  grpc::Status SignIn(const std::string& login, const std::string& password,
                      accounts::v1::Session* session) {
    auto stub = accounts::v1::AccountsService::NewStub(
        grpc::CreateChannel(accounts_, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    accounts::v1::SignInRequest request;
    request.set_login(login);
    request.set_password(password);
    return stub->SignIn(&context, request, session);
  }

  testing::TempDir var_;
  std::string build_dir_;
  std::string http_;
  std::string accounts_;
  std::vector<std::pair<std::string, std::string>> env_;
};

TEST_F(DevUpTest, UpPrintsTheAdminsSignInLinkAndTheDemoPeopleCanSignIn) {
  const ScriptRun first = DevSh({"up", "--demo"});
  ASSERT_EQ(first.code, 0) << first.out << first.err;
  const std::string code = ActivationCode(first.out);
  ASSERT_FALSE(code.empty()) << first.out;
  // The admin token for lfctl stays the last line.
  EXPECT_THAT(first.out, ::testing::MatchesRegex("(.|\n)*\nexport LF_TOKEN=[^\n]+\n"));
  EXPECT_THAT(first.out, ::testing::Not(HasSubstr("#token=")));  // no token in a URL

  // The demo's people sign in with the password printed once (and kept in var/secrets).
  std::ifstream file(var_.path() + "/var/secrets/demo-password");
  std::string password;
  std::getline(file, password);
  ASSERT_FALSE(password.empty());
  EXPECT_THAT(first.out, HasSubstr(password));
  for (const char* login : {"leader-wang", "vol-linna", "guard-campus-east"}) {
    accounts::v1::Session session;
    const grpc::Status s = SignIn(login, password, &session);
    EXPECT_TRUE(s.ok()) << login << ": " << s.error_message();
    EXPECT_EQ(session.user().login(), login);
  }

  // Still pending: a second run gives a new code, and the first one stops working.
  const ScriptRun second = DevSh({"up"});
  ASSERT_EQ(second.code, 0) << second.out << second.err;
  const std::string code_2 = ActivationCode(second.out);
  ASSERT_FALSE(code_2.empty()) << second.out;
  EXPECT_NE(code_2, code);
  EXPECT_THAT(second.out, ::testing::Not(HasSubstr(password)));  // printed once
  EXPECT_EQ(Activate(code, "the-admins-passphrase").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  const grpc::Status activated = Activate(code_2, "the-admins-passphrase");
  ASSERT_TRUE(activated.ok()) << activated.error_message();

  // Activated: the plain sign-in page, no code; the admin signs in with its password.
  const ScriptRun third = DevSh({"up"});
  ASSERT_EQ(third.code, 0) << third.out << third.err;
  EXPECT_EQ(ActivationCode(third.out), "") << third.out;
  EXPECT_THAT(third.out, HasSubstr(absl::StrCat("http://", http_, "/signin ")));
  accounts::v1::Session admin;
  EXPECT_TRUE(SignIn("admin", "the-admins-passphrase", &admin).ok());
}

}  // namespace
}  // namespace lianfang
