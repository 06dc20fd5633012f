// KsefSessions over SQLite, SoftHSM2 and the fake KSeF: open with a key
// and with a token, cached tokens, refresh, unattended re-login, single
// flight, restart, close.
#include "broker/sessions/ksef_sessions.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "broker/sessions/session_errors.h"
#include "broker/sessions/testing/sessions_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signer/ksef/testing/xml_testing.h"

namespace sejf::broker {
namespace {

using ::testing::ElementsAre;
using testing::FakeKsefApi;
using ::testing::HasSubstr;
using testing::kAuthStatus;
using testing::kChallenge;
using testing::kCloseSession;
using testing::kKsefToken;
using testing::kRedeem;
using testing::kRefresh;
using testing::kXades;

class KsefSessionsTest : public testing::SessionsFixture {
 protected:
  std::string Token(const std::string& session) {
    auto token = sessions_->GetAccessToken(session);
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? std::string(SecretView(token->token)) : "";
  }

  SessionInfo OpenWithKey(const std::string& session) {
    MakeKey("acme-auth");
    auto opened = sessions_->Open(KeyParams(session));
    EXPECT_TRUE(opened.ok()) << opened.status();
    return opened.ok() ? *opened : SessionInfo{};
  }
};

TEST_F(KsefSessionsTest, OpenWithAKeySubmitsASignatureXmlsecVerifies) {
  MakeKey("acme-auth");
  const absl::Time start = clock_.Now();
  auto opened = sessions_->Open(KeyParams("acme"));
  ASSERT_TRUE(opened.ok()) << opened.status();
  // What KSeF received verifies with an implementation of its own.
  ASSERT_EQ(api_.SubmittedXades().size(), 1u);
  absl::Status verified = signer::testing::XmlsecVerify(
      api_.SubmittedXades()[0], CertificatePem("acme-auth"));
  EXPECT_TRUE(verified.ok()) << verified;
  EXPECT_THAT(api_.SubmittedXades()[0], HasSubstr("<Nip>5265877635</Nip>"));

  EXPECT_EQ(opened->name, "acme");
  EXPECT_EQ(opened->credential_kind, SessionCredentialKind::kKey);
  EXPECT_EQ(opened->credential_name, "acme-auth");
  EXPECT_EQ(opened->context, kNip);
  EXPECT_EQ(opened->environment, "test");
  EXPECT_EQ(opened->state, SessionState::kActive);
  EXPECT_THAT(opened->reference_number, HasSubstr("-AU-"));
  // Polled 100 then 200, one second apart, then redeemed once.
  EXPECT_EQ(api_.Calls(kAuthStatus), 2);
  EXPECT_EQ(api_.Calls(kRedeem), 1);
  EXPECT_EQ(clock_.Now(), start + absl::Seconds(1));
  EXPECT_EQ(opened->access_valid_until, clock_.Now() + absl::Minutes(15));
  EXPECT_EQ(opened->refresh_valid_until, clock_.Now() + absl::Hours(24 * 7));
  EXPECT_EQ(opened->last_error, std::nullopt);

  auto got = sessions_->Get("acme");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->reference_number, opened->reference_number);
  EXPECT_EQ(got->access_valid_until, opened->access_valid_until);
}

TEST_F(KsefSessionsTest, OpenWithATokenSendsWhatTheMinistryKeyDecrypts) {
  ImportToken("acme-token", kTokenSecret);
  auto opened = sessions_->Open(TokenParams("acme"));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->credential_kind, SessionCredentialKind::kToken);
  EXPECT_EQ(api_.Calls(kKsefToken), 1);
  EXPECT_EQ(api_.Calls(kXades), 0);
  // The fake decrypted "<token>|<timestampMs of its challenge>" with its
  // own private key (OpenSSL, not sejf's encryptor).
  ASSERT_EQ(api_.DecryptedTokens().size(), 1u);
  EXPECT_TRUE(absl::StartsWith(api_.DecryptedTokens()[0],
                               absl::StrCat(kTokenSecret, "|")));
  EXPECT_FALSE(Token("acme").empty());
}

