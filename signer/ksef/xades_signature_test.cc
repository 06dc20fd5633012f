// SignEnvelopedXades with in-memory keys: the canonical forms it writes are
// libxml2's, and xmlsec1 verifies what it signs.
#include "signer/ksef/xades_signature.h"

#include <openssl/bn.h>
#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/clock.h"
#include "common/crypto_init.h"
#include "gtest/gtest.h"
#include "signer/ksef/auth_token_request.h"
#include "signer/ksef/testing/xml_testing.h"
#include "signer/x509/self_signed.h"
#include "signer/x509/testing/in_memory_signer.h"
#include "signer/x509/testing/openssl_cli.h"

namespace sejf::signer {
namespace {

using ::sejf::signer::testing::InMemoryKey;
using ::sejf::signer::testing::LibxmlExclusiveC14n;
using ::sejf::signer::testing::RunOpenssl;
using ::sejf::signer::testing::ScratchDir;
using ::sejf::signer::testing::XmlPart;
using ::sejf::signer::testing::XmlsecVerify;

std::string Sha256Base64(absl::string_view data) {
  unsigned char md[32];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
  return absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(md), n));
}

// The text of the `nth` (0-based) element opened by `open` in `doc`.
std::string TextOf(absl::string_view doc, absl::string_view open, int nth = 0) {
  std::size_t at = 0;
  for (int i = 0; i <= nth; ++i) {
    at = doc.find(open, at);
    if (at == absl::string_view::npos) return "<missing>";
    at += open.size();
  }
  return std::string(doc.substr(at, doc.find('<', at) - at));
}

enum class KeyKind { kEcP256, kRsa2048 };

class XadesSignatureTest : public ::testing::TestWithParam<KeyKind> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    key_ = GetParam() == KeyKind::kEcP256 ? &testing::SharedEcP256Key()
                                          : &testing::SharedRsa2048Key();
    scheme_ = GetParam() == KeyKind::kEcP256 ? SignatureScheme::kEcdsaSha256
                                             : SignatureScheme::kRsaPkcs1Sha256;
    MakeCertificate("CN=Jan Kowalski,serialNumber=TINPL-5265877635,C=PL");
    request_.challenge = "20250514-CR-226FB7B000-3ACF9BE4C0-10";
    request_.context = {KsefContextType::kNip, "5265877635"};
    AppendAuthTokenRequestContent(request_, &content_);
  }

  void MakeCertificate(absl::string_view subject) {
    auto dn = DistinguishedName::Parse(subject);
    ASSERT_TRUE(dn.ok()) << dn.status();
    auto info = CreateSelfSignedCertificate(
        key_->spki_der(), *dn, CertificateUsage::kAuthentication, 30, scheme_,
        key_->Signer(scheme_), clock_);
    ASSERT_TRUE(info.ok()) << info.status();
    auto cert = XadesCertificate::Create(info->der);
    ASSERT_TRUE(cert.ok()) << cert.status();
    cert_.emplace(*std::move(cert));
  }

  // Signs content_ with the key, remembering what was handed to the signer.
  std::string Sign() {
    auto doc = SignEnvelopedXades(content_, kAuthTokenRequestEnd, *cert_,
                                  signing_time_, [&](absl::string_view data) {
                                    signed_data_ = std::string(data);
                                    return key_->Sign(scheme_, data);
                                  });
    EXPECT_TRUE(doc.ok()) << doc.status();
    return doc.ok() ? *doc : "";
  }

  FakeClock clock_{absl::Now()};
  absl::Time signing_time_ =
      absl::FromCivil(absl::CivilSecond(2026, 5, 20, 10, 0, 7),
                      absl::UTCTimeZone()) +
      absl::Milliseconds(999);
  const InMemoryKey* key_ = nullptr;
  SignatureScheme scheme_ = SignatureScheme::kEcdsaSha256;
  std::optional<XadesCertificate> cert_;
  AuthTokenRequest request_;
  std::string content_;
  std::string signed_data_;
};

INSTANTIATE_TEST_SUITE_P(Keys, XadesSignatureTest,
                         ::testing::Values(KeyKind::kEcP256, KeyKind::kRsa2048),
                         [](const auto& info) {
                           return info.param == KeyKind::kEcP256 ? "EcP256"
                                                                 : "Rsa2048";
                         });

TEST_P(XadesSignatureTest, Xmlsec1VerifiesTheSignature) {
  const std::string doc = Sign();
  absl::Status verified = XmlsecVerify(doc, cert_->info().pem);
  EXPECT_TRUE(verified.ok()) << verified << "\n" << doc;
  EXPECT_TRUE(absl::StartsWith(
      doc, absl::StrCat("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", content_,
                        "<ds:Signature ")));
  EXPECT_TRUE(absl::EndsWith(doc, "</ds:Signature></AuthTokenRequest>"));
  EXPECT_TRUE(absl::StrContains(doc, XadesSignatureMethodUri(cert_->method())));
  std::string signature;
  ASSERT_TRUE(
      absl::Base64Unescape(TextOf(doc, "<ds:SignatureValue>"), &signature));
  EXPECT_EQ(signature.size(), GetParam() == KeyKind::kEcP256 ? 64u : 256u)
      << "ECDSA must be raw r||s";
}

