// KsefTokenEncryptor: what it encrypts is decrypted by `openssl pkeyutl`
// with OAEP-SHA256/MGF1-SHA256, and its request body is parsed as JSON.
#include "signer/ministry/token_encryption.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/crypto_init.h"
#include "common/status_context.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/testing/fake_key_store.h"
#include "nlohmann/json.hpp"
#include "signer/ministry/testing/ministry_test_certs.h"
#include "signer/ministry/testing/openapi_schema.h"
#include "signer/x509/testing/openssl_cli.h"
#include "vault/storage/memory_storage.h"

namespace sejf::signer {
namespace {

using ::sejf::signer::testing::JsonItem;
using ::sejf::signer::testing::JsonList;
using ::sejf::signer::testing::MakeIssuedTestCert;
using ::sejf::signer::testing::MakeTestCert;
using ::sejf::signer::testing::ReadFileOrEmpty;
using ::sejf::signer::testing::RunOpenssl;
using ::sejf::signer::testing::ScratchDir;
using ::sejf::signer::testing::TestCert;
using ::sejf::signer::testing::ValidateAgainstOpenApiSchema;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kNow = absl::FromUnixSeconds(1772323200);  // 2026-03-01
const absl::Duration kDay = absl::Hours(24);
constexpr char kToken[] =
    "20251010-EC-1DCE3E3000-12ECB5B36E-45|internalId-5265877635-12345|"
    "919f704466624ce29cd5ac7b65ded5e12ccd0f6b3e2346e8a1b0a58bbfd6f7b9";
constexpr char kChallenge[] = "20260301-CR-1A2B3C4D5E-6F7A8B9C0D-1E";

// The OpenAPI schemas of the POST /auth/ksef-token body (testdata/README.md).
nlohmann::json KsefTokenSchemas() {
  std::string text =
      ReadFileOrEmpty(SEJF_MINISTRY_TESTDATA_DIR
                      "/init_token_authentication_request.openapi.json");
  EXPECT_FALSE(text.empty());
  return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
}

std::unique_ptr<vault::Keyring> OpenKeyring(vault::Storage& storage,
                                            hsm::KeyStore& keys,
                                            const Clock& clock) {
  auto keyring = vault::Keyring::Open(&storage, &keys, &clock);
  EXPECT_TRUE(keyring.ok()) << keyring.status();
  return keyring.ok() ? *std::move(keyring) : nullptr;
}

std::unique_ptr<MinistryTrust> MakeTrust(const TestCert& ca,
                                         vault::Keyring* keyring) {
  auto trust =
      MinistryTrust::Create({{"test", {.anchors_pem = ca.pem}}}, keyring);
  EXPECT_TRUE(trust.ok()) << trust.status();
  return trust.ok() ? *std::move(trust) : nullptr;
}

class TokenEncryptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    current_ = MakeIssuedTestCert(
        ca_, {.not_before = kNow - 30 * kDay, .not_after = kNow + 700 * kDay});
    older_ = MakeIssuedTestCert(
        ca_, {.not_before = kNow - 300 * kDay, .not_after = kNow + 300 * kDay});
    ASSERT_TRUE(
        store_
            .Import("test",
                    JsonList({JsonItem(older_, {"KsefTokenEncryption"}),
                              JsonItem(current_, {"KsefTokenEncryption"})}))
            .ok());
  }

  KsefTokenRequest Request() {
    KsefTokenRequest r;
    r.environment = "test";
    r.challenge = kChallenge;
    r.context = {.type = KsefContextType::kNip, .value = "5265877635"};
    r.timestamp_ms = absl::ToUnixMillis(kNow) - 1234;
    return r;
  }

