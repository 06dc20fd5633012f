#include "signer/x509/self_signed.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signer/x509/testing/in_memory_signer.h"
#include "signer/x509/testing/openssl_cli.h"

namespace sejf::signer {
namespace {

using ::sejf::signer::testing::InMemoryKey;
using ::sejf::signer::testing::RunOpenssl;
using ::sejf::signer::testing::ScratchDir;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

absl::Time At(int y, int m, int d, int hh, int mm, int ss) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss),
                         absl::UTCTimeZone());
}

DistinguishedName PersonSubject() {
  return *DistinguishedName::Parse(
      "GN=Łucja, SN=Żółkiewska, serialNumber=PNOPL-80010112345, "
      "CN=Łucja Żółkiewska, C=PL");
}

class SelfSignedTest : public ::testing::Test {
 protected:
  // The certificate made with `key`/`scheme`, written as cert.pem.
  CertificateInfo Make(const InMemoryKey& key, SignatureScheme scheme,
                       CertificateUsage usage, int days) {
    auto cert =
        CreateSelfSignedCertificate(key.spki_der(), PersonSubject(), usage,
                                    days, scheme, key.Signer(scheme), clock_);
    EXPECT_TRUE(cert.ok()) << cert.status();
    if (!cert.ok()) return {};
    pem_path_ = dir_.Write("cert.pem", cert->pem);
    return *cert;
  }

  testing::OpensslResult RunX509(std::vector<std::string> args) {
    args.insert(args.begin(), {"x509", "-noout", "-in", pem_path_});
    return RunOpenssl(args);
  }

  // `openssl verify` of a self-signed certificate as its own trust anchor,
  // at the fake clock's time. -check_ss_sig: without it OpenSSL does not
  // check a trust anchor's signature at all.
  testing::OpensslResult Verify(const std::string& pem_path) {
    return RunOpenssl({"verify", "-check_ss_sig", "-attime",
                       absl::StrCat(absl::ToUnixSeconds(clock_.Now()) + 60),
                       "-CAfile", pem_path, pem_path});
  }

  FakeClock clock_{At(2025, 3, 1, 12, 34, 56) + absl::Milliseconds(789)};
  ScratchDir dir_;
  std::string pem_path_;
};

