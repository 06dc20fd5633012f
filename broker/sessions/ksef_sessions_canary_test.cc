// No KSeF token (authentication, access, refresh) and no KSeF-token secret
// reaches the database file or its WAL, a session listing, an error, the
// observer or an audit event; the session record's format round-trips and
// its sealed tokens open only in their own place.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "broker/sessions/ksef_sessions.h"
#include "broker/sessions/session_record.h"
#include "broker/sessions/testing/sessions_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vault/audit/audit_log.h"
#include "vault/crypto/sealed_record.h"

namespace sejf::broker {
namespace {

using ::testing::HasSubstr;
using testing::kRefresh;
using testing::KsefHttpError;

// Every text a SessionInfo shows.
std::string Shown(const SessionInfo& s) {
  std::string text = absl::StrCat(s.name, s.credential_name, s.context,
                                  s.environment, s.reference_number);
  if (s.last_error) absl::StrAppend(&text, s.last_error->text);
  return text;
}

class SessionsCanaryTest : public testing::SessionsFixture {
 protected:
  // Fails the test when any issued token or the KSeF-token secret is in
  // `text`.
  void ExpectNoSecretIn(absl::string_view text, absl::string_view where) {
    for (const std::string& token : api_.IssuedTokens()) {
      EXPECT_FALSE(absl::StrContains(text, token)) << where;
    }
    EXPECT_FALSE(absl::StrContains(text, "CANARY")) << where;
    EXPECT_FALSE(absl::StrContains(text, "fake-access")) << where;
    EXPECT_FALSE(absl::StrContains(text, "fake-refresh")) << where;
    EXPECT_FALSE(absl::StrContains(text, "fake-auth")) << where;
  }
};

TEST_F(SessionsCanaryTest, NoTokenInTheDatabaseListingsErrorsOrAudit) {
  auto audit = vault::AuditLog::Open(storage_.get(), &hsm_->store(), &clock_);
  ASSERT_TRUE(audit.ok()) << audit.status();
  AuditingSessionCallObserver auditor(audit->get());
  // The fixture's sessions report to the recording observer; these to the
  // audit log.
  auto audited = KsefSessions::Create(
      {.apis = &apis_,
       .storage = storage_.get(),
       .keyring = keyring_.get(),
       .tokens = tokens_.get(),
       .signer = signer_.get(),
       .encryptor = encryptor_.get(),
       .ministry_certificates = ministry_certificates_.get(),
       .clock = &clock_,
       .observer = &auditor},
      {.sleep = [this](absl::Duration d) { clock_.Advance(d); }});
  ASSERT_TRUE(audited.ok());
  KsefSessions& sessions = **audited;

  MakeKey("acme-auth");
  ImportToken("acme-token", kTokenSecret);
  ASSERT_TRUE(sessions.Open(KeyParams("by-key")).ok());
  ASSERT_TRUE(sessions.Open(TokenParams("by-token")).ok());
  // Refresh one, re-login the other, fail one renewal, close one.
  clock_.Advance(absl::Minutes(15));
  ASSERT_TRUE(sessions.GetAccessToken("by-key").ok());
  api_.RevokeAllSessions();
  clock_.Advance(absl::Minutes(15));
  ASSERT_TRUE(sessions.GetAccessToken("by-token").ok());
  api_.Inject(kRefresh, KsefHttpError(kRefresh, 503));
  absl::Status failed = sessions.GetAccessToken("by-token").status();
  // (served from the cache: force a renewal)
  clock_.Advance(absl::Minutes(15));
  failed = sessions.GetAccessToken("by-token").status();
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable);
  ExpectNoSecretIn(failed.ToString(), "error");
  ASSERT_TRUE(sessions.Close("by-key").ok());
  ASSERT_GE(api_.IssuedTokens().size(), 8u);

  auto page = sessions.List();
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->sessions.size(), 2u);
  for (const SessionInfo& s : page->sessions)
    ExpectNoSecretIn(Shown(s), "list");

  auto events = (*audit)->List({.operation = "ksef.call"}, 1000, "");
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_GE(events->events.size(), 12u);
  bool refresh_audited = false;
  for (const vault::AuditEvent& e : events->events) {
    ExpectNoSecretIn(absl::StrCat(e.request_id, e.identity, e.method,
                                  e.resource, e.context, e.detail),
                     "audit");
    if (e.method == kRefresh && e.outcome == "UNAVAILABLE") {
      refresh_audited = true;
      EXPECT_EQ(e.resource, "sessions/by-token");
      EXPECT_THAT(e.detail, HasSubstr("http=503"));
    }
  }
  EXPECT_TRUE(refresh_audited);
  EXPECT_EQ(auditor.failed_appends(), 0);
  ASSERT_TRUE((*audit)->Close().ok());

