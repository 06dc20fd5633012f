// The fixture of the Storage contract suite (storage.h), shared by
// storage_contract_test.cc (records, errors, listing) and
// storage_contract_transaction_test.cc (transactions, concurrency).
//
// The backends are listed once, in storage_contract_test.cc's
// INSTANTIATE_TEST_SUITE_P; a new implementation (e.g. PostgreSQL) joins the
// contract by adding its Backend there.
#ifndef SEJF_VAULT_STORAGE_STORAGE_CONTRACT_FIXTURE_H_
#define SEJF_VAULT_STORAGE_STORAGE_CONTRACT_FIXTURE_H_

#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"
#include "vault/storage/storage.h"

namespace sejf::vault {

// Opens a fresh, empty storage; `dir` is a private temporary directory.
using Opener = std::function<absl::StatusOr<std::unique_ptr<Storage>>(
    const std::string& dir, const Clock& clock)>;

struct Backend {
  std::string name;
  Opener open;
};

inline void PrintTo(const Backend& backend, std::ostream* os) {
  *os << backend.name;
}

inline const absl::Time kT0 =
    absl::FromUnixMicros(1767225600123456);  // 2026-01-01

// Each test gets a fresh storage of the backend under test, with a FakeClock
// at kT0.
class StorageContractTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto storage = GetParam().open(dir_, clock_);
    ASSERT_TRUE(storage.ok()) << storage.status();
    storage_ = *std::move(storage);
  }
  void TearDown() override { storage_.reset(); }

  std::unique_ptr<Transaction> Begin(TransactionMode mode) {
    auto txn = storage_->Begin(mode);
    EXPECT_TRUE(txn.ok()) << txn.status();
    return txn.ok() ? *std::move(txn) : nullptr;
  }

  // Inserts and commits; returns the inserted record.
  Record Put(absl::string_view kind, absl::string_view name,
             absl::string_view data) {
    auto txn = Begin(TransactionMode::kReadWrite);
    auto record = txn->Insert(kind, name, data);
    EXPECT_TRUE(record.ok()) << record.status();
    EXPECT_TRUE(txn->Commit().ok());
    return record.ok() ? *record : Record{};
  }

  std::optional<Record> Fetch(absl::string_view kind, absl::string_view name) {
    auto record = storage_->Get(kind, name);
    EXPECT_TRUE(record.ok()) << record.status();
    return record.ok() ? *record : std::nullopt;
  }

  ::sejf::testing::TempDir tmp_;
  std::string dir_ = tmp_.path();
  FakeClock clock_{kT0};
  std::unique_ptr<Storage> storage_;
};

inline std::vector<std::string> Names(const std::vector<Record>& records) {
  std::vector<std::string> names;
  for (const Record& r : records) names.push_back(r.name);
  return names;
}

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_STORAGE_CONTRACT_FIXTURE_H_
