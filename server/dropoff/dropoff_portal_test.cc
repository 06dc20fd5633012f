// DropoffPortal over the real vault parts in memory (token vault, audit log,
// drop-off store) and an in-memory RSA import key; the HTTPS side and the
// browser are in tests/dropoff_e2e_test.cc.
#include "server/dropoff/dropoff_portal.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "common/crypto_init.h"
#include "common/import_wrap.h"
#include "common/openssl_ptr.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/testing/fake_key_store.h"
#include "nlohmann/json.hpp"
#include "vault/crypto/keyring.h"
#include "vault/storage/memory_storage.h"

namespace sejf::server {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] =
    "20251010-EC-1DCE3E3000-12ECB5B36E-45|nip-5265877635|canary0123456789";

// An import key in process memory, RSA-OAEP-SHA256 as the HSM's.
class MemoryImportKey final : public DropoffImportKey {
 public:
  MemoryImportKey() : key_(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", 2048)) {}
  absl::StatusOr<std::string> PublicKey() override {
    unsigned char* der = nullptr;
    int size = i2d_PUBKEY(key_.get(), &der);
    std::string out(reinterpret_cast<char*>(der), size);
    OPENSSL_free(der);
    return out;
  }
  absl::StatusOr<SecretBytes> Decrypt(absl::string_view ciphertext) override {
    return Crypt(ciphertext, /*encrypt=*/false);
  }
  std::string Encrypt(absl::string_view plaintext) {
    auto out = Crypt(plaintext, /*encrypt=*/true);
    return out.ok() ? std::string(SecretView(*out)) : "";
  }

 private:
  absl::StatusOr<SecretBytes> Crypt(absl::string_view in, bool encrypt) {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
    if ((encrypt ? EVP_PKEY_encrypt_init(ctx.get())
                 : EVP_PKEY_decrypt_init(ctx.get())) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) != 1) {
      return absl::InternalError("OAEP setup");
    }
    const auto* data = reinterpret_cast<const unsigned char*>(in.data());
    SecretBytes out(512);
    size_t size = out.size();
    int rc =
        encrypt
            ? EVP_PKEY_encrypt(ctx.get(), out.data(), &size, data, in.size())
            : EVP_PKEY_decrypt(ctx.get(), out.data(), &size, data, in.size());
    if (rc != 1) return absl::InvalidArgumentError("does not decrypt");
    out.resize(size);
    return out;
  }
  EvpPkeyPtr key_;
};

class DropoffPortalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    keyring_ = *vault::Keyring::Open(&storage_, &keys_, &clock_);
    tokens_ = *vault::TokenVault::Open(&storage_, keyring_.get(), &clock_);
    audit_ = *vault::AuditLog::Open(&storage_, &keys_, &clock_);
    portal_ =
        std::make_unique<DropoffPortal>(&store_, tokens_.get(), &custody_,
                                        &import_key_, audit_.get(), &logger_);
    auto made = store_.Create({.target_name = "acme-dropped",
                               .context = "nip:5265877635",
                               .created_by = "admin",
                               .lifetime = absl::Hours(1)});
    ASSERT_TRUE(made.ok()) << made.status();
    link_ = *std::move(made);
  }

  std::string Body(absl::string_view secret, absl::string_view token = "") {
    json j = {{"secret", std::string(secret)}};
    if (!token.empty()) {
      j["token"] = absl::Base64Escape(import_key_.Encrypt(token));
    }
    return j.dump();
  }
  std::string Secret() const { return std::string(SecretView(link_.secret)); }

  std::string AuditText() {
    auto page = audit_->List({}, 1000, "");
    EXPECT_TRUE(page.ok()) << page.status();
    std::string all;
    for (const vault::AuditEvent& e : page->events) {
      all +=
          e.method + " " + e.outcome + " " + e.context + " " + e.detail + "\n";
    }
    return all;
  }

  FakeClock clock_{absl::Now()};
  vault::MemoryStorage storage_{clock_};
  hsm::testing::FakeKeyStore keys_;
  std::unique_ptr<vault::Keyring> keyring_;
  std::unique_ptr<vault::TokenVault> tokens_;
  std::unique_ptr<vault::AuditLog> audit_;
  vault::DropoffStore store_{&storage_, &clock_};
  signer::KeyCustody custody_{&keys_, &storage_, &clock_};
  MemoryImportKey import_key_;
  Logger logger_{/*json=*/false, open("/dev/null", O_WRONLY)};
  std::unique_ptr<DropoffPortal> portal_;
  vault::NewDropoff link_;
};

TEST_F(DropoffPortalTest, OpenShowsTheTargetAndTheImportKeyFingerprint) {
  PortalResponse r = portal_->Open(link_.dropoff.id, Body(Secret()), "1.2.3.4");
  ASSERT_EQ(r.http_status, 200) << r.json;
  json j = json::parse(r.json);
  EXPECT_EQ(j["kind"], "token");
  EXPECT_EQ(j["name"], "acme-dropped");
  EXPECT_EQ(j["context"], "nip:5265877635");
  std::string spki = *import_key_.PublicKey();
  EXPECT_EQ(j["import_key"]["spki"], absl::Base64Escape(spki));
  EXPECT_EQ(j["import_key"]["fingerprint"], ImportKeyFingerprint(spki));
  EXPECT_THAT(AuditText(), HasSubstr("dropoff/open OK nip:5265877635 opened"));
}

