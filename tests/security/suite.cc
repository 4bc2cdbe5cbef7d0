#include "tests/security/suite.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <hiredis/hiredis.h>

#include <future>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/pii/pii.h"
#include "google/protobuf/descriptor.h"

namespace lianfang::security_testing {
namespace {

grpc::ByteBuffer Serialize(const google::protobuf::Message& message) {
  const std::string bytes = message.SerializeAsString();
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

bool Parse(const grpc::ByteBuffer& buffer, google::protobuf::Message* message) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return false;
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return message->ParseFromString(bytes);
}

void PrepareContext(grpc::ClientContext* context, const std::string& authorization,
                    absl::Duration deadline) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  if (!authorization.empty()) context->AddMetadata("authorization", authorization);
}

// Reads a whole stream; the final status is delivered through `done`.
class StreamProbe final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  StreamProbe(grpc::GenericStub* stub, grpc::ClientContext* context, const std::string& method,
              grpc::ByteBuffer request)
      : request_(std::move(request)) {
    stub->PrepareBidiStreamingCall(context, method, grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (ok) StartRead(&response_);
  }
  void OnDone(const grpc::Status& status) override { done_.set_value(status); }
  grpc::Status Await() { return done_.get_future().get(); }

 private:
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  std::promise<grpc::Status> done_;
};

std::string ReplyText(const redisReply* reply) {
  if (reply == nullptr) return "<null>";
  switch (reply->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      return std::string(reply->str, reply->len);
    case REDIS_REPLY_INTEGER:
      return std::to_string(reply->integer);
    case REDIS_REPLY_ARRAY: {
      std::string out = "[";
      for (size_t i = 0; i < reply->elements; ++i) {
        if (i > 0) out += ", ";
        out += ReplyText(reply->element[i]);
      }
      return out + "]";
    }
    default:
      return "";
  }
}

}  // namespace

const std::vector<ServiceInfo>& Services() {
  static const auto* const kServices = [] {
    auto* services = new std::vector<ServiceInfo>();
    for (const std::string& name : testing::Suite::AllServices()) {
      if (name == "accounts") continue;  // people's tokens there are EdDSA (see the header)
      services->push_back({name, testing::Suite::ApiService(name)});
    }
    return services;
  }();
  return *kServices;
}

std::string ServiceNameOf(absl::string_view full_service_name) {
  for (const std::string& name : testing::Suite::AllServices()) {
    if (testing::Suite::ApiService(name) == full_service_name) return name;
  }
  return "";
}

absl::StatusOr<std::unique_ptr<Suite>> Suite::Start(
    std::vector<std::pair<std::string, std::string>> extra_env) {
  std::unique_ptr<Suite> suite(new Suite());
  testing::Suite::Options options;
  options.services = testing::Suite::AllServices();
  options.env = std::move(extra_env);
  options.service_env = {{"gate", {{"LF_RETENTION_DAYS", "30"}}},
                         {"survey", {{"LF_RETENTION_DAYS", "30"}}}};
  options.pii_key = "security-suite-pii-key-of-32-bytes!!";
  options.start_timeout = absl::Seconds(90);
  if (absl::Status s = suite->suite_.Start(options); !s.ok()) return s;
  return suite;
}

std::shared_ptr<grpc::Channel> Suite::Channel(absl::string_view name) {
  auto& channel = channels_[std::string(name)];
  if (channel == nullptr) channel = suite_.Channel(name);
  return channel;
}

std::string Suite::AllLogs() const {
  std::string out;
  for (const std::string& name : testing::Suite::AllServices()) {
    absl::StrAppend(&out, "==== ", name, " stderr\n", suite_.Stderr(name), "==== ", name,
                    " stdout\n", suite_.Stdout(name));
  }
  return out;
}

