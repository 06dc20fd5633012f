#include "server/tls/peer_identity.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>
#include <utility>
#include <vector>

#include "common/openssl_ptr.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/tls/peer_identity_cache.h"
#include "server/tls/pem.h"

namespace sejf::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A certificate with exactly the given subject entries (NID, ASN.1 string
// type, raw bytes) and subjectAltNames (GEN_* type, raw bytes), built
// without any of the checks our issuer applies.
struct RawName {
  int nid;
  int asn1_type;
  std::string bytes;
};
struct RawSan {
  int type;  // GEN_URI or GEN_DNS
  std::string bytes;
};

std::string MakeCertificatePem(const std::vector<RawName>& subject,
                               const std::vector<RawSan>& sans) {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  X509Ptr cert(X509_new());
  if (!key || !cert) return "";
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_NAME* name = X509_get_subject_name(cert.get());
  for (const RawName& entry : subject) {
    if (!X509_NAME_add_entry_by_NID(
            name, entry.nid, entry.asn1_type,
            reinterpret_cast<const unsigned char*>(entry.bytes.data()),
            static_cast<int>(entry.bytes.size()), -1, 0)) {
      return "";
    }
  }
  X509_set_issuer_name(cert.get(), name);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  if (!sans.empty()) {
    GeneralNamesPtr names(GENERAL_NAMES_new());
    for (const RawSan& san : sans) {
      Asn1Ia5StringPtr value(ASN1_IA5STRING_new());
      ASN1_STRING_set(value.get(), san.bytes.data(),
                      static_cast<int>(san.bytes.size()));
      GeneralNamePtr general(GENERAL_NAME_new());
      GENERAL_NAME_set0_value(general.get(), san.type, value.release());
      sk_GENERAL_NAME_push(names.get(), general.release());
    }
    X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, names.get(), 0,
                      X509V3_ADD_DEFAULT);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return "";
  auto pem = CertificateToPem(*cert);
  return pem.ok() ? *pem : "";
}

RawName Cn(std::string value) {
  return {NID_commonName, V_ASN1_UTF8STRING, std::move(value)};
}

absl::StatusOr<std::string> IdentityOf(const std::vector<RawName>& subject,
                                       const std::vector<RawSan>& sans = {}) {
  std::string pem = MakeCertificatePem(subject, sans);
  EXPECT_THAT(pem, HasSubstr("BEGIN CERTIFICATE"));
  return IdentityFromCertificatePem(pem);
}

void ExpectUnauthenticated(const absl::StatusOr<std::string>& identity,
                           const std::string& why) {
  EXPECT_EQ(identity.status().code(), absl::StatusCode::kUnauthenticated)
      << why;
  EXPECT_THAT(identity.status().message(), HasSubstr(why));
}

TEST(PeerIdentityTest, UriSanWinsOverCommonName) {
  auto identity = IdentityOf({Cn("erp-1")}, {{GEN_URI, "spiffe://acme/erp"}});
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(*identity, "spiffe://acme/erp");
}

TEST(PeerIdentityTest, FirstUriSanIsTheIdentity) {
  auto identity = IdentityOf({Cn("erp-1")}, {{GEN_DNS, "erp.acme.example"},
                                             {GEN_URI, "spiffe://acme/one"},
                                             {GEN_URI, "spiffe://acme/two"}});
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(*identity, "spiffe://acme/one");
}

TEST(PeerIdentityTest, CommonNameWhenThereIsNoUriSan) {
  auto identity = IdentityOf({Cn("erp-1")}, {{GEN_DNS, "erp.acme.example"}});
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(*identity, "erp-1");
}

TEST(PeerIdentityTest, CommonNameInBmpStringIsConvertedToUtf8) {
  // "Łódź" in UTF-16BE.
  auto identity =
      IdentityOf({{NID_commonName, V_ASN1_BMPSTRING,
                   std::string("\x01\x41\x00\xF3\x00\x64\x01\x7A", 8)}});
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(*identity, "\xC5\x81\xC3\xB3\x64\xC5\xBA");
}

TEST(PeerIdentityTest, NeitherUriSanNorCommonNameIsUnauthenticated) {
  ExpectUnauthenticated(
      IdentityOf({{NID_organizationName, V_ASN1_UTF8STRING, "acme"}},
                 {{GEN_DNS, "erp.acme.example"}}),
      "neither a URI subjectAltName nor a subject common name");
}

TEST(PeerIdentityTest, GarbageOrEmptyPemIsUnauthenticated) {
  ExpectUnauthenticated(IdentityFromCertificatePem("garbage"),
                        "not a PEM X.509 certificate");
  ExpectUnauthenticated(IdentityFromCertificatePem(""),
                        "not a PEM X.509 certificate");
  ExpectUnauthenticated(
      IdentityFromCertificatePem("-----BEGIN CERTIFICATE-----\nAAAA\n"
                                 "-----END CERTIFICATE-----\n"),
      "not a PEM X.509 certificate");
}

TEST(PeerIdentityTest, ControlCharactersAreUnauthenticatedAndNotEchoed) {
  auto identity = IdentityOf({Cn("admin\nsecret-looking")});
  ExpectUnauthenticated(identity, "control characters");
  EXPECT_THAT(identity.status().message(), Not(HasSubstr("secret-looking")));
  ExpectUnauthenticated(IdentityOf({Cn(std::string("ad\0min", 6))}),
                        "control characters");
  ExpectUnauthenticated(IdentityOf({Cn("ad\x7Fmin")}), "control characters");
  ExpectUnauthenticated(IdentityOf({Cn("ad\xC2\x85min")}),  // U+0085 (NEL)
                        "control characters");
  ExpectUnauthenticated(
      IdentityOf({Cn("erp-1")}, {{GEN_URI, "spiffe://acme/\terp"}}),
      "control characters");
}

TEST(PeerIdentityTest, InvalidUtf8IsUnauthenticated) {
  ExpectUnauthenticated(
      IdentityOf({Cn("erp-1")}, {{GEN_URI, "spiffe://acme/\xFF"}}),
      "not valid UTF-8");
}

TEST(PeerIdentityTest, EmptyValuesAreUnauthenticated) {
  ExpectUnauthenticated(IdentityOf({Cn("")}), "empty");
  ExpectUnauthenticated(IdentityOf({Cn("erp-1")}, {{GEN_URI, ""}}), "empty");
}

TEST(PeerIdentityTest, UnusableUriSanDoesNotFallBackToCommonName) {
  ExpectUnauthenticated(
      IdentityOf({Cn("erp-1")}, {{GEN_URI, std::string(300, 'u')}}),
      "URI subjectAltName");
}

TEST(PeerIdentityTest, IdentityMayHave256BytesButNotMore) {
  std::string uri_256 = "spiffe://acme/" + std::string(256 - 14, 'x');
  ASSERT_EQ(uri_256.size(), 256u);
  auto ok = IdentityOf({Cn("erp-1")}, {{GEN_URI, uri_256}});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, uri_256);
  ExpectUnauthenticated(IdentityOf({Cn("erp-1")}, {{GEN_URI, uri_256 + "x"}}),
                        "longer than 256 bytes");
}

