#include "hsm/pkcs11/ck_rv.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace sejf::hsm::pkcs11 {
namespace {

using Code = absl::StatusCode;

struct Entry {
  CK_RV rv;
  const char* name;
  Code code;
};

#define SEJF_CKR(name, code) \
  { name, #name, Code::code }

// One row per CK_RV of PKCS#11 2.40 (as <p11-kit/pkcs11.h> defines them).
constexpr Entry kTable[] = {
    SEJF_CKR(CKR_OK, kOk),
    SEJF_CKR(CKR_CANCEL, kInternal),
    SEJF_CKR(CKR_HOST_MEMORY, kResourceExhausted),
    // Slot ids are looked up by token label; an id that went away means the
    // token did.
    SEJF_CKR(CKR_SLOT_ID_INVALID, kUnavailable),
    SEJF_CKR(CKR_GENERAL_ERROR, kInternal),
    SEJF_CKR(CKR_FUNCTION_FAILED, kInternal),
    SEJF_CKR(CKR_ARGUMENTS_BAD, kInvalidArgument),
    SEJF_CKR(CKR_NO_EVENT, kInternal),
    SEJF_CKR(CKR_NEED_TO_CREATE_THREADS, kFailedPrecondition),
    SEJF_CKR(CKR_CANT_LOCK, kFailedPrecondition),
    SEJF_CKR(CKR_ATTRIBUTE_READ_ONLY, kInvalidArgument),
    // Our code never asks for a sensitive value; if it does, that is a bug,
    // not the caller's lack of permission.
    SEJF_CKR(CKR_ATTRIBUTE_SENSITIVE, kInternal),
    SEJF_CKR(CKR_ATTRIBUTE_TYPE_INVALID, kInvalidArgument),
    SEJF_CKR(CKR_ATTRIBUTE_VALUE_INVALID, kInvalidArgument),
    SEJF_CKR(CKR_ACTION_PROHIBITED, kInternal),
    SEJF_CKR(CKR_DATA_INVALID, kInvalidArgument),
    SEJF_CKR(CKR_DATA_LEN_RANGE, kInvalidArgument),
    SEJF_CKR(CKR_DEVICE_ERROR, kUnavailable),
    SEJF_CKR(CKR_DEVICE_MEMORY, kResourceExhausted),
    SEJF_CKR(CKR_DEVICE_REMOVED, kUnavailable),
    SEJF_CKR(CKR_ENCRYPTED_DATA_INVALID, kInvalidArgument),
    SEJF_CKR(CKR_ENCRYPTED_DATA_LEN_RANGE, kInvalidArgument),
    SEJF_CKR(CKR_FUNCTION_CANCELED, kUnavailable),
    SEJF_CKR(CKR_FUNCTION_NOT_PARALLEL, kInternal),
    SEJF_CKR(CKR_FUNCTION_NOT_SUPPORTED, kUnimplemented),
    SEJF_CKR(CKR_KEY_HANDLE_INVALID, kNotFound),
    SEJF_CKR(CKR_KEY_SIZE_RANGE, kInvalidArgument),
    SEJF_CKR(CKR_KEY_TYPE_INCONSISTENT, kInvalidArgument),
    SEJF_CKR(CKR_KEY_NOT_NEEDED, kInvalidArgument),
    SEJF_CKR(CKR_KEY_CHANGED, kFailedPrecondition),
    SEJF_CKR(CKR_KEY_NEEDED, kFailedPrecondition),
    SEJF_CKR(CKR_KEY_INDIGESTIBLE, kInvalidArgument),
    SEJF_CKR(CKR_KEY_FUNCTION_NOT_PERMITTED, kInvalidArgument),
    SEJF_CKR(CKR_KEY_NOT_WRAPPABLE, kInvalidArgument),
    SEJF_CKR(CKR_KEY_UNEXTRACTABLE, kInternal),
    SEJF_CKR(CKR_MECHANISM_INVALID, kInvalidArgument),
    SEJF_CKR(CKR_MECHANISM_PARAM_INVALID, kInvalidArgument),
    SEJF_CKR(CKR_OBJECT_HANDLE_INVALID, kNotFound),
    SEJF_CKR(CKR_OPERATION_ACTIVE, kFailedPrecondition),
    SEJF_CKR(CKR_OPERATION_NOT_INITIALIZED, kFailedPrecondition),
    SEJF_CKR(CKR_PIN_INCORRECT, kPermissionDenied),
    SEJF_CKR(CKR_PIN_INVALID, kInvalidArgument),
    SEJF_CKR(CKR_PIN_LEN_RANGE, kInvalidArgument),
    SEJF_CKR(CKR_PIN_EXPIRED, kFailedPrecondition),
    SEJF_CKR(CKR_PIN_LOCKED, kPermissionDenied),
    SEJF_CKR(CKR_SESSION_CLOSED, kUnavailable),
    SEJF_CKR(CKR_SESSION_COUNT, kResourceExhausted),
    SEJF_CKR(CKR_SESSION_HANDLE_INVALID, kUnavailable),
    SEJF_CKR(CKR_SESSION_PARALLEL_NOT_SUPPORTED, kInvalidArgument),
    SEJF_CKR(CKR_SESSION_READ_ONLY, kFailedPrecondition),
    SEJF_CKR(CKR_SESSION_EXISTS, kFailedPrecondition),
    SEJF_CKR(CKR_SESSION_READ_ONLY_EXISTS, kFailedPrecondition),
    SEJF_CKR(CKR_SESSION_READ_WRITE_SO_EXISTS, kFailedPrecondition),
    SEJF_CKR(CKR_SIGNATURE_INVALID, kInvalidArgument),
    SEJF_CKR(CKR_SIGNATURE_LEN_RANGE, kInvalidArgument),
    SEJF_CKR(CKR_TEMPLATE_INCOMPLETE, kInvalidArgument),
    SEJF_CKR(CKR_TEMPLATE_INCONSISTENT, kInvalidArgument),
    SEJF_CKR(CKR_TOKEN_NOT_PRESENT, kUnavailable),
    SEJF_CKR(CKR_TOKEN_NOT_RECOGNIZED, kUnavailable),
    SEJF_CKR(CKR_TOKEN_WRITE_PROTECTED, kFailedPrecondition),
    SEJF_CKR(CKR_UNWRAPPING_KEY_HANDLE_INVALID, kNotFound),
    SEJF_CKR(CKR_UNWRAPPING_KEY_SIZE_RANGE, kInvalidArgument),
    SEJF_CKR(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT, kInvalidArgument),
    // Session::Login treats this one as success; elsewhere it is a state
    // error.
    SEJF_CKR(CKR_USER_ALREADY_LOGGED_IN, kFailedPrecondition),
    SEJF_CKR(CKR_USER_NOT_LOGGED_IN, kUnavailable),
    SEJF_CKR(CKR_USER_PIN_NOT_INITIALIZED, kFailedPrecondition),
    SEJF_CKR(CKR_USER_TYPE_INVALID, kInvalidArgument),
    SEJF_CKR(CKR_USER_ANOTHER_ALREADY_LOGGED_IN, kFailedPrecondition),
    SEJF_CKR(CKR_USER_TOO_MANY_TYPES, kFailedPrecondition),
    SEJF_CKR(CKR_WRAPPED_KEY_INVALID, kInvalidArgument),
    SEJF_CKR(CKR_WRAPPED_KEY_LEN_RANGE, kInvalidArgument),
    SEJF_CKR(CKR_WRAPPING_KEY_HANDLE_INVALID, kNotFound),
    SEJF_CKR(CKR_WRAPPING_KEY_SIZE_RANGE, kInvalidArgument),
    SEJF_CKR(CKR_WRAPPING_KEY_TYPE_INCONSISTENT, kInvalidArgument),
    SEJF_CKR(CKR_RANDOM_SEED_NOT_SUPPORTED, kUnimplemented),
    SEJF_CKR(CKR_RANDOM_NO_RNG, kUnimplemented),
    SEJF_CKR(CKR_DOMAIN_PARAMS_INVALID, kInvalidArgument),
    SEJF_CKR(CKR_CURVE_NOT_SUPPORTED, kInvalidArgument),
    SEJF_CKR(CKR_BUFFER_TOO_SMALL, kResourceExhausted),
    SEJF_CKR(CKR_SAVED_STATE_INVALID, kInvalidArgument),
    SEJF_CKR(CKR_INFORMATION_SENSITIVE, kInternal),
    SEJF_CKR(CKR_STATE_UNSAVEABLE, kInternal),
    SEJF_CKR(CKR_CRYPTOKI_NOT_INITIALIZED, kUnavailable),
    SEJF_CKR(CKR_CRYPTOKI_ALREADY_INITIALIZED, kFailedPrecondition),
    SEJF_CKR(CKR_MUTEX_BAD, kInternal),
    SEJF_CKR(CKR_MUTEX_NOT_LOCKED, kInternal),
    SEJF_CKR(CKR_NEW_PIN_MODE, kFailedPrecondition),
    SEJF_CKR(CKR_NEXT_OTP, kFailedPrecondition),
    SEJF_CKR(CKR_EXCEEDED_MAX_ITERATIONS, kInternal),
    SEJF_CKR(CKR_FIPS_SELF_TEST_FAILED, kUnavailable),
    SEJF_CKR(CKR_LIBRARY_LOAD_FAILED, kUnavailable),
    SEJF_CKR(CKR_PIN_TOO_WEAK, kInvalidArgument),
    SEJF_CKR(CKR_PUBLIC_KEY_INVALID, kInvalidArgument),
    SEJF_CKR(CKR_FUNCTION_REJECTED, kInternal),
};

#undef SEJF_CKR

const Entry* Find(CK_RV rv) {
  for (const Entry& e : kTable) {
    if (e.rv == rv) return &e;
  }
  return nullptr;
}

}  // namespace

std::string CkRvName(CK_RV rv) {
  if (const Entry* e = Find(rv)) return e->name;
  if (rv >= CKR_VENDOR_DEFINED) {
    return absl::StrFormat("CKR_VENDOR_DEFINED+0x%x", rv - CKR_VENDOR_DEFINED);
  }
  return absl::StrFormat("CKR_0x%x", rv);
}

absl::Status CkRvToStatus(CK_RV rv, absl::string_view what) {
  if (rv == CKR_OK) return absl::OkStatus();
  const Entry* e = Find(rv);
  Code code = e != nullptr ? e->code : Code::kInternal;
  return absl::Status(code, absl::StrCat(what, ": ", CkRvName(rv)));
}

}  // namespace sejf::hsm::pkcs11
