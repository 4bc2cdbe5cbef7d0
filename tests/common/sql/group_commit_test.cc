// The batch loop both SQL drivers share, against a scripted BatchTransaction: what each
// function's `done` is told, in which order, and what a broken batch does.
#include "common/sql/group_commit.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/server/metrics.h"
#include "common/sql/database.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::sql::internal {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Records the calls the writer makes; fails the steps it is told to.
class ScriptedTransaction final : public BatchTransaction {
 public:
  absl::Status BeginBatch() override {
    absl::MutexLock lock(&mu_);
    calls_.push_back("begin");
    return begin_status_;
  }
  absl::Status RunFunction(AsyncTransactionFn& fn, absl::Status* result) override {
    *result = fn(session_);
    absl::MutexLock lock(&mu_);
    calls_.push_back(result->ok() ? "run ok" : "run error");
    return break_on_error_ && !result->ok() ? absl::AbortedError("the batch broke")
                                            : absl::OkStatus();
  }
  absl::Status CommitBatch() override {
    absl::MutexLock lock(&mu_);
    calls_.push_back("commit");
    if (conflicts_left_ > 0) {
      --conflicts_left_;
      return MarkConflict(absl::AbortedError("could not serialize access"));
    }
    return commit_status_;
  }
  void RollbackBatch() override {
    absl::MutexLock lock(&mu_);
    calls_.push_back("rollback");
  }

  void FailBegin(absl::Status st) {
    absl::MutexLock lock(&mu_);
    begin_status_ = std::move(st);
  }
  void FailCommit(absl::Status st) {
    absl::MutexLock lock(&mu_);
    commit_status_ = std::move(st);
  }
  // The next `n` commits fail with a conflict (a serialization failure).
  void ConflictOnCommit(int n) {
    absl::MutexLock lock(&mu_);
    conflicts_left_ = n;
  }
  void BreakOnError() {
    absl::MutexLock lock(&mu_);
    break_on_error_ = true;
  }
  std::vector<std::string> calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  // Never executes anything: the scripted functions do not use it.
  class NullSession final : public Session {
    Dialect dialect() const override { return Dialect::kSqlite; }
    bool writable() const override { return true; }
    absl::StatusOr<Result> DoExecute(absl::string_view, std::span<const Value>) override {
      return Result();
    }
  };

  NullSession session_;
  absl::Mutex mu_;
  std::vector<std::string> calls_ ABSL_GUARDED_BY(mu_);
  absl::Status begin_status_ ABSL_GUARDED_BY(mu_);
  absl::Status commit_status_ ABSL_GUARDED_BY(mu_);
  bool break_on_error_ ABSL_GUARDED_BY(mu_) = false;
  int conflicts_left_ ABSL_GUARDED_BY(mu_) = 0;
};

// Outcomes reported to `done`, in the order the callbacks ran.
class Outcomes {
 public:
  DoneFn For(int id) {
    return [this, id](absl::Status st) {
      absl::MutexLock lock(&mu_);
      seen_.push_back({id, std::move(st)});
    };
  }
  void WaitFor(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return seen_.size() >= n; };
    mu_.Await(absl::Condition(&enough));
  }
  std::vector<std::pair<int, absl::Status>> seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::pair<int, absl::Status>> seen_ ABSL_GUARDED_BY(mu_);
};

// Queues `n` functions before the writer starts, so that they form one batch.
void QueueBeforeStart(GroupCommitWriter& writer, Outcomes& outcomes, int n, int failing) {
  for (int i = 0; i < n; ++i) {
    writer.WriteAsync(
        [i, failing](Session&) {
          return i == failing ? absl::FailedPreconditionError("this one fails")
                              : absl::OkStatus();
        },
        outcomes.For(i));
  }
}

TEST(GroupCommitWriterTest, OneFunctionsErrorIsReportedToItAloneAndTheBatchCommits) {
  ScriptedTransaction txn;
  GroupCommitWriter writer(&txn, /*max_batch=*/16);
  Outcomes outcomes;
  QueueBeforeStart(writer, outcomes, 3, /*failing=*/1);
  writer.Start();
  outcomes.WaitFor(3);
  writer.Stop();

  const auto seen = outcomes.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].first, 0);
  EXPECT_EQ(seen[1].first, 1);
  EXPECT_EQ(seen[2].first, 2);
  EXPECT_OK(seen[0].second);
  EXPECT_THAT(seen[1].second, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_OK(seen[2].second);
  EXPECT_THAT(txn.calls(), ElementsAre("begin", "run ok", "run error", "run ok", "commit"));
  const Stats stats = writer.stats();
  EXPECT_EQ(stats.commits, 1);
  EXPECT_EQ(stats.writes, 2);
  EXPECT_EQ(stats.failed_writes, 1);
  EXPECT_EQ(stats.largest_batch, 3);
}

