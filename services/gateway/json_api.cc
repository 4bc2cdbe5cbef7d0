#include "services/gateway/json_api.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/client_callback.h>

#include <algorithm>
#include <deque>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/idempotency/idempotency.h"
#include "common/server/client.h"
#include "common/server/errors.h"
#include "common/server/grpc_status.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "lianfang/proto_registry.h"

namespace lianfang::gateway {
namespace {

using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;

std::string BytesOf(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (!buffer.Dump(&slices).ok()) return bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return bytes;
}

grpc::ByteBuffer BufferOf(const Message& message) {
  const std::string bytes = message.SerializeAsString();
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::unique_ptr<Message> NewMessage(const google::protobuf::Descriptor* type) {
  const Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
  return std::unique_ptr<Message>(prototype->New());
}

// The JSON of a response received as bytes; INTERNAL when they do not parse.
absl::StatusOr<std::string> JsonOfBytes(const google::protobuf::Descriptor* type,
                                        const std::string& bytes) {
  std::unique_ptr<Message> message = NewMessage(type);
  if (!message->ParseFromString(bytes)) {
    return absl::InternalError("unreadable response from the service");
  }
  return MessageJson(*message);
}

// The value of the string field `request_id`, when the request has one of at most 64 bytes.
std::string RequestIdOf(const Message& request) {
  std::string id = idempotency::RequestIdOf(request);
  return id.size() <= idempotency::kMaxRequestIdLength ? id : "";
}

// A query value as the JSON value protobuf's parser expects for `field`.
google::protobuf::Value QueryValue(const FieldDescriptor* field, const std::string& text) {
  google::protobuf::Value v;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_BOOL:
      if (text == "true" || text == "1") {
        v.set_bool_value(true);
      } else if (text == "false" || text == "0" || text.empty()) {
        v.set_bool_value(false);
      } else {
        v.set_string_value(text);  // the parser names the bad value
      }
      break;
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double d = 0;
      if (absl::SimpleAtod(text, &d)) {
        v.set_number_value(d);
      } else {
        v.set_string_value(text);
      }
      break;
    }
    default:  // strings, enums by name, 64-bit integers (as strings in JSON), bytes, messages
      v.set_string_value(text);
      break;
  }
  return v;
}

// The status of a forwarded call. Calls wait for the service (wait_for_ready); one whose
// deadline passed while the channel still could not connect never reached the service:
// UNAVAILABLE, as a refused connection would have been without the wait.
absl::Status ForwardedStatus(const grpc::Status& status, grpc::Channel& channel) {
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
      channel.GetState(/*try_to_connect=*/false) != GRPC_CHANNEL_READY) {
    return absl::UnavailableError("the service could not be reached within the deadline");
  }
  return server::FromGrpcStatus(status);
}

// Reads a server stream through a generic bidi call (one request, then half-close): what a
// server-streaming method looks like on the wire.
class StreamCall final : public JsonApi::Stream,
                         public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  StreamCall(const google::protobuf::Descriptor* response_type, size_t max_queue,
             std::function<void(std::string)> on_message = nullptr,
             std::function<void(absl::Status)> on_done = nullptr)
      : response_type_(response_type),
        max_queue_(max_queue),
        on_message_(std::move(on_message)),
        on_done_(std::move(on_done)) {}

  // Starts the call; `self` keeps this object alive until OnDone.
  void Start(std::shared_ptr<StreamCall> self, const JsonApi::Method& method,
             const Message& request, absl::string_view token, absl::Duration deadline) {
    self_ = std::move(self);
    method_name_ = method.grpc_name;
    server::PrepareClientContext(&context_, token, deadline, RequestIdOf(request));
    context_.set_wait_for_ready(true);
    channel_ = method.channel;
    request_ = BufferOf(request);
    grpc::GenericStub stub(method.channel);
    stub.PrepareBidiStreamingCall(&context_, method_name_, grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&incoming_);
    StartCall();
  }

  void OnWriteDone(bool) override {}

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream ended; OnDone follows
    absl::StatusOr<std::string> json = JsonOfBytes(response_type_, BytesOf(incoming_));
    if (on_message_) {
      if (json.ok()) on_message_(*std::move(json));
      StartRead(&incoming_);
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      if (json.ok()) {
        queue_.push_back(*std::move(json));
        while (queue_.size() > max_queue_) queue_.pop_front();  // a slow reader loses old ones
      }
    }
    StartRead(&incoming_);
  }

  void OnDone(const grpc::Status& status) override {
    std::shared_ptr<StreamCall> keep;
    absl::Status final_status = ForwardedStatus(status, *channel_);
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
      final_ = final_status;
      keep = std::move(self_);
    }
    if (on_done_) on_done_(std::move(final_status));
    // `keep` may hold the last reference: nothing of this object is touched after here.
  }

  Next Wait(absl::Duration timeout, std::string* json) override {
    absl::MutexLock lock(&mu_);
    const auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return done_ || !queue_.empty();
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    if (!queue_.empty()) {
      *json = std::move(queue_.front());
      queue_.pop_front();
      return Next::kMessage;
    }
    return done_ ? Next::kDone : Next::kQuiet;
  }

  absl::Status final_status() override {
    absl::MutexLock lock(&mu_);
    return final_;
  }

  void Cancel() override { context_.TryCancel(); }

 private:
  const google::protobuf::Descriptor* const response_type_;
  const size_t max_queue_;
  const std::function<void(std::string)> on_message_;
  const std::function<void(absl::Status)> on_done_;
  std::shared_ptr<grpc::Channel> channel_;
  std::string method_name_;
  grpc::ClientContext context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer incoming_;
  std::shared_ptr<StreamCall> self_;

  absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status final_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk: return 200;
    case absl::StatusCode::kCancelled: return 499;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange: return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted: return 409;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kUnimplemented: return 501;
    case absl::StatusCode::kUnavailable: return 503;
    case absl::StatusCode::kDeadlineExceeded: return 504;
    default: return 500;  // UNKNOWN, INTERNAL, DATA_LOSS
  }
}

