// Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/), a few valid inputs
// each, so that fuzzing starts from requests that reach the handlers' deeper paths:
//
//   <build>/fuzz/lf_fuzz_seeds tests/fuzz/corpus
//
// Service targets: for every unary method an empty request as ADMIN, plus the requests of
// kRequests below (text format, in the role given), encoded as the targets read them
// (service_fuzzer.h): [method index][role index][request bytes]. jwt_fuzzer: signed tokens,
// refused ones and header/claims pairs; id_number_fuzzer: ID numbers, names and phones.
// Files are named after what they hold, so a rerun rewrites the same files.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "common/auth/jwt.h"
#include "common/auth/principal.h"
#include "common/pii/pii.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "tests/fuzz/fuzz_inputs.h"
#include "tests/fuzz/service_fuzzer.h"

namespace {

namespace fs = std::filesystem;
using lianfang::auth::Role;

// Role indexes as the targets read them (auth::kAllRoles).
constexpr int kAdmin = 0, kLeader = 1, kGuard = 2, kVolunteer = 3, kViewer = 4, kService = 5;

struct Seed {
  const char* service;  // full name
  const char* method;
  int role;
  const char* text;  // text format; @ID1@ @ID2@ are replaced by valid ID numbers
};

// 2026-03-11 09:30 +08:00 (a day after the targets' clock) and 2026-03-10 11:30 +08:00.
#define LF_TOMORROW "seconds: 1773192600"
#define LF_IN_2H "seconds: 1773113400"
#define LF_PERSON "person { id_number: \"@ID1@\" name: \"张小三\" phone: \"13812341234\" }"

constexpr char kGate[] = "lianfang.gate.v1.GateService";
constexpr char kSurvey[] = "lianfang.survey.v1.SurveyService";
constexpr char kDispatch[] = "lianfang.dispatch.v1.DispatchService";
constexpr char kReport[] = "lianfang.report.v1.ReportService";
constexpr char kAccounts[] = "lianfang.accounts.v1.AccountsService";
constexpr char kSupplies[] = "lianfang.supplies.v1.SuppliesService";

const Seed kRequests[] = {
    // ---- gate ----
    {kGate, "RecordPassage", kGuard,
     "request_id: \"seed-p1\" site_id: \"campus\" gate_id: \"east\" direction: "
     "DIRECTION_ENTRY " LF_PERSON " temperature_c: 36.5"},
    {kGate, "RecordPassage", kGuard,
     "request_id: \"seed-p2\" site_id: \"campus\" gate_id: \"north\" direction: "
     "DIRECTION_EXIT " LF_PERSON},
    {kGate, "RecordPassage", kGuard,
     "request_id: \"seed-p3\" site_id: \"community\" gate_id: \"main\" direction: DIRECTION_ENTRY "
     "person { id_number: \"@ID2@\" name: \"李小妮\" } temperature_c: 38.2 "
     "vehicle_plate: \"粤B·12345\""},
    {kGate, "RecordPassage", kGuard,
     "request_id: \"seed-p4\" site_id: \"family-area\" gate_id: \"south\" "
     "direction: DIRECTION_ENTRY pass_code: \"ABCD2345\" temperature_c: 36.6"},
    {kGate, "BatchRecordPassages", kGuard,
     "request_id: \"seed-b0\" requests { request_id: \"seed-b1\" site_id: \"village\" gate_id: "
     "\"checkpoint-1\" "
     "direction: DIRECTION_ENTRY " LF_PERSON " temperature_c: 36.4 } "
     "requests { request_id: \"seed-b2\" site_id: \"village\" gate_id: \"checkpoint-1\" "
     "direction: DIRECTION_EXIT " LF_PERSON " }"},
    {kGate, "IssuePass", kLeader,
     "request_id: \"seed-i1\" site_id: \"campus\" " LF_PERSON
     " kind: PASS_KIND_RESIDENT valid_until { " LF_TOMORROW " }"},
    {kGate, "RevokePass", kLeader,
     "request_id: \"seed-r1\" pass_code: \"ABCD2345\" reason: \"搬离\""},
    {kGate, "PlaceHold", kAdmin,
     "request_id: \"seed-h1\" "
     "person_key: \"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\" "
     "reason: \"密接\" until { " LF_TOMORROW " }"},
    {kGate, "ReleaseHold", kAdmin,
     "request_id: \"seed-h2\" "
     "person_key: \"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\""},
    {kGate, "NoteHealthReports", kService,
     "request_id: \"seed-n1\" notes { "
     "person_key: \"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\" "
     "last_report_date: \"2026-03-09\" expected: true }"},
    {kGate, "RegisterVehicle", kAdmin,
     "request_id: \"seed-v1\" site_id: \"campus\" plate: \"京A12345\""},
    {kGate, "StartDuty", kGuard, "request_id: \"seed-d1\" site_id: \"campus\" gate_id: \"east\""},
    {kGate, "EndDuty", kGuard, "request_id: \"seed-d2\" site_id: \"campus\" gate_id: \"east\""},
    {kGate, "GetOccupancy", kAdmin, "site_id: \"campus\""},
    {kGate, "ListPassages", kAdmin, "site_id: \"campus\" page_size: 10"},
    {kGate, "ListPasses", kAdmin, "site_id: \"campus\" include_inactive: true"},
    {kGate, "ListDuty", kAdmin, "site_id: \"campus\""},
    {kGate, "GetDailyStats", kAdmin, "date: \"2026-03-10\""},
    // ---- survey ----
    {kSurvey, "UpsertHousehold", kVolunteer,
     "request_id: \"seed-u1\" household { site_id: \"community\" building: \"3\" unit: \"2\" "
     "room: \"301\" kind: HOUSEHOLD_KIND_RENTED landlord_name: \"王五\" "
     "landlord_phone: \"13912345678\" } surveyed: true"},
    {kSurvey, "RegisterResident", kVolunteer,
     "request_id: \"seed-u2\" household_id: \"h-1\" " LF_PERSON
     " relation: \"户主\" is_tenant: true"},
    {kSurvey, "VerifyTenant", kLeader,
     "request_id: \"seed-u3\" resident_id: \"r-1\" outcome: TENANT_STATUS_VERIFIED"},
    {kSurvey, "RecordMovement", kVolunteer,
     "request_id: \"seed-m1\" " LF_PERSON
     " from_region: \"青川市\" arrived_on: \"2026-03-09\" transport: \"火车\" "
     "site_id: \"community\""},
    {kSurvey, "EndObservation", kLeader,
     "request_id: \"seed-m2\" "
     "person_key: \"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\""},
    {kSurvey, "SubmitHealthReport", kVolunteer,
     "request_id: \"seed-s1\" " LF_PERSON
     " date: \"2026-03-10\" temperature_c: 37.9 symptoms: SYMPTOM_FEVER"},
    {kSurvey, "ListHouseholds", kAdmin, "site_id: \"community\" page_size: 5"},
    {kSurvey, "UpdateRiskRegions", kLeader,
     "request_id: \"seed-rr1\" regions: \"青川市\" regions: \"南京市\""},
    {kSurvey, "GetRiskRegions", kVolunteer, ""},
    {kSurvey, "GetDailyStats", kAdmin, "date: \"2026-03-10\""},
    // ---- dispatch ----
    {kDispatch, "CreateTeam", kAdmin,
     "request_id: \"seed-t1\" name: \"消杀一队\" site_ids: \"campus\" leader_sub: \"leader-1\""},
    {kDispatch, "EnrollVolunteer", kLeader,
     "request_id: \"seed-t2\" team_id: \"t-1\" " LF_PERSON
     " user_sub: \"fuzz-volunteer\" party_member: true"},
    {kDispatch, "SetOnDuty", kVolunteer, "request_id: \"seed-t3\" on_duty: true"},
    {kDispatch, "CreateTask", kLeader,
     "request_id: \"seed-k1\" task { kind: TASK_KIND_DISINFECTION site_id: \"campus\" "
     "location: \"1号楼\" title: \"楼道消杀\" priority: PRIORITY_LOW due_at { " LF_IN_2H
     " } } auto_assign: true"},
    {kDispatch, "ClaimTask", kVolunteer, "request_id: \"seed-k2\" task_id: \"k-1\""},
    {kDispatch, "CreateSchedule", kLeader,
     "request_id: \"seed-c1\" kind: TASK_KIND_DISINFECTION site_id: \"campus\" "
     "areas: \"1号楼\" times_of_day: \"09:00\" duration_minutes: 60"},
    {kDispatch, "ListTasks", kAdmin, ""},
    {kDispatch, "GetDailyStats", kAdmin, "date: \"2026-03-10\""},
    // ---- report ----
    {kReport, "GenerateDailyReport", kLeader, "request_id: \"seed-g1\" date: \"2026-03-09\""},
    {kReport, "GenerateDailyReport", kLeader,
     "request_id: \"seed-g2\" date: \"2026-03-10\" site_ids: \"campus\" site_ids: \"village\""},
    {kReport, "SubmitDailyReport", kLeader, "request_id: \"seed-g3\" report_id: \"r-1\""},
    {kReport, "ExportDailyReport", kAdmin, "report_id: \"r-1\" format: EXPORT_FORMAT_CSV"},
    {kReport, "GetReportingStatus", kAdmin, "date: \"2026-03-09\""},
    // ---- accounts (accounts_fuzzer.cc makes "seed.user", active, and "seed.pending") ----
    {kAccounts, "CreateUser", kAdmin,
     "request_id: \"seed-u1\" login: \"Wang.Fang\" display_name: \"王芳\" role: ROLE_GUARD "
     "site_ids: \"campus\" phone: \"13812341234\""},
    {kAccounts, "CreateUser", kLeader,
     "request_id: \"seed-u2\" login: \"li-na_2\" display_name: \"李娜\" role: ROLE_VOLUNTEER "
     "site_ids: \"village\" team_id: \"team-1\""},
    {kAccounts, "SignIn", kAdmin, "login: \"seed.user\" password: \"fuzz-seed-passphrase\""},
    {kAccounts, "SignIn", kAdmin, "login: \"SEED.USER\" password: \"wrong-passphrase\""},
    {kAccounts, "SignIn", kAdmin, "login: \"nobody.here\" password: \"fuzz-seed-passphrase\""},
    {kAccounts, "Activate", kAdmin,
     "activation_code: \"ABCD-EFGH-JKLM\" password: \"a-new-passphrase\""},
    {kAccounts, "Refresh", kAdmin,
     "refresh_token: \"rt_0123456789abcdef0123456789abcdef\" app_version: \"1.0\" "
     "offline_queue_length: 3"},
    {kAccounts, "SignOut", kAdmin, "refresh_token: \"rt_0123456789abcdef\""},
    {kAccounts, "CreateEnrollment", kLeader,
     "request_id: \"seed-e1\" site_id: \"campus\" gate_id: \"east\""},
    {kAccounts, "RedeemEnrollment", kAdmin,
     "enrollment_code: \"12345678\" device_name: \"东门手机1\""},
    {kAccounts, "ListUsers", kLeader,
     "site_id: \"campus\" status: USER_STATUS_PENDING page_size: 2"},
    {kAccounts, "GetUser", kAdmin, "user_id: \"user-1\""},
    {kAccounts, "DisableUser", kAdmin, "request_id: \"seed-d1\" user_id: \"user-1\""},
    {kAccounts, "EnableUser", kAdmin, "request_id: \"seed-d2\" user_id: \"user-1\""},
    {kAccounts, "ResetActivation", kAdmin, "request_id: \"seed-r1\" user_id: \"user-2\""},
    {kAccounts, "ListDevices", kLeader, "site_id: \"campus\" page_size: 5"},
    {kAccounts, "RevokeDevice", kAdmin, "request_id: \"seed-v1\" device_id: \"device-1\""},
    {kAccounts, "ListAuditEvents", kAdmin, "page_size: 10"},
    // ---- supplies ----
    {kSupplies, "CreateItem", kAdmin,
     "request_id: \"seed-s1\" item { code: \"mask-n95\" name: \"N95口罩\" unit: \"个\" "
     "category: ITEM_CATEGORY_PROTECTION min_stock_per_site: 50 }"},
    {kSupplies, "CreateItem", kLeader,
     "request_id: \"seed-s2\" item { code: \"disinfectant-84\" name: \"84消毒液\" unit: \"ml\" "
     "category: ITEM_CATEGORY_DISINFECTION min_stock_per_site: 1000 }"},
    {kSupplies, "ListItems", kVolunteer, "category: ITEM_CATEGORY_PROTECTION"},
    {kSupplies, "ReceiveStock", kLeader,
     "request_id: \"seed-s3\" site_id: \"campus\" item_code: \"mask-n95\" quantity: 200 "
     "source: STOCK_SOURCE_PURCHASE batch: \"B2026-03\" expires_on: \"2027-03-01\" "
     "note: \"首批\""},
    {kSupplies, "IssueStock", kLeader,
     "request_id: \"seed-s4\" site_id: \"campus\" item_code: \"mask-n95\" quantity: 20 "
     "to { area: \"3号楼楼道\" } note: \"楼道值守\""},
    {kSupplies, "IssueStock", kVolunteer,
     "request_id: \"seed-s5\" site_id: \"campus\" item_code: \"mask-n95\" quantity: 5 "
     "to { task_id: \"task-1\" }"},
    {kSupplies, "IssueStock", kLeader,
     "request_id: \"seed-s6\" site_id: \"village\" item_code: \"disinfectant-84\" "
     "quantity: 500 to { household_id: \"hh-1\" }"},
    {kSupplies, "TransferStock", kAdmin,
     "request_id: \"seed-s7\" from_site_id: \"campus\" to_site_id: \"village\" "
     "item_code: \"mask-n95\" quantity: 10"},
    {kSupplies, "AdjustStock", kLeader,
     "request_id: \"seed-s8\" site_id: \"campus\" item_code: \"mask-n95\" "
     "counted_quantity: 150 reason: \"盘点：破损2个\""},
    {kSupplies, "GetStock", kService, "site_id: \"campus\" low_only: true"},
    {kSupplies, "ListMovements", kViewer,
     "site_id: \"campus\" kind: MOVEMENT_KIND_ISSUE page_size: 5 "
     "start_time { seconds: 1773000000 }"},
    {kSupplies, "ExportMovements", kAdmin,
     "filter { site_id: \"campus\" item_code: \"mask-n95\" }"},
    {kSupplies, "RecordDonation", kLeader,
     "request_id: \"seed-s9\" direction: DONATION_DIRECTION_RECEIVED "
     "donor_or_recipient: \"市红十字会\" kind: DONATION_KIND_MONEY amount_fen: 200000 "
     "campaign: \"2026春季疫情防控\" receipt_no: \"R-001\""},
    {kSupplies, "RecordDonation", kLeader,
     "request_id: \"seed-s10\" direction: DONATION_DIRECTION_RECEIVED "
     "donor_or_recipient: \"某超市\" kind: DONATION_KIND_IN_KIND amount_fen: 50000 "
     "item_code: \"mask-n95\" quantity: 100 site_id: \"campus\" batch: \"D-1\" "
     "expires_on: \"2027-01-01\" campaign: \"2026春季疫情防控\""},
    {kSupplies, "RecordDonation", kAdmin,
     "request_id: \"seed-s11\" direction: DONATION_DIRECTION_GIVEN "
     "donor_or_recipient: \"驻村扶贫村\" kind: DONATION_KIND_IN_KIND item_code: \"mask-n95\" "
     "quantity: 30 site_id: \"campus\""},
    {kSupplies, "ListDonations", kViewer, "direction: DONATION_DIRECTION_RECEIVED page_size: 3"},
    {kSupplies, "GetDonationTotals", kAdmin, "campaign: \"2026春季疫情防控\""},
    {kSupplies, "ExportDonationStatement", kViewer,
     "campaign: \"2026春季疫情防控\" format: STATEMENT_FORMAT_HTML"},
    {kSupplies, "ExportDonationStatement", kLeader,
     "campaign: \"2026春季疫情防控\" format: STATEMENT_FORMAT_CSV"},
    {kSupplies, "RegisterFoodPurchase", kLeader,
     "request_id: \"seed-s12\" site_id: \"campus\" purchased_at { seconds: 1773100000 } "
     "merchant { name: \"张记肉铺\" license_no: \"JY13301020000001\" } item: \"猪肉\" "
     "specification: \"5kg/箱\" quantity: 20 unit: \"kg\" origin: \"浙江\" batch: \"M-1\" "
     "certificate_no: \"Q-778\" storage_category: STORAGE_CATEGORY_CHILLED "
     "cold_chain_temperature_c: 4.5 inspector: \"李师傅\""},
    {kSupplies, "RegisterFoodPurchase", kAdmin,
     "request_id: \"seed-s13\" site_id: \"village\" purchased_at { seconds: 1773100000 } "
     "merchant { name: \"菜市场王姐\" } item: \"青菜\" quantity: 30 unit: \"kg\" "
     "storage_category: STORAGE_CATEGORY_PRODUCE inspector: \"赵阿姨\""},
    {kSupplies, "ListFoodPurchases", kAdmin,
     "site_id: \"campus\" date: \"2026-03-10\" rejected_only: true"},
    {kSupplies, "TraceFood", kViewer, "merchant: \"张记肉铺\""},
    {kSupplies, "TraceFood", kLeader, "batch: \"M-1\""},
    {kSupplies, "GetDailyStats", kService, "date: \"2026-03-10\""},
};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "lf_fuzz_seeds: %s\n", message.c_str());
  std::exit(1);
}

