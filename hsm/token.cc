#include "hsm/token.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "hsm/pkcs11/session.h"

namespace sejf::hsm {

using pkcs11::Module;
using pkcs11::Session;

absl::Status CheckUserLogin(std::shared_ptr<const Module> module,
                            CK_SLOT_ID slot, const SecretBytes& pin) {
  ASSIGN_OR_RETURN(Session session, Session::Open(std::move(module), slot,
                                                  Session::Access::kReadOnly));
  RETURN_IF_ERROR(session.Login(CKU_USER, pin));
  return session.Close();
}

absl::StatusOr<OpenedToken> OpenToken(const std::string& module_path,
                                      absl::string_view token_label,
                                      const std::string& pin_file) {
  ASSIGN_OR_RETURN(SecretBytes pin, ReadSecretFile(pin_file));
  ASSIGN_OR_RETURN(std::shared_ptr<Module> module, Module::Load(module_path));
  ASSIGN_OR_RETURN(CK_SLOT_ID slot, module->FindTokenSlot(token_label));
  RETURN_IF_ERROR(
      WithContext(CheckUserLogin(module, slot, pin),
                  absl::StrCat("logging in to token \"", token_label,
                               "\" of PKCS#11 module ", module_path,
                               " with the user PIN from ", pin_file)));
  return OpenedToken{.module = std::move(module),
                     .slot = slot,
                     .label = std::string(token_label),
                     .user_pin = std::move(pin)};
}

}  // namespace sejf::hsm
