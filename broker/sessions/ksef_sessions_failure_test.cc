// KsefSessions when KSeF refuses or fails, and for bad input: each failure
// maps to its status (session_errors.h) and a failed open leaves nothing.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "broker/ksef_api/ksef_error.h"
#include "broker/sessions/ksef_sessions.h"
#include "broker/sessions/session_errors.h"
#include "broker/sessions/testing/sessions_fixture.h"
#include "common/status_context.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::broker {
namespace {

using ::testing::HasSubstr;
using testing::kAuthStatus;
using testing::kChallenge;
using testing::kKsefToken;
using testing::kPublicKeys;
using testing::kRedeem;
using testing::KsefHttpError;
using testing::kXades;
using ::testing::Not;

// A storage whose read-write transactions fail while `fail_writes` is set.
class WriteFailingStorage final : public vault::Storage {
 public:
  explicit WriteFailingStorage(vault::Storage* target) : target_(target) {}
  absl::StatusOr<std::unique_ptr<vault::Transaction>> Begin(
      vault::TransactionMode mode) override {
    if (mode == vault::TransactionMode::kReadWrite && fail_writes) {
      return absl::UnavailableError("disk on fire");
    }
    return target_->Begin(mode);
  }
  bool fail_writes = false;

 private:
  vault::Storage* target_;
};

class KsefSessionsFailureTest : public testing::SessionsFixture {
 protected:
  void SetUp() override {
    SessionsFixture::SetUp();
    MakeKey("acme-auth");
  }

  // Nothing stored: no session, no record.
  void ExpectNothingStored() {
    auto page = sessions_->List();
    ASSERT_TRUE(page.ok());
    EXPECT_TRUE(page->sessions.empty());
    auto record = storage_->Get(kSessionRecordKind, "acme");
    ASSERT_TRUE(record.ok());
    EXPECT_FALSE(record->has_value());
  }
};

TEST_F(KsefSessionsFailureTest, FailedAuthStatusesAreFailedPrecondition) {
  for (int code : {415, 425, 450, 460, 470, 480, 400}) {
    SCOPED_TRACE(code);
    api_.SetStatusScript({100, code});
    api_.SetStatusDetail("Uwierzytelnianie zakończone niepowodzeniem",
                         {"Brak przypisanych uprawnień"});
    auto opened = sessions_->Open(KeyParams("acme"));
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition)
        << opened.status();
    EXPECT_EQ(KsefAuthStatusOf(opened.status()), code);
    EXPECT_THAT(opened.status().message(),
                HasSubstr(absl::StrCat("status ", code)));
    EXPECT_THAT(opened.status().message(),
                HasSubstr("Brak przypisanych uprawnień"));
    EXPECT_THAT(opened.status().message(), HasSubstr("-AU-"));
    ExpectNothingStored();
  }
  EXPECT_EQ(api_.Calls(kRedeem), 0);
}

TEST_F(KsefSessionsFailureTest, KsefHttpRefusalsKeepTheirCodeAndPayload) {
  struct Case {
    int http;
    std::vector<int> codes;
    absl::StatusCode expected;
  };
  const std::vector<Case> cases = {
      {401, {}, absl::StatusCode::kPermissionDenied},
      {403, {}, absl::StatusCode::kPermissionDenied},
      {400, {21111}, absl::StatusCode::kFailedPrecondition},
      {500, {}, absl::StatusCode::kUnavailable},
      {503, {}, absl::StatusCode::kUnavailable},
      {0, {}, absl::StatusCode::kUnavailable},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.http);
    api_.Inject(kXades, KsefHttpError(kXades, c.http, c.codes));
    auto opened = sessions_->Open(KeyParams("acme"));
    EXPECT_EQ(opened.status().code(), c.expected) << opened.status();
    std::optional<KsefError> error = KsefErrorOf(opened.status());
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->http_status, c.http);
    EXPECT_EQ(error->exception_codes, c.codes);
    EXPECT_THAT(opened.status().message(), HasSubstr("open session \"acme\""));
    ExpectNothingStored();
  }
}

TEST_F(KsefSessionsFailureTest, TooManyRequestsSaysWhenToRetry) {
  api_.Inject(kChallenge, KsefHttpError(kChallenge, 429, {}, absl::Seconds(5)));
  auto opened = sessions_->Open(KeyParams("acme"));
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(opened.status().message(), HasSubstr("retry after 5s"));
  EXPECT_EQ(KsefErrorOf(opened.status())->retry_after, absl::Seconds(5));
  ExpectNothingStored();
}

TEST_F(KsefSessionsFailureTest, Status550RetriesTheWholeLoginOnce) {
  api_.SetStatusScript({550});
  auto opened = sessions_->Open(KeyParams("acme"));
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(KsefAuthStatusOf(opened.status()), 550);
  EXPECT_EQ(api_.Calls(kChallenge), 2);
  ExpectNothingStored();

  // A 550 followed by a good login opens the session.
  api_.SetStatusScript({100, 200});
  api_.QueueStatusScript({550});
  auto opened_again = sessions_->Open(KeyParams("acme"));
  ASSERT_TRUE(opened_again.ok()) << opened_again.status();
  EXPECT_EQ(api_.Calls(kChallenge), 4);
}