std::string MessageJson(const Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  // A zero is a figure ("a zero report is a report"): write every field out.
  options.always_print_primitive_fields = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) return "{}";
  return json;
}

std::string ErrorJson(const absl::Status& status) {
  const bool fault = HttpStatusOf(status.code()) == 500;
  google::protobuf::Struct body;
  auto& fields = *body.mutable_fields();
  fields["code"].set_string_value(absl::StatusCodeToString(status.code()));
  // Server faults do not leak their text (as server::ToGrpcStatus does for gRPC).
  fields["message"].set_string_value(fault ? std::string(server::kInternalErrorMessage)
                                           : std::string(status.message()));
  auto* details = fields["details"].mutable_list_value();
  if (!fault) {
    status.ForEachPayload([details](absl::string_view type_url, const absl::Cord& value) {
      google::protobuf::Any any;
      any.set_type_url(std::string(type_url));
      any.set_value(std::string(value));
      std::string json;
      google::protobuf::Value parsed;
      // Details of types the gateway does not know are left out.
      if (google::protobuf::util::MessageToJsonString(any, &json).ok() &&
          google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) {
        *details->add_values() = std::move(parsed);
      }
    });
    const auto violations = server::FieldViolations(status);
    if (!violations.empty()) {
      auto* list = fields["fieldViolations"].mutable_list_value();
      for (const auto& [field, description] : violations) {
        auto& v = *list->add_values()->mutable_struct_value()->mutable_fields();
        v["field"].set_string_value(field);
        v["description"].set_string_value(description);
      }
    }
  }
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(body, &json);
  return json;
}

JsonApi::JsonApi(std::map<std::string, std::shared_ptr<grpc::Channel>> backends,
                 Options options)
    : options_(std::move(options)) {
  for (const google::protobuf::ServiceDescriptor* service : ApiServices()) {
    auto it = backends.find(service->full_name());
    if (it == backends.end() || it->second == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* m = service->method(i);
      if (m->client_streaming()) continue;
      Method method;
      method.descriptor = m;
      method.channel = it->second;
      method.grpc_name = absl::StrCat("/", service->full_name(), "/", m->name());
      method.server_streaming = m->server_streaming();
      methods_.emplace(method.grpc_name, std::move(method));
    }
  }
}

JsonApi::~JsonApi() = default;

absl::StatusOr<const JsonApi::Method*> JsonApi::Find(absl::string_view service,
                                                     absl::string_view method) const {
  auto it = methods_.find(absl::StrCat("/", service, "/", method));
  if (it == methods_.end()) {
    // Caller input: bounded in the message.
    return absl::NotFoundError(absl::StrCat("no API method ", service.substr(0, 100), "/",
                                            method.substr(0, 100)));
  }
  return &it->second;
}

