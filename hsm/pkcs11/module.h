// A loaded and initialised PKCS#11 module (a "Cryptoki library").
//
//   ASSIGN_OR_RETURN(std::shared_ptr<Module> module,
//                    Module::Load("/usr/lib/softhsm/libsofthsm2.so"));
//   ASSIGN_OR_RETURN(CK_SLOT_ID slot, module->FindTokenSlot("sejf"));
//   ASSIGN_OR_RETURN(Session session, Session::Open(module, slot, ...));
//
// PKCS#11 allows one C_Initialize per module per process, and everything in
// the process shares that initialisation (login state included). A Module is
// that one initialisation: Load() does dlopen + C_GetFunctionList +
// C_Initialize(CKF_OS_LOCKING_OK); the destructor does C_Finalize + dlclose.
// Share it through the shared_ptr; every Session holds a reference, so the
// module is finalised only after its last session is closed.
//
// Thread-safety: thread-safe. After Load() a Module is immutable; the module
// was initialised with CKF_OS_LOCKING_OK, so its functions may be called from
// several threads (each PKCS#11 session by one thread at a time, see
// session.h). Load() may be called from any thread.
//
// Do not fork() after Load(): a child inherits a module it may not use.
#ifndef SEJF_HSM_PKCS11_MODULE_H_
#define SEJF_HSM_PKCS11_MODULE_H_

#include <p11-kit/pkcs11.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sejf::hsm::pkcs11 {

class Module {
 public:
  // A slot with a token in it, as C_GetTokenInfo describes it.
  struct Token {
    CK_SLOT_ID slot = 0;
    std::string label;   // without the space padding
    std::string serial;  // without the space padding
    CK_FLAGS flags = 0;  // CKF_TOKEN_INITIALIZED, CKF_USER_PIN_INITIALIZED...

    bool initialized() const { return (flags & CKF_TOKEN_INITIALIZED) != 0; }
  };

  // Loads the module at `module_path` (RTLD_NOW | RTLD_LOCAL) and initialises
  // it with CKF_OS_LOCKING_OK.
  //
  // Errors, each naming the path:
  //   NOT_FOUND            a path (containing '/') that does not exist;
  //   FAILED_PRECONDITION  dlopen fails (dlerror() quoted), the library has
  //                        no C_GetFunctionList, this process already holds
  //                        a Module for the same library (share it instead),
  //                        or someone else in the process already called
  //                        C_Initialize (CKR_CRYPTOKI_ALREADY_INITIALIZED:
  //                        e.g. libp11 or an OpenSSL engine; sejf must be the
  //                        module's only user);
  //   other                C_GetFunctionList / C_Initialize failures, mapped
  //                        by CkRvToStatus. SoftHSM2 reports an unreadable
  //                        SOFTHSM2_CONF here (usually CKR_GENERAL_ERROR).
  static absl::StatusOr<std::shared_ptr<Module>> Load(
      const std::string& module_path);

  // C_Finalize, then dlclose. Every Session must be gone (they hold
  // references, so this holds by construction).
  ~Module();

  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The module's function table, valid for the Module's lifetime. Callers
  // pass every CK_RV it returns through CkRvToStatus.
  const CK_FUNCTION_LIST& functions() const { return *functions_; }

  // The path Load() was given.
  const std::string& path() const { return path_; }

  // Every slot that has a token (C_GetSlotList with tokenPresent = TRUE),
  // initialised or not, in the module's slot order. Slots whose token goes
  // away while they are being listed are left out.
  absl::StatusOr<std::vector<Token>> ListTokens() const;

  // The slot holding the initialised token labelled `label`. Slot ids are
  // not stable (SoftHSM2 re-assigns them when tokens are created), so look a
  // token up by label each time the module is loaded.
  //
  // Errors: INVALID_ARGUMENT for a label PKCS#11 cannot hold (see
  // PadTokenLabel); NOT_FOUND naming the label and the module and listing the
  // labels that are present; FAILED_PRECONDITION when two or more tokens
  // carry the label (which one to use would be a guess).
  absl::StatusOr<CK_SLOT_ID> FindTokenSlot(absl::string_view label) const;

 private:
  Module(std::string path, void* library, CK_FUNCTION_LIST* functions);

  const std::string path_;
  void* const library_;                // from dlopen; owned
  CK_FUNCTION_LIST* const functions_;  // owned by the library
};

}  // namespace sejf::hsm::pkcs11

#endif  // SEJF_HSM_PKCS11_MODULE_H_
