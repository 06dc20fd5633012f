#include "server/policy/operations.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::server {
namespace {

TEST(OperationsTest, AllOperationsHaveTheDocumentedNamesInOrder) {
  std::vector<std::string> names;
  for (Operation op : AllOperations()) {
    names.emplace_back(OperationName(op));
  }
  EXPECT_THAT(
      names,
      ::testing::ElementsAre(
          "keys.read", "keys.manage", "tokens.read", "tokens.manage",
          "mfcerts.manage", "auth.xades", "auth.token", "qr.offline",
          "audit.read", "vault.admin", "sessions.manage", "sessions.token",
          "sessions.read", "tokens.create", "keys.enroll", "dropoff.manage"));
  EXPECT_EQ(AllOperations().size(), kOperationCount);
}

TEST(OperationsTest, NamesRoundTrip) {
  for (Operation op : AllOperations()) {
    EXPECT_EQ(OperationFromName(OperationName(op)), op);
  }
  EXPECT_EQ(OperationFromName("auth.xdes"), absl::nullopt);
  EXPECT_EQ(OperationFromName("auth.*"), absl::nullopt);
}

TEST(OperationsTest, OnlyVaultAndMinistryOperationsActOnTheWholeVault) {
  std::vector<std::string> whole_vault;
  for (Operation op : AllOperations()) {
    if (ScopeOf(op) == OperationScope::kWholeVault) {
      whole_vault.emplace_back(OperationName(op));
    }
  }
  EXPECT_THAT(whole_vault,
              ::testing::ElementsAre("mfcerts.manage", "vault.admin"));
}

}  // namespace
}  // namespace sejf::server
