// The one rule for request enums (enum_conversions.h), and the conversions
// it is applied to.
#include "server/enum_conversions.h"

#include <google/protobuf/generated_enum_reflection.h>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "server/common_conversions.h"
#include "server/key_conversions.h"
#include "server/ksef_conversions.h"
#include "server/token_conversions.h"

namespace sejf::server {
namespace {

TEST(EnumConversionsTest, RequiredFieldLeftUnspecifiedIsRefusedNamingIt) {
  auto usage =
      RequiredEnum(sejf::v1::KEY_USAGE_UNSPECIFIED, UsageFromProto, "usage");
  EXPECT_EQ(usage.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(usage.status().message(),
            "usage is required: one of KEY_USAGE_AUTHENTICATION, "
            "KEY_USAGE_OFFLINE");
  EXPECT_EQ(*RequiredEnum(sejf::v1::KEY_USAGE_OFFLINE, UsageFromProto, "usage"),
            vault::KeyUsage::kOffline);
}

TEST(EnumConversionsTest, DefaultedFieldLeftUnspecifiedIsTheDefault) {
  EXPECT_EQ(
      *EnumOrDefault(sejf::v1::KEY_ALGORITHM_UNSPECIFIED, AlgorithmFromProto,
                     hsm::KeyAlgorithm::kEcP256, "algorithm"),
      hsm::KeyAlgorithm::kEcP256);
  EXPECT_EQ(*EnumOrDefault(sejf::v1::KEY_ALGORITHM_RSA_2048, AlgorithmFromProto,
                           hsm::KeyAlgorithm::kEcP256, "algorithm"),
            hsm::KeyAlgorithm::kRsa2048);
}

TEST(EnumConversionsTest, FilterLeftUnspecifiedFiltersNothing) {
  auto any = EnumFilter(sejf::v1::CREDENTIAL_STATE_UNSPECIFIED, StateFromProto,
                        "state");
  ASSERT_TRUE(any.ok());
  EXPECT_FALSE(any->has_value());
  auto disabled =
      EnumFilter(sejf::v1::CREDENTIAL_STATE_DISABLED, StateFromProto, "state");
  ASSERT_TRUE(disabled.ok());
  EXPECT_EQ(**disabled, vault::CredentialState::kDisabled);
}

TEST(EnumConversionsTest, UnknownNumberIsRefusedWhateverTheField) {
  auto algorithm =
      EnumOrDefault(static_cast<sejf::v1::KeyAlgorithm>(7), AlgorithmFromProto,
                    hsm::KeyAlgorithm::kEcP256, "algorithm");
  EXPECT_EQ(algorithm.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(algorithm.status().message(),
            "algorithm: 7 is not one of KEY_ALGORITHM_EC_P256, "
            "KEY_ALGORITHM_RSA_2048");
  auto state = EnumFilter(static_cast<sejf::v1::CredentialState>(9),
                          StateFromProto, "state");
  EXPECT_EQ(state.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(state.status().message(),
            "state: 9 is not one of CREDENTIAL_STATE_ACTIVE, "
            "CREDENTIAL_STATE_DISABLED, CREDENTIAL_STATE_DESTROYED");
  auto permission = RequiredEnum(static_cast<sejf::v1::TokenPermission>(99),
                                 PermissionFromProto, "permissions[0]");
  EXPECT_EQ(permission.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(permission.status().message(),
                               "permissions[0]: 99 is not one of "
                               "TOKEN_PERMISSION_INVOICE_READ, "))
      << permission.status();
}

// Each conversion maps UNSPECIFIED to nullopt, so the rule decides it, and
// every other value the .proto declares to a domain value, so a value added
// to the .proto without the server knowing it fails here.
template <typename Proto, typename Domain>
void ExpectConvertsEveryDeclaredValue(std::optional<Domain> (*convert)(Proto)) {
  const google::protobuf::EnumDescriptor* descriptor =
      google::protobuf::GetEnumDescriptor<Proto>();
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const int number = descriptor->value(i)->number();
    EXPECT_EQ(convert(static_cast<Proto>(number)).has_value(), number != 0)
        << descriptor->value(i)->name();
  }
  EXPECT_FALSE(convert(static_cast<Proto>(1000)).has_value());
}

TEST(EnumConversionsTest, ConversionsLeaveUnspecifiedToTheRule) {
  ExpectConvertsEveryDeclaredValue(AlgorithmFromProto);
  ExpectConvertsEveryDeclaredValue(UsageFromProto);
  ExpectConvertsEveryDeclaredValue(StateFromProto);
  ExpectConvertsEveryDeclaredValue(PermissionFromProto);
  ExpectConvertsEveryDeclaredValue(SubjectTypeFromProto);
  ExpectConvertsEveryDeclaredValue(NamespaceFromProto);
  ExpectConvertsEveryDeclaredValue(MinistryUsageFromProto);
}

TEST(KsefConversionsTest, RetireTimeIsSetOnlyForRetiredCertificates) {
  signer::MinistryCertificate c{
      .environment = "test",
      .usages = {signer::MinistryCertificateUsage::kKsefTokenEncryption},
      .der = "not really DER",
      .valid_from = absl::FromUnixSeconds(1772323200),
      .valid_to = absl::FromUnixSeconds(1803859200)};
  sejf::v1::MinistryCertificate current;
  MinistryCertificateToProto(c, &current);
  EXPECT_FALSE(current.has_retire_time());
  c.retire_time = absl::FromUnixSeconds(1772323200);
  sejf::v1::MinistryCertificate retired;
  MinistryCertificateToProto(c, &retired);
  ASSERT_TRUE(retired.has_retire_time());
  EXPECT_EQ(retired.retire_time().seconds(), 1772323200);
  EXPECT_EQ(retired.name(), current.name());
}

}  // namespace
}  // namespace sejf::server
