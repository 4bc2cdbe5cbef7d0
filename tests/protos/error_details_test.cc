// Checks that google/rpc/status.proto and error_details.proto, which the project carries
// because Debian does not package them, keep Google's published wire format: clients built
// against the upstream files must decode our error details and vice versa.

#include <string>

#include <google/protobuf/descriptor.h>
#include <grpcpp/support/error_details.h>
#include <grpcpp/support/status.h>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace lianfang {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;

// Length-delimited field `number` holding `payload` (payloads here are < 128 bytes).
std::string LengthDelimited(int number, const std::string& payload) {
  std::string out;
  out.push_back(static_cast<char>((number << 3) | 2));
  out.push_back(static_cast<char>(payload.size()));
  out += payload;
  return out;
}

TEST(ErrorDetailsTest, BadRequestEncodesFieldViolationsAsPublished) {
  google::rpc::BadRequest bad;
  auto* violation = bad.add_field_violations();
  violation->set_field("person.id_number");
  violation->set_description("check digit does not match");

  // BadRequest.field_violations = 1; FieldViolation.field = 1, description = 2.
  const std::string expected = LengthDelimited(
      1, LengthDelimited(1, "person.id_number") + LengthDelimited(2, "check digit does not match"));
  EXPECT_EQ(bad.SerializeAsString(), expected);

  google::rpc::BadRequest decoded;
  ASSERT_TRUE(decoded.ParseFromString(expected));
  ASSERT_EQ(decoded.field_violations_size(), 1);
  EXPECT_EQ(decoded.field_violations(0).field(), "person.id_number");
  EXPECT_EQ(decoded.field_violations(0).description(), "check digit does not match");
}

TEST(ErrorDetailsTest, StatusCarriesBadRequestAsAnAnyThroughGrpcStatusDetails) {
  google::rpc::BadRequest bad;
  auto* violation = bad.add_field_violations();
  violation->set_field("temperature_c");
  violation->set_description("must be between 34.0 and 43.0");
  google::rpc::Status status;
  status.set_code(3);  // INVALID_ARGUMENT
  status.set_message("temperature out of range");
  status.add_details()->PackFrom(bad);
  EXPECT_EQ(status.details(0).type_url(), "type.googleapis.com/google.rpc.BadRequest");

  // Status.code = 1 (varint), message = 2, details = 3.
  const std::string wire = status.SerializeAsString();
  ASSERT_GE(wire.size(), 4u);
  EXPECT_EQ(wire[0], 0x08);
  EXPECT_EQ(wire[1], 0x03);
  EXPECT_EQ(wire[2], 0x12);

  grpc::Status grpc_status;
  ASSERT_TRUE(grpc::SetErrorDetails(status, &grpc_status).ok());
  EXPECT_EQ(grpc_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status extracted;
  ASSERT_TRUE(grpc::ExtractErrorDetails(grpc_status, &extracted).ok());
  ASSERT_EQ(extracted.details_size(), 1);
  google::rpc::BadRequest unpacked;
  ASSERT_TRUE(extracted.details(0).UnpackTo(&unpacked));
  EXPECT_EQ(unpacked.field_violations(0).field(), "temperature_c");
}

struct FieldSpec {
  const char* message;
  const char* field;
  int number;
  FieldDescriptor::Type type;
  bool repeated;
  const char* message_type;  // for message fields; nullptr otherwise
};

TEST(ErrorDetailsTest, MessagesKeepThePublishedNamesAndFieldNumbers) {
  const FieldSpec specs[] = {
      {"google.rpc.Status", "code", 1, FieldDescriptor::TYPE_INT32, false, nullptr},
      {"google.rpc.Status", "message", 2, FieldDescriptor::TYPE_STRING, false, nullptr},
      {"google.rpc.Status", "details", 3, FieldDescriptor::TYPE_MESSAGE, true,
       "google.protobuf.Any"},
      {"google.rpc.BadRequest", "field_violations", 1, FieldDescriptor::TYPE_MESSAGE, true,
       "google.rpc.BadRequest.FieldViolation"},
      {"google.rpc.BadRequest.FieldViolation", "field", 1, FieldDescriptor::TYPE_STRING, false,
       nullptr},
      {"google.rpc.BadRequest.FieldViolation", "description", 2, FieldDescriptor::TYPE_STRING,
       false, nullptr},
      {"google.rpc.ErrorInfo", "reason", 1, FieldDescriptor::TYPE_STRING, false, nullptr},
      {"google.rpc.ErrorInfo", "domain", 2, FieldDescriptor::TYPE_STRING, false, nullptr},
      {"google.rpc.ErrorInfo", "metadata", 3, FieldDescriptor::TYPE_MESSAGE, true, nullptr},
      {"google.rpc.RetryInfo", "retry_delay", 1, FieldDescriptor::TYPE_MESSAGE, false,
       "google.protobuf.Duration"},
      {"google.rpc.PreconditionFailure", "violations", 1, FieldDescriptor::TYPE_MESSAGE, true,
       "google.rpc.PreconditionFailure.Violation"},
      {"google.rpc.PreconditionFailure.Violation", "type", 1, FieldDescriptor::TYPE_STRING, false,
       nullptr},
      {"google.rpc.PreconditionFailure.Violation", "subject", 2, FieldDescriptor::TYPE_STRING,
       false, nullptr},
      {"google.rpc.PreconditionFailure.Violation", "description", 3,
       FieldDescriptor::TYPE_STRING, false, nullptr},
      {"google.rpc.ResourceInfo", "resource_type", 1, FieldDescriptor::TYPE_STRING, false,
       nullptr},
      {"google.rpc.ResourceInfo", "resource_name", 2, FieldDescriptor::TYPE_STRING, false,
       nullptr},
      {"google.rpc.ResourceInfo", "owner", 3, FieldDescriptor::TYPE_STRING, false, nullptr},
      {"google.rpc.ResourceInfo", "description", 4, FieldDescriptor::TYPE_STRING, false, nullptr},
  };
  // Referencing the generated classes links their files into this binary.
  ASSERT_NE(google::rpc::Status::descriptor(), nullptr);
  ASSERT_NE(google::rpc::ErrorInfo::descriptor(), nullptr);
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const FieldSpec& spec : specs) {
    SCOPED_TRACE(std::string(spec.message) + "." + spec.field);
    const Descriptor* message = pool->FindMessageTypeByName(spec.message);
    ASSERT_NE(message, nullptr);
    const FieldDescriptor* field = message->FindFieldByName(spec.field);
    ASSERT_NE(field, nullptr);
    EXPECT_EQ(field->number(), spec.number);
    EXPECT_EQ(field->type(), spec.type);
    EXPECT_EQ(field->is_repeated(), spec.repeated);
    if (spec.message_type != nullptr) {
      EXPECT_EQ(field->message_type()->full_name(), spec.message_type);
    }
  }
  EXPECT_TRUE(pool->FindFieldByName("google.rpc.ErrorInfo.metadata")->is_map());
}

}  // namespace
}  // namespace lianfang