  // `encrypted` (Base64) decrypted by the openssl CLI with `key_pem`.
  std::string OpensslDecrypt(const std::string& encrypted,
                             const std::string& key_pem) {
    std::string ciphertext;
    EXPECT_TRUE(absl::Base64Unescape(encrypted, &ciphertext));
    std::string in = scratch_.Write("ct.bin", ciphertext);
    std::string key = scratch_.Write("key.pem", key_pem);
    std::string out = scratch_.Path("pt.bin");
    auto result =
        RunOpenssl({"pkeyutl", "-decrypt", "-inkey", key, "-in", in, "-out",
                    out, "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt",
                    "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256"});
    EXPECT_EQ(result.exit_code, 0) << result.out;
    return ReadFileOrEmpty(out);
  }

  ScratchDir scratch_;
  FakeClock clock_{kNow};
  vault::MemoryStorage storage_{clock_};
  hsm::testing::FakeKeyStore keys_;
  std::unique_ptr<vault::Keyring> keyring_ =
      OpenKeyring(storage_, keys_, clock_);
  // "test" trusts a test CA; "demo" has no trust configured.
  TestCert ca_ = MakeTestCert({.common_name = "Test Ministry CA", .ca = true});
  std::unique_ptr<MinistryTrust> trust_ = MakeTrust(ca_, keyring_.get());
  MinistryCertificateStore store_{&storage_, trust_.get(), &clock_};
  KsefTokenEncryptor encryptor_{&store_, trust_.get(), &clock_};
  TestCert current_;
  TestCert older_;
};

TEST_F(TokenEncryptionTest, OpensslDecryptsTokenBarTimestamp) {
  auto encrypted = encryptor_.Encrypt(SecretFromView(kToken), Request());
  ASSERT_TRUE(encrypted.ok()) << encrypted.status();
  EXPECT_EQ(encrypted->encrypted_token.size(), 344u) << "RSA-2048, Base64";
  EXPECT_EQ(OpensslDecrypt(encrypted->encrypted_token, current_.key_pem),
            absl::StrCat(kToken, "|", absl::ToUnixMillis(kNow) - 1234))
      << "encrypted to the certificate with the latest validFrom";
  EXPECT_EQ(encrypted->public_key_id, Sha256Base64(current_.spki_der));
  EXPECT_EQ(encrypted->certificate_id, Sha256Base64(current_.der));
}

TEST_F(TokenEncryptionTest, KeyWithdrawnByKsefIsNoLongerUsed) {
  ASSERT_TRUE(
      store_
          .ImportFromKsef("test",
                          JsonList({JsonItem(older_, {"KsefTokenEncryption"})}))
          .ok());
  auto encrypted = encryptor_.Encrypt(SecretFromView(kToken), Request());
  ASSERT_TRUE(encrypted.ok()) << encrypted.status();
  EXPECT_EQ(encrypted->public_key_id, Sha256Base64(older_.spki_der));
  EXPECT_EQ(OpensslDecrypt(encrypted->encrypted_token, older_.key_pem),
            absl::StrCat(kToken, "|", absl::ToUnixMillis(kNow) - 1234));
}

TEST_F(TokenEncryptionTest, EachEncryptionIsFresh) {
  auto a = encryptor_.Encrypt(SecretFromView(kToken), Request());
  auto b = encryptor_.Encrypt(SecretFromView(kToken), Request());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->encrypted_token, b->encrypted_token) << "OAEP is randomized";
}

TEST_F(TokenEncryptionTest, RequestBodyHasExactlyTheKsefFields) {
  KsefTokenRequest request = Request();
  request.context = {.type = KsefContextType::kInternalId,
                     .value = "5265877635-12345"};
  auto encrypted = encryptor_.Encrypt(SecretFromView(kToken), request);
  ASSERT_TRUE(encrypted.ok()) << encrypted.status();
  auto body = nlohmann::ordered_json::parse(encrypted->request_json);
  std::vector<std::string> keys;
  for (const auto& [key, value] : body.items()) keys.push_back(key);
  EXPECT_THAT(keys, ::testing::ElementsAre("challenge", "contextIdentifier",
                                           "encryptedToken", "publicKeyId"));
  EXPECT_EQ(body["challenge"], kChallenge);
  EXPECT_EQ(body["contextIdentifier"],
            nlohmann::ordered_json::parse(
                R"({"type":"InternalId","value":"5265877635-12345"})"));
  EXPECT_EQ(body["encryptedToken"], encrypted->encrypted_token);
  EXPECT_EQ(body["publicKeyId"], encrypted->public_key_id);
  EXPECT_THAT(encrypted->request_json, Not(HasSubstr("919f7044")))
      << "the token is not in the body";
}

