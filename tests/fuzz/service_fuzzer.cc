#include "tests/fuzz/service_fuzzer.h"

#include <grpcpp/client_context.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>
#include <grpcpp/support/status.h>
#include <grpcpp/support/stub_options.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/audit/audit.h"
#include "common/auth/principal.h"
#include "common/idempotency/idempotency.h"
#include "common/logging/logging.h"
#include "common/outbox/outbox.h"
#include "common/server/server.h"
#include "common/status/status_macros.h"
#include "google/protobuf/message.h"
#include "google/protobuf/stubs/logging.h"

#ifndef LF_SOURCE_DIR
#error "LF_SOURCE_DIR must name the source tree"
#endif

namespace lianfang::fuzz {
namespace {

// The table whose rows a failed call may add (a future audit of refused calls).
constexpr char kAuditTable[] = "lf_audit_events";

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "FUZZ INVARIANT VIOLATED: %s\n", message.c_str());
  std::fflush(stderr);
  std::abort();
}

template <typename T>
T OrDie(absl::StatusOr<T> value, absl::string_view what) {
  if (!value.ok()) Die(absl::StrCat(what, ": ", value.status().ToString()));
  return *std::move(value);
}

absl::TimeZone Shanghai() {
  return OrDie(time::LoadTimeZone("Asia/Shanghai"), "loading the time zone Asia/Shanghai");
}

// Where the temporary folder of this process is, for the exit handler (the fuzzer itself is
// never destroyed: libFuzzer ends the process with exit()).
std::string* temp_folder = nullptr;

void RemoveTempFolder() {
  if (temp_folder == nullptr) return;
  std::error_code ignored;
  std::filesystem::remove_all(*temp_folder, ignored);
}

bool IsServerFault(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::DATA_LOSS:
    case grpc::StatusCode::UNIMPLEMENTED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return true;
    default:
      return false;
  }
}

std::string ToBytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

}  // namespace

absl::Time FuzzNow() {
  return absl::FromCivil(absl::CivilSecond(2026, 3, 10, 9, 30, 0), Shanghai());
}

std::string SourcePath(absl::string_view relative) {
  return absl::StrCat(LF_SOURCE_DIR, "/", relative);
}

std::vector<const google::protobuf::MethodDescriptor*> UnaryMethods(absl::string_view service) {
  const google::protobuf::ServiceDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(std::string(service));
  if (descriptor == nullptr) Die(absl::StrCat("unknown service ", service));
  std::vector<const google::protobuf::MethodDescriptor*> methods;
  for (int i = 0; i < descriptor->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* method = descriptor->method(i);
    if (!method->server_streaming() && !method->client_streaming()) methods.push_back(method);
  }
  if (methods.empty()) Die(absl::StrCat(service, " has no unary method"));
  return methods;
}

ServiceFuzzer::ServiceFuzzer(std::string service_name)
    : service_name_(std::move(service_name)),
      methods_(UnaryMethods(service_name_)),
      clock_(FuzzNow()),
      tz_(Shanghai()) {
  logging::SetMinLevel(logging::Level::kError);
  // Requests that do not parse (invalid UTF-8 in a string field...) are refused before any
  // call; protobuf's complaint about each is noise.
  google::protobuf::SetLogHandler(nullptr);
  temp_folder = new std::string(dir_.path());
  std::atexit(RemoveTempFolder);
  tokens_ = std::make_unique<lianfang::testing::TestTokens>(&clock_);
  for (auth::Role role : auth::kAllRoles) {
    bearer_.push_back(absl::StrCat(
        "Bearer ", tokens_->For(role, absl::StrCat("fuzz-", auth::RoleName(role)), {},
                                absl::Hours(24 * 365))));
  }
  sites_ = std::make_unique<sites::SiteDirectory>(
      OrDie(sites::SiteDirectory::LoadFile(SourcePath("deploy/sites.textproto")),
            "loading deploy/sites.textproto"));
  db_ = OrDie(sql::Database::Open(absl::StrCat("sqlite:", dir_.File("fuzz.db"))),
              "opening the SQLite database");
  Migrate(idempotency::kComponent, idempotency::Migrations());
  Migrate(outbox::kComponent, outbox::Migrations());
  Migrate(audit::kComponent, audit::Migrations());
  keyer_ = std::make_unique<pii::PersonKeyer>(
      OrDie(pii::PersonKeyer::FromSecret("fuzz-pii-key-0123456789abcdef"), "making the keyer"));
}

ServiceFuzzer::~ServiceFuzzer() {
  if (server_ != nullptr) server_->Shutdown();
}