std::string ValidId(const std::string& first17) {
  return first17 + lianfang::pii::IdNumberCheckDigit(first17);
}

void Write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) Die(absl::StrCat("cannot write ", (dir / name).string()));
}

std::string ServiceTarget(absl::string_view service) {
  if (service == kGate) return "gate_fuzzer";
  if (service == kSurvey) return "survey_fuzzer";
  if (service == kDispatch) return "dispatch_fuzzer";
  if (service == kAccounts) return "accounts_fuzzer";
  if (service == kSupplies) return "supplies_fuzzer";
  return "report_fuzzer";
}

void ServiceSeeds(const fs::path& root) {
  const std::string id1 = ValidId("44030419900101123");
  const std::string id2 = ValidId("11010519491231002");
  for (const char* service : {kGate, kSurvey, kDispatch, kReport, kAccounts, kSupplies}) {
    const auto methods = lianfang::fuzz::UnaryMethods(service);
    const fs::path dir = root / ServiceTarget(service);
    for (size_t i = 0; i < methods.size(); ++i) {
      Write(dir, absl::StrCat(methods[i]->name(), "-empty"),
            std::string{static_cast<char>(i), static_cast<char>(kAdmin)});
    }
    int n = 0;
    for (const Seed& seed : kRequests) {
      if (absl::string_view(seed.service) != service) continue;
      size_t index = methods.size();
      for (size_t i = 0; i < methods.size(); ++i) {
        if (methods[i]->name() == seed.method) index = i;
      }
      if (index == methods.size()) Die(absl::StrCat(service, " has no unary ", seed.method));
      const google::protobuf::Message* prototype =
          google::protobuf::MessageFactory::generated_factory()->GetPrototype(
              methods[index]->input_type());
      std::unique_ptr<google::protobuf::Message> request(prototype->New());
      const std::string text =
          absl::StrReplaceAll(seed.text, {{"@ID1@", id1}, {"@ID2@", id2}});
      if (!google::protobuf::TextFormat::ParseFromString(text, request.get())) {
        Die(absl::StrCat("seed of ", seed.method, " does not parse: ", text));
      }
      Write(dir, absl::StrCat(seed.method, "-", n++),
            absl::StrCat(std::string{static_cast<char>(index), static_cast<char>(seed.role)},
                         request->SerializeAsString()));
    }
  }
}

