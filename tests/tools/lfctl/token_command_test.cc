// Runs the built lfctl binary ($LF_BIN_DIR/lfctl) as a subprocess, as scripts do, and checks
// its tokens with the verifier every service uses.
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/jwt.h"
#include "common/auth/principal.h"
#include "common/status/status_matchers.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/auth/jwt_test_util.h"

extern char** environ;

namespace lianfang::lfctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr char kKey[] = "lfctl-test-key-0123456789-abcdefghijklmnop";

std::string LfctlPath() {
  if (const char* dir = std::getenv("LF_BIN_DIR"); dir != nullptr && *dir != '\0') {
    return absl::StrCat(dir, "/lfctl");
  }
  // Run by hand from build/tests: the binaries are next door.
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path().parent_path() / "bin" / "lfctl").string();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class LfctlTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "lfctl_test_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    key_file_ = WriteFile("jwt.key", absl::StrCat(kKey, "\n"));
    ASSERT_TRUE(std::filesystem::exists(LfctlPath())) << LfctlPath() << " is not built";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string WriteFile(const std::string& name, const std::string& content) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  // Runs lfctl with `args`; the environment is this process's without LF_JWT_SECRET_FILE and
  // LF_JWT_SIGNING_KEY_FILE,
  // plus `env` ("NAME=value").
  Result Run(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    const std::string binary = LfctlPath();
    std::vector<std::string> argv_storage = {binary};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);

    std::vector<std::string> env_storage;
    for (char** e = environ; *e != nullptr; ++e) {
      if (!absl::StartsWith(*e, "LF_JWT_SECRET_FILE=") &&
          !absl::StartsWith(*e, "LF_JWT_SIGNING_KEY_FILE=")) {
        env_storage.emplace_back(*e);
      }
    }
    env_storage.insert(env_storage.end(), env.begin(), env.end());
    std::vector<char*> envp;
    for (std::string& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);

    const std::string out_path = absl::StrCat(dir_, "/stdout.", runs_);
    const std::string err_path = absl::StrCat(dir_, "/stderr.", runs_);
    ++runs_;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = 0;
    const int spawn_error =
        posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    Result result;
    if (spawn_error != 0) {
      ADD_FAILURE() << "cannot start " << binary << ": " << std::strerror(spawn_error);
      return result;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = ReadFile(out_path);
    result.err = ReadFile(err_path);
    return result;
  }

  // The last line of stdout, verified.
  absl::StatusOr<auth::Principal> VerifyPrinted(const Result& result) {
    std::vector<std::string> lines = absl::StrSplit(result.out, '\n', absl::SkipEmpty());
    if (lines.empty()) return absl::NotFoundError("nothing printed");
    return auth::TokenVerifier(kKey, clock_).Verify(lines.back());
  }

  // Expects a usage error: exit 2, nothing on stdout, one line on stderr containing `what`.
  void ExpectUsageError(const Result& result, const std::string& what) {
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.out, "");
    EXPECT_THAT(result.err, HasSubstr(what));
    EXPECT_TRUE(absl::EndsWith(result.err, "\n")) << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  }

  std::string KeyEnv() const { return absl::StrCat("LF_JWT_SECRET_FILE=", key_file_); }

  time::RealClock clock_;
  std::string dir_;
  std::string key_file_;
  int runs_ = 0;
};

TEST_F(LfctlTokenTest, PrintsAVerifiableTokenOnItsLastLine) {
  const absl::Time before = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  const Result result = Run({"token", "--role", "guard", "--sub", "guard-07", "--name", "李娜",
                             "--sites", "campus,family-area", "--ttl", "2h"},
                            {KeyEnv()});
  const absl::Time after = absl::Now();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  EXPECT_TRUE(absl::EndsWith(result.out, "\n"));
  ASSERT_OK_AND_ASSIGN(auth::Principal who, VerifyPrinted(result));
  EXPECT_EQ(who.role, auth::Role::kGuard);
  EXPECT_EQ(who.subject, "guard-07");
  EXPECT_EQ(who.name, "李娜");
  EXPECT_THAT(who.sites, ElementsAre("campus", "family-area"));
  EXPECT_EQ(who.expires_at - who.issued_at, absl::Hours(2));
  EXPECT_GE(who.issued_at, before);
  EXPECT_LE(who.issued_at, after);
}

