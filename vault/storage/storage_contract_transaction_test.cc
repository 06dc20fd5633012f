// The Storage contract (storage.h), run against every implementation:
// transactions (rollback, read-only, isolation) and concurrent use. The
// backends are instantiated in storage_contract_test.cc.
#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vault/storage/storage.h"
#include "vault/storage/storage_contract_fixture.h"

namespace sejf::vault {
namespace {

using ::testing::HasSubstr;

TEST_P(StorageContractTest, DestroyingUncommittedTransactionRollsBack) {
  Put("tokens", "kept", "original");
  Put("tokens", "doomed", "still here");
  {
    auto txn = Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(txn->Insert("tokens", "new", "never").ok());
    ASSERT_TRUE(txn->Update("tokens", "kept", 1, "changed").ok());
    ASSERT_TRUE(txn->Delete("tokens", "doomed", 1).ok());
    // Visible inside the transaction...
    EXPECT_TRUE(txn->Get("tokens", "new")->has_value());
    EXPECT_FALSE(txn->Get("tokens", "doomed")->has_value());
  }  // ...and gone without Commit.
  EXPECT_FALSE(Fetch("tokens", "new").has_value());
  EXPECT_EQ(Fetch("tokens", "kept")->data, "original");
  EXPECT_EQ(Fetch("tokens", "kept")->version, 1);
  EXPECT_EQ(Fetch("tokens", "doomed")->data, "still here");
  // And the storage takes the next writer.
  Put("tokens", "new", "now");
  EXPECT_EQ(Fetch("tokens", "new")->data, "now");
}

TEST_P(StorageContractTest, ReadOnlyTransactionRefusesWrites) {
  Put("tokens", "acme", "v1");
  auto txn = Begin(TransactionMode::kReadOnly);
  EXPECT_EQ(txn->mode(), TransactionMode::kReadOnly);
  auto inserted = txn->Insert("tokens", "new", "x");
  EXPECT_EQ(inserted.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(inserted.status().message(), HasSubstr("read-only"));
  EXPECT_EQ(txn->Update("tokens", "acme", 1, "x").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(txn->Delete("tokens", "acme", 1).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(txn->Get("tokens", "acme").ok());
  EXPECT_TRUE(txn->Commit().ok());
  EXPECT_FALSE(Fetch("tokens", "new").has_value());
  EXPECT_EQ(Fetch("tokens", "acme")->version, 1);
}

TEST_P(StorageContractTest, EndedTransactionRefusesEverything) {
  auto txn = Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(txn->Insert("tokens", "a", "x").ok());
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(txn->Get("tokens", "a").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(txn->Insert("tokens", "b", "x").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(txn->List("tokens", {}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(txn->Commit().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(Fetch("tokens", "b").has_value());
}

TEST_P(StorageContractTest, OthersSeeWritesOnlyAfterCommit) {
  auto writer = Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(writer->Insert("tokens", "acme", "x").ok());
  // Not blocked by the running writer, and not seeing its write.
  auto reader = Begin(TransactionMode::kReadOnly);
  auto seen = reader->Get("tokens", "acme");
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_FALSE(seen->has_value());
  EXPECT_FALSE(Fetch("tokens", "acme").has_value());
  ASSERT_TRUE(writer->Commit().ok());
  EXPECT_TRUE(Fetch("tokens", "acme").has_value());
}

TEST_P(StorageContractTest, ReadOnlyTransactionSeesOneSnapshot) {
  Put("tokens", "acme", "v1");
  auto reader = Begin(TransactionMode::kReadOnly);
  ASSERT_EQ((*reader->Get("tokens", "acme"))->data, "v1");
  {
    auto writer = Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(writer->Update("tokens", "acme", 1, "v2").ok());
    ASSERT_TRUE(writer->Insert("tokens", "later", "x").ok());
    ASSERT_TRUE(writer->Commit().ok());
  }
  EXPECT_EQ((*reader->Get("tokens", "acme"))->data, "v1");
  EXPECT_FALSE(reader->Get("tokens", "later")->has_value());
  auto page = reader->List("tokens", {});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].data, "v1");
}

TEST_P(StorageContractTest, ReadersDoNotBlockEachOther) {
  Put("tokens", "acme", "x");
  auto first = Begin(TransactionMode::kReadOnly);
  ASSERT_TRUE(first->Get("tokens", "acme").ok());
  std::atomic<bool> done = false;
  std::thread other([&] {
    auto second = storage_->Begin(TransactionMode::kReadOnly);
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_TRUE((*second)->Get("tokens", "acme")->has_value());
    EXPECT_TRUE((*second)->Commit().ok());
    done = true;
  });
  other.join();  // would hang or fail if readers excluded each other
  EXPECT_TRUE(done);
  EXPECT_TRUE(first->Commit().ok());
}

TEST_P(StorageContractTest, WritersAreSerialized) {
  auto first = Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(first->Insert("tokens", "acme", "from first").ok());
  std::atomic<bool> second_began = false;
  std::optional<Record> second_saw;
  std::thread other([&] {
    auto second = storage_->Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(second.ok()) << second.status();
    second_began = true;
    second_saw = *(*second)->Get("tokens", "acme");
  });
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_FALSE(second_began) << "a second writer began while one was running";
  ASSERT_TRUE(first->Commit().ok());
  other.join();
  EXPECT_TRUE(second_began);
  ASSERT_TRUE(second_saw.has_value());
  EXPECT_EQ(second_saw->data, "from first");
}

// Each thread adds 1 to a counter; the version it read may be stale by the
// time it writes (ABORTED), then it reads again and retries.
TEST_P(StorageContractTest, ConcurrentIncrementsWithRetryLoseNothing) {
  constexpr int kThreads = 4;
  constexpr int kIncrements = 25;
  Put("counters", "c", "0");
  std::atomic<int> aborted = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        for (int attempt = 0;; ++attempt) {
          ASSERT_LT(attempt, 1000) << "no progress";
          auto current = storage_->Get("counters", "c");
          ASSERT_TRUE(current.ok()) << current.status();
          ASSERT_TRUE(current->has_value());
          int n = 0;
          ASSERT_TRUE(absl::SimpleAtoi((*current)->data, &n));
          auto txn = storage_->Begin(TransactionMode::kReadWrite);
          ASSERT_TRUE(txn.ok()) << txn.status();
          auto updated = (*txn)->Update("counters", "c", (*current)->version,
                                        absl::StrCat(n + 1));
          if (updated.status().code() == absl::StatusCode::kAborted) {
            ++aborted;
            continue;
          }
          ASSERT_TRUE(updated.ok()) << updated.status();
          ASSERT_TRUE((*txn)->Commit().ok());
          break;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::optional<Record> counter = Fetch("counters", "c");
  ASSERT_TRUE(counter.has_value());
  EXPECT_EQ(counter->data, absl::StrCat(kThreads * kIncrements));
  EXPECT_EQ(counter->version, 1 + kThreads * kIncrements);
  RecordProperty("aborted_attempts", aborted.load());
}

// A read and write in one read-write transaction are never interleaved with
// another writer, so they need no retry.
TEST_P(StorageContractTest, ReadModifyWriteInOneTransactionNeverAborts) {
  constexpr int kThreads = 4;
  constexpr int kIncrements = 25;
  Put("counters", "c", "0");
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        auto txn = storage_->Begin(TransactionMode::kReadWrite);
        ASSERT_TRUE(txn.ok()) << txn.status();
        auto current = (*txn)->Get("counters", "c");
        ASSERT_TRUE(current.ok() && current->has_value());
        int n = 0;
        ASSERT_TRUE(absl::SimpleAtoi((*current)->data, &n));
        auto updated = (*txn)->Update("counters", "c", (*current)->version,
                                      absl::StrCat(n + 1));
        ASSERT_TRUE(updated.ok()) << updated.status();
        ASSERT_TRUE((*txn)->Commit().ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(Fetch("counters", "c")->data, absl::StrCat(kThreads * kIncrements));
}

}  // namespace
}  // namespace sejf::vault
