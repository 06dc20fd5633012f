#include "hsm/testing/faulty_key_store.h"

#include <utility>

namespace sejf::hsm::testing {

void FaultyKeyStore::FailNext(Operation operation, int count,
                              absl::Status status) {
  absl::MutexLock lock(&mu_);
  if (count <= 0 || status.ok()) {
    failures_.erase(operation);
    return;
  }
  failures_[operation] = Failures{count, std::move(status)};
}

void FaultyKeyStore::RunBeforeNext(Operation operation,
                                   std::function<void()> action) {
  absl::MutexLock lock(&mu_);
  actions_[operation] = std::move(action);
}

void FaultyKeyStore::Clear() {
  absl::MutexLock lock(&mu_);
  failures_.clear();
  actions_.clear();
}

int FaultyKeyStore::injected_failures() const {
  absl::MutexLock lock(&mu_);
  return injected_;
}

std::optional<absl::Status> FaultyKeyStore::Before(Operation operation) {
  std::function<void()> action;
  {
    absl::MutexLock lock(&mu_);
    if (auto it = failures_.find(operation); it != failures_.end()) {
      absl::Status status = it->second.status;
      if (--it->second.remaining <= 0) failures_.erase(it);
      ++injected_;
      return status;
    }
    if (auto it = actions_.find(operation); it != actions_.end()) {
      action = std::move(it->second);
      actions_.erase(it);
    }
  }
  if (action) action();  // outside the lock: it may call into the store
  return std::nullopt;
}

absl::StatusOr<KeyRef> FaultyKeyStore::GenerateKeyPair(absl::string_view label,
                                                       KeyAlgorithm algorithm) {
  if (auto fault = Before(Operation::kGenerateKeyPair)) return *fault;
  return KeyStoreWrapper::GenerateKeyPair(label, algorithm);
}

absl::StatusOr<KeyRef> FaultyKeyStore::FindKeyById(absl::string_view id) {
  if (auto fault = Before(Operation::kFindKey)) return *fault;
  return KeyStoreWrapper::FindKeyById(id);
}

absl::StatusOr<KeyRef> FaultyKeyStore::FindKeyByLabel(absl::string_view label) {
  if (auto fault = Before(Operation::kFindKey)) return *fault;
  return KeyStoreWrapper::FindKeyByLabel(label);
}

absl::StatusOr<std::string> FaultyKeyStore::PublicKey(const KeyRef& key) {
  if (auto fault = Before(Operation::kPublicKey)) return *fault;
  return KeyStoreWrapper::PublicKey(key);
}

absl::StatusOr<std::string> FaultyKeyStore::Sign(const KeyRef& key,
                                                 SignatureScheme scheme,
                                                 absl::string_view data) {
  if (auto fault = Before(Operation::kSign)) return *fault;
  return KeyStoreWrapper::Sign(key, scheme, data);
}

absl::Status FaultyKeyStore::Destroy(const KeyRef& key) {
  if (auto fault = Before(Operation::kDestroy)) return *fault;
  return KeyStoreWrapper::Destroy(key);
}

absl::StatusOr<std::string> FaultyKeyStore::WrapKey(
    const SecretBytes& data_key) {
  if (auto fault = Before(Operation::kWrapKey)) return *fault;
  return KeyStoreWrapper::WrapKey(data_key);
}

absl::StatusOr<SecretBytes> FaultyKeyStore::UnwrapKey(
    absl::string_view wrapped) {
  if (auto fault = Before(Operation::kUnwrapKey)) return *fault;
  return KeyStoreWrapper::UnwrapKey(wrapped);
}

absl::Status FaultyKeyStore::CreateKek(absl::string_view kek_label) {
  if (auto fault = Before(Operation::kCreateKek)) return *fault;
  return KeyStoreWrapper::CreateKek(kek_label);
}

absl::StatusOr<KeyRef> FaultyKeyStore::GenerateKeyPairWithId(
    absl::string_view label, absl::string_view id, KeyAlgorithm algorithm) {
  if (auto fault = Before(Operation::kGenerateKeyPair)) return *fault;
  return KeyStoreWrapper::GenerateKeyPairWithId(label, id, algorithm);
}

absl::Status FaultyKeyStore::CreateKekWithId(absl::string_view kek_label,
                                             absl::string_view id) {
  if (auto fault = Before(Operation::kCreateKek)) return *fault;
  return KeyStoreWrapper::CreateKekWithId(kek_label, id);
}

absl::Status FaultyKeyStore::DestroyKek(absl::string_view kek_label,
                                        absl::string_view id) {
  if (auto fault = Before(Operation::kDestroyKek)) return *fault;
  return KeyStoreWrapper::DestroyKek(kek_label, id);
}

}  // namespace sejf::hsm::testing