TEST(GroupCommitWriterTest, ABrokenBatchFailsEveryFunctionWithTheBreakAndCommitsNothing) {
  ScriptedTransaction txn;
  txn.BreakOnError();
  GroupCommitWriter writer(&txn, /*max_batch=*/16);
  Outcomes outcomes;
  QueueBeforeStart(writer, outcomes, 3, /*failing=*/1);
  writer.Start();
  outcomes.WaitFor(3);
  writer.Stop();

  for (const auto& [id, status] : outcomes.seen()) {
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kAborted)) << "function " << id;
  }
  // The third function never ran: the batch was already lost.
  EXPECT_THAT(txn.calls(), ElementsAre("begin", "run ok", "run error", "rollback"));
  EXPECT_EQ(writer.stats().commits, 0);
  EXPECT_EQ(writer.stats().failed_writes, 3);
}

TEST(GroupCommitWriterTest, AFailedBeginOrCommitFailsTheWholeBatchWithItsError) {
  {
    ScriptedTransaction txn;
    txn.FailBegin(absl::UnavailableError("locked"));
    GroupCommitWriter writer(&txn, 16);
    writer.Start();
    EXPECT_THAT(writer.Write([](Session&) { return absl::OkStatus(); }),
                StatusIs(absl::StatusCode::kUnavailable));
    writer.Stop();
  }
  {
    ScriptedTransaction txn;
    txn.FailCommit(absl::ResourceExhaustedError("disk full"));
    GroupCommitWriter writer(&txn, 16);
    writer.Start();
    EXPECT_THAT(writer.Write([](Session&) { return absl::OkStatus(); }),
                StatusIs(absl::StatusCode::kResourceExhausted));
    writer.Stop();
    EXPECT_THAT(txn.calls(), ElementsAre("begin", "run ok", "commit", "rollback"));
  }
}

// The line of `series` in the rendered registry, "" when absent.
std::string Line(const server::Metrics& metrics, absl::string_view series) {
  for (absl::string_view line : absl::StrSplit(metrics.RenderPrometheus(), '\n')) {
    if (absl::StartsWith(line, absl::StrCat(series, " "))) return std::string(line);
  }
  return "";
}

TEST(GroupCommitWriterTest, AConflictingBatchRunsAgainWholeAndEachCallerHearsOnce) {
  server::Metrics metrics;
  ScriptedTransaction txn;
  txn.ConflictOnCommit(2);
  GroupCommitWriter writer(&txn, /*max_batch=*/16, &metrics, /*conflict_retries=*/3);
  Outcomes outcomes;
  int runs_of_first = 0;
  writer.WriteAsync(
      [&runs_of_first](Session&) {
        ++runs_of_first;
        return absl::OkStatus();
      },
      outcomes.For(0));
  QueueBeforeStart(writer, outcomes, 1, /*failing=*/0);
  writer.Start();
  outcomes.WaitFor(2);
  writer.Stop();

  EXPECT_EQ(runs_of_first, 3);
  const auto seen = outcomes.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_OK(seen[0].second);
  EXPECT_THAT(seen[1].second, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("this one fails")));
  EXPECT_THAT(txn.calls(), ElementsAre("begin", "run ok", "run error", "commit", "rollback",  //
                                       "begin", "run ok", "run error", "commit", "rollback",  //
                                       "begin", "run ok", "run error", "commit"));
  const Stats stats = writer.stats();
  EXPECT_EQ(stats.commits, 1);
  EXPECT_EQ(stats.writes, 1);
  EXPECT_EQ(stats.failed_writes, 1);
  EXPECT_EQ(stats.conflict_retries, 2);
  EXPECT_EQ(Line(metrics, "lf_sql_conflict_retries_total"), "lf_sql_conflict_retries_total 2");
  EXPECT_EQ(Line(metrics, "lf_sql_errors_total"), "lf_sql_errors_total 0");
}

TEST(GroupCommitWriterTest, AConflictBeyondTheRetriesFailsTheBatchAborted) {
  ScriptedTransaction txn;
  txn.ConflictOnCommit(10);
  GroupCommitWriter writer(&txn, /*max_batch=*/16, nullptr, /*conflict_retries=*/2);
  writer.Start();
  EXPECT_THAT(writer.Write([](Session&) { return absl::OkStatus(); }),
              StatusIs(absl::StatusCode::kAborted));
  writer.Stop();
  EXPECT_EQ(writer.stats().conflict_retries, 2);
  EXPECT_EQ(writer.stats().commits, 0);
  EXPECT_EQ(writer.stats().failed_writes, 1);
  EXPECT_THAT(txn.calls(), ElementsAre("begin", "run ok", "commit", "rollback",  //
                                       "begin", "run ok", "commit", "rollback",  //
                                       "begin", "run ok", "commit", "rollback"));
}

