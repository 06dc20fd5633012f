// KOD I links and the KOD II signed string against the examples of
// ksef-protocol.md §7 (DOCS:kody-qr.md).
#include "signer/qr/qr_code.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signer/x509/testing/openssl_cli.h"

namespace sejf::signer {
namespace {

using ::sejf::signer::testing::ReadFileOrEmpty;
using ::sejf::signer::testing::RunOpenssl;
using ::sejf::signer::testing::ScratchDir;
using ::testing::HasSubstr;

// The hash of the docs' examples (§7.1, §7.2).
constexpr char kDocsHash[] = "UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE";

InvoiceHash DocsHash() {
  auto hash = InvoiceHash::FromBase64Url(kDocsHash);
  EXPECT_TRUE(hash.ok()) << hash.status();
  return *hash;
}

TEST(QrCodeTest, InvoiceLinkMatchesTheDocsExample) {
  auto host = ResolveQrHost("test");
  ASSERT_TRUE(host.ok()) << host.status();
  auto url = BuildInvoiceQrUrl(*host, "1111111111", "2026-02-01", DocsHash());
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(*url,
            "https://qr-test.ksef.mf.gov.pl/invoice/1111111111/01-02-2026/"
            "UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE");
}

TEST(QrCodeTest, CertificateSerialIsSixteenUpperCaseHexDigits) {
  for (const char* serial : {"01F20A5D352AE590", "8000000000000001",
                             "FFFFFFFFFFFFFFFF", "0000000000000000"}) {
    EXPECT_TRUE(ValidateKsefCertificateSerial(serial).ok()) << serial;
  }
  for (const char* serial :
       {"", "01f20a5d352ae590",  // lower case
        "008000000000000001",    // DER's sign byte: 18 characters
        "01F20A5D352AE59",       // 15
        "01F20A5D352AE5900",     // 17
        "8A35E7D7C1E0B2D4F6A8190B2C3D4E5F60718293",  // a 20-byte CA serial
        "-8000000000000001", "01F20A5D352AE59G", "01F20A5D/52AE590"}) {
    absl::Status status = ValidateKsefCertificateSerial(serial);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << serial;
    EXPECT_THAT(status.message(), HasSubstr("16 upper-case hex digits"));
    auto data = CertificateQrSignedData(
        "qr.ksef.mf.gov.pl",
        {.type = KsefContextType::kNip, .value = "1111111111"}, "1111111111",
        serial, DocsHash());
    EXPECT_EQ(data.status().code(), absl::StatusCode::kInvalidArgument)
        << serial;
    EXPECT_THAT(data.status().message(), HasSubstr("certificate serial"));
  }
}

TEST(QrCodeTest, CertificateSignedDataMatchesTheDocsExample) {
  auto data = CertificateQrSignedData(
      "qr-test.ksef.mf.gov.pl",
      {.type = KsefContextType::kNip, .value = "1111111111"}, "1111111111",
      "01F20A5D352AE590", DocsHash());
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(*data,
            "qr-test.ksef.mf.gov.pl/certificate/Nip/1111111111/1111111111/"
            "01F20A5D352AE590/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE");
  EXPECT_EQ(CertificateQrUrl(*data, std::string("\xfb\xff\x00", 3)),
            absl::StrCat("https://", *data, "/-_8A"))
      << "Base64URL, no padding";
}

TEST(QrCodeTest, InvoiceHashIsTheOpensslSha256OfTheFileBytes) {
  ScratchDir dir;
  std::string invoice =
      "<?xml version=\"1.0\"?>\r\n<Faktura>\xc5\x81</Faktura>\n";
  std::string path = dir.Write("invoice.xml", invoice);
  std::string out = dir.Path("digest.bin");
  auto result = RunOpenssl({"dgst", "-sha256", "-binary", "-out", out, path});
  ASSERT_EQ(result.exit_code, 0) << result.out;
  InvoiceHash hash = InvoiceHash::OfInvoice(invoice);
  EXPECT_EQ(hash.digest(), ReadFileOrEmpty(out));
  EXPECT_EQ(hash.Base64Url().size(), 43u);
  auto back = InvoiceHash::FromBase64Url(hash.Base64Url());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->digest(), hash.digest());
  auto from_digest = InvoiceHash::FromSha256(hash.digest());
  ASSERT_TRUE(from_digest.ok());
  EXPECT_EQ(from_digest->Base64Url(), hash.Base64Url());
}

TEST(QrCodeTest, MalformedHashesAreRefused) {
  EXPECT_EQ(InvoiceHash::FromSha256(std::string(31, 'x')).status().code(),
            absl::StatusCode::kInvalidArgument);
  for (std::string bad :
       {std::string(kDocsHash) + "=", std::string(kDocsHash).substr(1),
        // The last character carries two unused bits: 'F' sets one, so it
        // is not the canonical form of any hash.
        std::string(kDocsHash).substr(0, 42) + "F",
        std::string(kDocsHash).substr(0, 42) + "+"}) {
    auto status = InvoiceHash::FromBase64Url(bad).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(status.message(), HasSubstr("invoice hash"));
  }
}

TEST(QrCodeTest, HostsPerEnvironment) {
  EXPECT_EQ(*ResolveQrHost("demo"), "qr-demo.ksef.mf.gov.pl");
  EXPECT_EQ(*ResolveQrHost("prod"), "qr.ksef.mf.gov.pl");
  std::map<std::string, std::string, std::less<>> custom = {
      {"lab", "qr.lab.example:8443"}, {"broken", "https://qr.example/"}};
  EXPECT_EQ(*ResolveQrHost("lab", custom), "qr.lab.example:8443");
  EXPECT_EQ(ResolveQrHost("broken", custom).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto unknown = ResolveQrHost("staging", custom);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("\"staging\""));
}

TEST(QrCodeTest, BadFieldsAreRefusedByName) {
  auto bad_date = BuildInvoiceQrUrl("qr.ksef.mf.gov.pl", "1111111111",
                                    "2026-02-30", DocsHash());
  EXPECT_THAT(bad_date.status().message(), HasSubstr("issue date"));
  for (const char* date : {"01-02-2026", "2026-2-1", "2026-02-01T00:00"}) {
    EXPECT_EQ(
        BuildInvoiceQrUrl("qr.ksef.mf.gov.pl", "1111111111", date, DocsHash())
            .status()
            .code(),
        absl::StatusCode::kInvalidArgument)
        << date;
  }
  auto bad_nip = BuildInvoiceQrUrl("qr.ksef.mf.gov.pl", "1111111112",
                                   "2026-02-01", DocsHash());
  EXPECT_THAT(bad_nip.status().message(), HasSubstr("seller NIP"));
  auto bad_serial = CertificateQrSignedData(
      "qr.ksef.mf.gov.pl",
      {.type = KsefContextType::kNip, .value = "1111111111"}, "1111111111",
      "01f20a5d352ae590", DocsHash());
  EXPECT_THAT(bad_serial.status().message(), HasSubstr("certificate serial"));
  auto bad_context = CertificateQrSignedData(
      "qr.ksef.mf.gov.pl",
      {.type = KsefContextType::kNip, .value = "1111111111/../x"}, "1111111111",
      "01F20A5D352AE590", DocsHash());
  EXPECT_EQ(bad_context.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildInvoiceQrUrl("qr.ksef.mf.gov.pl/x", "1111111111", "2026-02-01",
                              DocsHash())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sejf::signer