TEST_F(TokenEncryptionTest, BodyWithoutAllowedIpsFitsTheOpenApiSchema) {
  auto encrypted = encryptor_.Encrypt(SecretFromView(kToken), Request());
  ASSERT_TRUE(encrypted.ok()) << encrypted.status();
  auto body = nlohmann::json::parse(encrypted->request_json);
  EXPECT_FALSE(body.contains("authorizationPolicy"));
  absl::Status valid = ValidateAgainstOpenApiSchema(
      body, KsefTokenSchemas(), "InitTokenAuthenticationRequest");
  EXPECT_TRUE(valid.ok()) << valid << "\n" << encrypted->request_json;
}

TEST_F(TokenEncryptionTest, AllowedIpsGoIntoTheAuthorizationPolicy) {
  KsefTokenRequest request = Request();
  request.allowed_ips = {.ip4_addresses = {"192.168.0.1", "10.1.2.3"},
                         .ip4_ranges = {"10.0.0.1-10.0.0.20"},
                         .ip4_masks = {"172.16.0.0/16"}};
  auto encrypted = encryptor_.Encrypt(SecretFromView(kToken), request);
  ASSERT_TRUE(encrypted.ok()) << encrypted.status();
  auto body = nlohmann::ordered_json::parse(encrypted->request_json);
  std::vector<std::string> keys;
  for (const auto& [key, value] : body.items()) keys.push_back(key);
  EXPECT_THAT(keys, ::testing::ElementsAre("challenge", "contextIdentifier",
                                           "encryptedToken", "publicKeyId",
                                           "authorizationPolicy"));
  EXPECT_EQ(body["authorizationPolicy"], nlohmann::ordered_json::parse(R"({
    "allowedIps": {"ip4Addresses": ["192.168.0.1", "10.1.2.3"],
                   "ip4Ranges": ["10.0.0.1-10.0.0.20"],
                   "ip4Masks": ["172.16.0.0/16"]}})"));
  absl::Status valid = ValidateAgainstOpenApiSchema(
      nlohmann::json::parse(encrypted->request_json), KsefTokenSchemas(),
      "InitTokenAuthenticationRequest");
  EXPECT_TRUE(valid.ok()) << valid << "\n" << encrypted->request_json;
  EXPECT_EQ(OpensslDecrypt(encrypted->encrypted_token, current_.key_pem),
            absl::StrCat(kToken, "|", absl::ToUnixMillis(kNow) - 1234));

  // Only the kinds given.
  request.allowed_ips = {.ip4_masks = {"0.0.0.0/0"}};
  encrypted = encryptor_.Encrypt(SecretFromView(kToken), request);
  ASSERT_TRUE(encrypted.ok()) << encrypted.status();
  EXPECT_EQ(
      nlohmann::json::parse(encrypted->request_json)["authorizationPolicy"],
      nlohmann::json::parse(R"({"allowedIps": {"ip4Masks": ["0.0.0.0/0"]}})"));
}

