// An opened PKCS#11 token: the production path to the HSM.
//
//   ASSIGN_OR_RETURN(OpenedToken token,
//                    OpenToken("/usr/lib/x86_64-linux-gnu/pkcs11/some.so",
//                              "sejf", "/etc/sejf/hsm-pin"));
//
// Thread-safety: OpenToken and CheckUserLogin are thread-safe as far as
// Module::Load is (see pkcs11/module.h). An OpenedToken is a plain struct:
// safe to read from several threads, not to modify concurrently.
#ifndef SEJF_HSM_TOKEN_H_
#define SEJF_HSM_TOKEN_H_

#include <p11-kit/pkcs11.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret.h"
#include "hsm/pkcs11/module.h"

namespace sejf::hsm {

// What the key store needs to work with a token: the process's one
// initialisation of the module, where the token is now, and the user PIN to
// log in again after the token forgets the login (when the last session
// closes, or after a device error).
struct OpenedToken {
  std::shared_ptr<pkcs11::Module> module;
  CK_SLOT_ID slot = 0;  // valid for this Module only; tokens move
  std::string label;
  SecretBytes user_pin;
};

// Checks that the token in `slot` accepts `pin` for CKU_USER: opens a
// read-only session, logs in, closes the session. No session stays open
// (the token is logged out again unless other sessions are open).
// Errors: PERMISSION_DENIED for a wrong or locked PIN, FAILED_PRECONDITION
// when the token's user PIN was never set, others per CkRvToStatus. The
// message names the call, not the PIN.
absl::Status CheckUserLogin(std::shared_ptr<const pkcs11::Module> module,
                            CK_SLOT_ID slot, const SecretBytes& pin);

// Loads the PKCS#11 module at `module_path`, finds the token labelled
// `token_label` and checks that the user PIN read from `pin_file` (with
// ReadSecretFile: mode 0600 or stricter, one trailing newline ignored) logs
// in. The returned Module is this process's only initialisation of that
// library: keep it for the life of the process.
//
// Errors name the module path, the label or the PIN file, never the PIN:
// those of ReadSecretFile (NOT_FOUND, FAILED_PRECONDITION for a file others
// may read), Module::Load, Module::FindTokenSlot (NOT_FOUND), and
// CheckUserLogin (PERMISSION_DENIED when the token rejects the PIN).
absl::StatusOr<OpenedToken> OpenToken(const std::string& module_path,
                                      absl::string_view token_label,
                                      const std::string& pin_file);

}  // namespace sejf::hsm

#endif  // SEJF_HSM_TOKEN_H_
