#include "lianfang/proto_registry.h"

#include <iterator>

#include <google/protobuf/descriptor.h>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "lianfang/accounts/v1/accounts.pb.h"
#include "lianfang/common/v1/access.pb.h"
#include "lianfang/common/v1/common.pb.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"
#include "lianfang/gate/v1/gate.pb.h"
#include "lianfang/gateway/v1/gateway.pb.h"
#include "lianfang/report/v1/report.pb.h"
#include "lianfang/survey/v1/survey.pb.h"
#include "lianfang/supplies/v1/supplies.pb.h"

namespace lianfang {
namespace {

// Full names of the API's services, in the order ApiServices() returns them.
constexpr const char* kServiceNames[] = {
    "lianfang.gate.v1.GateService",         "lianfang.survey.v1.SurveyService",
    "lianfang.dispatch.v1.DispatchService", "lianfang.report.v1.ReportService",
    "lianfang.gateway.v1.GatewayService",   "lianfang.accounts.v1.AccountsService",
    "lianfang.supplies.v1.SuppliesService",
};

}  // namespace

void EnsureApiDescriptorsLinked() {
  // Naming one message per file is what makes the linker keep that file's object (and,
  // through its imports, the objects of the files it imports); descriptor() also builds the
  // file in the generated pool. Writing through a volatile keeps the calls from being dropped.
  const google::protobuf::Descriptor* volatile sink = nullptr;
  sink = google::rpc::Status::descriptor();
  sink = google::rpc::BadRequest::descriptor();
  sink = lianfang::common::v1::SiteDirectory::descriptor();
  sink = lianfang::common::v1::AccessRule::descriptor();
  sink = lianfang::gate::v1::RecordPassageRequest::descriptor();
  sink = lianfang::survey::v1::UpsertHouseholdRequest::descriptor();
  sink = lianfang::dispatch::v1::CreateTaskRequest::descriptor();
  sink = lianfang::report::v1::GenerateDailyReportRequest::descriptor();
  sink = lianfang::gateway::v1::GetDashboardRequest::descriptor();
  sink = lianfang::accounts::v1::SignInRequest::descriptor();
  sink = lianfang::supplies::v1::CreateItemRequest::descriptor();
  (void)sink;
}

std::vector<const google::protobuf::ServiceDescriptor*> ApiServices() {
  EnsureApiDescriptorsLinked();
  const google::protobuf::DescriptorPool* pool = google::protobuf::DescriptorPool::generated_pool();
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  services.reserve(std::size(kServiceNames));
  for (const char* name : kServiceNames) {
    // Never null: the files were linked and built just above.
    services.push_back(pool->FindServiceByName(name));
  }
  return services;
}

}  // namespace lianfang
