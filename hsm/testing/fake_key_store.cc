#include "hsm/testing/fake_key_store.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/crypto_init.h"
#include "common/openssl_error.h"
#include "common/random.h"
#include "common/status_macros.h"
#include "hsm/pkcs11/kek.h"
#include "hsm/pkcs11_uri.h"
#include "hsm/signatures.h"

namespace sejf::hsm::testing {
namespace {

using CipherCtxPtr = OpenSslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// RFC 5649 with `kek` in direction `encrypt`; false on any failure (for
// decryption: the integrity check).
bool AesWrapPad(const SecretBytes& kek, bool encrypt, absl::string_view in,
                SecretBytes& out) {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return false;
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_wrap_pad(), nullptr, kek.data(),
                        nullptr, encrypt ? 1 : 0) != 1) {
    return false;
  }
  out.resize(in.size() + 16);
  int size = 0;
  if (EVP_CipherUpdate(ctx.get(), out.data(), &size, Bytes(in),
                       static_cast<int>(in.size())) != 1 ||
      size < 0) {
    return false;
  }
  int final_size = 0;
  if (EVP_CipherFinal_ex(ctx.get(), out.data() + size, &final_size) != 1) {
    return false;
  }
  out.resize(static_cast<size_t>(size + final_size));
  return true;
}

}  // namespace

FakeKeyStore::FakeKeyStore(std::string token_label)
    : token_label_(std::move(token_label)) {
  InitCrypto().IgnoreError();  // libsodium for RandomBytes
}

absl::StatusOr<KeyRef> FakeKeyStore::GenerateKeyPair(absl::string_view label,
                                                     KeyAlgorithm algorithm) {
  return GenerateKeyPairWithId(label, RandomBytes(kKeyIdSize), algorithm);
}

absl::StatusOr<KeyRef> FakeKeyStore::GenerateKeyPairWithId(
    absl::string_view label, absl::string_view id, KeyAlgorithm algorithm) {
  RETURN_IF_ERROR(ValidateKeyLabel(label));
  RETURN_IF_ERROR(ValidateKeyId(id));
  EVP_PKEY* raw = algorithm == KeyAlgorithm::kEcP256
                      ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA",
                                          static_cast<size_t>(2048));
  if (raw == nullptr) return OpenSslInternal("EVP_PKEY_Q_keygen");
  std::shared_ptr<EVP_PKEY> key(raw, EVP_PKEY_free);
  KeyRef ref{.id = std::string(id),
             .label = std::string(label),
             .algorithm = algorithm,
             .uri = FormatPkcs11Uri(token_label_, label, id)};
  absl::MutexLock lock(&mu_);
  for (const auto& [unused, entry] : keys_) {
    if (entry.ref.label == label) {
      return absl::AlreadyExistsError(absl::StrCat("a key labelled \"", label,
                                                   "\" exists in token \"",
                                                   token_label_, "\""));
    }
  }
  if (keys_.contains(ref.id)) {
    return absl::AlreadyExistsError(
        absl::StrCat("a key with id ", absl::BytesToHexString(id),
                     " exists in token \"", token_label_, "\""));
  }
  keys_[ref.id] = Entry{ref, std::move(key)};
  return ref;
}

absl::StatusOr<KeyRef> FakeKeyStore::FindKeyById(absl::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError("key id must not be empty");
  absl::MutexLock lock(&mu_);
  auto it = keys_.find(std::string(id));
  if (it == keys_.end()) {
    return absl::NotFoundError(
        absl::StrCat("no private key with id ", absl::BytesToHexString(id)));
  }
  return it->second.ref;
}

absl::StatusOr<KeyRef> FakeKeyStore::FindKeyByLabel(absl::string_view label) {
  RETURN_IF_ERROR(ValidateKeyLabel(label));
  absl::MutexLock lock(&mu_);
  for (const auto& [unused, entry] : keys_) {
    if (entry.ref.label == label) return entry.ref;
  }
  return absl::NotFoundError(
      absl::StrCat("no private key with label \"", label, "\""));
}