absl::StatusOr<std::unique_ptr<Message>> JsonApi::ParseRequest(const Method& method,
                                                               absl::string_view json) const {
  std::unique_ptr<Message> request = NewMessage(method.descriptor->input_type());
  if (json.find_first_not_of(" \t\r\n") == absl::string_view::npos) return request;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), request.get(), options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the body is not a valid ", method.descriptor->input_type()->full_name(),
                     " in JSON: ", std::string(parsed.message().data(), parsed.message().size())));
  }
  return request;
}

absl::StatusOr<std::unique_ptr<Message>> JsonApi::RequestFromQuery(
    const Method& method, const std::multimap<std::string, std::string>& params,
    const std::vector<std::string>& ignored) const {
  const google::protobuf::Descriptor* type = method.descriptor->input_type();
  google::protobuf::Struct object;
  for (const auto& [name, value] : params) {
    if (std::find(ignored.begin(), ignored.end(), name) != ignored.end()) continue;
    const FieldDescriptor* field = type->FindFieldByName(name);
    if (field == nullptr) field = type->FindFieldByCamelcaseName(name);
    if (field == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown parameter \"", name.substr(0, 64), "\": ", type->full_name(),
          " has no such field"));
    }
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      return absl::InvalidArgumentError(absl::StrCat(
          "parameter \"", field->name(), "\" is a message: send the request as a JSON body"));
    }
    google::protobuf::Value& slot = (*object.mutable_fields())[field->json_name()];
    if (field->is_repeated()) {
      for (absl::string_view item : absl::StrSplit(value, ',', absl::SkipEmpty())) {
        *slot.mutable_list_value()->add_values() = QueryValue(field, std::string(item));
      }
      if (!slot.has_list_value()) slot.mutable_list_value();
    } else {
      slot = QueryValue(field, value);
    }
  }
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(object, &json).ok()) {
    return absl::InvalidArgumentError("malformed parameters");
  }
  return ParseRequest(method, json);
}

absl::StatusOr<std::string> JsonApi::CallUnary(const Method& method, const Message& request,
                                               absl::string_view bearer_token) const {
  absl::StatusOr<std::string> result;
  absl::Notification done;
  CallUnaryAsync(method, request, bearer_token, [&result, &done](absl::StatusOr<std::string> r) {
    result = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

void JsonApi::CallUnaryAsync(const Method& method, const Message& request,
                             absl::string_view bearer_token,
                             std::function<void(absl::StatusOr<std::string>)> done,
                             absl::string_view client_address) const {
  struct Call {
    grpc::ClientContext context;
    grpc::ByteBuffer outgoing;
    grpc::ByteBuffer incoming;
    std::shared_ptr<grpc::Channel> channel;
    const google::protobuf::Descriptor* response_type = nullptr;
    std::function<void(absl::StatusOr<std::string>)> done;
  };
  auto* call = new Call;
  server::PrepareClientContext(&call->context, bearer_token, options_.deadline,
                               RequestIdOf(request));
  // A restarting service is waited for within the deadline instead of failing at once.
  call->context.set_wait_for_ready(true);
  if (!client_address.empty()) {
    call->context.AddMetadata(kClientAddressMetadata, std::string(client_address));
  }
  call->outgoing = BufferOf(request);
  call->channel = method.channel;
  call->response_type = method.descriptor->output_type();
  call->done = std::move(done);
  grpc::GenericStub stub(method.channel);
  stub.UnaryCall(&call->context, method.grpc_name, grpc::StubOptions(), &call->outgoing,
                 &call->incoming, [call](grpc::Status status) {
                   std::unique_ptr<Call> owned(call);
                   if (!status.ok()) {
                     owned->done(ForwardedStatus(status, *owned->channel));
                   } else {
                     owned->done(JsonOfBytes(owned->response_type, BytesOf(owned->incoming)));
                   }
                 });
}

std::shared_ptr<JsonApi::Stream> JsonApi::OpenStream(const Method& method,
                                                     const Message& request,
                                                     absl::string_view bearer_token) const {
  auto call = std::make_shared<StreamCall>(method.descriptor->output_type(),
                                           std::max<size_t>(options_.stream_queue, 1));
  call->Start(call, method, request, bearer_token, options_.stream_deadline);
  return call;
}

std::shared_ptr<JsonApi::Stream> JsonApi::OpenStream(
    const Method& method, const Message& request, absl::string_view bearer_token,
    std::function<void(std::string json)> on_message,
    std::function<void(absl::Status)> on_done) const {
  auto call = std::make_shared<StreamCall>(method.descriptor->output_type(), 1,
                                           std::move(on_message), std::move(on_done));
  call->Start(call, method, request, bearer_token, options_.stream_deadline);
  return call;
}

}  // namespace lianfang::gateway
