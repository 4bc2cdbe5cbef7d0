// ThreadSanitizer build only (LF_TSAN, cmake/Sanitizers.cmake): teaches TSan the
// happens-before edges of absl::Mutex, CondVar, Notification and BlockingCounter.
//
// Why: Debian's Abseil is a shared library compiled without -fsanitize=thread, so its
// lock-free fast paths and futex waits are invisible to TSan, and every member that an
// absl::Mutex guards would be reported as a data race (a test program with four threads
// incrementing a counter under absl::MutexLock reports one). These definitions, linked into
// every executable of the TSan build, take the place of the library's entry points (the
// executable's symbols come first for the program and for the libraries it loads, gRPC's
// included), call the library's own function (dlsym(RTLD_NEXT)) and tell TSan what it did:
// __tsan_release before a lock is given up (Unlock, and the release inside Await and
// CondVar::Wait), __tsan_acquire once it is held. Effect: the same edges an instrumented
// Abseil would give, so a race in our code on data that is NOT under its mutex still shows.
//
// Two deliberate approximations, both only able to hide a race, never to invent one:
//   - LockWhen/Await (and their timed variants) release before waiting: the waiter's
//     Condition may run on the thread that unlocks (Abseil evaluates it there), reading what
//     the waiter wrote before the call (its lambda's captures).
//   - Reader locks use the same address as writer locks, so two readers are ordered too.
// And a Condition is evaluated through a wrapper that first acquires its mutex for TSan
// (tsan_absl_condition.cc): Abseil evaluates it with the mutex held, taken internally.
//
// The symbol names are those of Abseil 20220623 as Debian builds it (inline namespace
// "debian3"); the static_assert below stops the build when that changes.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "absl/base/options.h"  // macros only: this file must not declare absl::Mutex

#define LF_TSAN_STR2(x) #x
#define LF_TSAN_STR(x) LF_TSAN_STR2(x)
static_assert(std::string_view(LF_TSAN_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME)) == "debian3",
              "Abseil's inline namespace changed: update the mangled names in tsan_absl_sync.cc");

namespace {

// absl::Duration and absl::Time (a Duration) as the ABI passes them: two integer words.
struct Duration {
  int64_t hi;
  uint32_t lo;
};

template <typename Fn>
Fn Real(const char* name) {
  void* fn = dlsym(RTLD_NEXT, name);
  if (fn == nullptr) {
    std::fprintf(stderr, "tsan_absl_sync: %s not found in the Abseil libraries\n", name);
    std::abort();
  }
  return reinterpret_cast<Fn>(fn);
}

// A Condition that tells TSan `mu` is held before evaluating `condition`
// (cmake/tsan_absl_condition.cc): Abseil may evaluate it after taking the mutex internally.
extern "C" const void* LfTsanAcquiringCondition(void* storage, void* guarded);

class AcquiringCondition {
 public:
  AcquiringCondition(void* mu, const void* condition)
      : guarded_{mu, condition}, condition_(LfTsanAcquiringCondition(storage_, &guarded_)) {}
  const void* get() const { return condition_; }

 private:
  struct {
    void* mu;
    const void* condition;
  } guarded_;
  alignas(16) unsigned char storage_[64];
  const void* condition_;
};

}  // namespace

#define LF_MUTEX(name) "_ZN4absl7debian35Mutex" name
#define LF_CONDVAR(name) "_ZN4absl7debian37CondVar" name

// Declares and defines `ret fn(params)` under the C++ symbol `sym`, with `real` bound to the
// library's definition of it.
#define LF_WRAP(ret, fn, sym, params)                   \
  extern "C" ret fn params __asm__(sym);                 \
  static ret (*Real_##fn()) params {                     \
    static ret (*real) params = Real<ret(*) params>(sym); \
    return real;                                         \
  }                                                      \
  extern "C" ret fn params

// ---- Mutex: locking ----
LF_WRAP(void, LfMutexLock, LF_MUTEX("4LockEv"), (void* mu)) {
  Real_LfMutexLock()(mu);
  __tsan_acquire(mu);
}
LF_WRAP(void, LfMutexReaderLock, LF_MUTEX("10ReaderLockEv"), (void* mu)) {
  Real_LfMutexReaderLock()(mu);
  __tsan_acquire(mu);
}
LF_WRAP(bool, LfMutexTryLock, LF_MUTEX("7TryLockEv"), (void* mu)) {
  const bool held = Real_LfMutexTryLock()(mu);
  if (held) __tsan_acquire(mu);
  return held;
}
LF_WRAP(bool, LfMutexReaderTryLock, LF_MUTEX("13ReaderTryLockEv"), (void* mu)) {
  const bool held = Real_LfMutexReaderTryLock()(mu);
  if (held) __tsan_acquire(mu);
  return held;
}
LF_WRAP(void, LfMutexUnlock, LF_MUTEX("6UnlockEv"), (void* mu)) {
  __tsan_release(mu);
  Real_LfMutexUnlock()(mu);
}
LF_WRAP(void, LfMutexReaderUnlock, LF_MUTEX("12ReaderUnlockEv"), (void* mu)) {
  __tsan_release(mu);
  Real_LfMutexReaderUnlock()(mu);
}

