// The Storage contract (storage.h), run against every implementation:
// records, versions, errors, listing. Transactions and concurrency are in
// storage_contract_transaction_test.cc.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vault/storage/memory_storage.h"
#include "vault/storage/postgres/postgres_storage.h"
#include "vault/storage/postgres/testing/postgres_cluster.h"
#include "vault/storage/sqlite/sqlite_storage.h"
#include "vault/storage/storage.h"
#include "vault/storage/storage_contract_fixture.h"

namespace sejf::vault {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST_P(StorageContractTest, RoundTripCountsVersionsAndKeepsTimes) {
  Record inserted = Put("tokens", "acme-prod", "sealed-1");
  EXPECT_EQ(inserted.version, 1);
  EXPECT_EQ(inserted.create_time, kT0);
  EXPECT_EQ(inserted.update_time, kT0);

  std::optional<Record> got = Fetch("tokens", "acme-prod");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->kind, "tokens");
  EXPECT_EQ(got->name, "acme-prod");
  EXPECT_EQ(got->version, 1);
  EXPECT_EQ(got->data, "sealed-1");
  EXPECT_EQ(got->create_time, kT0);
  EXPECT_EQ(got->update_time, kT0);

  clock_.Advance(absl::Seconds(90));
  {
    auto txn = Begin(TransactionMode::kReadWrite);
    auto updated = txn->Update("tokens", "acme-prod", 1, "sealed-2");
    ASSERT_TRUE(updated.ok()) << updated.status();
    EXPECT_EQ(updated->version, 2);
    EXPECT_EQ(updated->data, "sealed-2");
    ASSERT_TRUE(txn->Commit().ok());
  }
  got = Fetch("tokens", "acme-prod");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->version, 2);
  EXPECT_EQ(got->data, "sealed-2");
  EXPECT_EQ(got->create_time, kT0);
  EXPECT_EQ(got->update_time, kT0 + absl::Seconds(90));

  {
    auto txn = Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(txn->Update("tokens", "acme-prod", 2, "sealed-3").ok());
    ASSERT_TRUE(txn->Delete("tokens", "acme-prod", 3).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  EXPECT_FALSE(Fetch("tokens", "acme-prod").has_value());
}

TEST_P(StorageContractTest, TimesKeepMicrosecondsAndDropFinerDigits) {
  clock_.Set(kT0 + absl::Nanoseconds(999));
  Record inserted = Put("tokens", "t", "x");
  EXPECT_EQ(inserted.create_time, kT0);
  EXPECT_EQ(Fetch("tokens", "t")->create_time, kT0);
}

TEST_P(StorageContractTest, InsertOfExistingRecordIsAlreadyExists) {
  Put("tokens", "acme", "first");
  auto txn = Begin(TransactionMode::kReadWrite);
  auto again = txn->Insert("tokens", "acme", "second");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("acme"));
  EXPECT_THAT(again.status().message(), HasSubstr("tokens"));
  // The transaction stays usable after the refusal.
  EXPECT_TRUE(txn->Insert("tokens", "acme-2", "other").ok());
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(Fetch("tokens", "acme")->data, "first");
  EXPECT_EQ(Fetch("tokens", "acme-2")->data, "other");
}

TEST_P(StorageContractTest, SameNameInAnotherKindIsAnotherRecord) {
  Put("tokens", "acme", "token");
  Put("keys", "acme", "key");
  EXPECT_EQ(Fetch("tokens", "acme")->data, "token");
  EXPECT_EQ(Fetch("keys", "acme")->data, "key");
}

