// signer::KeyCustody over the in-memory key store and storage; what it
// signs is checked by the openssl command line.
#include "signer/custody/key_custody.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "common/crypto_init.h"
#include "gtest/gtest.h"
#include "hsm/signatures.h"
#include "hsm/testing/fake_key_store.h"
#include "signer/x509/self_signed.h"
#include "signer/x509/testing/openssl_cli.h"
#include "vault/storage/memory_storage.h"

namespace sejf::signer {
namespace {

using ::sejf::signer::testing::ReadFileOrEmpty;
using ::sejf::signer::testing::RunOpenssl;
using ::sejf::signer::testing::ScratchDir;
using vault::CredentialState;
using vault::KeyUsage;

class KeyCustodyTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCrypto().ok()); }

  DistinguishedName Subject(absl::string_view text) {
    auto dn = DistinguishedName::Parse(text);
    EXPECT_TRUE(dn.ok()) << dn.status();
    return *dn;
  }

  // A chain (leaf PEM, then the CA's) certifying key `name`: issued over
  // the key's own CSR by a throwaway CA through `openssl x509 -req`, with
  // keyUsage `key_usage` as openssl writes it.
  std::string CaIssuedChain(const std::string& name,
                            const std::string& key_usage) {
    auto csr = custody_.CreateCsr(name, Subject("CN=Acme,C=PL"));
    EXPECT_TRUE(csr.ok()) << csr.status();
    const std::string config =
        dir_.Write("req.cnf", "[req]\ndistinguished_name = dn\n[dn]\n");
    const std::string ca_key = dir_.Path("ca.key");
    const std::string ca = dir_.Path("ca.pem");
    const std::string leaf = dir_.Path("leaf.pem");
    auto made_ca = RunOpenssl({"req", "-x509", "-config", config, "-newkey",
                               "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                               "-nodes", "-keyout", ca_key, "-out", ca, "-subj",
                               "/CN=Qualified Test CA", "-days", "2"});
    EXPECT_EQ(made_ca.exit_code, 0) << made_ca.out;
    auto issued = RunOpenssl(
        {"x509", "-req", "-in", dir_.Write("leaf.csr", csr->pem), "-CA", ca,
         "-CAkey", ca_key, "-set_serial", "0x01F20A5D352AE590", "-days", "1",
         "-extfile",
         dir_.Write("leaf.ext", "keyUsage=critical," + key_usage + "\n"),
         "-sha256", "-out", leaf});
    EXPECT_EQ(issued.exit_code, 0) << issued.out;
    return ReadFileOrEmpty(leaf) + ReadFileOrEmpty(ca);
  }

  ScratchDir dir_;
  FakeClock clock_{absl::FromUnixSeconds(1764000000)};
  hsm::testing::FakeKeyStore keys_;
  vault::MemoryStorage storage_{clock_};
  KeyCustody custody_{&keys_, &storage_, &clock_};
};

TEST_F(KeyCustodyTest, GenerateRecordsAnActiveKeyWithItsPublicKey) {
  auto key = custody_.Generate("acme-auth", hsm::KeyAlgorithm::kEcP256,
                               KeyUsage::kAuthentication);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->record.state, CredentialState::kActive);
  EXPECT_EQ(key->record.algorithm, "ec-p256");
  EXPECT_EQ(key->record.create_time, clock_.Now());
  // In the custody namespace, under the recorded id.
  auto hsm_key = keys_.FindKeyByLabel("sejf-key/acme-auth");
  ASSERT_TRUE(hsm_key.ok()) << hsm_key.status();
  EXPECT_EQ(absl::BytesToHexString(hsm_key->id), key->record.key_id);
  EXPECT_TRUE(absl::StrContains(key->record.pkcs11_uri, "sejf-key"));
  EXPECT_EQ(*keys_.PublicKey(*hsm_key), key->record.public_key_der);
  EXPECT_EQ(keys_.FindKeyByLabel("acme-auth").status().code(),
            absl::StatusCode::kNotFound);
  auto again = custody_.Get("acme-auth");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->record, key->record);
}

