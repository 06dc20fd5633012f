#include "hsm/metered_key_store.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/testing/fake_key_store.h"
#include "hsm/testing/faulty_key_store.h"

namespace sejf::hsm {
namespace {

using testing::FaultyKeyStore;
using ::testing::HasSubstr;

TEST(MeteredKeyStoreTest, CountsCallsByOperationAndOutcome) {
  testing::FakeKeyStore fake;
  FaultyKeyStore faulty(&fake);
  metrics::Registry registry;
  MeteredKeyStore metered(&faulty, &registry);

  auto key = metered.GenerateKeyPair("k", KeyAlgorithm::kEcP256);
  ASSERT_TRUE(key.ok()) << key.status();
  ASSERT_TRUE(metered.Sign(*key, SignatureScheme::kEcdsaSha256, "data").ok());
  faulty.FailNext(FaultyKeyStore::Operation::kSign, 1);
  EXPECT_FALSE(metered.Sign(*key, SignatureScheme::kEcdsaSha256, "data").ok());
  EXPECT_EQ(metered.FindKeyByLabel("missing").status().code(),
            absl::StatusCode::kNotFound);

  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("sejf_hsm_operations_total{operation="
                              "\"GenerateKeyPair\",code=\"OK\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sejf_hsm_operations_total{operation=\"Sign\","
                              "code=\"OK\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sejf_hsm_operations_total{operation=\"Sign\","
                              "code=\"UNAVAILABLE\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sejf_hsm_operations_total{operation="
                              "\"FindKeyByLabel\",code=\"NOT_FOUND\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sejf_hsm_operation_duration_seconds_count{"
                              "operation=\"Sign\"} 2\n"));
}

TEST(MeteredKeyStoreTest, CountsTheImportKeyCallsToo) {
  testing::FakeKeyStore fake;
  metrics::Registry registry;
  MeteredKeyStore metered(&fake, &registry);

  ASSERT_TRUE(metered.ImportKeyPublicKey().ok());
  EXPECT_FALSE(metered.DecryptWithImportKey("not a ciphertext").ok());

  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("sejf_hsm_operations_total{operation="
                              "\"ImportKeyPublicKey\",code=\"OK\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sejf_hsm_operations_total{operation="
                              "\"DecryptWithImportKey\",code="));
}

}  // namespace
}  // namespace sejf::hsm
