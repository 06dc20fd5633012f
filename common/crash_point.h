// Named crash points: test hooks that kill sejfd at a chosen step of an
// operation whose steps must survive a crash (DEK, KEK and token rotation,
// key generation and destruction), so that end-to-end tests can check what a
// restart finds (tests/crash_points_e2e_test.cc, docs/reliability.md).
//
//   SEJF_CRASH_POINT(crash_points::kKeyGenerateAfterHsmCreate);
//
// A point fires only when it is armed: sejfd arms at most one, the name in
// the environment variable SEJF_CRASH_POINT, read once at start by
// ArmCrashPointFromEnvironment, and ONLY in development mode (--dev). A
// production sejfd never arms one: it logs a warning naming the variable and
// goes on (so a variable left in a service's environment is no foot-gun). An
// armed point, when reached, writes one line to stderr ("sejfd: crash point
// NAME reached; killing the process") and raises SIGKILL: the process dies
// as under kill -9, with no destructor, flush or shutdown step run.
//
// Cost when nothing is armed: one relaxed atomic load of a pointer per
// point reached.
//
// Thread-safety: arming happens once at start, before any thread that may
// reach a point; reaching a point is safe from any thread.
#ifndef SEJF_COMMON_CRASH_POINT_H_
#define SEJF_COMMON_CRASH_POINT_H_

#include <atomic>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace sejf {

// The environment variable naming the point to arm (with --dev only).
inline constexpr char kCrashPointVariable[] = "SEJF_CRASH_POINT";

// Every crash point, one per step that matters. Each comment says what is
// durable when the point fires.
namespace crash_points {

// --- Data-key (DEK) rotation: vault::Keyring::Rotate, then re-sealing ---
// The new DEK is made and wrapped under the KEK; the keyring record is not
// yet written (the rotation never happened).
inline constexpr char kDekRotationBeforeCommit[] = "dek_rotation.before_commit";
// The keyring record with the new current DEK is committed; no record is
// re-sealed yet (the next start re-seals in the background).
inline constexpr char kDekRotationAfterCommit[] = "dek_rotation.after_commit";
// A re-seal batch has re-sealed its records in its transaction, not yet
// committed.
inline constexpr char kResealBeforeBatchCommit[] = "reseal.before_batch_commit";
// A re-seal batch is committed (records under the new DEK, counters moved).
inline constexpr char kResealAfterBatchCommit[] = "reseal.after_batch_commit";

// --- Key-encryption key (KEK) rotation: vault::Keyring::RotateKek ---
// The new KEK's label and id are recorded as pending; it is not created.
inline constexpr char kKekRotationAfterPendingRecorded[] =
    "kek_rotation.after_pending_recorded";
// The new KEK exists in the HSM (recorded as pending); no DEK is wrapped
// under it.
inline constexpr char kKekRotationAfterKekCreated[] =
    "kek_rotation.after_kek_created";
// The DEKs re-wrapped under the new KEK are committed and the old KEK is
// listed as retired; it is still in the HSM.
inline constexpr char kKekRotationAfterCommit[] = "kek_rotation.after_commit";
// The retired KEK is destroyed in the HSM; the record still lists it.
inline constexpr char kKekRotationAfterOldKekDestroyed[] =
    "kek_rotation.after_old_kek_destroyed";

// --- Token rotation: vault::TokenVault::Rotate ---
// The new secret is sealed and written in the transaction, not committed.
inline constexpr char kTokenRotationBeforeCommit[] =
    "token_rotation.before_commit";
// The new version is committed; the caller has no answer yet.
inline constexpr char kTokenRotationAfterCommit[] =
    "token_rotation.after_commit";

// --- Key generation: signer::KeyCustody::Generate ---
// The key intent (name, CKA_ID, label) is committed; nothing in the HSM.
inline constexpr char kKeyGenerateAfterIntent[] = "key_generate.after_intent";
// The key pair exists in the HSM under the intent's id; no key record: the
// orphan `sejf vault check` reports.
inline constexpr char kKeyGenerateAfterHsmCreate[] =
    "key_generate.after_hsm_create";
// The key record is committed and the intent deleted.
inline constexpr char kKeyGenerateAfterCommit[] = "key_generate.after_commit";

// --- Key destruction: signer::KeyCustody::Destroy ---
// The key pair is gone from the HSM; the record still says active.
inline constexpr char kKeyDestroyAfterHsmDestroy[] =
    "key_destroy.after_hsm_destroy";
// The record says destroyed.
inline constexpr char kKeyDestroyAfterCommit[] = "key_destroy.after_commit";

}  // namespace crash_points

// Every name above, in the order listed.
absl::Span<const absl::string_view> AllCrashPoints();

// Arms the point named by SEJF_CRASH_POINT when `dev_mode`. Returns the name
// armed (empty when none). INVALID_ARGUMENT, naming the known points, when
// the variable names no crash point (a typo would otherwise test nothing).
// When !dev_mode a set variable is ignored (nothing is armed) and
// `*ignored` is set to true so the caller can warn; `ignored` may be null.
absl::StatusOr<std::string> ArmCrashPointFromEnvironment(bool dev_mode,
                                                         bool* ignored);

namespace crash_point_internal {

// The armed name (static storage), or null.
inline std::atomic<const char*> armed{nullptr};

// Kills the process if `name` is the armed point.
void ReachedArmed(const char* armed_name, absl::string_view name);

}  // namespace crash_point_internal

// The hook. `name` is one of crash_points::k*.
inline void CrashPoint(absl::string_view name) {
  const char* armed =
      crash_point_internal::armed.load(std::memory_order_relaxed);
  if (armed != nullptr) crash_point_internal::ReachedArmed(armed, name);
}

}  // namespace sejf

#define SEJF_CRASH_POINT(name) ::sejf::CrashPoint(::sejf::name)

#endif  // SEJF_COMMON_CRASH_POINT_H_
