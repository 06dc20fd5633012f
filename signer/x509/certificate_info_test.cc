#include "signer/x509/certificate_info.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signer/x509/testing/in_memory_signer.h"
#include "signer/x509/testing/openssl_cli.h"

namespace sejf::signer {
namespace {

using ::sejf::signer::testing::InMemoryKey;
using ::sejf::signer::testing::RunOpenssl;
using ::sejf::signer::testing::ScratchDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Certificates made by the `openssl` command line, independently of the
// code under test.
class CertificateInfoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.Write("req.cnf", "[req]\ndistinguished_name = dn\n[dn]\n");
  }

  std::string KeyFile(const InMemoryKey& key, const std::string& name) {
    return dir_.Write(name, key.PrivateKeyPem());
  }

  // A self-signed certificate for `key` with `extensions` (-addext values);
  // returns its PEM.
  std::string SelfSigned(const InMemoryKey& key, const std::string& subject,
                         const std::string& serial,
                         const std::vector<std::string>& extensions) {
    std::vector<std::string> args = {"req",
                                     "-x509",
                                     "-new",
                                     "-config",
                                     config_,
                                     "-key",
                                     KeyFile(key, "self.key"),
                                     "-utf8",
                                     "-subj",
                                     subject,
                                     "-days",
                                     "10",
                                     "-set_serial",
                                     serial,
                                     "-sha256"};
    for (const std::string& extension : extensions) {
      args.push_back("-addext");
      args.push_back(extension);
    }
    auto result = RunOpenssl(args);
    EXPECT_EQ(result.exit_code, 0) << result.out;
    return result.out;
  }

  // Runs `openssl x509 -noout <args>` on `pem`.
  std::string X509Out(const std::string& pem,
                      const std::vector<std::string>& args) {
    std::string path = dir_.Write("inspect.pem", pem);
    std::vector<std::string> all = {"x509", "-noout", "-in", path};
    all.insert(all.end(), args.begin(), args.end());
    auto result = RunOpenssl(all);
    EXPECT_EQ(result.exit_code, 0) << result.out;
    return result.out;
  }

  std::string ToDer(const std::string& pem) {
    std::string path = dir_.Write("to-der.pem", pem);
    return RunOpenssl({"x509", "-in", path, "-outform", "DER"}).out;
  }

  // A CA and a leaf it issued: {leaf PEM, CA PEM}.
  std::pair<std::string, std::string> IssuedChain(const InMemoryKey& leaf_key) {
    InMemoryKey ca_key = InMemoryKey::EcP256();
    std::string ca = SelfSigned(
        ca_key, "/CN=TEST CCK KSeF/O=Ministerstwo Finansów/C=PL", "0x1001",
        {"basicConstraints=critical,CA:TRUE",
         "keyUsage=critical,keyCertSign,cRLSign"});
    std::string ca_path = dir_.Write("ca.pem", ca);
    std::string ca_key_path = KeyFile(ca_key, "ca.key");
    auto csr = RunOpenssl({"req", "-new", "-config", config_, "-key",
                           KeyFile(leaf_key, "leaf.key"), "-utf8", "-subj",
                           "/C=PL/CN=Kowalski (offline)"});
    EXPECT_EQ(csr.exit_code, 0) << csr.out;
    std::string csr_path = dir_.Write("leaf.csr", csr.out);
    std::string ext_path =
        dir_.Write("leaf.ext", "keyUsage=critical,nonRepudiation\n");
    auto leaf =
        RunOpenssl({"x509", "-req", "-in", csr_path, "-CA", ca_path, "-CAkey",
                    ca_key_path, "-set_serial", "0x0123456789ABCDEF", "-days",
                    "5", "-extfile", ext_path, "-sha256"});
    EXPECT_EQ(leaf.exit_code, 0) << leaf.out;
    return {leaf.out, ca};
  }

  ScratchDir dir_;
  std::string config_;
};

