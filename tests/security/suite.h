// The whole Lianfang suite for the security tests: the seven service binaries (gate, survey,
// dispatch, report, gateway, accounts, supplies) started as a sysadmin starts them by the
// end-to-end launcher (common/testing/grpc/suite.h), with a private redis-server, the test
// databases, the test JWT secret and gRPC over loopback on ports picked at run time; plus the
// helpers the security tests share (generic calls of any method, a server-streaming probe,
// Redis dumps, synthetic ID numbers).
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<Suite> suite, Suite::Start());
//   auto gate = gate::v1::GateService::NewStub(suite->Channel("gate"));
//   std::string logs = suite->AllLogs();
//
// Test-only. A Suite is driven from one thread (the calls it hands out are thread-safe).
#ifndef LIANFANG_TESTS_SECURITY_SUITE_H_
#define LIANFANG_TESTS_SECURITY_SUITE_H_

#include <grpcpp/channel.h>
#include <grpcpp/support/status.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/testing/grpc/suite.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/temp_dir.h"
#include "google/protobuf/message.h"

namespace lianfang::security_testing {

// One service of the suite.
struct ServiceInfo {
  std::string name;     // "gate"
  std::string service;  // "lianfang.gate.v1.GateService"
};

// gate, survey, dispatch, report, gateway, supplies: the services that take the HS256 test tokens
// (tokens().For) of every role. The accounts service runs too, with the Ed25519 pair, and takes
// people's EdDSA tokens (tokens().EdDsaFor); the authorization matrix covers it.
const std::vector<ServiceInfo>& Services();

// The suite name ("gate") of an API service's full name ("lianfang.gate.v1.GateService"),
// accounts included.
std::string ServiceNameOf(absl::string_view full_service_name);

// An adapter over the one end-to-end launcher (testing::Suite) with the security tests'
// settings: every service started, LF_RETENTION_DAYS=30 for gate and survey, the databases of
// testing::TestDatabaseUrl (SQLite unless LF_TEST_DB=postgres).
class Suite final {
 public:
  // Starts redis-server and the seven binaries and waits (bounded) until each is SERVING.
  // `extra_env` is added to every service's environment. Errors carry the failing service's
  // log.
  static absl::StatusOr<std::unique_ptr<Suite>> Start(
      std::vector<std::pair<std::string, std::string>> extra_env = {});
  ~Suite() = default;
  Suite(const Suite&) = delete;
  Suite& operator=(const Suite&) = delete;

  const testing::TestTokens& tokens() const { return suite_.tokens(); }
  // "127.0.0.1:PORT" of the named service ("gate").
  std::string Address(absl::string_view name) const { return suite_.address(name); }
  // A plaintext channel to the named service (shared).
  std::shared_ptr<grpc::Channel> Channel(absl::string_view name);
  int redis_port() const { return suite_.redis().port(); }
  const testing::TempDir& dir() const { return suite_.dir(); }
  // The launcher itself, for what this adapter does not forward.
  testing::Suite& launcher() { return suite_; }

  // Everything the services printed so far (stdout and stderr of all seven), with a header
  // line per service.
  std::string AllLogs() const;

  // Every key of the suite's Redis (SCAN) with its value dumped as text (strings, hashes,
  // lists, sets, sorted sets, streams), one "key => value" line each.
  absl::StatusOr<std::string> DumpRedis() const;

 private:
  Suite() = default;

  testing::Suite suite_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
};

// Calls the unary method `full_method` ("/pkg.Service/Method") with `request` serialized and
// `authorization` as the raw metadata value (not sent when empty). The reply is parsed into
// `response` when not null and the call succeeded.
grpc::Status CallUnary(const std::shared_ptr<grpc::Channel>& channel,
                       const std::string& full_method, const google::protobuf::Message& request,
                       const std::string& authorization,
                       google::protobuf::Message* response = nullptr,
                       absl::Duration deadline = absl::Seconds(20));

// Opens the server-streaming method `full_method` with `request`, reads whatever comes until
// the call ends or `deadline` passes, and returns the final status (DEADLINE_EXCEEDED when the
// server kept the stream open). Refusals come back at once with their own code.
grpc::Status ProbeStream(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& full_method, const google::protobuf::Message& request,
                         const std::string& authorization, absl::Duration deadline);

// A valid 18-character resident ID number (GB 11643 check digit) built from a 6-digit region,
// a birth date "YYYYMMDD" and a 3-digit sequence.
std::string MakeIdNumber(absl::string_view region, absl::string_view birth,
                         absl::string_view sequence);

// Today's date "YYYY-MM-DD" in Asia/Shanghai (the suite's LF_TZ).
std::string Today();

// The first gate of a site of deploy/sites.textproto ("campus" -> "east").
std::string FirstGateOf(absl::string_view site);

// Fills the fields of `message` that place a request at `site`: `site_id` (also inside a
// `household`, `task` or `filter` field), `from_site_id` (the site stock leaves), `site_ids`,
// `gate_id` (the site's first gate), `date` (today) and a fresh `request_id`
// ("matrix-<++*serial>"). Everything else stays empty. Returns true when a site field was set.
bool PlaceAtSite(google::protobuf::Message* message, absl::string_view site, int* serial);

}  // namespace lianfang::security_testing

#endif  // LIANFANG_TESTS_SECURITY_SUITE_H_
