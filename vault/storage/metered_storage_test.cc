#include "vault/storage/metered_storage.h"

#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vault/storage/memory_storage.h"
#include "vault/storage/storage_contract_fixture.h"
#include "vault/storage/storage_probe.h"

namespace sejf::vault {
namespace {

using ::testing::HasSubstr;

// A MeteredStorage that owns what it measures, for the contract suite.
class OwningMeteredStorage : public Storage {
 public:
  explicit OwningMeteredStorage(const Clock& clock)
      : inner_(clock), metered_(&inner_, &registry_) {}
  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      TransactionMode mode) override {
    return metered_.Begin(mode);
  }

 private:
  metrics::Registry registry_;
  MemoryStorage inner_;
  MeteredStorage metered_;
};

// The wrapper keeps every promise of the Storage contract.
INSTANTIATE_TEST_SUITE_P(Metered, StorageContractTest,
                         ::testing::Values(Backend{
                             "MeteredMemory",
                             [](const std::string&, const Clock& clock)
                                 -> absl::StatusOr<std::unique_ptr<Storage>> {
                               return std::make_unique<OwningMeteredStorage>(
                                   clock);
                             }}),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

TEST(MeteredStorageTest, CountsCallsByOperationAndOutcome) {
  FakeClock clock(kT0);
  MemoryStorage inner(clock);
  metrics::Registry registry;
  MeteredStorage storage(&inner, &registry);
  {
    auto txn = storage.Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->Insert("keys", "a", "1").ok());
    EXPECT_EQ((*txn)->Insert("keys", "a", "1").status().code(),
              absl::StatusCode::kAlreadyExists);
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  ASSERT_TRUE(storage.Get("keys", "a").ok());

  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("sejf_storage_operations_total{operation="
                              "\"begin_write\",code=\"OK\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sejf_storage_operations_total{operation="
                              "\"insert\",code=\"OK\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sejf_storage_operations_total{operation="
                              "\"insert\",code=\"ALREADY_EXISTS\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sejf_storage_operations_total{operation="
                              "\"get\",code=\"OK\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sejf_storage_operation_duration_seconds_count{"
                              "operation=\"commit\"} 2\n"));
}

TEST(StorageProbeTest, ProbesReadAndWriteAndLeaveNothingBehind) {
  FakeClock clock(kT0);
  MemoryStorage storage(clock);
  EXPECT_TRUE(ProbeRead(storage).ok());
  EXPECT_TRUE(ProbeWrite(storage).ok());
  auto left = storage.List(kProbeKind, {});
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->records.empty());
}

}  // namespace
}  // namespace sejf::vault