absl::Time ParseIso(const std::string& line, const std::string& prefix) {
  // "notBefore=2025-03-01 12:34:56Z"
  absl::Time t;
  std::string error;
  std::string value = line.substr(prefix.size());
  EXPECT_TRUE(absl::ParseTime("%Y-%m-%d %H:%M:%SZ", value, &t, &error))
      << value << ": " << error;
  return t;
}

TEST_F(CertificateInfoTest, FieldsMatchTheOpensslCommandLine) {
  const InMemoryKey& key = testing::SharedEcP256Key();
  std::string pem =
      SelfSigned(key,
                 "/CN=Łukasz Wójcik/serialNumber=TINPL-5265877635/"
                 "organizationIdentifier=VATPL-5265877635/C=PL",
                 "0x012E76A6111F788E", {"keyUsage=critical,digitalSignature"});
  auto chain = ParseCertificateChain(pem);
  ASSERT_TRUE(chain.ok()) << chain.status();
  const CertificateInfo& info = chain->leaf;

  EXPECT_EQ(info.serial_hex, "012E76A6111F788E");
  EXPECT_EQ(X509Out(pem, {"-serial"}), "serial=" + info.serial_hex + "\n");

  std::string fingerprint = X509Out(pem, {"-fingerprint", "-sha256"});
  EXPECT_EQ(absl::StrReplaceAll(fingerprint, {{":", ""}}),
            "sha256 Fingerprint=" + info.sha256_fingerprint + "\n");
  EXPECT_EQ(info.sha256_fingerprint.size(), 64u);

  std::string dates = X509Out(pem, {"-dates", "-dateopt", "iso_8601"});
  std::vector<std::string> lines = absl::StrSplit(dates, '\n');
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(info.not_before, ParseIso(lines[0], "notBefore="));
  EXPECT_EQ(info.not_after, ParseIso(lines[1], "notAfter="));
  EXPECT_EQ(info.not_after - info.not_before, absl::Hours(240));

  EXPECT_EQ(
      X509Out(pem, {"-subject", "-issuer", "-nameopt", "RFC2253,-esc_msb"}),
      "subject=" + info.subject + "\nissuer=" + info.issuer + "\n");
  EXPECT_EQ(info.subject,
            "C=PL,organizationIdentifier=VATPL-5265877635,"
            "serialNumber=TINPL-5265877635,CN=Łukasz Wójcik");

  EXPECT_EQ(info.spki_der, key.spki_der());
  EXPECT_EQ(info.der, ToDer(pem));
  EXPECT_THAT(info.pem, HasSubstr("-----BEGIN CERTIFICATE-----\n"));
  EXPECT_EQ(ToDer(info.pem), info.der);
  EXPECT_EQ(info.key_usage, kKeyUsageDigitalSignature);
  EXPECT_TRUE(chain->intermediates_der.empty());
}

TEST_F(CertificateInfoTest, DerInputGivesTheSameInformation) {
  std::string pem = SelfSigned(testing::SharedEcP256Key(), "/CN=a", "0x0102",
                               {"keyUsage=nonRepudiation"});
  auto from_pem = ParseCertificateChain(pem);
  auto from_der = ParseCertificateChain(ToDer(pem));
  ASSERT_TRUE(from_pem.ok()) << from_pem.status();
  ASSERT_TRUE(from_der.ok()) << from_der.status();
  EXPECT_EQ(from_der->leaf.der, from_pem->leaf.der);
  EXPECT_EQ(from_der->leaf.serial_hex, "0102");
  EXPECT_EQ(from_der->leaf.sha256_fingerprint,
            from_pem->leaf.sha256_fingerprint);
  EXPECT_EQ(from_der->leaf.key_usage, kKeyUsageNonRepudiation);
}

TEST_F(CertificateInfoTest, PemWithWindowsLineEndsIsRead) {
  std::string pem = SelfSigned(testing::SharedEcP256Key(), "/CN=a", "0x0A", {});
  auto chain =
      ParseCertificateChain(absl::StrReplaceAll(pem, {{"\n", "\r\n"}}));
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ(chain->leaf.der, ToDer(pem));
}

