// Big-endian integers and length-prefixed byte strings: the building blocks
// of the audit log's stored formats (audit_event.h, audit_checkpoint.h).
// Internal to vault/audit.
//
// Thread-safety: AuditWireReader is not thread-safe; the functions are pure.
#ifndef SEJF_VAULT_AUDIT_WIRE_H_
#define SEJF_VAULT_AUDIT_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace sejf::vault::audit_wire {

inline void AppendU8(std::string& out, std::uint8_t value) {
  out.push_back(static_cast<char>(value));
}

inline void AppendU32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

inline void AppendU64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

// A u32 length, then the bytes. `bytes` must be shorter than 4 GiB (callers
// bound their fields far below that).
inline void AppendBytes(std::string& out, absl::string_view bytes) {
  AppendU32(out, static_cast<std::uint32_t>(bytes.size()));
  out.append(bytes.data(), bytes.size());
}

// Reads what the Append* functions wrote. Every Read* returns false (and
// leaves the output unspecified) when the input is too short.
class AuditWireReader {
 public:
  explicit AuditWireReader(absl::string_view data) : rest_(data) {}

  bool ReadU8(std::uint8_t& value) {
    if (rest_.empty()) return false;
    value = static_cast<std::uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return true;
  }

  bool ReadU32(std::uint32_t& value) {
    if (rest_.size() < 4) return false;
    value = 0;
    for (int i = 0; i < 4; ++i) {
      value = (value << 8) | static_cast<std::uint8_t>(rest_[i]);
    }
    rest_.remove_prefix(4);
    return true;
  }

  bool ReadU64(std::uint64_t& value) {
    if (rest_.size() < 8) return false;
    value = 0;
    for (int i = 0; i < 8; ++i) {
      value = (value << 8) | static_cast<std::uint8_t>(rest_[i]);
    }
    rest_.remove_prefix(8);
    return true;
  }

  // Exactly `size` raw bytes.
  bool ReadFixed(std::size_t size, std::string& value) {
    if (rest_.size() < size) return false;
    value.assign(rest_.data(), size);
    rest_.remove_prefix(size);
    return true;
  }

  // A u32 length, then that many bytes; false also when the length exceeds
  // `max_size`.
  bool ReadBytes(std::size_t max_size, std::string& value) {
    std::uint32_t size = 0;
    if (!ReadU32(size) || size > max_size) return false;
    return ReadFixed(size, value);
  }

  absl::string_view rest() const { return rest_; }

 private:
  absl::string_view rest_;
};

}  // namespace sejf::vault::audit_wire

#endif  // SEJF_VAULT_AUDIT_WIRE_H_
