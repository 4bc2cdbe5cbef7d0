// The group-commit writer both SQL drivers share (internal to common/sql): the queue of
// Write/WriteAsync functions, the writer thread, the batch loop (one transaction per batch,
// one savepoint per function, one COMMIT) and the write statistics. A driver supplies only
// how its connection begins a batch, runs one function under a savepoint, commits and rolls
// back (`BatchTransaction`).
//
// Contract kept for database.h: a function's error undoes that function's changes only; a
// batch whose transaction breaks (or whose COMMIT fails) fails every function of the batch
// with that error, except a conflict with a concurrent transaction (internal::IsConflict: a
// serialization failure or deadlock), after which the batch is rolled back and run again,
// every function anew, up to `conflict_retries` times after a random pause of up to 1 ms,
// 2 ms, 4 ms... (at most 64 ms); `done` callbacks run on the writer thread, in queue order, only after the
// commit (or the failure) is known; Write from the writer thread is refused with INTERNAL.
//
// Metrics (when given a registry, docs/metrics.md): per committed batch its size
// (lf_sql_commit_batch_size) and the time from BEGIN to the end of COMMIT
// (lf_sql_commit_seconds); lf_sql_conflict_retries_total counts the batches run again after a
// conflict; lf_sql_errors_total counts every batch that failed as a whole (its
// transaction could not begin, broke, or did not commit) and every function whose outcome is
// INTERNAL, UNKNOWN or DATA_LOSS (a statement the database refused, an unhandled constraint
// violation).
//
// Several writers may serve one Database (PostgreSQL, Options::writers): each keeps this
// contract for the functions queued on it; they share the metrics above (the same series,
// summed), and a Write from any writer's thread is refused (the driver asks each,
// OnWriterThread).
//
// Thread-safety: Write/WriteAsync/stats/pending from any thread. The BatchTransaction is used by
// the writer thread only.
#ifndef LIANFANG_COMMON_SQL_GROUP_COMMIT_H_
#define LIANFANG_COMMON_SQL_GROUP_COMMIT_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/server/metrics.h"
#include "common/sql/database.h"

namespace lianfang::sql::internal {

// One driver's side of a batch, called on the writer thread in this order: BeginBatch, then
// RunFunction for each function until one returns an error, then CommitBatch when none did,
// and RollbackBatch whenever BeginBatch, a RunFunction or CommitBatch returned an error.
class BatchTransaction {
 public:
  virtual ~BatchTransaction() = default;

  // Starts the batch's write transaction (taking the write lock, where the driver has one).
  // An error fails the batch.
  virtual absl::Status BeginBatch() = 0;
  // Runs `fn` under a savepoint of its own in the batch's transaction and stores its outcome
  // in `*result` (its changes released on OK, rolled back to the savepoint on an error).
  // Returns an error only when the batch's transaction can no longer be committed (marked
  // internal::MarkConflict when running the batch again may succeed).
  virtual absl::Status RunFunction(AsyncTransactionFn& fn, absl::Status* result) = 0;
  // Commits the batch (durably). An error fails the batch.
  virtual absl::Status CommitBatch() = 0;
  // Ends whatever transaction is still open after an error; best effort.
  virtual void RollbackBatch() = 0;
  // After a successful CommitBatch: the id of the committed transaction, which the `done`
  // callbacks read through CommittedTransactionId() (database.h); 0 when the driver has none.
  virtual int64_t committed_transaction_id() const { return 0; }
};

// Database::Write on top of a WriteAsync: refused with INTERNAL when `on_writer_thread` (the
// caller is a write function or a done callback, and the writer would wait for itself), else
// queued through `write_async` and waited for.
absl::Status WriteAndWait(bool on_writer_thread, TransactionFn fn,
                          absl::FunctionRef<void(AsyncTransactionFn, DoneFn)> write_async);

// The writer: a queue and one thread that commits what is queued in batches of at most
// `max_batch` functions.
class GroupCommitWriter final {
 public:
  // `txn` must outlive the writer (until Stop returned); `metrics` (may be null) too.
  GroupCommitWriter(BatchTransaction* txn, int max_batch, server::Metrics* metrics = nullptr,
                    int conflict_retries = 0);
  GroupCommitWriter(const GroupCommitWriter&) = delete;
  GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;
  // REQUIRES: Stop was called (or Start never was).
  ~GroupCommitWriter();

  // Starts the writer thread. Call once, when the BatchTransaction is ready.
  void Start();
  // Runs everything queued (their `done` callbacks are called), then stops the thread; later
  // WriteAsync calls fail at once with UNAVAILABLE. Idempotent.
  void Stop();

  // Database::Write and Database::WriteAsync (see database.h).
  absl::Status Write(TransactionFn fn);
  void WriteAsync(AsyncTransactionFn fn, DoneFn done);

  Stats stats() const;

  // Functions queued or running whose `done` has not yet returned (a measure of the writer's
  // load, for spreading functions over several writers).
  int64_t pending() const { return pending_.load(std::memory_order_relaxed); }
  // True on this writer's thread (inside a write function or a `done` callback it runs).
  bool OnWriterThread() const { return std::this_thread::get_id() == thread_id_.load(); }

 private:
  struct Op {
    AsyncTransactionFn fn;
    DoneFn done;
  };

  bool HasWorkOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !queue_.empty() || stopping_;
  }
  void Loop();
  void RunBatch(std::vector<Op>& batch);
  // One try of the batch: OK once committed (`results` then hold the functions' outcomes),
  // else the batch's failure (rolled back).
  absl::Status TryBatch(std::vector<Op>& batch, std::vector<absl::Status>& results);

  // Counts a database error (see the file comment).
  void CountErrors(int64_t n);

  BatchTransaction* const txn_;
  const size_t max_batch_;
  const int conflict_retries_;
  absl::BitGen bitgen_;  // the writer thread's, for the pauses between conflicting tries
  server::Metrics::Histogram* batch_size_ = nullptr;      // null without metrics
  server::Metrics::Histogram* commit_seconds_ = nullptr;  // null without metrics
  server::Metrics::Counter* errors_ = nullptr;            // null without metrics
  server::Metrics::Counter* conflict_retries_total_ = nullptr;  // null without metrics

  absl::Mutex mu_;
  std::deque<Op> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool exited_ ABSL_GUARDED_BY(mu_) = false;

  std::atomic<int64_t> pending_{0};
  std::atomic<std::thread::id> thread_id_{};

  mutable absl::Mutex stats_mu_;
  Stats stats_ ABSL_GUARDED_BY(stats_mu_);

  std::thread thread_;
};

}  // namespace lianfang::sql::internal

#endif  // LIANFANG_COMMON_SQL_GROUP_COMMIT_H_