absl::StatusOr<FakeKeyStore::Entry> FakeKeyStore::Lookup(const KeyRef& key) {
  absl::MutexLock lock(&mu_);
  auto it = keys_.find(key.id);
  if (it == keys_.end()) {
    return absl::NotFoundError(absl::StrCat("no private key with id ",
                                            absl::BytesToHexString(key.id)));
  }
  return it->second;
}

absl::StatusOr<std::string> FakeKeyStore::PublicKey(const KeyRef& key) {
  ASSIGN_OR_RETURN(Entry entry, Lookup(key));
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(entry.key.get(), &der);
  if (size <= 0) return OpenSslInternal("i2d_PUBKEY");
  std::string out(reinterpret_cast<const char*>(der), size);
  OPENSSL_free(der);
  return out;
}

absl::StatusOr<std::string> FakeKeyStore::Sign(const KeyRef& key,
                                               SignatureScheme scheme,
                                               absl::string_view data) {
  ASSIGN_OR_RETURN(Entry entry, Lookup(key));
  const KeyAlgorithm algorithm = entry.ref.algorithm;
  EVP_PKEY* pkey = entry.key.get();
  if (!SchemeFitsAlgorithm(scheme, algorithm)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "signature scheme ", SignatureSchemeName(scheme), " does not fit the ",
        KeyAlgorithmName(algorithm), " key"));
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, pkey) != 1) {
    return OpenSslInternal("EVP_DigestSignInit");
  }
  if (scheme == SignatureScheme::kRsaPssSha256 &&
      (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) != 1)) {
    return OpenSslInternal("setting RSA-PSS parameters");
  }
  size_t size = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &size, Bytes(data), data.size()) !=
      1) {
    return OpenSslInternal("EVP_DigestSign");
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(),
                     reinterpret_cast<unsigned char*>(signature.data()), &size,
                     Bytes(data), data.size()) != 1) {
    return OpenSslInternal("EVP_DigestSign");
  }
  signature.resize(size);
  if (scheme == SignatureScheme::kEcdsaSha256) {
    return EcdsaDerToRaw(signature, kEcdsaP256RawSize / 2);
  }
  return signature;
}