TEST_F(KeyCustodyTest, GenerateRefusesBadAndTakenNamesChangingNothing) {
  EXPECT_EQ(custody_
                .Generate("Acme", hsm::KeyAlgorithm::kEcP256,
                          KeyUsage::kAuthentication)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(
      custody_
          .Generate("k", hsm::KeyAlgorithm::kEcP256, KeyUsage::kAuthentication)
          .ok());
  auto taken =
      custody_.Generate("k", hsm::KeyAlgorithm::kRsa2048, KeyUsage::kOffline);
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(custody_.Get("k")->record.algorithm, "ec-p256");
}

TEST_F(KeyCustodyTest, DisabledKeySignsNothingUntilEnabled) {
  ASSERT_TRUE(
      custody_
          .Generate("k", hsm::KeyAlgorithm::kEcP256, KeyUsage::kAuthentication)
          .ok());
  ASSERT_EQ(custody_.Disable("k")->record.state, CredentialState::kDisabled);
  auto csr = custody_.CreateCsr("k", Subject("CN=Jan,C=PL"));
  EXPECT_EQ(csr.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(csr.status().message(), "disabled"));
  ASSERT_EQ(custody_.Enable("k")->record.state, CredentialState::kActive);
  EXPECT_TRUE(custody_.CreateCsr("k", Subject("CN=Jan,C=PL")).ok());
}

TEST_F(KeyCustodyTest, DestroyRemovesTheHsmKeyAndKeepsTheRecord) {
  ASSERT_TRUE(
      custody_
          .Generate("k", hsm::KeyAlgorithm::kEcP256, KeyUsage::kAuthentication)
          .ok());
  auto destroyed = custody_.Destroy("k");
  ASSERT_TRUE(destroyed.ok()) << destroyed.status();
  EXPECT_EQ(destroyed->record.state, CredentialState::kDestroyed);
  EXPECT_EQ(keys_.FindKeyByLabel(CustodyKeyLabel("k")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(custody_.Get("k")->record.state, CredentialState::kDestroyed);
  EXPECT_TRUE(custody_.Destroy("k").ok()) << "destroying again is a no-op";
  EXPECT_EQ(custody_.Enable("k").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      custody_
          .Generate("k", hsm::KeyAlgorithm::kEcP256, KeyUsage::kAuthentication)
          .status()
          .code(),
      absl::StatusCode::kAlreadyExists)
      << "names are never reused";
}

TEST_F(KeyCustodyTest, ListFiltersAndPagesInNameOrder) {
  for (const char* name : {"c", "a", "e", "b", "d"}) {
    ASSERT_TRUE(custody_
                    .Generate(name, hsm::KeyAlgorithm::kEcP256,
                              std::string(name) < "c"
                                  ? KeyUsage::kOffline
                                  : KeyUsage::kAuthentication)
                    .ok());
  }
  std::vector<std::string> seen;
  std::string token;
  do {
    auto page = custody_.List({}, 2, token);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_LE(page->keys.size(), 2u);
    for (const auto& k : page->keys) seen.push_back(k.name);
    token = page->next_page_token;
  } while (!token.empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c", "d", "e"}));

  KeyFilter offline;
  offline.usage = KeyUsage::kOffline;
  auto page = custody_.List(offline, 0, "");
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->keys.size(), 2u);
  EXPECT_EQ(page->keys[0].name, "a");
  EXPECT_EQ(page->keys[1].name, "b");
  EXPECT_TRUE(page->next_page_token.empty());
}

TEST_F(KeyCustodyTest, CsrIsSignedByTheHsmKeyAndVerifiedByOpenssl) {
  for (auto algorithm :
       {hsm::KeyAlgorithm::kEcP256, hsm::KeyAlgorithm::kRsa2048}) {
    std::string name(hsm::KeyAlgorithmName(algorithm));
    ASSERT_TRUE(
        custody_.Generate(name, algorithm, KeyUsage::kAuthentication).ok());
    auto csr = custody_.CreateCsr(
        name,
        Subject(
            "CN=Łukasz Wójcik,SN=Wójcik,serialNumber=PNOPL-80010112345,C=PL"));
    ASSERT_TRUE(csr.ok()) << csr.status();
    ScratchDir dir;
    std::string path = dir.Write("req.pem", csr->pem);
    auto verify = RunOpenssl({"req", "-verify", "-noout", "-in", path});
    EXPECT_EQ(verify.exit_code, 0) << verify.out;
    auto subject = RunOpenssl({"req", "-noout", "-subject", "-nameopt",
                               "RFC2253,-esc_msb", "-in", path});
    EXPECT_TRUE(absl::StrContains(
        subject.out,
        "C=PL,serialNumber=PNOPL-80010112345,SN=Wójcik,CN=Łukasz Wójcik"))
        << subject.out;
  }
}

TEST_F(KeyCustodyTest, UsableForIsOneRuleForEveryPurpose) {
  ASSERT_TRUE(
      custody_.Generate("qr", hsm::KeyAlgorithm::kEcP256, KeyUsage::kOffline)
          .ok());
  auto refused = custody_.UsableFor("qr", KeyUsage::kOffline);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(refused.status().message(),
                                "key qr has no certificate"))
      << refused.status();
  ASSERT_TRUE(custody_.SelfSign("qr", Subject("CN=Acme,C=PL"), 1).ok());
  refused = custody_.UsableFor("qr", KeyUsage::kAuthentication);
  EXPECT_TRUE(absl::StrContains(refused.status().message(),
                                "key qr has usage offline, not authentication"))
      << refused.status();
  ASSERT_TRUE(custody_.Disable("qr").ok());
  refused = custody_.UsableFor("qr", KeyUsage::kOffline);
  EXPECT_TRUE(
      absl::StrContains(refused.status().message(), "key qr is disabled"))
      << refused.status();
  ASSERT_TRUE(custody_.Enable("qr").ok());
  clock_.Advance(absl::Hours(25));
  refused = custody_.UsableFor("qr", KeyUsage::kOffline);
  EXPECT_TRUE(absl::StrContains(refused.status().message(),
                                "certificate of key qr expired on "))
      << refused.status();
  EXPECT_EQ(custody_.UsableFor("ghost", KeyUsage::kOffline).status().code(),
            absl::StatusCode::kNotFound);
}

// Expiry everywhere (issue 14): a certificate not yet valid, and one no
// longer valid, sign nothing; the window in between does.
TEST_F(KeyCustodyTest, CertificateOutsideItsValidityIsRefusedForSigning) {
  ASSERT_TRUE(custody_
                  .Generate("auth", hsm::KeyAlgorithm::kEcP256,
                            KeyUsage::kAuthentication)
                  .ok());
  ASSERT_TRUE(custody_.SelfSign("auth", Subject("CN=Acme,C=PL"), 2).ok());
  clock_.Advance(-absl::Minutes(1));  // before notBefore
  auto refused = custody_.UsableFor("auth", KeyUsage::kAuthentication);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(refused.status().message(),
                                "certificate of key auth is not valid until "))
      << refused.status();
  clock_.Advance(absl::Hours(24));
  EXPECT_TRUE(custody_.UsableFor("auth", KeyUsage::kAuthentication).ok());
  clock_.Advance(absl::Hours(24 + 1));  // past notAfter
  refused = custody_.UsableFor("auth", KeyUsage::kAuthentication);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(refused.status().message(),
                                "certificate of key auth expired on "))
      << refused.status();
}