void JwtSeeds(const fs::path& root) {
  const fs::path dir = root / "jwt_fuzzer";
  const absl::Time now = absl::FromUnixSeconds(lianfang::fuzz::kJwtNowUnixSeconds);
  lianfang::auth::TokenSigner signer(lianfang::fuzz::kJwtKey);
  int n = 0;
  for (const auto& [role, sites] :
       std::vector<std::pair<Role, std::vector<std::string>>>{
           {Role::kAdmin, {}}, {Role::kGuard, {"campus", "village"}}, {Role::kService, {}}}) {
    lianfang::auth::Principal who;
    who.subject = absl::StrCat("seed-", lianfang::auth::RoleName(role));
    who.name = "张小三";
    who.role = role;
    who.sites = sites;
    absl::StatusOr<std::string> token = signer.Sign(who, now, absl::Hours(1));
    if (!token.ok()) Die(token.status().ToString());
    Write(dir, absl::StrCat("token-", n++), absl::StrCat(std::string(1, '\0'), *token));
  }
  // Refused: alg none, a wrong signature, garbage.
  using lianfang::auth::Base64UrlEncode;
  const std::string claims = absl::StrCat(
      R"({"iss":"lianfang","sub":"x","role":"admin","iat":)",
      lianfang::fuzz::kJwtNowUnixSeconds, R"(,"exp":)", lianfang::fuzz::kJwtNowUnixSeconds + 3600,
      "}");
  Write(dir, "alg-none",
        absl::StrCat(std::string(1, '\0'), Base64UrlEncode(R"({"alg":"none","typ":"JWT"})"), ".",
                     Base64UrlEncode(claims), "."));
  Write(dir, "bad-signature",
        absl::StrCat(std::string(1, '\0'), Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})"),
                     ".", Base64UrlEncode(claims), ".", Base64UrlEncode("0123456789abcdef")));
  Write(dir, "garbage", std::string(1, '\0') + "a.b.c");
  // Signed by the target: header and claims as JSON.
  const std::string header = R"({"alg":"HS256","typ":"JWT"})";
  Write(dir, "signed-claims-0", absl::StrCat("\x01", header, "\n", claims));
  Write(dir, "signed-claims-1",
        absl::StrCat("\x01", header, "\n",
                     R"({"iss":"lianfang","sub":"guard-7","name":"\u674e\u5c0f\u59ae",)",
                     R"("role":"guard","sites":["campus","family-area"],"iat":)",
                     lianfang::fuzz::kJwtNowUnixSeconds - 10, R"(,"nbf":)",
                     lianfang::fuzz::kJwtNowUnixSeconds - 10, R"(,"exp":)",
                     lianfang::fuzz::kJwtNowUnixSeconds + 600, "}"));
  Write(dir, "signed-claims-expired",
        absl::StrCat("\x01", header, "\n",
                     R"({"iss":"lianfang","sub":"v","role":"volunteer","iat":1000,"exp":2000})"));
}

void IdSeeds(const fs::path& root) {
  const fs::path dir = root / "id_number_fuzzer";
  Write(dir, "id-0", ValidId("44030419900101123"));
  Write(dir, "id-1", ValidId("11010519491231002"));
  Write(dir, "id-2", " " + ValidId("32010220000229987") + " ");
  std::string x = ValidId("11010519491231002");  // ends in X
  x.back() = 'x';
  Write(dir, "id-x", x);
  Write(dir, "id-future", ValidId("44030420300101123"));
  Write(dir, "id-wrong-check", "440304199001011230");
  Write(dir, "name-0", "李小妮");
  Write(dir, "name-1", "欧阳娜娜");
  Write(dir, "phone-0", "13812341234");
  Write(dir, "phone-1", "+8613812341234");
  Write(dir, "phone-2", "95599");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) Die("usage: lf_fuzz_seeds <corpus folder, e.g. tests/fuzz/corpus>");
  const fs::path root(argv[1]);
  ServiceSeeds(root);
  JwtSeeds(root);
  IdSeeds(root);
  std::printf("seed corpora written under %s\n", root.string().c_str());
  return 0;
}
