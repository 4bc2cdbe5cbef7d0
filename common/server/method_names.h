// gRPC method names ("/lianfang.gate.v1.GateService/RecordPassage") and the generated
// descriptor pool, without gRPC.
#ifndef LIANFANG_COMMON_SERVER_METHOD_NAMES_H_
#define LIANFANG_COMMON_SERVER_METHOD_NAMES_H_

#include <string>

#include "absl/strings/string_view.h"

namespace google::protobuf {
class MethodDescriptor;
class ServiceDescriptor;
}  // namespace google::protobuf

namespace lianfang::server {

// "/pkg.Service/Method" -> "pkg.Service"; empty when `full_method` is not of that form.
absl::string_view ServiceOfMethod(absl::string_view full_method);

// The descriptor of `full_method` in the generated pool, or null when the name is malformed or
// the method is not linked in (call lianfang::EnsureApiDescriptorsLinked() first to see the
// whole API). Thread-safe.
const google::protobuf::MethodDescriptor* FindMethod(absl::string_view full_method);

// gRPC's name of a method: "/" + service full name + "/" + method name.
std::string FullMethodName(const google::protobuf::MethodDescriptor& method);

}  // namespace lianfang::server

#endif  // LIANFANG_COMMON_SERVER_METHOD_NAMES_H_