// KOD II and `sejf key show` carry the serial as KSeF and openssl write it:
// the positive value, never DER's sign byte (issue 12).
TEST_F(CertificateInfoTest, SerialIsItsValueAsOpensslPrintsIt) {
  struct Case {
    std::string set_serial;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"0x8000000000000001", "8000000000000001"},  // top bit: DER adds 00
      {"0xC3126A6111F788E0", "C3126A6111F788E0"},
      {"0x01F20A5D352AE590", "01F20A5D352AE590"},  // KSeF's own form
      {"0x00FF", "FF"},
      {"0x0A", "0A"},
      {"0", "00"},
      {"-0x8005", "-8005"},  // against RFC 5280, but it parses
      {"0x8A35E7D7C1E0B2D4F6A8190B2C3D4E5F60718293",
       "8A35E7D7C1E0B2D4F6A8190B2C3D4E5F60718293"},  // 20 bytes
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.set_serial);
    std::string pem =
        SelfSigned(testing::SharedEcP256Key(), "/CN=a", c.set_serial, {});
    auto chain = ParseCertificateChain(pem);
    ASSERT_TRUE(chain.ok()) << chain.status();
    EXPECT_EQ(chain->leaf.serial_hex, c.expected);
    EXPECT_EQ(X509Out(pem, {"-serial"}), "serial=" + c.expected + "\n");
  }
}

TEST_F(CertificateInfoTest, ChainIsLeafFirstWithIntermediatesAsDer) {
  InMemoryKey leaf_key = InMemoryKey::EcP256();
  auto [leaf, ca] = IssuedChain(leaf_key);
  auto chain = ParseCertificateChain("Bag Attributes: ignored\n" + leaf + "\n" +
                                     ca + "trailing text\n");
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ(chain->leaf.serial_hex, "0123456789ABCDEF");
  EXPECT_EQ(chain->leaf.spki_der, leaf_key.spki_der());
  EXPECT_EQ(chain->leaf.issuer,
            "C=PL,O=Ministerstwo Finansów,CN=TEST CCK KSeF");
  EXPECT_EQ(chain->leaf.key_usage, kKeyUsageNonRepudiation);
  EXPECT_THAT(chain->intermediates_der, ElementsAre(ToDer(ca)));
}

