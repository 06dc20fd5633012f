// Tells ThreadSanitizer what Debian's Abseil does not: when an absl::Mutex is
// locked and unlocked. Linked first into every executable of the
// ThreadSanitizer build (-DSEJF_TSAN=ON, `make test-tsan`), never elsewhere.
//
// Why: Debian's libabsl_synchronization.so is built without
// -fsanitize=thread, so its Mutex takes and releases the lock with atomics
// TSan cannot see and calls none of TSan's mutex hooks (Abseil does so only
// when it is itself built with TSan). Without this file every field of ours
// guarded by an absl::Mutex (ABSL_GUARDED_BY) would be reported as a race.
//
// How: this shared library defines the public locking functions of
// absl::Mutex and absl::CondVar itself. Being the executable's first
// DT_NEEDED library, it comes before libabsl_synchronization.so in the
// symbol lookup order, so every call to them (from our code, from gRPC, and
// from Abseil's own Notification, which calls them through its PLT) lands
// here (and Notification's Notify and waits). Each one brackets the real
// function, found with dlsym(RTLD_NEXT), in TSan's mutex annotations
// (sanitizer/tsan_interface.h), exactly as Abseil's own mutex.cc does in a TSan
// build:
//   Lock, LockWhen*:   __tsan_mutex_pre_lock / real / __tsan_mutex_post_lock
//   Unlock:            __tsan_mutex_pre_unlock / real /
//   __tsan_mutex_post_unlock Await*, CondVar::Wait*: an unlock, then a lock
//   around the real wait.
// Between a pre and a post hook TSan ignores the thread's memory accesses,
// so the Conditions Abseil evaluates inside the lock functions (ours read
// guarded fields) are not reported either. ~Mutex tells TSan the mutex is
// gone, so a new one at the same address starts clean.
//
// That is for calls from the executable, which holds all of sejf's code.
// Calls from the uninstrumented libraries (gRPC's own mutexes, Abseil's
// Notification) only pass happens-before on: __tsan_release before the
// unlock, __tsan_acquire after the lock. The mutex annotations would also
// check the mutex's memory, and gRPC creates, hands over and destroys its
// objects through synchronisation TSan cannot see, so that check reports
// gRPC's internals (seen: a ThreadPool's mutex destroyed by its last
// worker), which are not ours to judge. ~Mutex forgets the mutex either way,
// so that one made later at the same address starts clean.
//
// The function signatures are those of the installed absl/synchronization/
// mutex.h; the real functions are looked up by their mangled names, built
// from Abseil's inline namespace (ABSL_OPTION_INLINE_NAMESPACE_NAME).
#include <dlfcn.h>
#include <link.h>
#include <sanitizer/tsan_interface.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace {

#define SEJF_TSAN_STR2(x) #x
#define SEJF_TSAN_STR(x) SEJF_TSAN_STR2(x)

// "_ZN4absl7debian35Mutex" + suffix, or "_ZNK…" for a const member.
std::string Mangled(bool is_const, const char* cls, const char* suffix) {
  std::string name = is_const ? "_ZNK4absl" : "_ZN4absl";
#if ABSL_OPTION_USE_INLINE_NAMESPACE
  std::string ns = SEJF_TSAN_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  name += std::to_string(ns.size()) + ns;
#endif
  return name + cls + suffix;
}

template <typename Fn>
Fn Real(const char* cls, const char* suffix, bool is_const = false) {
  std::string name = Mangled(is_const, cls, suffix);
  void* fn = dlsym(RTLD_NEXT, name.c_str());
  if (fn == nullptr) {
    std::fprintf(stderr, "absl_mutex_annotations: %s not found: %s\n",
                 name.c_str(), dlerror());
    std::abort();
  }
  return reinterpret_cast<Fn>(fn);
}

using absl::Condition;
using absl::CondVar;
using absl::Duration;
using absl::Mutex;
using absl::Notification;
using absl::Time;

// The mutexes this thread holds (through the functions below) and how, so
// that Await and CondVar::Wait release and retake them in the same mode.
struct Held {
  const Mutex* mu;
  bool reader;
};
thread_local std::vector<Held> held;
// Inside one of the functions below: Abseil's own nested calls (e.g. from
// Notification) are not annotated twice.
thread_local int depth = 0;

void Push(const Mutex* mu, bool reader) { held.push_back({mu, reader}); }
void Pop(const Mutex* mu) {
  for (auto it = held.rbegin(); it != held.rend(); ++it) {
    if (it->mu == mu) {
      held.erase(std::next(it).base());
      return;
    }
  }
}
bool HeldAsReader(const Mutex* mu) {
  for (auto it = held.rbegin(); it != held.rend(); ++it) {
    if (it->mu == mu) return it->reader;
  }
  return false;
}

unsigned ReadFlag(bool reader) { return reader ? __tsan_mutex_read_lock : 0; }

