// JsonApi: the gateway's generic JSON transcoder. Every method of the API's services is
// reachable over HTTP as
//
//   POST /api/v1/<package>.<Service>/<Method>      body: the request in protobuf's JSON mapping
//   GET  /api/v1/<package>.<Service>/<Method>?f=v  server-streaming methods only (Server-Sent
//                                                  Events), the request's fields as parameters
//
// One transcoder driven by the service descriptors of the generated pool (ApiServices() of
// lianfang/proto_registry.h), not a handler per method: the JSON body is parsed into the
// method's request message, sent with grpc::GenericStub over the channel of its service with
// the caller's `authorization` header and a deadline, and the response (or each streamed
// message) comes back as JSON (lowerCamelCase names, enums by name, zeros written out).
//
// Errors keep the gRPC status code and are mapped to HTTP codes as google.rpc.Code documents
// them (HttpStatusOf); the body is ErrorJson: {"code", "message", "details",
// "fieldViolations"}.
//
//   JsonApi api({{"lianfang.gate.v1.GateService", gate_channel}, ...}, {});
//   absl::StatusOr<const JsonApi::Method*> m = api.Find("lianfang.gate.v1.GateService",
//                                                       "RecordPassage");
//   absl::StatusOr<std::string> json = api.CallUnary(**m, body, bearer_token);
//
// Thread-safety: every const method may be called from any thread, concurrently.
#ifndef LIANFANG_SERVICES_GATEWAY_JSON_API_H_
#define LIANFANG_SERVICES_GATEWAY_JSON_API_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace google::protobuf {
class Message;
class MethodDescriptor;
}  // namespace google::protobuf

namespace lianfang::gateway {

// The HTTP status of a gRPC/absl status code, as google.rpc.Code maps them: OK 200,
// CANCELLED 499, INVALID_ARGUMENT, FAILED_PRECONDITION and OUT_OF_RANGE 400, UNAUTHENTICATED
// 401, PERMISSION_DENIED 403, NOT_FOUND 404, ALREADY_EXISTS and ABORTED 409, RESOURCE_EXHAUSTED
// 429, UNIMPLEMENTED 501, UNAVAILABLE 503, DEADLINE_EXCEEDED 504, UNKNOWN, INTERNAL and
// DATA_LOSS 500.
int HttpStatusOf(absl::StatusCode code);

// The JSON error body of `status`: {"code": "<canonical name>", "message": "...",
// "details": [<each google.rpc detail as JSON, with "@type">], "fieldViolations":
// [{"field", "description"}] (those of google.rpc.BadRequest, repeated for convenience)}.
// Server faults (HTTP 500) say "internal error" and carry no details.
std::string ErrorJson(const absl::Status& status);

// A message in protobuf's JSON mapping, zeros written out; "{}" if it cannot be printed.
std::string MessageJson(const google::protobuf::Message& message);

// The gRPC metadata naming the HTTP client's address on forwarded calls.
inline constexpr char kClientAddressMetadata[] = "x-lf-client-address";

class JsonApi final {
 public:
  struct Options {
    // Deadline of every unary call (as a gRPC client would set).
    absl::Duration deadline = absl::Seconds(10);
    // A streamed call ends after this long (the browser's EventSource then reconnects).
    absl::Duration stream_deadline = absl::Minutes(30);
    // Messages a stream keeps for a slow reader; beyond that the oldest are dropped.
    size_t stream_queue = 256;
  };

  // One method of the API.
  struct Method {
    const google::protobuf::MethodDescriptor* descriptor = nullptr;
    std::shared_ptr<grpc::Channel> channel;
    std::string grpc_name;  // "/lianfang.gate.v1.GateService/RecordPassage"
    bool server_streaming = false;
  };

  // `backends` maps a service's full name ("lianfang.gate.v1.GateService") to the channel of
  // the process serving it. Only services of the API (ApiServices()) are exposed; client- and
  // bidi-streaming methods are not.
  JsonApi(std::map<std::string, std::shared_ptr<grpc::Channel>> backends, Options options);
  ~JsonApi();
  JsonApi(const JsonApi&) = delete;
  JsonApi& operator=(const JsonApi&) = delete;

