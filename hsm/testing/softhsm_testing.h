// Test helpers: throwaway SoftHSM2 token stores and outside tools.
//
// Test-only code. Thread-safety: not thread-safe (uses setenv and the
// process's environment).
#ifndef SEJF_HSM_TESTING_SOFTHSM_TESTING_H_
#define SEJF_HSM_TESTING_SOFTHSM_TESTING_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/testing/temp_dir.h"
#include "hsm/softhsm_bootstrap.h"
#include "hsm/token.h"

namespace sejf::hsm::testing {

inline constexpr const char* kSoftHsmModule = kDefaultSoftHsmModule;

// The shared TempDir (common/testing/temp_dir.h).
using ::sejf::testing::TempDir;

// Writes DIR/softhsm2.conf (token store DIR/tokens, created here) and points
// SOFTHSM2_CONF at it. Load the SoftHSM2 module only afterwards: it reads
// the variable in C_Initialize.
absl::Status UseSoftHsmStore(const std::string& dir);

// Runs `command` through /bin/sh with stderr joined to stdout; the output,
// or INTERNAL with the exit status and output when it does not exit 0.
absl::StatusOr<std::string> RunCommand(const std::string& command);

// Creates a token with softhsm2-util in the store SOFTHSM2_CONF names.
// The PINs go on softhsm2-util's command line: acceptable only for a
// throwaway test token, which is why this lives in testing/.
absl::Status InitTokenWithTool(const std::string& label,
                               const std::string& so_pin,
                               const std::string& user_pin);

// Loads the SoftHSM2 module (SOFTHSM2_CONF must already point at the store)
// and opens the token labelled `label` with `user_pin`, as OpenToken does
// with a PIN file. Load it once per process at a time (see module.h); let
// the returned module go before calling this again (a "restart").
absl::StatusOr<OpenedToken> OpenTestToken(const std::string& label,
                                          const std::string& user_pin);

// A throwaway token: UseSoftHsmStore(dir), InitTokenWithTool(label, a fixed
// SO PIN, user_pin), then OpenTestToken(label, user_pin).
absl::StatusOr<OpenedToken> CreateTestToken(const std::string& dir,
                                            const std::string& label,
                                            const std::string& user_pin);

}  // namespace sejf::hsm::testing

#endif  // SEJF_HSM_TESTING_SOFTHSM_TESTING_H_