TEST_P(StorageContractTest, UpdateAndDeleteOfMissingRecordAreNotFound) {
  auto txn = Begin(TransactionMode::kReadWrite);
  auto updated = txn->Update("tokens", "ghost", 1, "x");
  EXPECT_EQ(updated.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(updated.status().message(), HasSubstr("ghost"));
  absl::Status deleted = txn->Delete("tokens", "ghost", 1);
  EXPECT_EQ(deleted.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(deleted.message(), HasSubstr("ghost"));
}

TEST_P(StorageContractTest, StaleVersionIsAbortedAndChangesNothing) {
  Put("tokens", "acme", "v1");
  {
    auto txn = Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(txn->Update("tokens", "acme", 1, "v2").ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  auto txn = Begin(TransactionMode::kReadWrite);
  auto updated = txn->Update("tokens", "acme", 1, "lost update");
  EXPECT_EQ(updated.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(updated.status().message(), HasSubstr("changed concurrently"));
  EXPECT_THAT(updated.status().message(), HasSubstr("retry"));
  absl::Status deleted = txn->Delete("tokens", "acme", 1);
  EXPECT_EQ(deleted.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(deleted.message(), HasSubstr("changed concurrently"));
  auto future = txn->Update("tokens", "acme", 3, "from the future");
  EXPECT_EQ(future.status().code(), absl::StatusCode::kAborted);
  ASSERT_TRUE(txn->Commit().ok());

  std::optional<Record> got = Fetch("tokens", "acme");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->version, 2);
  EXPECT_EQ(got->data, "v2");
}

TEST_P(StorageContractTest, ListPagesCoverEveryRecordOnceInByteOrder) {
  // Names chosen so that byte order differs from case-insensitive, numeric
  // and locale orders; neighbouring kinds share prefixes.
  std::vector<std::string> names = {
      "a",  "B", "b",  "a0", "a-1", "\xc5\xbc" /* ż */, "z", "Z",
      "10", "9", "a_", "ab", "a b"};
  for (int i = 0; i < 40; ++i) names.push_back(absl::StrCat("token-", i));
  {
    auto txn = Begin(TransactionMode::kReadWrite);
    for (const std::string& name : names) {
      ASSERT_TRUE(txn->Insert("tokens", name, "t:" + name).ok());
    }
    ASSERT_TRUE(txn->Insert("token", "a", "other kind").ok());
    ASSERT_TRUE(txn->Insert("tokens_x", "a", "other kind").ok());
    ASSERT_TRUE(txn->Insert("keys", "k", "other kind").ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  std::sort(names.begin(), names.end());  // std::string: unsigned byte order

  std::vector<std::string> listed;
  ListOptions options{.limit = 7};
  int pages = 0;
  for (;;) {
    auto page = storage_->List("tokens", options);
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_LE(page->records.size(), 7u);
    for (const Record& r : page->records) {
      EXPECT_EQ(r.kind, "tokens");
      EXPECT_EQ(r.data, "t:" + r.name);
      EXPECT_EQ(r.version, 1);
      listed.push_back(r.name);
    }
    ++pages;
    if (!page->next_start_after) break;
    EXPECT_EQ(*page->next_start_after, page->records.back().name);
    options.start_after = *page->next_start_after;
  }
  EXPECT_EQ(listed, names);
  EXPECT_EQ(pages, (static_cast<int>(names.size()) + 6) / 7);

  auto keys = storage_->List("keys", {});
  ASSERT_TRUE(keys.ok());
  EXPECT_THAT(Names(keys->records), ElementsAre("k"));
  EXPECT_FALSE(keys->next_start_after.has_value());
  auto none = storage_->List("mfcerts", {});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->records.empty());
  EXPECT_FALSE(none->next_start_after.has_value());
}

TEST_P(StorageContractTest, FullLastPageSaysNoMore) {
  Put("tokens", "a", "x");
  Put("tokens", "b", "x");
  auto page = storage_->List("tokens", {.limit = 2});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->records.size(), 2u);
  EXPECT_FALSE(page->next_start_after.has_value());
}

TEST_P(StorageContractTest, ListInWriteTransactionSeesItsOwnChanges) {
  Put("tokens", "a", "old");
  Put("tokens", "b", "gone");
  Put("tokens", "d", "kept");
  auto txn = Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(txn->Update("tokens", "a", 1, "new").ok());
  ASSERT_TRUE(txn->Delete("tokens", "b", 1).ok());
  ASSERT_TRUE(txn->Insert("tokens", "c", "added").ok());
  ASSERT_TRUE(txn->Insert("tokens", "e", "added").ok());
  auto page = txn->List("tokens", {.limit = 3});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(Names(page->records), ElementsAre("a", "c", "d"));
  EXPECT_EQ(page->records[0].data, "new");
  EXPECT_EQ(page->next_start_after, "d");
  auto rest = txn->List("tokens", {.start_after = "d", .limit = 3});
  ASSERT_TRUE(rest.ok());
  EXPECT_THAT(Names(rest->records), ElementsAre("e"));
  EXPECT_FALSE(rest->next_start_after.has_value());
}

TEST_P(StorageContractTest, ListLimitDefaultsClampsAndRefusesNegative) {
  {
    auto txn = Begin(TransactionMode::kReadWrite);
    for (int i = 0; i < kMaxListLimit + 5; ++i) {
      ASSERT_TRUE(txn->Insert("tokens", absl::StrCat("t", 10000 + i), "").ok());
    }
    ASSERT_TRUE(txn->Commit().ok());
  }
  auto by_default = storage_->List("tokens", {});
  ASSERT_TRUE(by_default.ok());
  EXPECT_EQ(by_default->records.size(),
            static_cast<std::size_t>(kDefaultListLimit));
  auto clamped = storage_->List("tokens", {.limit = kMaxListLimit * 10});
  ASSERT_TRUE(clamped.ok());
  EXPECT_EQ(clamped->records.size(), static_cast<std::size_t>(kMaxListLimit));
  EXPECT_TRUE(clamped->next_start_after.has_value());
  auto negative = storage_->List("tokens", {.limit = -1});
  EXPECT_EQ(negative.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(negative.status().message(), HasSubstr("limit"));
}

TEST_P(StorageContractTest, BinaryDataRoundTripsExactly) {
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
  const std::string nul_edges("\0middle\0", 8);
  std::string big(1 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>(i * 7);

  Put("blobs", "all", all_bytes);
  Put("blobs", "nul", nul_edges);
  Put("blobs", "empty", "");
  Put("blobs", "null-view", absl::string_view());  // data() == nullptr
  Put("blobs", "big", big);
  EXPECT_EQ(Fetch("blobs", "all")->data, all_bytes);
  EXPECT_EQ(Fetch("blobs", "nul")->data, nul_edges);
  EXPECT_EQ(Fetch("blobs", "nul")->data.size(), 8u);
  std::optional<Record> empty = Fetch("blobs", "empty");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->data, "");
  EXPECT_EQ(Fetch("blobs", "big")->data, big);
  std::optional<Record> null_view = Fetch("blobs", "null-view");
  ASSERT_TRUE(null_view.has_value());
  EXPECT_EQ(null_view->data, "");

  auto txn = Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(txn->Update("blobs", "empty", 1, nul_edges).ok());
  ASSERT_TRUE(txn->Update("blobs", "nul", 1, "").ok());
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(Fetch("blobs", "empty")->data, nul_edges);
  EXPECT_EQ(Fetch("blobs", "nul")->data, "");
  auto page = storage_->List("blobs", {});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 5u);
  EXPECT_EQ(page->records[0].data, all_bytes);  // "all" < "big" < ...
}

TEST_P(StorageContractTest, ValidKindsAndNamesAtTheLimitsAreAccepted) {
  const std::string kind32 = "a" + std::string(31, '_');
  const std::string name255(255, 'n');
  const std::string polish = "faktura-\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87";
  Put(kind32, name255, "x");
  Put("mf_certs2", polish, "x");
  Put("k", "with space/slash:colon", "x");
  EXPECT_TRUE(Fetch(kind32, name255).has_value());
  EXPECT_TRUE(Fetch("mf_certs2", polish).has_value());
  EXPECT_TRUE(Fetch("k", "with space/slash:colon").has_value());
}

TEST_P(StorageContractTest, InvalidKindIsInvalidArgumentNamingKind) {
  Put("tokens", "acme", "x");
  const std::string bad_kinds[] = {"",
                                   "Tokens",
                                   "1tokens",
                                   "_tokens",
                                   "to-kens",
                                   "tokens ",
                                   "ż",
                                   std::string(33, 'a'),
                                   std::string("tok\0ens", 7)};
  auto txn = Begin(TransactionMode::kReadWrite);
  for (const std::string& kind : bad_kinds) {
    SCOPED_TRACE(kind);
    std::vector<absl::Status> statuses = {
        txn->Get(kind, "acme").status(),
        txn->Insert(kind, "acme", "x").status(),
        txn->Update(kind, "acme", 1, "x").status(),
        txn->Delete(kind, "acme", 1),
        txn->List(kind, {}).status(),
        storage_->Get(kind, "acme").status(),
        storage_->List(kind, {}).status(),
    };
    for (const absl::Status& s : statuses) {
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
      EXPECT_THAT(s.message(), HasSubstr("kind")) << s;
    }
  }
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(Fetch("tokens", "acme")->version, 1);
}

TEST_P(StorageContractTest, InvalidNameIsInvalidArgumentNamingName) {
  const std::string bad_names[] = {
      "",
      std::string(256, 'n'),
      "line\nbreak",
      std::string("nul\0inside", 10),
      "tab\there",
      "\x7f",
      "\xc5",          // truncated UTF-8
      "\xc0\xaf",      // overlong
      "\xed\xa0\x80",  // surrogate
      "\xff",          // never valid
      "\xc2\x85",      // U+0085, a C1 control
  };
  auto txn = Begin(TransactionMode::kReadWrite);
  for (const std::string& name : bad_names) {
    SCOPED_TRACE(absl::CHexEscape(name));
    std::vector<absl::Status> statuses = {
        txn->Get("tokens", name).status(),
        txn->Insert("tokens", name, "x").status(),
        txn->Update("tokens", name, 1, "x").status(),
        txn->Delete("tokens", name, 1),
        storage_->Get("tokens", name).status(),
    };
    for (const absl::Status& s : statuses) {
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
      EXPECT_THAT(s.message(), HasSubstr("name")) << s;
    }
  }
  ASSERT_TRUE(txn->Commit().ok());
  auto page = storage_->List("tokens", {});
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->records.empty());
}

TEST_P(StorageContractTest, OtherInvalidArgumentsAreRefused) {
  Put("tokens", "acme", "x");
  auto txn = Begin(TransactionMode::kReadWrite);
  auto zero = txn->Update("tokens", "acme", 0, "y");
  EXPECT_EQ(zero.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(zero.status().message(), HasSubstr("expected_version"));
  EXPECT_EQ(txn->Delete("tokens", "acme", -1).code(),
            absl::StatusCode::kInvalidArgument);
  const std::string too_big(kMaxDataSize + 1, 'x');
  auto big = txn->Insert("tokens", "big", too_big);
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(big.status().message(), HasSubstr("data"));
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_FALSE(Fetch("tokens", "big").has_value());
  EXPECT_EQ(Fetch("tokens", "acme")->data, "x");
}

// Record data will be sealed secrets: no error may repeat it.
TEST_P(StorageContractTest, ErrorMessagesNeverContainData) {
  const std::string canary = "CANARY-7f3a9c-SEALED-TOKEN";
  Put("tokens", "acme", canary);
  auto txn = Begin(TransactionMode::kReadWrite);
  std::vector<absl::Status> statuses = {
      txn->Insert("tokens", "acme", canary).status(),
      txn->Update("tokens", "acme", 7, canary).status(),
      txn->Update("tokens", "ghost", 1, canary).status(),
      txn->Delete("tokens", "acme", 7),
      txn->Insert("Bad", "acme", canary).status(),
      txn->Insert("tokens", "", canary).status(),
  };
  auto reader = Begin(TransactionMode::kReadOnly);
  statuses.push_back(reader->Insert("tokens", "x", canary).status());
  statuses.push_back(reader->Update("tokens", "acme", 1, canary).status());
  for (const absl::Status& s : statuses) {
    EXPECT_FALSE(s.ok());
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr("CANARY"))) << s;
  }
}

TEST_P(StorageContractTest, OneShotGetAndListReadCommittedData) {
  EXPECT_FALSE(Fetch("tokens", "acme").has_value());
  Put("tokens", "acme", "x");
  EXPECT_EQ(Fetch("tokens", "acme")->data, "x");
  auto page = storage_->List("tokens", {});
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(Names(page->records), ElementsAre("acme"));
}

Backend Memory() {
  return {"Memory",
          [](const std::string&,
             const Clock& clock) -> absl::StatusOr<std::unique_ptr<Storage>> {
            return std::make_unique<MemoryStorage>(clock);
          }};
}

Backend Sqlite() {
  return {"Sqlite",
          [](const std::string& dir,
             const Clock& clock) -> absl::StatusOr<std::unique_ptr<Storage>> {
            auto storage = SqliteStorage::Open(dir + "/sejf.db", clock);
            if (!storage.ok()) return storage.status();
            return std::unique_ptr<Storage>(*std::move(storage));
          }};
}

// A fresh database on the test program's one PostgreSQL server
// (postgres/testing/postgres_cluster.h), started by the first such test.
Backend Postgres() {
  return {"Postgres",
          [](const std::string&,
             const Clock& clock) -> absl::StatusOr<std::unique_ptr<Storage>> {
            testing::PostgresCluster& cluster =
                testing::PostgresCluster::Shared();
            auto database = cluster.CreateDatabase();
            if (!database.ok()) return database.status();
            PostgresStorageOptions options;
            options.connect.url = cluster.Url(*database);
            auto storage = PostgresStorage::Open(options, clock);
            if (!storage.ok()) return storage.status();
            return std::unique_ptr<Storage>(*std::move(storage));
          }};
}

INSTANTIATE_TEST_SUITE_P(AllBackends, StorageContractTest,
                         ::testing::Values(Memory(), Sqlite(), Postgres()),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace sejf::vault