  // The method `service`/`method`. NOT_FOUND (naming it) when there is no such method.
  absl::StatusOr<const Method*> Find(absl::string_view service, absl::string_view method) const;

  // Every exposed method, by gRPC name.
  const std::map<std::string, Method>& methods() const { return methods_; }

  // The request of `method` from a JSON body ("" = the empty request). INVALID_ARGUMENT naming
  // the problem (protobuf's parser message, e.g. an unknown field or a malformed value).
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> ParseRequest(
      const Method& method, absl::string_view json) const;

  // The request of `method` from query parameters: each parameter names a field of the
  // request (proto or JSON name), repeated fields take repeated parameters or comma-separated
  // values; `ignored` parameters (e.g. access_token) are skipped. INVALID_ARGUMENT naming an
  // unknown field or a bad value.
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> RequestFromQuery(
      const Method& method, const std::multimap<std::string, std::string>& params,
      const std::vector<std::string>& ignored) const;

  // Calls a unary `method` with `request` and the bare bearer token (may be empty) and returns
  // the response as JSON, or the call's status (details included) — INTERNAL when the
  // response cannot be read. Blocks for at most the deadline.
  //
  // A service that is down or restarting is waited for within the deadline (gRPC's
  // wait_for_ready), not failed at once: a call made while the service restarts is answered
  // once it is back. A call whose deadline passes while the service still cannot be reached
  // is UNAVAILABLE (not DEADLINE_EXCEEDED, which stays for a service that was reached and
  // answered too late).
  absl::StatusOr<std::string> CallUnary(const Method& method,
                                        const google::protobuf::Message& request,
                                        absl::string_view bearer_token) const;

  // The same without blocking: `done` runs once with the result, on a gRPC thread (it must
  // not block). The request is copied; nothing needs to outlive the call but this JsonApi.
  // A non-empty `client_address` (the HTTP client's IP) is sent as the metadata
  // `x-lf-client-address` (kClientAddressMetadata), which lf-accounts believes from trusted
  // proxies only (its sign-in brake counts failures per client address).
  void CallUnaryAsync(const Method& method, const google::protobuf::Message& request,
                      absl::string_view bearer_token,
                      std::function<void(absl::StatusOr<std::string>)> done,
                      absl::string_view client_address = {}) const;

  // One open server-streaming call (defined in the .cc).
  class Stream {
   public:
    enum class Next { kMessage, kQuiet, kDone };
    virtual ~Stream() = default;
    // Waits up to `timeout` for the next message (its JSON moved to *json) or the end.
    virtual Next Wait(absl::Duration timeout, std::string* json) = 0;
    // The final status once Wait returned kDone (OK when the server ended the stream).
    virtual absl::Status final_status() = 0;
    // Ends the call (client gone, or shutting down); Wait then returns kDone. Idempotent.
    virtual void Cancel() = 0;
  };

  // Starts a server-streaming `method`. Never fails here: a call the server refuses ends
  // with that status (Wait returns kDone, final_status says why).
  std::shared_ptr<Stream> OpenStream(const Method& method,
                                     const google::protobuf::Message& request,
                                     absl::string_view bearer_token) const;

  // The same, pushing instead of queueing: `on_message` runs with each message's JSON and
  // then `on_done` once with the final status, on gRPC threads (neither may block). Wait is
  // not used on such a stream. Like unary calls, the stream waits for a service that is down
  // (within the stream's deadline).
  std::shared_ptr<Stream> OpenStream(const Method& method,
                                     const google::protobuf::Message& request,
                                     absl::string_view bearer_token,
                                     std::function<void(std::string json)> on_message,
                                     std::function<void(absl::Status)> on_done) const;

 private:
  const Options options_;
  std::map<std::string, Method> methods_;  // by grpc_name
};

}  // namespace lianfang::gateway

#endif  // LIANFANG_SERVICES_GATEWAY_JSON_API_H_