TEST_F(TokenEncryptionTest, TheSchemaCheckCatchesWhatKsefWouldRefuse) {
  // The checker itself: a body it passes must be able to fail.
  auto encrypted = encryptor_.Encrypt(SecretFromView(kToken), Request());
  ASSERT_TRUE(encrypted.ok()) << encrypted.status();
  const nlohmann::json schemas = KsefTokenSchemas();
  auto body = nlohmann::json::parse(encrypted->request_json);
  body["authorizationPolicy"]["allowedIps"]["ip4Masks"] = {"10.0.0.0/33"};
  EXPECT_FALSE(ValidateAgainstOpenApiSchema(body, schemas,
                                            "InitTokenAuthenticationRequest")
                   .ok());
  body = nlohmann::json::parse(encrypted->request_json);
  body["authorizationPolicy"]["allowedIPs"] = nlohmann::json::object();
  EXPECT_FALSE(ValidateAgainstOpenApiSchema(body, schemas,
                                            "InitTokenAuthenticationRequest")
                   .ok());
  body = nlohmann::json::parse(encrypted->request_json);
  body.erase("contextIdentifier");
  EXPECT_FALSE(ValidateAgainstOpenApiSchema(body, schemas,
                                            "InitTokenAuthenticationRequest")
                   .ok());
}

