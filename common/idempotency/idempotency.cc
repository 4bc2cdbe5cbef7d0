#include "common/idempotency/idempotency.h"

#include <openssl/evp.h>

#include <memory>
#include <vector>

#include "absl/strings/escaping.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace lianfang::idempotency {
namespace {

constexpr char kSelect[] =
    "SELECT fingerprint, response FROM lf_idempotency WHERE scope = $1 AND request_id = $2";
constexpr char kInsert[] =
    "INSERT INTO lf_idempotency (scope, request_id, fingerprint, response, created_at)"
    " VALUES ($1, $2, $3, $4, $5)";
constexpr char kPurgeSome[] =
    "DELETE FROM lf_idempotency WHERE (scope, request_id) IN (SELECT scope, request_id"
    " FROM lf_idempotency WHERE created_at < $1 LIMIT $2)";

// Function-local and never destroyed (no static destruction order to worry about).
const std::vector<sql::Migration>& MigrationList() {
  static const auto* const kMigrations = new std::vector<sql::Migration>{
      {1, "create lf_idempotency",
       "CREATE TABLE lf_idempotency ("
       " scope TEXT NOT NULL,"
       " request_id TEXT NOT NULL,"
       " fingerprint TEXT NOT NULL,"
       " response BLOB NOT NULL,"
       " created_at BIGINT NOT NULL,"
       " PRIMARY KEY (scope, request_id));"
       "CREATE INDEX lf_idempotency_by_created ON lf_idempotency (created_at);",
       "CREATE TABLE lf_idempotency ("
       " scope TEXT NOT NULL,"
       " request_id TEXT NOT NULL,"
       " fingerprint TEXT NOT NULL,"
       " response BYTEA NOT NULL,"
       " created_at BIGINT NOT NULL,"
       " PRIMARY KEY (scope, request_id));"
       "CREATE INDEX lf_idempotency_by_created ON lf_idempotency (created_at);"},
  };
  return *kMigrations;
}

const google::protobuf::FieldDescriptor* RequestIdField(const google::protobuf::Message& m) {
  const google::protobuf::FieldDescriptor* field = m.GetDescriptor()->FindFieldByName("request_id");
  if (field == nullptr || field->is_repeated() ||
      field->type() != google::protobuf::FieldDescriptor::TYPE_STRING) {
    return nullptr;
  }
  return field;
}

std::string DeterministicBytes(const google::protobuf::Message& m) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }
  return bytes;
}

}  // namespace

absl::Status ValidateRequestId(absl::string_view request_id) {
  if (request_id.empty()) {
    return absl::InvalidArgumentError(
        "request_id is required: send a client-generated id of 1 to 64 characters, the same "
        "on every retry");
  }
  if (request_id.size() > kMaxRequestIdLength) {
    return absl::InvalidArgumentError("request_id must be at most 64 bytes long");
  }
  for (char c : request_id) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return absl::InvalidArgumentError("request_id must not contain control characters");
    }
  }
  return absl::OkStatus();
}

std::string RequestIdOf(const google::protobuf::Message& request) {
  const google::protobuf::FieldDescriptor* field = RequestIdField(request);
  if (field == nullptr) return "";
  return request.GetReflection()->GetString(request, field);
}

std::string Fingerprint(const google::protobuf::Message& request) {
  std::string bytes;
  const google::protobuf::FieldDescriptor* field = RequestIdField(request);
  if (field != nullptr && !request.GetReflection()->GetString(request, field).empty()) {
    std::unique_ptr<google::protobuf::Message> copy(request.New());
    copy->CopyFrom(request);
    copy->GetReflection()->ClearField(copy.get(), field);
    bytes = DeterministicBytes(*copy);
  } else {
    bytes = DeterministicBytes(request);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), size));
}

absl::StatusOr<std::optional<std::string>> Lookup(sql::Session& session, absl::string_view scope,
                                                  absl::string_view request_id,
                                                  absl::string_view fingerprint) {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, session.QueryRow(kSelect, {scope, request_id}));
  if (!row.has_value()) return std::nullopt;
  if (row->Text(0) != fingerprint) {
    return absl::AlreadyExistsError("request_id was already used with a different request");
  }
  return row->Bytes(1);
}

absl::Status Remember(sql::Session& session, absl::string_view scope, absl::string_view request_id,
                      absl::string_view fingerprint, const std::string& response_bytes,
                      absl::Time now) {
  // Deferred (it rides with the function's last round trip). A concurrent insert of the same
  // request_id cannot slip between the Lookup and this insert: PostgreSQL reports it as a
  // serialization failure (the serializable Lookup read the key absent), and the writer runs
  // the batch again, which then finds the stored response; SQLite's writer holds the file's
  // write lock from the Lookup on.
  return session.ExecuteDeferred(kInsert,
                                 {scope, request_id, fingerprint, sql::Bytes{response_bytes}, now});
}

absl::StatusOr<int64_t> PurgeOlderThan(sql::Session& session, absl::Time cutoff, int64_t limit) {
  ASSIGN_OR_RETURN(sql::Result result, session.Execute(kPurgeSome, {cutoff, limit}));
  return result.rows_affected;
}

std::span<const sql::Migration> Migrations() { return MigrationList(); }

}  // namespace lianfang::idempotency
