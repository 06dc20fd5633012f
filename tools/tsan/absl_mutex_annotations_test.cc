// Checks tools/tsan/absl_mutex_annotations.cc in the ThreadSanitizer build
// (two ctest entries, CMakeLists.txt): `guarded` hands data between threads
// only through absl::Mutex (Lock, ReaderLock, Await, LockWhen, CondVar) and
// absl::Notification and must run without a report; `race` adds one
// unguarded write beside them, which TSan must still report.
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

namespace {

struct Shared {
  absl::Mutex mu;
  absl::CondVar cv;
  int counter ABSL_GUARDED_BY(mu) = 0;
  bool ready ABSL_GUARDED_BY(mu) = false;
  int unguarded = 0;
};

int Run(bool race) {
  Shared s;
  constexpr int kThreads = 4, kRounds = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&s, race] {
      for (int i = 0; i < kRounds; ++i) {
        absl::MutexLock lock(&s.mu);
        ++s.counter;
      }
      {
        absl::ReaderMutexLock lock(&s.mu);
        if (s.counter < 0) std::abort();
      }
      if (race) ++s.unguarded;
    });
  }
  {
    absl::MutexLock lock(&s.mu);
    auto all_done = [&s]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu) {
      return s.counter == kThreads * kRounds;
    };
    s.mu.Await(absl::Condition(&all_done));
  }
  for (std::thread& t : threads) t.join();

  // A CondVar and a LockWhen hand-over, then a Notification.
  int payload = 0;
  std::thread producer([&] {
    payload = 1;
    absl::MutexLock lock(&s.mu);
    s.ready = true;
    s.cv.Signal();
  });
  {
    absl::MutexLock lock(&s.mu);
    while (!s.ready) s.cv.Wait(&s.mu);
  }
  producer.join();
  payload = 2;
  absl::Notification done;
  std::thread notifier([&] {
    payload = 3;
    done.Notify();
  });
  done.WaitForNotification();
  const int seen = payload;
  notifier.join();
  std::printf("counter %d, payload %d, unguarded %d\n", kThreads * kRounds,
              seen, s.unguarded);
  return seen == 3 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || (std::strcmp(argv[1], "guarded") != 0 &&
                    std::strcmp(argv[1], "race") != 0)) {
    std::fprintf(stderr, "usage: %s guarded|race\n", argv[0]);
    return 2;
  }
  return Run(std::strcmp(argv[1], "race") == 0);
}
