// OfflineQrSigner with keys on a throwaway SoftHSM2 token; every KOD II
// signature is verified by `openssl dgst`.
#include "signer/qr/offline_qr_signer.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/crypto_init.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/signatures.h"
#include "hsm/testing/key_store_test_env.h"
#include "signer/x509/testing/openssl_cli.h"
#include "vault/storage/memory_storage.h"

namespace sejf::signer {
namespace {

using ::sejf::signer::testing::ReadFileOrEmpty;
using ::sejf::signer::testing::RunOpenssl;
using ::sejf::signer::testing::ScratchDir;
using ::testing::HasSubstr;
using vault::KeyUsage;

const absl::Time kNow = absl::FromUnixSeconds(1772323200);  // 2026-03-01

class OfflineQrSignerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(InitCrypto().ok());
    auto env = hsm::testing::MakePkcs11TestEnv();
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = env->release();
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }

  void SetUp() override { ASSERT_NE(env_, nullptr); }

  // A key of `usage` with a self-signed certificate valid `days` from now.
  // Key names are unique per test run (the token is shared by the suite).
  std::string CertifiedKey(const std::string& name, hsm::KeyAlgorithm algorithm,
                           KeyUsage usage, int days = 365) {
    std::string unique = absl::StrCat(name, "-", ++counter_);
    auto key = custody_.Generate(unique, algorithm, usage);
    EXPECT_TRUE(key.ok()) << key.status();
    auto subject = DistinguishedName::Parse("CN=Jan Kowalski,C=PL");
    EXPECT_TRUE(subject.ok());
    auto signed_key = custody_.SelfSign(unique, *subject, days);
    EXPECT_TRUE(signed_key.ok()) << signed_key.status();
    return unique;
  }

