#include "hsm/softhsm_bootstrap.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/crypto_init.h"
#include "common/files.h"
#include "common/random.h"
#include "common/status_context.h"
#include "common/status_macros.h"
#include "hsm/pkcs11/ck_rv.h"
#include "hsm/pkcs11/module.h"
#include "hsm/pkcs11/session.h"
#include "hsm/pkcs11/token_label.h"

namespace sejf::hsm {
namespace {

using pkcs11::Module;
using pkcs11::Session;

constexpr std::size_t kPinLength = 24;

struct Layout {
  explicit Layout(const std::string& dir)
      : dir(dir),
        config(absl::StrCat(dir, "/", kSoftHsmConfigFile)),
        tokens(absl::StrCat(dir, "/", kSoftHsmTokensDir)),
        user_pin(absl::StrCat(dir, "/", kUserPinFile)),
        so_pin(absl::StrCat(dir, "/", kSoPinFile)) {}

  std::string dir;
  std::string config;
  std::string tokens;
  std::string user_pin;
  std::string so_pin;
};

// The PIN in `path`; FAILED_PRECONDITION if the file is empty.
absl::StatusOr<SecretBytes> ReadPin(const std::string& path) {
  ASSIGN_OR_RETURN(SecretBytes pin, ReadSecretFile(path));
  if (pin.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("PIN file ", path, " is empty"));
  }
  return pin;
}

// The PIN in `path`, or a new random one written there (0600, atomically)
// when the file does not exist yet.
absl::StatusOr<SecretBytes> ReadOrCreatePin(const std::string& path) {
  absl::StatusOr<SecretBytes> existing = ReadPin(path);
  if (!absl::IsNotFound(existing.status())) return existing;
  SecretBytes pin = RandomAlphanumericSecret(kPinLength);
  RETURN_IF_ERROR(WriteFileAtomically(path, SecretView(pin), 0600));
  return pin;
}

// C_InitToken on the first slot without an initialised token.
absl::Status InitToken(const Module& module, const pkcs11::PaddedLabel& label,
                       const SecretBytes& so_pin) {
  ASSIGN_OR_RETURN(std::vector<Module::Token> tokens, module.ListTokens());
  const Module::Token* free_slot = nullptr;
  for (const Module::Token& token : tokens) {
    if (!token.initialized()) {
      free_slot = &token;
      break;
    }
  }
  if (free_slot == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "PKCS#11 module ", module.path(), " has no free slot for a new token"));
  }
  // PKCS#11 2.40 declares both arguments non-const but only reads them.
  pkcs11::PaddedLabel label_copy = label;
  return pkcs11::CkRvToStatus(
      module.functions().C_InitToken(
          free_slot->slot, const_cast<CK_UTF8CHAR*>(so_pin.data()),
          static_cast<CK_ULONG>(so_pin.size()), label_copy.data()),
      "C_InitToken");
}

// Sets the user PIN as security officer (SO login, C_InitPIN, logout).
absl::Status InitUserPin(std::shared_ptr<const Module> module, CK_SLOT_ID slot,
                         const SecretBytes& so_pin,
                         const std::string& so_pin_path,
                         const SecretBytes& user_pin) {
  ASSIGN_OR_RETURN(Session session, Session::Open(std::move(module), slot,
                                                  Session::Access::kReadWrite));
  RETURN_IF_ERROR(WithContext(
      session.Login(CKU_SO, so_pin),
      absl::StrCat("security officer login with the PIN from ", so_pin_path)));
  RETURN_IF_ERROR(pkcs11::CkRvToStatus(
      session.functions().C_InitPIN(session.handle(),
                                    const_cast<CK_UTF8CHAR*>(user_pin.data()),
                                    static_cast<CK_ULONG>(user_pin.size())),
      "C_InitPIN"));
  RETURN_IF_ERROR(session.Logout());
  return session.Close();
}

absl::StatusOr<bool> UserPinInitialized(const Module& module, CK_SLOT_ID slot) {
  ASSIGN_OR_RETURN(std::vector<Module::Token> tokens, module.ListTokens());
  for (const Module::Token& token : tokens) {
    if (token.slot == slot) {
      return (token.flags & CKF_USER_PIN_INITIALIZED) != 0;
    }
  }
  return absl::UnavailableError(absl::StrCat("token in slot ", slot,
                                             " of PKCS#11 module ",
                                             module.path(), " disappeared"));
}

// The user PIN of a token that exists already. Without its file the token's
// keys cannot be used, and a new PIN would not help: say how to recover.
absl::StatusOr<SecretBytes> ReadUserPinOfExistingToken(
    const Layout& layout, const std::string& context) {
  absl::StatusOr<SecretBytes> pin = ReadPin(layout.user_pin);
  if (absl::IsNotFound(pin.status())) {
    return absl::FailedPreconditionError(absl::StrCat(
        context, " exists but its user PIN file ", layout.user_pin,
        " is missing. Restore ", layout.user_pin,
        " (mode 0600) from a backup of ", layout.dir,
        "; or, only if no key in the token is needed any more, delete ",
        layout.tokens,
        " to have a new, empty token created at the next start (this "
        "destroys every key in the old token)"));
  }
  return pin;
}