TEST_F(KsefSessionsTest, OpenSendsAllowedIps) {
  MakeKey("acme-auth");
  OpenSessionParams params = KeyParams("acme");
  params.allowed_ips.ip4_addresses = {"192.168.0.1"};
  auto opened = sessions_->Open(params);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_THAT(api_.SubmittedXades()[0],
              HasSubstr("<Ip4Address>192.168.0.1</Ip4Address>"));
  EXPECT_EQ(sessions_->Get("acme")->allowed_ips.ip4_addresses,
            std::vector<std::string>{"192.168.0.1"});
}

TEST_F(KsefSessionsTest, CachedAccessTokenIsServedWithoutCallingKsef) {
  OpenWithKey("acme");
  const int calls = TotalCalls();
  const std::string first = Token("acme");
  clock_.Advance(absl::Minutes(13));  // 2 min of life left > 60 s margin
  EXPECT_EQ(Token("acme"), first);
  EXPECT_EQ(TotalCalls(), calls);
}

TEST_F(KsefSessionsTest, CachedAccessTokenComesWithItsSessionsContext) {
  OpenWithKey("acme");
  const std::string token = Token("acme");
  std::optional<CachedAccess> cached = sessions_->CachedAccessToken("acme");
  ASSERT_TRUE(cached.has_value());
  EXPECT_EQ(cached->context, kNip);
  EXPECT_EQ(std::string(SecretView(cached->token.token)), token);
  EXPECT_FALSE(sessions_->CachedAccessToken("nobody").has_value());
  // Within the margin of expiry it is not offered (GetAccessToken renews).
  clock_.Advance(absl::Minutes(14) + absl::Seconds(1));
  EXPECT_FALSE(sessions_->CachedAccessToken("acme").has_value());
  Token("acme");
  ASSERT_TRUE(sessions_->CachedAccessToken("acme").has_value());
  // Closed: gone.
  ASSERT_TRUE(sessions_->Close("acme").ok());
  EXPECT_FALSE(sessions_->CachedAccessToken("acme").has_value());
}

TEST_F(KsefSessionsTest, AccessTokenNearExpiryIsRefreshed) {
  const SessionInfo opened = OpenWithKey("acme");
  const std::string first = Token("acme");
  clock_.Advance(absl::Minutes(14) + absl::Seconds(1));  // 59 s left
  const std::string second = Token("acme");
  EXPECT_NE(second, first);
  EXPECT_EQ(api_.Calls(kRefresh), 1);
  EXPECT_EQ(api_.Calls(kChallenge), 1);  // no new login
  auto got = sessions_->Get("acme");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->last_refresh_time, clock_.Now());
  EXPECT_EQ(got->access_valid_until, clock_.Now() + absl::Minutes(15));
  EXPECT_EQ(got->refresh_valid_until, opened.refresh_valid_until);
  EXPECT_EQ(got->reference_number, opened.reference_number);
  EXPECT_EQ(Token("acme"), second);  // and cached again
  EXPECT_EQ(api_.Calls(kRefresh), 1);
}

TEST_F(KsefSessionsTest, RefreshTokenNearExpiryMeansANewLogin) {
  api_.SetLifetimes(absl::Minutes(15), absl::Minutes(30));
  const SessionInfo opened = OpenWithKey("acme");
  clock_.Advance(absl::Minutes(29) + absl::Seconds(30));  // 30 s left
  const std::string token = Token("acme");
  EXPECT_FALSE(token.empty());
  EXPECT_EQ(api_.Calls(kRefresh), 0);  // not worth it with 30 s left
  EXPECT_EQ(api_.Calls(kChallenge), 2);
  EXPECT_EQ(api_.Calls(kRedeem), 2);
  auto got = sessions_->Get("acme");
  ASSERT_TRUE(got.ok());
  EXPECT_NE(got->reference_number, opened.reference_number);
  EXPECT_EQ(got->state, SessionState::kActive);
  EXPECT_EQ(got->login_time, clock_.Now());
}

TEST_F(KsefSessionsTest, ExpiredRefreshTokenMeansANewLoginWithAToken) {
  api_.SetLifetimes(absl::Minutes(15), absl::Minutes(30));
  ImportToken("acme-token", kTokenSecret);
  ASSERT_TRUE(sessions_->Open(TokenParams("acme")).ok());
  clock_.Advance(absl::Hours(2));
  EXPECT_FALSE(Token("acme").empty());
  EXPECT_EQ(api_.Calls(kKsefToken), 2);
  EXPECT_EQ(api_.DecryptedTokens().size(), 2u);
}

