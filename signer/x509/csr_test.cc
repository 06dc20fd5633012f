#include "signer/x509/csr.h"

#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
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
using ::testing::Not;

constexpr char kSubject[] =
    "CN=Zażółć Gęślą Jaźń, SN=Jaźń, GN=Zażółć, "
    "serialNumber=TINPL-5265877635, C=PL, O=Spółka ąćęłńóśźż, "
    "organizationIdentifier=VATPL-5265877635, uniqueIdentifier=ID-1";

DistinguishedName Subject() { return *DistinguishedName::Parse(kSubject); }

struct SchemeCase {
  const char* name;
  bool rsa;
  SignatureScheme scheme;
  std::vector<const char*> text_shows;  // in `openssl req -text`
};

void PrintTo(const SchemeCase& c, std::ostream* os) { *os << c.name; }

const InMemoryKey& KeyFor(const SchemeCase& c) {
  return c.rsa ? testing::SharedRsa2048Key() : testing::SharedEcP256Key();
}

class CsrSchemeTest : public ::testing::TestWithParam<SchemeCase> {
 protected:
  // The CSR for the case, written as csr.pem and csr.der.
  Csr MakeCsr() {
    const SchemeCase& c = GetParam();
    const InMemoryKey& key = KeyFor(c);
    absl::StatusOr<Csr> csr =
        CreateCsr(key.spki_der(), Subject(), c.scheme, key.Signer(c.scheme));
    EXPECT_TRUE(csr.ok()) << csr.status();
    if (!csr.ok()) return {};
    pem_path_ = dir_.Write("csr.pem", csr->pem);
    der_path_ = dir_.Write("csr.der", csr->der);
    return *csr;
  }

  ScratchDir dir_;
  std::string pem_path_;
  std::string der_path_;
};

// `openssl req -verify` (3.0) exits 0 whatever the outcome; what it prints
// is the verdict.
TEST_P(CsrSchemeTest, OpensslVerifiesTheSignature) {
  MakeCsr();
  auto result = RunOpenssl({"req", "-verify", "-noout", "-in", pem_path_});
  EXPECT_EQ(result.exit_code, 0) << result.out;
  EXPECT_EQ(result.out, "Certificate request self-signature verify OK\n");
}

TEST_P(CsrSchemeTest, OneCorruptedSignatureByteFailsOpensslVerification) {
  Csr csr = MakeCsr();
  ASSERT_FALSE(csr.der.empty());
  // The last byte of the DER is the last byte of the signature (for ECDSA,
  // of s).
  csr.der.back() = static_cast<char>(csr.der.back() ^ 0x01);
  std::string path = dir_.Write("bad.der", csr.der);
  auto result =
      RunOpenssl({"req", "-verify", "-noout", "-inform", "DER", "-in", path});
  EXPECT_THAT(result.out, HasSubstr("verify failure"));
  EXPECT_THAT(result.out, Not(HasSubstr("verify OK")));
}

TEST_P(CsrSchemeTest, SignatureAlgorithmIsTheSchemes) {
  MakeCsr();
  auto result = RunOpenssl({"req", "-text", "-noout", "-in", pem_path_});
  ASSERT_EQ(result.exit_code, 0) << result.out;
  for (const char* expected : GetParam().text_shows) {
    EXPECT_THAT(result.out, HasSubstr(expected));
  }
}

TEST_P(CsrSchemeTest, PublicKeyIsTheGivenSpki) {
  MakeCsr();
  std::string spki_path = dir_.Write("spki.der", KeyFor(GetParam()).spki_der());
  auto from_csr = RunOpenssl({"req", "-pubkey", "-noout", "-in", pem_path_});
  auto given =
      RunOpenssl({"pkey", "-pubin", "-inform", "DER", "-in", spki_path});
  ASSERT_EQ(from_csr.exit_code, 0) << from_csr.out;
  ASSERT_EQ(given.exit_code, 0) << given.out;
  EXPECT_THAT(given.out, HasSubstr("BEGIN PUBLIC KEY"));
  EXPECT_EQ(from_csr.out, given.out);
}