  // The live files, and after closing them.
  ExpectNoSecretIn(DatabaseBytes(), "live database files");
  audited->reset();
  audit->reset();
  Stop();
  const std::string files = DatabaseBytes();
  ASSERT_TRUE(absl::StrContains(files, "by-token"));  // the right file
  ExpectNoSecretIn(files, "database files");
}

TEST(SessionRecordTest, RoundTripsAndRefusesDamage) {
  SessionRecord record{
      .credential_kind = SessionCredentialKind::kToken,
      .credential_name = "acme-token",
      .context = "nip:5265877635",
      .environment = "test",
      .allowed_ips = {.ip4_masks = {"10.0.0.0/8"}},
      .state = SessionState::kFailing,
      .reference_number = "20250514-AU-2DFC46C000-3AC6D5877F-D4",
      .generation = 3,
      .access = SealedBearer{.sealed = std::string("\x01\x00sealed-a", 10),
                             .valid_until = absl::FromUnixSeconds(1000)},
      .refresh = SealedBearer{.sealed = "sealed-r",
                              .valid_until = absl::FromUnixSeconds(2000)},
      .login_time = absl::FromUnixSeconds(10),
      .last_refresh_time = absl::FromUnixSeconds(20),
      .last_error = SessionError{.code = "UNAVAILABLE",
                                 .text = "POST /auth/token/refresh: HTTP 503",
                                 .time = absl::FromUnixSeconds(30)},
      .create_time = absl::FromUnixSeconds(1),
      .update_time = absl::FromUnixSeconds(30)};
  auto decoded = DecodeSessionRecord(EncodeSessionRecord(record));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, record);

  record.credential_kind = SessionCredentialKind::kKey;
  record.subject_type = signer::SubjectIdentifierType::kCertificateFingerprint;
  decoded = DecodeSessionRecord(EncodeSessionRecord(record));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, record);

  SessionRecord open_without_tokens = record;
  open_without_tokens.refresh.reset();
  EXPECT_EQ(DecodeSessionRecord(EncodeSessionRecord(open_without_tokens))
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
  for (absl::string_view bad : {"", "{", "{\"format\":2}", "[]",
                                "{\"format\":1,\"credential_kind\":\"pin\"}"}) {
    EXPECT_EQ(DecodeSessionRecord(bad).status().code(),
              absl::StatusCode::kDataLoss)
        << bad;
  }
}

TEST_F(SessionsCanaryTest, SealedTokensOpenOnlyInTheirOwnPlace) {
  MakeKey("acme-auth");
  ASSERT_TRUE(sessions_->Open(KeyParams("acme")).ok());
  auto stored = storage_->Get(kSessionRecordKind, "acme");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  auto record = DecodeSessionRecord((*stored)->data);
  ASSERT_TRUE(record.ok());
  const vault::SealedPlace access{.kind = kSessionRecordKind,
                                  .id = "acme/access",
                                  .version = record->generation};
  auto opened = vault::Open(*keyring_, record->access->sealed, access);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(std::string(SecretView(*opened)), api_.IssuedTokens()[2]);
  // As the refresh token, in another session, or from another generation.
  EXPECT_FALSE(vault::Open(*keyring_, record->access->sealed,
                           {.kind = kSessionRecordKind,
                            .id = "acme/refresh",
                            .version = record->generation})
                   .ok());
  EXPECT_FALSE(vault::Open(*keyring_, record->access->sealed,
                           {.kind = kSessionRecordKind,
                            .id = "other/access",
                            .version = record->generation})
                   .ok());
  EXPECT_FALSE(vault::Open(*keyring_, record->access->sealed,
                           {.kind = kSessionRecordKind,
                            .id = "acme/access",
                            .version = record->generation + 1})
                   .ok());
}

// Found by fuzz/session_record_fuzz.cc: a time member too large for int64
// (1e21) was converted without a check (undefined behaviour); numbers that
// are not 64-bit integers are damage like any other.
TEST(SessionRecordTest, NumbersThatAreNotInt64AreDataLoss) {
  const std::string closed =
      R"({"format":1,"credential_kind":"token","credential_name":"acme",)"
      R"("context":"nip:5265877635","environment":"test","state":"closed",)"
      R"("generation":1,"login_time_us":10,"create_time_us":1,)"
      R"("update_time_us":30})";
  ASSERT_TRUE(DecodeSessionRecord(closed).ok());
  for (absl::string_view number : {"1e21", "1747000000000009999999", "1.5",
                                   "-1e300", "9223372036854775808", "\"1\""}) {
    std::string bad = closed;
    bad.replace(bad.find("10,"), 2, std::string(number));
    EXPECT_EQ(DecodeSessionRecord(bad).status().code(),
              absl::StatusCode::kDataLoss)
        << bad;
  }
  std::string bad_generation = closed;
  bad_generation.replace(bad_generation.find("\"generation\":1"), 14,
                         "\"generation\":1e30");
  EXPECT_EQ(DecodeSessionRecord(bad_generation).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace sejf::broker
