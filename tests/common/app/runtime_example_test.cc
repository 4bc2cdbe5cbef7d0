// The example of common/app/runtime.h's header comment is a program that compiles
// (runtime_example.cc), serves the gate with the settings of API.md and ends cleanly on
// SIGTERM; and the header shows exactly that program's main().
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/server/client.h"
#include "common/server/grpc_status.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/ports.h"
#include "common/testing/service_binaries.h"
#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"

namespace lianfang::app {
namespace {

using ::lianfang::testing::ExitStatus;
using ::lianfang::testing::NewClientContext;
using ::lianfang::testing::PickFreePort;
using ::lianfang::testing::SourcePath;
using ::lianfang::testing::Subprocess;
using ::lianfang::testing::TempDir;
using ::lianfang::testing::TestTokens;

std::string ReadSource(const std::string& relative) {
  std::ifstream in(SourcePath(relative));
  EXPECT_TRUE(in.good()) << "cannot read " << relative;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The lines of `text` from the first one holding "int main(" through the next "}" at the
// start of a line (after `prefix` is removed from each).
std::string MainOf(const std::string& text, absl::string_view prefix) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (out.empty() && !absl::StrContains(line, "int main(")) continue;
    if (!absl::ConsumePrefix(&line, prefix)) break;
    out.emplace_back(line);
    if (line == "}") break;
  }
  return absl::StrJoin(out, "\n");
}

TEST(RuntimeExampleTest, TheHeaderShowsTheProgramThatIsBuilt) {
  const std::string in_header = MainOf(ReadSource("common/app/runtime.h"), "//   ");
  const std::string built = MainOf(ReadSource("tests/common/app/runtime_example.cc"), "");
  ASSERT_TRUE(absl::EndsWith(built, "\n}")) << built;
  EXPECT_EQ(in_header, built);
}

TEST(RuntimeExampleTest, TheExampleServesTheGateAndStopsOnSigterm) {
  TestTokens tokens;
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(std::string pii_key,
                       dir.WriteFile("pii.key", "runtime-example-pii-key-0123456789"));
  ASSERT_OK_AND_ASSIGN(int port, PickFreePort());
  ASSERT_OK_AND_ASSIGN(int redis_port, PickFreePort());  // nothing listens: Redis is down
  const std::string address = absl::StrCat("127.0.0.1:", port);

  Subprocess::Options options;
  options.args = {LF_RUNTIME_EXAMPLE};
  options.env = {{"LF_LISTEN", address},
                 {"LF_DB", absl::StrCat("sqlite:", dir.File("gate.db"))},
                 {"LF_REDIS", absl::StrCat("redis://127.0.0.1:", redis_port, "/0")},
                 {"LF_SITES", SourcePath("deploy/sites.textproto")},
                 {"LF_JWT_SECRET_FILE", tokens.secret_file()},
                 {"LF_PII_KEY_FILE", pii_key}};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> example, Subprocess::Start(options));
  ASSERT_OK(server::WaitForServing(address, absl::Seconds(30), nullptr,
                                   "lianfang.gate.v1.GateService"))
      << example->ReadStderr();

  // The gate it serves answers: a pass issued, then found by its code.
  auto stub = gate::v1::GateService::NewStub(server::MakeChannel(address, nullptr));
  gate::v1::IssuePassRequest issue;
  issue.set_request_id("example-pass-1");
  issue.set_site_id("campus");
  issue.mutable_person()->set_id_number("11010519491231002X");
  issue.mutable_person()->set_name("张三");
  issue.set_kind(gate::v1::PASS_KIND_RESIDENT);
  gate::v1::Pass pass;
  auto ctx = NewClientContext(tokens.For(auth::Role::kAdmin, "admin-1"), absl::Seconds(20));
  ASSERT_OK(server::FromGrpcStatus(stub->IssuePass(ctx.get(), issue, &pass)))
      << example->ReadStderr();
  EXPECT_FALSE(pass.pass_code().empty());
  EXPECT_EQ(pass.site_id(), "campus");

  ASSERT_OK_AND_ASSIGN(ExitStatus exit, example->Terminate(absl::Seconds(20)));
  EXPECT_TRUE(exit.Success()) << exit.ToString() << "\n" << example->ReadStderr();
}

}  // namespace
}  // namespace lianfang::app
