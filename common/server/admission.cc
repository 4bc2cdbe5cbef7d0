#include "common/server/admission.h"

#include <grpcpp/server_context.h>

#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logging/logging.h"

namespace lianfang::server {

absl::Status OverloadedStatus() {
  return absl::ResourceExhaustedError(
      "the server is busy (too many calls in flight); retry later with backoff");
}

int MaxInflightFromEnvironment() {
  const char* raw = std::getenv(kMaxInflightEnv);
  if (raw == nullptr) return kDefaultMaxInflightCalls;
  const absl::string_view text = absl::StripAsciiWhitespace(raw);
  int value = 0;
  if (text.empty() || !absl::SimpleAtoi(text, &value) || value < 0 || value > kMaxInflightSetting) {
    logging::Warning(absl::StrCat(kMaxInflightEnv, " must be a whole number 0..",
                                  kMaxInflightSetting, " (0 = no bound); using the default ",
                                  kDefaultMaxInflightCalls));
    return kDefaultMaxInflightCalls;
  }
  return value;
}

bool InflightLimit::TryAcquire() {
  const int64_t now = inflight_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (max_ > 0 && now > max_) {
    inflight_.fetch_sub(1, std::memory_order_relaxed);
    shed_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  return true;
}

void InflightLimit::Release() { inflight_.fetch_sub(1, std::memory_order_relaxed); }

bool IsShed(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  return metadata.find(kShedMetadataKey) != metadata.end();
}

}  // namespace lianfang::server
