// Checks the generated API (every lianfang.*.v1 file, as linked into lf_proto) against the
// rules of API.md: declared roles on every method, request ids on mutating methods,
// pagination on lists, *_UNSPECIFIED enum zeros, the names the contract lists.
//
// Read-only rule used here and by the services: a method whose name starts with Get, List,
// Watch or Export reads; every other method mutates and so takes a `request_id`.

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/common/v1/access.pb.h"
#include "lianfang/common/v1/common.pb.h"
#include "lianfang/proto_registry.h"

namespace lianfang {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::DescriptorPool;
using ::google::protobuf::EnumDescriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::FileDescriptor;
using ::google::protobuf::MethodDescriptor;
using ::google::protobuf::ServiceDescriptor;
using ::lianfang::common::v1::Role;
using ::testing::ElementsAre;
using ::testing::IsSupersetOf;
using ::testing::UnorderedElementsAreArray;

constexpr const char* kApiFiles[] = {
    "lianfang/common/v1/common.proto",   "lianfang/common/v1/access.proto",
    "lianfang/gate/v1/gate.proto",       "lianfang/survey/v1/survey.proto",
    "lianfang/dispatch/v1/dispatch.proto", "lianfang/report/v1/report.proto",
    "lianfang/gateway/v1/gateway.proto", "lianfang/accounts/v1/accounts.proto",
    "lianfang/supplies/v1/supplies.proto",
};

const DescriptorPool& Pool() {
  EnsureApiDescriptorsLinked();
  return *DescriptorPool::generated_pool();
}

std::vector<const MethodDescriptor*> AllMethods() {
  std::vector<const MethodDescriptor*> methods;
  for (const ServiceDescriptor* service : ApiServices()) {
    for (int i = 0; i < service->method_count(); ++i) methods.push_back(service->method(i));
  }
  return methods;
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool IsAnonymous(const MethodDescriptor& method) {
  return method.options().GetExtension(common::v1::access).anonymous();
}

// The session exchanges: methods called without a token (they trade a password, a one-time code
// or a refresh token for a session) and SignOutEverywhere. Their answers carry secrets that the
// idempotency store must never keep, and repeating them is harmless (a second session, or a
// refusal), so they take no request_id.
bool IsSessionExchange(const MethodDescriptor& method) {
  return IsAnonymous(method) ||
         method.full_name() == "lianfang.accounts.v1.AccountsService.SignOutEverywhere";
}

bool IsReadOnly(const MethodDescriptor& method) {
  // TraceFood (supplies) reads the canteen register by merchant or batch.
  for (const char* prefix : {"Get", "List", "Watch", "Export", "Trace"}) {
    if (StartsWith(method.name(), prefix)) return true;
  }
  return false;
}

std::set<Role> RolesOf(const MethodDescriptor& method) {
  std::set<Role> roles;
  for (int role : method.options().GetExtension(common::v1::access).roles()) {
    roles.insert(static_cast<Role>(role));
  }
  return roles;
}

const MethodDescriptor* FindMethod(const std::string& full_name) {
  return Pool().FindMethodByName(full_name);
}

// "DenyReason" -> "DENY_REASON".
std::string UpperSnake(const std::string& camel) {
  std::string out;
  for (size_t i = 0; i < camel.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(camel[i]);
    if (i > 0 && std::isupper(c)) out.push_back('_');
    out.push_back(static_cast<char>(std::toupper(c)));
  }
  return out;
}

void CollectEnums(const Descriptor& message, std::vector<const EnumDescriptor*>* out) {
  for (int i = 0; i < message.enum_type_count(); ++i) out->push_back(message.enum_type(i));
  for (int i = 0; i < message.nested_type_count(); ++i) CollectEnums(*message.nested_type(i), out);
}

std::vector<const EnumDescriptor*> AllEnums() {
  std::vector<const EnumDescriptor*> enums;
  for (const char* name : kApiFiles) {
    const FileDescriptor* file = Pool().FindFileByName(name);
    if (file == nullptr) continue;
    for (int i = 0; i < file->enum_type_count(); ++i) enums.push_back(file->enum_type(i));
    for (int i = 0; i < file->message_type_count(); ++i) CollectEnums(*file->message_type(i), &enums);
  }
  return enums;
}

void CollectMessages(const Descriptor& message, std::vector<const Descriptor*>* out) {
  if (message.options().map_entry()) return;
  out->push_back(&message);
  for (int i = 0; i < message.nested_type_count(); ++i) {
    CollectMessages(*message.nested_type(i), out);
  }
}

std::vector<const Descriptor*> AllMessages() {
  std::vector<const Descriptor*> messages;
  for (const char* name : kApiFiles) {
    const FileDescriptor* file = Pool().FindFileByName(name);
    if (file == nullptr) continue;
    for (int i = 0; i < file->message_type_count(); ++i) {
      CollectMessages(*file->message_type(i), &messages);
    }
  }
  return messages;
}

std::vector<std::string> FieldNames(const Descriptor& message) {
  std::vector<std::string> names;
  for (int i = 0; i < message.field_count(); ++i) names.push_back(message.field(i)->name());
  return names;
}

std::vector<std::string> MethodNames(const ServiceDescriptor& service) {
  std::vector<std::string> names;
  for (int i = 0; i < service.method_count(); ++i) names.push_back(service.method(i)->name());
  return names;
}

std::vector<std::string> ValueNames(const EnumDescriptor& e) {
  std::vector<std::string> names;
  for (int i = 0; i < e.value_count(); ++i) names.push_back(e.value(i)->name());
  return names;
}

void ExpectStringField(const Descriptor& message, const std::string& name) {
  const FieldDescriptor* field = message.FindFieldByName(name);
  ASSERT_NE(field, nullptr) << message.full_name() << " has no field " << name;
  EXPECT_EQ(field->type(), FieldDescriptor::TYPE_STRING) << field->full_name();
  EXPECT_FALSE(field->is_repeated()) << field->full_name();
}

TEST(ApiContractTest, EveryApiFileAndServiceIsInTheGeneratedPool) {
  for (const char* name : kApiFiles) {
    EXPECT_NE(Pool().FindFileByName(name), nullptr) << name;
  }
  std::vector<std::string> services;
  for (const ServiceDescriptor* service : ApiServices()) {
    ASSERT_NE(service, nullptr);
    services.push_back(service->full_name());
  }
  EXPECT_THAT(services, ElementsAre("lianfang.gate.v1.GateService", "lianfang.survey.v1.SurveyService",
                                    "lianfang.dispatch.v1.DispatchService",
                                    "lianfang.report.v1.ReportService",
                                    "lianfang.gateway.v1.GatewayService",
                                    "lianfang.accounts.v1.AccountsService",
                                    "lianfang.supplies.v1.SuppliesService"));
}

TEST(ApiContractTest, AccessOptionIsExtension50601OfMethodOptions) {
  const FieldDescriptor* access = Pool().FindExtensionByName("lianfang.common.v1.access");
  ASSERT_NE(access, nullptr);
  EXPECT_EQ(access->number(), 50601);
  EXPECT_EQ(access->containing_type()->full_name(), "google.protobuf.MethodOptions");
  EXPECT_EQ(access->message_type()->full_name(), "lianfang.common.v1.AccessRule");
}

TEST(ApiContractTest, EveryMethodDeclaresRolesWithoutUnspecified) {
  const std::vector<const MethodDescriptor*> methods = AllMethods();
  ASSERT_GT(methods.size(), 50u);
  for (const MethodDescriptor* method : methods) {
    const auto& rule = method->options().GetExtension(common::v1::access);
    // Either roles or `anonymous` (signing in), never both, never neither.
    EXPECT_NE(rule.roles().empty(), rule.anonymous() == false)
        << method->full_name() << " must declare roles or be anonymous, not both";
    std::set<int> seen;
    for (int role : rule.roles()) {
      EXPECT_NE(role, common::v1::ROLE_UNSPECIFIED) << method->full_name();
      EXPECT_TRUE(common::v1::Role_IsValid(role)) << method->full_name();
      EXPECT_TRUE(seen.insert(role).second) << method->full_name() << " repeats a role";
    }
  }
}

TEST(ApiContractTest, OnlyTheSignInMethodsOfAccountsAreAnonymous) {
  std::vector<std::string> anonymous;
  for (const MethodDescriptor* method : AllMethods()) {
    if (IsAnonymous(*method)) anonymous.push_back(method->full_name());
  }
  EXPECT_THAT(anonymous, UnorderedElementsAreArray({
                             "lianfang.accounts.v1.AccountsService.Activate",
                             "lianfang.accounts.v1.AccountsService.SignIn",
                             "lianfang.accounts.v1.AccountsService.Refresh",
                             "lianfang.accounts.v1.AccountsService.SignOut",
                             "lianfang.accounts.v1.AccountsService.RedeemEnrollment",
                         }));
}

TEST(ApiContractTest, ListAuditEventsIsAdminOnlyOnEveryService) {
  for (const ServiceDescriptor* service : ApiServices()) {
    const MethodDescriptor* method = service->FindMethodByName("ListAuditEvents");
    ASSERT_NE(method, nullptr) << service->full_name();
    EXPECT_EQ(RolesOf(*method), std::set<Role>{common::v1::ROLE_ADMIN}) << service->full_name();
    EXPECT_EQ(method->input_type()->full_name(), "lianfang.common.v1.ListAuditEventsRequest");
    EXPECT_EQ(method->output_type()->full_name(), "lianfang.common.v1.ListAuditEventsResponse");
  }
}

TEST(ApiContractTest, OnlyAdminMaySeeTheAuditTrail) {
  for (const MethodDescriptor* method : AllMethods()) {
    if (method->output_type()->full_name() == "lianfang.common.v1.ListAuditEventsResponse") {
      EXPECT_EQ(method->name(), "ListAuditEvents") << method->full_name();
    }
  }
}

TEST(ApiContractTest, EveryMutatingMethodTakesARequestId) {
  int mutating = 0;
  for (const MethodDescriptor* method : AllMethods()) {
    if (IsReadOnly(*method) || IsSessionExchange(*method)) continue;
    ++mutating;
    SCOPED_TRACE(method->full_name());
    ExpectStringField(*method->input_type(), "request_id");
  }
  EXPECT_GT(mutating, 25);
}

TEST(ApiContractTest, ViewersNeverMutate) {
  for (const MethodDescriptor* method : AllMethods()) {
    // Ending one's own sessions is not a change of data, nor is the receipt of a notice one has
    // read (传达学习: every person acknowledges the notices addressed to it).
    if (IsReadOnly(*method) || IsSessionExchange(*method)) continue;
    if (method->full_name() == "lianfang.dispatch.v1.DispatchService.AcknowledgeNotice") continue;
    EXPECT_EQ(RolesOf(*method).count(common::v1::ROLE_VIEWER), 0u) << method->full_name();
  }
}

TEST(ApiContractTest, EveryListIsPaginated) {
  for (const MethodDescriptor* method : AllMethods()) {
    if (!StartsWith(method->name(), "List")) continue;
    // The supplies catalogue (tens of items) is listed whole, by code.
    if (method->full_name() == "lianfang.supplies.v1.SuppliesService.ListItems") continue;
    SCOPED_TRACE(method->full_name());
    const FieldDescriptor* page_size = method->input_type()->FindFieldByName("page_size");
    ASSERT_NE(page_size, nullptr);
    EXPECT_EQ(page_size->type(), FieldDescriptor::TYPE_INT32);
    ExpectStringField(*method->input_type(), "page_token");
    ExpectStringField(*method->output_type(), "next_page_token");
  }
}

TEST(ApiContractTest, RequestMessagesAreNamedAfterTheirMethod) {
  for (const MethodDescriptor* method : AllMethods()) {
    if (method->name() == "ListAuditEvents") continue;
    EXPECT_EQ(method->input_type()->name(), method->name() + "Request") << method->full_name();
    EXPECT_EQ(method->input_type()->file(), method->service()->file()) << method->full_name();
  }
}

TEST(ApiContractTest, OnlyTheWatchMethodsStreamAndOnlyFromTheServer) {
  std::vector<std::string> streaming;
  for (const MethodDescriptor* method : AllMethods()) {
    EXPECT_FALSE(method->client_streaming()) << method->full_name();
    if (method->server_streaming()) streaming.push_back(method->full_name());
  }
  EXPECT_THAT(streaming, UnorderedElementsAreArray({
                             "lianfang.gate.v1.GateService.WatchPassages",
                             "lianfang.dispatch.v1.DispatchService.WatchTasks",
                             "lianfang.dispatch.v1.DispatchService.WatchNotices",
                             "lianfang.gateway.v1.GatewayService.WatchDashboard",
                         }));
}

TEST(ApiContractTest, EveryEnumStartsWithAnUnspecifiedZeroAndSharesOnePrefix) {
  const std::vector<const EnumDescriptor*> enums = AllEnums();
  ASSERT_GT(enums.size(), 15u);
  for (const EnumDescriptor* e : enums) {
    SCOPED_TRACE(e->full_name());
    ASSERT_GT(e->value_count(), 1);
    EXPECT_EQ(e->value(0)->number(), 0);
    const std::string& zero = e->value(0)->name();
    ASSERT_TRUE(EndsWith(zero, "_UNSPECIFIED")) << zero;
    const std::string prefix = zero.substr(0, zero.size() - std::string("UNSPECIFIED").size());
    // Top-level enums are prefixed with their own name; a nested enum may take its message's
    // name (TaskEvent.Event values are TASK_EVENT_*).
    const bool own = prefix == UpperSnake(e->name()) + "_";
    const bool messages = e->containing_type() != nullptr &&
                          prefix == UpperSnake(e->containing_type()->name()) + "_";
    EXPECT_TRUE(own || messages) << "prefix " << prefix;
    for (int i = 0; i < e->value_count(); ++i) {
      EXPECT_TRUE(StartsWith(e->value(i)->name(), prefix)) << e->value(i)->name();
    }
  }
}

TEST(ApiContractTest, EveryGetDailyStatsTakesADateAndAnOptionalSiteAndAnswersPerSite) {
  std::vector<std::string> services;
  for (const MethodDescriptor* method : AllMethods()) {
    if (method->name() != "GetDailyStats") continue;
    SCOPED_TRACE(method->full_name());
    services.push_back(method->service()->name());
    ExpectStringField(*method->input_type(), "date");
    ExpectStringField(*method->input_type(), "site_id");
    ExpectStringField(*method->output_type(), "date");
    const FieldDescriptor* stats = method->output_type()->FindFieldByName("stats");
    ASSERT_NE(stats, nullptr);
    EXPECT_TRUE(stats->is_repeated());
    ASSERT_EQ(stats->type(), FieldDescriptor::TYPE_MESSAGE);
    ExpectStringField(*stats->message_type(), "site_id");
  }
  EXPECT_THAT(services, UnorderedElementsAreArray({"GateService", "SurveyService",
                                                   "DispatchService", "SuppliesService"}));
}

// Field naming conventions of API.md: times are Timestamps, calendar days are strings,
// temperatures are doubles, ids are strings.
TEST(ApiContractTest, TimesDatesTemperaturesAndIdsHaveTheContractTypes) {
  const std::set<std::string> time_names = {"as_of", "until", "deadline", "valid_until",
                                            "start_time", "end_time", "at", "on_duty_since"};
  const std::set<std::string> date_names = {"date", "start_date", "end_date", "arrived_on",
                                            "active_on"};
  for (const Descriptor* message : AllMessages()) {
    for (int i = 0; i < message->field_count(); ++i) {
      const FieldDescriptor* field = message->field(i);
      const std::string& name = field->name();
      SCOPED_TRACE(field->full_name());
      if (EndsWith(name, "_at") || time_names.count(name) > 0) {
        ASSERT_EQ(field->type(), FieldDescriptor::TYPE_MESSAGE);
        EXPECT_EQ(field->message_type()->full_name(), "google.protobuf.Timestamp");
      }
      if (date_names.count(name) > 0) {
        EXPECT_EQ(field->type(), FieldDescriptor::TYPE_STRING);
      }
      if (name == "temperature_c" || EndsWith(name, "_threshold_c")) {
        EXPECT_EQ(field->type(), FieldDescriptor::TYPE_DOUBLE);
      }
      if (EndsWith(name, "_id") || EndsWith(name, "_ids") || name == "person_key") {
        EXPECT_EQ(field->type(), FieldDescriptor::TYPE_STRING);
      }
    }
  }
}

// The method names API.md lists for each service (more may exist, none may be missing).
TEST(ApiContractTest, EveryMethodNamedInTheContractExists) {
  const std::map<std::string, std::vector<std::string>> contract = {
      {"lianfang.gate.v1.GateService",
       {"RecordPassage", "BatchRecordPassages", "GetOccupancy", "ListPassages", "WatchPassages",
        "IssuePass", "RevokePass", "ListPasses", "PlaceHold", "ReleaseHold", "RegisterVehicle",
        "StartDuty", "EndDuty", "ListDuty", "GetDailyStats", "ListAuditEvents", "ListOnsite"}},
      {"lianfang.survey.v1.SurveyService",
       {"UpsertHousehold", "ListHouseholds", "RegisterResident", "VerifyTenant", "RecordMovement",
        "ListObservations", "EndObservation", "SubmitHealthReport", "ListMissingReports",
        "GetCoverage", "GetDailyStats", "ListAuditEvents", "UpdateRiskRegions"}},
      {"lianfang.dispatch.v1.DispatchService",
       {"CreateTeam", "ListTeams", "EnrollVolunteer", "RecordPledge", "SetOnDuty",
        "ListVolunteers", "CreateTask", "AssignTask", "ClaimTask", "StartTask", "CompleteTask",
        "CancelTask", "GetTask", "ListTasks", "WatchTasks", "CreateSchedule", "ListSchedules",
        "PauseSchedule", "GetDailyStats", "ListAuditEvents", "PublishNotice", "ListNotices",
        "AcknowledgeNotice", "GetNoticeReceipts", "WatchNotices", "PublishInitiative",
        "GetInitiative", "GetVolunteerRecord", "CreatePlan", "ListPlans", "ActivatePlan",
        "GetActivation", "EndActivation"}},
      {"lianfang.report.v1.ReportService",
       {"GenerateDailyReport", "SubmitDailyReport", "GetDailyReport", "ListDailyReports",
        "ExportDailyReport", "GetReportingStatus", "ListAuditEvents"}},
      {"lianfang.gateway.v1.GatewayService", {"GetDashboard", "WatchDashboard", "ListAuditEvents"}},
      {"lianfang.accounts.v1.AccountsService",
       {"CreateUser", "ListUsers", "GetUser", "DisableUser", "EnableUser", "ResetActivation",
        "Activate", "SignIn", "Refresh", "SignOut", "SignOutEverywhere", "CreateEnrollment",
        "RedeemEnrollment", "ListDevices", "RevokeDevice", "ListAuditEvents"}},
  };
  for (const auto& [service_name, methods] : contract) {
    const ServiceDescriptor* service = Pool().FindServiceByName(service_name);
    ASSERT_NE(service, nullptr) << service_name;
    EXPECT_THAT(MethodNames(*service), IsSupersetOf(methods)) << service_name;
  }
}

// The fields API.md lists for each message (more may exist, none may be missing).
TEST(ApiContractTest, EveryFieldNamedInTheContractExists) {
  const std::map<std::string, std::vector<std::string>> contract = {
      {"lianfang.common.v1.PersonInput", {"id_number", "name", "phone"}},
      {"lianfang.common.v1.Site", {"id", "name", "kind", "gates", "policy"}},
      {"lianfang.common.v1.SitePolicy",
       {"outsiders_allowed", "outside_vehicles_allowed", "fever_threshold_c", "capacity"}},
      {"lianfang.common.v1.AuditEvent",
       {"event_id", "subject", "role", "method", "object", "request_id", "at", "outcome"}},
      // Gate.
      {"lianfang.gate.v1.RecordPassageRequest",
       {"request_id", "site_id", "gate_id", "direction", "person", "pass_code", "temperature_c",
        "vehicle_plate", "captured_at"}},
      {"lianfang.gate.v1.Passage",
       {"passage_id", "site_id", "gate_id", "direction", "decision", "deny_reason", "person_key",
        "id_masked", "name_masked", "temperature_c", "vehicle_plate", "captured_at", "recorded_at",
        "guard"}},
      {"lianfang.gate.v1.RecordPassageResponse", {"passage", "onsite", "replayed"}},
      {"lianfang.gate.v1.BatchRecordPassagesRequest", {"requests"}},
      {"lianfang.gate.v1.BatchRecordPassagesResponse", {"responses"}},
      {"lianfang.gate.v1.GetOccupancyRequest", {"site_id"}},
      {"lianfang.gate.v1.Occupancy",
       {"site_id", "onsite", "entries_today", "exits_today", "denied_today", "fevers_today",
        "as_of"}},
      {"lianfang.gate.v1.ListOnsiteRequest", {"site_id", "page_size", "page_token"}},
      {"lianfang.gate.v1.ListOnsiteResponse", {"people", "next_page_token"}},
      {"lianfang.gate.v1.OnsitePerson",
       {"person_key", "id_masked", "name_masked", "since", "entry_gate_id"}},
      {"lianfang.gate.v1.ListPassagesRequest",
       {"site_id", "gate_id", "person_key", "decision", "start_time", "end_time", "page_size",
        "page_token"}},
      {"lianfang.gate.v1.ListPassagesResponse", {"passages", "next_page_token"}},
      {"lianfang.gate.v1.WatchPassagesRequest", {"site_id"}},
      {"lianfang.gate.v1.IssuePassRequest",
       {"request_id", "site_id", "person", "kind", "valid_until"}},
      {"lianfang.gate.v1.Pass",
       {"pass_code", "site_id", "person_key", "id_masked", "name_masked", "kind", "valid_until",
        "revoked"}},
      {"lianfang.gate.v1.RevokePassRequest", {"request_id", "pass_code"}},
      {"lianfang.gate.v1.ListPassesRequest", {"site_id", "page_size", "page_token"}},
      {"lianfang.gate.v1.PlaceHoldRequest", {"request_id", "person_key", "reason", "until"}},
      {"lianfang.gate.v1.ReleaseHoldRequest", {"request_id", "person_key"}},
      {"lianfang.gate.v1.RegisterVehicleRequest",
       {"request_id", "site_id", "plate", "owner_person_key"}},
      {"lianfang.gate.v1.StartDutyRequest", {"request_id", "site_id", "gate_id"}},
      {"lianfang.gate.v1.EndDutyRequest", {"request_id", "site_id", "gate_id"}},
      {"lianfang.gate.v1.ListDutyRequest", {"site_id"}},
      {"lianfang.gate.v1.GetDailyStatsRequest", {"date", "site_id"}},
      {"lianfang.gate.v1.DailyStats",
       {"site_id", "entries", "exits", "denied", "fevers", "denied_by_reason", "peak_onsite",
        "gates_without_guard_minutes"}},
      // Survey.
      {"lianfang.survey.v1.UpsertHouseholdRequest", {"request_id", "household"}},
      {"lianfang.survey.v1.Household",
       {"household_id", "site_id", "building", "unit", "room", "kind", "landlord_name",
        "landlord_phone", "surveyed_at", "resident_count"}},
      {"lianfang.survey.v1.ListHouseholdsRequest",
       {"site_id", "only_unsurveyed", "page_size", "page_token"}},
      {"lianfang.survey.v1.RegisterResidentRequest",
       {"request_id", "household_id", "person", "relation", "is_tenant"}},
      {"lianfang.survey.v1.Resident",
       {"resident_id", "household_id", "person_key", "id_masked", "name_masked", "phone_masked",
        "is_tenant", "tenant_status", "name", "phone"}},
      {"lianfang.survey.v1.VerifyTenantRequest", {"request_id", "resident_id", "outcome", "note"}},
      {"lianfang.survey.v1.RecordMovementRequest",
       {"request_id", "person_key", "person", "from_region", "arrived_on", "transport", "note"}},
      {"lianfang.survey.v1.Movement", {"observation"}},
      {"lianfang.survey.v1.Observation", {"person_key", "start_date", "end_date"}},
      {"lianfang.survey.v1.ListObservationsRequest",
       {"site_id", "active_on", "page_size", "page_token"}},
      {"lianfang.survey.v1.EndObservationRequest", {"request_id", "person_key"}},
      {"lianfang.survey.v1.SubmitHealthReportRequest",
       {"request_id", "person_key", "person", "date", "temperature_c", "symptoms", "note"}},
      {"lianfang.survey.v1.ListMissingReportsRequest",
       {"site_id", "date", "page_size", "page_token"}},
      {"lianfang.survey.v1.ListMissingReportsResponse", {"residents", "next_page_token"}},
      {"lianfang.survey.v1.GetCoverageRequest", {"site_id"}},
      {"lianfang.survey.v1.GetCoverageResponse",
       {"households_total", "households_surveyed", "residents", "tenants_total", "tenants_verified",
        "tenants_pending", "under_observation", "reports_today", "reports_missing_today"}},
      {"lianfang.survey.v1.GetDailyStatsRequest", {"date", "site_id"}},
      // Dispatch.
      {"lianfang.dispatch.v1.CreateTeamRequest", {"request_id", "name", "site_ids", "leader_sub"}},
      {"lianfang.dispatch.v1.Team", {"team_id", "name", "site_ids", "leader_sub"}},
      {"lianfang.dispatch.v1.ListTeamsResponse", {"teams"}},
      {"lianfang.dispatch.v1.EnrollVolunteerRequest",
       {"request_id", "team_id", "person", "user_sub", "party_member"}},
      {"lianfang.dispatch.v1.Volunteer",
       {"volunteer_id", "team_id", "user_sub", "name_masked", "party_member", "pledged_at",
        "on_duty", "minutes_on_duty_today", "overworked"}},
      {"lianfang.dispatch.v1.RecordPledgeRequest",
       {"request_id", "volunteer_id", "text", "initiative_id"}},
      {"lianfang.dispatch.v1.RecordPledgeResponse", {"volunteer", "initiative"}},
      {"lianfang.dispatch.v1.PublishInitiativeRequest",
       {"request_id", "title", "body", "site_ids"}},
      {"lianfang.dispatch.v1.Initiative",
       {"initiative_id", "title", "body", "site_ids", "published_by", "published_at",
        "pledged_count", "party_members_pledged", "teams", "pledged_by_caller"}},
      {"lianfang.dispatch.v1.InitiativeTeamCount",
       {"team_id", "team_name", "volunteers", "party_members", "pledged", "party_members_pledged"}},
      {"lianfang.dispatch.v1.GetVolunteerRecordRequest", {"volunteer_id", "from_date", "to_date"}},
      {"lianfang.dispatch.v1.VolunteerRecord",
       {"volunteer_id", "team_id", "name_masked", "from_date", "to_date", "minutes_on_duty",
        "tasks_done", "days"}},
      {"lianfang.dispatch.v1.TaskSummary", {"volunteers_on_duty", "volunteers_overworked"}},
      {"lianfang.dispatch.v1.SetOnDutyRequest", {"request_id", "on_duty"}},
      {"lianfang.dispatch.v1.ListVolunteersRequest", {"team_id", "page_size", "page_token"}},
      {"lianfang.dispatch.v1.CreateTaskRequest", {"request_id", "task", "auto_assign"}},
      {"lianfang.dispatch.v1.Task",
       {"task_id", "kind", "site_id", "location", "title", "details", "priority", "due_at",
        "team_id", "assignee_volunteer_id", "status", "overdue", "created_by", "assigned_at",
        "started_at", "completed_at", "completion_note"}},
      {"lianfang.dispatch.v1.AssignTaskRequest", {"request_id", "task_id", "volunteer_id"}},
      {"lianfang.dispatch.v1.ClaimTaskRequest", {"request_id", "task_id"}},
      {"lianfang.dispatch.v1.StartTaskRequest", {"request_id", "task_id"}},
      {"lianfang.dispatch.v1.CompleteTaskRequest", {"request_id", "task_id", "note"}},
      {"lianfang.dispatch.v1.CancelTaskRequest", {"request_id", "task_id", "reason"}},
      {"lianfang.dispatch.v1.GetTaskRequest", {"task_id"}},
      {"lianfang.dispatch.v1.ListTasksRequest",
       {"team_id", "site_id", "status", "kind", "assignee", "overdue_only", "page_size",
        "page_token"}},
      {"lianfang.dispatch.v1.WatchTasksRequest", {"team_id"}},
      {"lianfang.dispatch.v1.TaskEvent", {"task", "event"}},
      {"lianfang.dispatch.v1.CreateScheduleRequest",
       {"request_id", "kind", "site_id", "areas", "times_of_day", "team_id", "duration_minutes"}},
      {"lianfang.dispatch.v1.PauseScheduleRequest", {"request_id", "schedule_id", "paused"}},
      {"lianfang.dispatch.v1.DailyStats",
       {"site_id", "tasks_created", "tasks_done", "tasks_overdue", "disinfection_planned",
        "disinfection_done", "volunteers_on_duty"}},
      // Report.
      {"lianfang.report.v1.GenerateDailyReportRequest", {"request_id", "date", "site_ids"}},
      {"lianfang.report.v1.DailyReport",
       {"report_id", "date", "version", "status", "sites", "totals", "incomplete_sources",
        "generated_at"}},
      {"lianfang.report.v1.SubmitDailyReportRequest", {"request_id", "report_id"}},
      {"lianfang.report.v1.GetDailyReportRequest", {"report_id"}},
      {"lianfang.report.v1.ListDailyReportsRequest",
       {"start_date", "end_date", "page_size", "page_token"}},
      {"lianfang.report.v1.ExportDailyReportRequest", {"report_id", "format"}},
      {"lianfang.report.v1.ExportDailyReportResponse", {"filename", "content_type", "content"}},
      {"lianfang.report.v1.GetReportingStatusRequest", {"date"}},
      {"lianfang.report.v1.GetReportingStatusResponse", {"date", "deadline", "sites"}},
      {"lianfang.report.v1.SiteReportingStatus",
       {"site_id", "submitted", "report_id", "submitted_at"}},
      // Gateway.
      {"lianfang.gateway.v1.GetDashboardRequest", {"site_ids"}},
      {"lianfang.gateway.v1.WatchDashboardRequest", {"site_ids"}},
      {"lianfang.gateway.v1.Dashboard", {"as_of", "source", "sites", "totals", "services"}},
      {"lianfang.gateway.v1.SiteLive",
       {"site_id",
        "name",
        "kind",
        "onsite",
        "entries_today",
        "exits_today",
        "denied_today",
        "fevers_today",
        "households_total",
        "households_surveyed",
        "residents",
        "tenants_pending",
        "under_observation",
        "reports_today",
        "reports_missing_today",
        "tasks_open",
        "tasks_in_progress",
        "tasks_done_today",
        "tasks_overdue",
        "volunteers_on_duty",
        "gates_without_guard"}},
      {"lianfang.gateway.v1.ServiceHealth", {"name", "status", "latency_ms"}},
      // Notices.
      {"lianfang.dispatch.v1.NoticeAudience", {"all", "site_ids", "team_ids", "roles"}},
      {"lianfang.dispatch.v1.Notice",
       {"notice_id", "title", "body", "audience", "requires_study", "published_by",
        "published_at", "read_at", "studied_at", "addressed_count", "read_count",
        "studied_count"}},
      {"lianfang.dispatch.v1.ListNoticesResponse", {"notices", "next_page_token", "unread_count"}},
      {"lianfang.dispatch.v1.AcknowledgeNoticeRequest", {"request_id", "notice_id", "studied"}},
      {"lianfang.dispatch.v1.NoticeReceipt",
       {"user_sub", "volunteer_id", "team_id", "name_masked", "read_at", "studied_at",
        "site_ids"}},
      {"lianfang.dispatch.v1.NoticeReceiptGroup",
       {"team_id", "site_id", "addressed", "read", "studied"}},
      {"lianfang.dispatch.v1.NoticeEvent", {"notice", "event", "at", "actor"}},
  };
  for (const auto& [message_name, fields] : contract) {
    const Descriptor* message = Pool().FindMessageTypeByName(message_name);
    ASSERT_NE(message, nullptr) << message_name;
    EXPECT_THAT(FieldNames(*message), IsSupersetOf(fields)) << message_name;
  }
}

// The enum values API.md lists, exactly (an added value changes the contract).
TEST(ApiContractTest, EveryEnumValueNamedInTheContractExists) {
  const std::map<std::string, std::vector<std::string>> contract = {
      {"lianfang.common.v1.Role",
       {"ROLE_UNSPECIFIED", "ROLE_ADMIN", "ROLE_LEADER", "ROLE_GUARD", "ROLE_VOLUNTEER",
        "ROLE_VIEWER", "ROLE_SERVICE"}},
      {"lianfang.common.v1.SiteKind",
       {"SITE_KIND_UNSPECIFIED", "SITE_KIND_CAMPUS", "SITE_KIND_FAMILY_AREA",
        "SITE_KIND_COMMUNITY", "SITE_KIND_VILLAGE"}},
      {"lianfang.gate.v1.Direction",
       {"DIRECTION_UNSPECIFIED", "DIRECTION_ENTRY", "DIRECTION_EXIT"}},
      {"lianfang.gate.v1.Decision",
       {"DECISION_UNSPECIFIED", "DECISION_ADMITTED", "DECISION_DENIED"}},
      {"lianfang.gate.v1.DenyReason",
       {"DENY_REASON_UNSPECIFIED", "DENY_REASON_FEVER", "DENY_REASON_NO_VALID_PASS",
        "DENY_REASON_UNDER_OBSERVATION", "DENY_REASON_VEHICLE_NOT_ALLOWED",
        "DENY_REASON_SITE_FULL", "DENY_REASON_NO_HEALTH_REPORT"}},
      {"lianfang.gate.v1.PassKind",
       {"PASS_KIND_UNSPECIFIED", "PASS_KIND_RESIDENT", "PASS_KIND_STAFF", "PASS_KIND_STUDENT",
        "PASS_KIND_TENANT", "PASS_KIND_VOLUNTEER", "PASS_KIND_VISITOR"}},
      {"lianfang.survey.v1.HouseholdKind",
       {"HOUSEHOLD_KIND_UNSPECIFIED", "HOUSEHOLD_KIND_OWNER_OCCUPIED", "HOUSEHOLD_KIND_RENTED",
        "HOUSEHOLD_KIND_DORMITORY", "HOUSEHOLD_KIND_VACANT"}},
      {"lianfang.survey.v1.TenantStatus",
       {"TENANT_STATUS_UNSPECIFIED", "TENANT_STATUS_PENDING", "TENANT_STATUS_VERIFIED",
        "TENANT_STATUS_REJECTED"}},
      {"lianfang.survey.v1.Symptom",
       {"SYMPTOM_UNSPECIFIED", "SYMPTOM_FEVER", "SYMPTOM_COUGH", "SYMPTOM_FATIGUE",
        "SYMPTOM_SHORTNESS_OF_BREATH", "SYMPTOM_OTHER"}},
      {"lianfang.dispatch.v1.TaskKind",
       {"TASK_KIND_UNSPECIFIED", "TASK_KIND_DISINFECTION", "TASK_KIND_DOOR_TO_DOOR_SURVEY",
        "TASK_KIND_TENANT_VERIFICATION", "TASK_KIND_PUBLICITY", "TASK_KIND_SUPPLY_DELIVERY",
        "TASK_KIND_GATE_DUTY", "TASK_KIND_FEVER_FOLLOWUP", "TASK_KIND_OTHER"}},
      {"lianfang.dispatch.v1.Priority",
       {"PRIORITY_UNSPECIFIED", "PRIORITY_LOW", "PRIORITY_NORMAL", "PRIORITY_HIGH",
        "PRIORITY_URGENT"}},
      {"lianfang.dispatch.v1.TaskStatus",
       {"TASK_STATUS_UNSPECIFIED", "TASK_STATUS_OPEN", "TASK_STATUS_ASSIGNED",
        "TASK_STATUS_IN_PROGRESS", "TASK_STATUS_DONE", "TASK_STATUS_CANCELLED"}},
      {"lianfang.dispatch.v1.TaskEvent.Event",
       {"TASK_EVENT_UNSPECIFIED", "TASK_EVENT_CREATED", "TASK_EVENT_ASSIGNED",
        "TASK_EVENT_STARTED", "TASK_EVENT_DONE", "TASK_EVENT_CANCELLED"}},
      {"lianfang.dispatch.v1.NoticeEvent.Event",
       {"NOTICE_EVENT_UNSPECIFIED", "NOTICE_EVENT_PUBLISHED", "NOTICE_EVENT_ACKNOWLEDGED"}},
      {"lianfang.report.v1.ReportStatus",
       {"REPORT_STATUS_UNSPECIFIED", "REPORT_STATUS_DRAFT", "REPORT_STATUS_SUBMITTED"}},
      {"lianfang.report.v1.ExportFormat",
       {"EXPORT_FORMAT_UNSPECIFIED", "EXPORT_FORMAT_CSV", "EXPORT_FORMAT_JSON",
        "EXPORT_FORMAT_MARKDOWN", "EXPORT_FORMAT_HTML"}},
      {"lianfang.gateway.v1.Source", {"SOURCE_UNSPECIFIED", "SOURCE_CACHE", "SOURCE_SERVICES"}},
  };
  for (const auto& [enum_name, values] : contract) {
    const EnumDescriptor* e = Pool().FindEnumTypeByName(enum_name);
    ASSERT_NE(e, nullptr) << enum_name;
    EXPECT_THAT(ValueNames(*e), testing::ElementsAreArray(values)) << enum_name;
  }
}

// The role decisions the rest of the system relies on (service-to-service calls, leader-only
// management, viewers on reporting), checked method by method.
TEST(ApiContractTest, RolePolicyGrantsWhatCallersRelyOn) {
  using common::v1::ROLE_ADMIN;
  using common::v1::ROLE_GUARD;
  using common::v1::ROLE_LEADER;
  using common::v1::ROLE_SERVICE;
  using common::v1::ROLE_VIEWER;
  using common::v1::ROLE_VOLUNTEER;
  struct Grant {
    const char* method;
    Role role;
  };
  const Grant grants[] = {
      // Service-to-service calls.
      {"lianfang.gate.v1.GateService.IssuePass", ROLE_SERVICE},
      {"lianfang.gate.v1.GateService.PlaceHold", ROLE_SERVICE},
      {"lianfang.gate.v1.GateService.ReleaseHold", ROLE_SERVICE},
      {"lianfang.gate.v1.GateService.GetDailyStats", ROLE_SERVICE},
      {"lianfang.gate.v1.GateService.GetOccupancy", ROLE_SERVICE},
      {"lianfang.dispatch.v1.DispatchService.CreateTask", ROLE_SERVICE},
      {"lianfang.dispatch.v1.DispatchService.GetDailyStats", ROLE_SERVICE},
      {"lianfang.survey.v1.SurveyService.GetDailyStats", ROLE_SERVICE},
      {"lianfang.survey.v1.SurveyService.GetCoverage", ROLE_SERVICE},
      // Guards at the gate.
      {"lianfang.gate.v1.GateService.RecordPassage", ROLE_GUARD},
      {"lianfang.gate.v1.GateService.BatchRecordPassages", ROLE_GUARD},
      {"lianfang.gate.v1.GateService.StartDuty", ROLE_GUARD},
      {"lianfang.gate.v1.GateService.EndDuty", ROLE_GUARD},
      {"lianfang.gate.v1.GateService.GetOccupancy", ROLE_GUARD},
      {"lianfang.gate.v1.GateService.WatchPassages", ROLE_GUARD},
      // Volunteers on survey entry and their own tasks.
      {"lianfang.survey.v1.SurveyService.UpsertHousehold", ROLE_VOLUNTEER},
      {"lianfang.survey.v1.SurveyService.RegisterResident", ROLE_VOLUNTEER},
      {"lianfang.survey.v1.SurveyService.SubmitHealthReport", ROLE_VOLUNTEER},
      {"lianfang.dispatch.v1.DispatchService.ClaimTask", ROLE_VOLUNTEER},
      {"lianfang.dispatch.v1.DispatchService.StartTask", ROLE_VOLUNTEER},
      {"lianfang.dispatch.v1.DispatchService.CompleteTask", ROLE_VOLUNTEER},
      {"lianfang.dispatch.v1.DispatchService.SetOnDuty", ROLE_VOLUNTEER},
      {"lianfang.dispatch.v1.DispatchService.ListTasks", ROLE_VOLUNTEER},
      {"lianfang.dispatch.v1.DispatchService.GetTask", ROLE_VOLUNTEER},
      {"lianfang.dispatch.v1.DispatchService.WatchTasks", ROLE_VOLUNTEER},
      {"lianfang.dispatch.v1.DispatchService.ListTeams", ROLE_VOLUNTEER},
      {"lianfang.dispatch.v1.DispatchService.ListInitiatives", ROLE_VOLUNTEER},
      {"lianfang.dispatch.v1.DispatchService.GetVolunteerRecord", ROLE_VOLUNTEER},
      // Viewers on read-only reporting.
      {"lianfang.report.v1.ReportService.GetDailyReport", ROLE_VIEWER},
      {"lianfang.report.v1.ReportService.ListDailyReports", ROLE_VIEWER},
      {"lianfang.report.v1.ReportService.ExportDailyReport", ROLE_VIEWER},
      {"lianfang.report.v1.ReportService.GetReportingStatus", ROLE_VIEWER},
      {"lianfang.gateway.v1.GatewayService.GetDashboard", ROLE_VIEWER},
      {"lianfang.gateway.v1.GatewayService.WatchDashboard", ROLE_VIEWER},
      {"lianfang.gate.v1.GateService.GetOccupancy", ROLE_VIEWER},
      {"lianfang.gate.v1.GateService.GetDailyStats", ROLE_VIEWER},
      {"lianfang.survey.v1.SurveyService.GetCoverage", ROLE_VIEWER},
      {"lianfang.survey.v1.SurveyService.GetDailyStats", ROLE_VIEWER},
      {"lianfang.dispatch.v1.DispatchService.GetDailyStats", ROLE_VIEWER},
      // Leaders manage the people and gate phones of their sites.
      {"lianfang.accounts.v1.AccountsService.CreateUser", ROLE_LEADER},
      {"lianfang.accounts.v1.AccountsService.DisableUser", ROLE_LEADER},
      {"lianfang.accounts.v1.AccountsService.ResetActivation", ROLE_LEADER},
      {"lianfang.accounts.v1.AccountsService.CreateEnrollment", ROLE_LEADER},
      {"lianfang.accounts.v1.AccountsService.RevokeDevice", ROLE_LEADER},
      {"lianfang.accounts.v1.AccountsService.ListDevices", ROLE_LEADER},
      // Everyone signed in may end its own sessions.
      {"lianfang.accounts.v1.AccountsService.SignOutEverywhere", ROLE_GUARD},
      {"lianfang.accounts.v1.AccountsService.SignOutEverywhere", ROLE_VOLUNTEER},
  };
  for (const Grant& grant : grants) {
    const MethodDescriptor* method = FindMethod(grant.method);
    ASSERT_NE(method, nullptr) << grant.method;
    EXPECT_EQ(RolesOf(*method).count(grant.role), 1u)
        << grant.method << " does not admit " << common::v1::Role_Name(grant.role);
  }
  const std::set<Role> management = {ROLE_ADMIN, ROLE_LEADER};
  for (const char* name : {
           "lianfang.dispatch.v1.DispatchService.CreateTeam",
           "lianfang.dispatch.v1.DispatchService.AssignTask",
           "lianfang.dispatch.v1.DispatchService.CreateSchedule",
           "lianfang.dispatch.v1.DispatchService.PauseSchedule",
           "lianfang.dispatch.v1.DispatchService.CancelTask",
           "lianfang.report.v1.ReportService.GenerateDailyReport",
           "lianfang.report.v1.ReportService.SubmitDailyReport",
           "lianfang.survey.v1.SurveyService.EndObservation",
           "lianfang.gate.v1.GateService.RevokePass",
           "lianfang.gate.v1.GateService.RegisterVehicle",
           "lianfang.gate.v1.GateService.ListOnsite",
       }) {
    const MethodDescriptor* method = FindMethod(name);
    ASSERT_NE(method, nullptr) << name;
    EXPECT_EQ(RolesOf(*method), management) << name;
  }
}

// Guards work only with the gate service and volunteers never with it; the gateway serves no
// service-to-service callers. (Every person may end its own sessions: SignOutEverywhere, and
// reads the notices addressed to it: ListNotices, AcknowledgeNotice, WatchNotices of dispatch.)
TEST(ApiContractTest, RolesStayWithinTheirServices) {
  const std::set<std::string> notices = {"ListNotices", "AcknowledgeNotice", "WatchNotices"};
  for (const MethodDescriptor* method : AllMethods()) {
    if (IsSessionExchange(*method)) continue;
    if (method->service()->name() == "DispatchService" && notices.count(method->name()) > 0) {
      continue;
    }
    const std::set<Role> roles = RolesOf(*method);
    const std::string& service = method->service()->full_name();
    if (service != "lianfang.gate.v1.GateService") {
      EXPECT_EQ(roles.count(common::v1::ROLE_GUARD), 0u) << method->full_name();
    } else {
      EXPECT_EQ(roles.count(common::v1::ROLE_VOLUNTEER), 0u) << method->full_name();
    }
    if (service == "lianfang.gateway.v1.GatewayService") {
      EXPECT_EQ(roles.count(common::v1::ROLE_SERVICE), 0u) << method->full_name();
    }
  }
}

}  // namespace
}  // namespace lianfang
