// The shared body of the per-service fuzz targets: one real service class, served on a loopback
// gRPC server over a fresh SQLite file, fed raw request bytes.
//
// A fuzz input is
//   byte 0     which unary method of the service (index into its declaration order, modulo
//              the number of unary methods; server-streaming methods are left out)
//   byte 1     which role the caller's token has (index into auth::kAllRoles, modulo 6); the
//              token is valid and covers every site
//   bytes 2..  the request message, in the protobuf wire format.
// Inputs whose request bytes do not parse as the method's request message are rejected
// (LLVMFuzzerTestOneInput returns -1). The others are sent unchanged through a generic stub, so
// the server decodes them itself, then the handler runs: authorization, validation, the domain
// core and SQL. The invariants, checked after each call (a violation prints what happened and
// aborts, which libFuzzer reports as a crash with the input saved):
//   - the call does not end in UNKNOWN, INTERNAL, DATA_LOSS, UNIMPLEMENTED or DEADLINE_EXCEEDED
//     (bad input is the caller's fault and must be answered as such, without a hang);
//   - a call that failed wrote nothing: the row count of every table is unchanged (audit rows
//     excepted) and the database committed no write function;
//   - an OK answer parses as the method's response message.
// Sanitizer reports (ASan, UBSan) in any thread of the process are crashes too.
//
// Test-only; one ServiceFuzzer per process, used from LLVMFuzzerTestOneInput's thread.
#ifndef LIANFANG_TESTS_FUZZ_SERVICE_FUZZER_H_
#define LIANFANG_TESTS_FUZZ_SERVICE_FUZZER_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/impl/service_type.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/pii/pii.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/temp_dir.h"
#include "common/time/clock.h"
#include "google/protobuf/descriptor.h"

namespace lianfang::fuzz {

// The fixed "now" of every fuzz target: 2026-03-10 09:30 in Asia/Shanghai.
absl::Time FuzzNow();

// `relative` (e.g. "deploy/sites.textproto") under the source tree this binary was built from.
std::string SourcePath(absl::string_view relative);

// The unary (not server-streaming) methods of `service` ("lianfang.gate.v1.GateService"), in
// declaration order: what byte 0 of an input selects. Aborts when the service is unknown.
std::vector<const google::protobuf::MethodDescriptor*> UnaryMethods(absl::string_view service);

class ServiceFuzzer final {
 public:
  // Everything but the service: the clock (at FuzzNow), tokens, the sites of
  // deploy/sites.textproto, the time zone, a person keyer and an SQLite database in a temporary
  // folder with the shared migrations (idempotency, outbox, audit) applied. Aborts with a
  // message when any of it fails. Quietens the logs to errors.
  explicit ServiceFuzzer(std::string service_name);
  ~ServiceFuzzer();
  ServiceFuzzer(const ServiceFuzzer&) = delete;
  ServiceFuzzer& operator=(const ServiceFuzzer&) = delete;

  time::FakeClock& clock() { return clock_; }
  const sites::SiteDirectory& sites() const { return *sites_; }
  absl::TimeZone tz() const { return tz_; }
  sql::Database& db() { return *db_; }
  const pii::PersonKeyer& keyer() const { return *keyer_; }
  const auth::Authorizer& authorizer() const { return tokens_->authorizer(); }

  // Applies the service's migrations (aborts on failure).
  void Migrate(absl::string_view component, std::span<const sql::Migration> migrations);

  // Serves `service` (not owned; must outlive this object) on a loopback server and connects
  // a generic stub to it. Aborts when the server does not start.
  void Serve(grpc::Service* service);

  // Runs one fuzz input (see the file comment). 0, or -1 for an input to keep out of the
  // corpus.
  int Run(const uint8_t* data, size_t size);

 private:
  std::map<std::string, int64_t> RowCounts();

  const std::string service_name_;
  const std::vector<const google::protobuf::MethodDescriptor*> methods_;
  time::FakeClock clock_;
  std::unique_ptr<lianfang::testing::TestTokens> tokens_;
  std::vector<std::string> bearer_;  // per auth::kAllRoles entry
  lianfang::testing::TempDir dir_;
  std::unique_ptr<sites::SiteDirectory> sites_;
  absl::TimeZone tz_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<pii::PersonKeyer> keyer_;
  std::unique_ptr<lianfang::testing::LoopbackServer> server_;
  std::unique_ptr<grpc::GenericStub> stub_;
};

}  // namespace lianfang::fuzz

#endif  // LIANFANG_TESTS_FUZZ_SERVICE_FUZZER_H_
