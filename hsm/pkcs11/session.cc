#include "hsm/pkcs11/session.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hsm/pkcs11/ck_rv.h"

namespace sejf::hsm::pkcs11 {
namespace {

absl::Status ClosedError(absl::string_view what) {
  return absl::FailedPreconditionError(
      absl::StrCat(what, ": the session is closed"));
}

}  // namespace

absl::StatusOr<Session> Session::Open(std::shared_ptr<const Module> module,
                                      CK_SLOT_ID slot, Access access) {
  if (module == nullptr) {
    return absl::InvalidArgumentError("C_OpenSession: no module");
  }
  CK_FLAGS flags = CKF_SERIAL_SESSION;
  if (access == Access::kReadWrite) flags |= CKF_RW_SESSION;
  CK_SESSION_HANDLE handle = CK_INVALID_HANDLE;
  CK_RV rv =
      module->functions().C_OpenSession(slot, flags, nullptr, nullptr, &handle);
  if (rv != CKR_OK) return CkRvToStatus(rv, "C_OpenSession");
  return Session(std::move(module), slot, handle);
}

Session::Session(std::shared_ptr<const Module> module, CK_SLOT_ID slot,
                 CK_SESSION_HANDLE handle)
    : module_(std::move(module)), slot_(slot), handle_(handle) {}

Session::Session(Session&& other) noexcept
    : module_(std::move(other.module_)),
      slot_(other.slot_),
      handle_(std::exchange(other.handle_, CK_INVALID_HANDLE)) {}

Session& Session::operator=(Session&& other) noexcept {
  if (this != &other) {
    Close().IgnoreError();
    module_ = std::move(other.module_);
    slot_ = other.slot_;
    handle_ = std::exchange(other.handle_, CK_INVALID_HANDLE);
  }
  return *this;
}

Session::~Session() { Close().IgnoreError(); }

absl::Status Session::Login(CK_USER_TYPE user_type, const SecretBytes& pin) {
  if (!is_open()) return ClosedError("C_Login");
  // PKCS#11 2.40 declares the PIN non-const but only reads it.
  CK_RV rv = functions().C_Login(handle_, user_type,
                                 const_cast<CK_UTF8CHAR*>(pin.data()),
                                 static_cast<CK_ULONG>(pin.size()));
  // SoftHSM2 answers CKR_GENERAL_ERROR when its read of the token file
  // meets another process's rewrite of it (each login rewrites it), as
  // replicas starting at once on one token directory do: no login took
  // place, so it is tried again a few times (bounded).
  for (int attempt = 0; rv == CKR_GENERAL_ERROR && attempt < 5; ++attempt) {
    absl::SleepFor(absl::Milliseconds(20 * (attempt + 1)));
    rv = functions().C_Login(handle_, user_type,
                             const_cast<CK_UTF8CHAR*>(pin.data()),
                             static_cast<CK_ULONG>(pin.size()));
  }
  if (rv == CKR_USER_ALREADY_LOGGED_IN) return absl::OkStatus();
  return CkRvToStatus(rv, "C_Login");
}

absl::Status Session::Logout() {
  if (!is_open()) return ClosedError("C_Logout");
  CK_RV rv = functions().C_Logout(handle_);
  if (rv == CKR_USER_NOT_LOGGED_IN) return absl::OkStatus();
  return CkRvToStatus(rv, "C_Logout");
}

absl::Status Session::Close() {
  if (!is_open()) return absl::OkStatus();
  CK_RV rv =
      functions().C_CloseSession(std::exchange(handle_, CK_INVALID_HANDLE));
  module_.reset();
  return CkRvToStatus(rv, "C_CloseSession");
}

}  // namespace sejf::hsm::pkcs11