void ServiceFuzzer::Migrate(absl::string_view component,
                            std::span<const sql::Migration> migrations) {
  if (absl::Status s = db_->Migrate(component, migrations); !s.ok()) {
    Die(absl::StrCat("migrating ", component, ": ", s.ToString()));
  }
}

void ServiceFuzzer::Serve(grpc::Service* service) {
  server::ServerOptions options;
  options.service_name = "fuzz";
  options.served_services = {service_name_};
  options.log_calls = false;
  server_ = std::make_unique<lianfang::testing::LoopbackServer>(std::move(options));
  server_->AddService(service);
  server_->UseFallback(*tokens_);
  if (absl::Status s = server_->Start(); !s.ok()) {
    Die(absl::StrCat("starting the server: ", s.ToString()));
  }
  stub_ = std::make_unique<grpc::GenericStub>(server_->channel());
}

std::map<std::string, int64_t> ServiceFuzzer::RowCounts() {
  // A write barrier first: writes run in order, so every write queued before (by an earlier
  // call) has completed when this one returns.
  if (absl::Status s = db_->Write([](sql::Session&) { return absl::OkStatus(); }); !s.ok()) {
    Die(absl::StrCat("write barrier: ", s.ToString()));
  }
  std::map<std::string, int64_t> counts;
  absl::Status s = db_->Read([&](sql::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(sql::Result tables,
                     session.Execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                     "ORDER BY name"));
    for (const sql::Row& row : tables.rows) {
      const std::string table = row.Text(0);
      ASSIGN_OR_RETURN(std::optional<sql::Row> n,
                       session.QueryRow(absl::StrCat("SELECT COUNT(*) FROM \"", table, "\"")));
      counts[table] = n.has_value() ? n->Int(0) : -1;
    }
    return absl::OkStatus();
  });
  if (!s.ok()) Die(absl::StrCat("counting rows: ", s.ToString()));
  return counts;
}

int ServiceFuzzer::Run(const uint8_t* data, size_t size) {
  if (size < 2) return -1;
  const google::protobuf::MethodDescriptor* method = methods_[data[0] % methods_.size()];
  const size_t role_index = data[1] % bearer_.size();
  const char* request_bytes = reinterpret_cast<const char*>(data + 2);
  const size_t request_size = size - 2;

  const google::protobuf::Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(method->input_type());
  std::unique_ptr<google::protobuf::Message> request(prototype->New());
  if (!request->ParseFromArray(request_bytes, static_cast<int>(request_size))) return -1;

  const std::map<std::string, int64_t> before = RowCounts();
  const int64_t writes_before = db_->stats().writes;

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  context.AddMetadata("authorization", bearer_[role_index]);
  grpc::Slice slice(request_bytes, request_size);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  absl::Notification done;
  grpc::Status status;
  const std::string path = absl::StrCat("/", service_name_, "/", method->name());
  stub_->UnaryCall(&context, path, grpc::StubOptions(), &request_buffer, &response_buffer,
                   [&](grpc::Status s) {
                     status = std::move(s);
                     done.Notify();
                   });
  done.WaitForNotification();

  const std::string what = absl::StrCat(
      method->full_name(), " as ", auth::RoleName(auth::kAllRoles[role_index]), " answered ",
      static_cast<int>(status.error_code()), " \"", status.error_message(), "\"; request: ",
      request->ShortDebugString().substr(0, 2000));
  if (IsServerFault(status.error_code())) Die(absl::StrCat("server fault: ", what));

  const std::map<std::string, int64_t> after = RowCounts();
  const int64_t writes_after = db_->stats().writes;
  if (!status.ok()) {
    bool audit_grew = false;
    for (const auto& [table, n] : after) {
      auto it = before.find(table);
      const int64_t was = it == before.end() ? -1 : it->second;
      if (table == kAuditTable) {
        audit_grew = n != was;
        continue;
      }
      if (n != was) {
        Die(absl::StrCat("a failed call changed table ", table, " (", was, " -> ", n,
                         " rows): ", what));
      }
    }
    // The barrier of RowCounts is the one write function expected between the two counts.
    if (!audit_grew && writes_after != writes_before + 1) {
      Die(absl::StrCat("a failed call committed ", writes_after - writes_before - 1,
                       " write function(s): ", what));
    }
    return 0;
  }

  const google::protobuf::Message* response_prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(method->output_type());
  std::unique_ptr<google::protobuf::Message> response(response_prototype->New());
  if (!response->ParseFromString(ToBytes(response_buffer))) {
    Die(absl::StrCat("the OK answer does not parse as ", method->output_type()->full_name(), ": ",
                     what));
  }
  return 0;
}

}  // namespace lianfang::fuzz