absl::Status FakeKeyStore::Destroy(const KeyRef& key) {
  absl::MutexLock lock(&mu_);
  if (keys_.erase(key.id) == 0) {
    return absl::NotFoundError(
        absl::StrCat("no key with id ", absl::BytesToHexString(key.id)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> FakeKeyStore::WrapKey(const SecretBytes& data_key) {
  {
    absl::MutexLock lock(&mu_);
    if (!keks_.contains(kFakeDefaultKekLabel)) {
      SecretBytes kek(32);
      randombytes_buf(kek.data(), kek.size());
      keks_.emplace(kFakeDefaultKekLabel,
                    StoredKek{std::move(kek), RandomBytes(kKeyIdSize)});
    }
  }
  return WrapKeyWith(kFakeDefaultKekLabel, data_key);
}

absl::StatusOr<SecretBytes> FakeKeyStore::UnwrapKey(absl::string_view wrapped) {
  return UnwrapKeyWith(kFakeDefaultKekLabel, wrapped);
}

std::string FakeKeyStore::DefaultKekLabel() const {
  return kFakeDefaultKekLabel;
}

std::string FakeKeyStore::KekUri(absl::string_view kek_label) const {
  return pkcs11::FormatKekUri(token_label_, kek_label);
}

absl::Status FakeKeyStore::CreateKek(absl::string_view kek_label) {
  return CreateKekWithId(kek_label, RandomBytes(kKeyIdSize));
}

absl::Status FakeKeyStore::CreateKekWithId(absl::string_view kek_label,
                                           absl::string_view id) {
  RETURN_IF_ERROR(ValidateKeyLabel(kek_label));
  RETURN_IF_ERROR(ValidateKeyId(id));
  absl::MutexLock lock(&mu_);
  if (keks_.contains(std::string(kek_label))) {
    return absl::AlreadyExistsError(absl::StrCat(
        "a key-encryption key labelled \"", kek_label, "\" exists"));
  }
  SecretBytes kek(32);
  randombytes_buf(kek.data(), kek.size());
  keks_.emplace(std::string(kek_label),
                StoredKek{std::move(kek), std::string(id)});
  return absl::OkStatus();
}

absl::StatusOr<std::string> FakeKeyStore::KekId(absl::string_view kek_label) {
  RETURN_IF_ERROR(ValidateKeyLabel(kek_label));
  absl::MutexLock lock(&mu_);
  auto it = keks_.find(std::string(kek_label));
  if (it == keks_.end()) {
    return absl::NotFoundError(
        absl::StrCat("no key-encryption key labelled \"", kek_label, "\""));
  }
  return it->second.id;
}

absl::Status FakeKeyStore::DestroyKek(absl::string_view kek_label,
                                      absl::string_view id) {
  RETURN_IF_ERROR(ValidateKeyLabel(kek_label));
  if (id.empty()) return absl::InvalidArgumentError("KEK id is empty");
  absl::MutexLock lock(&mu_);
  auto it = keks_.find(std::string(kek_label));
  if (it == keks_.end() || it->second.id != id) {
    return absl::NotFoundError(absl::StrCat("no key-encryption key labelled \"",
                                            kek_label, "\" with id ",
                                            absl::BytesToHexString(id)));
  }
  keks_.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<SecretBytes> FakeKeyStore::Kek(absl::string_view kek_label) {
  absl::MutexLock lock(&mu_);
  auto it = keks_.find(std::string(kek_label));
  if (it == keks_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no key-encryption key labelled \"", kek_label,
                     "\": nothing was ever wrapped with it in this store"));
  }
  return it->second.key;
}

absl::StatusOr<std::string> FakeKeyStore::WrapKeyWith(
    absl::string_view kek_label, const SecretBytes& data_key) {
  if (data_key.size() != kDataKeySize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "data key must be ", kDataKeySize, " bytes, not ", data_key.size()));
  }
  ASSIGN_OR_RETURN(SecretBytes kek, Kek(kek_label));
  SecretBytes wrapped;
  if (!AesWrapPad(kek, /*encrypt=*/true, SecretView(data_key), wrapped)) {
    return OpenSslInternal("AES key wrap");
  }
  return std::string(SecretView(wrapped));
}

absl::StatusOr<SecretBytes> FakeKeyStore::UnwrapKeyWith(
    absl::string_view kek_label, absl::string_view wrapped) {
  if (wrapped.size() != kWrappedDataKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("wrapped data key must be ", kWrappedDataKeySize,
                     " bytes, not ", wrapped.size()));
  }
  ASSIGN_OR_RETURN(SecretBytes kek, Kek(kek_label));
  SecretBytes key;
  if (!AesWrapPad(kek, /*encrypt=*/false, wrapped, key) ||
      key.size() != kDataKeySize) {
    DrainOpenSslErrors();
    return absl::DataLossError(
        "the wrapped key does not unwrap under the key-encryption key (it "
        "was altered, or wrapped under another KEK)");
  }
  return key;
}

}  // namespace sejf::hsm::testing

namespace sejf::hsm::testing {

absl::StatusOr<std::optional<std::string>> FakeKeyStore::ReadDataObject(
    absl::string_view label) {
  RETURN_IF_ERROR(ValidateKeyLabel(label));
  absl::MutexLock lock(&mu_);
  auto it = data_objects_.find(label);
  if (it == data_objects_.end()) return std::nullopt;
  return it->second;
}

absl::Status FakeKeyStore::WriteDataObject(absl::string_view label,
                                           absl::string_view value) {
  RETURN_IF_ERROR(ValidateDataObject(label, value));
  absl::MutexLock lock(&mu_);
  data_objects_.insert_or_assign(std::string(label), std::string(value));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<KeyObject>> FakeKeyStore::ListKeyObjects() {
  absl::MutexLock lock(&mu_);
  std::vector<KeyObject> objects;
  for (const auto& [id, entry] : keys_) {
    for (KeyObjectClass half :
         {KeyObjectClass::kPrivateKey, KeyObjectClass::kPublicKey}) {
      objects.push_back(
          {.object_class = half, .label = entry.ref.label, .id = id});
    }
  }
  for (const auto& [label, kek] : keks_) {
    objects.push_back({.object_class = KeyObjectClass::kSecretKey,
                       .label = label,
                       .id = kek.id});
  }
  return objects;
}

}  // namespace sejf::hsm::testing
