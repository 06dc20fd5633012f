// The one mapping from PKCS#11 return values (CK_RV) to absl::Status.
//
// Every PKCS#11 call in sejf goes through CkRvToStatus, so callers (the key
// store, the server's Status -> gRPC mapping) can act on a Status code
// without knowing PKCS#11:
//
//   code                 CK_RV (examples; the full table is in ck_rv.cc)
//   UNAVAILABLE          device, token and session trouble that reopening a
//                        session, logging in again or retrying may heal:
//                        CKR_DEVICE_ERROR, CKR_DEVICE_REMOVED,
//                        CKR_TOKEN_NOT_PRESENT, CKR_SESSION_HANDLE_INVALID,
//                        CKR_SESSION_CLOSED, CKR_USER_NOT_LOGGED_IN,
//                        CKR_CRYPTOKI_NOT_INITIALIZED, CKR_SLOT_ID_INVALID
//   PERMISSION_DENIED    CKR_PIN_INCORRECT, CKR_PIN_LOCKED
//   INVALID_ARGUMENT     bad arguments, templates, mechanisms, data lengths
//   NOT_FOUND            CKR_KEY_HANDLE_INVALID, CKR_OBJECT_HANDLE_INVALID
//   RESOURCE_EXHAUSTED   CKR_HOST_MEMORY, CKR_DEVICE_MEMORY,
//                        CKR_BUFFER_TOO_SMALL, CKR_SESSION_COUNT
//   FAILED_PRECONDITION  the token or session is in the wrong state:
//                        CKR_USER_PIN_NOT_INITIALIZED, CKR_SESSION_READ_ONLY,
//                        CKR_TOKEN_WRITE_PROTECTED, CKR_OPERATION_ACTIVE,
//                        CKR_CRYPTOKI_ALREADY_INITIALIZED, ...
//   UNIMPLEMENTED        CKR_FUNCTION_NOT_SUPPORTED
//   INTERNAL             everything else (CKR_GENERAL_ERROR,
//                        CKR_FUNCTION_FAILED, vendor-defined values, ...)
//
// Messages are "<what>: <CKR name>", e.g. "C_Login: CKR_PIN_INCORRECT".
// Callers add context (module path, token label, file names) with
// absl::Status wrapping; no secret ever goes into `what`.
//
// Thread-safety: both functions are pure and thread-safe.
#ifndef SEJF_HSM_PKCS11_CK_RV_H_
#define SEJF_HSM_PKCS11_CK_RV_H_

#include <p11-kit/pkcs11.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sejf::hsm::pkcs11 {

// OK for CKR_OK; otherwise a Status with the code above and the message
// "<what>: <CkRvName(rv)>". `what` names the call, e.g. "C_Login".
absl::Status CkRvToStatus(CK_RV rv, absl::string_view what);

// The symbolic name, e.g. "CKR_PIN_INCORRECT". Vendor-defined values read
// "CKR_VENDOR_DEFINED+0x<hex>", other unknown values "CKR_0x<hex>".
std::string CkRvName(CK_RV rv);

}  // namespace sejf::hsm::pkcs11

#endif  // SEJF_HSM_PKCS11_CK_RV_H_