TEST_F(DropoffPortalTest, SubmitStoresTheTokenOnceAndNeverRecordsIt) {
  PortalResponse r =
      portal_->Submit(link_.dropoff.id, Body(Secret(), kToken), "1.2.3.4");
  ASSERT_EQ(r.http_status, 200) << r.json;
  auto usable = tokens_->OpenForUse("acme-dropped");
  ASSERT_TRUE(usable.ok()) << usable.status();
  EXPECT_EQ(SecretView(usable->secret), kToken);
  EXPECT_EQ(usable->token.record.context, "nip:5265877635");

  PortalResponse again =
      portal_->Submit(link_.dropoff.id, Body(Secret(), "other-token"), "x");
  EXPECT_EQ(again.http_status, 410);
  EXPECT_THAT(again.json, HasSubstr("already been used"));

  std::string audit = AuditText();
  EXPECT_THAT(audit, HasSubstr("dropoff/submit STARTED"));
  EXPECT_THAT(audit, HasSubstr("dropoff/submit OK nip:5265877635 used"));
  EXPECT_THAT(audit, HasSubstr("dropoff/submit FAILED_PRECONDITION"));
  EXPECT_THAT(audit, Not(HasSubstr("canary0123456789")));
  EXPECT_THAT(audit, Not(HasSubstr(Secret())));
}

TEST_F(DropoffPortalTest, WrongSecretIsRefusedCountedAndAudited) {
  PortalResponse r = portal_->Open(link_.dropoff.id,
                                   Body("AAAAAAAAAAAAAAAAAAAAAA"), "1.2.3.4");
  EXPECT_EQ(r.http_status, 403);
  EXPECT_EQ(store_.Get(link_.dropoff.id)->record.attempts, 1);
  EXPECT_THAT(AuditText(),
              HasSubstr("dropoff/open PERMISSION_DENIED nip:5265877635 "
                        "refused from 1.2.3.4"));
  // Right away, even the right secret waits (rate limit).
  EXPECT_EQ(
      portal_->Open(link_.dropoff.id, Body(Secret()), "1.2.3.4").http_status,
      429);
}

TEST_F(DropoffPortalTest, ExpiredLinkIsGoneAndAuditedAsExpired) {
  clock_.Advance(absl::Hours(2));
  PortalResponse r = portal_->Open(link_.dropoff.id, Body(Secret()), "1.2.3.4");
  EXPECT_EQ(r.http_status, 410);
  EXPECT_THAT(r.json, HasSubstr("expired"));
  EXPECT_THAT(AuditText(), HasSubstr("FAILED_PRECONDITION nip:5265877635 "
                                     "expired"));
}

TEST_F(DropoffPortalTest, UndecryptableTokenIsRefusedAndTheLinkStaysUsable) {
  json j = {{"secret", Secret()}, {"token", absl::Base64Escape("garbage")}};
  PortalResponse r = portal_->Submit(link_.dropoff.id, j.dump(), "1.2.3.4");
  EXPECT_EQ(r.http_status, 400) << r.json;
  EXPECT_EQ(store_.Get(link_.dropoff.id)->record.state,
            vault::DropoffState::kPending);
  EXPECT_EQ(tokens_->Get("acme-dropped").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(DropoffPortalTest, UnknownLinkAndBadJsonAreRefused) {
  EXPECT_EQ(
      portal_->Open("0123456789abcdef", Body(Secret()), "1.2.3.4").http_status,
      404);
  EXPECT_EQ(portal_->Open(link_.dropoff.id, "not json", "1.2.3.4").http_status,
            400);
}

TEST_F(DropoffPortalTest, KeyThatDoesNotUnwrapIsRefusedAndTheLinkStaysUsable) {
  auto made = store_.Create({.target = vault::DropoffTarget::kKey,
                             .target_name = "acme-key",
                             .context = "nip:5265877635",
                             .created_by = "admin"});
  ASSERT_TRUE(made.ok()) << made.status();
  const std::string secret(SecretView(made->secret));
  json j = {{"secret", secret},
            {"certificate", absl::Base64Escape("-----BEGIN CERTIFICATE-----")},
            {"wrapped_key", absl::Base64Escape(std::string(400, 'x'))}};
  PortalResponse r = portal_->Submit(made->dropoff.id, j.dump(), "1.2.3.4");
  EXPECT_EQ(r.http_status, 400) << r.json;
  EXPECT_EQ(store_.Get(made->dropoff.id)->record.state,
            vault::DropoffState::kPending);
  EXPECT_EQ(custody_.Get("acme-key").status().code(),
            absl::StatusCode::kNotFound);
  // Without the files at all: refused the same way.
  clock_.Advance(absl::Seconds(1));
  PortalResponse empty = portal_->Submit(
      made->dropoff.id, json{{"secret", secret}}.dump(), "1.2.3.4");
  EXPECT_EQ(empty.http_status, 400) << empty.json;
  EXPECT_THAT(empty.json, HasSubstr("certificate"));
}

}  // namespace
}  // namespace sejf::server