TEST_F(KsefSessionsTest, RefreshRefusedWith21301MeansANewLogin) {
  const SessionInfo opened = OpenWithKey("acme");
  api_.RevokeAllSessions();  // the user ended it in KSeF
  clock_.Advance(absl::Minutes(15));
  EXPECT_FALSE(Token("acme").empty());
  EXPECT_EQ(api_.Calls(kRefresh), 1);
  EXPECT_EQ(api_.Calls(kRedeem), 2);
  EXPECT_NE(sessions_->Get("acme")->reference_number, opened.reference_number);
}

TEST_F(KsefSessionsTest, RefreshRefusedWith401OrStatus425MeansANewLogin) {
  OpenWithKey("acme");
  api_.Inject(kRefresh, testing::KsefHttpError(kRefresh, 401));
  clock_.Advance(absl::Minutes(15));
  EXPECT_FALSE(Token("acme").empty());
  EXPECT_EQ(api_.Calls(kRedeem), 2);

  // Auth status 425 (authentication revoked) counts as a refusal too.
  absl::Status revoked =
      AuthStatusError(425, "Uwierzytelnienie unieważnione", {}, "ref");
  EXPECT_TRUE(IsRefusedRefresh(revoked));
}

TEST_F(KsefSessionsTest, RefreshThatFailsForNowLeavesTheSessionFailing) {
  OpenWithKey("acme");
  api_.Inject(kRefresh, testing::KsefHttpError(kRefresh, 503));
  clock_.Advance(absl::Minutes(15));
  auto token = sessions_->GetAccessToken("acme");
  EXPECT_EQ(token.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(api_.Calls(kChallenge), 1);  // no login for a passing failure
  auto got = sessions_->Get("acme");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, SessionState::kFailing);
  ASSERT_TRUE(got->last_error.has_value());
  EXPECT_EQ(got->last_error->code, "UNAVAILABLE");
  EXPECT_THAT(got->last_error->text, HasSubstr("503"));
  // The next call tries again, and the session recovers.
  EXPECT_FALSE(Token("acme").empty());
  got = sessions_->Get("acme");
  EXPECT_EQ(got->state, SessionState::kActive);
  EXPECT_EQ(got->last_error, std::nullopt);
}

TEST_F(KsefSessionsTest, FiftyConcurrentCallersShareOneRefresh) {
  OpenWithKey("acme");
  clock_.Advance(absl::Minutes(15));  // the access token expired
  constexpr int kCallers = 50;
  absl::Mutex mu;
  int entered = 0;
  // KSeF answers the refresh only once every caller has asked.
  api_.OnRefresh([&] {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](int* n) { return *n == kCallers; }, &entered));
  });
  std::vector<std::string> tokens(kCallers);
  std::vector<absl::Status> statuses(kCallers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      {
        absl::MutexLock lock(&mu);
        ++entered;
      }
      auto token = sessions_->GetAccessToken("acme");
      statuses[i] = token.status();
      if (token.ok()) tokens[i] = std::string(SecretView(token->token));
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(api_.Calls(kRefresh), 1);
  for (int i = 0; i < kCallers; ++i) {
    EXPECT_TRUE(statuses[i].ok()) << statuses[i];
    EXPECT_EQ(tokens[i], tokens[0]);
  }
}

