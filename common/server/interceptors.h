// The server's call observer: one JSON log line and the metrics of every call.
//
// gRPC C++ server interceptors observe; they cannot reject a call (grpc/grpc#24017), so this
// interceptor does no authorization (see common/server/authorization.h for that). For every
// call it
//   - measures the server-side duration, from the arrival of the call to its status being sent;
//   - records it in Metrics (calls by method and code, latency histogram; with admission
//     control also lf_grpc_server_in_flight, the calls holding a slot now, and
//     lf_grpc_server_shed_total{grpc_method}, the calls refused at admission);
//   - logs one line when the status is sent, e.g.
//       {"time":...,"level":"info","service":"gate",
//        "method":"/lianfang.gate.v1.GateService/RecordPassage","request_id":"r-17",
//        "message":"rpc finished","code":"OK","duration_ms":"1.84"}
//     with level info, warning for UNAVAILABLE / DEADLINE_EXCEEDED / RESOURCE_EXHAUSTED /
//     CANCELLED, and error for INTERNAL / UNKNOWN / DATA_LOSS; non-OK lines also carry the
//     status message sent to the client in "error". Successful health checks and reflection
//     calls are logged at debug (probes). Request and response payloads are never logged.
//
// The request id is the `request_id` field of the request message when it has one (read with
// protobuf reflection when the message arrives, for unary and server-streaming methods of the
// API), else the `x-request-id` metadata the client sent (at most 64 characters kept).
//
// Method labels: calls of services registered on the server and of methods present in the
// generated descriptor pool are labelled with their full name; anything else (random names a
// client made up) is labelled "unknown", so hostile clients cannot grow the metrics.
//
// REQUIRES: a service of the API (lianfang.* package, in the generated descriptor pool)
// added to a ServiceServer serves its unary and server-streaming methods with typed (protobuf)
// handlers, not raw ByteBuffer ones: the observer reads their received message as a
// google::protobuf::Message. Other services, generic and bidi-streaming handlers (the
// unserved-method fallback and placeholders) are never read.
#ifndef LIANFANG_COMMON_SERVER_INTERCEPTORS_H_
#define LIANFANG_COMMON_SERVER_INTERCEPTORS_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/server/admission.h"
#include "common/server/metrics.h"

namespace lianfang::server {

// What a server registered, for the call observer: the service names
// ("lianfang.gate.v1.GateService") that label metrics, and the methods served by typed
// handlers of the API, whose request message may be read for its request_id. Filled by
// ServiceServer while it starts; thread-safe.
class ServiceCatalog final {
 public:
  // `services`: every registered service. `placeholders`: those among them that only refuse
  // calls (raw handlers; never read). Typed API methods are the methods of the remaining
  // lianfang.* services found in the generated descriptor pool.
  void Set(const std::vector<std::string>& services,
           const std::vector<std::string>& placeholders = {});
  // True when the service part of `full_method` ("/pkg.Service/Method") is in the catalog.
  bool HasServiceOf(absl::string_view full_method) const;
  // True when `full_method` is served by a typed handler of the API (see Set).
  bool IsTypedApiMethod(absl::string_view full_method) const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::string> services_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> typed_api_methods_ ABSL_GUARDED_BY(mu_);
};

struct CallObserverOptions {
  // Where calls are counted; null = no metrics. Not owned; must outlive the server.
  Metrics* metrics = nullptr;
  // Write one log line per finished call.
  bool log_calls = true;
  // Registered services (labels, typed API methods); null = only methods of the generated
  // pool are named and request ids come from metadata only. Not owned; must outlive the
  // server.
  const ServiceCatalog* catalog = nullptr;
  // Admission control (admission.h): unary calls of API methods (lianfang.*) take a slot
  // when they arrive and give it back when done; a call finding no free slot is marked as shed
  // and AuthorizeCall refuses it with RESOURCE_EXHAUSTED. Null = no admission control. Not
  // owned; must outlive the server.
  InflightLimit* inflight = nullptr;
};

// A factory for ServerBuilder::experimental().SetInterceptorCreators. Thread-safe.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeCallObserverFactory(
    CallObserverOptions options);

// The label used for `full_method` in metrics (see above). Exposed for tests.
std::string MethodLabel(absl::string_view full_method, const ServiceCatalog* catalog);

}  // namespace lianfang::server

#endif  // LIANFANG_COMMON_SERVER_INTERCEPTORS_H_
