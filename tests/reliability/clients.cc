#include "tests/reliability/clients.h"

#include <grpcpp/client_context.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "common/redis/keys.h"
#include "common/server/client.h"
#include "common/server/grpc_status.h"
#include "common/testing/redis_server.h"
#include "tests/reliability/suite.h"

namespace lianfang::reliability {

gate::v1::RecordPassageRequest Passage(absl::string_view request_id, absl::string_view site_id,
                                       absl::string_view gate_id, bool entry, int person,
                                       double temperature_c) {
  gate::v1::RecordPassageRequest r;
  r.set_request_id(std::string(request_id));
  r.set_site_id(std::string(site_id));
  r.set_gate_id(std::string(gate_id));
  r.set_direction(entry ? gate::v1::DIRECTION_ENTRY : gate::v1::DIRECTION_EXIT);
  r.mutable_person()->set_id_number(ValidId(person));
  r.set_temperature_c(temperature_c);
  return r;
}

grpc::Status RecordPassage(gate::v1::GateService::Stub& stub, const std::string& token,
                           const gate::v1::RecordPassageRequest& request,
                           gate::v1::RecordPassageResponse* response, absl::Duration deadline) {
  grpc::ClientContext context;
  server::PrepareClientContext(&context, token, deadline);
  return stub.RecordPassage(&context, request, response);
}

absl::StatusOr<std::string> CreateDeliveryTask(const std::shared_ptr<grpc::Channel>& channel,
                                               const std::string& token,
                                               const std::string& request_id, int t, int64_t n,
                                               absl::Duration deadline) {
  auto stub = dispatch::v1::DispatchService::NewStub(channel);
  dispatch::v1::CreateTaskRequest request;
  request.set_request_id(request_id);
  dispatch::v1::Task* task = request.mutable_task();
  task->set_kind(dispatch::v1::TASK_KIND_SUPPLY_DELIVERY);
  task->set_site_id("open");
  task->set_title(absl::StrCat("配送消毒液 ", t, "-", n));
  task->set_location(absl::StrCat(t + 1, "号楼"));
  task->set_priority(dispatch::v1::PRIORITY_NORMAL);
  grpc::ClientContext context;
  server::PrepareClientContext(&context, token, deadline);
  dispatch::v1::Task response;
  grpc::Status status = stub->CreateTask(&context, request, &response);
  if (!status.ok()) return server::FromGrpcStatus(status);
  return response.task_id();
}

absl::StatusOr<gate::v1::Occupancy> GetOccupancy(const std::shared_ptr<grpc::Channel>& channel,
                                                 const std::string& token,
                                                 absl::string_view site_id) {
  auto stub = gate::v1::GateService::NewStub(channel);
  grpc::ClientContext context;
  server::PrepareClientContext(&context, token, absl::Seconds(30));
  gate::v1::GetOccupancyRequest request;
  request.set_site_id(std::string(site_id));
  gate::v1::Occupancy occupancy;
  grpc::Status status = stub->GetOccupancy(&context, request, &occupancy);
  if (!status.ok()) return server::FromGrpcStatus(status);
  return occupancy;
}

absl::Status GateRedisMatches(int redis_port, absl::string_view site_id,
                              const gate::v1::Occupancy& truth) {
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  absl::StatusOr<std::string> live = redis::LiveKey(redis::kGate, site_id);
  absl::StatusOr<std::string> day = redis::DayKey(redis::kGate, site_id, today);
  if (!live.ok()) return live.status();
  if (!day.ok()) return day.status();
  const std::vector<std::pair<std::string, std::pair<std::string, int>>> fields = {
      {*live, {redis::kFieldOnsite, truth.onsite()}},
      {*day, {redis::kFieldEntries, truth.entries_today()}},
      {*day, {redis::kFieldExits, truth.exits_today()}},
      {*day, {redis::kFieldDenied, truth.denied_today()}},
      {*day, {redis::kFieldFevers, truth.fevers_today()}},
  };
  std::vector<std::string> differences;
  for (const auto& [key, field] : fields) {
    absl::StatusOr<std::string> value =
        testing::RedisCommandForTest(redis_port, {"HGET", key, field.first});
    if (!value.ok()) return value.status();
    const std::string got = value->empty() ? "0" : *value;
    const std::string want = absl::StrCat(field.second);
    if (got != want) {
      differences.push_back(absl::StrCat(site_id, " ", field.first, ": redis ",
                                         value->empty() ? "(none)" : *value, ", sql ", want));
    }
  }
  if (differences.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrJoin(differences, "; "));
}

}  // namespace lianfang::reliability