TEST_P(CsrSchemeTest, SubjectHasTheGivenOrderValuesAndStringTypes) {
  MakeCsr();
  // sep_comma_plus without dn_rev: the RDNs in encoded order.
  auto subject =
      RunOpenssl({"req", "-noout", "-subject", "-nameopt",
                  "sep_comma_plus,sname,utf8,esc_2253", "-in", pem_path_});
  ASSERT_EQ(subject.exit_code, 0) << subject.out;
  EXPECT_EQ(subject.out,
            "subject=CN=Zażółć Gęślą Jaźń,SN=Jaźń,GN=Zażółć,"
            "serialNumber=TINPL-5265877635,C=PL,O=Spółka ąćęłńóśźż,"
            "organizationIdentifier=VATPL-5265877635,"
            "x500UniqueIdentifier=ID-1\n");

  auto parsed = RunOpenssl({"asn1parse", "-in", pem_path_});
  ASSERT_EQ(parsed.exit_code, 0) << parsed.out;
  EXPECT_THAT(parsed.out, HasSubstr(":commonName\n"));
  EXPECT_THAT(parsed.out, HasSubstr("UTF8STRING        :Zażółć Gęślą Jaźń"));
  EXPECT_THAT(parsed.out, HasSubstr(":serialNumber\n"));
  EXPECT_THAT(parsed.out, HasSubstr("PRINTABLESTRING   :TINPL-5265877635"));
  EXPECT_THAT(parsed.out, HasSubstr(":countryName\n"));
  EXPECT_THAT(parsed.out, HasSubstr("PRINTABLESTRING   :PL"));
  EXPECT_THAT(parsed.out, HasSubstr(":organizationIdentifier\n"));
  EXPECT_THAT(parsed.out, HasSubstr("UTF8STRING        :VATPL-5265877635"));

  // organizationIdentifier is OID 2.5.4.97: 06 03 55 04 61.
  auto der = RunOpenssl({"req", "-in", pem_path_, "-outform", "DER"});
  EXPECT_THAT(der.out, HasSubstr(std::string("\x06\x03\x55\x04\x61", 5)));
}

TEST_P(CsrSchemeTest, PemAndDerAreTheSameRequest) {
  Csr csr = MakeCsr();
  auto converted = RunOpenssl({"req", "-in", pem_path_, "-outform", "DER"});
  ASSERT_EQ(converted.exit_code, 0);
  EXPECT_EQ(converted.out, csr.der);
  EXPECT_THAT(csr.pem, HasSubstr("-----BEGIN CERTIFICATE REQUEST-----\n"));
}

INSTANTIATE_TEST_SUITE_P(
    Schemes, CsrSchemeTest,
    ::testing::Values(
        SchemeCase{"EcdsaSha256",
                   false,
                   SignatureScheme::kEcdsaSha256,
                   {"Signature Algorithm: ecdsa-with-SHA256",
                    "ASN1 OID: "
                    "prime256v1"}},
        SchemeCase{"RsaPkcs1Sha256",
                   true,
                   SignatureScheme::kRsaPkcs1Sha256,
                   {"Signature Algorithm: sha256WithRSAEncryption",
                    "Public-Key: (2048 bit)"}},
        SchemeCase{"RsaPssSha256",
                   true,
                   SignatureScheme::kRsaPssSha256,
                   {"Signature Algorithm: rsassaPss", "Hash Algorithm: sha256",
                    "Mask Algorithm: mgf1 with sha256", "Salt Length: 0x20",
                    "Trailer Field: 0x01 (default)",
                    "Public Key Algorithm: rsaEncryption"}}),
    [](const ::testing::TestParamInfo<SchemeCase>& info) {
      return std::string(info.param.name);
    });

// Counts calls and answers as the wrapped signer would.
struct CountingSigner {
  ExternalSigner signer;
  int calls = 0;
  ExternalSigner Wrap() {
    return [this](absl::string_view data) {
      ++calls;
      return signer(data);
    };
  }
};