// The address range of the executable's loaded segments.
struct Range {
  std::uintptr_t begin = UINTPTR_MAX;
  std::uintptr_t end = 0;
};

Range ExecutableRange() {
  Range range;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        auto* r = static_cast<Range*>(data);
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_LOAD) continue;
          std::uintptr_t begin = info->dlpi_addr + ph.p_vaddr;
          r->begin = std::min(r->begin, begin);
          r->end = std::max(r->end, begin + ph.p_memsz);
        }
        return 1;  // the first module listed is the executable
      },
      &range);
  return range;
}

// Whether `caller` (a return address) is in the executable: sejf's code.
bool FromExecutable(const void* caller) {
  static const Range range = ExecutableRange();
  auto pc = reinterpret_cast<std::uintptr_t>(caller);
  return pc >= range.begin && pc < range.end;
}

// A lock function `call` (returning R) taking `mu` in mode `reader`.
template <typename R, typename Call>
R AnnotatedLock(const void* caller, Mutex* mu, bool reader, Call call) {
  if (depth > 0) return call();
  if (!FromExecutable(caller)) {
    if constexpr (std::is_void_v<R>) {
      call();
      __tsan_acquire(mu);
      return;
    } else {
      R r = call();
      __tsan_acquire(mu);
      return r;
    }
  }
  ++depth;
  __tsan_mutex_pre_lock(mu, ReadFlag(reader));
  if constexpr (std::is_void_v<R>) {
    call();
    __tsan_mutex_post_lock(mu, ReadFlag(reader), 0);
    Push(mu, reader);
    --depth;
  } else {
    R r = call();
    __tsan_mutex_post_lock(mu, ReadFlag(reader), 0);
    Push(mu, reader);
    --depth;
    return r;
  }
}

template <typename Call>
bool AnnotatedTryLock(const void* caller, Mutex* mu, bool reader, Call call) {
  if (depth > 0) return call();
  if (!FromExecutable(caller)) {
    bool locked = call();
    if (locked) __tsan_acquire(mu);
    return locked;
  }
  ++depth;
  unsigned flags = ReadFlag(reader) | __tsan_mutex_try_lock;
  __tsan_mutex_pre_lock(mu, flags);
  bool locked = call();
  __tsan_mutex_post_lock(
      mu, locked ? flags : flags | __tsan_mutex_try_lock_failed, 0);
  if (locked) Push(mu, reader);
  --depth;
  return locked;
}

template <typename Call>
void AnnotatedUnlock(const void* caller, Mutex* mu, bool reader, Call call) {
  if (depth > 0) return call();
  if (!FromExecutable(caller)) {
    __tsan_release(mu);
    return call();
  }
  ++depth;
  Pop(mu);
  __tsan_mutex_pre_unlock(mu, ReadFlag(reader));
  call();
  __tsan_mutex_post_unlock(mu, ReadFlag(reader));
  --depth;
}

