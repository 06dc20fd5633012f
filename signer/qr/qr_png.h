// A KSeF verification link drawn as a QR code in a PNG image, with the
// label the Ministry prints under it (ksef-protocol.md §7):
//   KOD I  → the invoice's KSeF number when known, otherwise "OFFLINE";
//   KOD II → "CERTYFIKAT".
//
// The image (8-bit greyscale, black on white):
//   +-----------------------------+
//   |  quiet zone, 4 modules      |
//   |    QR symbol (ISO 18004),   |  error correction level M (the docs
//   |    byte mode, smallest      |  name no level; M is the common one for
//   |    version that fits        |  printed links and leaves room for long
//   |  quiet zone, 4 modules      |  KOD II links)
//   |        LABEL TEXT           |  built-in 5x7 bitmap font, centred
//   +-----------------------------+
// The label is drawn with a tiny built-in font instead of a font library:
// the Ministry's labels use only A-Z, 0-9 and '-' (OFFLINE, CERTYFIKAT,
// KSeF numbers such as 5265877635-20250826-0100001AF629-AF), which 37
// glyphs of 5x7 pixels cover, and the label stays outside the quiet zone so
// scanners never see it. The image widens when the label is wider than the
// code.
//
// Thread-safety: a pure function without shared state.
#ifndef SEJF_SIGNER_QR_QR_PNG_H_
#define SEJF_SIGNER_QR_QR_PNG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sejf::signer {

// The Ministry's labels (§7).
inline constexpr absl::string_view kInvoiceQrOfflineLabel = "OFFLINE";
inline constexpr absl::string_view kCertificateQrLabel = "CERTYFIKAT";

inline constexpr int kQrQuietZoneModules = 4;
inline constexpr int kDefaultQrModulePixels = 8;
inline constexpr int kMaxQrModulePixels = 16;
inline constexpr std::size_t kMaxQrLabelLength = 40;
inline constexpr std::size_t kMaxQrUrlLength = 2048;

struct QrPngOptions {
  // Under the code: 1–40 characters of A-Z, 0-9 and '-'. Empty: no label.
  std::string label = {};
  // Pixels per module (side of one QR square), 1–16: the largest image
  // (a 2048-character link, version 40) stays under 3000x3000 pixels.
  int module_pixels = kDefaultQrModulePixels;
};

// OK for options RenderQrPng can draw; INVALID_ARGUMENT naming the field
// ("label: ...", "module_pixels: ...") and what is allowed otherwise. Lets
// a caller refuse bad options before it signs the link.
absl::Status ValidateQrPngOptions(const QrPngOptions& options);

// The PNG file bytes of `url` as a QR code with `options.label` under it.
// `url` is a link made by BuildInvoiceQrUrl or OfflineQrSigner (its fields
// are validated there); here it must only be "https://" followed by
// printable ASCII, at most 2048 characters in all.
// INVALID_ARGUMENT naming "url", "label" or "module_pixels"; INTERNAL when
// libqrencode or libpng fail (out of memory).
absl::StatusOr<std::string> RenderQrPng(absl::string_view url,
                                        const QrPngOptions& options);

}  // namespace sejf::signer

#endif  // SEJF_SIGNER_QR_QR_PNG_H_
