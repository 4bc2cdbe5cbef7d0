// ThreadSanitizer build only: the Condition wrapper that cmake/tsan_absl_sync.cc passes to
// Abseil in place of the caller's. Abseil may evaluate a waiter's Condition inside Await or
// LockWhen after it re-took the mutex internally (invisible to TSan), so the wrapper tells
// TSan that the mutex is held while it evaluates the caller's Condition.
// Kept apart from tsan_absl_sync.cc, which must not see Abseil's declarations.
#include <sanitizer/tsan_interface.h>

#include <cstddef>
#include <new>

#include "absl/synchronization/mutex.h"

namespace {

struct Guarded {
  void* mu;
  const absl::Condition* condition;
};

// Abseil evaluates a Condition with the mutex held (taken internally, or by the thread that
// is unlocking): acquire before, and release after, so that what it read is ordered before
// the next holder of the mutex too.
bool EvalGuarded(void* arg) {
  const Guarded* guarded = static_cast<const Guarded*>(arg);
  __tsan_acquire(guarded->mu);
  const bool met = guarded->condition->Eval();
  __tsan_release(guarded->mu);
  return met;
}

}  // namespace

// Builds in `storage` (64 bytes, 16-aligned) a Condition that evaluates `guarded` ({mu,
// condition}, alive as long as the Condition is used).
extern "C" const void* LfTsanAcquiringCondition(void* storage, void* guarded) {
  static_assert(sizeof(absl::Condition) <= 64 && alignof(absl::Condition) <= 16);
  return new (storage) absl::Condition(&EvalGuarded, guarded);
}
