// ReaderPool: the read connections of a driver (common/sql internal). At most `max_open`
// connections exist at once; Acquire() hands out an idle one, or opens a new one while under
// the bound, or blocks until one is released. Used by the SQLite and PostgreSQL drivers, which
// supply how a connection is opened and say on release whether it may be reused.
// Thread-safe.
#ifndef LIANFANG_COMMON_SQL_READER_POOL_H_
#define LIANFANG_COMMON_SQL_READER_POOL_H_

#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace lianfang::sql::internal {

template <typename Connection>
class ReaderPool final {
 public:
  using Opener = absl::AnyInvocable<absl::StatusOr<std::unique_ptr<Connection>>() const>;

  // `open` makes a new connection; it is called outside the pool's lock.
  ReaderPool(int max_open, Opener open) : max_open_(max_open), open_(std::move(open)) {}
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  // An idle connection, else a new one while fewer than `max_open` exist, else waits for a
  // Release(). The opener's error when a new connection cannot be opened (its slot is freed).
  absl::StatusOr<std::unique_ptr<Connection>> Acquire() {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &ReaderPool::Available));
      if (!idle_.empty()) {
        std::unique_ptr<Connection> conn = std::move(idle_.back());
        idle_.pop_back();
        return conn;
      }
      ++open_count_;  // reserve the slot; open outside the lock
    }
    absl::StatusOr<std::unique_ptr<Connection>> conn = open_();
    if (!conn.ok()) {
      absl::MutexLock lock(&mu_);
      --open_count_;
    }
    return conn;
  }

  // Gives `conn` back: kept for the next Acquire() when `reusable`, else closed (outside the
  // lock) and its slot freed.
  void Release(std::unique_ptr<Connection> conn, bool reusable) {
    if (!reusable) conn.reset();
    absl::MutexLock lock(&mu_);
    if (reusable) {
      idle_.push_back(std::move(conn));
    } else {
      --open_count_;
    }
  }

 private:
  bool Available() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !idle_.empty() || open_count_ < max_open_;
  }

  const int max_open_;
  const Opener open_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace lianfang::sql::internal

#endif  // LIANFANG_COMMON_SQL_READER_POOL_H_
