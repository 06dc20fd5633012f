// MinistryKeyRefresher over the sessions fixture (SQLite, SoftHSM2, the
// fake KSeF): which environments it refreshes, what a withdrawn key
// becomes, failures, stopping.
#include "broker/sessions/ministry_key_refresher.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "broker/sessions/testing/sessions_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::broker {
namespace {

using ::testing::ElementsAre;
using testing::FakeKsefApi;
using ::testing::HasSubstr;
using testing::kKsefToken;
using testing::kPublicKeys;

std::string FingerprintOf(const signer::testing::TestCert& cert) {
  return signer::MinistryCertificate{.der = cert.der}.Fingerprint();
}

class MinistryKeyRefresherTest : public testing::SessionsFixture {
 protected:
  // A refresher whose failures are kept in failures_.
  std::unique_ptr<MinistryKeyRefresher> StartRefresher(
      MinistryKeyRefresher::Options options = {}) {
    options.on_failure = [this](absl::string_view environment,
                                const absl::Status& error) {
      absl::MutexLock lock(&mu_);
      failures_.emplace_back(std::string(environment), error);
    };
    auto refresher =
        MinistryKeyRefresher::Start(sessions_.get(), std::move(options));
    EXPECT_TRUE(refresher.ok()) << refresher.status();
    return refresher.ok() ? *std::move(refresher) : nullptr;
  }

  std::vector<std::pair<std::string, absl::Status>> failures() {
    absl::MutexLock lock(&mu_);
    return failures_;
  }

  absl::Mutex mu_;
  std::vector<std::pair<std::string, absl::Status>> failures_
      ABSL_GUARDED_BY(mu_);
};

TEST_F(MinistryKeyRefresherTest, RefreshesAtStartOnlyWhereSessionsAreOpen) {
  MakeKey("acme-auth");
  FakeKsefApi demo_api(&clock_);
  FakeKsefApi fresh_api(&clock_);
  apis_.Add("demo", &demo_api);    // a session there, closed
  apis_.Add("fresh", &fresh_api);  // no session at all
  OpenSessionParams demo = KeyParams("old");
  demo.environment = "demo";
  ASSERT_TRUE(sessions_->Open(demo).ok());
  ASSERT_TRUE(sessions_->Close("old").ok());
  ASSERT_TRUE(sessions_->Open(KeyParams("acme")).ok());

  std::unique_ptr<MinistryKeyRefresher> refresher = StartRefresher();
  ASSERT_NE(refresher, nullptr);
  ASSERT_TRUE(refresher->WaitForRounds(1));
  EXPECT_EQ(api_.Calls(kPublicKeys), 1);
  EXPECT_EQ(demo_api.Calls(kPublicKeys), 0);
  EXPECT_EQ(fresh_api.Calls(kPublicKeys), 0);
  EXPECT_TRUE(failures().empty());
  // The call is audited as sejfd's own refresh; the list matched what was
  // stored, so no change is reported.
  bool seen = false;
  for (const SessionCallEvent& e : observer_.events()) {
    if (e.call.endpoint != kPublicKeys) continue;
    seen = true;
    EXPECT_EQ(e.step, "mfcert-refresh");
    EXPECT_EQ(e.environment, "test");
    EXPECT_TRUE(e.caller.identity.empty());
  }
  EXPECT_TRUE(seen);
  EXPECT_TRUE(observer_.ministry_events().empty());
  // Stopping does not wait out the 24 hours.
  refresher.reset();
  EXPECT_EQ(api_.Calls(kPublicKeys), 1);
}

TEST_F(MinistryKeyRefresherTest, WithdrawnKeyIsRetiredAndTokenLoginsAvoidIt) {
  MakeKey("acme-auth");
  ImportToken("acme-token", kTokenSecret);
  ASSERT_TRUE(sessions_->Open(KeyParams("acme")).ok());
  // A newer key was published and stored, then withdrawn by KSeF: only the
  // fixture's original key is listed (and decrypts) now.
  const signer::testing::TestCert withdrawn =
      MakeMinistryCert(clock_.Now() - absl::Hours(1));
  ASSERT_TRUE(
      ministry_certificates_
          ->Import("test", signer::testing::JsonList({signer::testing::JsonItem(
                               withdrawn, {"KsefTokenEncryption"})}))
          .ok());

  std::unique_ptr<MinistryKeyRefresher> refresher = StartRefresher();
  ASSERT_NE(refresher, nullptr);
  ASSERT_TRUE(refresher->WaitForRounds(1));
  refresher.reset();

  auto listed = ministry_certificates_->List("test");
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->certificates.size(), 2u) << "retired, not deleted";
  for (const signer::MinistryCertificate& c : listed->certificates) {
    EXPECT_EQ(c.retire_time.has_value(), c.der == withdrawn.der)
        << c.record_name;
  }
  auto changes = observer_.ministry_events();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].environment, "test");
  EXPECT_EQ(changes[0].step, "mfcert-refresh");
  EXPECT_THAT(changes[0].retired, ElementsAre(FingerprintOf(withdrawn)));
  EXPECT_TRUE(changes[0].added.empty());
  vault::AuditEvent audit = MinistryCertificatesAuditEvent(changes[0]);
  EXPECT_EQ(audit.operation, "mfcerts.refresh");
  EXPECT_EQ(audit.resource, "environments/test/ministryCertificates");
  EXPECT_EQ(audit.identity, "sejfd");
  EXPECT_EQ(audit.outcome, "OK");
  EXPECT_EQ(audit.detail, "retired=" + FingerprintOf(withdrawn));

  // A token login now encrypts to the key KSeF still lists: accepted at
  // once, no 21470 round and no further fetch.
  auto opened = sessions_->Open(TokenParams("acme-t"));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(api_.Calls(kKsefToken), 1);
  EXPECT_EQ(api_.Calls(kPublicKeys), 1);
}

