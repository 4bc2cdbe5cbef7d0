// End to end, survey to gate: survey's health-report notes, delivered through its outbox to the
// real GateService (its own database, both backends), make the gate warn on the entry of a
// resident who has not filed today's report, or refuse it where the site's policy requires the
// report; a report filed today lifts both. Loopback gRPC, FakeClock shared by both services.
#include <memory>
#include <string>
#include <utility>

#include "common/audit/audit.h"
#include "common/idempotency/idempotency.h"
#include "common/outbox/outbox.h"
#include "common/server/grpc_status.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/poll.h"
#include "common/testing/test_database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/gate/gate_service.h"
#include "services/gate/gate_store.h"
#include "tests/services/survey/survey_test_env.h"

namespace lianfang::survey::testing {
namespace {

using ::lianfang::testing::PollUntil;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kFamily[] = "family-area";

// The gate's sites: the family area requires today's report; the campus only warns.
constexpr char kGateSites[] = R"pb(
  sites {
    id: "family-area"
    name: "家属区"
    kind: SITE_KIND_FAMILY_AREA
    gates { id: "south" name: "南门" }
    policy { outsiders_allowed: true outside_vehicles_allowed: true health_report_required: true }
  }
  sites {
    id: "campus"
    name: "党校校园"
    kind: SITE_KIND_CAMPUS
    gates { id: "east" name: "东大门" }
    policy { outsiders_allowed: true outside_vehicles_allowed: true }
  }
)pb";

class SurveyGateTest : public SurveyTest {
 protected:
  void SetUp() override {
    SurveyTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(sites::SiteDirectory gate_sites, sites::SiteDirectory::Parse(kGateSites));
    gate_sites_ = std::make_unique<sites::SiteDirectory>(std::move(gate_sites));
    ASSERT_OK_AND_ASSIGN(
        gate_db_, sql::Database::Open(::lianfang::testing::TestDatabaseUrl(dir_, "gate.db")));
    ASSERT_OK(gate_db_->Migrate(idempotency::kComponent, idempotency::Migrations()));
    ASSERT_OK(gate_db_->Migrate(outbox::kComponent, outbox::Migrations()));
    ASSERT_OK(gate_db_->Migrate(audit::kComponent, audit::Migrations()));
    ASSERT_OK(gate_db_->Migrate("gate", gate::Migrations()));
    gate_service_ = std::make_unique<gate::GateService>(gate::GateServiceOptions{
        .sites = gate_sites_.get(),
        .clock = clock_.get(),
        .db = gate_db_.get(),
        .keyer = keyer_.get(),  // one deployment: the same person keys
        .authorizer = &tokens_.authorizer(),
        .tz = tz_,
    });
    server::ServerOptions options;
    options.service_name = "gate";
    options.served_services = {"lianfang.gate.v1.GateService"};
    options.log_calls = false;
    gate_server_ = std::make_unique<lianfang::testing::LoopbackServer>(options);
    gate_server_->AddService(gate_service_.get());
    gate_server_->UseFallback(tokens_);
    ASSERT_OK(gate_server_->Start());
    gate_stub_ = gate::v1::GateService::NewStub(gate_server_->channel());
    deliverer_->Route({{"gate", gate_server_->address()}, {"dispatch", gate_server_->address()}});
  }

  void TearDown() override {
    SurveyTest::TearDown();  // the survey's sender stops first
    if (gate_server_ != nullptr) gate_server_->Shutdown();
  }

  gate::v1::Passage Enter(const std::string& request_id, const std::string& site,
                          const std::string& gate_id, int person) {
    gate::v1::RecordPassageRequest req;
    req.set_request_id(request_id);
    req.set_site_id(site);
    req.set_gate_id(gate_id);
    req.set_direction(gate::v1::DIRECTION_ENTRY);
    req.mutable_person()->set_id_number(IdNumber(person));
    req.set_temperature_c(36.5);
    gate::v1::RecordPassageResponse resp;
    const grpc::Status status =
        gate_stub_->RecordPassage(lianfang::testing::NewClientContext(
                                      tokens_.For(auth::Role::kGuard, "guard-1"), absl::Seconds(20))
                                      .get(),
                                  req, &resp);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return resp.passage();
  }

