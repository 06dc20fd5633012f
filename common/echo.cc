#include "common/echo.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"

namespace sejf {
namespace {

constexpr absl::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the valid UTF-8 sequence at the start of `s` and its code
// point, or 0 when it does not start with one.
std::size_t DecodeUtf8(absl::string_view s, std::uint32_t& code_point) {
  const auto byte = [&](std::size_t i) {
    return static_cast<unsigned char>(s[i]);
  };
  const unsigned char lead = byte(0);
  std::size_t size = 0;
  std::uint32_t min = 0;
  if (lead < 0x80) {
    code_point = lead;
    return 1;
  } else if ((lead & 0xE0) == 0xC0) {
    size = 2, min = 0x80, code_point = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    size = 3, min = 0x800, code_point = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    size = 4, min = 0x10000, code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (s.size() < size) return 0;
  for (std::size_t i = 1; i < size; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i) & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  if (code_point < min || code_point > 0x10FFFF ||
      (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return 0;
  }
  return size;
}

bool IsControl(std::uint32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

}  // namespace

std::string ClipEcho(absl::string_view value, std::size_t max_size) {
  std::string out;
  out.reserve(std::min(value.size(), max_size) + 32);
  std::size_t i = 0;
  while (i < value.size()) {
    std::uint32_t c = 0;
    std::size_t size = DecodeUtf8(value.substr(i), c);
    std::size_t taken = size == 0 ? 1 : size;
    if (i + taken > max_size) break;
    if (size == 0 || IsControl(c)) {
      out.append(kReplacement.data(), kReplacement.size());
    } else {
      out.append(value.data() + i, size);
    }
    i += taken;
  }
  if (i < value.size()) {
    absl::StrAppend(&out, "\xE2\x80\xA6(", value.size(), " bytes)");
  }
  return out;
}

std::string ClipText(absl::string_view value, std::size_t max_size) {
  if (value.size() <= max_size) return std::string(value);
  std::size_t end = max_size;
  // Step back over continuation bytes (10xxxxxx) to a character boundary.
  while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) {
    --end;
  }
  return absl::StrCat(value.substr(0, end), "\xE2\x80\xA6(", value.size(),
                      " bytes)");
}

}  // namespace sejf