TEST_P(XadesSignatureTest, CanonicalFormsAreExactlyLibxml2s) {
  const std::string doc = Sign();
  auto signed_info = LibxmlExclusiveC14n(doc, XmlPart::kSignedInfo);
  ASSERT_TRUE(signed_info.ok()) << signed_info.status();
  EXPECT_EQ(*signed_info, signed_data_) << "the bytes signed";

  auto without_signature =
      LibxmlExclusiveC14n(doc, XmlPart::kDocumentWithoutSignature);
  ASSERT_TRUE(without_signature.ok()) << without_signature.status();
  EXPECT_EQ(*without_signature, absl::StrCat(content_, kAuthTokenRequestEnd));
  EXPECT_EQ(TextOf(doc, "<ds:DigestValue>", 0),
            Sha256Base64(*without_signature));

  auto properties = LibxmlExclusiveC14n(doc, XmlPart::kSignedProperties);
  ASSERT_TRUE(properties.ok()) << properties.status();
  EXPECT_TRUE(absl::StartsWith(
      *properties,
      "<xades:SignedProperties xmlns:xades=\"http://uri.etsi.org/01903/"
      "v1.3.2#\" Id=\"SignedProperties\">"))
      << *properties;
  EXPECT_EQ(TextOf(doc, "<ds:DigestValue>", 1), Sha256Base64(*properties));
}

TEST_P(XadesSignatureTest, SigningCertificateAndKeyInfoDescribeTheCertificate) {
  const std::string doc = Sign();
  const CertificateInfo& info = cert_->info();
  EXPECT_EQ(TextOf(doc, "<ds:X509Certificate>"), absl::Base64Escape(info.der));
  EXPECT_EQ(TextOf(doc, "<ds:DigestValue>", 2), Sha256Base64(info.der));
  EXPECT_EQ(TextOf(doc, "<xades:SigningTime>"), "2026-05-20T10:00:07Z");
  EXPECT_EQ(TextOf(doc, "<ds:X509IssuerName>"),
            "C=PL,serialNumber=TINPL-5265877635,CN=Jan Kowalski");
  // The serial as openssl prints it (hex) equals our decimal.
  ScratchDir dir;
  const std::string der = dir.Write("cert.der", info.der);
  auto out =
      RunOpenssl({"x509", "-inform", "DER", "-in", der, "-noout", "-serial"});
  ASSERT_EQ(out.exit_code, 0) << out.out;
  absl::string_view hex = absl::StripAsciiWhitespace(out.out);
  ASSERT_TRUE(absl::ConsumePrefix(&hex, "serial=")) << out.out;
  BIGNUM* bn = nullptr;
  ASSERT_GT(BN_hex2bn(&bn, std::string(hex).c_str()), 0);
  char* dec = BN_bn2dec(bn);
  EXPECT_EQ(TextOf(doc, "<ds:X509SerialNumber>"), dec);
  EXPECT_EQ(cert_->serial_decimal(), dec);
  OPENSSL_free(dec);
  BN_free(bn);
}

TEST_P(XadesSignatureTest, IssuerWithXmlSpecialCharactersIsEscapedAndVerifies) {
  MakeCertificate("CN=Kowalski & Syn <Sp. z o.o.> \"Ł\",C=PL");
  const std::string doc = Sign();
  const std::string& issuer = cert_->info().issuer;
  ASSERT_TRUE(absl::StrContains(issuer, "&") && absl::StrContains(issuer, "<"))
      << issuer;
  EXPECT_TRUE(absl::StrContains(
      doc,
      absl::StrCat("<ds:X509IssuerName>",
                   absl::StrReplaceAll(
                       issuer, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}}),
                   "</ds:X509IssuerName>")))
      << doc;
  auto properties = LibxmlExclusiveC14n(doc, XmlPart::kSignedProperties);
  ASSERT_TRUE(properties.ok());
  EXPECT_EQ(TextOf(doc, "<ds:DigestValue>", 1), Sha256Base64(*properties));
  absl::Status verified = XmlsecVerify(doc, cert_->info().pem);
  EXPECT_TRUE(verified.ok()) << verified;
}

TEST_P(XadesSignatureTest, ChangingAnySignedByteFailsVerification) {
  const std::string doc = Sign();
  ASSERT_TRUE(XmlsecVerify(doc, cert_->info().pem).ok());
  const std::pair<std::string, std::string> tampers[] = {
      {"3ACF9BE4C0-10</Challenge>", "3ACF9BE4C0-11</Challenge>"},
      {"<Nip>5265877635</Nip>", "<Nip>7010019002</Nip>"},
      {"certificateSubject<", "certificateFingerprint<"},
      {"2026-05-20T10:00:07Z", "2026-05-20T10:00:08Z"},
      {"Jan Kowalski</ds:X509IssuerName>", "Jan Kowalsky</ds:X509IssuerName>"},
  };
  for (const auto& [from, to] : tampers) {
    ASSERT_TRUE(absl::StrContains(doc, from)) << from;
    const std::string tampered = absl::StrReplaceAll(doc, {{from, to}});
    EXPECT_FALSE(XmlsecVerify(tampered, cert_->info().pem).ok()) << to;
  }
}