// ---- Mutex: waiting for a condition (the lock is held when they return) ----
LF_WRAP(void, LfMutexLockWhen, LF_MUTEX("8LockWhenERKNS0_9ConditionE"),
        (void* mu, const void* cond)) {
  __tsan_release(mu);
  Real_LfMutexLockWhen()(mu, AcquiringCondition(mu, cond).get());
  __tsan_acquire(mu);
}
LF_WRAP(void, LfMutexReaderLockWhen, LF_MUTEX("14ReaderLockWhenERKNS0_9ConditionE"),
        (void* mu, const void* cond)) {
  __tsan_release(mu);
  Real_LfMutexReaderLockWhen()(mu, AcquiringCondition(mu, cond).get());
  __tsan_acquire(mu);
}
LF_WRAP(bool, LfMutexLockWhenWithTimeout,
        LF_MUTEX("19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE"),
        (void* mu, const void* cond, Duration d)) {
  __tsan_release(mu);
  const bool met = Real_LfMutexLockWhenWithTimeout()(mu, AcquiringCondition(mu, cond).get(), d);
  __tsan_acquire(mu);
  return met;
}
LF_WRAP(bool, LfMutexLockWhenWithDeadline,
        LF_MUTEX("20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE"),
        (void* mu, const void* cond, Duration t)) {
  __tsan_release(mu);
  const bool met = Real_LfMutexLockWhenWithDeadline()(mu, AcquiringCondition(mu, cond).get(), t);
  __tsan_acquire(mu);
  return met;
}
LF_WRAP(bool, LfMutexReaderLockWhenWithTimeout,
        LF_MUTEX("25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE"),
        (void* mu, const void* cond, Duration d)) {
  __tsan_release(mu);
  const bool met = Real_LfMutexReaderLockWhenWithTimeout()(mu, AcquiringCondition(mu, cond).get(), d);
  __tsan_acquire(mu);
  return met;
}
LF_WRAP(bool, LfMutexReaderLockWhenWithDeadline,
        LF_MUTEX("26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE"),
        (void* mu, const void* cond, Duration t)) {
  __tsan_release(mu);
  const bool met = Real_LfMutexReaderLockWhenWithDeadline()(mu, AcquiringCondition(mu, cond).get(), t);
  __tsan_acquire(mu);
  return met;
}
LF_WRAP(void, LfMutexAwait, LF_MUTEX("5AwaitERKNS0_9ConditionE"), (void* mu, const void* cond)) {
  __tsan_release(mu);
  Real_LfMutexAwait()(mu, AcquiringCondition(mu, cond).get());
  __tsan_acquire(mu);
}
LF_WRAP(bool, LfMutexAwaitWithTimeout,
        LF_MUTEX("16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE"),
        (void* mu, const void* cond, Duration d)) {
  __tsan_release(mu);
  const bool met = Real_LfMutexAwaitWithTimeout()(mu, AcquiringCondition(mu, cond).get(), d);
  __tsan_acquire(mu);
  return met;
}
LF_WRAP(bool, LfMutexAwaitWithDeadline,
        LF_MUTEX("17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE"),
        (void* mu, const void* cond, Duration t)) {
  __tsan_release(mu);
  const bool met = Real_LfMutexAwaitWithDeadline()(mu, AcquiringCondition(mu, cond).get(), t);
  __tsan_acquire(mu);
  return met;
}

// ---- CondVar (called with `mu` held; it is held again when they return) ----
LF_WRAP(void, LfCondVarWait, LF_CONDVAR("4WaitEPNS0_5MutexE"), (void* cv, void* mu)) {
  __tsan_release(mu);
  Real_LfCondVarWait()(cv, mu);
  __tsan_acquire(mu);
}
LF_WRAP(bool, LfCondVarWaitWithTimeout, LF_CONDVAR("15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE"),
        (void* cv, void* mu, Duration d)) {
  __tsan_release(mu);
  const bool timed_out = Real_LfCondVarWaitWithTimeout()(cv, mu, d);
  __tsan_acquire(mu);
  return timed_out;
}
LF_WRAP(bool, LfCondVarWaitWithDeadline, LF_CONDVAR("16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE"),
        (void* cv, void* mu, Duration t)) {
  __tsan_release(mu);
  const bool timed_out = Real_LfCondVarWaitWithDeadline()(cv, mu, t);
  __tsan_acquire(mu);
  return timed_out;
}

// ---- Notification: what happened before Notify is visible after a wait that saw it ----
LF_WRAP(void, LfNotificationNotify, "_ZN4absl7debian312Notification6NotifyEv", (void* n)) {
  __tsan_release(n);
  Real_LfNotificationNotify()(n);
}
LF_WRAP(void, LfNotificationWait, "_ZNK4absl7debian312Notification19WaitForNotificationEv",
        (const void* n)) {
  Real_LfNotificationWait()(n);
  __tsan_acquire(const_cast<void*>(n));
}
LF_WRAP(bool, LfNotificationWaitWithTimeout,
        "_ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE",
        (const void* n, Duration d)) {
  const bool notified = Real_LfNotificationWaitWithTimeout()(n, d);
  if (notified) __tsan_acquire(const_cast<void*>(n));
  return notified;
}
LF_WRAP(bool, LfNotificationWaitWithDeadline,
        "_ZNK4absl7debian312Notification31WaitForNotificationWithDeadlineENS0_4TimeE",
        (const void* n, Duration t)) {
  const bool notified = Real_LfNotificationWaitWithDeadline()(n, t);
  if (notified) __tsan_acquire(const_cast<void*>(n));
  return notified;
}

// ---- BlockingCounter ----
LF_WRAP(bool, LfBlockingCounterDecrement, "_ZN4absl7debian315BlockingCounter14DecrementCountEv",
        (void* c)) {
  __tsan_release(c);
  return Real_LfBlockingCounterDecrement()(c);
}
LF_WRAP(void, LfBlockingCounterWait, "_ZN4absl7debian315BlockingCounter4WaitEv", (void* c)) {
  Real_LfBlockingCounterWait()(c);
  __tsan_acquire(c);
}