TEST_F(SelfSignedTest, OpensslVerifiesEachScheme) {
  struct Case {
    const InMemoryKey* key;
    SignatureScheme scheme;
    const char* algorithm;
  } cases[] = {
      {&testing::SharedEcP256Key(), SignatureScheme::kEcdsaSha256,
       "Signature Algorithm: ecdsa-with-SHA256"},
      {&testing::SharedRsa2048Key(), SignatureScheme::kRsaPkcs1Sha256,
       "Signature Algorithm: sha256WithRSAEncryption"},
      {&testing::SharedRsa2048Key(), SignatureScheme::kRsaPssSha256,
       "Signature Algorithm: rsassaPss"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(SignatureSchemeName(c.scheme));
    Make(*c.key, c.scheme, CertificateUsage::kAuthentication, 30);
    auto verify = Verify(pem_path_);
    EXPECT_EQ(verify.exit_code, 0) << verify.out;
    EXPECT_THAT(verify.out, HasSubstr(": OK"));
    auto text = RunX509({"-text"});
    EXPECT_THAT(text.out, HasSubstr(c.algorithm));
  }
}

TEST_F(SelfSignedTest, CorruptedSignatureFailsOpensslVerification) {
  CertificateInfo cert =
      Make(testing::SharedEcP256Key(), SignatureScheme::kEcdsaSha256,
           CertificateUsage::kAuthentication, 30);
  ASSERT_FALSE(cert.der.empty());
  std::string der = cert.der;
  der.back() = static_cast<char>(der.back() ^ 0x01);
  std::string bad = dir_.Write("bad.der", der);
  auto pem = RunOpenssl({"x509", "-inform", "DER", "-in", bad});
  ASSERT_EQ(pem.exit_code, 0) << pem.out;
  std::string bad_pem = dir_.Write("bad.pem", pem.out);
  auto verify = Verify(bad_pem);
  EXPECT_NE(verify.exit_code, 0) << verify.out;
  EXPECT_THAT(verify.out, HasSubstr("certificate signature failure"));
}

TEST_F(SelfSignedTest, AuthenticationHasCriticalDigitalSignatureOnly) {
  Make(testing::SharedEcP256Key(), SignatureScheme::kEcdsaSha256,
       CertificateUsage::kAuthentication, 30);
  auto ext =
      RunX509({"-ext", "keyUsage,basicConstraints,subjectKeyIdentifier"});
  ASSERT_EQ(ext.exit_code, 0) << ext.out;
  EXPECT_THAT(ext.out, HasSubstr("X509v3 Key Usage: critical\n"
                                 "    Digital Signature\n"));
  EXPECT_THAT(ext.out, Not(HasSubstr("Non Repudiation")));
  EXPECT_THAT(ext.out, HasSubstr("X509v3 Basic Constraints: critical\n"
                                 "    CA:FALSE"));
  EXPECT_THAT(ext.out, HasSubstr("X509v3 Subject Key Identifier"));
}

TEST_F(SelfSignedTest, OfflineHasCriticalNonRepudiationOnly) {
  Make(testing::SharedRsa2048Key(), SignatureScheme::kRsaPssSha256,
       CertificateUsage::kOffline, 30);
  auto ext = RunX509({"-ext", "keyUsage"});
  ASSERT_EQ(ext.exit_code, 0) << ext.out;
  EXPECT_THAT(ext.out, HasSubstr("X509v3 Key Usage: critical\n"
                                 "    Non Repudiation"));
  EXPECT_THAT(ext.out, Not(HasSubstr("Digital Signature")));
}

TEST_F(SelfSignedTest, ValidityIsExactlyTheDaysFromTheClock) {
  CertificateInfo cert =
      Make(testing::SharedEcP256Key(), SignatureScheme::kEcdsaSha256,
           CertificateUsage::kAuthentication, 730);
  auto dates = RunX509({"-dates", "-dateopt", "iso_8601"});
  ASSERT_EQ(dates.exit_code, 0) << dates.out;
  EXPECT_EQ(dates.out,
            "notBefore=2025-03-01 12:34:56Z\n"
            "notAfter=2027-03-01 12:34:56Z\n");
  EXPECT_EQ(cert.not_before, At(2025, 3, 1, 12, 34, 56));
  EXPECT_EQ(cert.not_after - cert.not_before, absl::Hours(24 * 730));
}

TEST_F(SelfSignedTest, LongValidityPast2049UsesGeneralizedTime) {
  clock_.Set(At(2045, 6, 1, 0, 0, 0));
  Make(testing::SharedEcP256Key(), SignatureScheme::kEcdsaSha256,
       CertificateUsage::kAuthentication, kMaxSelfSignedDays);
  auto dates = RunX509({"-dates", "-dateopt", "iso_8601"});
  EXPECT_EQ(dates.out,
            "notBefore=2045-06-01 00:00:00Z\n"
            "notAfter=2055-05-30 00:00:00Z\n");
  auto parsed = RunOpenssl({"asn1parse", "-in", pem_path_});
  EXPECT_THAT(parsed.out, HasSubstr("UTCTIME           :450601000000Z"));
  EXPECT_THAT(parsed.out, HasSubstr("GENERALIZEDTIME   :20550530000000Z"));
}

TEST_F(SelfSignedTest, SubjectAndIssuerAreTheGivenNameInOrder) {
  Make(testing::SharedEcP256Key(), SignatureScheme::kEcdsaSha256,
       CertificateUsage::kAuthentication, 30);
  const std::string encoded_order =
      "GN=Łucja,SN=Żółkiewska,serialNumber=PNOPL-80010112345,"
      "CN=Łucja Żółkiewska,C=PL\n";
  auto names = RunX509({"-subject", "-issuer", "-nameopt",
                        "sep_comma_plus,sname,utf8,esc_2253"});
  EXPECT_EQ(names.out, "subject=" + encoded_order + "issuer=" + encoded_order);
}

TEST_F(SelfSignedTest, SerialIsEightBytesAndPositive) {
  CertificateInfo cert =
      Make(testing::SharedEcP256Key(), SignatureScheme::kEcdsaSha256,
           CertificateUsage::kAuthentication, 30);
  auto serial = RunX509({"-serial"});
  EXPECT_EQ(serial.out, "serial=" + cert.serial_hex + "\n");
  EXPECT_THAT(cert.serial_hex, MatchesRegex("[0-7][0-9A-F]{15}"));
  EXPECT_NE(cert.serial_hex.substr(0, 2), "00");

  // Many more, without the command line: always 8 bytes, positive, random.
  std::set<std::string> seen;
  const InMemoryKey& key = testing::SharedEcP256Key();
  for (int i = 0; i < 64; ++i) {
    auto more = CreateSelfSignedCertificate(
        key.spki_der(), PersonSubject(), CertificateUsage::kOffline, 1,
        SignatureScheme::kEcdsaSha256,
        key.Signer(SignatureScheme::kEcdsaSha256), clock_);
    ASSERT_TRUE(more.ok()) << more.status();
    EXPECT_THAT(more->serial_hex, MatchesRegex("[0-7][0-9A-F]{15}"));
    EXPECT_NE(more->serial_hex.substr(0, 2), "00");
    seen.insert(more->serial_hex);
  }
  EXPECT_EQ(seen.size(), 64u);
}

TEST_F(SelfSignedTest, ReturnedInfoDescribesTheCertificate) {
  CertificateInfo cert =
      Make(testing::SharedRsa2048Key(), SignatureScheme::kRsaPkcs1Sha256,
           CertificateUsage::kOffline, 10);
  EXPECT_EQ(cert.spki_der, testing::SharedRsa2048Key().spki_der());
  EXPECT_EQ(cert.key_usage, kKeyUsageNonRepudiation);
  EXPECT_EQ(cert.subject, cert.issuer);
  EXPECT_EQ(cert.subject,
            "C=PL,CN=Łucja Żółkiewska,serialNumber=PNOPL-80010112345,"
            "SN=Żółkiewska,GN=Łucja");
  auto fingerprint = RunX509({"-fingerprint", "-sha256"});
  std::string colons;
  for (std::size_t i = 0; i < cert.sha256_fingerprint.size(); i += 2) {
    if (i > 0) colons += ":";
    colons += cert.sha256_fingerprint.substr(i, 2);
  }
  EXPECT_EQ(fingerprint.out, "sha256 Fingerprint=" + colons + "\n");
}

TEST_F(SelfSignedTest, DaysOutOfRangeAreInvalidArgument) {
  const InMemoryKey& key = testing::SharedEcP256Key();
  for (int days : {0, -1, kMaxSelfSignedDays + 1, 100000}) {
    int calls = 0;
    auto cert = CreateSelfSignedCertificate(
        key.spki_der(), PersonSubject(), CertificateUsage::kAuthentication,
        days, SignatureScheme::kEcdsaSha256,
        [&](absl::string_view data) {
          ++calls;
          return key.Sign(SignatureScheme::kEcdsaSha256, data);
        },
        clock_);
    EXPECT_EQ(cert.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(cert.status().message(),
                HasSubstr(absl::StrCat("validity days must be between 1 and "
                                       "3650; got ",
                                       days)));
    EXPECT_EQ(calls, 0);
  }
  for (int days : {kMinSelfSignedDays, kMaxSelfSignedDays}) {
    EXPECT_TRUE(CreateSelfSignedCertificate(
                    key.spki_der(), PersonSubject(),
                    CertificateUsage::kAuthentication, days,
                    SignatureScheme::kEcdsaSha256,
                    key.Signer(SignatureScheme::kEcdsaSha256), clock_)
                    .ok())
        << days;
  }
}

TEST_F(SelfSignedTest, ForeignKeysAndMismatchedSchemesAreInvalidArgument) {
  InMemoryKey p384 = InMemoryKey::EcCurve("P-384");
  auto cert = CreateSelfSignedCertificate(
      p384.spki_der(), PersonSubject(), CertificateUsage::kAuthentication, 30,
      SignatureScheme::kEcdsaSha256, p384.Signer(SignatureScheme::kEcdsaSha256),
      clock_);
  EXPECT_EQ(cert.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(cert.status().message(), HasSubstr("EC secp384r1"));

  const InMemoryKey& rsa = testing::SharedRsa2048Key();
  cert = CreateSelfSignedCertificate(
      rsa.spki_der(), PersonSubject(), CertificateUsage::kAuthentication, 30,
      SignatureScheme::kEcdsaSha256,
      rsa.Signer(SignatureScheme::kRsaPkcs1Sha256), clock_);
  EXPECT_EQ(cert.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(cert.status().message(), HasSubstr("does not fit"));
}

TEST_F(SelfSignedTest, SignatureOfAnotherKeyIsCaughtBeforeReturning) {
  InMemoryKey other = InMemoryKey::EcP256();
  auto cert = CreateSelfSignedCertificate(
      testing::SharedEcP256Key().spki_der(), PersonSubject(),
      CertificateUsage::kAuthentication, 30, SignatureScheme::kEcdsaSha256,
      other.Signer(SignatureScheme::kEcdsaSha256), clock_);
  EXPECT_EQ(cert.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(cert.status().message(), HasSubstr("does not verify"));
}

}  // namespace
}  // namespace sejf::signer
