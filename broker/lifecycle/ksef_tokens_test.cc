// KsefTokens over the sessions fixture (SQLite, SoftHSM2, the token vault)
// and the fake KSeF: tokens minted straight into the vault, the secret
// nowhere but sealed, the status watch, revoke before destroy.
#include "broker/lifecycle/ksef_tokens.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "broker/ksef_api/ksef_error.h"
#include "broker/lifecycle/ksef_token_watcher.h"
#include "broker/sessions/testing/sessions_fixture.h"
#include "common/status_context.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::broker {
namespace {

using ::testing::HasSubstr;
using testing::kGenerateToken;
using testing::kGetToken;
using testing::kRevokeToken;
using vault::TokenPermission;

class KsefTokensTest : public testing::SessionsFixture {
 protected:
  void SetUp() override {
    SessionsFixture::SetUp();
    if (HasFatalFailure()) return;
    auto made = KsefTokens::Create(
        {.apis = &apis_,
         .sessions = sessions_.get(),
         .tokens = tokens_.get(),
         .clock = &clock_,
         .observer = &observer_},
        {.sleep = [this](absl::Duration d) { clock_.Advance(d); }});
    ASSERT_TRUE(made.ok()) << made.status();
    lifecycle_ = *std::move(made);
  }
  void TearDown() override {
    lifecycle_.reset();
    SessionsFixture::TearDown();
  }

  void OpenKeySession(const std::string& session = "acme") {
    MakeKey("acme-auth");
    auto opened = sessions_->Open(KeyParams(session));
    ASSERT_TRUE(opened.ok()) << opened.status();
  }

  CreateKsefTokenParams Params(const std::string& name = "acme-erp") const {
    return {.name = name,
            .session = "acme",
            .permissions = {TokenPermission::kInvoiceWrite,
                            TokenPermission::kInvoiceRead},
            .description = "ERP invoices"};
  }