TEST_F(MinistryKeyRefresherTest, RefusedListIsReportedAndChangesNothing) {
  MakeKey("acme-auth");
  ASSERT_TRUE(sessions_->Open(KeyParams("acme")).ok());
  const signer::testing::TestCert rogue_ca =
      signer::testing::MakeTestCert({.common_name = "Rogue", .ca = true});
  const signer::testing::TestCert rogue = signer::testing::MakeIssuedTestCert(
      rogue_ca, {.not_before = clock_.Now() - absl::Hours(1),
                 .key_usage = "keyEncipherment"});
  api_.SetMinistryKeys({KeyOf(rogue)},
                       signer::testing::JsonList({signer::testing::JsonItem(
                           rogue, {"KsefTokenEncryption"})}));

  std::unique_ptr<MinistryKeyRefresher> refresher = StartRefresher();
  ASSERT_NE(refresher, nullptr);
  ASSERT_TRUE(refresher->WaitForRounds(1));
  refresher.reset();

  auto failed = failures();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].first, "test");
  EXPECT_EQ(failed[0].second.code(), absl::StatusCode::kInvalidArgument)
      << failed[0].second;
  auto changes = observer_.ministry_events();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_FALSE(changes[0].status.ok());
  EXPECT_THAT(MinistryCertificatesAuditEvent(changes[0]).detail,
              HasSubstr("error="));
  auto listed = ministry_certificates_->List("test");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->certificates.size(), 1u);
  EXPECT_EQ(listed->certificates[0].der, ministry_.der);
  EXPECT_FALSE(listed->certificates[0].retire_time.has_value());
}

TEST_F(MinistryKeyRefresherTest, UnreachableKsefIsReportedAndRetried) {
  MakeKey("acme-auth");
  ASSERT_TRUE(sessions_->Open(KeyParams("acme")).ok());
  api_.Inject(kPublicKeys, testing::KsefHttpError(kPublicKeys, 503));
  // A short interval: the next rounds follow at once.
  std::unique_ptr<MinistryKeyRefresher> refresher = StartRefresher(
      {.interval = absl::Milliseconds(1), .jitter = absl::ZeroDuration()});
  ASSERT_NE(refresher, nullptr);
  ASSERT_TRUE(refresher->WaitForRounds(3));
  refresher->Stop();
  EXPECT_GE(api_.Calls(kPublicKeys), 3);
  auto failed = failures();
  ASSERT_EQ(failed.size(), 1u) << "only the injected failure";
  EXPECT_EQ(failed[0].second.code(), absl::StatusCode::kUnavailable);
  const std::int64_t rounds = refresher->rounds();
  const int calls = api_.Calls(kPublicKeys);
  refresher.reset();
  EXPECT_EQ(api_.Calls(kPublicKeys), calls) << "nothing after Stop";
  EXPECT_GE(rounds, 3);
}

TEST_F(MinistryKeyRefresherTest, RefreshNowReportsEachEnvironment) {
  MakeKey("acme-auth");
  FakeKsefApi fresh_api(&clock_);
  fresh_api.SetMinistryKeys(
      {KeyOf(ministry_)}, signer::testing::JsonList({signer::testing::JsonItem(
                              ministry_, {"KsefTokenEncryption"})}));
  apis_.Add("fresh", &fresh_api);
  OpenSessionParams fresh = KeyParams("f");
  fresh.environment = "fresh";
  ASSERT_TRUE(sessions_->Open(fresh).ok());
  ASSERT_TRUE(sessions_->Open(KeyParams("t")).ok());
  std::unique_ptr<MinistryKeyRefresher> refresher = StartRefresher(
      {.interval = absl::Hours(24), .jitter = absl::ZeroDuration()});
  ASSERT_NE(refresher, nullptr);
  ASSERT_TRUE(refresher->WaitForRounds(1));
  MinistryKeyRefresher::Round round = refresher->RefreshNow();
  EXPECT_TRUE(round.listing.ok());
  ASSERT_EQ(round.environments.size(), 2u);
  EXPECT_TRUE(round.environments.at("fresh").ok())
      << round.environments.at("fresh");
  EXPECT_TRUE(round.environments.at("test").ok());
  // "fresh" had nothing stored: the first round added its certificate.
  auto changes = observer_.ministry_events();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].environment, "fresh");
  EXPECT_THAT(changes[0].added, ElementsAre(FingerprintOf(ministry_)));
}

TEST_F(MinistryKeyRefresherTest, BadOptionsAreRefused) {
  EXPECT_EQ(MinistryKeyRefresher::Start(nullptr, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MinistryKeyRefresher::Start(sessions_.get(),
                                        {.interval = absl::ZeroDuration()})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MinistryKeyRefresher::Start(sessions_.get(),
                                        {.jitter = -absl::Seconds(1)})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sejf::broker
