#include "common/audit/audit.h"

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/sql/database.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/sql/temp_dir.h"

namespace lianfang::audit {
namespace {

using ::lianfang::testing::IsOk;
using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const absl::Time kT0 = absl::FromUnixSeconds(1'767'225'600);

Event MakeEvent(int i, absl::Time at) {
  Event e;
  e.subject = absl::StrCat("user-", i);
  e.role = "guard";
  e.method = "/lianfang.gate.v1.GateService/RecordPassage";
  e.object = absl::StrCat("passage-", i);
  e.request_id = absl::StrCat("req-", i);
  e.at = at;
  e.outcome = "OK";
  return e;
}

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<sql::Database>> db = sql::Database::Open(dir_.TestUrl("a.db"));
    ASSERT_THAT(db, IsOk());
    db_ = std::move(db).value();
    ASSERT_OK(db_->Migrate(kComponent, Migrations()));
  }

  // Records events 0..n-1, one minute apart, in one transaction.
  void RecordMany(int n) {
    ASSERT_OK(db_->Write([&](sql::Session& s) -> absl::Status {
      for (int i = 0; i < n; ++i) RETURN_IF_ERROR(Record(s, MakeEvent(i, kT0 + absl::Minutes(i))));
      return absl::OkStatus();
    }));
  }

  absl::StatusOr<Page> ListPage(std::optional<absl::Time> start, std::optional<absl::Time> end,
                                int64_t size, const std::string& token) {
    std::optional<Page> page;
    RETURN_IF_ERROR(db_->Read([&](sql::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(page, List(s, start, end, size, token));
      return absl::OkStatus();
    }));
    return *std::move(page);
  }

  std::vector<std::string> Subjects(const Page& page) {
    std::vector<std::string> out;
    for (const Event& e : page.events) out.push_back(e.subject);
    return out;
  }

  sql::testing::TempDir dir_;
  std::unique_ptr<sql::Database> db_;
};

TEST_F(AuditTest, RecordedEventsAreListedNewestFirstWithEveryField) {
  RecordMany(3);
  ASSERT_OK_AND_ASSIGN(Page page, ListPage(std::nullopt, std::nullopt, 0, ""));
  EXPECT_THAT(Subjects(page), ElementsAre("user-2", "user-1", "user-0"));
  EXPECT_THAT(page.next_page_token, IsEmpty());
  const Event& newest = page.events[0];
  EXPECT_GT(newest.id, 0);
  EXPECT_EQ(newest.role, "guard");
  EXPECT_EQ(newest.method, "/lianfang.gate.v1.GateService/RecordPassage");
  EXPECT_EQ(newest.object, "passage-2");
  EXPECT_EQ(newest.request_id, "req-2");
  EXPECT_EQ(newest.at, kT0 + absl::Minutes(2));
  EXPECT_EQ(newest.outcome, "OK");
}

TEST_F(AuditTest, PagesWalkEveryEventOnceEvenWithEqualTimes) {
  // Ten events share one instant: the id breaks the tie so no page repeats or skips one.
  ASSERT_OK(db_->Write([&](sql::Session& s) -> absl::Status {
    for (int i = 0; i < 10; ++i) RETURN_IF_ERROR(Record(s, MakeEvent(i, kT0)));
    for (int i = 10; i < 25; ++i) RETURN_IF_ERROR(Record(s, MakeEvent(i, kT0 + absl::Seconds(i))));
    return absl::OkStatus();
  }));
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    ASSERT_OK_AND_ASSIGN(Page page, ListPage(std::nullopt, std::nullopt, 4, token));
    EXPECT_LE(page.events.size(), 4u);
    for (const Event& e : page.events) seen.push_back(e.subject);
    token = page.next_page_token;
    ++pages;
  } while (!token.empty() && pages < 100);
  EXPECT_EQ(pages, 7);  // 25 events, 4 per page
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 25u);
  EXPECT_EQ(seen.front(), "user-24");
  EXPECT_EQ(seen[15], "user-9");  // within the tie, the most recently recorded first
  EXPECT_EQ(seen.back(), "user-0");
}

TEST_F(AuditTest, ExactlyFullLastPageHasNoNextToken) {
  RecordMany(4);
  ASSERT_OK_AND_ASSIGN(Page first, ListPage(std::nullopt, std::nullopt, 2, ""));
  ASSERT_FALSE(first.next_page_token.empty());
  ASSERT_OK_AND_ASSIGN(Page second, ListPage(std::nullopt, std::nullopt, 2, first.next_page_token));
  EXPECT_THAT(Subjects(second), ElementsAre("user-1", "user-0"));
  EXPECT_THAT(second.next_page_token, IsEmpty());
}

