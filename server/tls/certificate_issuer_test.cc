#include "server/tls/certificate_issuer.h"

#include <string>

#include "absl/time/civil_time.h"
#include "common/clock.h"
#include "common/secret.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/tls/peer_identity.h"
#include "server/tls/test_util.h"

namespace sejf::server {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using tls_test::ReadAll;
using tls_test::RunOpenssl;
using tls_test::ScratchDir;
using tls_test::WriteAll;

class CertificateIssuerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    auto ca =
        CreateCertificateAuthority("test CA", absl::Hours(24 * 30), clock_);
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = *std::move(ca);
    ASSERT_TRUE(WriteAll(dir_ / "ca.pem", ca_.certificate_pem, 0644));
  }

  // Issues `spec` from the test CA and writes NAME.pem / NAME.key.
  IssuedCertificate IssueTo(const std::string& name,
                            const CertificateSpec& spec) {
    auto issued = IssueCertificate(ca_.certificate_pem, ca_.private_key_pem,
                                   spec, clock_);
    EXPECT_TRUE(issued.ok()) << issued.status();
    if (!issued.ok()) return {};
    EXPECT_TRUE(
        WriteAll(dir_ / (name + ".pem"), issued->certificate_pem, 0644));
    EXPECT_TRUE(WriteAll(dir_ / (name + ".key"),
                         std::string(SecretView(issued->private_key_pem)),
                         0600));
    return *std::move(issued);
  }

  static CertificateSpec Client(const std::string& cn) {
    CertificateSpec spec;
    spec.common_name = cn;
    spec.usage = CertificateUsage::kClient;
    return spec;
  }

  std::string Verify(const std::string& purpose, const std::string& name) {
    auto r = RunOpenssl("verify -CAfile " + dir_ / "ca.pem" + " -purpose " +
                        purpose + " " + dir_ / (name + ".pem"));
    return r.exit_code == 0 ? r.output : "FAILED: " + r.output;
  }

  ScratchDir dir_;
  FakeClock clock_{absl::Now()};
  IssuedCertificate ca_;
};

TEST_F(CertificateIssuerTest, ClientCertificateVerifiesForClientUseOnly) {
  IssueTo("erp", Client("erp-1"));
  EXPECT_THAT(Verify("sslclient", "erp"), HasSubstr("erp.pem: OK"));
  EXPECT_THAT(Verify("sslserver", "erp"), HasSubstr("FAILED"));
}

TEST_F(CertificateIssuerTest, ServerCertificateVerifiesForServerUseOnly) {
  CertificateSpec spec;
  spec.common_name = "signer.internal";
  spec.dns_sans = {"signer.internal"};
  spec.usage = CertificateUsage::kServer;
  IssueTo("srv", spec);
  EXPECT_THAT(Verify("sslserver", "srv"), HasSubstr("srv.pem: OK"));
  EXPECT_THAT(Verify("sslclient", "srv"), HasSubstr("FAILED"));
}

TEST_F(CertificateIssuerTest, CertificateForCommonNameYieldsThatIdentity) {
  IssuedCertificate issued = IssueTo("erp", Client("erp-1"));
  auto identity = IdentityFromCertificatePem(issued.certificate_pem);
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(*identity, "erp-1");
}

TEST_F(CertificateIssuerTest, UriSanComesFirstAndIsTheIdentity) {
  CertificateSpec spec = Client("erp-1");
  spec.uri_san = "spiffe://acme/erp";
  spec.dns_sans = {"erp.acme.example"};
  IssuedCertificate issued = IssueTo("erp", spec);
  auto r =
      RunOpenssl("x509 -noout -ext subjectAltName -in " + dir_ / "erp.pem");
  EXPECT_THAT(r.output,
              HasSubstr("URI:spiffe://acme/erp, DNS:erp.acme.example"));
  EXPECT_EQ(*IdentityFromCertificatePem(issued.certificate_pem),
            "spiffe://acme/erp");
}