// A wait that releases the held `mu` and holds it again when it returns.
template <typename R, typename Call>
R AnnotatedWait(const void* caller, Mutex* mu, Call call) {
  if (depth > 0) return call();
  if (!FromExecutable(caller)) {
    __tsan_release(mu);
    R r = call();
    __tsan_acquire(mu);
    return r;
  }
  ++depth;
  const bool reader = HeldAsReader(mu);
  __tsan_mutex_pre_unlock(mu, ReadFlag(reader));
  __tsan_mutex_post_unlock(mu, ReadFlag(reader));
  __tsan_mutex_pre_lock(mu, ReadFlag(reader));
  R r = call();
  __tsan_mutex_post_lock(mu, ReadFlag(reader), 0);
  --depth;
  return r;
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

#define SEJF_REAL(cls, suffix, type) \
  static const auto real = Real<type>(cls, suffix)
#define SEJF_REAL_CONST(cls, suffix, type) \
  static const auto real = Real<type>(cls, suffix, /*is_const=*/true)
// Where the function was called from.
#define SEJF_CALLER __builtin_return_address(0)

Mutex::~Mutex() {
  SEJF_REAL("5Mutex", "D2Ev", void (*)(Mutex*));
  __tsan_mutex_destroy(this, 0);
  real(this);
}

void Mutex::Lock() {
  SEJF_REAL("5Mutex", "4LockEv", void (*)(Mutex*));
  AnnotatedLock<void>(SEJF_CALLER, this, false, [&] { real(this); });
}

void Mutex::ReaderLock() {
  SEJF_REAL("5Mutex", "10ReaderLockEv", void (*)(Mutex*));
  AnnotatedLock<void>(SEJF_CALLER, this, true, [&] { real(this); });
}

bool Mutex::TryLock() {
  SEJF_REAL("5Mutex", "7TryLockEv", bool (*)(Mutex*));
  return AnnotatedTryLock(SEJF_CALLER, this, false, [&] { return real(this); });
}

bool Mutex::ReaderTryLock() {
  SEJF_REAL("5Mutex", "13ReaderTryLockEv", bool (*)(Mutex*));
  return AnnotatedTryLock(SEJF_CALLER, this, true, [&] { return real(this); });
}

void Mutex::Unlock() {
  SEJF_REAL("5Mutex", "6UnlockEv", void (*)(Mutex*));
  AnnotatedUnlock(SEJF_CALLER, this, false, [&] { real(this); });
}

void Mutex::ReaderUnlock() {
  SEJF_REAL("5Mutex", "12ReaderUnlockEv", void (*)(Mutex*));
  AnnotatedUnlock(SEJF_CALLER, this, true, [&] { real(this); });
}

void Mutex::LockWhen(const Condition& cond) {
  SEJF_REAL("5Mutex", "8LockWhenERKNS0_9ConditionE",
            void (*)(Mutex*, const Condition&));
  AnnotatedLock<void>(SEJF_CALLER, this, false, [&] { real(this, cond); });
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  SEJF_REAL("5Mutex", "14ReaderLockWhenERKNS0_9ConditionE",
            void (*)(Mutex*, const Condition&));
  AnnotatedLock<void>(SEJF_CALLER, this, true, [&] { real(this, cond); });
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  SEJF_REAL("5Mutex", "19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE",
            bool (*)(Mutex*, const Condition&, Duration));
  return AnnotatedLock<bool>(SEJF_CALLER, this, false,
                             [&] { return real(this, cond, timeout); });
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  SEJF_REAL("5Mutex",
            "25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE",
            bool (*)(Mutex*, const Condition&, Duration));
  return AnnotatedLock<bool>(SEJF_CALLER, this, true,
                             [&] { return real(this, cond, timeout); });
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  SEJF_REAL("5Mutex", "20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE",
            bool (*)(Mutex*, const Condition&, Time));
  return AnnotatedLock<bool>(SEJF_CALLER, this, false,
                             [&] { return real(this, cond, deadline); });
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  SEJF_REAL("5Mutex",
            "26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE",
            bool (*)(Mutex*, const Condition&, Time));
  return AnnotatedLock<bool>(SEJF_CALLER, this, true,
                             [&] { return real(this, cond, deadline); });
}

void Mutex::Await(const Condition& cond) {
  SEJF_REAL("5Mutex", "5AwaitERKNS0_9ConditionE",
            void (*)(Mutex*, const Condition&));
  AnnotatedWait<bool>(SEJF_CALLER, this, [&] {
    real(this, cond);
    return true;
  });
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  SEJF_REAL("5Mutex", "16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE",
            bool (*)(Mutex*, const Condition&, Duration));
  return AnnotatedWait<bool>(SEJF_CALLER, this,
                             [&] { return real(this, cond, timeout); });
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  SEJF_REAL("5Mutex", "17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE",
            bool (*)(Mutex*, const Condition&, Time));
  return AnnotatedWait<bool>(SEJF_CALLER, this,
                             [&] { return real(this, cond, deadline); });
}

void CondVar::Wait(Mutex* mu) {
  SEJF_REAL("7CondVar", "4WaitEPNS0_5MutexE", void (*)(CondVar*, Mutex*));
  AnnotatedWait<bool>(SEJF_CALLER, mu, [&] {
    real(this, mu);
    return true;
  });
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  SEJF_REAL("7CondVar", "15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE",
            bool (*)(CondVar*, Mutex*, Duration));
  return AnnotatedWait<bool>(SEJF_CALLER, mu,
                             [&] { return real(this, mu, timeout); });
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  SEJF_REAL("7CondVar", "16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE",
            bool (*)(CondVar*, Mutex*, Time));
  return AnnotatedWait<bool>(SEJF_CALLER, mu,
                             [&] { return real(this, mu, deadline); });
}

// Notification: Notify publishes, a wait that saw it acquires (its flag is
// an atomic inside the uninstrumented library, and a wait that finds it set
// takes no lock).
void Notification::Notify() {
  SEJF_REAL("12Notification", "6NotifyEv", void (*)(Notification*));
  __tsan_release(this);
  real(this);
}

void Notification::WaitForNotification() const {
  SEJF_REAL_CONST("12Notification", "19WaitForNotificationEv",
                  void (*)(const Notification*));
  real(this);
  __tsan_acquire(const_cast<Notification*>(this));
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  SEJF_REAL_CONST("12Notification",
                  "30WaitForNotificationWithTimeoutENS0_8DurationE",
                  bool (*)(const Notification*, Duration));
  bool notified = real(this, timeout);
  if (notified) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  SEJF_REAL_CONST("12Notification",
                  "31WaitForNotificationWithDeadlineENS0_4TimeE",
                  bool (*)(const Notification*, Time));
  bool notified = real(this, deadline);
  if (notified) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

ABSL_NAMESPACE_END
}  // namespace absl
