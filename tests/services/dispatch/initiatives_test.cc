// Initiatives and pledges, and the volunteer workload, over loopback gRPC on both backends:
// pledges counted per team with party members, one pledge per volunteer and initiative,
// auto-assignment skipping overworked volunteers, the volunteers' records, and bad input
// that writes nothing.
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/server/errors.h"
#include "common/status/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/dispatch/dispatch_fixture.h"

namespace lianfang::dispatch::testing {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Key;
using ::testing::Not;
using ::testing::SizeIs;

class InitiativesTest : public DispatchTest {
 protected:
  absl::StatusOr<std::string> EnrollAs(const std::string& team_id, const std::string& sub,
                                       bool party_member) {
    v1::EnrollVolunteerRequest req;
    req.set_request_id(NextRequestId());
    req.set_team_id(team_id);
    req.mutable_person()->set_id_number(TestIdNumber(++person_seq_));
    req.mutable_person()->set_name("李红");
    req.set_user_sub(sub);
    req.set_party_member(party_member);
    absl::StatusOr<v1::Volunteer> v = Call(&Stub::EnrollVolunteer, Leader(), req);
    if (!v.ok()) return v.status();
    return v->volunteer_id();
  }

  v1::PublishInitiativeRequest InitiativeRequest(std::vector<std::string> sites) {
    v1::PublishInitiativeRequest req;
    req.set_request_id(NextRequestId());
    req.set_title("党员带头，守好家门");
    req.set_body("请党员志愿者主动亮身份、当先锋。\n每天至少值守两小时。");
    for (const std::string& s : sites) req.add_site_ids(s);
    return req;
  }

  absl::StatusOr<v1::RecordPledgeResponse> Pledge(const std::string& sub,
                                                  const std::string& volunteer_id,
                                                  const std::string& initiative_id,
                                                  std::string request_id = "") {
    v1::RecordPledgeRequest req;
    req.set_request_id(request_id.empty() ? NextRequestId() : request_id);
    req.set_volunteer_id(volunteer_id);
    req.set_text("我承诺：带头值守，服从安排");
    req.set_initiative_id(initiative_id);
    return Call(&Stub::RecordPledge, Vol(sub), req);
  }

  absl::StatusOr<v1::Task> AutoTask(const std::string& team_id) {
    v1::CreateTaskRequest req = TaskRequest("campus", team_id);
    req.set_auto_assign(true);
    return CreateTask(req);
  }

