#include "common/testing/grpc/loopback_server.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/client_callback.h>
#include <grpcpp/support/slice.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/server/client.h"
#include "common/server/grpc_status.h"
#include "google/protobuf/unknown_field_set.h"

namespace lianfang::testing {
namespace {

constexpr char kReflectionMethod[] =
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

// ServerReflectionRequest field numbers.
constexpr int kFileContainingSymbol = 4;
constexpr int kListServices = 7;
// ServerReflectionResponse field numbers.
constexpr int kFileDescriptorResponse = 4;
constexpr int kListServicesResponse = 6;
constexpr int kErrorResponse = 7;

void AppendVarint(std::string* out, uint64_t value) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

std::string StringField(int number, absl::string_view value) {
  std::string out;
  AppendVarint(&out, (static_cast<uint64_t>(number) << 3) | 2);
  AppendVarint(&out, value.size());
  out.append(value.data(), value.size());
  return out;
}

// Sends one message on a bidi stream, half-closes, reads one reply.
class OneExchange final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  OneExchange(const std::shared_ptr<grpc::Channel>& channel, absl::Duration timeout,
              const std::string& request_bytes) {
    server::PrepareClientContext(&context_, /*bearer_token=*/{}, timeout);
    grpc::Slice slice(request_bytes);
    request_ = grpc::ByteBuffer(&slice, 1);
    grpc::GenericStub stub(channel);
    stub.PrepareBidiStreamingCall(&context_, kReflectionMethod, grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  }

  void OnReadDone(bool ok) override { got_response_ = ok; }
  void OnDone(const grpc::Status& status) override {
    status_ = status;
    done_.Notify();
  }

  absl::StatusOr<std::string> Await() {
    done_.WaitForNotification();
    if (!got_response_) {
      absl::Status status = server::FromGrpcStatus(status_);
      if (status.ok()) status = absl::DataLossError("the reflection stream ended without a reply");
      return status;
    }
    std::vector<grpc::Slice> slices;
    if (!response_.Dump(&slices).ok()) return absl::DataLossError("unreadable reflection reply");
    std::string bytes;
    for (const grpc::Slice& s : slices) {
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    return bytes;
  }

 private:
  grpc::ClientContext context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  bool got_response_ = false;
  grpc::Status status_;
  absl::Notification done_;
};

absl::StatusOr<std::unique_ptr<google::protobuf::UnknownFieldSet>> Exchange(
    const std::shared_ptr<grpc::Channel>& channel, absl::Duration timeout,
    const std::string& request) {
  OneExchange exchange(channel, timeout, request);
  absl::StatusOr<std::string> bytes = exchange.Await();
  if (!bytes.ok()) return bytes.status();
  auto fields = std::make_unique<google::protobuf::UnknownFieldSet>();
  if (!fields->ParseFromString(*bytes)) return absl::DataLossError("malformed reflection reply");
  for (int i = 0; i < fields->field_count(); ++i) {
    const google::protobuf::UnknownField& field = fields->field(i);
    if (field.number() == kErrorResponse &&
        field.type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      google::protobuf::UnknownFieldSet error;
      std::string message = "reflection error";
      if (error.ParseFromString(field.length_delimited())) {
        for (int j = 0; j < error.field_count(); ++j) {
          if (error.field(j).number() == 2 &&
              error.field(j).type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
            message = error.field(j).length_delimited();
          }
        }
      }
      return absl::NotFoundError(message);
    }
  }
  return fields;
}

}  // namespace

server::ServerOptions LoopbackServer::Loopback(server::ServerOptions options) {
  options.listen = "127.0.0.1:0";
  if (options.service_name.empty()) options.service_name = "test";
  return options;
}

LoopbackServer::LoopbackServer(server::ServerOptions options)
    : server_(Loopback(std::move(options))) {}

LoopbackServer::~LoopbackServer() { server_.Shutdown(); }

void LoopbackServer::AddService(grpc::Service* service) { server_.AddService(service); }

void LoopbackServer::UseFallback(const TestTokens& tokens) {
  fallback_ = std::make_unique<server::AuthorizingFallbackService>(&tokens.authorizer(),
                                                                   &tokens.verifier());
  server_.SetFallback(fallback_.get());
}

absl::Status LoopbackServer::Start() {
  if (absl::Status status = server_.Start(); !status.ok()) return status;
  channel_ = server::MakeChannel(server_.address(), /*tls=*/nullptr);
  return server::WaitForServing(channel_, absl::Seconds(10));
}

std::unique_ptr<grpc::ClientContext> NewClientContext(absl::string_view token,
                                                      absl::Duration deadline) {
  auto context = std::make_unique<grpc::ClientContext>();
  server::PrepareClientContext(context.get(), token, deadline);
  return context;
}

absl::StatusOr<std::vector<std::string>> ListServicesByReflection(
    const std::shared_ptr<grpc::Channel>& channel, absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<google::protobuf::UnknownFieldSet>> exchanged =
      Exchange(channel, timeout, StringField(kListServices, "*"));
  if (!exchanged.ok()) return exchanged.status();
  const google::protobuf::UnknownFieldSet* reply = exchanged->get();
  std::vector<std::string> names;
  for (int i = 0; i < reply->field_count(); ++i) {
    const google::protobuf::UnknownField& field = reply->field(i);
    if (field.number() != kListServicesResponse ||
        field.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      continue;
    }
    google::protobuf::UnknownFieldSet list;
    if (!list.ParseFromString(field.length_delimited())) {
      return absl::DataLossError("malformed list_services_response");
    }
    for (int j = 0; j < list.field_count(); ++j) {
      if (list.field(j).number() != 1 ||
          list.field(j).type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
        continue;
      }
      google::protobuf::UnknownFieldSet service;
      if (!service.ParseFromString(list.field(j).length_delimited())) continue;
      for (int k = 0; k < service.field_count(); ++k) {
        if (service.field(k).number() == 1 &&
            service.field(k).type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
          names.push_back(service.field(k).length_delimited());
        }
      }
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::Status ReflectionKnowsSymbol(const std::shared_ptr<grpc::Channel>& channel,
                                   absl::string_view symbol, absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<google::protobuf::UnknownFieldSet>> exchanged =
      Exchange(channel, timeout, StringField(kFileContainingSymbol, symbol));
  if (!exchanged.ok()) return exchanged.status();
  const google::protobuf::UnknownFieldSet* reply = exchanged->get();
  for (int i = 0; i < reply->field_count(); ++i) {
    if (reply->field(i).number() == kFileDescriptorResponse) return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat("reflection returned no descriptor for ", symbol));
}

}  // namespace lianfang::testing
