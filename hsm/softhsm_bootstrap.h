// The embedded SoftHSM2 token of `sejfd --dev --data-dir DIR`
// (docs/architecture.md §7).
//
// Layout under DIR, created on first start and reused afterwards:
//
//   DIR/softhsm2.conf  0600  directories.tokendir = DIR/tokens
//                            objectstore.backend = file
//                            log.level = ERROR
//                            slots.removable = false
//   DIR/tokens/        0700  SoftHSM2's token store
//   DIR/hsm-pin        0600  the user PIN: 24 random characters [0-9A-Za-z]
//   DIR/hsm-so-pin     0600  the security officer PIN, same form
//
// The token is initialised through PKCS#11 itself (C_InitToken, then
// C_InitPIN as security officer), never by running softhsm2-util, so no PIN
// ever appears in a process's argv. PIN files are written atomically
// (WriteFileAtomically) before the token is initialised, so a start that
// dies half-way is completed by the next one:
//
//   PIN files written, no token yet      -> the token is created with them
//   token created, user PIN not yet set  -> C_InitPIN with the SO PIN file
//   token exists, DIR/hsm-pin missing    -> FAILED_PRECONDITION (the keys in
//                                           the token need that PIN; the
//                                           message says how to recover)
//
// DIR/softhsm2.conf names DIR's own token directory: a file sejfd wrote for
// another path (DIR moved, or restored from `sejf backup` elsewhere) is
// rewritten; one edited by hand (without sejfd's first line) is kept.
//
// One process per DIR at a time.
#ifndef SEJF_HSM_SOFTHSM_BOOTSTRAP_H_
#define SEJF_HSM_SOFTHSM_BOOTSTRAP_H_

#include <string>

#include "absl/status/statusor.h"
#include "hsm/token.h"

namespace sejf::hsm {

inline constexpr char kDefaultSoftHsmModule[] =
    "/usr/lib/softhsm/libsofthsm2.so";
inline constexpr char kSoftHsmConfigFile[] = "softhsm2.conf";
inline constexpr char kSoftHsmTokensDir[] = "tokens";
inline constexpr char kUserPinFile[] = "hsm-pin";
inline constexpr char kSoPinFile[] = "hsm-so-pin";

// The text of DIR/softhsm2.conf for the data directory `dir` (absolute,
// without line breaks): directories.tokendir = `dir`/tokens, as above. Also
// written by `sejf backup` for the copy (vault/backup/vault_backup.h).
std::string SoftHsmConfigText(const std::string& dir);

struct SoftHsmOptions {
  std::string data_dir;  // required; created (0700) if missing, not its parent
  std::string module_path = kDefaultSoftHsmModule;
  std::string token_label = "sejf";  // at most 32 bytes
};

// Creates (first run) or reuses (later runs) the SoftHSM2 token under
// `options.data_dir` as described above, sets SOFTHSM2_CONF for this
// process to DIR/softhsm2.conf (replacing any value it had), loads the
// module and checks that the user PIN in DIR/hsm-pin logs in.
//
// Returns the loaded module (this process's one C_Initialize of it: keep it
// for the life of the process, and do not load the SoftHSM2 module any other
// way), the token's current slot, and the user PIN.
//
// Errors name files, the label and the module, never a PIN:
//   INVALID_ARGUMENT     empty data_dir, or a label PKCS#11 cannot hold;
//   FAILED_PRECONDITION  DIR/tokens or a PIN file is accessible to group or
//                        others; the token exists but DIR/hsm-pin is
//                        missing; the user PIN must be set but DIR/hsm-so-pin
//                        is missing; the module is already loaded in this
//                        process; no free slot;
//   PERMISSION_DENIED    the token rejects a PIN from its file;
//   others               from the file system or the module.
//
// Preconditions: call it before any other thread is started (it calls
// setenv(), which is not safe while other threads may read the
// environment), and before anything else in the process loads SoftHSM2.
absl::StatusOr<OpenedToken> EnsureSoftHsmToken(const SoftHsmOptions& options);

}  // namespace sejf::hsm

#endif  // SEJF_HSM_SOFTHSM_BOOTSTRAP_H_