TEST_F(CertificateIssuerTest, KeyIsPkcs8PemOfTheCertificatesPublicKey) {
  IssuedCertificate issued = IssueTo("erp", Client("erp-1"));
  EXPECT_THAT(std::string(SecretView(issued.private_key_pem)),
              ::testing::StartsWith("-----BEGIN PRIVATE KEY-----\n"));
  auto from_key = RunOpenssl("pkey -pubout -in " + dir_ / "erp.key");
  auto from_cert = RunOpenssl("x509 -noout -pubkey -in " + dir_ / "erp.pem");
  ASSERT_EQ(from_key.exit_code, 0) << from_key.output;
  ASSERT_EQ(from_cert.exit_code, 0) << from_cert.output;
  EXPECT_EQ(from_key.output, from_cert.output);
  auto text = RunOpenssl("pkey -noout -text -in " + dir_ / "erp.key");
  EXPECT_THAT(text.output, HasSubstr("NIST CURVE: P-256"));
}

TEST_F(CertificateIssuerTest, SerialsArePositiveSixteenBytesAndDistinct) {
  IssueTo("a", Client("a"));
  IssueTo("b", Client("b"));
  auto a = RunOpenssl("x509 -noout -serial -in " + dir_ / "a.pem");
  auto b = RunOpenssl("x509 -noout -serial -in " + dir_ / "b.pem");
  // 32 hex digits, the first below 8 (positive without a leading zero byte).
  EXPECT_THAT(a.output, MatchesRegex("serial=[4-7][0-9A-F]{31}\n"));
  EXPECT_THAT(b.output, MatchesRegex("serial=[4-7][0-9A-F]{31}\n"));
  EXPECT_NE(a.output, b.output);
}

TEST_F(CertificateIssuerTest, LeafCarriesIdentifiersAndCriticalConstraints) {
  IssueTo("erp", Client("erp-1"));
  auto r = RunOpenssl(
      "x509 -noout -ext basicConstraints,keyUsage,extendedKeyUsage,"
      "subjectKeyIdentifier,authorityKeyIdentifier -in " +
      dir_ / "erp.pem");
  EXPECT_THAT(r.output, HasSubstr("X509v3 Basic Constraints: critical\n"
                                  "    CA:FALSE"));
  EXPECT_THAT(r.output, HasSubstr("X509v3 Key Usage: critical\n"
                                  "    Digital Signature"));
  EXPECT_THAT(r.output, HasSubstr("TLS Web Client Authentication"));
  EXPECT_THAT(r.output, HasSubstr("X509v3 Subject Key Identifier"));
  EXPECT_THAT(r.output, HasSubstr("X509v3 Authority Key Identifier"));
}

TEST(CertificateIssuerTimeTest, NotBeforeIsClockMinusSkewAndNotAfterIsCapped) {
  ScratchDir dir;
  FakeClock clock(absl::FromCivil(absl::CivilSecond(2030, 1, 2, 3, 4, 5),
                                  absl::UTCTimeZone()));
  auto ca = CreateCertificateAuthority("test CA", absl::Hours(24 * 10), clock);
  ASSERT_TRUE(ca.ok()) << ca.status();
  CertificateSpec spec;
  spec.common_name = "erp-1";
  spec.validity = absl::Hours(24 * 365);  // longer than the CA lives
  auto leaf =
      IssueCertificate(ca->certificate_pem, ca->private_key_pem, spec, clock);
  ASSERT_TRUE(leaf.ok()) << leaf.status();
  ASSERT_TRUE(WriteAll(dir / "ca.pem", ca->certificate_pem, 0644));
  ASSERT_TRUE(WriteAll(dir / "leaf.pem", leaf->certificate_pem, 0644));

  auto dates = [&](const std::string& name) {
    return RunOpenssl("x509 -noout -startdate -enddate -in " + dir / name)
        .output;
  };
  EXPECT_EQ(dates("ca.pem"),
            "notBefore=Jan  2 02:59:05 2030 GMT\n"
            "notAfter=Jan 12 03:04:05 2030 GMT\n");
  EXPECT_EQ(dates("leaf.pem"),
            "notBefore=Jan  2 02:59:05 2030 GMT\n"
            "notAfter=Jan 12 03:04:05 2030 GMT\n");
}

