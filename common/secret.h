// Zeroing memory for per-request secrets (tokens, PINs).
//
// SecretBytes is a byte vector whose every allocation is wiped with
// sodium_memzero before it is freed, including the buffers a growing vector
// leaves behind. It has no small-buffer optimisation (unlike std::string), so
// no byte of a secret lives outside memory that is wiped.
//
// Thread-safety: like std::vector.
#ifndef SEJF_COMMON_SECRET_H_
#define SEJF_COMMON_SECRET_H_

#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"

namespace sejf {

template <typename T>
struct ZeroingAllocator {
  using value_type = T;
  ZeroingAllocator() = default;
  template <typename U>
  ZeroingAllocator(const ZeroingAllocator<U>&) {}  // NOLINT(runtime/explicit)
  T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, std::size_t n) {
    sodium_memzero(p, n * sizeof(T));
    std::allocator<T>().deallocate(p, n);
  }
  template <typename U>
  bool operator==(const ZeroingAllocator<U>&) const {
    return true;
  }
};

using SecretBytes = std::vector<std::uint8_t, ZeroingAllocator<std::uint8_t>>;

inline SecretBytes SecretFromView(absl::string_view s) {
  return SecretBytes(s.begin(), s.end());
}

// A view of the secret as characters; valid while `s` is alive and unchanged.
inline absl::string_view SecretView(const SecretBytes& s) {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}

// Constant-time equality (lengths are not secret).
inline bool SecretEquals(const SecretBytes& a, const SecretBytes& b) {
  return a.size() == b.size() &&
         (a.empty() || sodium_memcmp(a.data(), b.data(), a.size()) == 0);
}

}  // namespace sejf

#endif  // SEJF_COMMON_SECRET_H_
