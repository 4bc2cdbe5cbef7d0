#include "tests/security/suite.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <hiredis/hiredis.h>

#include <future>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/pii/pii.h"
#include "common/server/client.h"
#include "common/testing/ports.h"
#include "common/testing/service_binaries.h"
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
  static const auto* const kServices = new std::vector<ServiceInfo>{
      {"gate", "lianfang.gate.v1.GateService"},
      {"survey", "lianfang.survey.v1.SurveyService"},
      {"dispatch", "lianfang.dispatch.v1.DispatchService"},
      {"report", "lianfang.report.v1.ReportService"},
      {"gateway", "lianfang.gateway.v1.GatewayService"},
  };
  return *kServices;
}

std::string ServiceNameOf(absl::string_view full_service_name) {
  for (const ServiceInfo& s : Services()) {
    if (s.service == full_service_name) return s.name;
  }
  return "";
}

absl::StatusOr<std::unique_ptr<Suite>> Suite::Start(
    std::vector<std::pair<std::string, std::string>> extra_env) {
  // Ports are picked free but may be taken by a parallel test before a service binds them;
  // such a service exits at start-up and the whole suite starts again on new ports.
  absl::Status last;
  for (int attempt = 0; attempt < 4; ++attempt) {
    std::unique_ptr<Suite> suite(new Suite());
    bool retry = false;
    last = suite->Launch(extra_env, &retry);
    if (last.ok()) return suite;
    if (!retry) break;
  }
  return last;
}

absl::Status Suite::Launch(const std::vector<std::pair<std::string, std::string>>& extra_env,
                           bool* retry) {
  *retry = false;
  auto redis = testing::RedisServer::Launch();
  if (!redis.ok()) return redis.status();
  redis_ = *std::move(redis);
  auto pii = dir_.WriteFile("pii.key", "security-suite-pii-key-of-32-bytes!!");
  if (!pii.ok()) return pii.status();
  pii_key_file_ = *pii;
  for (const ServiceInfo& s : Services()) {
    auto port = testing::PickFreePort();
    if (!port.ok()) return port.status();
    addresses_[s.name] = absl::StrCat("127.0.0.1:", *port);
  }
  for (const ServiceInfo& s : Services()) {
    auto binary = testing::BinaryPath(absl::StrCat("lf-", s.name));
    if (!binary.ok()) return binary.status();
    testing::Subprocess::Options options;
    options.args = {*binary};
    options.env = Environment(s.name);
    for (const auto& kv : extra_env) options.env.push_back(kv);
    options.stdout_path = dir_.File(s.name + ".out");
    options.stderr_path = dir_.File(s.name + ".log");
    auto process = testing::Subprocess::Start(std::move(options));
    if (!process.ok()) return process.status();
    processes_.emplace_back(s.name, *std::move(process));
  }
  for (size_t i = 0; i < processes_.size(); ++i) {
    const ServiceInfo& s = Services()[i];
    testing::Subprocess& process = *processes_[i].second;
    // The gRPC server logs "listening" once it has bound its own port; only then can a health
    // answer on that port be trusted to come from this process.
    absl::Status bound = process.WaitForOutput("\"message\":\"listening\"", absl::Seconds(90));
    if (!bound.ok()) {
      *retry = absl::StrContains(process.ReadStderr(), "address in use") ||
               absl::StrContains(process.ReadStderr(), "Address already in use");
      return absl::UnavailableError(
          absl::StrCat(s.name, " did not start: ", bound.message(), "\n", AllLogs()));
    }
    absl::Status serving = server::WaitForServing(addresses_[s.name], absl::Seconds(90), nullptr);
    if (!serving.ok() || !process.Running()) {
      return absl::UnavailableError(
          absl::StrCat(s.name, " did not come up: ", serving.message(), "\n", AllLogs()));
    }
  }
  return absl::OkStatus();
}

Suite::~Suite() {
  for (auto& [name, process] : processes_) (void)process->Terminate(absl::Seconds(15));
}

std::vector<std::pair<std::string, std::string>> Suite::Environment(const std::string& name) const {
  std::vector<std::pair<std::string, std::string>> env = {
      {"LF_LISTEN", addresses_.at(name)},
      {"LF_DB", absl::StrCat("sqlite:", dir_.File(name + ".db"))},
      {"LF_REDIS", redis_->url()},
      {"LF_SITES", testing::SourcePath("deploy/sites.textproto")},
      {"LF_RISK_REGIONS", testing::SourcePath("deploy/risk-regions.txt")},
      {"LF_JWT_SECRET_FILE", tokens_.secret_file()},
      {"LF_PII_KEY_FILE", pii_key_file_},
      {"LF_GATE_ADDR", addresses_.at("gate")},
      {"LF_SURVEY_ADDR", addresses_.at("survey")},
      {"LF_DISPATCH_ADDR", addresses_.at("dispatch")},
      {"LF_REPORT_ADDR", addresses_.at("report")},
      {"LF_GATEWAY_ADDR", addresses_.at("gateway")},
  };
  if (name == "gate" || name == "survey") env.emplace_back("LF_RETENTION_DAYS", "30");
  if (name == "gateway") {
    auto port = testing::PickFreePort();
    env.emplace_back("LF_HTTP_LISTEN", absl::StrCat("127.0.0.1:", port.value_or(0)));
  }
  return env;
}

std::string Suite::Address(absl::string_view name) const {
  auto it = addresses_.find(std::string(name));
  return it == addresses_.end() ? "" : it->second;
}

std::shared_ptr<grpc::Channel> Suite::Channel(absl::string_view name) {
  auto& channel = channels_[std::string(name)];
  if (channel == nullptr) channel = server::MakeChannel(Address(name), nullptr);
  return channel;
}

std::string Suite::AllLogs() const {
  std::string out;
  for (const auto& [name, process] : processes_) {
    absl::StrAppend(&out, "==== ", name, " stderr\n", process->ReadStderr(), "==== ", name,
                    " stdout\n", process->ReadStdout());
  }
  return out;
}

absl::StatusOr<std::string> Suite::DumpRedis() const {
  struct timeval timeout = {5, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", redis_->port(), timeout);
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
      if (f->name() == "site_id") {
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
               (f->name() == "household" || f->name() == "task")) {
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