absl::StatusOr<std::string> Suite::DumpRedis() const {
  struct timeval timeout = {5, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", redis_port(), timeout);
  if (c == nullptr || c->err) {
    if (c != nullptr) redisFree(c);
    return absl::UnavailableError("cannot reach the suite's redis-server");
  }
  auto command = [c](const std::vector<std::string>& argv) -> redisReply* {
    std::vector<const char*> args;
    std::vector<size_t> lens;
    for (const std::string& a : argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    return static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(argv.size()), args.data(), lens.data()));
  };
  std::string out;
  std::string cursor = "0";
  absl::Status status;
  do {
    redisReply* scan = command({"SCAN", cursor, "COUNT", "1000"});
    if (scan == nullptr || scan->type != REDIS_REPLY_ARRAY || scan->elements != 2) {
      if (scan != nullptr) freeReplyObject(scan);
      status = absl::UnavailableError("SCAN failed");
      break;
    }
    cursor = std::string(scan->element[0]->str, scan->element[0]->len);
    const redisReply* keys = scan->element[1];
    for (size_t i = 0; i < keys->elements; ++i) {
      const std::string key(keys->element[i]->str, keys->element[i]->len);
      redisReply* type = command({"TYPE", key});
      const std::string t = ReplyText(type);
      if (type != nullptr) freeReplyObject(type);
      std::vector<std::string> dump;
      if (t == "string") dump = {"GET", key};
      if (t == "hash") dump = {"HGETALL", key};
      if (t == "list") dump = {"LRANGE", key, "0", "-1"};
      if (t == "set") dump = {"SMEMBERS", key};
      if (t == "zset") dump = {"ZRANGE", key, "0", "-1", "WITHSCORES"};
      if (t == "stream") dump = {"XRANGE", key, "-", "+"};
      std::string value = absl::StrCat("<", t, ">");
      if (!dump.empty()) {
        redisReply* v = command(dump);
        value = ReplyText(v);
        if (v != nullptr) freeReplyObject(v);
      }
      absl::StrAppend(&out, key, " => ", value, "\n");
    }
    freeReplyObject(scan);
  } while (cursor != "0");
  redisFree(c);
  if (!status.ok()) return status;
  return out;
}

grpc::Status CallUnary(const std::shared_ptr<grpc::Channel>& channel,
                       const std::string& full_method, const google::protobuf::Message& request,
                       const std::string& authorization, google::protobuf::Message* response,
                       absl::Duration deadline) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  PrepareContext(&context, authorization, deadline);
  grpc::ByteBuffer request_bytes = Serialize(request);
  grpc::ByteBuffer response_bytes;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, full_method, grpc::StubOptions(), &request_bytes, &response_bytes,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status status = done.get_future().get();
  if (status.ok() && response != nullptr && !Parse(response_bytes, response)) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "unparsable response");
  }
  return status;
}

grpc::Status ProbeStream(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& full_method, const google::protobuf::Message& request,
                         const std::string& authorization, absl::Duration deadline) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  PrepareContext(&context, authorization, deadline);
  StreamProbe probe(&stub, &context, full_method, Serialize(request));
  return probe.Await();
}

std::string MakeIdNumber(absl::string_view region, absl::string_view birth,
                         absl::string_view sequence) {
  std::string first17 = absl::StrCat(region, birth, sequence);
  return first17 + pii::IdNumberCheckDigit(first17);
}

std::string Today() {
  absl::TimeZone tz;
  if (!absl::LoadTimeZone("Asia/Shanghai", &tz)) tz = absl::UTCTimeZone();
  return absl::FormatTime("%Y-%m-%d", absl::Now(), tz);
}

std::string FirstGateOf(absl::string_view site) {
  if (site == "campus") return "east";
  if (site == "family-area") return "south";
  if (site == "community") return "main";
  return "checkpoint-1";
}

namespace {

bool PlaceAtSiteImpl(google::protobuf::Message* message, absl::string_view site, int depth,
                     int* serial) {
  namespace pb = ::google::protobuf;
  const pb::Descriptor* d = message->GetDescriptor();
  const pb::Reflection* r = message->GetReflection();
  bool placed = false;
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    if (f->type() == pb::FieldDescriptor::TYPE_STRING && !f->is_repeated()) {
      if (f->name() == "site_id" || f->name() == "from_site_id") {
        r->SetString(message, f, std::string(site));
        placed = true;
      } else if (f->name() == "gate_id") {
        r->SetString(message, f, FirstGateOf(site));
      } else if (f->name() == "date") {
        r->SetString(message, f, Today());
      } else if (f->name() == "request_id") {
        r->SetString(message, f, absl::StrCat("matrix-", ++*serial));
      }
    } else if (f->type() == pb::FieldDescriptor::TYPE_STRING && f->name() == "site_ids") {
      r->AddString(message, f, std::string(site));
      placed = true;
    } else if (f->type() == pb::FieldDescriptor::TYPE_MESSAGE && !f->is_repeated() && depth == 0 &&
               (f->name() == "household" || f->name() == "task" || f->name() == "filter")) {
      placed |= PlaceAtSiteImpl(r->MutableMessage(message, f), site, depth + 1, serial);
    }
  }
  return placed;
}

}  // namespace

bool PlaceAtSite(google::protobuf::Message* message, absl::string_view site, int* serial) {
  return PlaceAtSiteImpl(message, site, 0, serial);
}

}  // namespace lianfang::security_testing
