// A KeyStore whose every HSM call is bounded by a deadline: the calls run on
// a CallPool (call_pool.h) of worker threads, so a hung HSM (a C_Sign that
// never returns) answers UNAVAILABLE after `call_timeout` instead of holding
// the caller — a gRPC server thread — forever, and hung calls can occupy at
// most the pool's workers, never all of `[server] max_threads`.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<BoundedKeyStore> keys,
//                    BoundedKeyStore::Create(pkcs11_store.get(), options));
//
// Contract (beyond KeyStore's): every call except DefaultKekLabel and KekUri
// (which touch no device) may also answer UNAVAILABLE when
//   - it did not return within call_timeout ("did not return within": the
//     call may still complete later, with its effect, as any UNAVAILABLE of
//     a KeyStore allows; a generate or destroy should be looked up before it
//     is repeated);
//   - it could not start within call_timeout ("did not start": nothing
//     happened);
//   - every worker is stuck in such a call ("refused": at once, nothing
//     happened).
// A worker whose call finally returns serves again: no restart is needed
// when the HSM recovers. Arguments are copied for the worker (secrets into
// zeroing memory), so a caller that gave up leaves nothing dangling.
//
// Does not own `target`, which must outlive the BoundedKeyStore (whose
// destructor waits for calls still running in the target).
// Thread-safety: thread-safe if the target is.
#ifndef SEJF_HSM_BOUNDED_KEY_STORE_H_
#define SEJF_HSM_BOUNDED_KEY_STORE_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hsm/call_pool.h"
#include "hsm/key_store.h"

namespace sejf::hsm {

class BoundedKeyStore : public KeyStoreWrapper {
 public:
  // `target` must not be null. Errors: those of CallPool::Create.
  static absl::StatusOr<std::unique_ptr<BoundedKeyStore>> Create(
      KeyStore* target, CallPoolOptions options);

  absl::StatusOr<KeyRef> GenerateKeyPair(absl::string_view label,
                                         KeyAlgorithm algorithm) override;
  absl::StatusOr<KeyRef> FindKeyById(absl::string_view id) override;
  absl::StatusOr<KeyRef> FindKeyByLabel(absl::string_view label) override;
  absl::StatusOr<std::string> PublicKey(const KeyRef& key) override;
  absl::StatusOr<std::string> Sign(const KeyRef& key, SignatureScheme scheme,
                                   absl::string_view data) override;
  absl::Status Destroy(const KeyRef& key) override;
  absl::StatusOr<std::string> WrapKey(const SecretBytes& data_key) override;
  absl::StatusOr<SecretBytes> UnwrapKey(absl::string_view wrapped) override;
  absl::Status CreateKek(absl::string_view kek_label) override;
  absl::StatusOr<std::string> WrapKeyWith(absl::string_view kek_label,
                                          const SecretBytes& data_key) override;
  absl::StatusOr<SecretBytes> UnwrapKeyWith(absl::string_view kek_label,
                                            absl::string_view wrapped) override;
  absl::StatusOr<std::optional<std::string>> ReadDataObject(
      absl::string_view label) override;
  absl::Status WriteDataObject(absl::string_view label,
                               absl::string_view value) override;
  absl::StatusOr<KeyRef> GenerateKeyPairWithId(absl::string_view label,
                                               absl::string_view id,
                                               KeyAlgorithm algorithm) override;
  absl::Status CreateKekWithId(absl::string_view kek_label,
                               absl::string_view id) override;
  absl::StatusOr<std::string> KekId(absl::string_view kek_label) override;
  absl::StatusOr<std::vector<KeyObject>> ListKeyObjects() override;
  absl::StatusOr<std::string> ImportKeyPublicKey() override;
  absl::StatusOr<SecretBytes> DecryptWithImportKey(
      absl::string_view ciphertext) override;
  absl::StatusOr<KeyRef> UnwrapKeyPairWithId(
      absl::string_view label, absl::string_view id, absl::string_view wrapped,
      absl::string_view public_key_der) override;
  absl::Status DestroyKek(absl::string_view kek_label,
                          absl::string_view id) override;

  const CallPool& pool() const { return *pool_; }

 private:
  BoundedKeyStore(KeyStore* target, std::unique_ptr<CallPool> pool)
      : KeyStoreWrapper(target), pool_(std::move(pool)) {}

  const std::unique_ptr<CallPool> pool_;
};

}  // namespace sejf::hsm

#endif  // SEJF_HSM_BOUNDED_KEY_STORE_H_
