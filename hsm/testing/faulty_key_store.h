// A KeyStore wrapper that injects faults, for tests (after leveldb's
// fault-injection Env).
//
//   FaultyKeyStore faulty(&real_store);
//   faulty.FailNext(FaultyKeyStore::Operation::kSign, 3);  // UNAVAILABLE x3
//   faulty.RunBeforeNext(FaultyKeyStore::Operation::kSign, [&] {
//     module.functions().C_CloseAllSessions(slot);  // a real lost session
//   });
//
// Calls without a pending fault go to the target unchanged. An injected
// failure does not reach the target at all, so the target's state is as if
// the call never happened; an action runs just before the call reaches the
// target, so the target meets whatever the action did.
//
// Does not own the target, which must outlive the wrapper.
// Thread-safety: thread-safe if the target is; faults are consumed by
// whichever calls come first.
#ifndef SEJF_HSM_TESTING_FAULTY_KEY_STORE_H_
#define SEJF_HSM_TESTING_FAULTY_KEY_STORE_H_

#include <functional>
#include <map>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "hsm/key_store.h"

namespace sejf::hsm::testing {

class FaultyKeyStore : public KeyStoreWrapper {
 public:
  enum class Operation {
    kGenerateKeyPair,  // GenerateKeyPair and GenerateKeyPairWithId
    kFindKey,          // FindKeyById and FindKeyByLabel
    kPublicKey,
    kSign,
    kDestroy,
    kWrapKey,
    kUnwrapKey,
    kCreateKek,  // CreateKek and CreateKekWithId
    kDestroyKek,
  };

  explicit FaultyKeyStore(KeyStore* target) : KeyStoreWrapper(target) {}

  // The next `count` calls of `operation` answer `status` (not OK) without
  // reaching the target. Replaces what was pending for `operation`.
  void FailNext(Operation operation, int count,
                absl::Status status =
                    absl::UnavailableError("injected fault: CKR_DEVICE_ERROR"));

  // Runs `action` once, on the calling thread, just before the next call of
  // `operation` goes to the target (after pending failures are used up).
  void RunBeforeNext(Operation operation, std::function<void()> action);

  // Drops every pending fault and action.
  void Clear();

  // How many calls have been answered with an injected failure.
  int injected_failures() const;

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
  absl::StatusOr<KeyRef> GenerateKeyPairWithId(absl::string_view label,
                                               absl::string_view id,
                                               KeyAlgorithm algorithm) override;
  absl::Status CreateKekWithId(absl::string_view kek_label,
                               absl::string_view id) override;
  absl::Status DestroyKek(absl::string_view kek_label,
                          absl::string_view id) override;

 private:
  struct Failures {
    int remaining = 0;
    absl::Status status;
  };

  // The injected failure for this call of `operation`, if any; otherwise
  // runs the pending action (if any) and returns nullopt.
  std::optional<absl::Status> Before(Operation operation);

  mutable absl::Mutex mu_;
  std::map<Operation, Failures> failures_ ABSL_GUARDED_BY(mu_);
  std::map<Operation, std::function<void()>> actions_ ABSL_GUARDED_BY(mu_);
  int injected_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace sejf::hsm::testing

#endif  // SEJF_HSM_TESTING_FAULTY_KEY_STORE_H_
