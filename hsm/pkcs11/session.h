// A PKCS#11 session: the move-only owner of one CK_SESSION_HANDLE.
//
//   ASSIGN_OR_RETURN(Session session,
//                    Session::Open(module, slot, Session::Access::kReadWrite));
//   RETURN_IF_ERROR(session.Login(CKU_USER, pin));
//   ... session.functions().C_SignInit(session.handle(), ...) ...
//
// The session is closed (C_CloseSession) when the object is destroyed or
// assigned over. It holds a reference to its Module, so the module stays
// initialised for as long as any session is open.
//
// Login state belongs to the application and token, not to the session:
// logging in on one session logs in every session of the process on that
// token, and closing the last session on the token logs the user out.
//
// Thread-safety: not thread-safe. A session serves one thread at a time (one
// PKCS#11 operation at a time); it may be moved between threads. Different
// sessions may be used concurrently.
#ifndef SEJF_HSM_PKCS11_SESSION_H_
#define SEJF_HSM_PKCS11_SESSION_H_

#include <p11-kit/pkcs11.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/secret.h"
#include "hsm/pkcs11/module.h"

namespace sejf::hsm::pkcs11 {

class Session {
 public:
  enum class Access {
    kReadOnly,   // CKF_SERIAL_SESSION
    kReadWrite,  // CKF_SERIAL_SESSION | CKF_RW_SESSION (needed to create
                 // token objects and for a security officer login)
  };

  // C_OpenSession on `slot` of `module` (must not be null). Errors are
  // CkRvToStatus("C_OpenSession") of the module's answer, e.g. UNAVAILABLE
  // when the token is gone, RESOURCE_EXHAUSTED at CKR_SESSION_COUNT.
  static absl::StatusOr<Session> Open(std::shared_ptr<const Module> module,
                                      CK_SLOT_ID slot, Access access);

  // Leaves `other` closed (is_open() false).
  Session(Session&& other) noexcept;
  Session& operator=(Session&& other) noexcept;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Closes the session; a failure is ignored (use Close() to see it).
  ~Session();

  // C_Login as `user_type` (CKU_USER or CKU_SO) with `pin`. The PIN is
  // passed to the module and not kept or copied. CKR_USER_ALREADY_LOGGED_IN
  // counts as success. Errors: PERMISSION_DENIED for a wrong or locked PIN,
  // FAILED_PRECONDITION when the session is closed or another user type is
  // logged in, others per CkRvToStatus("C_Login"). The message never
  // contains the PIN.
  absl::Status Login(CK_USER_TYPE user_type, const SecretBytes& pin);

  // C_Logout; CKR_USER_NOT_LOGGED_IN counts as success.
  absl::Status Logout();

  // C_CloseSession now, reporting its result. Afterwards is_open() is false,
  // whatever the result.
  absl::Status Close();

  bool is_open() const { return handle_ != CK_INVALID_HANDLE; }

  // Preconditions for the accessors below: is_open().
  CK_SESSION_HANDLE handle() const { return handle_; }
  CK_SLOT_ID slot() const { return slot_; }
  const Module& module() const { return *module_; }
  const CK_FUNCTION_LIST& functions() const { return module_->functions(); }

 private:
  Session(std::shared_ptr<const Module> module, CK_SLOT_ID slot,
          CK_SESSION_HANDLE handle);

  std::shared_ptr<const Module> module_;
  CK_SLOT_ID slot_ = 0;
  CK_SESSION_HANDLE handle_ = CK_INVALID_HANDLE;
};

}  // namespace sejf::hsm::pkcs11

#endif  // SEJF_HSM_PKCS11_SESSION_H_