TEST(GroupCommitWriterTest, WithoutRetriesAConflictFailsAtOnce) {
  ScriptedTransaction txn;
  txn.ConflictOnCommit(1);
  GroupCommitWriter writer(&txn, /*max_batch=*/16);
  writer.Start();
  EXPECT_THAT(writer.Write([](Session&) { return absl::OkStatus(); }),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_OK(writer.Write([](Session&) { return absl::OkStatus(); }));
  writer.Stop();
  EXPECT_EQ(writer.stats().conflict_retries, 0);
}

TEST(GroupCommitWriterTest, MetricsCountBatchSizesCommitTimesAndDatabaseErrors) {
  server::Metrics metrics;
  ScriptedTransaction txn;
  GroupCommitWriter writer(&txn, /*max_batch=*/16, &metrics);
  Outcomes outcomes;
  QueueBeforeStart(writer, outcomes, 3, /*failing=*/1);  // FAILED_PRECONDITION: not counted
  writer.Start();
  outcomes.WaitFor(3);
  EXPECT_EQ(Line(metrics, "lf_sql_commit_batch_size_count"), "lf_sql_commit_batch_size_count 1");
  EXPECT_EQ(Line(metrics, "lf_sql_commit_batch_size_sum"), "lf_sql_commit_batch_size_sum 3");
  EXPECT_EQ(Line(metrics, "lf_sql_commit_batch_size_bucket{le=\"2\"}"),
            "lf_sql_commit_batch_size_bucket{le=\"2\"} 0");
  EXPECT_EQ(Line(metrics, "lf_sql_commit_batch_size_bucket{le=\"4\"}"),
            "lf_sql_commit_batch_size_bucket{le=\"4\"} 1");
  EXPECT_EQ(Line(metrics, "lf_sql_commit_seconds_count"), "lf_sql_commit_seconds_count 1");
  EXPECT_EQ(Line(metrics, "lf_sql_errors_total"), "lf_sql_errors_total 0");

  // A statement the database refused (INTERNAL) counts once, the batch still commits.
  EXPECT_THAT(writer.Write([](Session&) { return absl::InternalError("no such table"); }),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(Line(metrics, "lf_sql_errors_total"), "lf_sql_errors_total 1");
  EXPECT_EQ(Line(metrics, "lf_sql_commit_batch_size_count"), "lf_sql_commit_batch_size_count 2");
  // A batch whose commit fails counts once and is not a committed batch.
  txn.FailCommit(absl::UnavailableError("connection lost"));
  EXPECT_THAT(writer.Write([](Session&) { return absl::OkStatus(); }),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Line(metrics, "lf_sql_errors_total"), "lf_sql_errors_total 2");
  EXPECT_EQ(Line(metrics, "lf_sql_commit_batch_size_count"), "lf_sql_commit_batch_size_count 2");
  writer.Stop();
}

TEST(GroupCommitWriterTest, BatchesHoldAtMostMaxBatchFunctions) {
  ScriptedTransaction txn;
  GroupCommitWriter writer(&txn, /*max_batch=*/2);
  Outcomes outcomes;
  QueueBeforeStart(writer, outcomes, 5, /*failing=*/-1);
  writer.Start();
  outcomes.WaitFor(5);
  writer.Stop();
  EXPECT_EQ(writer.stats().commits, 3);
  EXPECT_EQ(writer.stats().largest_batch, 2);
}

TEST(GroupCommitWriterTest, WriteFromADoneCallbackIsRefusedInsteadOfDeadlocking) {
  ScriptedTransaction txn;
  GroupCommitWriter writer(&txn, 16);
  writer.Start();
  absl::Notification done;
  absl::Status nested;
  writer.WriteAsync([](Session&) { return absl::OkStatus(); },
                    [&](absl::Status) {
                      nested = writer.Write([](Session&) { return absl::OkStatus(); });
                      done.Notify();
                    });
  done.WaitForNotification();
  writer.Stop();
  EXPECT_THAT(nested, StatusIs(absl::StatusCode::kInternal));
}

TEST(GroupCommitWriterTest, StopRunsWhatIsQueuedAndRefusesLaterWrites) {
  ScriptedTransaction txn;
  GroupCommitWriter writer(&txn, 16);
  Outcomes outcomes;
  QueueBeforeStart(writer, outcomes, 4, /*failing=*/-1);
  writer.Start();
  writer.Stop();
  const auto seen = outcomes.seen();
  ASSERT_EQ(seen.size(), 4u);
  for (const auto& [id, status] : seen) EXPECT_OK(status) << "function " << id;

  absl::Status late;
  writer.WriteAsync([](Session&) { return absl::OkStatus(); },
                    [&](absl::Status st) { late = std::move(st); });
  EXPECT_THAT(late, StatusIs(absl::StatusCode::kUnavailable));
}

TEST(GroupCommitWriterTest, AWriterNeverStartedFailsWhatWasQueuedWhenStopped) {
  ScriptedTransaction txn;
  Outcomes outcomes;
  {
    GroupCommitWriter writer(&txn, 16);
    QueueBeforeStart(writer, outcomes, 2, /*failing=*/-1);
  }  // destroyed without Start
  const auto seen = outcomes.seen();
  ASSERT_EQ(seen.size(), 2u);
  for (const auto& [id, status] : seen) {
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable)) << "function " << id;
  }
  EXPECT_TRUE(txn.calls().empty());
}

}  // namespace
}  // namespace lianfang::sql::internal
