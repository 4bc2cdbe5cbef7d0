#include "common/server/client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/channel_arguments.h>
#include <grpcpp/support/slice.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/server/grpc_status.h"
#include "common/server/pem.h"

namespace lianfang::server {
namespace {

constexpr char kHealthCheckMethod[] = "/grpc.health.v1.Health/Check";

// Reconnect backoff of every channel: the first retry after 100 ms, growing to at most 1 s
// (gRPC adds ±20% jitter).
constexpr std::pair<int, int> kReconnectBackoffMs = {100, 1000};
// How long one connection attempt (TCP and the HTTP/2 handshake) may take. gRPC names it
// GRPC_ARG_MIN_RECONNECT_BACKOFF_MS but uses it only as this bound; set to the 100 ms of the
// backoff, a loaded server that answered the handshake a little later made the attempt fail
// and calls fail at once with UNAVAILABLE ("timed out before receiving SETTINGS frame"). A
// refused connection (the service down) still fails at once, so reconnecting stays quick.
constexpr int kMinConnectTimeoutMs = 5000;

void AppendVarint(std::string* out, uint64_t value) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

bool ReadVarint(absl::string_view* in, uint64_t* value) {
  *value = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    const auto byte = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    *value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

// HealthCheckRequest { string service = 1; }
std::string EncodeHealthCheckRequest(absl::string_view service) {
  std::string out;
  if (service.empty()) return out;  // proto3 omits default values
  out.push_back(static_cast<char>((1 << 3) | 2));
  AppendVarint(&out, service.size());
  out.append(service.data(), service.size());
  return out;
}

// HealthCheckResponse { ServingStatus status = 1; }, skipping unknown fields.
absl::StatusOr<ServingStatus> DecodeHealthCheckResponse(absl::string_view in) {
  uint64_t status = 0;
  while (!in.empty()) {
    uint64_t tag = 0;
    if (!ReadVarint(&in, &tag)) break;
    const uint64_t field = tag >> 3;
    switch (tag & 7) {
      case 0: {
        uint64_t value = 0;
        if (!ReadVarint(&in, &value)) return absl::DataLossError("malformed health response");
        if (field == 1) status = value;
        break;
      }
      case 1:
        if (in.size() < 8) return absl::DataLossError("malformed health response");
        in.remove_prefix(8);
        break;
      case 2: {
        uint64_t length = 0;
        if (!ReadVarint(&in, &length) || length > in.size()) {
          return absl::DataLossError("malformed health response");
        }
        in.remove_prefix(length);
        break;
      }
      case 5:
        if (in.size() < 4) return absl::DataLossError("malformed health response");
        in.remove_prefix(4);
        break;
      default:
        return absl::DataLossError("malformed health response");
    }
  }
  if (status > 3) return ServingStatus::kUnknown;
  return static_cast<ServingStatus>(status);
}

absl::string_view ServingStatusName(ServingStatus status) {
  switch (status) {
    case ServingStatus::kServing:
      return "SERVING";
    case ServingStatus::kNotServing:
      return "NOT_SERVING";
    case ServingStatus::kServiceUnknown:
      return "SERVICE_UNKNOWN";
    case ServingStatus::kUnknown:
      break;
  }
  return "UNKNOWN";
}

}  // namespace

absl::StatusOr<ClientTls> LoadClientTls(const std::string& ca_file, const std::string& cert_file,
                                        const std::string& key_file) {
  ClientTls tls;
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError(
        "a TLS client certificate and its key must be given together");
  }
  if (!ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadPemFile(ca_file, "CA");
    if (!ca.ok()) return ca.status();
    tls.root_certs_pem = *std::move(ca);
  }
  if (!cert_file.empty()) {
    absl::StatusOr<std::string> cert = ReadPemFile(cert_file, "certificate");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadPemFile(key_file, "private key");
    if (!key.ok()) return key.status();
    tls.cert_chain_pem = *std::move(cert);
    tls.private_key_pem = *std::move(key);
  }
  return tls;
}

std::shared_ptr<grpc::Channel> MakeChannel(absl::string_view address, const ClientTls* tls,
                                           int max_receive_message_bytes) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30 * 1000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10 * 1000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetMaxReceiveMessageSize(max_receive_message_bytes);
  args.SetString(GRPC_ARG_PRIMARY_USER_AGENT_STRING, "lianfang");
  // Reconnect soon after a service comes back: gRPC's default backoff grows to 120 s (after
  // a 90 s outage the next attempt could be a minute away, and calls fail fast meanwhile).
  // Within a deployment a reconnect attempt per second per channel costs nothing.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, kReconnectBackoffMs.first);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, kMinConnectTimeoutMs);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kReconnectBackoffMs.second);
  // A restarted service may come back at another address (a container's new IP): resolve the
  // name again as soon as the connection fails, not after the default 30 s.
  args.SetInt(GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS, kReconnectBackoffMs.second);
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (tls == nullptr) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = tls->root_certs_pem;
    ssl.pem_cert_chain = tls->cert_chain_pem;
    ssl.pem_private_key = tls->private_key_pem;
    credentials = grpc::SslCredentials(ssl);
    if (!tls->server_name_override.empty()) {
      args.SetSslTargetNameOverride(tls->server_name_override);
    }
  }
  return grpc::CreateCustomChannel(std::string(address), credentials, args);
}

