// Keeps every Lianfang API descriptor in the generated descriptor pool.
//
// lf_proto is a static library: the linker copies a generated `.pb.o` into a binary only when
// the binary references one of its symbols. A file whose messages a binary never names (for
// example access.proto, or another service's API) is then missing from
// `google::protobuf::DescriptorPool::generated_pool()`, and lookups by name such as
// `FindMethodByName("lianfang.gate.v1.GateService.RecordPassage")` return nullptr.
// EnsureApiDescriptorsLinked() references one message of every API file, so any binary that
// calls it (servers before their first role check, the gateway's JSON mapping, tests that
// walk the API) sees the whole API: all six services, their methods and their
// `lianfang.common.v1.access` options, plus google.rpc.Status and its error details.
//
// Include as "lianfang/proto_registry.h"; target lf_proto.

#ifndef LIANFANG_PROTO_REGISTRY_H_
#define LIANFANG_PROTO_REGISTRY_H_

#include <vector>

namespace google::protobuf {
class ServiceDescriptor;
}  // namespace google::protobuf

namespace lianfang {

// Makes sure the descriptors of every API file are linked in and registered in the generated
// pool. Cheap and idempotent; thread-safe (it only reads descriptors, which protobuf builds
// once under its own lock).
void EnsureApiDescriptorsLinked();

// The API's services, in the order gate, survey, dispatch, report, gateway, accounts, as descriptors of
// the generated pool (never nullptr). Calls EnsureApiDescriptorsLinked() first. The
// descriptors live as long as the process. Thread-safe.
std::vector<const google::protobuf::ServiceDescriptor*> ApiServices();

}  // namespace lianfang

#endif  // LIANFANG_PROTO_REGISTRY_H_