TEST(CsrTest, KeysKsefDoesNotAcceptAreInvalidArgumentAndNothingIsSigned) {
  InMemoryKey p384 = InMemoryKey::EcCurve("P-384");
  InMemoryKey rsa1024 = InMemoryKey::Rsa(1024);
  struct Case {
    const InMemoryKey* key;
    SignatureScheme scheme;
    const char* named;
  } cases[] = {{&p384, SignatureScheme::kEcdsaSha256, "EC secp384r1"},
               {&rsa1024, SignatureScheme::kRsaPkcs1Sha256, "RSA-1024"}};
  for (const Case& c : cases) {
    CountingSigner counting{c.key->Signer(c.scheme)};
    auto csr =
        CreateCsr(c.key->spki_der(), Subject(), c.scheme, counting.Wrap());
    EXPECT_EQ(csr.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(csr.status().message(),
                HasSubstr(absl::StrCat("KSeF accepts EC P-256 and RSA-2048 "
                                       "keys only; this key is ",
                                       c.named)));
    EXPECT_EQ(counting.calls, 0);
  }
}

TEST(CsrTest, GarbageOrPaddedPublicKeyIsInvalidArgument) {
  const std::string& spki = testing::SharedEcP256Key().spki_der();
  ExternalSigner signer =
      testing::SharedEcP256Key().Signer(SignatureScheme::kEcdsaSha256);
  for (const std::string& bad :
       {std::string(), std::string("not a key"), spki.substr(0, 40),
        spki + std::string(1, '\0')}) {
    auto csr = CreateCsr(bad, Subject(), SignatureScheme::kEcdsaSha256, signer);
    EXPECT_EQ(csr.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(csr.status().message(), HasSubstr("the public key"));
  }
}

TEST(CsrTest, ExplicitCurveParametersAreInvalidArgument) {
  ScratchDir dir;
  const InMemoryKey& ec = testing::SharedEcP256Key();
  std::string key_path = dir.Write("key.pem", ec.PrivateKeyPem());
  std::string out_path = dir.Path("explicit.der");
  auto result = RunOpenssl({"ec", "-in", key_path, "-pubout", "-param_enc",
                            "explicit", "-outform", "DER", "-out", out_path});
  ASSERT_EQ(result.exit_code, 0) << result.out;
  auto csr = CreateCsr(testing::ReadFileOrEmpty(out_path), Subject(),
                       SignatureScheme::kEcdsaSha256,
                       ec.Signer(SignatureScheme::kEcdsaSha256));
  EXPECT_EQ(csr.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(csr.status().message(), HasSubstr("explicit curve parameters"));
}

TEST(CsrTest, SchemeThatDoesNotFitTheKeyIsInvalidArgument) {
  const InMemoryKey& ec = testing::SharedEcP256Key();
  CountingSigner counting{ec.Signer(SignatureScheme::kEcdsaSha256)};
  auto csr = CreateCsr(ec.spki_der(), Subject(), SignatureScheme::kRsaPssSha256,
                       counting.Wrap());
  EXPECT_EQ(csr.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(csr.status().message(),
              HasSubstr("signature scheme rsa-pss-sha256 does not fit an EC "
                        "P-256 key"));
  EXPECT_EQ(counting.calls, 0);

  const InMemoryKey& rsa = testing::SharedRsa2048Key();
  csr = CreateCsr(rsa.spki_der(), Subject(), SignatureScheme::kEcdsaSha256,
                  rsa.Signer(SignatureScheme::kRsaPkcs1Sha256));
  EXPECT_THAT(csr.status().message(),
              HasSubstr("ecdsa-sha256 does not fit an RSA-2048 key"));
}

TEST(CsrTest, SignerIsCalledOnceWithTheRequestInfo) {
  const InMemoryKey& ec = testing::SharedEcP256Key();
  std::string signed_data;
  int calls = 0;
  auto csr = CreateCsr(ec.spki_der(), Subject(), SignatureScheme::kEcdsaSha256,
                       [&](absl::string_view data) {
                         ++calls;
                         signed_data = std::string(data);
                         return ec.Sign(SignatureScheme::kEcdsaSha256, data);
                       });
  ASSERT_TRUE(csr.ok()) << csr.status();
  EXPECT_EQ(calls, 1);
  // CertificationRequest ::= SEQUENCE { info, algorithm, signature }: the
  // signed bytes are the first element, right after the outer header.
  ASSERT_GT(csr->der.size(), signed_data.size() + 4);
  EXPECT_EQ(csr->der.substr(4, signed_data.size()), signed_data);
}

TEST(CsrTest, SignerErrorIsPassedOnWithItsCode) {
  const InMemoryKey& ec = testing::SharedEcP256Key();
  auto csr = CreateCsr(ec.spki_der(), Subject(), SignatureScheme::kEcdsaSha256,
                       [](absl::string_view) -> absl::StatusOr<std::string> {
                         return absl::UnavailableError("HSM is away");
                       });
  EXPECT_EQ(csr.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(csr.status().message(), HasSubstr("HSM is away"));
}

TEST(CsrTest, SignatureOfAnotherKeyIsCaughtBeforeReturning) {
  const InMemoryKey& ec = testing::SharedEcP256Key();
  InMemoryKey other = InMemoryKey::EcP256();
  auto csr = CreateCsr(ec.spki_der(), Subject(), SignatureScheme::kEcdsaSha256,
                       other.Signer(SignatureScheme::kEcdsaSha256));
  EXPECT_EQ(csr.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(csr.status().message(), HasSubstr("does not verify"));
}

TEST(CsrTest, MalformedSignaturesAreInternal) {
  const InMemoryKey& ec = testing::SharedEcP256Key();
  // DER instead of raw r||s (a signer mapping mistake).
  auto csr = CreateCsr(ec.spki_der(), Subject(), SignatureScheme::kEcdsaSha256,
                       [](absl::string_view) -> absl::StatusOr<std::string> {
                         return std::string(70, '\x30');
                       });
  EXPECT_EQ(csr.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(csr.status().message(), HasSubstr("raw r||s of 64 bytes"));

  const InMemoryKey& rsa = testing::SharedRsa2048Key();
  csr = CreateCsr(rsa.spki_der(), Subject(), SignatureScheme::kRsaPkcs1Sha256,
                  [](absl::string_view) -> absl::StatusOr<std::string> {
                    return std::string(255, '\x01');
                  });
  EXPECT_EQ(csr.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(csr.status().message(), HasSubstr("256 were expected"));
}

TEST(CsrTest, MissingSignerIsInvalidArgument) {
  const InMemoryKey& ec = testing::SharedEcP256Key();
  auto csr = CreateCsr(ec.spki_der(), Subject(), SignatureScheme::kEcdsaSha256,
                       ExternalSigner());
  EXPECT_EQ(csr.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sejf::signer