TEST_F(KeyCustodyTest, SignWithAUsableKeyMakesASignatureOpensslVerifies) {
  ASSERT_TRUE(
      custody_.Generate("qr", hsm::KeyAlgorithm::kEcP256, KeyUsage::kOffline)
          .ok());
  ASSERT_TRUE(custody_.SelfSign("qr", Subject("CN=Acme,C=PL"), 30).ok());
  auto usable = custody_.UsableFor("qr", KeyUsage::kOffline);
  ASSERT_TRUE(usable.ok()) << usable.status();
  auto raw = custody_.Sign(*usable, hsm::SignatureScheme::kEcdsaSha256,
                           "what was signed");
  ASSERT_TRUE(raw.ok()) << raw.status();
  auto der = hsm::EcdsaRawToDer(*raw);
  ASSERT_TRUE(der.ok()) << der.status();
  ScratchDir dir;
  const std::string cert = dir.Write("cert.der", usable->certificate().der);
  const std::string pub = dir.Path("pub.pem");
  ASSERT_EQ(RunOpenssl({"x509", "-inform", "DER", "-in", cert, "-pubkey",
                        "-noout", "-out", pub})
                .exit_code,
            0);
  auto verified = RunOpenssl({"dgst", "-sha256", "-verify", pub, "-signature",
                              dir.Write("sig.der", *der),
                              dir.Write("data", "what was signed")});
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
  EXPECT_TRUE(absl::StrContains(verified.out, "Verified OK")) << verified.out;
}

TEST_F(KeyCustodyTest, SelfSignAttachesACertificateOpensslVerifies) {
  ASSERT_TRUE(
      custody_
          .Generate("offline", hsm::KeyAlgorithm::kEcP256, KeyUsage::kOffline)
          .ok());
  auto key = custody_.SelfSign("offline", Subject("CN=Acme,C=PL"), 30);
  ASSERT_TRUE(key.ok()) << key.status();
  ASSERT_TRUE(key->record.certificate.has_value());
  const vault::KeyCertificate& cert = *key->record.certificate;
  EXPECT_EQ(cert.serial.size(), 16u);
  EXPECT_EQ(cert.not_after - cert.not_before, absl::Hours(24 * 30));
  ScratchDir dir;
  std::string der = dir.Write("cert.der", cert.der);
  std::string pem = dir.Path("cert.pem");
  ASSERT_EQ(
      RunOpenssl({"x509", "-inform", "DER", "-in", der, "-out", pem}).exit_code,
      0);
  auto verify =
      RunOpenssl({"verify", "-attime", "1764000100", "-CAfile", pem, pem});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  auto text = RunOpenssl({"x509", "-noout", "-text", "-in", pem});
  EXPECT_TRUE(absl::StrContains(text.out, "Non Repudiation")) << text.out;
  EXPECT_EQ(custody_.Get("offline")->record.certificate, cert);
}

