#include "broker/sessions/testing/sessions_fixture.h"

#include <openssl/sha.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "common/crypto_init.h"
#include "common/files.h"
#include "signer/x509/certificate_info.h"
#include "signer/x509/distinguished_name.h"

namespace sejf::broker::testing {

std::string Sha256Base64(const std::string& der) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(der.data()), der.size(),
         digest);
  return absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

void SessionsFixture::SetUp() {
  ASSERT_TRUE(InitCrypto().ok());
  db_ = dir_.Path("sejf.db");
  auto hsm = hsm::testing::MakePkcs11TestEnv();
  ASSERT_TRUE(hsm.ok()) << hsm.status();
  hsm_ = *std::move(hsm);
  ca_ = signer::testing::MakeTestCert(
      {.common_name = "Test Ministry CA", .ca = true});
  ministry_ = MakeMinistryCert(absl::FromUnixSeconds(1759125799));
  api_.SetMinistryKeys({KeyOf(ministry_)},
                       signer::testing::JsonList({signer::testing::JsonItem(
                           ministry_, {"KsefTokenEncryption"})}));
  apis_.Add("test", &api_);
  absl::Status started = Start();
  ASSERT_TRUE(started.ok()) << started;
  auto imported = ministry_certificates_->Import(
      "test", signer::testing::JsonList({signer::testing::JsonItem(
                  ministry_, {"KsefTokenEncryption"})}));
  ASSERT_TRUE(imported.ok()) << imported.status();
}

void SessionsFixture::TearDown() { Stop(); }

signer::testing::TestCert SessionsFixture::MakeMinistryCert(
    absl::Time not_before) {
  return signer::testing::MakeIssuedTestCert(
      ca_, {.not_before = not_before,
            .key_usage = "keyEncipherment, dataEncipherment"});
}

FakeKsefApi::MinistryKey SessionsFixture::KeyOf(
    const signer::testing::TestCert& cert) {
  return {.public_key_id = Sha256Base64(cert.spki_der),
          .private_key_pem = cert.key_pem};
}

absl::Status SessionsFixture::Start(KsefSessions::Options options) {
  auto storage = vault::SqliteStorage::Open(db_, clock_);
  if (!storage.ok()) return storage.status();
  storage_ = *std::move(storage);
  auto keyring = vault::Keyring::Open(storage_.get(), &hsm_->store(), &clock_);
  if (!keyring.ok()) return keyring.status();
  keyring_ = *std::move(keyring);
  auto tokens =
      vault::TokenVault::Open(storage_.get(), keyring_.get(), &clock_);
  if (!tokens.ok()) return tokens.status();
  tokens_ = *std::move(tokens);
  custody_ = std::make_unique<signer::KeyCustody>(&hsm_->store(),
                                                  storage_.get(), &clock_);
  signer_ = std::make_unique<signer::AuthTokenSigner>(custody_.get(), &clock_);
  auto trust = signer::MinistryTrust::Create(
      {{"test",
        {.anchors_pem = ca_.pem, .anchors_source = "the test Ministry CA"}},
       {"fresh",
        {.anchors_pem = ca_.pem, .anchors_source = "the test Ministry CA"}}},
      keyring_.get());
  if (!trust.ok()) return trust.status();
  trust_ = *std::move(trust);
  ministry_certificates_ = std::make_unique<signer::MinistryCertificateStore>(
      storage_.get(), trust_.get(), &clock_);
  encryptor_ = std::make_unique<signer::KsefTokenEncryptor>(
      ministry_certificates_.get(), trust_.get(), &clock_);
  if (!options.sleep) {
    options.sleep = [this](absl::Duration d) { clock_.Advance(d); };
  }
  auto sessions = KsefSessions::Create(
      {.apis = &apis_,
       .storage = storage_.get(),
       .keyring = keyring_.get(),
       .tokens = tokens_.get(),
       .signer = signer_.get(),
       .encryptor = encryptor_.get(),
       .ministry_certificates = ministry_certificates_.get(),
       .clock = &clock_,
       .observer = &observer_},
      std::move(options));
  if (!sessions.ok()) return sessions.status();
  sessions_ = *std::move(sessions);
  return absl::OkStatus();
}

void SessionsFixture::Stop() {
  sessions_.reset();
  encryptor_.reset();
  ministry_certificates_.reset();
  trust_.reset();
  signer_.reset();
  custody_.reset();
  tokens_.reset();
  keyring_.reset();
  storage_.reset();
}

void SessionsFixture::MakeKey(const std::string& name) {
  ASSERT_TRUE(custody_
                  ->Generate(name, hsm::KeyAlgorithm::kEcP256,
                             vault::KeyUsage::kAuthentication)
                  .ok());
  auto subject = signer::DistinguishedName::Parse(
      "CN=Jan Kowalski,serialNumber=TINPL-5265877635,C=PL");
  ASSERT_TRUE(subject.ok());
  auto key = custody_->SelfSign(name, *subject, 30);
  ASSERT_TRUE(key.ok()) << key.status();
}

void SessionsFixture::ImportToken(const std::string& name,
                                  const std::string& secret,
                                  const std::string& context) {
  auto token = tokens_->Import({.name = name,
                                .context = context,
                                .description = "ERP",
                                .secret = SecretFromView(secret)});
  ASSERT_TRUE(token.ok()) << token.status();
  api_.AcceptKsefToken(secret);
}

std::string SessionsFixture::CertificatePem(const std::string& key) {
  auto stored = custody_->Get(key);
  EXPECT_TRUE(stored.ok() && stored->record.certificate);
  if (!stored.ok() || !stored->record.certificate) return "";
  auto info = signer::ParseCertificate(stored->record.certificate->der);
  return info.ok() ? info->pem : "";
}

OpenSessionParams SessionsFixture::KeyParams(const std::string& session,
                                             const std::string& key) const {
  return {.name = session,
          .credential_kind = SessionCredentialKind::kKey,
          .credential_name = key,
          .context = kNip,
          .environment = "test"};
}

OpenSessionParams SessionsFixture::TokenParams(const std::string& session,
                                               const std::string& token) const {
  return {.name = session,
          .credential_kind = SessionCredentialKind::kToken,
          .credential_name = token,
          .context = kNip,
          .environment = "test"};
}

std::string SessionsFixture::DatabaseBytes() const {
  std::string all;
  for (const std::string& path : {db_, db_ + "-wal", db_ + "-journal"}) {
    auto bytes = ReadFile(path);
    if (bytes.ok()) all += *bytes;
  }
  return all;
}

int SessionsFixture::TotalCalls() const {
  int total = 0;
  for (const char* endpoint : {kChallenge, kXades, kKsefToken, kAuthStatus,
                               kRedeem, kRefresh, kCloseSession, kPublicKeys}) {
    total += api_.Calls(endpoint);
  }
  return total;
}

}  // namespace sejf::broker::testing
