#include "tools/lfctl/session.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <future>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/server/client.h"
#include "common/server/errors.h"
#include "common/server/grpc_status.h"
#include "common/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "lianfang/accounts/v1/accounts.pb.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"
#include "lianfang/gate/v1/gate.pb.h"
#include "lianfang/gateway/v1/gateway.pb.h"
#include "lianfang/report/v1/report.pb.h"
#include "lianfang/supplies/v1/supplies.pb.h"
#include "lianfang/survey/v1/survey.pb.h"

namespace lianfang::lfctl {
namespace {

using ::google::protobuf::Message;
using ::google::protobuf::MethodDescriptor;
using ::google::protobuf::ServiceDescriptor;

struct ServiceInfo {
  Service service;
  const char* name;
  const char* env;
  const char* default_address;
  // Referencing a message of each file keeps its descriptors linked into the binary (the
  // generic calls below look the methods up in the generated pool at run time).
  const ServiceDescriptor* (*descriptor)();
};

const ServiceInfo kInfos[] = {
    {Service::kGateway, "gateway", "LF_GATEWAY_ADDR", "127.0.0.1:7100",
     [] { return gateway::v1::Dashboard::descriptor()->file()->service(0); }},
    {Service::kGate, "gate", "LF_GATE_ADDR", "127.0.0.1:7101",
     [] { return gate::v1::Passage::descriptor()->file()->service(0); }},
    {Service::kSurvey, "survey", "LF_SURVEY_ADDR", "127.0.0.1:7102",
     [] { return survey::v1::Household::descriptor()->file()->service(0); }},
    {Service::kDispatch, "dispatch", "LF_DISPATCH_ADDR", "127.0.0.1:7103",
     [] { return dispatch::v1::Task::descriptor()->file()->service(0); }},
    {Service::kReport, "report", "LF_REPORT_ADDR", "127.0.0.1:7104",
     [] { return report::v1::DailyReport::descriptor()->file()->service(0); }},
    {Service::kAccounts, "accounts", "LF_ACCOUNTS_ADDR", "127.0.0.1:7105",
     [] { return accounts::v1::User::descriptor()->file()->service(0); }},
    {Service::kSupplies, "supplies", "LF_SUPPLIES_ADDR", "127.0.0.1:7106",
     [] { return supplies::v1::Item::descriptor()->file()->service(0); }},
};

const ServiceInfo& InfoOf(Service service) {
  for (const ServiceInfo& info : kInfos) {
    if (info.service == service) return info;
  }
  return kInfos[0];
}

const MethodDescriptor* FindMethod(Service service, absl::string_view method) {
  const ServiceDescriptor* descriptor = InfoOf(service).descriptor();
  if (descriptor == nullptr) return nullptr;
  return descriptor->FindMethodByName(std::string(method));
}

std::unique_ptr<Message> NewMessage(const google::protobuf::Descriptor* type) {
  const Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
  return prototype == nullptr ? nullptr : std::unique_ptr<Message>(prototype->New());
}

grpc::ByteBuffer ToBuffer(const Message& message) {
  std::string bytes;
  message.SerializeToString(&bytes);
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

bool FromBuffer(const grpc::ByteBuffer& buffer, Message* message) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return false;
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return message->ParseFromString(bytes);
}

std::string MethodPath(const MethodDescriptor& method) {
  return absl::StrCat("/", method.service()->full_name(), "/", method.name());
}

std::string CodeWord(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
      return "invalid";
    case absl::StatusCode::kNotFound:
      return "not found";
    case absl::StatusCode::kAlreadyExists:
      return "already exists";
    case absl::StatusCode::kFailedPrecondition:
      return "refused";
    case absl::StatusCode::kPermissionDenied:
      return "not allowed";
    case absl::StatusCode::kUnauthenticated:
      return "not signed in (check --token or LF_TOKEN)";
    case absl::StatusCode::kUnavailable:
      return "service unavailable";
    case absl::StatusCode::kDeadlineExceeded:
      return "timed out";
    case absl::StatusCode::kUnimplemented:
      return "not implemented by the service at this address (an older version?)";
    default:
      return absl::AsciiStrToLower(absl::StatusCodeToString(code));
  }
}

}  // namespace

struct Session::Channels {
  std::map<Service, std::shared_ptr<grpc::Channel>> channels;
};

absl::string_view ServiceName(Service service) { return InfoOf(service).name; }
absl::string_view AddressVariable(Service service) { return InfoOf(service).env; }
absl::string_view DefaultAddress(Service service) { return InfoOf(service).default_address; }
std::string ApiServiceName(Service service) {
  const ServiceDescriptor* descriptor = InfoOf(service).descriptor();
  return descriptor == nullptr ? std::string() : descriptor->full_name();
}

int ExitCodeFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return kExitUsage;
    case absl::StatusCode::kNotFound:
      return kExitNotFound;
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return kExitDenied;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return kExitUnavailable;
    default:
      return kExitFailure;
  }
}

Session::Session(std::string command, const CommandIo& io)
    : command_(std::move(command)), io_(io), channels_(std::make_unique<Channels>()) {}

