#include "hsm/write_fenced_key_store.h"

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"

namespace sejf::hsm {

WriteFencedKeyStore::Freeze::~Freeze() {
  if (store_ != nullptr) store_->Thaw();
}

void WriteFencedKeyStore::Thaw() {
  absl::MutexLock lock(&mu_);
  frozen_ = false;
}

WriteFencedKeyStore::Write::Write(WriteFencedKeyStore* store) : store_(store) {
  auto thawed = [store]() ABSL_SHARED_LOCKS_REQUIRED(store->mu_) {
    return !store->frozen_;
  };
  store_->mu_.LockWhen(absl::Condition(&thawed));
  ++store_->running_writes_;
  store_->mu_.Unlock();
}

WriteFencedKeyStore::Write::~Write() {
  absl::MutexLock lock(&store_->mu_);
  --store_->running_writes_;
}

absl::StatusOr<WriteFencedKeyStore::Freeze> WriteFencedKeyStore::FreezeWrites(
    absl::Duration timeout) {
  auto thawed = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !frozen_; };
  auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return running_writes_ == 0;
  };
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(&thawed));  // another freeze ends first
  frozen_ = true;
  if (!mu_.AwaitWithTimeout(absl::Condition(&idle), timeout)) {
    frozen_ = false;
    return absl::UnavailableError(absl::StrCat(
        "an HSM write has been running for more than ",
        absl::FormatDuration(timeout),
        "; the HSM's objects cannot be copied consistently now, retry later"));
  }
  return Freeze(this);
}

absl::StatusOr<KeyRef> WriteFencedKeyStore::GenerateKeyPair(
    absl::string_view label, KeyAlgorithm algorithm) {
  Write write(this);
  return KeyStoreWrapper::GenerateKeyPair(label, algorithm);
}

absl::Status WriteFencedKeyStore::Destroy(const KeyRef& key) {
  Write write(this);
  return KeyStoreWrapper::Destroy(key);
}

absl::StatusOr<std::string> WriteFencedKeyStore::WrapKey(
    const SecretBytes& data_key) {
  Write write(this);
  return KeyStoreWrapper::WrapKey(data_key);
}

absl::Status WriteFencedKeyStore::CreateKek(absl::string_view kek_label) {
  Write write(this);
  return KeyStoreWrapper::CreateKek(kek_label);
}

absl::Status WriteFencedKeyStore::WriteDataObject(absl::string_view label,
                                                  absl::string_view value) {
  Write write(this);
  return KeyStoreWrapper::WriteDataObject(label, value);
}

absl::StatusOr<KeyRef> WriteFencedKeyStore::GenerateKeyPairWithId(
    absl::string_view label, absl::string_view id, KeyAlgorithm algorithm) {
  Write write(this);
  return KeyStoreWrapper::GenerateKeyPairWithId(label, id, algorithm);
}

absl::StatusOr<std::string> WriteFencedKeyStore::ImportKeyPublicKey() {
  Write write(this);
  return KeyStoreWrapper::ImportKeyPublicKey();
}

absl::StatusOr<KeyRef> WriteFencedKeyStore::UnwrapKeyPairWithId(
    absl::string_view label, absl::string_view id, absl::string_view wrapped,
    absl::string_view public_key_der) {
  Write write(this);
  return KeyStoreWrapper::UnwrapKeyPairWithId(label, id, wrapped,
                                              public_key_der);
}

absl::Status WriteFencedKeyStore::CreateKekWithId(absl::string_view kek_label,
                                                  absl::string_view id) {
  Write write(this);
  return KeyStoreWrapper::CreateKekWithId(kek_label, id);
}

absl::Status WriteFencedKeyStore::DestroyKek(absl::string_view kek_label,
                                             absl::string_view id) {
  Write write(this);
  return KeyStoreWrapper::DestroyKek(kek_label, id);
}

}  // namespace sejf::hsm
