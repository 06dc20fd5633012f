// QR PNGs: zbarimg (an independent decoder) reads back the exact link, and
// libpng reads the file as a valid PNG with the label drawn under the code.
#include "signer/qr/qr_png.h"

#include <png.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/testing/softhsm_testing.h"
#include "signer/qr/qr_code.h"
#include "signer/x509/testing/openssl_cli.h"

namespace sejf::signer {
namespace {

using ::sejf::signer::testing::ReadFileOrEmpty;
using ::sejf::signer::testing::ScratchDir;
using ::testing::HasSubstr;

constexpr char kDocsHash[] = "UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE";

std::string KodI() {
  auto hash = InvoiceHash::FromBase64Url(kDocsHash);
  EXPECT_TRUE(hash.ok()) << hash.status();
  auto url = BuildInvoiceQrUrl("qr-test.ksef.mf.gov.pl", "1111111111",
                               "2026-02-01", *hash);
  EXPECT_TRUE(url.ok()) << url.status();
  return *url;
}

// A KOD II link as long as an RSA-2048 one (a 256-byte signature).
std::string KodII() {
  auto hash = InvoiceHash::FromBase64Url(kDocsHash);
  EXPECT_TRUE(hash.ok()) << hash.status();
  auto data = CertificateQrSignedData(
      "qr-test.ksef.mf.gov.pl",
      {.type = KsefContextType::kNip, .value = "1111111111"}, "1111111111",
      "01F20A5D352AE590", *hash);
  EXPECT_TRUE(data.ok()) << data.status();
  std::string signature;
  for (int i = 0; i < 256; ++i) signature.push_back(static_cast<char>(i));
  return CertificateQrUrl(*data, signature);
}

// What `zbarimg --raw -q` reads from the PNG; "" (and a test failure) when
// it cannot run or finds no code.
std::string Zbar(const std::string& png) {
  ScratchDir dir;
  std::string path = dir.Write("code.png", png);
  std::string decoded = dir.Path("decoded.txt");
  // Only stdout is the decoded text (stderr stays in the failure message);
  // --nodbus: otherwise zbar prints D-Bus errors on stdout on a server.
  auto run = hsm::testing::RunCommand(
      absl::StrCat("zbarimg --raw -q --nodbus '", path, "' > '", decoded, "'"));
  EXPECT_TRUE(run.ok()) << run.status();
  if (!run.ok()) return "";
  std::string out = ReadFileOrEmpty(decoded);
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

struct Gray {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;
  bool Dark(int x, int y) const { return pixels[y * width + x] < 128; }
};

// The PNG decoded by libpng to 8-bit grey; width 0 when libpng refuses it.
Gray Decode(const std::string& png) {
  png_image image = {};
  image.version = PNG_IMAGE_VERSION;
  Gray gray;
  if (!png_image_begin_read_from_memory(&image, png.data(), png.size())) {
    ADD_FAILURE() << "libpng: " << image.message;
    return gray;
  }
  image.format = PNG_FORMAT_GRAY;
  gray.pixels.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, gray.pixels.data(), 0, nullptr)) {
    ADD_FAILURE() << "libpng: " << image.message;
    return gray;
  }
  gray.width = static_cast<int>(image.width);
  gray.height = static_cast<int>(image.height);
  return gray;
}

// The number of dark pixels in rows [top, bottom).
int DarkPixels(const Gray& image, int top, int bottom) {
  int n = 0;
  for (int y = top; y < bottom; ++y) {
    for (int x = 0; x < image.width; ++x) n += image.Dark(x, y);
  }
  return n;
}

TEST(QrPngTest, KodIDecodesBackToTheExactLink) {
  const std::string url = KodI();
  auto png = RenderQrPng(url, {.label = std::string(kInvoiceQrOfflineLabel)});
  ASSERT_TRUE(png.ok()) << png.status();
  EXPECT_EQ(Zbar(*png), url);
}

TEST(QrPngTest, KodIIDecodesBackToTheExactLink) {
  const std::string url = KodII();
  auto png = RenderQrPng(url, {.label = std::string(kCertificateQrLabel)});
  ASSERT_TRUE(png.ok()) << png.status();
  EXPECT_EQ(Zbar(*png), url);
}

TEST(QrPngTest, KodIWithAKsefNumberLabelDecodesAtTheSmallestModuleSize) {
  const std::string url = KodI();
  auto png = RenderQrPng(url, {.label = "5265877635-20250826-0100001AF629-AF",
                               .module_pixels = 3});
  ASSERT_TRUE(png.ok()) << png.status();
  EXPECT_EQ(Zbar(*png), url);
}

TEST(QrPngTest, IsAValidPngWithAQuietZoneAndTheLabelBelowIt) {
  const std::string url = KodI();
  const int m = 6;
  auto bare = RenderQrPng(url, {.module_pixels = m});
  auto labelled = RenderQrPng(url, {.label = "OFFLINE", .module_pixels = m});
  ASSERT_TRUE(bare.ok()) << bare.status();
  ASSERT_TRUE(labelled.ok()) << labelled.status();
  EXPECT_EQ(bare->substr(0, 8), "\x89PNG\r\n\x1a\n");

  Gray code = Decode(*bare);
  ASSERT_GT(code.width, 0);
  EXPECT_EQ(code.width, code.height) << "no label: a square";
  EXPECT_EQ(code.width % m, 0);
  // Four white modules on every side.
  const int quiet = 4 * m;
  EXPECT_EQ(DarkPixels(code, 0, quiet), 0);
  EXPECT_EQ(DarkPixels(code, code.height - quiet, code.height), 0);
  for (int y = 0; y < code.height; ++y) {
    for (int x = 0; x < quiet; ++x) {
      ASSERT_FALSE(code.Dark(x, y) || code.Dark(code.width - 1 - x, y))
          << "dark pixel in the side quiet zone at row " << y;
    }
  }
  EXPECT_TRUE(code.Dark(quiet, quiet)) << "finder pattern corner";

  Gray with_label = Decode(*labelled);
  ASSERT_GT(with_label.width, 0);
  EXPECT_EQ(with_label.width, code.width);
  EXPECT_GT(with_label.height, code.height);
  EXPECT_GT(DarkPixels(with_label, code.height, with_label.height), 0)
      << "the label is drawn under the quiet zone";
  EXPECT_EQ(DarkPixels(with_label, code.height - quiet, code.height), 0)
      << "the label stays out of the quiet zone";
}

TEST(QrPngTest, DifferentLabelsDrawDifferentCaptions) {
  const std::string url = KodI();
  auto offline = RenderQrPng(url, {.label = "OFFLINE"});
  auto certificate = RenderQrPng(url, {.label = "CERTYFIKAT"});
  ASSERT_TRUE(offline.ok() && certificate.ok());
  Gray a = Decode(*offline);
  Gray b = Decode(*certificate);
  ASSERT_EQ(a.width, b.width);
  ASSERT_EQ(a.height, b.height);
  EXPECT_NE(a.pixels, b.pixels);
}

TEST(QrPngTest, AWideLabelWidensTheImageAndStillDecodes) {
  const std::string url = "https://qr.ksef.mf.gov.pl/x";
  auto png =
      RenderQrPng(url, {.label = std::string(40, 'W'), .module_pixels = 2});
  ASSERT_TRUE(png.ok()) << png.status();
  Gray image = Decode(*png);
  EXPECT_GT(image.width, image.height - 20);
  EXPECT_EQ(Zbar(*png), url);
}

TEST(QrPngTest, RefusesBadInputNamingTheField) {
  const std::string url = KodI();
  auto overlong = RenderQrPng(url, {.label = std::string(41, 'A')});
  EXPECT_EQ(overlong.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(overlong.status().message(), HasSubstr("label: at most 40"));
  for (const char* label : {"offline", "KSeF", "A B", "Ł"}) {
    auto bad = RenderQrPng(url, {.label = label});
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument) << label;
    EXPECT_THAT(bad.status().message(), HasSubstr("A-Z, 0-9 and '-'"));
  }
  for (int size : {0, -1, 17}) {
    auto bad = RenderQrPng(url, {.module_pixels = size});
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(bad.status().message(), HasSubstr("module_pixels"));
  }
  for (const std::string& link :
       {std::string("http://qr.ksef.mf.gov.pl/invoice"), std::string(""),
        std::string("https://"), std::string("https://a b"),
        absl::StrCat("https://", std::string(2041, 'a'))}) {
    auto bad = RenderQrPng(link, {});
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(bad.status().message(), HasSubstr("url:"));
  }
  EXPECT_TRUE(
      RenderQrPng(absl::StrCat("https://", std::string(2040, 'a')), {}).ok())
      << "2048 characters fit";
}

}  // namespace
}  // namespace sejf::signer