Session::~Session() = default;

void Session::AddFlags(FlagSet* flags) {
  flags_ = flags;
  flags->AddString("token", "TOKEN", "access token (default: LF_TOKEN)", &token_);
  for (const ServiceInfo& info : kInfos) {
    flags->AddString(absl::StrCat(info.name, "-addr"), "HOST:PORT",
                     absl::StrCat("the ", info.name, " service (default: ", info.env, " or ",
                                  info.default_address, ")"),
                     &addresses_[info.service]);
  }
  flags->AddString("timeout", "DURATION", "deadline of each call (default 10s)", &timeout_text_);
  flags->AddBool("json", "print JSON only (protobuf JSON mapping), for scripts", &json_);
  flags->AddString("lang", "zh|en", "labels of the tables: zh (default, or LF_LANG) or en",
                   &lang_text_);
  flags->AddBool("progress", "draw progress on stderr even when it is not a terminal", &progress_);
  flags->AddString("tz", "ZONE",
                   "time zone of dates and times shown (default: LF_TZ or "
                   "Asia/Shanghai)",
                   &tz_text_);
}

absl::Status Session::Resolve(bool require_token) {
  if (token_.empty()) token_ = io_.getenv("LF_TOKEN").value_or("");
  token_ = std::string(absl::StripAsciiWhitespace(token_));
  if (require_token && token_.empty()) {
    return absl::InvalidArgumentError(
        "--token: no token; pass --token or set LF_TOKEN (mint one with `lfctl token`)");
  }
  // The token travels in an HTTP/2 header ("authorization: Bearer <token>"), whose value may
  // hold only visible ASCII and spaces; gRPC aborts the process on anything else, so a tab, a
  // line break or a wide character from a bad copy and paste is refused here, before any call.
  // The token itself is never echoed.
  if (std::any_of(token_.begin(), token_.end(), [](char c) { return c < 0x20 || c > 0x7E; })) {
    return absl::InvalidArgumentError(
        "--token/LF_TOKEN: the token contains a tab, a line break or another character that "
        "cannot be sent; copy it again (or mint one with `lfctl token`)");
  }
  for (const ServiceInfo& info : kInfos) {
    std::string& address = addresses_[info.service];
    if (address.empty()) address = io_.getenv(info.env).value_or("");
    if (address.empty()) address = info.default_address;
    if (address.find(':') == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", info.name, "-addr: expected HOST:PORT, e.g. ", info.default_address));
    }
  }
  if (!absl::ParseDuration(timeout_text_, &timeout_) || timeout_ <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--timeout: not a positive duration, e.g. 10s");
  }
  if (lang_text_.empty()) lang_text_ = io_.getenv("LF_LANG").value_or("zh");
  const std::string lang = absl::AsciiStrToLower(lang_text_);
  if (lang == "zh" || absl::StartsWith(lang, "zh_") || absl::StartsWith(lang, "zh-")) {
    lang_ = Lang::kZh;
  } else if (lang == "en" || absl::StartsWith(lang, "en_") || absl::StartsWith(lang, "en-")) {
    lang_ = Lang::kEn;
  } else {
    return absl::InvalidArgumentError("--lang: use zh or en");
  }
  if (tz_text_.empty()) tz_text_ = io_.getenv("LF_TZ").value_or("Asia/Shanghai");
  absl::StatusOr<absl::TimeZone> tz = time::LoadTimeZone(tz_text_);
  if (!tz.ok()) return absl::InvalidArgumentError("--tz: unknown time zone, e.g. Asia/Shanghai");
  tz_ = *tz;
  progress_ = progress_ || io_.err_is_terminal;
  return absl::OkStatus();
}

std::optional<int> Session::ParseFlags(FlagSet& flags, const std::vector<std::string>& args,
                                       absl::string_view summary, bool require_token) {
  absl::StatusOr<bool> help = flags.Parse(args);
  if (!help.ok()) return UsageError(help.status());
  if (*help) {
    io_.out << flags.Usage(summary);
    return kExitOk;
  }
  if (absl::Status s = Resolve(require_token); !s.ok()) return UsageError(s);
  return std::nullopt;
}

const std::string& Session::address(Service service) const { return addresses_.at(service); }

std::unique_ptr<Message> Session::NewRequest(Service service, absl::string_view method) const {
  const MethodDescriptor* descriptor = FindMethod(service, method);
  return descriptor == nullptr ? nullptr : NewMessage(descriptor->input_type());
}