TEST_F(KsefSessionsFailureTest, LoginStillInProgressAfterTheTimeoutFails) {
  api_.SetStatusScript({100});
  const absl::Time start = clock_.Now();
  auto opened = sessions_->Open(KeyParams("acme"));
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(opened.status().message(), HasSubstr("still in progress"));
  // Polled every second for two minutes, and no longer.
  EXPECT_EQ(api_.Calls(kAuthStatus), 121);
  EXPECT_EQ(clock_.Now(), start + absl::Minutes(2));
  ExpectNothingStored();
}

TEST_F(KsefSessionsFailureTest, RedeemRefusedLeavesNothing) {
  api_.Inject(kRedeem, KsefHttpError(kRedeem, 400, {21301}));
  auto opened = sessions_->Open(KeyParams("acme"));
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(HasKsefCode(opened.status(), 21301));
  ExpectNothingStored();
  // What was done is in the audit trail: the operation's reference number.
  bool redeem_seen = false;
  for (const SessionCallEvent& e : observer_.events()) {
    if (e.call.endpoint == kRedeem) {
      redeem_seen = true;
      EXPECT_THAT(e.call.reference_number, HasSubstr("-AU-"));
      EXPECT_EQ(e.call.http_status, 400);
      EXPECT_EQ(e.call.exception_codes, std::vector<int>{21301});
    }
  }
  EXPECT_TRUE(redeem_seen);
}

TEST_F(KsefSessionsFailureTest, PairThatCannotBeStoredIsClosedInKsef) {
  WriteFailingStorage failing(storage_.get());
  auto sessions = KsefSessions::Create(
      {.apis = &apis_,
       .storage = &failing,
       .keyring = keyring_.get(),
       .tokens = tokens_.get(),
       .signer = signer_.get(),
       .encryptor = encryptor_.get(),
       .ministry_certificates = ministry_certificates_.get(),
       .clock = &clock_},
      {.sleep = [this](absl::Duration d) { clock_.Advance(d); }});
  ASSERT_TRUE(sessions.ok());
  failing.fail_writes = true;
  auto opened = (*sessions)->Open(KeyParams("acme"));
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(api_.Calls(kRedeem), 1);
  // The redeemed session nobody can use is ended in KSeF.
  EXPECT_EQ(api_.Calls(testing::kCloseSession), 1);
  const std::string refresh = api_.IssuedTokens()[1];
  EXPECT_EQ(api_.Refresh(SecretFromView(refresh)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ExpectNothingStored();
}

TEST_F(KsefSessionsFailureTest, UnknownMinistryKeyFetchesTheCertificatesAgain) {
  ImportToken("acme-token", kTokenSecret);
  // KSeF rotated its key in an emergency: only the new one is known.
  const signer::testing::TestCert rotated =
      MakeMinistryCert(clock_.Now() - absl::Hours(1));
  api_.SetMinistryKeys({KeyOf(rotated)},
                       signer::testing::JsonList({signer::testing::JsonItem(
                           rotated, {"KsefTokenEncryption"})}));
  auto opened = sessions_->Open(TokenParams("acme"));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(api_.Calls(kKsefToken), 2);
  EXPECT_EQ(api_.Calls(kPublicKeys), 1);
  auto listed = ministry_certificates_->List("test");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->certificates.size(), 2u);
  // The key KSeF no longer lists is retired, and the change audited.
  for (const signer::MinistryCertificate& c : listed->certificates) {
    EXPECT_EQ(c.retire_time.has_value(), c.der == ministry_.der)
        << c.record_name;
  }
  auto changes = observer_.ministry_events();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].session, "acme");
  EXPECT_EQ(changes[0].step, "mfcert-fetch");
  EXPECT_EQ(changes[0].added,
            std::vector<std::string>{
                signer::MinistryCertificate{.der = rotated.der}.Fingerprint()});
  EXPECT_EQ(
      changes[0].retired,
      std::vector<std::string>{
          signer::MinistryCertificate{.der = ministry_.der}.Fingerprint()});
}

TEST_F(KsefSessionsFailureTest,
       TokenLoginWithNoCertificateStoredFetchesThemFirst) {
  ImportToken("acme-token", kTokenSecret);
  apis_.Add("fresh", &api_);
  OpenSessionParams params = TokenParams("acme");
  params.environment = "fresh";
  auto opened = sessions_->Open(params);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(api_.Calls(kPublicKeys), 1);
  EXPECT_EQ(api_.Calls(kKsefToken), 1);  // no 21470 round: the right key
  auto listed = ministry_certificates_->List("fresh");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->certificates.size(), 1u);
  // Stored now: the next token login does not fetch again, and a key login
  // never needs them.
  ASSERT_TRUE(sessions_->Close("acme").ok());
  ASSERT_TRUE(sessions_->Open(params).ok());
  OpenSessionParams key = KeyParams("acme-key");
  key.environment = "fresh";
  ASSERT_TRUE(sessions_->Open(key).ok());
  EXPECT_EQ(api_.Calls(kPublicKeys), 1);
}