TEST_F(KsefSessionsTest, CallersWaitingForAFailedRenewalShareItsError) {
  OpenWithKey("acme");
  ASSERT_TRUE(sessions_->Open(KeyParams("other")).ok());
  clock_.Advance(absl::Minutes(15));
  api_.Inject(kRefresh, testing::KsefHttpError(kRefresh, 503), 100);
  constexpr int kCallers = 10;
  absl::Mutex mu;
  int entered = 0;
  api_.OnRefresh([&] {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](int* n) { return *n == kCallers; }, &entered));
  });
  std::vector<std::thread> threads;
  std::atomic<int> unavailable = 0;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&] {
      {
        absl::MutexLock lock(&mu);
        ++entered;
      }
      if (sessions_->GetAccessToken("acme").status().code() ==
          absl::StatusCode::kUnavailable) {
        ++unavailable;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(unavailable.load(), kCallers);
  // Those that waited did not start refreshes of their own (a late caller
  // may: it did not wait for the failed one).
  EXPECT_LT(api_.Calls(kRefresh), kCallers);
}

TEST_F(KsefSessionsTest, ARenewalHoldsUpOnlyItsOwnSession) {
  OpenWithKey("slow");
  ASSERT_TRUE(sessions_->Open(KeyParams("fast")).ok());
  clock_.Advance(absl::Minutes(15));  // both need a refresh
  absl::Notification slow_in_ksef, release;
  std::atomic<bool> first = true;
  api_.OnRefresh([&] {
    if (first.exchange(false)) {
      slow_in_ksef.Notify();
      release.WaitForNotification();
    }
  });
  std::thread slow(
      [&] { EXPECT_TRUE(sessions_->GetAccessToken("slow").ok()); });
  slow_in_ksef.WaitForNotification();
  // While "slow" waits for KSeF, "fast" renews and answers.
  absl::Notification fast_done;
  std::thread fast([&] {
    EXPECT_TRUE(sessions_->GetAccessToken("fast").ok());
    fast_done.Notify();
  });
  // A bound against a hang, not a timing assertion.
  EXPECT_TRUE(fast_done.WaitForNotificationWithTimeout(absl::Seconds(60)));
  release.Notify();
  slow.join();
  fast.join();
  EXPECT_EQ(api_.Calls(kRefresh), 2);
}

TEST_F(KsefSessionsTest, ConcurrentOpensOfOneNameOpenItOnce) {
  MakeKey("acme-auth");
  constexpr int kCallers = 4;
  std::vector<absl::StatusCode> codes(kCallers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      codes[i] = sessions_->Open(KeyParams("acme")).status().code();
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(std::count(codes.begin(), codes.end(), absl::StatusCode::kOk), 1);
  EXPECT_EQ(
      std::count(codes.begin(), codes.end(), absl::StatusCode::kAlreadyExists),
      kCallers - 1);
  EXPECT_EQ(api_.Calls(kRedeem), 1);
}

TEST_F(KsefSessionsTest, SessionsSurviveARestart) {
  OpenWithKey("acme");
  const std::string before = Token("acme");
  Stop();
  const int calls = TotalCalls();
  ASSERT_TRUE(Start().ok());
  EXPECT_EQ(Token("acme"), before);
  EXPECT_EQ(TotalCalls(), calls);
  auto page = sessions_->List();
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->sessions.size(), 1u);
  EXPECT_EQ(page->sessions[0].name, "acme");
  // And renew after the restart.
  clock_.Advance(absl::Minutes(15));
  EXPECT_NE(Token("acme"), before);
  EXPECT_EQ(api_.Calls(kRefresh), 1);
}

TEST_F(KsefSessionsTest, ASessionClosedByAnotherReplicaIsNotServedFromCache) {
  OpenWithKey("acme");
  // Another sejfd on the same storage and HSM token: its own cache.
  auto other = KsefSessions::Create(
      {.apis = &apis_,
       .storage = storage_.get(),
       .keyring = keyring_.get(),
       .tokens = tokens_.get(),
       .signer = signer_.get(),
       .encryptor = encryptor_.get(),
       .ministry_certificates = ministry_certificates_.get(),
       .clock = &clock_,
       .observer = &observer_},
      {.sleep = [this](absl::Duration d) { clock_.Advance(d); }});
  ASSERT_TRUE(other.ok()) << other.status();
  const std::string token = Token("acme");
  auto served = (*other)->GetAccessToken("acme");
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ(std::string(SecretView(served->token)), token);
  ASSERT_TRUE((*other)->CachedAccessToken("acme").has_value());

  // Closed through this one: the other refuses at once, cache or not.
  ASSERT_TRUE(sessions_->Close("acme").ok());
  EXPECT_FALSE((*other)->CachedAccessToken("acme").has_value());
  auto after = (*other)->GetAccessToken("acme");
  EXPECT_EQ(after.status().code(), absl::StatusCode::kFailedPrecondition);

  // Opened anew here: the other serves the new session's token, not the
  // one it had cached.
  ASSERT_TRUE(sessions_->Open(KeyParams("acme")).ok());
  const std::string fresh = Token("acme");
  EXPECT_NE(fresh, token);
  auto again = (*other)->GetAccessToken("acme");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(std::string(SecretView(again->token)), fresh);
}

TEST_F(KsefSessionsTest, CloseEndsTheSessionInKsefAndDestroysTheTokens) {
  const SessionInfo opened = OpenWithKey("acme");
  const std::string token = Token("acme");
  auto closed = sessions_->Close("acme");
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->state, SessionState::kClosed);
  EXPECT_EQ(closed->access_valid_until, std::nullopt);
  EXPECT_EQ(closed->refresh_valid_until, std::nullopt);
  EXPECT_EQ(closed->last_error, std::nullopt);
  EXPECT_EQ(api_.Calls(kCloseSession), 1);
  // No token is served any more, not even the cached one.
  auto after = sessions_->GetAccessToken("acme");
  EXPECT_EQ(after.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(after.status().message(), HasSubstr("closed"));
  // KSeF refuses the refresh token now.
  EXPECT_EQ(
      api_.Refresh(SecretFromView(api_.IssuedTokens()[1])).status().code(),
      absl::StatusCode::kFailedPrecondition);
  // Closing again is a no-op; the name can be opened anew.
  EXPECT_TRUE(sessions_->Close("acme").ok());
  EXPECT_EQ(api_.Calls(kCloseSession), 1);
  auto reopened = sessions_->Open(KeyParams("acme"));
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_NE(reopened->reference_number, opened.reference_number);
  EXPECT_NE(Token("acme"), token);
}

TEST_F(KsefSessionsTest, CloseWhenKsefIsUnreachableClosesHereAndSaysSo) {
  OpenWithKey("acme");
  api_.Inject(kCloseSession, testing::KsefHttpError(kCloseSession, 0));
  auto closed = sessions_->Close("acme");
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->state, SessionState::kClosed);
  ASSERT_TRUE(closed->last_error.has_value());
  EXPECT_EQ(closed->last_error->code, "UNAVAILABLE");
  EXPECT_THAT(closed->last_error->text, HasSubstr("did not confirm"));
  auto record = storage_->Get(kSessionRecordKind, "acme");
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_FALSE(absl::StrContains((*record)->data, "sealed"));
}

