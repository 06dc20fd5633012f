// A KeyStore that counts every HSM call: by operation and outcome, and how
// long it took (docs/metrics.md, "HSM"). Wraps the BoundedKeyStore in
// sejfd, so a duration includes the wait for a free worker and a call cut
// off by the deadline counts as UNAVAILABLE.
//
//   sejf_hsm_operations_total{operation="Sign",code="OK"}
//   sejf_hsm_operation_duration_seconds{operation="Sign"}  (histogram)
//
// Operation names are the KeyStore method names (a fixed set). Nothing of
// a call's arguments or results reaches a label.
//
// Does not own `target` (which must outlive this) or `registry` (which
// must outlive this). Thread-safety: thread-safe if the target is.
#ifndef SEJF_HSM_METERED_KEY_STORE_H_
#define SEJF_HSM_METERED_KEY_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/metrics/metrics.h"
#include "hsm/key_store.h"

namespace sejf::hsm {

class MeteredKeyStore : public KeyStoreWrapper {
 public:
  MeteredKeyStore(KeyStore* target, metrics::Registry* registry);

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

 private:
  template <typename Call>
  auto Count(absl::string_view operation, Call&& call);

  metrics::CounterFamily& operations_;
  metrics::HistogramFamily& durations_;
};

}  // namespace sejf::hsm

#endif  // SEJF_HSM_METERED_KEY_STORE_H_
