#include "hsm/metered_key_store.h"

#include <string>

#include "absl/time/clock.h"

namespace sejf::hsm {

namespace {

const absl::Status& StatusOf(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& result) {
  return result.status();
}

}  // namespace

MeteredKeyStore::MeteredKeyStore(KeyStore* target, metrics::Registry* registry)
    : KeyStoreWrapper(target),
      operations_(registry->AddCounter(
          "sejf_hsm_operations_total",
          "HSM (PKCS#11) calls by KeyStore operation and outcome (a gRPC "
          "status code name; UNAVAILABLE: device or session errors, or the "
          "call deadline).",
          {"operation", "code"})),
      durations_(registry->AddHistogram(
          "sejf_hsm_operation_duration_seconds",
          "How long HSM calls took, waiting for a free HSM worker included.",
          {"operation"}, metrics::kLatencyBuckets)) {}

template <typename Call>
auto MeteredKeyStore::Count(absl::string_view operation, Call&& call) {
  const absl::Time start = absl::Now();
  auto result = call();
  const std::string op(operation);
  durations_.WithLabels({op}).ObserveDuration(absl::Now() - start);
  operations_
      .WithLabels({op, absl::StatusCodeToString(StatusOf(result).code())})
      .Increment();
  return result;
}

absl::StatusOr<KeyRef> MeteredKeyStore::GenerateKeyPair(
    absl::string_view label, KeyAlgorithm algorithm) {
  return Count("GenerateKeyPair", [&] {
    return KeyStoreWrapper::GenerateKeyPair(label, algorithm);
  });
}
absl::StatusOr<KeyRef> MeteredKeyStore::FindKeyById(absl::string_view id) {
  return Count("FindKeyById", [&] { return KeyStoreWrapper::FindKeyById(id); });
}
absl::StatusOr<KeyRef> MeteredKeyStore::FindKeyByLabel(
    absl::string_view label) {
  return Count("FindKeyByLabel",
               [&] { return KeyStoreWrapper::FindKeyByLabel(label); });
}
absl::StatusOr<std::string> MeteredKeyStore::PublicKey(const KeyRef& key) {
  return Count("PublicKey", [&] { return KeyStoreWrapper::PublicKey(key); });
}
absl::StatusOr<std::string> MeteredKeyStore::Sign(const KeyRef& key,
                                                  SignatureScheme scheme,
                                                  absl::string_view data) {
  return Count("Sign",
               [&] { return KeyStoreWrapper::Sign(key, scheme, data); });
}
absl::Status MeteredKeyStore::Destroy(const KeyRef& key) {
  return Count("Destroy", [&] { return KeyStoreWrapper::Destroy(key); });
}
absl::StatusOr<std::string> MeteredKeyStore::WrapKey(
    const SecretBytes& data_key) {
  return Count("WrapKey", [&] { return KeyStoreWrapper::WrapKey(data_key); });
}
absl::StatusOr<SecretBytes> MeteredKeyStore::UnwrapKey(
    absl::string_view wrapped) {
  return Count("UnwrapKey",
               [&] { return KeyStoreWrapper::UnwrapKey(wrapped); });
}
absl::Status MeteredKeyStore::CreateKek(absl::string_view kek_label) {
  return Count("CreateKek",
               [&] { return KeyStoreWrapper::CreateKek(kek_label); });
}
absl::StatusOr<std::string> MeteredKeyStore::WrapKeyWith(
    absl::string_view kek_label, const SecretBytes& data_key) {
  return Count("WrapKeyWith", [&] {
    return KeyStoreWrapper::WrapKeyWith(kek_label, data_key);
  });
}
absl::StatusOr<SecretBytes> MeteredKeyStore::UnwrapKeyWith(
    absl::string_view kek_label, absl::string_view wrapped) {
  return Count("UnwrapKeyWith", [&] {
    return KeyStoreWrapper::UnwrapKeyWith(kek_label, wrapped);
  });
}
absl::StatusOr<std::optional<std::string>> MeteredKeyStore::ReadDataObject(
    absl::string_view label) {
  return Count("ReadDataObject",
               [&] { return KeyStoreWrapper::ReadDataObject(label); });
}
absl::Status MeteredKeyStore::WriteDataObject(absl::string_view label,
                                              absl::string_view value) {
  return Count("WriteDataObject",
               [&] { return KeyStoreWrapper::WriteDataObject(label, value); });
}
absl::StatusOr<KeyRef> MeteredKeyStore::GenerateKeyPairWithId(
    absl::string_view label, absl::string_view id, KeyAlgorithm algorithm) {
  return Count("GenerateKeyPairWithId", [&] {
    return KeyStoreWrapper::GenerateKeyPairWithId(label, id, algorithm);
  });
}
absl::Status MeteredKeyStore::CreateKekWithId(absl::string_view kek_label,
                                              absl::string_view id) {
  return Count("CreateKekWithId",
               [&] { return KeyStoreWrapper::CreateKekWithId(kek_label, id); });
}
absl::StatusOr<std::string> MeteredKeyStore::KekId(
    absl::string_view kek_label) {
  return Count("KekId", [&] { return KeyStoreWrapper::KekId(kek_label); });
}
absl::StatusOr<std::vector<KeyObject>> MeteredKeyStore::ListKeyObjects() {
  return Count("ListKeyObjects",
               [&] { return KeyStoreWrapper::ListKeyObjects(); });
}
absl::StatusOr<std::string> MeteredKeyStore::ImportKeyPublicKey() {
  return Count("ImportKeyPublicKey",
               [&] { return KeyStoreWrapper::ImportKeyPublicKey(); });
}
absl::StatusOr<SecretBytes> MeteredKeyStore::DecryptWithImportKey(
    absl::string_view ciphertext) {
  return Count("DecryptWithImportKey", [&] {
    return KeyStoreWrapper::DecryptWithImportKey(ciphertext);
  });
}
absl::StatusOr<KeyRef> MeteredKeyStore::UnwrapKeyPairWithId(
    absl::string_view label, absl::string_view id, absl::string_view wrapped,
    absl::string_view public_key_der) {
  return Count("UnwrapKeyPairWithId", [&] {
    return KeyStoreWrapper::UnwrapKeyPairWithId(label, id, wrapped,
                                                public_key_der);
  });
}
absl::Status MeteredKeyStore::DestroyKek(absl::string_view kek_label,
                                         absl::string_view id) {
  return Count("DestroyKek",
               [&] { return KeyStoreWrapper::DestroyKek(kek_label, id); });
}

}  // namespace sejf::hsm
