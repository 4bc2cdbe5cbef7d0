// The fixture of the dispatch integration tests: a private redis-server (WithRedis), a fake
// clock at 2026-03-02 09:00 Asia/Shanghai, tokens verified against it, a DispatchHarness on a
// fresh SQLite file, and one-line helpers for the calls the tests make. Test-only.
#ifndef LIANFANG_TESTS_SERVICES_DISPATCH_DISPATCH_FIXTURE_H_
#define LIANFANG_TESTS_SERVICES_DISPATCH_DISPATCH_FIXTURE_H_

#include <grpcpp/client_context.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/server/grpc_status.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/temp_dir.h"
#include "common/testing/with_redis.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"
#include "gtest/gtest.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"
#include "services/dispatch/store.h"
#include "tests/services/dispatch/dispatch_harness.h"

namespace lianfang::dispatch::testing {

using auth::Role;
using Stub = v1::DispatchService::Stub;

inline absl::TimeZone TestZone() { return *time::LoadTimeZone(kTestTimeZone); }

// An instant of March 2026 in the test time zone.
inline absl::Time March(int day, int hour, int minute = 0) {
  return absl::FromCivil(absl::CivilMinute(2026, 3, day, hour, minute), TestZone());
}

class DispatchTest : public lianfang::testing::WithRedis {
 protected:
  DispatchTest() : clock_(March(2, 9)), tokens_(&clock_) {}

  void SetUp() override {
    WithRedis::SetUp();
    ASSERT_OK_AND_ASSIGN(dispatch_, StartHarness());
  }
  void TearDown() override { dispatch_.reset(); }

  // A harness on this test's database file (another one behaves like a second process).
  absl::StatusOr<std::unique_ptr<DispatchHarness>> StartHarness(size_t watch_queue = 256) {
    return DispatchHarness::Start({.db_path = dir_.File("dispatch.db"),
                                   .clock = &clock_,
                                   .tokens = &tokens_,
                                   .redis_url = redis_url(),
                                   .watch_queue = watch_queue});
  }

  std::string Token(Role role, const std::string& sub, std::vector<std::string> sites = {}) {
    return tokens_.For(role, sub, std::move(sites));
  }
  std::string Leader() { return Token(Role::kLeader, "leader-1"); }
  std::string Admin() { return Token(Role::kAdmin, "admin-1"); }
  std::string Vol(const std::string& sub) { return Token(Role::kVolunteer, sub); }

  std::string NextRequestId() { return absl::StrCat("req-", ++request_seq_); }

  // One unary call; the client-side absl::Status (with BadRequest details) on failure.
  template <typename Req, typename Resp>
  absl::StatusOr<Resp> Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                            const std::string& token, const Req& req,
                            DispatchHarness* on = nullptr) {
    auto context = lianfang::testing::NewClientContext(token, absl::Seconds(10));
    Resp resp;
    grpc::Status status =
        ((on != nullptr ? *on : *dispatch_).stub().*method)(context.get(), req, &resp);
    if (!status.ok()) return server::FromGrpcStatus(status);
    return resp;
  }

  absl::StatusOr<v1::Team> CreateTeam(const std::string& name, std::vector<std::string> sites) {
    v1::CreateTeamRequest req;
    req.set_request_id(NextRequestId());
    req.set_name(name);
    for (const std::string& s : sites) req.add_site_ids(s);
    req.set_leader_sub("leader-1");
    return Call(&Stub::CreateTeam, Leader(), req);
  }

  // Enrols `sub` in `team_id` (the n-th person of the test) and returns the volunteer id.
  absl::StatusOr<std::string> Enroll(const std::string& team_id, const std::string& sub) {
    v1::EnrollVolunteerRequest req;
    req.set_request_id(NextRequestId());
    req.set_team_id(team_id);
    req.mutable_person()->set_id_number(TestIdNumber(++person_seq_));
    req.mutable_person()->set_name("王小明");
    req.mutable_person()->set_phone("13812341234");
    req.set_user_sub(sub);
    req.set_party_member(true);
    absl::StatusOr<v1::Volunteer> v = Call(&Stub::EnrollVolunteer, Leader(), req);
    if (!v.ok()) return v.status();
    return v->volunteer_id();
  }

  absl::Status SetOnDuty(const std::string& sub, bool on_duty) {
    v1::SetOnDutyRequest req;
    req.set_request_id(NextRequestId());
    req.set_on_duty(on_duty);
    return Call(&Stub::SetOnDuty, Vol(sub), req).status();
  }