  absl::StatusOr<v1::Volunteer> VolunteerOf(const std::string& team_id,
                                            const std::string& volunteer_id) {
    v1::ListVolunteersRequest req;
    req.set_team_id(team_id);
    ASSIGN_OR_RETURN(v1::ListVolunteersResponse resp, Call(&Stub::ListVolunteers, Leader(), req));
    for (const v1::Volunteer& v : resp.volunteers()) {
      if (v.volunteer_id() == volunteer_id) return v;
    }
    return absl::NotFoundError(volunteer_id);
  }
};

TEST_F(InitiativesTest, PledgesAreCountedPerTeamWithPartyMembersOncePerVolunteer) {
  ASSERT_OK_AND_ASSIGN(v1::Team campus, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK_AND_ASSIGN(v1::Team both, CreateTeam("机动队", {"community", "campus"}));
  ASSERT_OK_AND_ASSIGN(v1::Team village, CreateTeam("驻村突击队", {"village"}));
  ASSERT_OK_AND_ASSIGN(std::string a, EnrollAs(campus.team_id(), "vol-a", true));
  ASSERT_OK_AND_ASSIGN(std::string b, EnrollAs(campus.team_id(), "vol-b", false));
  ASSERT_OK_AND_ASSIGN(std::string c, EnrollAs(campus.team_id(), "vol-c", true));
  ASSERT_OK_AND_ASSIGN(std::string d, EnrollAs(both.team_id(), "vol-d", true));
  ASSERT_OK_AND_ASSIGN(std::string e, EnrollAs(village.team_id(), "vol-e", true));

  ASSERT_OK_AND_ASSIGN(v1::Initiative published,
                       Call(&Stub::PublishInitiative, Leader(), InitiativeRequest({"campus"})));
  const std::string id = published.initiative_id();
  EXPECT_EQ(published.published_by(), "leader-1");
  EXPECT_EQ(published.pledged_count(), 0);
  ASSERT_THAT(published.teams(), SizeIs(2)) << "the two teams working on campus";

  ASSERT_OK_AND_ASSIGN(v1::RecordPledgeResponse first, Pledge("vol-a", a, id, "pledge-a"));
  EXPECT_TRUE(first.volunteer().has_pledged_at());
  EXPECT_EQ(first.initiative().pledged_count(), 1);
  EXPECT_TRUE(first.initiative().pledged_by_caller());
  // A retry of the same request answers the same; another request is refused.
  ASSERT_OK_AND_ASSIGN(v1::RecordPledgeResponse retried, Pledge("vol-a", a, id, "pledge-a"));
  EXPECT_EQ(retried.initiative().pledged_count(), 1);
  EXPECT_THAT(Pledge("vol-a", a, id), StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK(Pledge("vol-b", b, id).status());
  ASSERT_OK(Pledge("vol-d", d, id).status());
  // The village team does not work on campus.
  EXPECT_THAT(Pledge("vol-e", e, id), StatusIs(absl::StatusCode::kFailedPrecondition));
  // A volunteer pledges only for itself; an unknown initiative is NOT_FOUND.
  EXPECT_THAT(Pledge("vol-c", a, id), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Pledge("vol-c", c, "initiative-999"), StatusIs(absl::StatusCode::kNotFound));
  // A leader may record a volunteer's pledge; pledged_by_caller speaks of the caller only.
  v1::RecordPledgeRequest for_c;
  for_c.set_request_id(NextRequestId());
  for_c.set_volunteer_id(c);
  for_c.set_text("代为登记的承诺");
  for_c.set_initiative_id(id);
  ASSERT_OK_AND_ASSIGN(v1::RecordPledgeResponse by_leader,
                       Call(&Stub::RecordPledge, Leader(), for_c));
  EXPECT_EQ(by_leader.initiative().pledged_count(), 4);
  EXPECT_FALSE(by_leader.initiative().pledged_by_caller());

  v1::GetInitiativeRequest get;
  get.set_initiative_id(id);
  ASSERT_OK_AND_ASSIGN(v1::Initiative got, Call(&Stub::GetInitiative, Leader(), get));
  EXPECT_EQ(got.pledged_count(), 4);
  EXPECT_EQ(got.party_members_pledged(), 3);
  EXPECT_FALSE(got.pledged_by_caller());
  ASSERT_THAT(got.teams(), SizeIs(2));
  const v1::InitiativeTeamCount& t0 = got.teams(0);
  const v1::InitiativeTeamCount& t1 = got.teams(1);
  EXPECT_EQ(t0.team_id(), campus.team_id());
  EXPECT_EQ(t0.team_name(), "校园突击队");
  EXPECT_EQ(t0.volunteers(), 3);
  EXPECT_EQ(t0.party_members(), 2);
  EXPECT_EQ(t0.pledged(), 3);
  EXPECT_EQ(t0.party_members_pledged(), 2);
  EXPECT_EQ(t1.team_id(), both.team_id());
  EXPECT_EQ(t1.pledged(), 1);
  EXPECT_EQ(t1.party_members_pledged(), 1);

  // Volunteers see the initiatives of their team's sites, with their own pledge marked.
  ASSERT_OK_AND_ASSIGN(v1::Initiative seen_by_c, Call(&Stub::GetInitiative, Vol("vol-c"), get));
  EXPECT_TRUE(seen_by_c.pledged_by_caller());
  ASSERT_OK_AND_ASSIGN(v1::ListInitiativesResponse listed_a,
                       Call(&Stub::ListInitiatives, Vol("vol-a"), v1::ListInitiativesRequest()));
  ASSERT_THAT(listed_a.initiatives(), SizeIs(1));
  EXPECT_TRUE(listed_a.initiatives(0).pledged_by_caller());
  ASSERT_OK_AND_ASSIGN(v1::ListInitiativesResponse listed_e,
                       Call(&Stub::ListInitiatives, Vol("vol-e"), v1::ListInitiativesRequest()));
  EXPECT_THAT(listed_e.initiatives(), SizeIs(0));
  EXPECT_THAT(Call(&Stub::GetInitiative, Vol("vol-e"), get),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(InitiativesTest, InitiativesListNewestFirstInPagesAndASiteLeaderPublishesToItsOwnSites) {
  ASSERT_OK_AND_ASSIGN(v1::Team campus, CreateTeam("校园突击队", {"campus"}));
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    v1::PublishInitiativeRequest req = InitiativeRequest({i == 1 ? "village" : "campus"});
    req.set_title(absl::StrCat("倡议 ", i));
    ASSERT_OK_AND_ASSIGN(v1::Initiative published, Call(&Stub::PublishInitiative, Admin(), req));
    ids.push_back(published.initiative_id());
  }
  v1::ListInitiativesRequest page;
  page.set_page_size(2);
  ASSERT_OK_AND_ASSIGN(v1::ListInitiativesResponse p1, Call(&Stub::ListInitiatives, Admin(), page));
  ASSERT_THAT(p1.initiatives(), SizeIs(2));
  EXPECT_EQ(p1.initiatives(0).initiative_id(), ids[2]);
  EXPECT_EQ(p1.initiatives(1).initiative_id(), ids[1]);
  page.set_page_token(p1.next_page_token());
  ASSERT_OK_AND_ASSIGN(v1::ListInitiativesResponse p2, Call(&Stub::ListInitiatives, Admin(), page));
  ASSERT_THAT(p2.initiatives(), SizeIs(1));
  EXPECT_EQ(p2.initiatives(0).initiative_id(), ids[0]);
  EXPECT_EQ(p2.next_page_token(), "");

  const std::string campus_leader = Token(Role::kLeader, "leader-campus", {"campus"});
  ASSERT_OK_AND_ASSIGN(v1::ListInitiativesResponse mine,
                       Call(&Stub::ListInitiatives, campus_leader, v1::ListInitiativesRequest()));
  EXPECT_THAT(mine.initiatives(), SizeIs(2)) << "not the village's";
  EXPECT_THAT(Call(&Stub::PublishInitiative, campus_leader, InitiativeRequest({"village"})),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK(Call(&Stub::PublishInitiative, campus_leader, InitiativeRequest({"campus"})).status());
  (void)campus;
}

TEST_F(InitiativesTest, BadInitiativesAreRefusedNamingTheFieldAndWriteNothing) {
  ASSERT_OK_AND_ASSIGN(common::v1::ListAuditEventsResponse audit_before,
                       Call(&Stub::ListAuditEvents, Admin(), common::v1::ListAuditEventsRequest()));
  auto refused = [&](v1::PublishInitiativeRequest req) {
    return server::FieldViolations(Call(&Stub::PublishInitiative, Leader(), req).status());
  };
  v1::PublishInitiativeRequest req = InitiativeRequest({"campus"});
  req.set_title("");
  EXPECT_THAT(refused(req), ElementsAre(Key("title")));
  req = InitiativeRequest({"campus"});
  req.set_body(std::string(20 * 1024 + 1, 'x'));
  EXPECT_THAT(refused(req), ElementsAre(Key("body")));
  req = InitiativeRequest({"campus", "nowhere"});
  EXPECT_THAT(refused(req), ElementsAre(Key("site_ids[1]")));
  req = InitiativeRequest({});
  EXPECT_THAT(refused(req), ElementsAre(Key("site_ids")));
  req = InitiativeRequest({"campus"});
  req.set_body("联系人电话 13957293846");
  absl::Status phone = Call(&Stub::PublishInitiative, Leader(), req).status();
  EXPECT_THAT(server::FieldViolations(phone), ElementsAre(Key("body")));
  EXPECT_THAT(phone.ToString(), Not(HasSubstr("13957293846")));

  v1::GetInitiativeRequest get;
  get.set_initiative_id("initiative-1");
  EXPECT_THAT(Call(&Stub::GetInitiative, Leader(), get), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(v1::ListInitiativesResponse listed,
                       Call(&Stub::ListInitiatives, Admin(), v1::ListInitiativesRequest()));
  EXPECT_THAT(listed.initiatives(), SizeIs(0));
  ASSERT_OK_AND_ASSIGN(common::v1::ListAuditEventsResponse audit_after,
                       Call(&Stub::ListAuditEvents, Admin(), common::v1::ListAuditEventsRequest()));
  EXPECT_EQ(audit_after.events_size(), audit_before.events_size());
}

TEST_F(InitiativesTest, AutoAssignmentSkipsOverloadedAndOverHoursVolunteers) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK_AND_ASSIGN(std::string busy, Enroll(team.team_id(), "vol-busy"));
  ASSERT_OK_AND_ASSIGN(std::string tired, Enroll(team.team_id(), "vol-tired"));
  ASSERT_OK(SetOnDuty("vol-tired", true));  // 09:00
  // Ten hours and one minute later the first volunteer has been on duty too long today.
  clock_.Advance(absl::Hours(10) + absl::Minutes(1));
  ASSERT_OK(SetOnDuty("vol-busy", true));
  // Three unfinished tasks for the other (the default LF_MAX_OPEN_TASKS).
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(v1::Task t, CreateTask(TaskRequest("campus", team.team_id())));
    ASSERT_OK(Assign(t.task_id(), busy).status());
  }
  ASSERT_OK_AND_ASSIGN(v1::Volunteer busy_view, VolunteerOf(team.team_id(), busy));
  EXPECT_TRUE(busy_view.overworked());
  EXPECT_EQ(busy_view.unfinished_tasks(), 3);
  ASSERT_OK_AND_ASSIGN(v1::Volunteer tired_view, VolunteerOf(team.team_id(), tired));
  EXPECT_TRUE(tired_view.overworked());
  EXPECT_EQ(tired_view.minutes_on_duty_today(), 601);

  ASSERT_OK_AND_ASSIGN(v1::Task skipped, AutoTask(team.team_id()));
  EXPECT_EQ(skipped.status(), v1::TASK_STATUS_OPEN) << "both on duty, both overworked";

  v1::GetTaskSummaryRequest summary_req;
  summary_req.set_site_id("campus");
  ASSERT_OK_AND_ASSIGN(v1::GetTaskSummaryResponse summary,
                       Call(&Stub::GetTaskSummary, Leader(), summary_req));
  ASSERT_THAT(summary.sites(), SizeIs(1));
  EXPECT_EQ(summary.sites(0).volunteers_overworked(), 2);
  EXPECT_EQ(summary.sites(0).volunteers_on_duty(), 2);

  // A fresh volunteer takes the next task; once one of the busy volunteer's tasks is done it
  // is below the limit again.
  ASSERT_OK_AND_ASSIGN(std::string fresh, Enroll(team.team_id(), "vol-fresh"));
  ASSERT_OK(SetOnDuty("vol-fresh", true));
  ASSERT_OK_AND_ASSIGN(v1::Task taken, AutoTask(team.team_id()));
  EXPECT_EQ(taken.assignee_volunteer_id(), fresh);
  v1::ListTasksRequest of_busy;
  of_busy.set_assignee(busy);
  std::vector<v1::Task> busy_tasks = AllTasks(of_busy);
  ASSERT_THAT(busy_tasks, SizeIs(3));
  for (int i = 0; i < 2; ++i) {
    ASSERT_OK(StartTask("vol-busy", busy_tasks[i].task_id()).status());
    ASSERT_OK(Complete(Vol("vol-busy"), busy_tasks[i].task_id()).status());
  }
  // One unfinished task each for the busy and the fresh volunteer: the earlier enrolled.
  ASSERT_OK_AND_ASSIGN(v1::Task again, AutoTask(team.team_id()));
  EXPECT_EQ(again.assignee_volunteer_id(), busy);

  // After midnight the hours of the day before no longer count.
  clock_.Set(March(3, 0, 30));
  ASSERT_OK_AND_ASSIGN(v1::Volunteer next_day, VolunteerOf(team.team_id(), tired));
  EXPECT_EQ(next_day.minutes_on_duty_today(), 30);
  EXPECT_FALSE(next_day.overworked());
}

TEST_F(InitiativesTest, AVolunteersRecordGivesMinutesOnDutyAndTasksDonePerDay) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK_AND_ASSIGN(std::string a, Enroll(team.team_id(), "vol-a"));
  ASSERT_OK_AND_ASSIGN(std::string b, Enroll(team.team_id(), "vol-b"));
  // March 2: 09:00-11:30 on duty, one task done; March 3: 22:00 to March 4 01:00.
  ASSERT_OK(SetOnDuty("vol-a", true));
  ASSERT_OK_AND_ASSIGN(v1::Task t, CreateTask(TaskRequest("campus", team.team_id())));
  ASSERT_OK(Claim("vol-a", t.task_id()).status());
  ASSERT_OK(StartTask("vol-a", t.task_id()).status());
  clock_.Advance(absl::Minutes(30));
  ASSERT_OK(Complete(Vol("vol-a"), t.task_id()).status());
  clock_.Set(March(2, 11, 30));
  ASSERT_OK(SetOnDuty("vol-a", false));
  clock_.Set(March(3, 22));
  ASSERT_OK(SetOnDuty("vol-a", true));
  clock_.Set(March(4, 1));
  ASSERT_OK(SetOnDuty("vol-a", false));
  clock_.Set(March(5, 9));

  v1::GetVolunteerRecordRequest req;
  req.set_from_date("2026-03-01");
  req.set_to_date("2026-03-05");
  // A volunteer reads its own record without naming itself.
  ASSERT_OK_AND_ASSIGN(v1::VolunteerRecord mine,
                       Call(&Stub::GetVolunteerRecord, Vol("vol-a"), req));
  EXPECT_EQ(mine.volunteer_id(), a);
  EXPECT_EQ(mine.team_id(), team.team_id());
  EXPECT_EQ(mine.minutes_on_duty(), 150 + 120 + 60);
  EXPECT_EQ(mine.tasks_done(), 1);
  std::vector<std::tuple<std::string, int, int>> days;
  for (const v1::VolunteerDay& d : mine.days()) {
    days.emplace_back(d.date(), d.minutes_on_duty(), d.tasks_done());
  }
  EXPECT_THAT(
      days, ElementsAre(std::make_tuple("2026-03-01", 0, 0), std::make_tuple("2026-03-02", 150, 1),
                        std::make_tuple("2026-03-03", 120, 0), std::make_tuple("2026-03-04", 60, 0),
                        std::make_tuple("2026-03-05", 0, 0)));
  // A leader reads anyone's; a volunteer only its own.
  req.set_volunteer_id(a);
  ASSERT_OK_AND_ASSIGN(v1::VolunteerRecord by_leader,
                       Call(&Stub::GetVolunteerRecord, Leader(), req));
  EXPECT_EQ(by_leader.minutes_on_duty(), mine.minutes_on_duty());
  EXPECT_THAT(Call(&Stub::GetVolunteerRecord, Vol("vol-b"), req),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // Bad periods name the date.
  req.set_to_date("2027-03-03");
  EXPECT_THAT(server::FieldViolations(Call(&Stub::GetVolunteerRecord, Leader(), req).status()),
              ElementsAre(Key("to_date")));
  req.set_to_date("2026-02-28");
  EXPECT_THAT(server::FieldViolations(Call(&Stub::GetVolunteerRecord, Leader(), req).status()),
              ElementsAre(Key("to_date")));
  req.set_from_date("");
  req.set_to_date("2026-03-05");
  EXPECT_THAT(server::FieldViolations(Call(&Stub::GetVolunteerRecord, Leader(), req).status()),
              ElementsAre(Key("from_date")));
  req.set_from_date("2026-03-01");
  req.set_volunteer_id("volunteer-999");
  EXPECT_THAT(Call(&Stub::GetVolunteerRecord, Leader(), req),
              StatusIs(absl::StatusCode::kNotFound));
  (void)b;
}

}  // namespace
}  // namespace lianfang::dispatch::testing