TEST_F(AuditTest, TimeBoundsIncludeTheStartAndExcludeTheEnd) {
  RecordMany(10);  // at kT0 + 0..9 minutes
  ASSERT_OK_AND_ASSIGN(Page page, ListPage(kT0 + absl::Minutes(3), kT0 + absl::Minutes(6), 0, ""));
  EXPECT_THAT(Subjects(page), ElementsAre("user-5", "user-4", "user-3"));
  ASSERT_OK_AND_ASSIGN(Page from, ListPage(kT0 + absl::Minutes(8), std::nullopt, 0, ""));
  EXPECT_THAT(Subjects(from), ElementsAre("user-9", "user-8"));
  ASSERT_OK_AND_ASSIGN(Page until, ListPage(std::nullopt, kT0 + absl::Minutes(2), 0, ""));
  EXPECT_THAT(Subjects(until), ElementsAre("user-1", "user-0"));
  // Paging inside bounds stays inside them.
  ASSERT_OK_AND_ASSIGN(Page p1, ListPage(kT0 + absl::Minutes(2), kT0 + absl::Minutes(7), 3, ""));
  ASSERT_OK_AND_ASSIGN(
      Page p2, ListPage(kT0 + absl::Minutes(2), kT0 + absl::Minutes(7), 3, p1.next_page_token));
  EXPECT_THAT(Subjects(p1), ElementsAre("user-6", "user-5", "user-4"));
  EXPECT_THAT(Subjects(p2), ElementsAre("user-3", "user-2"));
  EXPECT_THAT(p2.next_page_token, IsEmpty());
}

TEST_F(AuditTest, PageSizesDefaultToFiftyAndAreCappedAtFiveHundred) {
  ASSERT_OK(db_->Write([&](sql::Session& s) -> absl::Status {
    for (int i = 0; i < 520; ++i) RETURN_IF_ERROR(Record(s, MakeEvent(i, kT0 + absl::Seconds(i))));
    return absl::OkStatus();
  }));
  ASSERT_OK_AND_ASSIGN(Page by_default, ListPage(std::nullopt, std::nullopt, 0, ""));
  EXPECT_EQ(by_default.events.size(), 50u);
  ASSERT_OK_AND_ASSIGN(Page capped, ListPage(std::nullopt, std::nullopt, 100000, ""));
  EXPECT_EQ(capped.events.size(), 500u);
  EXPECT_FALSE(capped.next_page_token.empty());
}

TEST_F(AuditTest, BadTokensSizesAndBoundsAreInvalidArgument) {
  RecordMany(3);
  EXPECT_THAT(ListPage(std::nullopt, std::nullopt, 0, "garbage!"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
  EXPECT_THAT(ListPage(std::nullopt, std::nullopt, -1, ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_size")));
  EXPECT_THAT(ListPage(kT0 + absl::Hours(1), kT0, 0, ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("start_time")));
}

TEST_F(AuditTest, EventsRecordedInARolledBackTransactionAreNotListed) {
  absl::Status st = db_->Write([&](sql::Session& s) -> absl::Status {
    RETURN_IF_ERROR(Record(s, MakeEvent(1, kT0)));
    return absl::PermissionDeniedError("the call failed after all");
  });
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(Page page, ListPage(std::nullopt, std::nullopt, 0, ""));
  EXPECT_THAT(page.events, IsEmpty());
}

TEST_F(AuditTest, EventsWithoutSubjectOrMethodAreRejected) {
  Event no_subject = MakeEvent(1, kT0);
  no_subject.subject.clear();
  Event no_method = MakeEvent(1, kT0);
  no_method.method.clear();
  for (const Event& e : {no_subject, no_method}) {
    EXPECT_THAT(db_->Write([&](sql::Session& s) { return Record(s, e); }),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST_F(AuditTest, PurgeRemovesOldEvents) {
  RecordMany(5);
  ASSERT_OK(db_->Write([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(int64_t purged, PurgeOlderThan(s, kT0 + absl::Minutes(2)));
    EXPECT_EQ(purged, 2);
    return absl::OkStatus();
  }));
  ASSERT_OK_AND_ASSIGN(Page page, ListPage(std::nullopt, std::nullopt, 0, ""));
  EXPECT_THAT(Subjects(page), ElementsAre("user-4", "user-3", "user-2"));
}

}  // namespace
}  // namespace lianfang::audit