  v1::CreateTaskRequest TaskRequest(const std::string& site, const std::string& team_id = "") {
    v1::CreateTaskRequest req;
    req.set_request_id(NextRequestId());
    v1::Task* t = req.mutable_task();
    t->set_kind(v1::TASK_KIND_SUPPLY_DELIVERY);
    t->set_site_id(site);
    t->set_location("3栋2单元");
    t->set_title("配送消毒液");
    t->set_team_id(team_id);
    *t->mutable_due_at() = time::ToTimestamp(clock_.Now() + absl::Hours(4));
    return req;
  }

  absl::StatusOr<v1::Task> CreateTask(const v1::CreateTaskRequest& req) {
    return Call(&Stub::CreateTask, Leader(), req);
  }

  absl::StatusOr<v1::Task> Claim(const std::string& sub, const std::string& task_id) {
    v1::ClaimTaskRequest req;
    req.set_request_id(NextRequestId());
    req.set_task_id(task_id);
    absl::StatusOr<v1::ClaimTaskResponse> r = Call(&Stub::ClaimTask, Vol(sub), req);
    if (!r.ok()) return r.status();
    return r->task();
  }

  absl::StatusOr<v1::Task> StartTask(const std::string& sub, const std::string& task_id) {
    v1::StartTaskRequest req;
    req.set_request_id(NextRequestId());
    req.set_task_id(task_id);
    absl::StatusOr<v1::StartTaskResponse> r = Call(&Stub::StartTask, Vol(sub), req);
    if (!r.ok()) return r.status();
    return r->task();
  }

  absl::StatusOr<v1::Task> Complete(const std::string& token, const std::string& task_id,
                                    const std::string& note = "已完成") {
    v1::CompleteTaskRequest req;
    req.set_request_id(NextRequestId());
    req.set_task_id(task_id);
    req.set_note(note);
    absl::StatusOr<v1::CompleteTaskResponse> r = Call(&Stub::CompleteTask, token, req);
    if (!r.ok()) return r.status();
    return r->task();
  }

  absl::StatusOr<v1::Task> Assign(const std::string& task_id, const std::string& volunteer_id) {
    v1::AssignTaskRequest req;
    req.set_request_id(NextRequestId());
    req.set_task_id(task_id);
    req.set_volunteer_id(volunteer_id);
    absl::StatusOr<v1::AssignTaskResponse> r = Call(&Stub::AssignTask, Leader(), req);
    if (!r.ok()) return r.status();
    return r->task();
  }

  absl::StatusOr<v1::Task> Cancel(const std::string& task_id, const std::string& reason = "重复") {
    v1::CancelTaskRequest req;
    req.set_request_id(NextRequestId());
    req.set_task_id(task_id);
    req.set_reason(reason);
    absl::StatusOr<v1::CancelTaskResponse> r = Call(&Stub::CancelTask, Leader(), req);
    if (!r.ok()) return r.status();
    return r->task();
  }

  absl::StatusOr<v1::Task> GetTask(const std::string& task_id, std::string token = "") {
    v1::GetTaskRequest req;
    req.set_task_id(task_id);
    return Call(&Stub::GetTask, token.empty() ? Leader() : token, req);
  }

  absl::StatusOr<v1::ListTasksResponse> ListTasks(v1::ListTasksRequest req,
                                                  std::string token = "") {
    return Call(&Stub::ListTasks, token.empty() ? Leader() : token, req);
  }

  // Every task matching `req`, all pages.
  std::vector<v1::Task> AllTasks(v1::ListTasksRequest req, DispatchHarness* on = nullptr) {
    std::vector<v1::Task> out;
    req.set_page_size(500);
    while (true) {
      absl::StatusOr<v1::ListTasksResponse> page = Call(&Stub::ListTasks, Leader(), req, on);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) return out;
      out.insert(out.end(), page->tasks().begin(), page->tasks().end());
      if (page->next_page_token().empty()) return out;
      req.set_page_token(page->next_page_token());
    }
  }

  time::FakeClock clock_;
  lianfang::testing::TestTokens tokens_;
  lianfang::testing::TempDir dir_;
  std::unique_ptr<DispatchHarness> dispatch_;
  std::atomic<int> request_seq_{0};
  int person_seq_ = 0;
};

}  // namespace lianfang::dispatch::testing

#endif  // LIANFANG_TESTS_SERVICES_DISPATCH_DISPATCH_FIXTURE_H_