  // Attaches to `key` a certificate for it issued, over the key's own CSR,
  // by a throwaway CA through `openssl x509 -req` with serial `set_serial`
  // and keyUsage `key_usage` (as openssl writes it); the fake clock moves to
  // the real now, where the certificate is valid. Returns the leaf's PEM.
  std::string AttachCaIssued(const std::string& key,
                             const std::string& set_serial,
                             const std::string& key_usage) {
    auto subject = DistinguishedName::Parse("CN=Jan Kowalski,C=PL");
    EXPECT_TRUE(subject.ok());
    auto csr = custody_.CreateCsr(key, *subject);
    EXPECT_TRUE(csr.ok()) << csr.status();
    const std::string config =
        dir_.Write("req.cnf", "[req]\ndistinguished_name = dn\n[dn]\n");
    const std::string ca_key = dir_.Path("ca.key");
    const std::string ca = dir_.Path("ca.pem");
    const std::string leaf = dir_.Path("leaf.pem");
    auto made_ca =
        RunOpenssl({"req", "-x509", "-config", config, "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                    ca_key, "-out", ca, "-subj", "/CN=Test CA", "-days", "2"});
    EXPECT_EQ(made_ca.exit_code, 0) << made_ca.out;
    auto issued = RunOpenssl(
        {"x509", "-req", "-in", dir_.Write("leaf.csr", csr->pem), "-CA", ca,
         "-CAkey", ca_key, "-set_serial", set_serial, "-days", "1", "-extfile",
         dir_.Write("leaf.ext", "keyUsage=critical," + key_usage + "\n"),
         "-sha256", "-out", leaf});
    EXPECT_EQ(issued.exit_code, 0) << issued.out;
    const std::string leaf_pem = ReadFileOrEmpty(leaf);
    auto attached =
        custody_.AttachCertificate(key, leaf_pem + ReadFileOrEmpty(ca));
    EXPECT_TRUE(attached.ok()) << attached.status();
    clock_.Set(absl::Now());
    return leaf_pem;
  }

  // The serial `openssl x509 -serial` prints for `pem`.
  std::string OpensslSerial(const std::string& pem) {
    auto printed = RunOpenssl(
        {"x509", "-noout", "-serial", "-in", dir_.Write("serial.pem", pem)});
    EXPECT_EQ(printed.exit_code, 0) << printed.out;
    return std::string(
        absl::StripSuffix(absl::StripPrefix(printed.out, "serial="), "\n"));
  }

  OfflineQrRequest Request(const std::string& key) {
    OfflineQrRequest r;
    r.key_name = key;
    r.context = {.type = KsefContextType::kNip, .value = "5265877635"};
    r.seller_nip = "1111111111";
    r.invoice_hash = InvoiceHash::OfInvoice("<Faktura/>");
    r.qr_host = "qr-test.ksef.mf.gov.pl";
    return r;
  }

  // Runs `openssl dgst -sha256 -verify` on `data` with the key's
  // certificate; true when it prints "Verified OK".
  bool OpensslVerifies(const std::string& key, const std::string& data,
                       const std::string& signature_der,
                       const std::vector<std::string>& sigopts) {
    auto record = custody_.Get(key);
    EXPECT_TRUE(record.ok());
    std::string cert = dir_.Write("cert.der", record->record.certificate->der);
    std::string pub = dir_.Path("pub.pem");
    auto extracted = RunOpenssl({"x509", "-inform", "DER", "-in", cert,
                                 "-pubkey", "-noout", "-out", pub});
    EXPECT_EQ(extracted.exit_code, 0) << extracted.out;
    std::vector<std::string> args = {"dgst", "-sha256", "-verify", pub};
    args.insert(args.end(), sigopts.begin(), sigopts.end());
    args.insert(args.end(), {"-signature", dir_.Write("sig.bin", signature_der),
                             dir_.Write("data.txt", data)});
    auto verified = RunOpenssl(args);
    return verified.exit_code == 0 &&
           absl::StrContains(verified.out, "Verified OK");
  }

  // The signature segment of `url`, decoded.
  static std::string SignatureOf(const std::string& url) {
    std::string sig;
    EXPECT_TRUE(
        absl::WebSafeBase64Unescape(url.substr(url.rfind('/') + 1), &sig));
    return sig;
  }

  static hsm::testing::KeyStoreTestEnv* env_;
  static int counter_;
  ScratchDir dir_;
  FakeClock clock_{kNow};
  vault::MemoryStorage storage_{clock_};
  KeyCustody custody_{&env_->store(), &storage_, &clock_};
  OfflineQrSigner signer_{&custody_};
};

hsm::testing::KeyStoreTestEnv* OfflineQrSignerTest::env_ = nullptr;
int OfflineQrSignerTest::counter_ = 0;

TEST_F(OfflineQrSignerTest, EcdsaLinkVerifiesWithOpenssl) {
  std::string key =
      CertifiedKey("qr-ec", hsm::KeyAlgorithm::kEcP256, KeyUsage::kOffline);
  auto code = signer_.Sign(Request(key));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(code->scheme, hsm::SignatureScheme::kEcdsaSha256);
  std::string serial = custody_.Get(key)->record.certificate->serial;
  EXPECT_EQ(code->certificate_serial, serial);
  EXPECT_EQ(code->signed_data,
            absl::StrCat("qr-test.ksef.mf.gov.pl/certificate/Nip/5265877635/"
                         "1111111111/",
                         serial, "/",
                         InvoiceHash::OfInvoice("<Faktura/>").Base64Url()));
  EXPECT_EQ(code->url,
            absl::StrCat("https://", code->signed_data, "/",
                         absl::WebSafeBase64Escape(code->signature)));
  std::string raw = SignatureOf(code->url);
  ASSERT_EQ(raw.size(), 64u) << "r||s";
  EXPECT_EQ(code->url.back() != '=', true);
  auto der = hsm::EcdsaRawToDer(raw);
  ASSERT_TRUE(der.ok());
  EXPECT_TRUE(OpensslVerifies(key, code->signed_data, *der, {}));
  std::string tampered = code->signed_data;
  tampered[tampered.size() - 1] ^= 1;
  EXPECT_FALSE(OpensslVerifies(key, tampered, *der, {}))
      << "the signature covers the signed string";
}

TEST_F(OfflineQrSignerTest, RsaPssLinkVerifiesWithOpensslSalt32) {
  std::string key =
      CertifiedKey("qr-rsa", hsm::KeyAlgorithm::kRsa2048, KeyUsage::kOffline);
  auto code = signer_.Sign(Request(key));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(code->scheme, hsm::SignatureScheme::kRsaPssSha256);
  std::string sig = SignatureOf(code->url);
  ASSERT_EQ(sig.size(), 256u);
  EXPECT_EQ(code->url.size() - code->url.rfind('/') - 1, 342u);
  const std::vector<std::string> pss = {"-sigopt", "rsa_padding_mode:pss",
                                        "-sigopt", "rsa_pss_saltlen:32",
                                        "-sigopt", "rsa_mgf1_md:sha256"};
  EXPECT_TRUE(OpensslVerifies(key, code->signed_data, sig, pss));
  const std::vector<std::string> other_salt = {
      "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:20",
      "-sigopt", "rsa_mgf1_md:sha256"};
  EXPECT_FALSE(OpensslVerifies(key, code->signed_data, sig, other_salt))
      << "the salt is exactly 32 bytes";
}

// A KSeF serial with its top bit set goes into the link as KSeF writes it
// (16 characters, no DER sign byte), and the signature still verifies.
TEST_F(OfflineQrSignerTest, SerialWithTopBitSetIsWrittenAsKsefWritesIt) {
  for (hsm::KeyAlgorithm algorithm :
       {hsm::KeyAlgorithm::kEcP256, hsm::KeyAlgorithm::kRsa2048}) {
    SCOPED_TRACE(hsm::KeyAlgorithmName(algorithm));
    std::string name = absl::StrCat("qr-top-bit-", ++counter_);
    ASSERT_TRUE(custody_.Generate(name, algorithm, KeyUsage::kOffline).ok());
    std::string pem = AttachCaIssued(name, "0x8000000000000001",
                                     "digitalSignature,nonRepudiation");
    ASSERT_EQ(OpensslSerial(pem), "8000000000000001");

    auto code = signer_.Sign(Request(name));
    ASSERT_TRUE(code.ok()) << code.status();
    std::vector<std::string> segments = absl::StrSplit(code->url, '/');
    // https: "" host certificate Nip ctx seller serial hash signature
    ASSERT_EQ(segments.size(), 10u) << code->url;
    EXPECT_EQ(segments[7], OpensslSerial(pem));
    EXPECT_EQ(code->certificate_serial, "8000000000000001");

    std::string signature = SignatureOf(code->url);
    if (algorithm == hsm::KeyAlgorithm::kEcP256) {
      auto der = hsm::EcdsaRawToDer(signature);
      ASSERT_TRUE(der.ok());
      EXPECT_TRUE(OpensslVerifies(name, code->signed_data, *der, {}));
    } else {
      EXPECT_TRUE(OpensslVerifies(
          name, code->signed_data, signature,
          {"-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32",
           "-sigopt", "rsa_mgf1_md:sha256"}));
    }
  }
}

// A serial KSeF never issues (here openssl's usual 20 random bytes) would
// make a link KSeF cannot verify: refused, naming the key and the serial.
TEST_F(OfflineQrSignerTest, CertificateWithoutAKsefSerialIsRefused) {
  std::string name = absl::StrCat("qr-long-serial-", ++counter_);
  ASSERT_TRUE(
      custody_.Generate(name, hsm::KeyAlgorithm::kEcP256, KeyUsage::kOffline)
          .ok());
  std::string pem = AttachCaIssued(
      name, "0x8A35E7D7C1E0B2D4F6A8190B2C3D4E5F60718293", "nonRepudiation");
  auto refused = signer_.Sign(Request(name));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(
      refused.status().message(),
      HasSubstr(absl::StrCat("key ", name, " has serial ", OpensslSerial(pem),
                             ", not a KSeF certificate serial")));
}

TEST_F(OfflineQrSignerTest, DisabledKeyIsRefused) {
  std::string key =
      CertifiedKey("qr-off", hsm::KeyAlgorithm::kEcP256, KeyUsage::kOffline);
  ASSERT_TRUE(custody_.Disable(key).ok());
  auto refused = signer_.Sign(Request(key));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("disabled"));
}

TEST_F(OfflineQrSignerTest, AuthenticationKeyIsRefused) {
  std::string key = CertifiedKey("qr-auth", hsm::KeyAlgorithm::kEcP256,
                                 KeyUsage::kAuthentication);
  auto refused = signer_.Sign(Request(key));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("usage authentication"));
}