  std::unique_ptr<KsefTokens> lifecycle_;
};

TEST_F(KsefTokensTest, CreateSealsTheMintedTokenAndWaitsUntilActive) {
  OpenKeySession();
  api_.SetTokenPendingPolls(2);
  auto created = lifecycle_->Create(Params());
  ASSERT_TRUE(created.ok()) << created.status();
  const vault::TokenRecord& r = created->record;
  EXPECT_EQ(created->name, "acme-erp");
  EXPECT_THAT(r.ksef_reference, HasSubstr("-EC-"));
  EXPECT_EQ(r.ksef_environment, "test");
  EXPECT_EQ(r.ksef_status, "Active");
  EXPECT_EQ(r.context, kNip);
  EXPECT_EQ(r.description, "ERP invoices");
  EXPECT_EQ(r.permissions,
            (std::vector<TokenPermission>{TokenPermission::kInvoiceRead,
                                          TokenPermission::kInvoiceWrite}));
  EXPECT_TRUE(r.sealed_secret.empty());  // never handed out
  EXPECT_EQ(api_.Calls(kGenerateToken), 1);
  EXPECT_EQ(api_.Calls(kGetToken), 2);  // Pending, then Active

  // The vault holds exactly what KSeF minted.
  const std::string minted = api_.MintedToken(r.ksef_reference);
  ASSERT_FALSE(minted.empty());
  auto usable = tokens_->OpenForUse("acme-erp");
  ASSERT_TRUE(usable.ok()) << usable.status();
  EXPECT_EQ(SecretView(usable->secret), minted);
  // ... and nowhere in plaintext: not in the database files, not in an
  // event the observer heard.
  EXPECT_FALSE(absl::StrContains(DatabaseBytes(), minted));
  EXPECT_FALSE(
      absl::StrContains(DatabaseBytes(), minted.substr(minted.rfind('|') + 1)));
  for (const SessionCallEvent& e : observer_.events()) {
    EXPECT_FALSE(absl::StrContains(e.call.status.ToString(), minted));
  }
  bool audited_generate = false;
  for (const SessionCallEvent& e : observer_.events()) {
    if (e.call.endpoint == kGenerateToken) {
      audited_generate = true;
      EXPECT_EQ(e.step, "token-create");
      EXPECT_EQ(e.call.reference_number, r.ksef_reference);
    }
  }
  EXPECT_TRUE(audited_generate);

  // A login with the minted token works.
  auto token_session = sessions_->Open(TokenParams("erp", "acme-erp"));
  EXPECT_TRUE(token_session.ok()) << token_session.status();
}

TEST_F(KsefTokensTest, BadInputIsRefusedBeforeKsefIsAsked) {
  OpenKeySession();
  CreateKsefTokenParams p = Params();
  p.description = "abc";
  absl::Status s = lifecycle_->Create(p).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(TaggedField(s), "description");
  p = Params();
  p.permissions.clear();
  s = lifecycle_->Create(p).status();
  EXPECT_EQ(TaggedField(s), "permissions");
  p = Params("bad name!");
  s = lifecycle_->Create(p).status();
  EXPECT_EQ(TaggedField(s), "name");
  EXPECT_EQ(api_.Calls(kGenerateToken), 0);
}

TEST_F(KsefTokensTest, ATakenNameIsRefusedBeforeMinting) {
  OpenKeySession();
  ImportToken("acme-erp", kTokenSecret);
  absl::Status s = lifecycle_->Create(Params()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
  EXPECT_EQ(api_.Calls(kGenerateToken), 0);
}

TEST_F(KsefTokensTest, ATokenSessionCannotMint) {
  ImportToken("acme-token", kTokenSecret);
  api_.AcceptKsefToken(kTokenSecret);
  auto opened = sessions_->Open(TokenParams("acme"));
  ASSERT_TRUE(opened.ok()) << opened.status();
  absl::Status s = lifecycle_->Create(Params()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("certificate login"));
  EXPECT_EQ(api_.Calls(kGenerateToken), 0);
}

TEST_F(KsefTokensTest, KsefRefusingToMintStoresNothing) {
  OpenKeySession();
  api_.Inject(kGenerateToken,
              testing::KsefHttpError(kGenerateToken, 400, {26001}));
  absl::Status s = lifecycle_->Create(Params()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(tokens_->Get("acme-erp").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(KsefTokensTest, ImportTakesTheReferenceNumberFromTheToken) {
  ImportToken("acme-token", kTokenSecret);
  auto token = tokens_->Get("acme-token");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->record.ksef_reference,
            "20251010-EC-1DCE3E3000-12ECB5B36E-45");
  EXPECT_EQ(token->record.ksef_status, "");
  ImportToken("opaque", "no-reference-here");
  EXPECT_EQ(tokens_->Get("opaque")->record.ksef_reference, "");
}

TEST_F(KsefTokensTest, StatusWatchSeesARevocationAndClosesItsSessions) {
  OpenKeySession();
  auto created = lifecycle_->Create(Params());
  ASSERT_TRUE(created.ok()) << created.status();
  auto erp = sessions_->Open(TokenParams("erp", "acme-erp"));
  ASSERT_TRUE(erp.ok()) << erp.status();

  // Nothing changed: the pass checks it and leaves it.
  KsefTokenWatchPass pass = lifecycle_->CheckAll();
  EXPECT_EQ(pass.checked, 1);
  EXPECT_EQ(pass.changed, 0);

  // Revoked in the KSeF portal.
  api_.SetTokenStatus(created->record.ksef_reference, "Revoked");
  pass = lifecycle_->CheckAll();
  EXPECT_EQ(pass.checked, 1);
  EXPECT_EQ(pass.changed, 1);
  EXPECT_EQ(pass.revoked, 1);
  EXPECT_EQ(lifecycle_->revocations_seen(), 1);
  auto token = tokens_->Get("acme-erp");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->record.ksef_status, "Revoked");
  absl::Status use = tokens_->OpenForUse("acme-erp").status();
  EXPECT_EQ(use.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(use.message(), HasSubstr("not active in KSeF (Revoked)"));
  auto closed = sessions_->Get("erp");
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->state, SessionState::kClosed);
  // The key session it was checked through stays.
  EXPECT_EQ(sessions_->Get("acme")->state, SessionState::kActive);
  // A second pass counts no new revocation.
  pass = lifecycle_->CheckAll();
  EXPECT_EQ(pass.revoked, 0);
  EXPECT_EQ(lifecycle_->revocations_seen(), 1);
}

TEST_F(KsefTokensTest, StatusWatchSkipsTokensWithoutASessionInTheirContext) {
  ImportToken("acme-token", kTokenSecret);  // has a reference, no session
  KsefTokenWatchPass pass = lifecycle_->CheckAll();
  EXPECT_EQ(pass.checked, 0);
  EXPECT_EQ(pass.skipped, 1);
  EXPECT_EQ(api_.Calls(kGetToken), 0);
}

TEST_F(KsefTokensTest, StatusWatchStopsWhenKsefRateLimitsIt) {
  OpenKeySession();
  ASSERT_TRUE(lifecycle_->Create(Params("erp-a")).ok());
  ASSERT_TRUE(lifecycle_->Create(Params("erp-b")).ok());
  const int gets = api_.Calls(kGetToken);
  api_.Inject(kGetToken,
              testing::KsefHttpError(kGetToken, 429, {}, absl::Seconds(60)));
  KsefTokenWatchPass pass = lifecycle_->CheckAll();
  EXPECT_TRUE(pass.stopped_by_rate_limit);
  EXPECT_EQ(pass.failed, 1);
  EXPECT_EQ(pass.checked, 0);
  EXPECT_EQ(api_.Calls(kGetToken), gets + 1);  // erp-b was not asked
  pass = lifecycle_->CheckAll();               // the next pass covers both
  EXPECT_FALSE(pass.stopped_by_rate_limit);
  EXPECT_EQ(pass.checked, 2);
}

TEST_F(KsefTokensTest, DestroyWithRevokeRevokesInKsefFirst) {
  OpenKeySession();
  auto created = lifecycle_->Create(Params());
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string ref = created->record.ksef_reference;

  // KSeF refuses: nothing is destroyed.
  api_.Inject(kRevokeToken, testing::KsefHttpError(kRevokeToken, 503));
  absl::Status s = lifecycle_->DestroyWithRevoke("acme-erp", "acme").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(tokens_->Get("acme-erp")->record.state,
            vault::CredentialState::kActive);

  auto destroyed = lifecycle_->DestroyWithRevoke("acme-erp", "acme");
  ASSERT_TRUE(destroyed.ok()) << destroyed.status();
  EXPECT_EQ(destroyed->record.state, vault::CredentialState::kDestroyed);
  EXPECT_EQ(destroyed->record.ksef_status, "Revoking");
  EXPECT_EQ(api_.Calls(kRevokeToken), 2);
  // KSeF no longer accepts it.
  EXPECT_FALSE(sessions_->Open(TokenParams("erp", "acme-erp")).ok());
}

TEST_F(KsefTokensTest, DestroyWithRevokeNeedsAReferenceNumber) {
  OpenKeySession();
  ImportToken("opaque", "no-reference-here");
  absl::Status s = lifecycle_->DestroyWithRevoke("opaque", "acme").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("KSeF portal"));
  EXPECT_EQ(tokens_->Get("opaque")->record.state,
            vault::CredentialState::kActive);
}

TEST_F(KsefTokensTest, WatcherRunsAPassWhenPoked) {
  OpenKeySession();
  auto created = lifecycle_->Create(Params());
  ASSERT_TRUE(created.ok()) << created.status();
  api_.SetTokenStatus(created->record.ksef_reference, "Revoked");
  auto watcher =
      KsefTokenWatcher::Start(lifecycle_.get(), {.interval = absl::Hours(6)});
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  (*watcher)->Poke();
  ASSERT_TRUE((*watcher)->WaitForPasses(1));
  (*watcher)->Stop();
  EXPECT_EQ(tokens_->Get("acme-erp")->record.ksef_status, "Revoked");
}

// A token login KSeF ends with 450 tells the sessions' owner which token
// (sejfd then wakes the status watch).
TEST_F(KsefTokensTest, ATokenLoginEndingIn450NamesTheToken) {
  lifecycle_.reset();
  Stop();
  std::vector<std::string> refused;
  ASSERT_TRUE(Start({.on_token_refused = [&](absl::string_view token) {
                refused.emplace_back(token);
              }}).ok());
  // A token KSeF does not know: the fake ends the login with 450.
  auto token = tokens_->Import({.name = "unknown-tok",
                                .context = kNip,
                                .description = "ERP",
                                .secret = SecretFromView("not-in-ksef-0123")});
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_FALSE(sessions_->Open(TokenParams("erp", "unknown-tok")).ok());
  EXPECT_EQ(refused, std::vector<std::string>{"unknown-tok"});
}

}  // namespace
}  // namespace sejf::broker