TEST_F(TokenEncryptionTest, BadAllowedIpsAreRefusedNamingTheEntry) {
  KsefTokenRequest request = Request();
  request.allowed_ips = {.ip4_addresses = {"192.168.0.1"},
                         .ip4_ranges = {"10.0.0.20-10.0.0.1"}};
  auto encrypted = encryptor_.Encrypt(SecretFromView(kToken), request);
  EXPECT_EQ(encrypted.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(encrypted.status().message(),
              HasSubstr("allowed_ips.ip4_ranges[0] must be"));
  request.allowed_ips = {.ip4_masks = {"10.0.0.0/8", "010.0.0.0/8"}};
  encrypted = encryptor_.Encrypt(SecretFromView(kToken), request);
  EXPECT_EQ(encrypted.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(encrypted.status().message(),
              HasSubstr("allowed_ips.ip4_masks[1] must be"));
  request.allowed_ips = {.ip4_addresses =
                             std::vector<std::string>(11, "10.0.0.1")};
  encrypted = encryptor_.Encrypt(SecretFromView(kToken), request);
  EXPECT_EQ(encrypted.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(encrypted.status().message(), HasSubstr("at most 10"));
}

TEST_F(TokenEncryptionTest, ContextIdentifierIsLeftOutWhereConfigured) {
  KsefTokenEncryptor without(
      &store_, trust_.get(), &clock_,
      {.environments_without_context_identifier = {"test"}});
  auto encrypted = without.Encrypt(SecretFromView(kToken), Request());
  ASSERT_TRUE(encrypted.ok()) << encrypted.status();
  auto body = nlohmann::json::parse(encrypted->request_json);
  EXPECT_FALSE(body.contains("contextIdentifier")) << encrypted->request_json;
  EXPECT_EQ(body["challenge"], kChallenge);
  // Valid once KSeF no longer requires it (ksef-api#741): the published
  // schema with contextIdentifier taken out of `required`.
  nlohmann::json schemas = KsefTokenSchemas();
  auto& required = schemas["components"]["schemas"]
                          ["InitTokenAuthenticationRequest"]["required"];
  required.erase(std::remove(required.begin(), required.end(),
                             nlohmann::json("contextIdentifier")),
                 required.end());
  absl::Status valid = ValidateAgainstOpenApiSchema(
      body, schemas, "InitTokenAuthenticationRequest");
  EXPECT_TRUE(valid.ok()) << valid << "\n" << encrypted->request_json;
  EXPECT_EQ(OpensslDecrypt(encrypted->encrypted_token, current_.key_pem),
            absl::StrCat(kToken, "|", absl::ToUnixMillis(kNow) - 1234));

  // Other environments keep it.
  KsefTokenEncryptor other(
      &store_, trust_.get(), &clock_,
      {.environments_without_context_identifier = {"prod"}});
  encrypted = other.Encrypt(SecretFromView(kToken), Request());
  ASSERT_TRUE(encrypted.ok()) << encrypted.status();
  EXPECT_EQ(nlohmann::json::parse(encrypted->request_json)["contextIdentifier"],
            nlohmann::json::parse(R"({"type":"Nip","value":"5265877635"})"));
}

TEST_F(TokenEncryptionTest, StaleOrFutureTimestampIsRefused) {
  for (absl::Duration off : {absl::Minutes(-11), absl::Minutes(11)}) {
    KsefTokenRequest request = Request();
    request.timestamp_ms = absl::ToUnixMillis(kNow + off);
    auto refused = encryptor_.Encrypt(SecretFromView(kToken), request);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(refused.status().message(), HasSubstr("timestampMs"));
    EXPECT_THAT(refused.status().message(), HasSubstr("11m"));
    EXPECT_EQ(TaggedField(refused.status()), "timestamp_ms");
  }
  KsefTokenRequest edge = Request();
  edge.timestamp_ms = absl::ToUnixMillis(kNow - absl::Minutes(10));
  EXPECT_TRUE(encryptor_.Encrypt(SecretFromView(kToken), edge).ok());
  KsefTokenRequest zero = Request();
  zero.timestamp_ms = 0;
  EXPECT_EQ(encryptor_.Encrypt(SecretFromView(kToken), zero).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(TokenEncryptionTest, MalformedOrStaleChallengeIsRefusedByTheEncryptor) {
  for (const char* challenge :
       {"20250101-CR-X", "20260220-CR-1A2B3C4D5E-6F7A8B9C0D-1E"}) {
    KsefTokenRequest request = Request();
    request.challenge = challenge;
    absl::Status refused = encryptor_.CheckRequest(request);
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << challenge;
    EXPECT_EQ(TaggedField(refused), "challenge") << refused;
    EXPECT_EQ(encryptor_.Encrypt(SecretFromView(kToken), request).status(),
              refused);
  }
  EXPECT_TRUE(encryptor_.CheckRequest(Request()).ok());
}

TEST_F(TokenEncryptionTest, WindowIsConfigurable) {
  KsefTokenEncryptor strict(&store_, trust_.get(), &clock_,
                            {.timestamp_window = absl::Minutes(1)});
  KsefTokenRequest request = Request();
  request.timestamp_ms = absl::ToUnixMillis(kNow - absl::Minutes(2));
  EXPECT_EQ(strict.Encrypt(SecretFromView(kToken), request).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(encryptor_.Encrypt(SecretFromView(kToken), request).ok());
}

TEST_F(TokenEncryptionTest, NoCertificateForTheEnvironmentIsAPrecondition) {
  KsefTokenRequest request = Request();
  request.environment = "prod";
  auto refused = encryptor_.Encrypt(SecretFromView(kToken), request);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("import with sejf mfcert import --environment prod"));
}

TEST_F(TokenEncryptionTest, BadTokensAreRefusedWithoutQuotingThem) {
  for (std::string token :
       {std::string(""), std::string("secret\nvalue"), std::string(161, 'a')}) {
    auto refused = encryptor_.Encrypt(SecretFromView(token), Request());
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(refused.status().message(), Not(HasSubstr("secret")));
    EXPECT_THAT(refused.status().message(), HasSubstr("token"));
  }
  KsefTokenRequest no_challenge = Request();
  no_challenge.challenge.clear();
  EXPECT_EQ(
      encryptor_.Encrypt(SecretFromView(kToken), no_challenge).status().code(),
      absl::StatusCode::kInvalidArgument);
}

// Rewrites the stored record `name` of the store with `change` applied, as
// someone with write access to the database could.
void AlterRecord(vault::Storage& storage, const std::string& name,
                 const std::function<void(MinistryCertificate&)>& change) {
  auto tx = storage.Begin(vault::TransactionMode::kReadWrite);
  ASSERT_TRUE(tx.ok());
  auto record = (*tx)->Get(kMinistryCertificateKind, name);
  ASSERT_TRUE(record.ok() && record->has_value());
  auto c = DecodeMinistryCertificateRecord((*record)->data);
  ASSERT_TRUE(c.ok());
  change(*c);
  ASSERT_TRUE((*tx)
                  ->Update(kMinistryCertificateKind, name, (*record)->version,
                           EncodeMinistryCertificateRecord(*c))
                  .ok());
  ASSERT_TRUE((*tx)->Commit().ok());
}

TEST_F(TokenEncryptionTest, CertificateSwappedInTheDatabaseIsRefused) {
  TestCert rogue = MakeTestCert({.not_before = kNow - kDay,
                                 .not_after = kNow + 30 * kDay,
                                 .common_name = "Not the Ministry"});
  std::string name = absl::StrCat(
      "test/", MinistryCertificate{.der = current_.der}.Fingerprint());
  AlterRecord(storage_, name,
              [&](MinistryCertificate& c) { c.der = rogue.der; });
  auto refused = encryptor_.Encrypt(SecretFromView(kToken), Request());
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kDataLoss)
      << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr(name));
  EXPECT_THAT(refused.status().message(), HasSubstr("nothing was encrypted"));
}

TEST_F(TokenEncryptionTest, RogueRowInsertedUnderItsOwnNameIsRefused) {
  // A fresh row with a later validFrom would be selected; it does not chain.
  TestCert rogue = MakeTestCert({.not_before = kNow - kDay,
                                 .not_after = kNow + 30 * kDay,
                                 .common_name = "Not the Ministry"});
  auto parsed = ParseMinistryCertificates(
      rogue.der, MinistryCertificateUsage::kKsefTokenEncryption, kNow);
  ASSERT_TRUE(parsed.ok());
  MinistryCertificate c = (*parsed)[0];
  c.environment = "test";
  c.trusted_by = "anchors";  // a claim, never believed
  auto tx = storage_.Begin(vault::TransactionMode::kReadWrite);
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE((*tx)
                  ->Insert(kMinistryCertificateKind,
                           absl::StrCat("test/", c.Fingerprint()),
                           EncodeMinistryCertificateRecord(c))
                  .ok());
  ASSERT_TRUE((*tx)->Commit().ok());
  auto refused = encryptor_.Encrypt(SecretFromView(kToken), Request());
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition)
      << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr(c.Fingerprint()));
  EXPECT_THAT(refused.status().message(), HasSubstr("environment test"));
}

TEST_F(TokenEncryptionTest, OperatorPinnedCertificateEncryptsAndResistsSwaps) {
  TestCert pinned =
      MakeTestCert({.not_before = kNow - kDay, .not_after = kNow + 300 * kDay});
  std::string fingerprint =
      MinistryCertificate{.der = pinned.der}.Fingerprint();
  ASSERT_EQ(store_.Import("demo", pinned.pem).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store_
                  .Import("demo", pinned.pem,
                          MinistryCertificateUsage::kKsefTokenEncryption,
                          {fingerprint})
                  .ok());
  KsefTokenRequest request = Request();
  request.environment = "demo";
  auto encrypted = encryptor_.Encrypt(SecretFromView(kToken), request);
  ASSERT_TRUE(encrypted.ok()) << encrypted.status();
  EXPECT_EQ(OpensslDecrypt(encrypted->encrypted_token, pinned.key_pem),
            absl::StrCat(kToken, "|", request.timestamp_ms));

  // The row's certificate replaced by a rogue one, its seal kept.
  TestCert rogue = MakeTestCert({.not_before = kNow - kDay,
                                 .not_after = kNow + 30 * kDay,
                                 .common_name = "Not the Ministry"});
  AlterRecord(storage_, absl::StrCat("demo/", fingerprint),
              [&](MinistryCertificate& c) { c.der = rogue.der; });
  auto refused = encryptor_.Encrypt(SecretFromView(kToken), request);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss)
      << refused.status();
}

}  // namespace
}  // namespace sejf::signer