TEST_F(KeyCustodyTest, ForeignCertificateIsRefusedAndNothingChanges) {
  ASSERT_TRUE(custody_
                  .Generate("mine", hsm::KeyAlgorithm::kEcP256,
                            KeyUsage::kAuthentication)
                  .ok());
  ASSERT_TRUE(custody_
                  .Generate("other", hsm::KeyAlgorithm::kEcP256,
                            KeyUsage::kAuthentication)
                  .ok());
  auto other = custody_.SelfSign("other", Subject("CN=Other"), 10);
  ASSERT_TRUE(other.ok()) << other.status();
  auto attached =
      custody_.AttachCertificate("mine", other->record.certificate->der);
  EXPECT_EQ(attached.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(attached.status().message(), "public key"))
      << attached.status();
  EXPECT_FALSE(custody_.Get("mine")->record.certificate.has_value());

  EXPECT_EQ(
      custody_.AttachCertificate("mine", "not a certificate").status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(KeyCustodyTest, CertificateOfTheRightKeyButWrongUsageIsRefused) {
  auto key = custody_.Generate("offline", hsm::KeyAlgorithm::kEcP256,
                               KeyUsage::kOffline);
  ASSERT_TRUE(key.ok());
  // The key's own public key, but certified for authentication
  // (digitalSignature), not offline use (nonRepudiation).
  hsm::KeyRef ref = KeyCustody::KeyRefOf("offline", key->record);
  auto wrong = CreateSelfSignedCertificate(
      key->record.public_key_der, Subject("CN=Acme"),
      CertificateUsage::kAuthentication, 10, SignatureScheme::kEcdsaSha256,
      [&](absl::string_view data) {
        return keys_.Sign(ref, hsm::SignatureScheme::kEcdsaSha256, data);
      },
      clock_);
  ASSERT_TRUE(wrong.ok()) << wrong.status();
  auto attached = custody_.AttachCertificate("offline", wrong->pem);
  EXPECT_EQ(attached.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(attached.status().message(), "nonRepudiation"))
      << attached.status();
  EXPECT_FALSE(custody_.Get("offline")->record.certificate.has_value());
}

// Qualified seals and CA-issued certificates carry more keyUsage bits than
// the one a usage needs; the needed bit is what counts.
TEST_F(KeyCustodyTest, CaIssuedCertificateWithExtraKeyUsageBitsAttaches) {
  ASSERT_TRUE(custody_
                  .Generate("seal-auth", hsm::KeyAlgorithm::kEcP256,
                            KeyUsage::kAuthentication)
                  .ok());
  ASSERT_TRUE(custody_
                  .Generate("seal-offline", hsm::KeyAlgorithm::kRsa2048,
                            KeyUsage::kOffline)
                  .ok());
  const std::string seal_bits =
      "digitalSignature,nonRepudiation,keyEncipherment";
  for (const char* name : {"seal-auth", "seal-offline"}) {
    SCOPED_TRACE(name);
    auto attached =
        custody_.AttachCertificate(name, CaIssuedChain(name, seal_bits));
    ASSERT_TRUE(attached.ok()) << attached.status();
    ASSERT_TRUE(attached->record.certificate.has_value());
    EXPECT_EQ(attached->record.certificate->issuer, "CN=Qualified Test CA");
    EXPECT_EQ(attached->record.certificate->chain_der.size(), 1u);
    EXPECT_EQ(custody_.Get(name)->record.certificate,
              attached->record.certificate);
  }
}

TEST_F(KeyCustodyTest, CertificateLackingTheNeededBitIsRefusedNamingIt) {
  ASSERT_TRUE(custody_
                  .Generate("auth", hsm::KeyAlgorithm::kEcP256,
                            KeyUsage::kAuthentication)
                  .ok());
  auto attached = custody_.AttachCertificate(
      "auth", CaIssuedChain("auth", "nonRepudiation,keyEncipherment"));
  EXPECT_EQ(attached.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(attached.status().message(),
                                "keyUsage lacks digitalSignature"))
      << attached.status();
  EXPECT_FALSE(custody_.Get("auth")->record.certificate.has_value());
}

}  // namespace
}  // namespace sejf::signer
