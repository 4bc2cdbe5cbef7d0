// Checks that every element of the API carries a comment (services, methods, messages,
// fields, oneofs, enums, enum values), and that each service's comment states its role
// policy. Comments are not in the generated pool, so the test reads the descriptor set that
// protoc writes with --include_source_info (LF_API_DESCRIPTOR_SET, built next to the test),
// and first proves that this set describes the same API as the generated code.

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/util/message_differencer.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/proto_registry.h"

namespace lianfang {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::DescriptorPool;
using ::google::protobuf::EnumDescriptor;
using ::google::protobuf::FileDescriptor;
using ::google::protobuf::FileDescriptorProto;
using ::google::protobuf::FileDescriptorSet;
using ::google::protobuf::ServiceDescriptor;
using ::google::protobuf::SourceLocation;
using ::google::protobuf::util::MessageDifferencer;

// Builds a pool from the descriptor set; files come in dependency order (--include_imports).
class ApiDocsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream in(LF_API_DESCRIPTOR_SET, std::ios::binary);
    ASSERT_TRUE(in.good()) << "cannot read " << LF_API_DESCRIPTOR_SET;
    std::stringstream bytes;
    bytes << in.rdbuf();
    FileDescriptorSet set;
    ASSERT_TRUE(set.ParseFromString(bytes.str()));
    for (const FileDescriptorProto& file : set.file()) {
      const FileDescriptor* built = pool_.BuildFile(file);
      ASSERT_NE(built, nullptr) << file.name();
      if (file.name().rfind("google/protobuf/", 0) != 0) files_.push_back(built);
    }
    ASSERT_GE(files_.size(), 9u);
  }

  DescriptorPool pool_;
  std::vector<const FileDescriptor*> files_;  // ours and google/rpc, not the well-known types
};

template <typename T>
std::string Comment(const T& element) {
  SourceLocation location;
  if (!element.GetSourceLocation(&location)) return "";
  return location.leading_comments;
}

template <typename T>
void ExpectDocumented(const T& element, std::vector<std::string>* undocumented) {
  if (Comment(element).find_first_not_of(" \n\t") == std::string::npos) {
    undocumented->push_back(element.full_name());
  }
}

void CheckEnum(const EnumDescriptor& e, std::vector<std::string>* undocumented) {
  ExpectDocumented(e, undocumented);
  for (int i = 0; i < e.value_count(); ++i) ExpectDocumented(*e.value(i), undocumented);
}

void CheckMessage(const Descriptor& message, std::vector<std::string>* undocumented) {
  if (message.options().map_entry()) return;
  ExpectDocumented(message, undocumented);
  for (int i = 0; i < message.field_count(); ++i) {
    ExpectDocumented(*message.field(i), undocumented);
  }
  // A proto3 `optional` field's synthetic oneof has no text of its own: the field's comment is
  // its documentation.
  for (int i = 0; i < message.real_oneof_decl_count(); ++i) {
    ExpectDocumented(*message.oneof_decl(i), undocumented);
  }
  for (int i = 0; i < message.enum_type_count(); ++i) CheckEnum(*message.enum_type(i), undocumented);
  for (int i = 0; i < message.nested_type_count(); ++i) {
    CheckMessage(*message.nested_type(i), undocumented);
  }
}

TEST_F(ApiDocsTest, DescriptorSetDescribesTheSameApiAsTheGeneratedCode) {
  EnsureApiDescriptorsLinked();
  for (const FileDescriptor* file : files_) {
    const FileDescriptor* generated =
        DescriptorPool::generated_pool()->FindFileByName(file->name());
    ASSERT_NE(generated, nullptr) << file->name();
    // Compared as FileDescriptorProtos with json names filled on both sides (protoc writes
    // them into descriptor sets, the embedded descriptors leave them to be derived).
    FileDescriptorProto from_set;
    file->CopyTo(&from_set);
    file->CopyJsonNameTo(&from_set);
    FileDescriptorProto from_code;
    generated->CopyTo(&from_code);
    generated->CopyJsonNameTo(&from_code);
    EXPECT_TRUE(MessageDifferencer::Equals(from_set, from_code))
        << file->name() << " differs between the descriptor set and the generated code";
  }
}

TEST_F(ApiDocsTest, EveryServiceMethodMessageFieldAndEnumValueHasAComment) {
  std::vector<std::string> undocumented;
  int services = 0;
  for (const FileDescriptor* file : files_) {
    for (int i = 0; i < file->service_count(); ++i) {
      const ServiceDescriptor& service = *file->service(i);
      ++services;
      ExpectDocumented(service, &undocumented);
      for (int j = 0; j < service.method_count(); ++j) {
        ExpectDocumented(*service.method(j), &undocumented);
      }
    }
    for (int i = 0; i < file->message_type_count(); ++i) {
      CheckMessage(*file->message_type(i), &undocumented);
    }
    for (int i = 0; i < file->enum_type_count(); ++i) CheckEnum(*file->enum_type(i), &undocumented);
    for (int i = 0; i < file->extension_count(); ++i) {
      ExpectDocumented(*file->extension(i), &undocumented);
    }
  }
  EXPECT_EQ(services, 7);
  EXPECT_THAT(undocumented, ::testing::IsEmpty());
}

TEST_F(ApiDocsTest, EveryServiceCommentStatesItsRolePolicy) {
  for (const FileDescriptor* file : files_) {
    for (int i = 0; i < file->service_count(); ++i) {
      const std::string comment = Comment(*file->service(i));
      EXPECT_THAT(comment, ::testing::HasSubstr("Role policy")) << file->service(i)->full_name();
      EXPECT_THAT(comment, ::testing::HasSubstr("ListAuditEvents: ADMIN only"))
          << file->service(i)->full_name();
    }
  }
}

}  // namespace
}  // namespace lianfang
