#include "common/sql/group_commit.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace lianfang::sql::internal {

namespace {

constexpr double kBatchSizeBuckets[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};

// The transaction id CommittedTransactionId() answers on this thread (the writer's, while it
// runs the done callbacks of a committed batch).
thread_local int64_t t_committed_transaction_id = 0;

bool IsDatabaseError(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInternal ||
         status.code() == absl::StatusCode::kUnknown ||
         status.code() == absl::StatusCode::kDataLoss;
}

}  // namespace

GroupCommitWriter::GroupCommitWriter(BatchTransaction* txn, int max_batch, server::Metrics* metrics,
                                     int conflict_retries)
    : txn_(txn), max_batch_(max_batch), conflict_retries_(conflict_retries) {
  if (metrics == nullptr) return;
  conflict_retries_total_ = metrics->GetCounter(
      "lf_sql_conflict_retries_total",
      "Write batches rolled back and run again after a serialization failure or deadlock.");
  batch_size_ = metrics->GetHistogram("lf_sql_commit_batch_size",
                                      "Write functions committed together in one transaction.",
                                      kBatchSizeBuckets);
  commit_seconds_ = metrics->GetHistogram(
      "lf_sql_commit_seconds", "Time of a write batch from BEGIN to the end of its COMMIT.",
      server::Metrics::kLatencyBucketsSeconds);
  errors_ = metrics->GetCounter(
      "lf_sql_errors_total",
      "Write batches that failed as a whole and write functions ending in a database error.");
}

GroupCommitWriter::~GroupCommitWriter() { Stop(); }

void GroupCommitWriter::CountErrors(int64_t n) {
  if (errors_ != nullptr && n > 0) errors_->Increment(static_cast<double>(n));
}

void GroupCommitWriter::Start() {
  thread_ = std::thread([this] {
    thread_id_.store(std::this_thread::get_id());
    Loop();
  });
}

void GroupCommitWriter::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  // Never started: nothing will run what is queued.
  std::deque<Op> left;
  {
    absl::MutexLock lock(&mu_);
    exited_ = true;
    left.swap(queue_);
  }
  for (Op& op : left) {
    op.done(absl::UnavailableError("the database is closed"));
    pending_.fetch_sub(1, std::memory_order_relaxed);
  }
}

absl::Status WriteAndWait(bool on_writer_thread, TransactionFn fn,
                          absl::FunctionRef<void(AsyncTransactionFn, DoneFn)> write_async) {
  if (on_writer_thread) {
    return absl::InternalError(
        "Database::Write was called from a write function or a done callback; use "
        "WriteAsync there");
  }
  absl::Notification finished;
  absl::Status result;
  write_async([fn = std::move(fn)](Session& session) { return fn(session); },
              [&](absl::Status status) {
                result = std::move(status);
                finished.Notify();
              });
  finished.WaitForNotification();
  return result;
}

absl::Status GroupCommitWriter::Write(TransactionFn fn) {
  return WriteAndWait(OnWriterThread(), std::move(fn), [this](AsyncTransactionFn f, DoneFn d) {
    WriteAsync(std::move(f), std::move(d));
  });
}

void GroupCommitWriter::WriteAsync(AsyncTransactionFn fn, DoneFn done) {
  {
    absl::MutexLock lock(&mu_);
    if (!exited_) {
      pending_.fetch_add(1, std::memory_order_relaxed);
      queue_.push_back(Op{std::move(fn), std::move(done)});
      return;
    }
  }
  done(absl::UnavailableError("the database is closed"));
}

Stats GroupCommitWriter::stats() const {
  absl::MutexLock lock(&stats_mu_);
  return stats_;
}

void GroupCommitWriter::Loop() {
  std::vector<Op> batch;
  for (;;) {
    batch.clear();
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &GroupCommitWriter::HasWorkOrStopping));
      if (queue_.empty()) {  // stopping, and everything queued has run
        exited_ = true;
        return;
      }
      const size_t n = std::min(queue_.size(), max_batch_);
      batch.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    RunBatch(batch);
  }
}

absl::Status GroupCommitWriter::TryBatch(std::vector<Op>& batch,
                                         std::vector<absl::Status>& results) {
  if (absl::Status begin = txn_->BeginBatch(); !begin.ok()) {
    txn_->RollbackBatch();
    return begin;
  }
  results.assign(batch.size(), absl::OkStatus());
  absl::Status broken;  // set when the batch's transaction cannot be committed
  for (size_t i = 0; i < batch.size() && broken.ok(); ++i) {
    broken = txn_->RunFunction(batch[i].fn, &results[i]);
  }
  if (broken.ok()) broken = txn_->CommitBatch();
  if (!broken.ok()) txn_->RollbackBatch();
  return broken;
}

void GroupCommitWriter::RunBatch(std::vector<Op>& batch) {
  const absl::Time started = absl::Now();
  std::vector<absl::Status> results;
  absl::Status failed = TryBatch(batch, results);
  for (int retry = 0; internal::IsConflict(failed) && retry < conflict_retries_; ++retry) {
    {
      absl::MutexLock lock(&stats_mu_);
      ++stats_.conflict_retries;
    }
    if (conflict_retries_total_ != nullptr) conflict_retries_total_->Increment();
    // The other transaction usually commits within milliseconds; a random pause keeps two
    // writers that conflicted from meeting again at once.
    const int64_t most_us = int64_t{1000} << std::min(retry, 6);
    absl::SleepFor(absl::Microseconds(absl::Uniform<int64_t>(bitgen_, 0, most_us + 1)));
    failed = TryBatch(batch, results);
  }
  if (!failed.ok()) {
    {
      absl::MutexLock lock(&stats_mu_);
      stats_.failed_writes += static_cast<int64_t>(batch.size());
    }
    CountErrors(1);
    for (Op& op : batch) {
      op.done(failed);
      pending_.fetch_sub(1, std::memory_order_relaxed);
    }
    return;
  }

  {
    absl::MutexLock lock(&stats_mu_);
    ++stats_.commits;
    for (const absl::Status& st : results) {
      if (st.ok()) {
        ++stats_.writes;
      } else {
        ++stats_.failed_writes;
      }
    }
    stats_.largest_batch = std::max<int64_t>(stats_.largest_batch, batch.size());
  }
  if (batch_size_ != nullptr) {
    batch_size_->Observe(static_cast<double>(batch.size()));
    commit_seconds_->Observe(absl::ToDoubleSeconds(absl::Now() - started));
  }
  // A constraint violation the function left unhandled is a defect, not an answer: INTERNAL
  // (database.h).
  t_committed_transaction_id = txn_->committed_transaction_id();
  for (size_t i = 0; i < batch.size(); ++i) {
    absl::Status outcome = internal::WriteOutcome(std::move(results[i]));
    if (IsDatabaseError(outcome)) CountErrors(1);
    batch[i].done(std::move(outcome));
    pending_.fetch_sub(1, std::memory_order_relaxed);
  }
  t_committed_transaction_id = 0;
}

}  // namespace lianfang::sql::internal

namespace lianfang::sql {

int64_t CommittedTransactionId() { return internal::t_committed_transaction_id; }

}  // namespace lianfang::sql
