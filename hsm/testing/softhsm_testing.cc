#include "hsm/testing/softhsm_testing.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/testing/subprocess.h"
#include "hsm/pkcs11/module.h"

namespace sejf::hsm::testing {

absl::Status UseSoftHsmStore(const std::string& dir) {
  const std::string tokens = absl::StrCat(dir, "/tokens");
  if (auto s = EnsureDirectory(tokens, 0700, true); !s.ok()) return s;
  const std::string config = absl::StrCat(dir, "/softhsm2.conf");
  if (auto s = WriteFileAtomically(
          config,
          absl::StrCat("directories.tokendir = ", tokens,
                       "\nobjectstore.backend = file\nlog.level = ERROR\n"
                       "slots.removable = false\n"),
          0600);
      !s.ok()) {
    return s;
  }
  if (setenv("SOFTHSM2_CONF", config.c_str(), 1) != 0) {
    return absl::InternalError("setenv SOFTHSM2_CONF failed");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RunCommand(const std::string& command) {
  ::sejf::testing::CommandResult r =
      ::sejf::testing::Shell(absl::StrCat(command, " 2>&1"));
  if (r.exit_code != 0) {
    return absl::InternalError(absl::StrCat("`", command, "` failed (exit ",
                                            r.exit_code, "): ", r.out));
  }
  return r.out;
}

absl::Status InitTokenWithTool(const std::string& label,
                               const std::string& so_pin,
                               const std::string& user_pin) {
  return RunCommand(absl::StrCat("softhsm2-util --init-token --free --label '",
                                 label, "' --so-pin '", so_pin, "' --pin '",
                                 user_pin, "'"))
      .status();
}

absl::StatusOr<OpenedToken> OpenTestToken(const std::string& label,
                                          const std::string& user_pin) {
  absl::StatusOr<std::shared_ptr<pkcs11::Module>> module =
      pkcs11::Module::Load(kSoftHsmModule);
  if (!module.ok()) return module.status();
  absl::StatusOr<CK_SLOT_ID> slot = (*module)->FindTokenSlot(label);
  if (!slot.ok()) return slot.status();
  SecretBytes pin = SecretFromView(user_pin);
  if (absl::Status s = CheckUserLogin(*module, *slot, pin); !s.ok()) return s;
  return OpenedToken{.module = *std::move(module),
                     .slot = *slot,
                     .label = label,
                     .user_pin = std::move(pin)};
}

absl::StatusOr<OpenedToken> CreateTestToken(const std::string& dir,
                                            const std::string& label,
                                            const std::string& user_pin) {
  if (dir.empty()) return absl::InternalError("no test directory");
  if (absl::Status s = UseSoftHsmStore(dir); !s.ok()) return s;
  if (absl::Status s = InitTokenWithTool(label, "so-pin-0815", user_pin);
      !s.ok()) {
    return s;
  }
  return OpenTestToken(label, user_pin);
}

}  // namespace sejf::hsm::testing