TEST_P(XadesSignatureTest,
       SignerErrorsPassThroughAndShortSignaturesAreRefused) {
  auto failed =
      SignEnvelopedXades(content_, kAuthTokenRequestEnd, *cert_, signing_time_,
                         [](absl::string_view) -> absl::StatusOr<std::string> {
                           return absl::UnavailableError("HSM away");
                         });
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  auto short_sig =
      SignEnvelopedXades(content_, kAuthTokenRequestEnd, *cert_, signing_time_,
                         [](absl::string_view) -> absl::StatusOr<std::string> {
                           return std::string(70, 'x');  // e.g. DER ECDSA
                         });
  EXPECT_EQ(short_sig.status().code(), absl::StatusCode::kInternal);
}

TEST(XadesCertificateTest, RefusesKeysKsefDoesNotAccept) {
  ScratchDir dir;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"},
           {"-newkey", "rsa:1024"}}) {
    std::vector<std::string> cmd = {
        "req",   "-x509", "-nodes",         "-subj",           "/CN=x",
        "-days", "1",     "-keyout",        dir.Path("k.pem"), "-outform",
        "DER",   "-out",  dir.Path("c.der")};
    cmd.insert(cmd.end(), args.begin(), args.end());
    auto out = RunOpenssl(cmd);
    ASSERT_EQ(out.exit_code, 0) << out.out;
    auto cert =
        XadesCertificate::Create(testing::ReadFileOrEmpty(dir.Path("c.der")));
    EXPECT_EQ(cert.status().code(), absl::StatusCode::kFailedPrecondition)
        << args[1];
  }
  EXPECT_EQ(XadesCertificate::Create("not a certificate").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Not a test: the cost of validating, building, canonicalising and
// digesting one signed AuthTokenRequest, the HSM excluded (a fixed
// signature). Run with --gtest_also_run_disabled_tests
// --gtest_filter='*Benchmark*'.
TEST(XadesBenchmark, DISABLED_BuildAndDigestWithoutHsm) {
  ASSERT_TRUE(InitCrypto().ok());
  for (KeyKind kind : {KeyKind::kEcP256, KeyKind::kRsa2048}) {
    const InMemoryKey& key = kind == KeyKind::kEcP256
                                 ? testing::SharedEcP256Key()
                                 : testing::SharedRsa2048Key();
    const SignatureScheme scheme = kind == KeyKind::kEcP256
                                       ? SignatureScheme::kEcdsaSha256
                                       : SignatureScheme::kRsaPkcs1Sha256;
    FakeClock clock(absl::Now());
    auto info = CreateSelfSignedCertificate(
        key.spki_der(), *DistinguishedName::Parse("CN=Jan Kowalski,C=PL"),
        CertificateUsage::kAuthentication, 30, scheme, key.Signer(scheme),
        clock);
    ASSERT_TRUE(info.ok());
    auto cert = XadesCertificate::Create(info->der);
    ASSERT_TRUE(cert.ok());
    const std::string fixed(cert->signature_size(), '\x5a');
    AuthTokenRequest request;
    const absl::CivilDay today =
        absl::ToCivilDay(clock.Now(), absl::UTCTimeZone());
    char challenge[64];
    std::snprintf(challenge, sizeof(challenge),
                  "%04d%02d%02d-CR-226FB7B000-3ACF9BE4C0-10",
                  static_cast<int>(today.year()), today.month(), today.day());
    request.challenge = challenge;
    request.context = {KsefContextType::kNip, "5265877635"};
    request.allowed_ips.ip4_addresses = {"192.168.0.1"};
    constexpr int kIterations = 50000;
    std::size_t bytes = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kIterations; ++i) {
      ASSERT_TRUE(ValidateAuthTokenRequest(request, clock.Now()).ok());
      std::string content;
      AppendAuthTokenRequestContent(request, &content);
      auto doc = SignEnvelopedXades(
          content, kAuthTokenRequestEnd, *cert, clock.Now(),
          [&](absl::string_view) -> absl::StatusOr<std::string> {
            return fixed;
          });
      ASSERT_TRUE(doc.ok());
      bytes += doc->size();
    }
    const double us = std::chrono::duration<double, std::micro>(
                          std::chrono::steady_clock::now() - start)
                          .count() /
                      kIterations;
    std::printf(
        "%s: %.2f us/op (validate + build + 3 digests + assemble, "
        "%zu-byte document, no HSM)\n",
        kind == KeyKind::kEcP256 ? "EC P-256" : "RSA-2048", us,
        bytes / kIterations);
  }
}

}  // namespace
}  // namespace sejf::signer
