// gRPC clients: channels, per-call setup (deadline + bearer token), and health probes.
//
//   std::shared_ptr<grpc::Channel> channel = MakeChannel(config.dispatch_addr, tls.get());
//   auto stub = lianfang::dispatch::v1::DispatchService::NewStub(channel);
//   CallSetup setup([token] { return token.Current(); }, absl::Seconds(3));
//   grpc::ClientContext context;
//   setup.Prepare(&context, request.request_id());
//   grpc::Status status = stub->CreateTask(&context, request, &response);
//   absl::Status result = FromGrpcStatus(status);     // common/server/grpc_status.h
//
// Every outbound call has a deadline: CallSetup and PrepareClientContext always set one.
//
// Health probes speak grpc.health.v1.Health/Check through grpc::GenericStub with the two tiny
// messages encoded by hand (HealthCheckRequest{string service = 1},
// HealthCheckResponse{ServingStatus status = 1}, SERVING = 1): Debian packages the health
// service for servers only, without the client-side health.proto.
#ifndef LIANFANG_COMMON_SERVER_CLIENT_H_
#define LIANFANG_COMMON_SERVER_CLIENT_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace lianfang::server {

// TLS material for a client, as PEM text.
struct ClientTls {
  std::string root_certs_pem;   // CA(s) that sign the servers' certificates
  std::string cert_chain_pem;   // client certificate, for servers that require one; optional
  std::string private_key_pem;  // its key; required when cert_chain_pem is set
  // Expected server name when it differs from the host dialled (tests); empty = the host.
  std::string server_name_override;
};

// Reads the PEM files (LF_TLS_CA, LF_TLS_CERT, LF_TLS_KEY). `cert_file` and `key_file` may
// both be empty (no client certificate). INVALID_ARGUMENT naming the file when one cannot be
// read or is empty, or when only one of cert/key is given.
absl::StatusOr<ClientTls> LoadClientTls(const std::string& ca_file, const std::string& cert_file,
                                        const std::string& key_file);

// A channel to `address` ("host:port", "unix:path"), TLS when `tls` is non-null (copied; not
// retained), plaintext otherwise. Keepalive pings every 30 s (also without calls in flight,
// within what ServiceServer permits), responses up to `max_receive_message_bytes`. The channel
// connects lazily and reconnects by itself, with a bounded backoff: a retry at most every
// ~1.2 s while the server is away (and the name resolved again), so a service that comes back
// is reached within about a second, whatever the length of its outage. Calls that should wait
// for a restarting service rather than fail at once set wait_for_ready on their context (their
// deadline still bounds them). It never fails here. Thread-safe.
std::shared_ptr<grpc::Channel> MakeChannel(absl::string_view address, const ClientTls* tls,
                                           int max_receive_message_bytes = 4 * 1024 * 1024);

// Sets on `context` the deadline now + `deadline`, the metadata "authorization: Bearer
// <bearer_token>" (omitted when the token is empty) and "x-request-id" (omitted when empty).
// REQUIRES: `context` not yet used for a call; deadline > 0.
void PrepareClientContext(grpc::ClientContext* context, absl::string_view bearer_token,
                          absl::Duration deadline, absl::string_view request_id = {});

// How a client prepares each call: where its token comes from and its default deadline.
// Immutable; thread-safe if the token source is.
class CallSetup final {
 public:
  // `token_source` returns the bare token for the next call (e.g. auth::ServiceToken::Current,
  // which renews it as needed); it may return "" for anonymous calls.
  CallSetup(std::function<std::string()> token_source, absl::Duration deadline);

  // A fixed token.
  static CallSetup WithToken(std::string token, absl::Duration deadline);

  // PrepareClientContext with a fresh token and the default deadline (or `deadline` when
  // given and positive).
  void Prepare(grpc::ClientContext* context, absl::string_view request_id = {},
               absl::Duration deadline = absl::ZeroDuration()) const;

  // A new context prepared as above.
  std::unique_ptr<grpc::ClientContext> NewContext(
      absl::string_view request_id = {}, absl::Duration deadline = absl::ZeroDuration()) const;

  absl::Duration deadline() const { return deadline_; }

 private:
  std::function<std::string()> token_source_;
  absl::Duration deadline_;
};

// grpc.health.v1.HealthCheckResponse.ServingStatus.
enum class ServingStatus { kUnknown = 0, kServing = 1, kNotServing = 2, kServiceUnknown = 3 };

// One health check of `service` ("" = the whole server) over `channel`, within `timeout`.
// Returns the reported status, or the call's error (UNAVAILABLE when nothing listens,
// DEADLINE_EXCEEDED, NOT_FOUND when the server does not know `service`, ...).
absl::StatusOr<ServingStatus> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                          absl::string_view service, absl::Duration timeout);

// Polls CheckHealth (with a short growing pause between attempts) until `service` reports
// SERVING. OK then; DEADLINE_EXCEEDED naming the address and the last answer when `timeout`
// passes first.
absl::Status WaitForServing(const std::shared_ptr<grpc::Channel>& channel, absl::Duration timeout,
                            absl::string_view service = {});
absl::Status WaitForServing(absl::string_view address, absl::Duration timeout,
                            const ClientTls* tls = nullptr, absl::string_view service = {});

}  // namespace lianfang::server

#endif  // LIANFANG_COMMON_SERVER_CLIENT_H_
