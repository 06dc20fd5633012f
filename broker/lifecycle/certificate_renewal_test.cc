// Key versions and renewal (CertificateEnroller::Renew, RenewDue, Revoke of
// one version) over real parts (SQLite, SoftHSM2, KsefSessions) and the
// fake KSeF, whose certificates are dated by the fake clock (730 days), so
// the tests age them by advancing it.
#include <memory>
#include <optional>
#include <string>

#include "broker/lifecycle/certificate_enroller.h"
#include "broker/lifecycle/lifecycle_worker.h"
#include "broker/sessions/testing/sessions_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::broker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::kCertEnroll;

constexpr vault::KeyUsage kAuth = vault::KeyUsage::kAuthentication;

class CertificateRenewalTest : public testing::SessionsFixture {
 protected:
  void SetUp() override {
    SessionsFixture::SetUp();
    if (HasFatalFailure()) return;
    MakeKey("acme-auth");
    ASSERT_TRUE(sessions_->Open(KeyParams("acme")).ok());
    MakeEnroller({.wait = absl::Minutes(1)});
    absl::StatusOr<Enrollment> e =
        enroller_->Enroll({.key_name = "acme-ksef", .session = "acme"});
    ASSERT_TRUE(e.ok()) << e.status();
    ASSERT_EQ(e->record.state, EnrollmentState::kCompleted);
    first_serial_ = e->record.serial;
  }

  void MakeEnroller(CertificateEnroller::Options options) {
    options.sleep = [this](absl::Duration d) { clock_.Advance(d); };
    auto enroller = CertificateEnroller::Create({.sessions = sessions_.get(),
                                                 .apis = &apis_,
                                                 .keys = custody_.get(),
                                                 .storage = storage_.get(),
                                                 .clock = &clock_,
                                                 .observer = &observer_},
                                                std::move(options));
    ASSERT_TRUE(enroller.ok()) << enroller.status();
    enroller_ = *std::move(enroller);
  }

  // The name of the key version a signer would use now.
  std::string SigningVersion() {
    absl::StatusOr<signer::UsableKey> key =
        custody_->UsableFor("acme-ksef", kAuth);
    return key.ok() ? key->key().name : std::string(key.status().message());
  }

  std::unique_ptr<CertificateEnroller> enroller_;
  std::string first_serial_;
};

TEST_F(CertificateRenewalTest, RenewsBeforeExpiryAndSigningSwitches) {
  // Far from expiry: nothing to do.
  ASSERT_TRUE(enroller_->RenewDue().ok());
  EXPECT_EQ(api_.Calls(kCertEnroll), 1);
  EXPECT_EQ(SigningVersion(), "acme-ksef");

  // 29 days before the end (renew_before_days defaults to 30).
  clock_.Advance(absl::Hours(24 * 701));
  ASSERT_TRUE(enroller_->RenewDue().ok());
  EXPECT_EQ(api_.Calls(kCertEnroll), 2);
  // The worker's next round polls it to the end.
  ASSERT_TRUE(enroller_->ResumePending().ok());
  EXPECT_EQ(SigningVersion(), "acme-ksef@2");
  // Through a session logged in with the old version, opened for it.
  absl::StatusOr<SessionInfo> renew_session = sessions_->Get("renew-acme-ksef");
  ASSERT_TRUE(renew_session.ok()) << renew_session.status();
  EXPECT_EQ(renew_session->credential_name, "acme-ksef");
  EXPECT_EQ(renew_session->key_certificate_sha256,
            custody_->Get("acme-ksef")->record.certificate->sha256_fingerprint);

  absl::StatusOr<std::vector<KeyVersionInfo>> versions =
      enroller_->Versions("acme-ksef");
  ASSERT_TRUE(versions.ok()) << versions.status();
  ASSERT_EQ(versions->size(), 2u);
  ASSERT_TRUE((*versions)[1].key.record.certificate.has_value());
  EXPECT_EQ((*versions)[0].version, 1);
  EXPECT_FALSE((*versions)[0].current);
  EXPECT_EQ((*versions)[0].key.record.certificate->serial, first_serial_);
  EXPECT_EQ((*versions)[1].version, 2);
  EXPECT_TRUE((*versions)[1].current);
  ASSERT_TRUE((*versions)[1].enrollment.has_value());
  EXPECT_EQ((*versions)[1].enrollment->state, EnrollmentState::kCompleted);
  EXPECT_EQ((*versions)[1].enrollment->version, 2);
  EXPECT_NE((*versions)[1].key.record.public_key_der,
            (*versions)[0].key.record.public_key_der);
  // The credential is still one key; a new login uses the new version.
  EXPECT_TRUE(sessions_->Open(KeyParams("after", "acme-ksef")).ok());
  EXPECT_EQ(sessions_->Get("after")->key_certificate_sha256,
            (*versions)[1].key.record.certificate->sha256_fingerprint);

  // The next round renews nothing more: the new certificate is young.
  ASSERT_TRUE(enroller_->RenewDue().ok());
  EXPECT_EQ(api_.Calls(kCertEnroll), 2);
  // The old version still signs-valid until it expires, but is not used;
  // once expired, it is disabled.
  EXPECT_EQ(custody_->Get("acme-ksef")->record.state,
            vault::CredentialState::kActive);
  clock_.Advance(absl::Hours(24 * 30));
  ASSERT_TRUE(enroller_->RenewDue().ok());
  EXPECT_EQ(custody_->Get("acme-ksef")->record.state,
            vault::CredentialState::kDisabled);
  EXPECT_EQ(custody_->Get("acme-ksef@2")->record.state,
            vault::CredentialState::kActive);
  EXPECT_EQ(SigningVersion(), "acme-ksef@2");
  EXPECT_EQ(api_.Calls(kCertEnroll), 2);
}