TEST_F(CertificateIssuerTest, ExpiredCaIsFailedPrecondition) {
  clock_.Advance(absl::Hours(24 * 31));
  auto issued = IssueCertificate(ca_.certificate_pem, ca_.private_key_pem,
                                 Client("erp-1"), clock_);
  EXPECT_EQ(issued.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(issued.status().message(), HasSubstr("expired"));
}

TEST_F(CertificateIssuerTest, KeyOfAnotherCaIsRefused) {
  auto other = CreateCertificateAuthority("other CA", absl::Hours(24), clock_);
  ASSERT_TRUE(other.ok());
  auto issued = IssueCertificate(ca_.certificate_pem, other->private_key_pem,
                                 Client("erp-1"), clock_);
  EXPECT_EQ(issued.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(issued.status().message(), HasSubstr("does not belong"));
}

TEST_F(CertificateIssuerTest, LeafCannotActAsCa) {
  IssuedCertificate leaf = IssueTo("erp", Client("erp-1"));
  auto issued = IssueCertificate(leaf.certificate_pem, leaf.private_key_pem,
                                 Client("erp-2"), clock_);
  EXPECT_EQ(issued.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(issued.status().message(),
              HasSubstr("not a certificate authority"));
}

TEST_F(CertificateIssuerTest, GarbageCaIsInvalidArgument) {
  auto issued =
      IssueCertificate("garbage", ca_.private_key_pem, Client("erp-1"), clock_);
  EXPECT_EQ(issued.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(issued.status().message(), HasSubstr("CA certificate"));
}

TEST_F(CertificateIssuerTest, UnusableSpecsAreInvalidArgumentAndSayWhy) {
  struct Case {
    CertificateSpec spec;
    std::string why;
  };
  CertificateSpec uri_with_space = Client("erp-1");
  uri_with_space.uri_san = "spiffe://acme/erp 1";
  CertificateSpec bad_ip = Client("erp-1");
  bad_ip.ip_sans = {"999.0.0.1"};
  CertificateSpec bad_dns = Client("erp-1");
  bad_dns.dns_sans = {""};
  CertificateSpec no_time = Client("erp-1");
  no_time.validity = absl::ZeroDuration();
  const Case cases[] = {
      {Client(""), "empty"},
      {Client(std::string(65, 'a')), "at most 64 bytes"},
      {Client("erp\n1"), "control characters"},
      {Client("unix:0"), "reserved"},
      {uri_with_space, "printable ASCII"},
      {bad_ip, "999.0.0.1"},
      {bad_dns, "DNS"},
      {no_time, "validity"},
  };
  for (const Case& c : cases) {
    auto issued = IssueCertificate(ca_.certificate_pem, ca_.private_key_pem,
                                   c.spec, clock_);
    EXPECT_EQ(issued.status().code(), absl::StatusCode::kInvalidArgument)
        << c.why;
    EXPECT_THAT(issued.status().message(), HasSubstr(c.why));
  }
}

TEST_F(CertificateIssuerTest,
       CaCertificateRemadeFromItsKeyStillVerifiesLeaves) {
  IssueTo("erp", Client("erp-1"));
  auto remade = SelfSignCertificateAuthority(ca_.private_key_pem, "test CA",
                                             absl::Hours(24 * 30), clock_);
  ASSERT_TRUE(remade.ok()) << remade.status();
  ASSERT_NE(*remade, ca_.certificate_pem);
  ASSERT_TRUE(WriteAll(dir_ / "ca.pem", *remade, 0644));
  EXPECT_THAT(Verify("sslclient", "erp"), HasSubstr("erp.pem: OK"));
}

TEST_F(CertificateIssuerTest, CaHasCriticalCaConstraintsAndKeyIdentifiers) {
  auto r = RunOpenssl(
      "x509 -noout -subject -ext basicConstraints,keyUsage,"
      "subjectKeyIdentifier -in " +
      dir_ / "ca.pem");
  EXPECT_THAT(r.output, HasSubstr("subject=CN = test CA"));
  EXPECT_THAT(r.output, HasSubstr("X509v3 Basic Constraints: critical\n"
                                  "    CA:TRUE"));
  EXPECT_THAT(r.output, HasSubstr("X509v3 Key Usage: critical\n"
                                  "    Certificate Sign, CRL Sign"));
  EXPECT_THAT(r.output, HasSubstr("X509v3 Subject Key Identifier"));
  EXPECT_THAT(r.output, Not(HasSubstr("Digital Signature")));
}

}  // namespace
}  // namespace sejf::server