// Sets the user PIN with the SO PIN from its file, unless the token has one.
absl::Status SetUserPinIfMissing(std::shared_ptr<const Module> module,
                                 CK_SLOT_ID slot, const Layout& layout,
                                 const std::string& context,
                                 const SecretBytes& user_pin) {
  ASSIGN_OR_RETURN(bool user_pin_set, UserPinInitialized(*module, slot));
  if (user_pin_set) return absl::OkStatus();
  absl::StatusOr<SecretBytes> so_pin = ReadPin(layout.so_pin);
  if (absl::IsNotFound(so_pin.status())) {
    return absl::FailedPreconditionError(absl::StrCat(
        context, " has no user PIN yet, and setting it needs the security ",
        "officer PIN file ", layout.so_pin, ", which is missing. Restore it ",
        "from a backup of ", layout.dir, ", or delete ", layout.tokens,
        " to have a new token created"));
  }
  if (!so_pin.ok()) return so_pin.status();
  return WithContext(
      InitUserPin(std::move(module), slot, *so_pin, layout.so_pin, user_pin),
      absl::StrCat("setting the user PIN of ", context));
}

}  // namespace

constexpr absl::string_view kConfigHeader =
    "# SoftHSM2 configuration of sejf's embedded token; written by sejfd.\n";

std::string SoftHsmConfigText(const std::string& dir) {
  return absl::StrCat(kConfigHeader, "directories.tokendir = ", dir, "/",
                      kSoftHsmTokensDir, "\n", "objectstore.backend = file\n",
                      "log.level = ERROR\n", "slots.removable = false\n");
}

absl::StatusOr<OpenedToken> EnsureSoftHsmToken(const SoftHsmOptions& options) {
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("the data directory must be set");
  }
  ASSIGN_OR_RETURN(pkcs11::PaddedLabel padded_label,
                   pkcs11::PadTokenLabel(options.token_label));
  const std::string dir = AbsolutePath(options.data_dir);
  if (dir.find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError(
        "the data directory's path must not contain a line break");
  }
  RETURN_IF_ERROR(InitCrypto());
  const Layout layout(dir);
  const std::string context = absl::StrCat(
      "SoftHSM2 token \"", options.token_label, "\" in ", layout.tokens);

  RETURN_IF_ERROR(EnsureDirectory(dir, 0700, /*require_private=*/false));
  RETURN_IF_ERROR(
      EnsureDirectory(layout.tokens, 0700, /*require_private=*/true));
  // Written when missing, and rewritten when it is sejfd's own but names
  // another directory's tokens (DIR was moved, or restored from a backup
  // taken for another path); a file edited by hand is left as it is.
  const std::string config_text = SoftHsmConfigText(layout.dir);
  absl::StatusOr<std::string> config = ReadFile(layout.config);
  if (absl::IsNotFound(config.status()) ||
      (config.ok() && *config != config_text &&
       absl::StartsWith(*config, kConfigHeader))) {
    RETURN_IF_ERROR(WriteFileAtomically(layout.config, config_text, 0600));
  } else if (!config.ok()) {
    return config.status();
  }
  if (setenv("SOFTHSM2_CONF", layout.config.c_str(), /*overwrite=*/1) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot set SOFTHSM2_CONF: ", std::strerror(errno)));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<Module> module,
                   Module::Load(options.module_path));

  std::optional<SecretBytes> user_pin;  // read or created below
  absl::StatusOr<CK_SLOT_ID> slot = module->FindTokenSlot(options.token_label);
  // With the PIN files there, the token was made (or is being made) by an
  // earlier or a concurrent start. SoftHSM2 reads each token's token.object
  // in C_Initialize and C_GetTokenInfo; another process logging in
  // rewrites that file, and a read meeting the rewrite misses the token
  // (NOT_FOUND) or fails (CKR_GENERAL_ERROR). Loading the module again
  // reads it again: a bounded wait, rather than a second token.
  for (int attempt = 0;
       !slot.ok() && !absl::IsFailedPrecondition(slot.status()) &&
       PathExists(layout.user_pin) && attempt < 50;
       ++attempt) {
    absl::SleepFor(absl::Milliseconds(100));
    module.reset();
    ASSIGN_OR_RETURN(module, Module::Load(options.module_path));
    slot = module->FindTokenSlot(options.token_label);
  }
  if (absl::IsNotFound(slot.status())) {
    // First run, or a run that stopped before C_InitToken: PIN files that
    // exist already are the ones to use.
    ASSIGN_OR_RETURN(SecretBytes so_pin, ReadOrCreatePin(layout.so_pin));
    ASSIGN_OR_RETURN(user_pin, ReadOrCreatePin(layout.user_pin));
    RETURN_IF_ERROR(WithContext(InitToken(*module, padded_label, so_pin),
                                absl::StrCat("creating ", context)));
    slot = module->FindTokenSlot(options.token_label);
  }
  if (!slot.ok()) return slot.status();

  if (!user_pin.has_value()) {
    ASSIGN_OR_RETURN(user_pin, ReadUserPinOfExistingToken(layout, context));
  }
  // Not yet set on a token created just above, or on one whose first start
  // stopped between C_InitToken and C_InitPIN.
  RETURN_IF_ERROR(
      SetUserPinIfMissing(module, *slot, layout, context, *user_pin));

  RETURN_IF_ERROR(
      WithContext(CheckUserLogin(module, *slot, *user_pin),
                  absl::StrCat("logging in to ", context,
                               " with the user PIN from ", layout.user_pin)));
  return OpenedToken{.module = std::move(module),
                     .slot = *slot,
                     .label = options.token_label,
                     .user_pin = *std::move(user_pin)};
}

}  // namespace sejf::hsm
