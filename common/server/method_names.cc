#include "common/server/method_names.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"

namespace lianfang::server {

absl::string_view ServiceOfMethod(absl::string_view full_method) {
  if (full_method.size() < 4 || full_method[0] != '/') return {};
  const size_t slash = full_method.find('/', 1);
  if (slash == absl::string_view::npos || slash == 1 || slash + 1 == full_method.size()) {
    return {};
  }
  if (full_method.find('/', slash + 1) != absl::string_view::npos) return {};
  return full_method.substr(1, slash - 1);
}

const google::protobuf::MethodDescriptor* FindMethod(absl::string_view full_method) {
  const absl::string_view service = ServiceOfMethod(full_method);
  if (service.empty()) return nullptr;
  const std::string dotted = absl::StrCat(service, ".", full_method.substr(service.size() + 2));
  return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(dotted);
}

std::string FullMethodName(const google::protobuf::MethodDescriptor& method) {
  return absl::StrCat("/", method.service()->full_name(), "/", method.name());
}

}  // namespace lianfang::server
