#include "common/random.h"

#include "absl/strings/escaping.h"

namespace sejf {

std::string RandomHex(std::size_t n) {
  return absl::BytesToHexString(RandomBytes(n));
}

SecretBytes RandomAlphanumericSecret(std::size_t n) {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  SecretBytes out(n);
  for (auto& c : out) {
    c = static_cast<std::uint8_t>(
        kAlphabet[randombytes_uniform(sizeof(kAlphabet) - 1)]);
  }
  return out;
}

}  // namespace sejf