TEST_F(KsefSessionsFailureTest, FetchedCertificatesGoThroughTheTrustRules) {
  ImportToken("acme-token", kTokenSecret);
  // A certificate from someone else's CA is offered.
  const signer::testing::TestCert rogue_ca =
      signer::testing::MakeTestCert({.common_name = "Rogue", .ca = true});
  const signer::testing::TestCert rogue = signer::testing::MakeIssuedTestCert(
      rogue_ca, {.not_before = clock_.Now() - absl::Hours(1),
                 .key_usage = "keyEncipherment"});
  api_.SetMinistryKeys({KeyOf(rogue)},
                       signer::testing::JsonList({signer::testing::JsonItem(
                           rogue, {"KsefTokenEncryption"})}));
  auto opened = sessions_->Open(TokenParams("acme"));
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition)
      << opened.status();
  EXPECT_THAT(opened.status().message(), HasSubstr("21470"));
  EXPECT_EQ(api_.Calls(kKsefToken), 1);  // nothing encrypted to it
  ExpectNothingStored();
}

TEST_F(KsefSessionsFailureTest, BadFieldsAreTaggedAndCallNothing) {
  struct Case {
    std::string field;
    std::function<void(OpenSessionParams&)> spoil;
  };
  const std::vector<Case> cases = {
      {"name", [](OpenSessionParams& p) { p.name = "Bad Name"; }},
      {"name", [](OpenSessionParams& p) { p.name = ""; }},
      {"credential_name",
       [](OpenSessionParams& p) { p.credential_name = "keys/x"; }},
      {"context", [](OpenSessionParams& p) { p.context = "nip:123"; }},
      {"context",
       [](OpenSessionParams& p) {
         p.credential_kind = SessionCredentialKind::kToken;
         p.context = "peppol-id:PPL123456";
       }},
      {"environment", [](OpenSessionParams& p) { p.environment = "Prod!"; }},
      {"allowed_ips",
       [](OpenSessionParams& p) { p.allowed_ips.ip4_addresses = {"1.2.3"}; }},
  };
  for (const Case& c : cases) {
    OpenSessionParams params = KeyParams("acme");
    c.spoil(params);
    SCOPED_TRACE(c.field);
    EXPECT_EQ(TaggedField(sessions_->CheckOpen(params)), c.field);
    auto opened = sessions_->Open(params);
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(TaggedField(opened.status()), c.field);
  }
  EXPECT_EQ(TotalCalls(), 0);
  ExpectNothingStored();
}

TEST_F(KsefSessionsFailureTest, UnconfiguredEnvironmentIsFailedPrecondition) {
  OpenSessionParams params = KeyParams("acme");
  params.environment = "demo";
  auto opened = sessions_->Open(params);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(opened.status().message(), HasSubstr("api_url"));
  ExpectNothingStored();
}

TEST_F(KsefSessionsFailureTest, TokenOfAnotherContextIsNotFound) {
  ImportToken("acme-token", kTokenSecret, "nip:1111111111");
  auto opened = sessions_->Open(TokenParams("acme"));
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(TotalCalls(), 0);
  auto missing = sessions_->Open(TokenParams("acme", "nobody"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  ExpectNothingStored();
}

TEST_F(KsefSessionsFailureTest, KeyThatCannotSignFailsBeforeSubmitting) {
  ASSERT_TRUE(custody_->Disable("acme-auth").ok());
  auto opened = sessions_->Open(KeyParams("acme"));
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(opened.status().message(), HasSubstr("disabled"));
  EXPECT_EQ(api_.Calls(kXades), 0);
  ExpectNothingStored();
}

TEST_F(KsefSessionsFailureTest, ReloginRefusedLeavesTheSessionFailing) {
  ASSERT_TRUE(sessions_->Open(KeyParams("acme")).ok());
  api_.RevokeAllSessions();
  clock_.Advance(absl::Minutes(15));
  api_.SetStatusScript({460});
  auto token = sessions_->GetAccessToken("acme");
  EXPECT_EQ(token.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(KsefAuthStatusOf(token.status()), 460);
  auto got = sessions_->Get("acme");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, SessionState::kFailing);
  ASSERT_TRUE(got->last_error.has_value());
  EXPECT_EQ(got->last_error->code, "FAILED_PRECONDITION");
  EXPECT_THAT(got->last_error->text, HasSubstr("status 460"));
}

TEST_F(KsefSessionsFailureTest, UnknownAndClosedSessions) {
  EXPECT_EQ(sessions_->GetAccessToken("nobody").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(sessions_->Get("nobody").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(sessions_->Close("nobody").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(TaggedField(sessions_->Get("Bad Name").status()), "name");
  EXPECT_EQ(sessions_->List(-1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TotalCalls(), 0);
}

}  // namespace
}  // namespace sejf::broker