TEST_F(KsefSessionsTest, OpenOfAnOpenNameIsRefused) {
  OpenWithKey("acme");
  const int calls = TotalCalls();
  auto again = sessions_->Open(KeyParams("acme"));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(TotalCalls(), calls);
}

TEST_F(KsefSessionsTest, ListPagesInNameOrder) {
  MakeKey("acme-auth");
  for (const char* name : {"c", "a", "b"}) {
    ASSERT_TRUE(sessions_->Open(KeyParams(name)).ok());
  }
  auto page = sessions_->List(2);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->sessions.size(), 2u);
  EXPECT_EQ(page->sessions[0].name, "a");
  EXPECT_EQ(page->sessions[1].name, "b");
  auto rest = sessions_->List(2, page->next_page_token);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->sessions.size(), 1u);
  EXPECT_EQ(rest->sessions[0].name, "c");
  EXPECT_TRUE(rest->next_page_token.empty());
}

TEST_F(KsefSessionsTest, EveryKsefCallIsObservedWithItsReferenceNumber) {
  const SessionInfo opened = OpenWithKey("acme");
  std::vector<std::string> endpoints;
  for (const SessionCallEvent& e : observer_.events()) {
    endpoints.push_back(e.call.endpoint);
    EXPECT_EQ(e.session, "acme");
    EXPECT_EQ(e.context, kNip);
    EXPECT_EQ(e.environment, "test");
    EXPECT_EQ(e.step, "open");
    EXPECT_TRUE(e.call.status.ok());
    if (e.call.endpoint != kChallenge) {
      EXPECT_EQ(e.call.reference_number, opened.reference_number);
    }
  }
  EXPECT_THAT(endpoints, ElementsAre(kChallenge, kXades, kAuthStatus,
                                     kAuthStatus, kRedeem));
  const vault::AuditEvent audit = SessionCallAuditEvent(observer_.events()[1]);
  EXPECT_EQ(audit.operation, "ksef.call");
  EXPECT_EQ(audit.method, kXades);
  EXPECT_EQ(audit.resource, "sessions/acme");
  EXPECT_EQ(audit.identity, "sejfd");
  EXPECT_EQ(audit.outcome, "OK");
  EXPECT_THAT(audit.detail,
              HasSubstr(absl::StrCat("step=open ref=", opened.reference_number,
                                     " http=202")));
}

}  // namespace
}  // namespace sejf::broker
