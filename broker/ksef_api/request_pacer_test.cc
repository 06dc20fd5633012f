#include "broker/ksef_api/request_pacer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace sejf::broker {
namespace {

using ::testing::HasSubstr;

class RequestPacerTest : public ::testing::Test {
 protected:
  // Sleeping advances the clock; every wait is recorded.
  void Sleep(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    waits_.push_back(d);
  }
  std::vector<absl::Duration> waits() {
    absl::MutexLock lock(&mu_);
    return waits_;
  }

  FakeClock clock_{absl::FromUnixSeconds(1780315200)};
  absl::Mutex mu_;
  std::vector<absl::Duration> waits_;
};

TEST_F(RequestPacerTest, UnpacedNeverWaits) {
  RequestPacer pacer(0, absl::Seconds(1), &clock_,
                     [&](absl::Duration d) { Sleep(d); });
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(pacer.Acquire().ok());
  EXPECT_TRUE(waits().empty());
  EXPECT_EQ(pacer.interval(), absl::ZeroDuration());
}

TEST_F(RequestPacerTest, RequestsAtOnceGetConsecutiveSlots) {
  RequestPacer pacer(50, absl::Seconds(30), &clock_,
                     [&](absl::Duration d) { Sleep(d); });
  EXPECT_EQ(pacer.interval(), absl::Milliseconds(20));
  // Five requests at the same instant: the first goes at once, the others
  // wait one, two, three and four intervals.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(pacer.Acquire().ok());
  EXPECT_THAT(waits(), ::testing::ElementsAre(
                           absl::Milliseconds(20), absl::Milliseconds(40),
                           absl::Milliseconds(60), absl::Milliseconds(80)));
}

TEST_F(RequestPacerTest, NoMoreThanTheRatePlusOneInAnySecond) {
  // 200 callers at once on 8 threads: the slots they are given (now + wait)
  // never put more than rate + 1 into one second.
  constexpr double kRate = 50;
  RequestPacer pacer(kRate, absl::Seconds(30), &clock_,
                     [&](absl::Duration d) { Sleep(d); });
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) ASSERT_TRUE(pacer.Acquire().ok());
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<absl::Duration> slots = waits();
  slots.push_back(absl::ZeroDuration());  // the one that did not wait
  std::sort(slots.begin(), slots.end());
  ASSERT_EQ(slots.size(), 200u);
  for (std::size_t i = 0; i < slots.size(); ++i) {
    std::size_t j = i;
    while (j < slots.size() && slots[j] - slots[i] < absl::Seconds(1)) ++j;
    EXPECT_LE(j - i, static_cast<std::size_t>(kRate) + 1) << "from slot " << i;
  }
  // Distinct slots, one interval apart.
  for (std::size_t i = 1; i < slots.size(); ++i) {
    EXPECT_EQ(slots[i] - slots[i - 1], absl::Milliseconds(20));
  }
}

TEST_F(RequestPacerTest, TimePassingFreesSlots) {
  RequestPacer pacer(10, absl::Seconds(30), &clock_,
                     [&](absl::Duration d) { Sleep(d); });
  ASSERT_TRUE(pacer.Acquire().ok());
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(pacer.Acquire().ok());
  EXPECT_TRUE(waits().empty());
}

TEST_F(RequestPacerTest, ASlotBeyondTheLongestWaitIsRefusedAndTakesNothing) {
  RequestPacer pacer(10, absl::Milliseconds(250), &clock_,
                     [&](absl::Duration d) { Sleep(d); });
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pacer.Acquire().ok());  // 0..200 ms
  absl::Status refused = pacer.Acquire();  // 300 ms away: refused
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.message(), HasSubstr("queue of KSeF requests"));
  // The refused caller took no slot: after 100 ms the next wait is 200 ms.
  clock_.Advance(absl::Milliseconds(100));
  ASSERT_TRUE(pacer.Acquire().ok());
  EXPECT_EQ(waits().back(), absl::Milliseconds(200));
}

}  // namespace
}  // namespace sejf::broker