TEST_F(CertificateInfoTest, ChainOutOfOrderIsInvalidArgument) {
  InMemoryKey leaf_key = InMemoryKey::EcP256();
  auto [leaf, ca] = IssuedChain(leaf_key);
  auto chain = ParseCertificateChain(ca + leaf);
  EXPECT_EQ(chain.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(chain.status().message(),
              HasSubstr("certificate 2 is not the issuer of certificate 1"));
}

// Found by fuzz/certificate_chain_fuzz.cc: an intermediate whose dates do
// not parse was accepted in a chain, though refused on its own.
TEST_F(CertificateInfoTest, IntermediateWithABadDateIsInvalidArgument) {
  InMemoryKey leaf_key = InMemoryKey::EcP256();
  auto [leaf, ca] = IssuedChain(leaf_key);
  std::string ca_der = ToDer(ca);
  // The first UTCTime (notBefore, "YYMMDDHHMMSSZ"): a non-digit in it.
  std::size_t at = ca_der.find("\x17\x0d");
  ASSERT_NE(at, std::string::npos);
  ca_der[at + 2 + 9] = '\'';
  ASSERT_FALSE(ParseCertificate(ca_der).ok());
  std::string bad_ca = "-----BEGIN CERTIFICATE-----\n";
  std::string base64 = absl::Base64Escape(ca_der);
  for (std::size_t i = 0; i < base64.size(); i += 64) {
    absl::StrAppend(&bad_ca, base64.substr(i, 64), "\n");
  }
  bad_ca += "-----END CERTIFICATE-----\n";
  auto chain = ParseCertificateChain(leaf + bad_ca);
  EXPECT_EQ(chain.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(chain.status().message(), HasSubstr("certificate 2: "));
}

TEST_F(CertificateInfoTest, PrivateKeyInThePemIsRefused) {
  const InMemoryKey& key = testing::SharedEcP256Key();
  std::string pem = SelfSigned(key, "/CN=a", "0x01", {});
  auto chain = ParseCertificateChain(pem + key.PrivateKeyPem());
  EXPECT_EQ(chain.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(chain.status().message(),
              HasSubstr("PEM block 2 is \"PRIVATE KEY\"; only CERTIFICATE"));
}

TEST_F(CertificateInfoTest, GarbageIsInvalidArgument) {
  std::string pem = SelfSigned(testing::SharedEcP256Key(), "/CN=a", "0x01", {});
  std::string der = ToDer(pem);
  std::string bad_base64 = pem;
  bad_base64[pem.find("-----\n") + 7] = '*';  // the second base64 character
  struct Case {
    std::string input;
    const char* message;
  } cases[] = {
      {"", "the certificate chain is empty"},
      {"hello", "neither PEM nor one DER certificate"},
      {der.substr(0, der.size() - 10), "neither PEM nor one DER"},
      {der + "xx", "followed by 2 more bytes"},
      {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
       "certificate 1: not a DER X.509 certificate"},
      {bad_base64, "PEM block 1 is damaged"},
      {"-----BEGIN nothing", "no CERTIFICATE block"},
  };
  for (const Case& c : cases) {
    auto chain = ParseCertificateChain(c.input);
    EXPECT_EQ(chain.status().code(), absl::StatusCode::kInvalidArgument)
        << c.message;
    EXPECT_THAT(chain.status().message(), HasSubstr(c.message));
  }
  EXPECT_EQ(ParseCertificate(der + "x").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CertificateInfoTest, OverlongChainIsInvalidArgument) {
  std::string pem = SelfSigned(testing::SharedEcP256Key(), "/CN=a", "0x01", {});
  std::string many;
  for (std::size_t i = 0; i <= kMaxChainLength; ++i) many += pem;
  auto chain = ParseCertificateChain(many);
  EXPECT_EQ(chain.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(chain.status().message(), HasSubstr("more than 10"));
}

TEST_F(CertificateInfoTest, CertificateOfAnotherKeyIsFailedPrecondition) {
  InMemoryKey other = InMemoryKey::EcP256();
  auto chain = ParseCertificateChain(SelfSigned(
      other, "/CN=a", "0x01", {"keyUsage=critical,digitalSignature"}));
  ASSERT_TRUE(chain.ok()) << chain.status();
  absl::Status status = CheckCertificateFitsKey(
      chain->leaf, testing::SharedEcP256Key().spki_der(),
      CertificateUsage::kAuthentication);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), "certificate's public key is not this key's");

  // An RSA key against an EC certificate: the same answer.
  status = CheckCertificateFitsKey(chain->leaf,
                                   testing::SharedRsa2048Key().spki_der(),
                                   CertificateUsage::kAuthentication);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(CertificateInfoTest, KeyUsageMustFitTheUsage) {
  const InMemoryKey& key = testing::SharedEcP256Key();
  auto auth = ParseCertificateChain(
      SelfSigned(key, "/CN=a", "0x01", {"keyUsage=critical,digitalSignature"}));
  auto offline = ParseCertificateChain(
      SelfSigned(key, "/CN=a", "0x02", {"keyUsage=critical,nonRepudiation"}));
  ASSERT_TRUE(auth.ok() && offline.ok());

  EXPECT_TRUE(CheckCertificateFitsKey(auth->leaf, key.spki_der(),
                                      CertificateUsage::kAuthentication)
                  .ok());
  EXPECT_TRUE(CheckCertificateFitsKey(offline->leaf, key.spki_der(),
                                      CertificateUsage::kOffline)
                  .ok());

  absl::Status status = CheckCertificateFitsKey(auth->leaf, key.spki_der(),
                                                CertificateUsage::kOffline);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(),
            "certificate's keyUsage lacks nonRepudiation, which an offline "
            "key needs (it allows: digitalSignature)");

  status = CheckCertificateFitsKey(offline->leaf, key.spki_der(),
                                   CertificateUsage::kAuthentication);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("lacks digitalSignature"));
}

// Qualified seals and CA-issued certificates often carry more than the one
// bit a usage needs: the needed bit decides, the others do not matter.
TEST_F(CertificateInfoTest, ExtraKeyUsageBitsOrNoKeyUsageFitEitherUsage) {
  const InMemoryKey& key = testing::SharedEcP256Key();
  auto both = ParseCertificateChain(SelfSigned(
      key, "/CN=a", "0x01", {"keyUsage=digitalSignature,nonRepudiation"}));
  auto seal = ParseCertificateChain(
      SelfSigned(key, "/CN=a", "0x03",
                 {"keyUsage=critical,digitalSignature,nonRepudiation,"
                  "keyEncipherment,dataEncipherment,keyAgreement"}));
  auto none = ParseCertificateChain(SelfSigned(key, "/CN=a", "0x02", {}));
  ASSERT_TRUE(both.ok() && seal.ok() && none.ok());
  EXPECT_EQ(none->leaf.key_usage, std::nullopt);
  for (CertificateUsage usage :
       {CertificateUsage::kAuthentication, CertificateUsage::kOffline}) {
    SCOPED_TRACE(CertificateUsageName(usage));
    EXPECT_TRUE(
        CheckCertificateFitsKey(both->leaf, key.spki_der(), usage).ok());
    EXPECT_TRUE(
        CheckCertificateFitsKey(seal->leaf, key.spki_der(), usage).ok());
    EXPECT_TRUE(
        CheckCertificateFitsKey(none->leaf, key.spki_der(), usage).ok());
  }
}

TEST_F(CertificateInfoTest, ExtraBitsDoNotStandInForTheNeededOne) {
  const InMemoryKey& key = testing::SharedEcP256Key();
  auto no_signature = ParseCertificateChain(SelfSigned(
      key, "/CN=a", "0x01",
      {"keyUsage=critical,nonRepudiation,keyEncipherment,keyAgreement"}));
  auto no_commitment = ParseCertificateChain(SelfSigned(
      key, "/CN=a", "0x02", {"keyUsage=digitalSignature,keyEncipherment"}));
  ASSERT_TRUE(no_signature.ok() && no_commitment.ok());

  EXPECT_TRUE(CheckCertificateFitsKey(no_signature->leaf, key.spki_der(),
                                      CertificateUsage::kOffline)
                  .ok());
  absl::Status status = CheckCertificateFitsKey(
      no_signature->leaf, key.spki_der(), CertificateUsage::kAuthentication);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(),
            "certificate's keyUsage lacks digitalSignature, which an "
            "authentication key needs (it allows: nonRepudiation, "
            "keyEncipherment, keyAgreement)");

  EXPECT_TRUE(CheckCertificateFitsKey(no_commitment->leaf, key.spki_der(),
                                      CertificateUsage::kAuthentication)
                  .ok());
  status = CheckCertificateFitsKey(no_commitment->leaf, key.spki_der(),
                                   CertificateUsage::kOffline);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(),
            "certificate's keyUsage lacks nonRepudiation, which an offline "
            "key needs (it allows: digitalSignature, keyEncipherment)");
}

TEST_F(CertificateInfoTest, UnparsableKeyIsInvalidArgument) {
  const InMemoryKey& key = testing::SharedEcP256Key();
  auto chain = ParseCertificateChain(SelfSigned(key, "/CN=a", "0x01", {}));
  ASSERT_TRUE(chain.ok());
  absl::Status status = CheckCertificateFitsKey(
      chain->leaf, "garbage", CertificateUsage::kAuthentication);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("the key's public key"));
}

}  // namespace
}  // namespace sejf::signer
