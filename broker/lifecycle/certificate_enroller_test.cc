// CertificateEnroller over real parts (SQLite, SoftHSM2, KsefSessions) and
// the fake KSeF, which checks the CSR and issues certificates from its own
// CA with OpenSSL calls of its own.
#include "broker/lifecycle/certificate_enroller.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "broker/lifecycle/lifecycle_worker.h"
#include "broker/sessions/testing/sessions_fixture.h"
#include "common/openssl_ptr.h"
#include "common/status_context.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::broker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::kCertEnroll;
using testing::kCertRevoke;

class CertificateEnrollerTest : public testing::SessionsFixture {
 protected:
  void SetUp() override {
    SessionsFixture::SetUp();
    if (HasFatalFailure()) return;
    MakeKey("acme-auth");
    ASSERT_TRUE(sessions_->Open(KeyParams("acme")).ok());
    MakeEnroller({.wait = absl::Minutes(1)});
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

  // Whether `der` was signed by the fake KSeF's CA (OpenSSL's X509_verify).
  bool IssuedByFakeCa(const std::string& der) {
    std::string pem = api_.CertificateAuthorityPem();
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    X509Ptr ca(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    X509Ptr cert(d2i_X509(nullptr, &p, der.size()));
    return ca && cert &&
           X509_verify(cert.get(), X509_get0_pubkey(ca.get())) == 1;
  }

  std::unique_ptr<CertificateEnroller> enroller_;
};

TEST_F(CertificateEnrollerTest, EnrollsAnAuthenticationKeyThatCanLogIn) {
  absl::StatusOr<Enrollment> e =
      enroller_->Enroll({.key_name = "acme-ksef", .session = "acme"});
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->record.state, EnrollmentState::kCompleted);
  EXPECT_THAT(e->record.reference_number, HasSubstr("-EH-"));
  EXPECT_EQ(e->record.certificate_name, "sejf-acme-ksef");

  absl::StatusOr<signer::Key> key = custody_->Get("acme-ksef");
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(key->record.certificate.has_value());
  EXPECT_EQ(key->record.certificate->serial, e->record.serial);
  EXPECT_TRUE(IssuedByFakeCa(key->record.certificate->der));
  EXPECT_THAT(key->record.certificate->subject, HasSubstr("TINPL-5265877635"));
  EXPECT_TRUE(
      custody_->UsableFor("acme-ksef", vault::KeyUsage::kAuthentication).ok());
  // Every KSeF call was reported (audited), the submission with its
  // reference number.
  bool submission_seen = false;
  for (const SessionCallEvent& event : observer_.events()) {
    if (event.call.endpoint == "POST /certificates/enrollments") {
      submission_seen = true;
      EXPECT_EQ(event.step, "enroll");
      EXPECT_EQ(event.session, "acme");
      EXPECT_EQ(event.call.reference_number, e->record.reference_number);
    }
  }
  EXPECT_TRUE(submission_seen);
  // A login with the enrolled key.
  EXPECT_TRUE(sessions_->Open(KeyParams("acme-2", "acme-ksef")).ok());
}

TEST_F(CertificateEnrollerTest, EnrollsAnOfflineKeyUsableOnlyForOffline) {
  absl::StatusOr<Enrollment> e =
      enroller_->Enroll({.key_name = "acme-qr",
                         .session = "acme",
                         .usage = vault::KeyUsage::kOffline,
                         .algorithm = hsm::KeyAlgorithm::kRsa2048,
                         .certificate_name = "Kody offline ąę"});
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_TRUE(custody_->UsableFor("acme-qr", vault::KeyUsage::kOffline).ok());
  EXPECT_EQ(custody_->UsableFor("acme-qr", vault::KeyUsage::kAuthentication)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(CertificateEnrollerTest, ExhaustedLimitsAreRefusedBeforeAnythingIsMade) {
  api_.SetCertificateLimits(0, 100);
  absl::StatusOr<Enrollment> e =
      enroller_->Enroll({.key_name = "acme-ksef", .session = "acme"});
  EXPECT_EQ(e.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(e.status().message(), HasSubstr("enrollment requests left 0"));
  EXPECT_EQ(custody_->Get("acme-ksef").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(api_.Calls(kCertEnroll), 0);
}

TEST_F(CertificateEnrollerTest,
       ALostSubmissionAnswerLeavesTheRecordSubmitting) {
  // What KsefHttpApi returns when the enrollment POST was sent and its
  // answer lost (it never sends that POST twice).
  api_.Inject(
      kCertEnroll,
      WithKsefError(
          absl::UnavailableError("POST /certificates/enrollments: the request "
                                 "was sent but its answer was lost"),
          KsefError{.http_status = 0, .outcome_unknown = true}));
  absl::StatusOr<Enrollment> e =
      enroller_->Enroll({.key_name = "acme-ksef",
                         .session = "acme",
                         .certificate_name = "acme-ksef-cert"});
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnavailable) << e.status();
  EXPECT_THAT(e.status().message(), HasSubstr("stays submitting"));
  EXPECT_THAT(e.status().message(), HasSubstr("answer was lost"));
  EXPECT_EQ(api_.Calls(kCertEnroll), 1);
  absl::StatusOr<std::optional<Enrollment>> kept = enroller_->Get("acme-ksef");
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ((*kept)->record.state, EnrollmentState::kSubmitting);
  EXPECT_THAT((*kept)->record.error, HasSubstr("answer was lost"));

  // While an Enroll could still be running, the worker leaves it alone;
  // then it is failed, saying what to look for in KSeF.
  ASSERT_TRUE(enroller_->ResumePending().ok());
  EXPECT_EQ((*enroller_->Get("acme-ksef"))->record.state,
            EnrollmentState::kSubmitting);
  clock_.Advance(absl::Minutes(6));
  ASSERT_TRUE(enroller_->ResumePending().ok());
  EnrollmentRecord failed = (*enroller_->Get("acme-ksef"))->record;
  EXPECT_EQ(failed.state, EnrollmentState::kFailed);
  EXPECT_THAT(failed.error, HasSubstr("answer to the submission was lost"));
  EXPECT_THAT(failed.error, HasSubstr("certificate \"acme-ksef-cert\""));
  EXPECT_THAT(failed.error, HasSubstr("under a new name"));
}

TEST_F(CertificateEnrollerTest, ASubmissionKsefDidNotTakeFailsAtOnce) {
  api_.Inject(kCertEnroll,
              testing::KsefHttpError(kCertEnroll, 503, {}, absl::Seconds(30)));
  absl::StatusOr<Enrollment> e =
      enroller_->Enroll({.key_name = "acme-ksef", .session = "acme"});
  EXPECT_EQ(e.status().code(), absl::StatusCode::kUnavailable) << e.status();
  EXPECT_EQ((*enroller_->Get("acme-ksef"))->record.state,
            EnrollmentState::kFailed);
}

TEST_F(CertificateEnrollerTest, BadInputIsRefusedWithTheField) {
  absl::Status s = enroller_
                       ->Enroll({.key_name = "acme-ksef",
                                 .session = "acme",
                                 .certificate_name = "bad/name"})
                       .status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TaggedField(s), "certificate_name");
  s = enroller_->Enroll({.key_name = "Bad Name", .session = "acme"}).status();
  EXPECT_EQ(TaggedField(s), "key_name");
  EXPECT_EQ(api_.Calls(kCertEnroll), 0);
}

TEST_F(CertificateEnrollerTest, TokenSessionsCannotEnroll) {
  ImportToken("acme-token", kTokenSecret);
  api_.AcceptKsefToken(kTokenSecret);
  ASSERT_TRUE(sessions_->Open(TokenParams("by-token")).ok());
  absl::Status s =
      enroller_->Enroll({.key_name = "acme-ksef", .session = "by-token"})
          .status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("--key"));
}

TEST_F(CertificateEnrollerTest, APendingEnrollmentResumesAfterARestart) {
  api_.SetEnrollmentPendingPolls(1000);
  MakeEnroller({.wait = absl::ZeroDuration()});
  absl::StatusOr<Enrollment> e =
      enroller_->Enroll({.key_name = "acme-ksef", .session = "acme"});
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->record.state, EnrollmentState::kPending);
  // The key exists but signs nothing without its certificate.
  EXPECT_EQ(custody_->UsableFor("acme-ksef", vault::KeyUsage::kAuthentication)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);

  enroller_.reset();
  Stop();
  ASSERT_TRUE(Start().ok());
  api_.SetEnrollmentPendingPolls(0);
  MakeEnroller({});
  auto worker = LifecycleWorker::Start(enroller_.get(), {});
  ASSERT_TRUE(worker.ok());
  ASSERT_TRUE((*worker)->WaitForRounds(1));
  (*worker)->Stop();
  absl::StatusOr<std::optional<Enrollment>> after = enroller_->Get("acme-ksef");
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ((*after)->record.state, EnrollmentState::kCompleted);
  EXPECT_EQ((*after)->record.reference_number, e->record.reference_number);
  EXPECT_TRUE(
      custody_->UsableFor("acme-ksef", vault::KeyUsage::kAuthentication).ok());
}

TEST_F(CertificateEnrollerTest, RevokeDisablesTheKeyAndClosesItsSessions) {
  ASSERT_TRUE(
      enroller_->Enroll({.key_name = "acme-ksef", .session = "acme"}).ok());
  ASSERT_TRUE(sessions_->Open(KeyParams("on-new", "acme-ksef")).ok());
  std::string serial = custody_->Get("acme-ksef")->record.certificate->serial;

  absl::StatusOr<RevokeResult> r = enroller_->Revoke(
      {.key_name = "acme-ksef",
       .session = "acme",
       .reason = CertificateRevocationReason::kKeyCompromise});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(api_.RevokedSerials(), ElementsAre(serial));
  EXPECT_THAT(r->closed_sessions, ElementsAre("on-new"));
  EXPECT_EQ(r->key.record.state, vault::CredentialState::kDisabled);
  EXPECT_EQ(sessions_->Get("on-new")->state, SessionState::kClosed);
  EXPECT_EQ(sessions_->Get("acme")->state, SessionState::kActive);
  EXPECT_EQ((*enroller_->Get("acme-ksef"))->record.ksef_status, "Revoked");
  // Again: KSeF says already revoked (25009), which is not an error.
  EXPECT_TRUE(
      enroller_->Revoke({.key_name = "acme-ksef", .session = "acme"}).ok());
  EXPECT_EQ(api_.Calls(kCertRevoke), 2);
}

TEST_F(CertificateEnrollerTest, ASessionKsefDidNotCloseIsEndedByItsReference) {
  ASSERT_TRUE(
      enroller_->Enroll({.key_name = "acme-ksef", .session = "acme"}).ok());
  absl::StatusOr<SessionInfo> on_new =
      sessions_->Open(KeyParams("on-new", "acme-ksef"));
  ASSERT_TRUE(on_new.ok());
  // DELETE /auth/sessions/current does not get through.
  api_.Inject(testing::kCloseSession,
              testing::KsefHttpError(testing::kCloseSession, 503));
  absl::StatusOr<RevokeResult> r =
      enroller_->Revoke({.key_name = "acme-ksef", .session = "acme"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(api_.ClosedSessionReferences(),
              ElementsAre(on_new->reference_number));
  EXPECT_EQ(sessions_->Get("on-new")->state, SessionState::kClosed);
}

TEST_F(CertificateEnrollerTest, StatusMirrorSeesARevocationMadeInKsef) {
  ASSERT_TRUE(
      enroller_->Enroll({.key_name = "acme-ksef", .session = "acme"}).ok());
  std::string serial = custody_->Get("acme-ksef")->record.certificate->serial;
  // Revoked elsewhere (the taxpayer's portal), through the fake directly.
  absl::StatusOr<AccessToken> access = sessions_->GetAccessToken("acme");
  ASSERT_TRUE(access.ok());
  ASSERT_TRUE(api_.RevokeCertificate(access->token, serial,
                                     CertificateRevocationReason::kUnspecified)
                  .ok());
  ASSERT_TRUE(enroller_->RefreshStatuses().ok());
  EXPECT_EQ((*enroller_->Get("acme-ksef"))->record.ksef_status, "Revoked");
  EXPECT_EQ(custody_->Get("acme-ksef")->record.state,
            vault::CredentialState::kDisabled);
}

TEST(EnrollmentRecordTest, RoundTripsAndRefusesGarbage) {
  EnrollmentRecord r{.session = "s",
                     .environment = "test",
                     .usage = vault::KeyUsage::kOffline,
                     .algorithm = "ec-p256",
                     .certificate_name = "name1",
                     .state = EnrollmentState::kPending,
                     .reference_number = "20251010-EH-1B6C9EB000-4B15D3AEB9-89",
                     .create_time = absl::FromUnixMicros(1),
                     .update_time = absl::FromUnixMicros(2)};
  absl::StatusOr<EnrollmentRecord> back =
      DecodeEnrollmentRecord(EncodeEnrollmentRecord(r));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, r);
  EXPECT_EQ(DecodeEnrollmentRecord("{\"format\":1.5}").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeEnrollmentRecord("[]").status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace sejf::broker