TEST_F(CertificateRenewalTest, ZeroRenewBeforeDaysNeverRenewsButRenewForces) {
  ASSERT_TRUE(enroller_->SetRenewBeforeDays("acme-ksef", 0).ok());
  clock_.Advance(absl::Hours(24 * 729));
  ASSERT_TRUE(enroller_->RenewDue().ok());
  EXPECT_EQ(api_.Calls(kCertEnroll), 1);
  absl::StatusOr<Enrollment> e = enroller_->Renew({.key_name = "acme-ksef"});
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->key_name, "acme-ksef@2");
  EXPECT_EQ(SigningVersion(), "acme-ksef@2");
  EXPECT_EQ((*enroller_->Get("acme-ksef"))->record.renew_before_days, 0);
}

TEST_F(CertificateRenewalTest, ARenewalLeftPendingResumesAfterARestart) {
  api_.SetEnrollmentPendingPolls(1000);
  absl::StatusOr<Enrollment> e = enroller_->Renew(
      {.key_name = "acme-ksef", .max_wait = absl::ZeroDuration()});
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->record.state, EnrollmentState::kPending);
  EXPECT_EQ(SigningVersion(), "acme-ksef");  // the old one, meanwhile
  // Asked again while pending: the same renewal.
  absl::StatusOr<Enrollment> again = enroller_->Renew(
      {.key_name = "acme-ksef", .max_wait = absl::ZeroDuration()});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->record.reference_number, e->record.reference_number);

  enroller_.reset();
  Stop();
  ASSERT_TRUE(Start().ok());
  api_.SetEnrollmentPendingPolls(0);
  MakeEnroller({});
  auto worker = LifecycleWorker::Start(enroller_.get(), {});
  ASSERT_TRUE(worker.ok());
  ASSERT_TRUE((*worker)->WaitForRounds(1));
  (*worker)->Stop();
  EXPECT_EQ((*enroller_->Get("acme-ksef@2"))->record.state,
            EnrollmentState::kCompleted);
  EXPECT_EQ(SigningVersion(), "acme-ksef@2");
  EXPECT_EQ(api_.Calls(kCertEnroll), 2);
}

