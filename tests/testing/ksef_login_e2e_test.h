// The fixture of e2e suites that work through a KSeF session against the
// emulator (certificate enrollment, renewal): one emulator and one sejfd
// for the suite, and the session "main" opened with "login-key", a
// self-signed key (accepted as KSeF TEST accepts it) for kLoginSubject.
//
//   class KsefFooE2eTest : public KsefLoginE2eTest {
//    protected:
//     static void SetUpTestSuite() {
//       StartWithLogin("[ksef]\nenrollment_poll_seconds = 1\n");
//     }
//   };
#ifndef SEJF_TESTS_TESTING_KSEF_LOGIN_E2E_TEST_H_
#define SEJF_TESTS_TESTING_KSEF_LOGIN_E2E_TEST_H_

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "tests/testing/ksef_emulator.h"
#include "tests/testing/sejfd_test.h"

namespace sejf::testing {

class KsefLoginE2eTest : public SejfdTest {
 protected:
  static constexpr char kEnvironment[] = "emu";
  static constexpr char kContext[] = "nip:5265877635";
  static constexpr char kSubject[] =
      "CN=Jan Kowalski,serialNumber=TINPL-5265877635,C=PL";

  // Starts the emulator and sejfd with `ksef_settings` (TOML, the [ksef]
  // table's keys) and the emulator's environment, then makes "login-key"
  // and opens "main" with it. Call from SetUpTestSuite.
  static void StartWithLogin(absl::string_view ksef_settings) {
    absl::StatusOr<std::unique_ptr<KsefEmulator>> emulator =
        KsefEmulator::Start();
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    config_.config = absl::StrCat(ksef_settings, "\n",
                                  emulator_->EnvironmentConfig(kEnvironment));
    ASSERT_NO_FATAL_FAILURE(StartSejfd(config_));
    Expect0(Sejf({"key", "generate", "--name", "login-key", "--usage",
                  "authentication"}));
    Expect0(Sejf({"key", "self-sign", "login-key", "--subject", kSubject,
                  "--days", "30"}));
    Expect0(Open("main", "login-key"));
  }

  static void TearDownTestSuite() {
    SejfdTest::TearDownTestSuite();
    emulator_.reset();
  }

  static void Expect0(const CommandResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  // `sejf session open` (JSON output) of `name` with `key` in kContext.
  static CommandResult Open(const std::string& name, const std::string& key) {
    return Sejf({"--output", "json", "session", "open", "--name", name, "--key",
                 key, "--context", kContext, "--environment", kEnvironment});
  }

  // POST /_emulator/certificates/settings.
  static void CertificateSettings(const nlohmann::json& settings) {
    absl::StatusOr<nlohmann::json> r =
        emulator_->Control("POST", "certificates/settings", settings);
    ASSERT_TRUE(r.ok()) << r.status();
  }

  static inline std::unique_ptr<KsefEmulator> emulator_;
  static inline SejfdConfig config_;
};

}  // namespace sejf::testing

#endif  // SEJF_TESTS_TESTING_KSEF_LOGIN_E2E_TEST_H_