TEST(PeerIdentityTest, SeveralCommonNamesAreUnauthenticated) {
  ExpectUnauthenticated(IdentityOf({Cn("erp-1"), Cn("admin")}),
                        "several subject common names");
}

TEST(PeerIdentityTest, CertificateCannotPoseAsUnixSocketCaller) {
  ExpectUnauthenticated(IdentityOf({Cn("unix:0")}), "reserved");
  ExpectUnauthenticated(IdentityOf({Cn("erp")}, {{GEN_URI, "unix:0"}}),
                        "reserved");
}

// The finding of the security review: a URI SAN "admin" became the same
// identity as CN=admin. URIs must now be absolute and CNs cannot look like
// URIs, so the three forms never meet.
TEST(PeerIdentityTest, UriAndCommonNameIdentitiesCannotCollide) {
  ExpectUnauthenticated(IdentityOf({Cn("erp")}, {{GEN_URI, "admin"}}),
                        "not an absolute URI");
  ExpectUnauthenticated(IdentityOf({Cn("erp")}, {{GEN_URI, "/acme/erp"}}),
                        "not an absolute URI");
  ExpectUnauthenticated(IdentityOf({Cn("erp")}, {{GEN_URI, "spiffe:"}}),
                        "not an absolute URI");
  ExpectUnauthenticated(IdentityOf({Cn("spiffe://acme/erp")}),
                        "must not contain ':'");
  auto cn = IdentityOf({Cn("admin")});
  ASSERT_TRUE(cn.ok()) << cn.status();
  EXPECT_EQ(*cn, "admin");
  auto uri = IdentityOf({Cn("admin")}, {{GEN_URI, "spiffe://acme/erp"}});
  ASSERT_TRUE(uri.ok()) << uri.status();
  EXPECT_EQ(*uri, "spiffe://acme/erp");
}