TEST_F(OfflineQrSignerTest, KeyWithoutCertificateIsRefused) {
  std::string name = absl::StrCat("qr-nocert-", ++counter_);
  ASSERT_TRUE(
      custody_.Generate(name, hsm::KeyAlgorithm::kEcP256, KeyUsage::kOffline)
          .ok());
  auto refused = signer_.Sign(Request(name));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("has no certificate"));
}

TEST_F(OfflineQrSignerTest, ExpiredOrNotYetValidCertificateIsRefused) {
  std::string key = CertifiedKey("qr-old", hsm::KeyAlgorithm::kEcP256,
                                 KeyUsage::kOffline, /*days=*/1);
  clock_.Advance(absl::Hours(49));
  auto expired = signer_.Sign(Request(key));
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(expired.status().message(), HasSubstr("expired on 2026-03-02"));
  clock_.Set(kNow - absl::Hours(1));
  auto early = signer_.Sign(Request(key));
  EXPECT_EQ(early.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(early.status().message(), HasSubstr("not valid until"));
  clock_.Set(kNow + absl::Hours(1));
  EXPECT_TRUE(signer_.Sign(Request(key)).ok());
}

TEST_F(OfflineQrSignerTest, UnknownKeyAndBadFieldsAreRefused) {
  EXPECT_EQ(signer_.Sign(Request("no-such-key")).status().code(),
            absl::StatusCode::kNotFound);
  std::string key =
      CertifiedKey("qr-fields", hsm::KeyAlgorithm::kEcP256, KeyUsage::kOffline);
  OfflineQrRequest bad_nip = Request(key);
  bad_nip.seller_nip = "123";
  auto refused = signer_.Sign(bad_nip);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("seller NIP"));
}

}  // namespace
}  // namespace sejf::signer
