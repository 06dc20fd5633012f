#include "signer/qr/qr_png.h"

#include <png.h>
#include <qrencode.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sejf::signer {
namespace {

constexpr std::uint8_t kWhite = 0xFF;
constexpr std::uint8_t kBlack = 0x00;

constexpr int kGlyphWidth = 5;
constexpr int kGlyphHeight = 7;
constexpr int kGlyphAdvance = kGlyphWidth + 1;  // one column of spacing

// 5x7 glyphs, one byte per row from the top, bit 4 the leftmost pixel
// (the classic HD44780 character shapes).
struct Glyph {
  char c;
  std::array<std::uint8_t, kGlyphHeight> rows;
};
constexpr Glyph kFont[] = {
    {'0', {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}},
    {'1', {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'2', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}},
    {'3', {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}},
    {'4', {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}},
    {'5', {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}},
    {'6', {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}},
    {'7', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}},
    {'9', {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}},
    {'A', {0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11}},
    {'B', {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}},
    {'C', {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}},
    {'D', {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C}},
    {'E', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}},
    {'F', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}},
    {'G', {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}},
    {'H', {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
    {'I', {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'J', {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C}},
    {'K', {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}},
    {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}},
    {'M', {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}},
    {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
    {'O', {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}},
    {'P', {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}},
    {'Q', {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D}},
    {'R', {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}},
    {'S', {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}},
    {'T', {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
    {'U', {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}},
    {'V', {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}},
    {'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}},
    {'X', {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}},
    {'Y', {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04}},
    {'Z', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F}},
    {'-', {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00}},
};

const Glyph* FindGlyph(char c) {
  for (const Glyph& glyph : kFont) {
    if (glyph.c == c) return &glyph;
  }
  return nullptr;
}

struct QrCodeFree {
  void operator()(QRcode* code) const { QRcode_free(code); }
};
using QrCodePtr = std::unique_ptr<QRcode, QrCodeFree>;

absl::Status CheckUrl(absl::string_view url) {
  bool ok = absl::StartsWith(url, "https://") && url.size() > 8 &&
            url.size() <= kMaxQrUrlLength &&
            std::all_of(url.begin(), url.end(), [](char c) {
              return absl::ascii_isgraph(static_cast<unsigned char>(c));
            });
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("url: a QR link must be https:// followed by printable "
                     "ASCII without spaces, at most ",
                     kMaxQrUrlLength, " characters"));
  }
  return absl::OkStatus();
}

// A white greyscale canvas.
class Canvas {
 public:
  Canvas(int width, int height)
      : width_(width),
        height_(height),
        pixels_(static_cast<std::size_t>(width) * height, kWhite) {}

  void FillBlack(int x, int y, int w, int h) {
    for (int row = y; row < y + h; ++row) {
      std::fill_n(pixels_.begin() + static_cast<std::size_t>(row) * width_ + x,
                  w, kBlack);
    }
  }

  int width() const { return width_; }
  int height() const { return height_; }
  const std::uint8_t* data() const { return pixels_.data(); }

 private:
  int width_;
  int height_;
  std::vector<std::uint8_t> pixels_;
};

void DrawLabel(Canvas& canvas, absl::string_view label, int left, int top,
               int scale) {
  for (std::size_t i = 0; i < label.size(); ++i) {
    const Glyph* glyph = FindGlyph(label[i]);  // validated before
    const int x0 = left + static_cast<int>(i) * kGlyphAdvance * scale;
    for (int row = 0; row < kGlyphHeight; ++row) {
      for (int col = 0; col < kGlyphWidth; ++col) {
        if (glyph->rows[row] & (1 << (kGlyphWidth - 1 - col))) {
          canvas.FillBlack(x0 + col * scale, top + row * scale, scale, scale);
        }
      }
    }
  }
}

absl::StatusOr<std::string> EncodePng(const Canvas& canvas) {
  png_image image = {};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(canvas.width());
  image.height = static_cast<png_uint_32>(canvas.height());
  image.format = PNG_FORMAT_GRAY;
  png_alloc_size_t size = 0;
  // The first call only measures (memory == nullptr).
  if (!png_image_write_to_memory(&image, nullptr, &size, 0, canvas.data(), 0,
                                 nullptr)) {
    std::string error = image.message;
    png_image_free(&image);
    return absl::InternalError(absl::StrCat("libpng: ", error));
  }
  std::string png(size, '\0');
  if (!png_image_write_to_memory(&image, png.data(), &size, 0, canvas.data(), 0,
                                 nullptr)) {
    std::string error = image.message;
    png_image_free(&image);
    return absl::InternalError(absl::StrCat("libpng: ", error));
  }
  png.resize(size);
  return png;
}

}  // namespace

absl::Status ValidateQrPngOptions(const QrPngOptions& options) {
  const std::string& label = options.label;
  if (label.size() > kMaxQrLabelLength ||
      !std::all_of(label.begin(), label.end(),
                   [](char c) { return FindGlyph(c) != nullptr; })) {
    return absl::InvalidArgumentError(absl::StrCat(
        "label: at most ", kMaxQrLabelLength,
        " characters of A-Z, 0-9 and '-' (OFFLINE, CERTYFIKAT or the "
        "invoice's KSeF number); got ",
        label.size(), " characters"));
  }
  if (options.module_pixels < 1 || options.module_pixels > kMaxQrModulePixels) {
    return absl::InvalidArgumentError(
        absl::StrCat("module_pixels: must be 1 to ", kMaxQrModulePixels,
                     "; got ", options.module_pixels));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RenderQrPng(absl::string_view url,
                                        const QrPngOptions& options) {
  if (absl::Status s = CheckUrl(url); !s.ok()) return s;
  if (absl::Status s = ValidateQrPngOptions(options); !s.ok()) return s;

  const std::string text(url);
  errno = 0;
  QrCodePtr code(QRcode_encodeString8bit(text.c_str(), 0, QR_ECLEVEL_M));
  if (code == nullptr) {
    return absl::InternalError(absl::StrCat(
        "libqrencode could not encode the link (errno ", errno, ")"));
  }

  const int m = options.module_pixels;
  const int code_side = (code->width + 2 * kQrQuietZoneModules) * m;
  int width = code_side;
  int height = code_side;
  int scale = 0;
  int label_left = 0;
  if (!options.label.empty()) {
    const int n = static_cast<int>(options.label.size());
    // Half a module per font pixel, shrunk to fit the code's width when it
    // can; never below one pixel (then the image widens instead).
    const int text_units = n * kGlyphAdvance - 1;
    scale = std::max(
        1, std::min(std::max(1, m / 2), (code_side - 2 * m) / text_units));
    const int text_width = text_units * scale;
    width = std::max(code_side, text_width + 2 * m);
    label_left = (width - text_width) / 2;
    height = code_side + kGlyphHeight * scale + 2 * m;
  }

  Canvas canvas(width, height);
  const int code_left = (width - code_side) / 2;
  const int origin = kQrQuietZoneModules * m;
  for (int y = 0; y < code->width; ++y) {
    for (int x = 0; x < code->width; ++x) {
      // libqrencode: bit 0 of each module byte is 1 for a dark module.
      if (code->data[y * code->width + x] & 1) {
        canvas.FillBlack(code_left + origin + x * m, origin + y * m, m, m);
      }
    }
  }
  if (!options.label.empty()) {
    DrawLabel(canvas, options.label, label_left, code_side, scale);
  }
  return EncodePng(canvas);
}

}  // namespace sejf::signer