TEST(PeerIdentityTest, UriWithDotSegmentsIsUnauthenticated) {
  for (const char* uri :
       {"spiffe://acme/erp/../ops/key-admin", "spiffe://acme/erp/./x",
        "spiffe://acme/erp/..", "spiffe://acme/erp/%2e%2e/ops",
        "spiffe://acme/erp/%2E./ops"}) {
    ExpectUnauthenticated(IdentityOf({Cn("erp")}, {{GEN_URI, uri}}),
                          "path segment");
  }
  EXPECT_TRUE(CheckUriIdentity("spiffe://acme/erp/v1.2/..x").ok());
}

TEST(PeerIdentityTest, CheckRejectsMalformedUtf8) {
  EXPECT_TRUE(CheckCertificateIdentity("zażółć").ok());
  EXPECT_FALSE(CheckCertificateIdentity("\xC0\xAF").ok());          // overlong
  EXPECT_FALSE(CheckCertificateIdentity("\xED\xA0\x80").ok());      // surrogate
  EXPECT_FALSE(CheckCertificateIdentity("\xF4\x90\x80\x80").ok());  // > 10FFFF
  EXPECT_FALSE(CheckCertificateIdentity("ab\xE2\x82").ok());        // truncated
  EXPECT_EQ(CheckCertificateIdentity("").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PeerIdentityTest, UnixPeerIdentityIsUnixColonUid) {
  EXPECT_EQ(UnixPeerIdentity(0), "unix:0");
  EXPECT_EQ(UnixPeerIdentity(1000), "unix:1000");
  EXPECT_EQ(UnixPeerIdentity(4294967294u), "unix:4294967294");
}

TEST(PeerIdentityCacheTest, GivesEachCertificateItsOwnIdentity) {
  PeerIdentityCache cache(/*capacity=*/8);
  std::string erp = MakeCertificatePem({Cn("erp-1")}, {});
  std::string spiffe =
      MakeCertificatePem({Cn("erp-2")}, {{GEN_URI, "spiffe://acme/erp"}});
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(*cache.Resolve(erp), "erp-1");
    EXPECT_EQ(*cache.Resolve(spiffe), "spiffe://acme/erp");
  }
  EXPECT_EQ(cache.size(), 2u);
}

TEST(PeerIdentityCacheTest, RefusalsAreNotRemembered) {
  PeerIdentityCache cache;
  std::string bad = MakeCertificatePem({Cn("unix:0")}, {});
  for (int round = 0; round < 2; ++round) {
    ExpectUnauthenticated(cache.Resolve(bad), "reserved for callers");
    ExpectUnauthenticated(cache.Resolve("garbage"), "not a PEM X.509");
  }
  EXPECT_EQ(cache.size(), 0u);
}

TEST(PeerIdentityCacheTest, StaysWithinItsCapacity) {
  PeerIdentityCache cache(/*capacity=*/2);
  for (int i = 0; i < 5; ++i) {
    std::string name = "caller-" + std::to_string(i);
    EXPECT_EQ(*cache.Resolve(MakeCertificatePem({Cn(name)}, {})), name);
    EXPECT_LE(cache.size(), 2u);
  }
}

}  // namespace
}  // namespace sejf::server