  std::unique_ptr<sites::SiteDirectory> gate_sites_;
  std::unique_ptr<sql::Database> gate_db_;
  std::unique_ptr<gate::GateService> gate_service_;
  std::unique_ptr<lianfang::testing::LoopbackServer> gate_server_;
  std::unique_ptr<gate::v1::GateService::Stub> gate_stub_;
};

TEST_F(SurveyGateTest, ARegisteredResidentIsWarnedUntilTheDaysReportIsFiled) {
  // Not known to survey: no warning.
  EXPECT_THAT(Enter("visitor", "campus", "east", 90).warnings(), IsEmpty());

  const v1::Household h = AddHousehold(kFamily, "7栋", "701");
  AddResident(h.household_id(), 91);
  ASSERT_TRUE(OutboxDrained());

  const gate::v1::Passage warned = Enter("e-1", "campus", "east", 91);
  EXPECT_EQ(warned.decision(), gate::v1::DECISION_ADMITTED);
  EXPECT_THAT(warned.warnings(), ElementsAre(gate::v1::PASSAGE_WARNING_NO_HEALTH_REPORT_TODAY));
  // Where the site requires the report, the entry is refused.
  const gate::v1::Passage refused = Enter("e-2", kFamily, "south", 91);
  EXPECT_EQ(refused.decision(), gate::v1::DECISION_DENIED);
  EXPECT_EQ(refused.deny_reason(), gate::v1::DENY_REASON_NO_HEALTH_REPORT);
  EXPECT_THAT(refused.warnings(), IsEmpty());

  // Yesterday's report is not today's.
  Report(91, Today() - 1, 36.4);
  ASSERT_TRUE(OutboxDrained());
  EXPECT_THAT(Enter("e-3", "campus", "east", 91).warnings(),
              ElementsAre(gate::v1::PASSAGE_WARNING_NO_HEALTH_REPORT_TODAY));

  Report(91, Today(), 36.5);
  ASSERT_TRUE(OutboxDrained());
  const gate::v1::Passage clean = Enter("e-4", "campus", "east", 91);
  EXPECT_EQ(clean.decision(), gate::v1::DECISION_ADMITTED);
  EXPECT_THAT(clean.warnings(), IsEmpty());
  EXPECT_EQ(Enter("e-5", kFamily, "south", 91).decision(), gate::v1::DECISION_ADMITTED);

  // A late note of an older report never undoes today's.
  gate::v1::NoteHealthReportsRequest late;
  late.set_request_id("late-note");
  gate::v1::HealthReportNote* note = late.add_notes();
  note->set_person_key(PersonKey(91));
  note->set_last_report_date(time::FormatDate(Today() - 2));
  note->set_expected(true);
  gate::v1::NoteHealthReportsResponse applied;
  ASSERT_TRUE(
      gate_stub_
          ->NoteHealthReports(lianfang::testing::NewClientContext(
                                  tokens_.For(auth::Role::kService, "survey"), absl::Seconds(20))
                                  .get(),
                              late, &applied)
          .ok());
  EXPECT_EQ(applied.applied(), 0);
  EXPECT_THAT(Enter("e-6", "campus", "east", 91).warnings(), IsEmpty());

  // The next day the warning is back; the stored passages keep theirs.
  clock_->Advance(absl::Hours(24));
  EXPECT_THAT(Enter("e-7", "campus", "east", 91).warnings(),
              ElementsAre(gate::v1::PASSAGE_WARNING_NO_HEALTH_REPORT_TODAY));
  gate::v1::ListPassagesRequest list;
  list.set_site_id("campus");
  list.set_person_key(PersonKey(91));
  gate::v1::ListPassagesResponse passages;
  ASSERT_TRUE(
      gate_stub_
          ->ListPassages(lianfang::testing::NewClientContext(
                             tokens_.For(auth::Role::kLeader, "leader-1"), absl::Seconds(20))
                             .get(),
                         list, &passages)
          .ok());
  ASSERT_EQ(passages.passages_size(), 5);  // newest first: e-7, e-6, e-4, e-3, e-1
  EXPECT_EQ(passages.passages(0).warnings_size(), 1);
  EXPECT_EQ(passages.passages(1).warnings_size(), 0);
  EXPECT_EQ(passages.passages(4).warnings_size(), 1);
  // A replay of a recorded passage answers with its warnings.
  EXPECT_THAT(Enter("e-1", "campus", "east", 91).warnings(),
              ElementsAre(gate::v1::PASSAGE_WARNING_NO_HEALTH_REPORT_TODAY));
}

}  // namespace
}  // namespace lianfang::survey::testing
