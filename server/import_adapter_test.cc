// The import handlers in-process (issue 15): GetImportKey for any caller,
// tokens accepted encrypted to the import key, exactly one of the two token
// fields.
#include <memory>
#include <string>

#include "common/import_wrap.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sejf/v1/key_custody.grpc.pb.h"
#include "sejf/v1/token_vault.grpc.pb.h"
#include "server/testing/in_process_sejfd.h"

namespace sejf::server {
namespace {

using ::sejf::server::testing::AllowRule;
using ::sejf::server::testing::CallAs;
using ::sejf::server::testing::InProcessSejfd;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class ImportAdapterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = InProcessSejfd::Start(
        {AllowRule("admin", {"tokens.manage", "tokens.read", "keys.manage"})});
    ASSERT_TRUE(started.ok()) << started.status();
    sejfd_ = *std::move(started);
    keys_ = sejf::v1::KeyCustody::NewStub(sejfd_->channel());
    tokens_ = sejf::v1::TokenVault::NewStub(sejfd_->channel());
  }

  sejf::v1::GetImportKeyResponse GetImportKey(const std::string& as) {
    sejf::v1::GetImportKeyResponse response;
    grpc::Status status = keys_->GetImportKey(
        CallAs(as).get(), sejf::v1::GetImportKeyRequest(), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  grpc::Status Import(const std::string& id, const std::string& secret,
                      const std::string& encrypted) {
    sejf::v1::ImportTokenRequest request;
    request.set_token_id(id);
    request.set_context("nip:5265877635");
    request.set_secret(secret);
    request.set_encrypted_secret(encrypted);
    sejf::v1::ImportTokenResponse response;
    return tokens_->ImportToken(CallAs("admin").get(), request, &response);
  }

  std::unique_ptr<InProcessSejfd> sejfd_;
  std::unique_ptr<sejf::v1::KeyCustody::Stub> keys_;
  std::unique_ptr<sejf::v1::TokenVault::Stub> tokens_;
};

TEST_F(ImportAdapterTest, AnyCallerGetsTheSameImportKey) {
  sejf::v1::GetImportKeyResponse admin = GetImportKey("admin");
  sejf::v1::GetImportKeyResponse nobody = GetImportKey("no-rule-at-all");
  EXPECT_EQ(admin.public_key_der(), nobody.public_key_der());
  EXPECT_EQ(admin.fingerprint_sha256(),
            ImportKeyFingerprint(admin.public_key_der()));
  EXPECT_THAT(admin.public_key_pem(), StartsWith("-----BEGIN PUBLIC KEY-----"));
  EXPECT_THAT(admin.scheme(), HasSubstr("rsaes-oaep-sha256"));
}

TEST_F(ImportAdapterTest, TokenEncryptedToTheImportKeyIsAccepted) {
  const std::string der = GetImportKey("admin").public_key_der();
  auto encrypted =
      EncryptToImportKey(der, SecretFromView("20250101-EC-ENCRYPTED|x"));
  ASSERT_TRUE(encrypted.ok()) << encrypted.status();
  grpc::Status imported = Import("enc", "", *encrypted);
  EXPECT_TRUE(imported.ok()) << imported.error_message();

  sejf::v1::RotateTokenRequest rotate;
  rotate.set_name("tokens/enc");
  rotate.set_encrypted_secret(*encrypted);
  sejf::v1::RotateTokenResponse rotated;
  grpc::Status status =
      tokens_->RotateToken(CallAs("admin").get(), rotate, &rotated);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(rotated.token().version(), 2);
}

TEST_F(ImportAdapterTest, BothNeitherOrAlteredIsInvalidArgument) {
  const std::string der = GetImportKey("admin").public_key_der();
  auto encrypted =
      EncryptToImportKey(der, SecretFromView("20250101-EC-ENCRYPTED|x"));
  ASSERT_TRUE(encrypted.ok());

  grpc::Status both = Import("both", "20250101-EC-PLAIN|x", *encrypted);
  EXPECT_EQ(both.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(both.error_message(), HasSubstr("exactly one of secret and "
                                              "encrypted_secret"));
  grpc::Status neither = Import("neither", "", "");
  EXPECT_EQ(neither.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  std::string altered = *encrypted;
  altered[10] ^= 1;
  grpc::Status bad = Import("altered", "", altered);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(), StartsWith("encrypted_secret: "));
  grpc::Status short_one = Import("short", "", "abc");
  EXPECT_EQ(short_one.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(short_one.error_message(), HasSubstr("384 bytes"));
}

}  // namespace
}  // namespace sejf::server