TEST_F(LfctlTokenTest, DefaultsAreTwelveHoursAllSitesAndTheSubjectAsName) {
  const Result result = Run({"token", "--role=LEADER", "--sub=wang"}, {KeyEnv()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_OK_AND_ASSIGN(auth::Principal who, VerifyPrinted(result));
  EXPECT_EQ(who.role, auth::Role::kLeader);
  EXPECT_EQ(who.name, "wang");
  EXPECT_THAT(who.sites, IsEmpty());
  EXPECT_EQ(who.expires_at - who.issued_at, absl::Hours(12));
}

TEST_F(LfctlTokenTest, EveryRoleCanBeMinted) {
  for (const auth::Role role : auth::kAllRoles) {
    const Result result =
        Run({"token", "--role", std::string(auth::RoleName(role)), "--sub", "s"}, {KeyEnv()});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    ASSERT_OK_AND_ASSIGN(auth::Principal who, VerifyPrinted(result));
    EXPECT_EQ(who.role, role);
  }
}

TEST_F(LfctlTokenTest, WithTheSigningKeyPeoplesTokensAreEdDsaAndServiceTokensStayHs256) {
  const auth::testing::PemKeyPair pems = auth::testing::NewEd25519Pem();
  const std::string signing = WriteFile("signing.pem", pems.private_pem);
  const auth::TokenVerifier with_public_key(
      kKey, auth::Ed25519Key::FromPublicPem(pems.public_pem).value(), clock_);
  const std::vector<std::string> env = {"LF_JWT_SECRET_FILE=" + key_file_,
                                        "LF_JWT_SIGNING_KEY_FILE=" + signing};
  const Result person = Run({"token", "--role", "admin", "--sub", "first-admin"}, env);
  ASSERT_EQ(person.exit_code, 0) << person.err;
  const std::vector<std::string> lines = absl::StrSplit(person.out, '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty());
  absl::StatusOr<auth::Principal> who = with_public_key.Verify(lines.back());
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->role, auth::Role::kAdmin);
  // An HS256-only service does not take it: it is not signed with the shared key.
  EXPECT_FALSE(VerifyPrinted(person).ok());
  const Result service = Run({"token", "--role", "service", "--sub", "gate"}, env);
  ASSERT_EQ(service.exit_code, 0) << service.err;
  EXPECT_TRUE(VerifyPrinted(service).ok());
  const Result bad = Run({"token", "--role", "admin", "--sub", "x"},
                         {"LF_JWT_SECRET_FILE=" + key_file_, "LF_JWT_SIGNING_KEY_FILE=" + key_file_});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("LF_JWT_SIGNING_KEY_FILE"));
}

TEST_F(LfctlTokenTest, KeyFileFlagWinsOverTheEnvironment) {
  const Result result = Run({"token", "--role", "admin", "--sub", "root", "--jwt-secret-file",
                             key_file_, "--ttl", "720h"},
                            {absl::StrCat("LF_JWT_SECRET_FILE=", dir_, "/does-not-exist")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_OK_AND_ASSIGN(auth::Principal who, VerifyPrinted(result));
  EXPECT_EQ(who.expires_at - who.issued_at, absl::Hours(720));
}

TEST_F(LfctlTokenTest, TokenSignedWithAnotherKeyDoesNotVerify) {
  const std::string other = WriteFile("other.key", std::string(40, 'o'));
  const Result result = Run({"token", "--role", "admin", "--sub", "root"},
                            {absl::StrCat("LF_JWT_SECRET_FILE=", other)});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(VerifyPrinted(result),
              ::lianfang::testing::StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(LfctlTokenTest, BadFlagsExitTwoWithOneLineNamingTheFlag) {
  ExpectUsageError(Run({"token", "--sub", "x"}, {KeyEnv()}), "--role");
  ExpectUsageError(Run({"token", "--role", "superuser", "--sub", "x"}, {KeyEnv()}), "--role");
  ExpectUsageError(Run({"token", "--role", "admin"}, {KeyEnv()}), "--sub");
  ExpectUsageError(Run({"token", "--role", "admin", "--sub", " "}, {KeyEnv()}), "--sub");
  ExpectUsageError(Run({"token", "--role", "admin", "--sub", "x", "--ttl", "12x"}, {KeyEnv()}),
                   "--ttl");
  ExpectUsageError(Run({"token", "--role", "admin", "--sub", "x", "--ttl", "721h"}, {KeyEnv()}),
                   "--ttl");
  ExpectUsageError(Run({"token", "--role", "admin", "--sub", "x", "--ttl", "-1h"}, {KeyEnv()}),
                   "--ttl");
  ExpectUsageError(Run({"token", "--role", "admin", "--sub", "x", "--ttl", "0s"}, {KeyEnv()}),
                   "--ttl");
  ExpectUsageError(Run({"token", "--role", "admin", "--sub", "x", "--ttl", "inf"}, {KeyEnv()}),
                   "--ttl");
  ExpectUsageError(
      Run({"token", "--role", "guard", "--sub", "x", "--sites", "campus,,village"}, {KeyEnv()}),
      "--sites");
  ExpectUsageError(Run({"token", "--role", "guard", "--sub", "x", "--sites", ""}, {KeyEnv()}),
                   "--sites");
  ExpectUsageError(Run({"token", "--role", "guard", "--sub", "x", "--sites", "a b"}, {KeyEnv()}),
                   "--sites");
  ExpectUsageError(Run({"token", "--role", "admin", "--sub", "x", "--bogus", "1"}, {KeyEnv()}),
                   "--bogus");
  ExpectUsageError(Run({"token", "--role", "admin", "--sub"}, {KeyEnv()}), "--sub");
  ExpectUsageError(
      Run({"token", "--role", "admin", "--sub", "x", "--name", "bad\xE6\x9D"}, {KeyEnv()}),
      "--name");
}

TEST_F(LfctlTokenTest, MissingOrBadKeyFileExitsTwoNamingTheSetting) {
  ExpectUsageError(Run({"token", "--role", "admin", "--sub", "x"}), "LF_JWT_SECRET_FILE");
  const std::string missing = absl::StrCat(dir_, "/missing.key");
  ExpectUsageError(Run({"token", "--role", "admin", "--sub", "x"},
                       {absl::StrCat("LF_JWT_SECRET_FILE=", missing)}),
                   missing);
  const std::string short_key = WriteFile("short.key", "too-short-key\n");
  const Result result =
      Run({"token", "--role", "admin", "--sub", "x", "--jwt-secret-file", short_key});
  ExpectUsageError(result, "--jwt-secret-file");
  EXPECT_THAT(result.err, HasSubstr(short_key));
  EXPECT_THAT(result.err, ::testing::Not(HasSubstr("too-short-key\n")));
}

TEST_F(LfctlTokenTest, HelpAndUnknownCommands) {
  const Result help = Run({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("token"));
  const Result token_help = Run({"token", "--help"});
  EXPECT_EQ(token_help.exit_code, 0);
  EXPECT_THAT(token_help.out, HasSubstr("--role ROLE"));
  EXPECT_THAT(token_help.out, HasSubstr("--ttl"));
  const Result unknown = Run({"no-such-command"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.out, "");
  EXPECT_THAT(unknown.err, StartsWith("lfctl: unknown command"));
  EXPECT_THAT(unknown.err, HasSubstr("Usage:"));
  const Result nothing = Run({});
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_THAT(nothing.err, HasSubstr("Usage:"));
}

// A token with a character an HTTP/2 header value cannot hold (a tab or a line break from a
// bad copy and paste, a wide character) used to abort lfctl inside gRPC (exit 134). Every
// command that sends a token checks it first: one line naming --token/LF_TOKEN, exit 2,
// nothing attempted (the services' addresses here lead nowhere).
TEST_F(LfctlTokenTest, ATokenThatCannotBeSentIsRefusedBeforeAnyCall) {
  const std::vector<std::string> nowhere = {
      "--gateway-addr=127.0.0.1:1",  "--gate-addr=127.0.0.1:1",   "--survey-addr=127.0.0.1:1",
      "--dispatch-addr=127.0.0.1:1", "--report-addr=127.0.0.1:1", "--timeout=2s"};
  const std::vector<std::vector<std::string>> commands = {
      {"team", "list"},
      {"task", "watch", "--count", "1"},
      {"passage", "occupancy", "--site", "campus"},
      {"vehicle", "register", "--site", "campus", "--plate", "京A12345"},
      {"hold", "release", "--person-key", "pk"},
      {"duty", "list"},
      {"coverage", "--site", "campus"},
      {"passage", "watch", "--count", "1"},
      {"stats", "dispatch"},
      {"dashboard"},
      {"audit", "gate"},
      {"report", "status"},
  };
  for (const std::string token :
       {"eyJhbGciOi\tJIUzI1NiJ9.e30.sig", "eyJhbGciOiJIUzI1NiJ9.\ne30.sig",
        "eyJhbGciOiJIUzI1NiJ9.e30.签名"}) {
    for (std::vector<std::string> args : commands) {
      args.insert(args.end(), nowhere.begin(), nowhere.end());
      SCOPED_TRACE(absl::StrCat(absl::StrJoin(args, " "), " with ", absl::CEscape(token)));
      ExpectUsageError(Run(args, {absl::StrCat("LF_TOKEN=", token)}), "--token/LF_TOKEN");
      args.push_back(absl::StrCat("--token=", token));
      const Result flag = Run(args);
      ExpectUsageError(flag, "--token/LF_TOKEN");
      EXPECT_THAT(flag.err, ::testing::Not(HasSubstr("JIUzI1NiJ9")));  // the token is not echoed
    }
  }
}

}  // namespace
}  // namespace lianfang::lfctl