absl::StatusOr<std::unique_ptr<Message>> Session::Call(Service service, absl::string_view method,
                                                       const Message& request,
                                                       absl::Duration deadline) const {
  const MethodDescriptor* descriptor = FindMethod(service, method);
  if (descriptor == nullptr || descriptor->input_type() != request.GetDescriptor()) {
    return absl::InternalError(
        absl::StrCat("no method ", method, " taking ", request.GetDescriptor()->full_name()));
  }
  std::unique_ptr<Message> response = NewMessage(descriptor->output_type());
  std::shared_ptr<grpc::Channel>& channel = channels_->channels[service];
  if (channel == nullptr) channel = server::MakeChannel(address(service), nullptr, 64 << 20);
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  server::PrepareClientContext(&context, token_,
                               deadline > absl::ZeroDuration() ? deadline : timeout_);
  const grpc::ByteBuffer request_buffer = ToBuffer(request);
  grpc::ByteBuffer response_buffer;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, MethodPath(*descriptor), grpc::StubOptions(), &request_buffer,
                 &response_buffer, [&done](grpc::Status s) { done.set_value(std::move(s)); });
  const grpc::Status status = done.get_future().get();
  if (!status.ok()) {
    absl::Status result = server::FromGrpcStatus(status);
    if (result.code() == absl::StatusCode::kUnavailable &&
        (result.message().empty() || absl::StrContains(result.message(), "failed to connect"))) {
      return absl::UnavailableError(absl::StrCat("the ", ServiceName(service), " service at ",
                                                 address(service), " does not answer"));
    }
    return result;
  }
  if (!FromBuffer(response_buffer, response.get())) {
    return absl::InternalError(
        absl::StrCat("the ", ServiceName(service), " service sent a response lfctl cannot read"));
  }
  return response;
}

absl::Status Session::Stream(Service service, absl::string_view method, const Message& request,
                             const std::function<bool(const Message&)>& on_message,
                             absl::Duration duration) const {
  const MethodDescriptor* descriptor = FindMethod(service, method);
  if (descriptor == nullptr || descriptor->input_type() != request.GetDescriptor()) {
    return absl::InternalError(absl::StrCat("no method ", method));
  }
  std::shared_ptr<grpc::Channel>& channel = channels_->channels[service];
  if (channel == nullptr) channel = server::MakeChannel(address(service), nullptr, 64 << 20);
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  // A live feed has no natural end: the deadline is the requested duration, or a day.
  server::PrepareClientContext(&context, token_,
                               duration > absl::ZeroDuration() ? duration : absl::Hours(24));
  grpc::CompletionQueue queue;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&context, MethodPath(*descriptor), &queue);
  // One operation in flight at a time: each step waits for its own completion.
  auto step = [&queue]() {
    void* tag = nullptr;
    bool ok = false;
    if (!queue.Next(&tag, &ok)) return false;
    return ok;
  };
  bool open = false;
  call->StartCall(reinterpret_cast<void*>(1));
  open = step();
  if (open) {
    call->Write(ToBuffer(request), reinterpret_cast<void*>(2));
    open = step();
  }
  if (open) {
    call->WritesDone(reinterpret_cast<void*>(3));
    open = step();
  }
  bool stopped = false;
  std::unique_ptr<Message> message = NewMessage(descriptor->output_type());
  while (open) {
    grpc::ByteBuffer buffer;
    call->Read(&buffer, reinterpret_cast<void*>(4));
    if (!step()) break;
    message->Clear();
    if (!FromBuffer(buffer, message.get())) continue;
    if (!on_message(*message)) {
      stopped = true;
      context.TryCancel();
      break;
    }
  }
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  step();
  queue.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (queue.Next(&tag, &ok)) {
  }
  if (stopped) return absl::OkStatus();
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
      duration > absl::ZeroDuration()) {
    return absl::OkStatus();
  }
  if (!status.ok() && status.error_code() == grpc::StatusCode::UNAVAILABLE &&
      (status.error_message().empty() ||
       absl::StrContains(status.error_message(), "failed to connect"))) {
    return absl::UnavailableError(absl::StrCat("the ", ServiceName(service), " service at ",
                                               address(service), " does not answer"));
  }
  return server::FromGrpcStatus(status);
}

int Session::UsageError(const absl::Status& status) const {
  io_.err << command_ << ": " << status.message() << "\n";
  return kExitUsage;
}

std::string Session::Describe(const absl::Status& status,
                              const std::map<std::string, std::string>& field_names) {
  const std::vector<std::pair<std::string, std::string>> violations =
      server::FieldViolations(status);
  if (!violations.empty()) {
    std::vector<std::string> parts;
    for (const auto& [field, description] : violations) {
      auto it = field_names.find(field);
      parts.push_back(
          absl::StrCat(it != field_names.end() ? it->second : field, ": ", description));
    }
    return absl::StrCat(CodeWord(status.code()), " ", absl::StrJoin(parts, "; "));
  }
  std::string message(status.message());
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (message.empty()) return CodeWord(status.code());
  return absl::StrCat(CodeWord(status.code()), ": ", message);
}

int Session::Fail(const absl::Status& status,
                  const std::map<std::string, std::string>& field_names) const {
  io_.err << command_ << ": " << Describe(status, field_names) << "\n";
  return ExitCodeFor(status.code());
}

std::string Session::NewRequestId() {
  std::random_device device;
  std::mt19937_64 random((static_cast<uint64_t>(device()) << 32) ^ device());
  return absl::StrFormat("lfctl-%016x%016x", random(), random());
}

}  // namespace lianfang::lfctl
