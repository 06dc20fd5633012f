// Cheap checks that a Storage works, for sejfd's /readyz (docs/metrics.md).
//
// ProbeRead: a read-only transaction reads one record (which need not
// exist) — the database is reachable. ProbeWrite: a read-write transaction
// inserts a record of kind kProbeKind, deletes it and commits — the
// database accepts writes (the audit log's appends go the same way), and
// nothing is left behind. Both return the storage's error (UNAVAILABLE,
// RESOURCE_EXHAUSTED, …) when it fails; ProbeWrite treats ABORTED (another
// writer won a race) as OK: the storage did take a write.
//
// Thread-safety: as Storage (thread-safe).
#ifndef SEJF_VAULT_STORAGE_STORAGE_PROBE_H_
#define SEJF_VAULT_STORAGE_STORAGE_PROBE_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "vault/storage/storage.h"

namespace sejf::vault {

inline constexpr absl::string_view kProbeKind = "readyz_probe";

absl::Status ProbeRead(Storage& storage);
absl::Status ProbeWrite(Storage& storage);

}  // namespace sejf::vault

#endif  // SEJF_VAULT_STORAGE_STORAGE_PROBE_H_
