#include "common/server/interceptors.h"

#include <grpcpp/support/interceptor.h>
#include <grpcpp/support/status.h>
#include <grpcpp/support/string_ref.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/logging/logging.h"
#include "common/server/method_names.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace lianfang::server {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::ServerRpcInfo;

constexpr size_t kMaxRequestIdChars = 64;
constexpr size_t kMaxLoggedErrorChars = 300;
constexpr char kUnknownMethod[] = "unknown";
constexpr char kInFlightMetric[] = "lf_grpc_server_in_flight";
constexpr char kShedMetric[] = "lf_grpc_server_shed_total";

logging::Level LevelFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DATA_LOSS:
      return logging::Level::kError;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::CANCELLED:
      return logging::Level::kWarning;
    default:
      return logging::Level::kInfo;
  }
}

absl::StatusCode ToAbslCode(grpc::StatusCode code) {
  const int raw = static_cast<int>(code);
  return raw >= 0 && raw <= 16 ? static_cast<absl::StatusCode>(raw) : absl::StatusCode::kUnknown;
}

class CallObserver final : public grpc::experimental::Interceptor {
 public:
  CallObserver(const CallObserverOptions& options, Metrics::Gauge* in_flight, ServerRpcInfo* info)
      : options_(options),
        in_flight_(in_flight),
        method_(info->method() != nullptr ? info->method() : ""),
        label_(MethodLabel(method_, options.catalog)),
        read_request_((info->type() == ServerRpcInfo::Type::UNARY ||
                       info->type() == ServerRpcInfo::Type::SERVER_STREAMING) &&
                      options.catalog != nullptr && options.catalog->IsTypedApiMethod(method_)),
        admitted_(options.inflight != nullptr && info->type() == ServerRpcInfo::Type::UNARY &&
                  absl::StartsWith(method_, "/lianfang.")),
        start_(std::chrono::steady_clock::now()) {}

  ~CallObserver() override {
    // A call torn down without a status being sent (the server shut down under it).
    if (!finished_) Finish(grpc::StatusCode::CANCELLED, "call ended without a status");
    if (holds_slot_) {
      options_.inflight->Release();
      if (in_flight_ != nullptr) in_flight_->Add(-1);
    }
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      ReadMetadataRequestId(methods->GetRecvInitialMetadata());
      Admit(methods->GetRecvInitialMetadata());
    }
    if (read_request_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      ReadMessageRequestId(methods->GetRecvMessage());
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      Finish(status.error_code(), status.error_message());
    }
    methods->Proceed();
  }

 private:
  void ReadMetadataRequestId(std::multimap<grpc::string_ref, grpc::string_ref>* metadata) {
    if (metadata == nullptr || !request_id_.empty()) return;
    auto it = metadata->find("x-request-id");
    if (it == metadata->end()) return;
    request_id_.assign(it->second.data(), std::min(it->second.size(), kMaxRequestIdChars));
  }

  // Admission (admission.h): runs before the handler. Only the server may mark a call as shed,
  // so a client's own value of the key is dropped first.
  void Admit(std::multimap<grpc::string_ref, grpc::string_ref>* metadata) {
    if (metadata == nullptr) return;
    metadata->erase(kShedMetadataKey);
    if (!admitted_) return;
    if (options_.inflight->TryAcquire()) {
      holds_slot_ = true;
      if (in_flight_ != nullptr) in_flight_->Add(1);
    } else {
      metadata->emplace(grpc::string_ref(kShedMetadataKey), grpc::string_ref("1"));
      if (options_.metrics != nullptr) {
        options_.metrics
            ->GetCounter(kShedMetric, "Calls refused at admission (RESOURCE_EXHAUSTED), by method.",
                         {{"grpc_method", label_}})
            ->Increment();
      }
    }
  }

  void ReadMessageRequestId(void* message) {
    if (message == nullptr) return;
    // Only typed handlers of API methods get here (read_request_); they receive a generated
    // message, which the library passes as void* (see the REQUIRES in the header).
    const auto* request = static_cast<const google::protobuf::Message*>(message);
    const google::protobuf::Descriptor* descriptor = request->GetDescriptor();
    const google::protobuf::FieldDescriptor* field = descriptor->FindFieldByName("request_id");
    if (field == nullptr || field->is_repeated() ||
        field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
      return;
    }
    std::string value = request->GetReflection()->GetString(*request, field);
    if (value.empty()) return;
    if (value.size() > kMaxRequestIdChars) value.resize(kMaxRequestIdChars);
    request_id_ = std::move(value);
  }

  void Finish(grpc::StatusCode code, const std::string& message) {
    if (finished_) return;
    finished_ = true;
    const auto elapsed = std::chrono::steady_clock::now() - start_;
    const absl::Duration latency = absl::FromChrono(elapsed);
    const absl::StatusCode absl_code = ToAbslCode(code);
    if (options_.metrics != nullptr) options_.metrics->RecordCall(label_, absl_code, latency);
    if (!options_.log_calls) return;
    const std::string duration_ms = absl::StrFormat("%.3f", absl::ToDoubleMilliseconds(latency));
    const logging::Context ctx{
        label_ == kUnknownMethod
            ? absl::string_view(method_.data(), std::min<size_t>(method_.size(), 200))
            : absl::string_view(label_),
        request_id_};
    const std::string code_name = absl::StatusCodeToString(absl_code);
    if (code == grpc::StatusCode::OK) {
      // Probes (health checks every few seconds, reflection) would drown the log at info.
      const bool probe = absl::StartsWith(method_, "/grpc.health.") ||
                         absl::StartsWith(method_, "/grpc.reflection.");
      logging::Log(probe ? logging::Level::kDebug : LevelFor(code), "rpc finished", ctx,
                   {{"code", code_name}, {"duration_ms", duration_ms}});
    } else {
      const absl::string_view error(message.data(), std::min(message.size(), kMaxLoggedErrorChars));
      logging::Log(LevelFor(code), "rpc finished", ctx,
                   {{"code", code_name}, {"duration_ms", duration_ms}, {"error", error}});
    }
  }

  const CallObserverOptions options_;
  Metrics::Gauge* const in_flight_;  // null without metrics
  const std::string method_;
  const std::string label_;
  const bool read_request_;
  const bool admitted_;  // subject to admission control
  const std::chrono::steady_clock::time_point start_;
  std::string request_id_;
  bool finished_ = false;
  bool holds_slot_ = false;
};

class CallObserverFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallObserverFactory(CallObserverOptions options)
      : options_(options),
        in_flight_(options.metrics == nullptr || options.inflight == nullptr
                       ? nullptr
                       : options.metrics->GetGauge(
                             kInFlightMetric,
                             "Unary API calls being handled now (bounded by LF_MAX_INFLIGHT).")) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(ServerRpcInfo* info) override {
    return new CallObserver(options_, in_flight_, info);
  }

 private:
  const CallObserverOptions options_;
  Metrics::Gauge* const in_flight_;
};

}  // namespace

void ServiceCatalog::Set(const std::vector<std::string>& services,
                         const std::vector<std::string>& placeholders) {
  absl::flat_hash_set<std::string> typed;
  for (const std::string& name : services) {
    if (!absl::StartsWith(name, "lianfang.") ||
        std::find(placeholders.begin(), placeholders.end(), name) != placeholders.end()) {
      continue;
    }
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      typed.insert(FullMethodName(*service->method(i)));
    }
  }
  absl::MutexLock lock(&mu_);
  services_.clear();
  services_.insert(services.begin(), services.end());
  typed_api_methods_ = std::move(typed);
}

bool ServiceCatalog::HasServiceOf(absl::string_view full_method) const {
  const absl::string_view service = ServiceOfMethod(full_method);
  if (service.empty()) return false;
  absl::ReaderMutexLock lock(&mu_);
  return services_.contains(service);
}

bool ServiceCatalog::IsTypedApiMethod(absl::string_view full_method) const {
  absl::ReaderMutexLock lock(&mu_);
  return typed_api_methods_.contains(full_method);
}

std::string MethodLabel(absl::string_view full_method, const ServiceCatalog* catalog) {
  if (catalog != nullptr && catalog->HasServiceOf(full_method)) return std::string(full_method);
  if (FindMethod(full_method) != nullptr) return std::string(full_method);
  return kUnknownMethod;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeCallObserverFactory(
    CallObserverOptions options) {
  return std::make_unique<CallObserverFactory>(options);
}

}  // namespace lianfang::server
