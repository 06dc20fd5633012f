// For tests only: KsefSessions over real parts — SQLite in a temporary
// directory, a throwaway SoftHSM2 token for the keyring and key custody,
// the token vault, the XAdES signer, Ministry certificates issued by a test
// CA the environments "test" and "fresh" trust (only "test" has them stored) —
// and the fake KSeF (fake_ksef_api.h), whose waiting between polls advances the
// FakeClock instead of sleeping.
//
// Not thread-safe to set up; the sessions it makes are.
#ifndef SEJF_BROKER_SESSIONS_TESTING_SESSIONS_FIXTURE_H_
#define SEJF_BROKER_SESSIONS_TESTING_SESSIONS_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "broker/sessions/ksef_sessions.h"
#include "broker/sessions/testing/fake_ksef_api.h"
#include "common/clock.h"
#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"
#include "hsm/testing/key_store_test_env.h"
#include "signer/custody/key_custody.h"
#include "signer/ministry/testing/ministry_test_certs.h"
#include "vault/storage/sqlite/sqlite_storage.h"

namespace sejf::broker::testing {

// Keeps every event it hears.
class RecordingObserver final : public SessionCallObserver {
 public:
  void OnKsefCall(const SessionCallEvent& event) override {
    absl::MutexLock lock(&mu_);
    events_.push_back(event);
  }
  void OnMinistryCertificates(const MinistryCertificatesEvent& event) override {
    absl::MutexLock lock(&mu_);
    ministry_events_.push_back(event);
  }
  std::vector<SessionCallEvent> events() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  std::vector<MinistryCertificatesEvent> ministry_events() const {
    absl::MutexLock lock(&mu_);
    return ministry_events_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<SessionCallEvent> events_;
  std::vector<MinistryCertificatesEvent> ministry_events_;
};

// Base64 SHA-256 of `der` (a Ministry key's publicKeyId from its SPKI).
std::string Sha256Base64(const std::string& der);

class SessionsFixture : public ::testing::Test {
 protected:
  static constexpr char kNip[] = "nip:5265877635";
  static constexpr char kTokenSecret[] =
      "20251010-EC-1DCE3E3000-12ECB5B36E-45|nip-5265877635|"
      "CANARY0b5e2f7c91d4a3e8";

  void SetUp() override;
  void TearDown() override;

  // Opens storage, keyring, vault, custody, signer, Ministry trust and
  // store, encryptor and sessions over the files in dir_ (again after
  // Stop: a restart).
  absl::Status Start(KsefSessions::Options options = {});
  // Destroys them (the files and the HSM token stay).
  void Stop();

  // An EC authentication key with a self-signed certificate.
  void MakeKey(const std::string& name);
  void ImportToken(const std::string& name, const std::string& secret,
                   const std::string& context = kNip);
  std::string CertificatePem(const std::string& key);

  OpenSessionParams KeyParams(const std::string& session,
                              const std::string& key = "acme-auth") const;
  OpenSessionParams TokenParams(const std::string& session,
                                const std::string& token = "acme-token") const;

  // A Ministry certificate issued by the trusted test CA, valid from
  // `not_before`, and its fake-side key.
  signer::testing::TestCert MakeMinistryCert(absl::Time not_before);
  static FakeKsefApi::MinistryKey KeyOf(const signer::testing::TestCert& cert);

  // The bytes of the database, its WAL and journal.
  std::string DatabaseBytes() const;
  // Every KSeF call the fake has answered, all endpoints.
  int TotalCalls() const;

  FakeClock clock_{absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()))};
  sejf::testing::TempDir dir_;
  std::string db_;
  std::unique_ptr<hsm::testing::KeyStoreTestEnv> hsm_;
  signer::testing::TestCert ca_;
  signer::testing::TestCert ministry_;
  FakeKsefApi api_{&clock_};
  FakeKsefApiDirectory apis_;
  RecordingObserver observer_;

  std::unique_ptr<vault::SqliteStorage> storage_;
  std::unique_ptr<vault::Keyring> keyring_;
  std::unique_ptr<vault::TokenVault> tokens_;
  std::unique_ptr<signer::KeyCustody> custody_;
  std::unique_ptr<signer::AuthTokenSigner> signer_;
  std::unique_ptr<signer::MinistryTrust> trust_;
  std::unique_ptr<signer::MinistryCertificateStore> ministry_certificates_;
  std::unique_ptr<signer::KsefTokenEncryptor> encryptor_;
  std::unique_ptr<KsefSessions> sessions_;
};

}  // namespace sejf::broker::testing

#endif  // SEJF_BROKER_SESSIONS_TESTING_SESSIONS_FIXTURE_H_
