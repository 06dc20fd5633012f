#include "hsm/bounded_key_store.h"

#include <utility>

namespace sejf::hsm {

absl::StatusOr<std::unique_ptr<BoundedKeyStore>> BoundedKeyStore::Create(
    KeyStore* target, CallPoolOptions options) {
  if (target == nullptr) {
    return absl::InvalidArgumentError("bounded key store: no target");
  }
  absl::StatusOr<std::unique_ptr<CallPool>> pool = CallPool::Create(options);
  if (!pool.ok()) return pool.status();
  return std::unique_ptr<BoundedKeyStore>(
      new BoundedKeyStore(target, *std::move(pool)));
}

// Each call copies its arguments into the closure: after a timeout the
// caller's views are gone while the call may still run.

absl::StatusOr<KeyRef> BoundedKeyStore::GenerateKeyPair(
    absl::string_view label, KeyAlgorithm algorithm) {
  return pool_->Run<KeyRef>(
      "GenerateKeyPair", [t = target(), label = std::string(label), algorithm] {
        return t->GenerateKeyPair(label, algorithm);
      });
}

absl::StatusOr<KeyRef> BoundedKeyStore::FindKeyById(absl::string_view id) {
  return pool_->Run<KeyRef>(
      "FindKeyById",
      [t = target(), id = std::string(id)] { return t->FindKeyById(id); });
}

absl::StatusOr<KeyRef> BoundedKeyStore::FindKeyByLabel(
    absl::string_view label) {
  return pool_->Run<KeyRef>("FindKeyByLabel",
                            [t = target(), label = std::string(label)] {
                              return t->FindKeyByLabel(label);
                            });
}

absl::StatusOr<std::string> BoundedKeyStore::PublicKey(const KeyRef& key) {
  return pool_->Run<std::string>(
      "PublicKey", [t = target(), key] { return t->PublicKey(key); });
}

absl::StatusOr<std::string> BoundedKeyStore::Sign(const KeyRef& key,
                                                  SignatureScheme scheme,
                                                  absl::string_view data) {
  return pool_->Run<std::string>(
      "Sign", [t = target(), key, scheme, data = std::string(data)] {
        return t->Sign(key, scheme, data);
      });
}

absl::Status BoundedKeyStore::Destroy(const KeyRef& key) {
  return pool_->Run("Destroy", [t = target(), key] { return t->Destroy(key); });
}

absl::StatusOr<std::string> BoundedKeyStore::WrapKey(
    const SecretBytes& data_key) {
  return pool_->Run<std::string>(
      "WrapKey", [t = target(), data_key] { return t->WrapKey(data_key); });
}

absl::StatusOr<SecretBytes> BoundedKeyStore::UnwrapKey(
    absl::string_view wrapped) {
  return pool_->Run<SecretBytes>(
      "UnwrapKey", [t = target(), wrapped = std::string(wrapped)] {
        return t->UnwrapKey(wrapped);
      });
}

absl::Status BoundedKeyStore::CreateKek(absl::string_view kek_label) {
  return pool_->Run("CreateKek",
                    [t = target(), kek_label = std::string(kek_label)] {
                      return t->CreateKek(kek_label);
                    });
}

absl::StatusOr<std::string> BoundedKeyStore::WrapKeyWith(
    absl::string_view kek_label, const SecretBytes& data_key) {
  return pool_->Run<std::string>(
      "WrapKeyWith",
      [t = target(), kek_label = std::string(kek_label), data_key] {
        return t->WrapKeyWith(kek_label, data_key);
      });
}

absl::StatusOr<SecretBytes> BoundedKeyStore::UnwrapKeyWith(
    absl::string_view kek_label, absl::string_view wrapped) {
  return pool_->Run<SecretBytes>(
      "UnwrapKeyWith", [t = target(), kek_label = std::string(kek_label),
                        wrapped = std::string(wrapped)] {
        return t->UnwrapKeyWith(kek_label, wrapped);
      });
}

absl::StatusOr<std::optional<std::string>> BoundedKeyStore::ReadDataObject(
    absl::string_view label) {
  return pool_->Run<std::optional<std::string>>(
      "ReadDataObject", [t = target(), label = std::string(label)] {
        return t->ReadDataObject(label);
      });
}

absl::Status BoundedKeyStore::WriteDataObject(absl::string_view label,
                                              absl::string_view value) {
  return pool_->Run(
      "WriteDataObject",
      [t = target(), label = std::string(label), value = std::string(value)] {
        return t->WriteDataObject(label, value);
      });
}

absl::StatusOr<KeyRef> BoundedKeyStore::GenerateKeyPairWithId(
    absl::string_view label, absl::string_view id, KeyAlgorithm algorithm) {
  return pool_->Run<KeyRef>(
      "GenerateKeyPairWithId",
      [t = target(), label = std::string(label), id = std::string(id),
       algorithm] { return t->GenerateKeyPairWithId(label, id, algorithm); });
}

absl::Status BoundedKeyStore::CreateKekWithId(absl::string_view kek_label,
                                              absl::string_view id) {
  return pool_->Run(
      "CreateKekWithId",
      [t = target(), kek_label = std::string(kek_label), id = std::string(id)] {
        return t->CreateKekWithId(kek_label, id);
      });
}

absl::StatusOr<std::string> BoundedKeyStore::KekId(
    absl::string_view kek_label) {
  return pool_->Run<std::string>(
      "KekId", [t = target(), kek_label = std::string(kek_label)] {
        return t->KekId(kek_label);
      });
}

absl::Status BoundedKeyStore::DestroyKek(absl::string_view kek_label,
                                         absl::string_view id) {
  return pool_->Run(
      "DestroyKek",
      [t = target(), kek_label = std::string(kek_label), id = std::string(id)] {
        return t->DestroyKek(kek_label, id);
      });
}

absl::StatusOr<std::vector<KeyObject>> BoundedKeyStore::ListKeyObjects() {
  return pool_->Run<std::vector<KeyObject>>(
      "ListKeyObjects", [t = target()] { return t->ListKeyObjects(); });
}

absl::StatusOr<std::string> BoundedKeyStore::ImportKeyPublicKey() {
  return pool_->Run<std::string>(
      "ImportKeyPublicKey", [t = target()] { return t->ImportKeyPublicKey(); });
}

absl::StatusOr<SecretBytes> BoundedKeyStore::DecryptWithImportKey(
    absl::string_view ciphertext) {
  return pool_->Run<SecretBytes>(
      "DecryptWithImportKey",
      [t = target(), ciphertext = std::string(ciphertext)] {
        return t->DecryptWithImportKey(ciphertext);
      });
}

absl::StatusOr<KeyRef> BoundedKeyStore::UnwrapKeyPairWithId(
    absl::string_view label, absl::string_view id, absl::string_view wrapped,
    absl::string_view public_key_der) {
  return pool_->Run<KeyRef>(
      "UnwrapKeyPairWithId",
      [t = target(), label = std::string(label), id = std::string(id),
       wrapped = std::string(wrapped),
       public_key_der = std::string(public_key_der)] {
        return t->UnwrapKeyPairWithId(label, id, wrapped, public_key_der);
      });
}

}  // namespace sejf::hsm
