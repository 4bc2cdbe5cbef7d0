#include "common/server/errors.h"

#include <string>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"

namespace lianfang::server {

void FieldErrors::Add(absl::string_view field, absl::string_view description) {
  violations_.push_back(Violation{std::string(field), std::string(description)});
}

void FieldErrors::AddFromStatus(absl::string_view field_prefix, const absl::Status& status) {
  if (status.ok()) return;
  std::optional<google::rpc::BadRequest> details = GetBadRequest(status);
  if (!details.has_value() || details->field_violations().empty()) {
    Add(field_prefix, status.message());
    return;
  }
  for (const google::rpc::BadRequest::FieldViolation& v : details->field_violations()) {
    if (field_prefix.empty()) {
      Add(v.field(), v.description());
    } else if (v.field().empty()) {
      Add(field_prefix, v.description());
    } else {
      Add(absl::StrCat(field_prefix, ".", v.field()), v.description());
    }
  }
}

absl::Status FieldErrors::ToStatus() const {
  if (violations_.empty()) return absl::OkStatus();
  std::string message;
  google::rpc::BadRequest details;
  for (const Violation& v : violations_) {
    if (!message.empty()) message.append("; ");
    absl::StrAppend(&message, "invalid ", v.field, ": ", v.description);
    google::rpc::BadRequest::FieldViolation* out = details.add_field_violations();
    out->set_field(v.field);
    out->set_description(v.description);
  }
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kBadRequestTypeUrl, absl::Cord(details.SerializeAsString()));
  return status;
}

absl::Status InvalidField(absl::string_view field, absl::string_view description) {
  FieldErrors errors;
  errors.Add(field, description);
  return errors.ToStatus();
}

std::optional<google::rpc::BadRequest> GetBadRequest(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kBadRequestTypeUrl);
  if (!payload.has_value()) return std::nullopt;
  google::rpc::BadRequest details;
  if (!details.ParseFromString(std::string(*payload))) return std::nullopt;
  return details;
}

std::vector<std::pair<std::string, std::string>> FieldViolations(const absl::Status& status) {
  std::vector<std::pair<std::string, std::string>> out;
  std::optional<google::rpc::BadRequest> details = GetBadRequest(status);
  if (!details.has_value()) return out;
  for (const google::rpc::BadRequest::FieldViolation& v : details->field_violations()) {
    out.emplace_back(v.field(), v.description());
  }
  return out;
}

}  // namespace lianfang::server
