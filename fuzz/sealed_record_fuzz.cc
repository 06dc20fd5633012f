// Sealed records (vault/crypto/sealed_record.h) under a keyring of this
// process (an in-memory key store with its own random KEK, so no key is
// committed): the input as a stored sealed record never opens (no forgery;
// a malformed one is refused, not read out of bounds), and the input as a
// secret seals, opens back to itself, and no longer opens with one byte
// changed or in another place.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/crypto_init.h"
#include "common/secret.h"
#include "fuzz/fuzz_check.h"
#include "hsm/testing/fake_key_store.h"
#include "vault/crypto/keyring.h"
#include "vault/crypto/sealed_record.h"
#include "vault/storage/memory_storage.h"

namespace {

using sejf::vault::SealedPlace;

struct Vault {
  sejf::FakeClock clock{absl::FromUnixSeconds(1764000000)};
  sejf::hsm::testing::FakeKeyStore keys;
  sejf::vault::MemoryStorage storage{clock};
  std::unique_ptr<sejf::vault::Keyring> keyring;
};

Vault& TheVault() {
  static Vault* vault = [] {
    FUZZ_CHECK(sejf::InitCrypto().ok());
    auto* v = new Vault;
    auto keyring = sejf::vault::Keyring::Open(&v->storage, &v->keys, &v->clock);
    FUZZ_CHECK(keyring.ok());
    v->keyring = *std::move(keyring);
    return v;
  }();
  return *vault;
}

constexpr SealedPlace kPlace{.kind = "tokens", .id = "acme", .version = 3};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  sejf::vault::Keyring& keyring = *TheVault().keyring;
  absl::string_view input = sejf::fuzz::Input(data, size);

  (void)sejf::vault::SealedDataKeyId(input);
  FUZZ_CHECK(!sejf::vault::Open(keyring, input, kPlace).ok());

  absl::StatusOr<std::string> sealed =
      sejf::vault::Seal(keyring, input, kPlace);
  FUZZ_CHECK(sealed.ok());
  FUZZ_CHECK(sealed->size() == input.size() + sejf::vault::kSealedOverhead);
  absl::StatusOr<sejf::SecretBytes> opened =
      sejf::vault::Open(keyring, *sealed, kPlace);
  FUZZ_CHECK(opened.ok() && sejf::SecretView(*opened) == input);
  std::string altered = *sealed;
  altered[size % altered.size()] ^= static_cast<char>(1 + (size % 255));
  FUZZ_CHECK(!sejf::vault::Open(keyring, altered, kPlace).ok());
  FUZZ_CHECK(!sejf::vault::Open(
                  keyring, *sealed,
                  SealedPlace{.kind = "tokens", .id = "acme", .version = 4})
                  .ok());
  return 0;
}
