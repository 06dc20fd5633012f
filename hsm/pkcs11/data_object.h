// Data objects on a PKCS#11 token: small named values that only a
// logged-in user can read or write (KeyStore::ReadDataObject and
// WriteDataObject; the audit log keeps its anchor in one).
//
// Each value is one CKO_DATA object with
//   CKA_TOKEN=TRUE       persists in the token
//   CKA_PRIVATE=TRUE     invisible and untouchable without the user PIN
//   CKA_MODIFIABLE=TRUE  so the label can change (below)
//   CKA_APPLICATION="sejf", CKA_LABEL=<label>, CKA_VALUE=<value>
// PKCS#11 lets a token refuse changes to a data object's CKA_VALUE (SoftHSM2
// does: CKR_ATTRIBUTE_READ_ONLY), so a write replaces the object, in three
// steps that leave a readable value at every point:
//   1. C_CreateObject with the new value, labelled <label>~new;
//   2. C_DestroyObject of the old object labelled <label>;
//   3. C_SetAttributeValue(CKA_LABEL=<label>) on the new one.
// A read takes <label>, else <label>~new (stopped after step 2); so after a
// crash it returns the old value (before 2) or the new one (after 2). The
// next write tidies up what a stopped write left. Pkcs11KeyStore runs reads
// and writes of data objects one at a time, so within a process a read
// never sees a write half done. A read racing a write of another process
// searches again when the object it found is destroyed under it, but may
// still fail (SoftHSM2 answers CKR_GENERAL_ERROR or shows both objects for
// a moment): read while the writer (sejfd) is stopped, or retry.
// `pkcs11-tool --login --list-objects --type data` lists them and
// `--read-object --type data --label LABEL` prints a value.
//
// Thread-safety: functions are thread-safe as far as the lease is used by
// one thread at a time (see session_pool.h). Two processes writing the same
// label at once are not serialised (sejfd is the only writer).
#ifndef SEJF_HSM_PKCS11_DATA_OBJECT_H_
#define SEJF_HSM_PKCS11_DATA_OBJECT_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hsm/pkcs11/session_pool.h"

namespace sejf::hsm::pkcs11 {

// CKA_APPLICATION of the data objects sejf makes.
inline constexpr absl::string_view kDataObjectApplication = "sejf";
// The label suffix of a value being written (steps above).
inline constexpr absl::string_view kDataObjectPendingSuffix = "~new";

// The CKA_VALUE of the data object labelled `label` (C_FindObjects,
// C_GetAttributeValue); nullopt when there is none. FAILED_PRECONDITION
// when several objects carry the label; CK_RV errors otherwise.
absl::StatusOr<std::optional<std::string>> ReadDataObjectOn(
    SessionPool::Lease& lease, absl::string_view label);

// Sets the value of the data object labelled `label`, creating it if need
// be (steps above). Same errors as ReadDataObjectOn.
absl::Status WriteDataObjectOn(SessionPool::Lease& lease,
                               absl::string_view label,
                               absl::string_view value);

}  // namespace sejf::hsm::pkcs11

#endif  // SEJF_HSM_PKCS11_DATA_OBJECT_H_