void PrepareClientContext(grpc::ClientContext* context, absl::string_view bearer_token,
                          absl::Duration deadline, absl::string_view request_id) {
  context->set_deadline(std::chrono::system_clock::now() +
                        absl::ToChronoMilliseconds(std::max(deadline, absl::Milliseconds(1))));
  if (!bearer_token.empty()) {
    context->AddMetadata("authorization", absl::StrCat("Bearer ", bearer_token));
  }
  if (!request_id.empty()) context->AddMetadata("x-request-id", std::string(request_id));
}

CallSetup::CallSetup(std::function<std::string()> token_source, absl::Duration deadline)
    : token_source_(std::move(token_source)), deadline_(deadline) {}

CallSetup CallSetup::WithToken(std::string token, absl::Duration deadline) {
  return CallSetup([token = std::move(token)] { return token; }, deadline);
}

void CallSetup::Prepare(grpc::ClientContext* context, absl::string_view request_id,
                        absl::Duration deadline) const {
  const std::string token = token_source_ ? token_source_() : std::string();
  PrepareClientContext(context, token, deadline > absl::ZeroDuration() ? deadline : deadline_,
                       request_id);
}

std::unique_ptr<grpc::ClientContext> CallSetup::NewContext(absl::string_view request_id,
                                                           absl::Duration deadline) const {
  auto context = std::make_unique<grpc::ClientContext>();
  Prepare(context.get(), request_id, deadline);
  return context;
}

absl::StatusOr<ServingStatus> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                          absl::string_view service, absl::Duration timeout) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  PrepareClientContext(&context, /*bearer_token=*/{}, timeout);
  const std::string request_bytes = EncodeHealthCheckRequest(service);
  grpc::Slice slice(request_bytes);
  const grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&context, kHealthCheckMethod, grpc::StubOptions(), &request, &response,
                 [&status, &done](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!status.ok()) return FromGrpcStatus(status);
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return absl::DataLossError("unreadable health response");
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return DecodeHealthCheckResponse(bytes);
}

absl::Status WaitForServing(const std::shared_ptr<grpc::Channel>& channel, absl::Duration timeout,
                            absl::string_view service) {
  const absl::Time give_up = absl::Now() + timeout;
  absl::Duration pause = absl::Milliseconds(5);
  std::string last = "no answer";
  while (true) {
    const absl::Duration left = give_up - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    absl::StatusOr<ServingStatus> status =
        CheckHealth(channel, service, std::min(left, absl::Seconds(2)));
    if (status.ok() && *status == ServingStatus::kServing) return absl::OkStatus();
    last = status.ok() ? std::string(ServingStatusName(*status)) : status.status().ToString();
    if (absl::Now() + pause >= give_up) break;
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Milliseconds(200));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("the server did not report SERVING", service.empty() ? "" : " for ", service,
                   " within ", absl::FormatDuration(timeout), " (last answer: ", last, ")"));
}

absl::Status WaitForServing(absl::string_view address, absl::Duration timeout, const ClientTls* tls,
                            absl::string_view service) {
  absl::Status status = WaitForServing(MakeChannel(address, tls), timeout, service);
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(address, ": ", status.message()));
}

}  // namespace lianfang::server