TEST_F(CertificateRenewalTest, RevokingTheOldVersionLeavesTheNewOneSigning) {
  ASSERT_TRUE(sessions_->Open(KeyParams("on-v1", "acme-ksef")).ok());
  ASSERT_TRUE(
      enroller_->Renew({.key_name = "acme-ksef", .session = "on-v1"}).ok());
  ASSERT_TRUE(sessions_->Open(KeyParams("on-v2", "acme-ksef")).ok());

  absl::StatusOr<RevokeResult> r =
      enroller_->Revoke({.key_name = "acme-ksef",
                         .session = "acme",
                         .reason = CertificateRevocationReason::kSuperseded,
                         .version = 1});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(api_.RevokedSerials(), ElementsAre(first_serial_));
  EXPECT_THAT(r->closed_sessions, ElementsAre("on-v1"));
  EXPECT_EQ(sessions_->Get("on-v2")->state, SessionState::kActive);
  EXPECT_EQ(custody_->Get("acme-ksef")->record.state,
            vault::CredentialState::kDisabled);
  EXPECT_EQ((*enroller_->Get("acme-ksef"))->record.ksef_status, "Revoked");
  EXPECT_EQ(SigningVersion(), "acme-ksef@2");

  // A version that does not exist, and a session on another key.
  EXPECT_EQ(
      enroller_
          ->Revoke({.key_name = "acme-ksef", .session = "acme", .version = 7})
          .status()
          .code(),
      absl::StatusCode::kNotFound);
  absl::Status s =
      enroller_->Renew({.key_name = "acme-ksef", .session = "acme"}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("logged in with key \"acme-auth\""));

  // Version 2's status mirror asks through on-v2 now that on-v1, the
  // session it was enrolled through, is closed.
  const std::string second =
      custody_->Get("acme-ksef@2")->record.certificate->serial;
  absl::StatusOr<AccessToken> access = sessions_->GetAccessToken("acme");
  ASSERT_TRUE(access.ok());
  ASSERT_TRUE(api_.RevokeCertificate(access->token, second,
                                     CertificateRevocationReason::kUnspecified)
                  .ok());
  ASSERT_TRUE(enroller_->RefreshStatuses().ok());
  EXPECT_EQ((*enroller_->Get("acme-ksef@2"))->record.ksef_status, "Revoked");
  EXPECT_EQ(custody_->Get("acme-ksef@2")->record.state,
            vault::CredentialState::kDisabled);
}

TEST_F(CertificateRenewalTest, OnlyEnrolledKeysAreRenewed) {
  absl::Status s = enroller_->Renew({.key_name = "acme-auth"}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("not enrolled"));
  EXPECT_EQ(enroller_->SetRenewBeforeDays("acme-ksef", 400).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CertificateRenewalTest, RenewalContextIsThatOfTheSessionRenewUses) {
  // A missing key and one never enrolled: Renew's own answer, alike.
  EXPECT_EQ(enroller_->RenewalContext("no-such-key").status(),
            CertificateEnroller::NotEnrolledError("no-such-key"));
  EXPECT_EQ(enroller_->RenewalContext("acme-auth").status(),
            CertificateEnroller::NotEnrolledError("acme-auth"));
  EXPECT_EQ(enroller_->Renew({.key_name = "no-such-key"}).status(),
            CertificateEnroller::NotEnrolledError("no-such-key"));
  EXPECT_EQ(enroller_->Renew({.key_name = "acme-auth"}).status(),
            CertificateEnroller::NotEnrolledError("acme-auth"));
  // Enrolled through "acme": that session's context.
  absl::StatusOr<std::optional<std::string>> context =
      enroller_->RenewalContext("acme-ksef");
  ASSERT_TRUE(context.ok()) << context.status();
  EXPECT_EQ(*context, std::optional<std::string>(kNip));
  // An open session on the key, in another context, is the one Renew goes
  // through: its context.
  OpenSessionParams on_key = KeyParams("on-key", "acme-ksef");
  on_key.context = "nip:1234563218";
  ASSERT_TRUE(sessions_->Open(on_key).ok());
  context = enroller_->RenewalContext("acme-ksef");
  ASSERT_TRUE(context.ok()) << context.status();
  EXPECT_EQ(*context, std::optional<std::string>("nip:1234563218"));
  absl::StatusOr<Enrollment> renewed =
      enroller_->Renew({.key_name = "acme-ksef"});
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(renewed->record.session, "on-key");
}

TEST(EnrollmentRecordVersionsTest, VersionAndRenewalSettingRoundTrip) {
  EnrollmentRecord r{.session = "s",
                     .environment = "test",
                     .algorithm = "ec-p256",
                     .certificate_name = "name1",
                     .state = EnrollmentState::kCompleted,
                     .version = 3,
                     .renew_before_days = 0};
  absl::StatusOr<EnrollmentRecord> back =
      DecodeEnrollmentRecord(EncodeEnrollmentRecord(r));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, r);
  // Written before versions: version 1, default renewal.
  back = DecodeEnrollmentRecord(
      R"({"format":1,"usage":"authentication","state":"completed"})");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->version, 1);
  EXPECT_EQ(back->renew_before_days, std::nullopt);
}

}  // namespace
}  // namespace sejf::broker
