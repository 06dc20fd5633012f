#include "server/policy/policy_holder.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace sejf::server {
namespace {

// A policy whose single rule, named `name`, lets `identity` read keys.
std::shared_ptr<const Policy> OnlyRule(const std::string& name,
                                       const std::string& identity) {
  auto policy = Policy::Build({{name, {identity}, {"keys.read"}, {}, {}}});
  EXPECT_TRUE(policy.ok()) << policy.status();
  return *policy;
}

TEST(PolicyHolderTest, GetReturnsWhatWasSet) {
  PolicyHolder holder(OnlyRule("old", "a"));
  EXPECT_TRUE(
      holder.Get()->Authorize({"a", Operation::kKeysRead, {}, {}}).allowed);
  holder.Set(OnlyRule("new", "b"));
  EXPECT_FALSE(
      holder.Get()->Authorize({"a", Operation::kKeysRead, {}, {}}).allowed);
  EXPECT_EQ(holder.Get()->Authorize({"b", Operation::kKeysRead, {}, {}}).rule,
            "new");
}

TEST(PolicyHolderTest, SnapshotOutlivesReplacement) {
  PolicyHolder holder(OnlyRule("old", "a"));
  std::shared_ptr<const Policy> snapshot = holder.Get();
  holder.Set(OnlyRule("new", "b"));
  Decision d = snapshot->Authorize({"a", Operation::kKeysRead, {}, {}});
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.rule, "old");
}

TEST(PolicyHolderTest, ConcurrentReadersAlwaysSeeOneWholePolicy) {
  // Policy "A" allows only identity a, policy "B" only identity b. A reader
  // that decides both identities with one snapshot must see exactly one
  // allowed, and the rule must be the one of that policy.
  auto a = OnlyRule("A", "a");
  auto b = OnlyRule("B", "b");
  PolicyHolder holder(a);
  std::atomic<bool> stop{false};
  std::atomic<int> inconsistent{0};
  std::atomic<int> saw_a{0}, saw_b{0};

  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        std::shared_ptr<const Policy> p = holder.Get();
        Decision da = p->Authorize({"a", Operation::kKeysRead, {}, {}});
        Decision db = p->Authorize({"b", Operation::kKeysRead, {}, {}});
        if (da.allowed == db.allowed) ++inconsistent;
        if (da.allowed && da.rule != "A") ++inconsistent;
        if (db.allowed && db.rule != "B") ++inconsistent;
        ++(da.allowed ? saw_a : saw_b);
      }
    });
  }
  // Swap until the readers have made many decisions and seen both policies
  // (threads may start late on a loaded machine), with a generous bound.
  int swaps = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while ((swaps < 2000 || saw_a.load() < 5000 || saw_b.load() < 5000) &&
         std::chrono::steady_clock::now() < deadline) {
    // Fresh policies each time, so freed ones would be noticed (under ASan).
    holder.Set(swaps % 2 == 0 ? OnlyRule("B", "b") : OnlyRule("A", "a"));
    ++swaps;
  }
  stop = true;
  for (auto& t : readers) t.join();

  EXPECT_EQ(inconsistent.load(), 0);
  EXPECT_GE(saw_a.load(), 5000);
  EXPECT_GE(saw_b.load(), 5000);
}

}  // namespace
}  // namespace sejf::server
