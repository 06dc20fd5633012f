// broker::KeyExpiryWarnings and KeyExpiryWatch driven by a fake clock: the
// warnings at 30, 7 and 1 days, each once per key and certificate.
#include "broker/lifecycle/key_expiry_warnings.h"

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/crypto_init.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/testing/fake_key_store.h"
#include "signer/x509/distinguished_name.h"
#include "vault/storage/duty_lease.h"
#include "vault/storage/memory_storage.h"

namespace sejf::broker {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kStart = absl::FromUnixSeconds(1764000000);

std::vector<int> Thresholds(const std::vector<ExpiryWarning>& warnings) {
  std::vector<int> out;
  for (const ExpiryWarning& w : warnings) out.push_back(w.threshold_days);
  return out;
}

TEST(KeyExpiryWarningsTest, WarnsAtThirtySevenAndOneDayOnceEach) {
  FakeClock clock(kStart);
  KeyExpiryWarnings warnings;
  const std::vector<ExpiringCertificate> certs = {
      {.key = "keys/a",
       .serial = "01",
       .not_after = kStart + absl::Hours(24 * 40)}};
  EXPECT_THAT(warnings.Due(certs, clock.Now()), IsEmpty());  // 40 days
  clock.Advance(absl::Hours(24 * 10));                       // 30 left
  std::vector<ExpiryWarning> due = warnings.Due(certs, clock.Now());
  ASSERT_THAT(Thresholds(due), ElementsAre(30));
  EXPECT_EQ(due[0].key, "keys/a");
  EXPECT_EQ(due[0].serial, "01");
  EXPECT_EQ(due[0].days_left, 30);
  EXPECT_EQ(due[0].not_after, kStart + absl::Hours(24 * 40));
  for (int hour = 0; hour < 24 * 22; ++hour) {  // hourly, down to 8 days
    clock.Advance(absl::Hours(1));
    EXPECT_THAT(warnings.Due(certs, clock.Now()), IsEmpty()) << hour;
  }
  clock.Advance(absl::Hours(24));  // 7 days left
  EXPECT_THAT(Thresholds(warnings.Due(certs, clock.Now())), ElementsAre(7));
  EXPECT_THAT(warnings.Due(certs, clock.Now()), IsEmpty());
  clock.Advance(absl::Hours(24 * 6 + 1));  // 23 hours left
  due = warnings.Due(certs, clock.Now());
  ASSERT_THAT(Thresholds(due), ElementsAre(1));
  EXPECT_EQ(due[0].days_left, 0);
  clock.Advance(absl::Hours(24));  // expired: signing refuses, no warning
  EXPECT_THAT(warnings.Due(certs, clock.Now()), IsEmpty());
}

TEST(KeyExpiryWarningsTest, FirstSeenInsideAThresholdWarnsOnceAtTheNearest) {
  KeyExpiryWarnings warnings;
  const std::vector<ExpiringCertificate> certs = {
      {.key = "keys/soon",
       .serial = "01",
       .not_after = kStart + absl::Hours(24 * 5)},
      {.key = "keys/later",
       .serial = "02",
       .not_after = kStart + absl::Hours(24 * 20)},
      {.key = "keys/gone",
       .serial = "03",
       .not_after = kStart - absl::Hours(1)}};
  std::vector<ExpiryWarning> due = warnings.Due(certs, kStart);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].key, "keys/soon");
  EXPECT_EQ(due[0].threshold_days, 7);
  EXPECT_EQ(due[0].days_left, 5);
  EXPECT_EQ(due[1].key, "keys/later");
  EXPECT_EQ(due[1].threshold_days, 30);
  EXPECT_THAT(warnings.Due(certs, kStart + absl::Hours(1)), IsEmpty());
}

TEST(KeyExpiryWarningsTest, ARenewedCertificateIsWarnedAgain) {
  KeyExpiryWarnings warnings;
  std::vector<ExpiringCertificate> certs = {
      {.key = "keys/a",
       .serial = "01",
       .not_after = kStart + absl::Hours(24 * 3)}};
  EXPECT_THAT(Thresholds(warnings.Due(certs, kStart)), ElementsAre(7));
  certs[0].serial = "02";  // a new certificate, also ending soon
  EXPECT_THAT(Thresholds(warnings.Due(certs, kStart)), ElementsAre(7));
}

class KeyExpiryWatchTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCrypto().ok()); }

  void SelfSigned(const std::string& name, int days) {
    ASSERT_TRUE(custody_
                    .Generate(name, hsm::KeyAlgorithm::kEcP256,
                              vault::KeyUsage::kAuthentication)
                    .ok());
    auto dn = signer::DistinguishedName::Parse("CN=Acme,C=PL");
    ASSERT_TRUE(dn.ok());
    ASSERT_TRUE(custody_.SelfSign(name, *dn, days).ok());
  }

  FakeClock clock_{kStart};
  hsm::testing::FakeKeyStore keys_;
  vault::MemoryStorage storage_{clock_};
  signer::KeyCustody custody_{&keys_, &storage_, &clock_};
  absl::Mutex mu_;
  std::vector<ExpiryWarning> seen_ ABSL_GUARDED_BY(mu_);
};

TEST_F(KeyExpiryWatchTest, WarnsActiveKeysOfItsCustodyAsTheClockMoves) {
  SelfSigned("soon", 5);
  SelfSigned("later", 300);
  SelfSigned("off", 2);
  ASSERT_TRUE(custody_.Disable("off").ok());
  auto watch =
      KeyExpiryWatch::Start(&custody_, /*audit=*/nullptr, &clock_,
                            {.interval = absl::Hours(1000),
                             .on_warning = [this](const ExpiryWarning& w) {
                               absl::MutexLock lock(&mu_);
                               seen_.push_back(w);
                             }});
  ASSERT_TRUE(watch.ok()) << watch.status();
  ASSERT_TRUE((*watch)->WaitForRounds(1));
  {
    absl::MutexLock lock(&mu_);
    ASSERT_EQ(seen_.size(), 1u);
    EXPECT_EQ(seen_[0].key, "keys/soon");
    EXPECT_EQ(seen_[0].threshold_days, 7);
  }
  ASSERT_TRUE((*watch)->RunOnce().ok());
  clock_.Advance(absl::Hours(24 * 4 + 1));
  ASSERT_TRUE((*watch)->RunOnce().ok());
  absl::MutexLock lock(&mu_);
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_EQ(seen_[1].key, "keys/soon");
  EXPECT_EQ(seen_[1].threshold_days, 1);
}

TEST_F(KeyExpiryWatchTest, ReplicasWarnOnceBetweenThemThroughTheDutyLease) {
  SelfSigned("soon", 5);
  // Two replicas' watches on one storage, each holding the duty only
  // through its lease (docs/replicas.md): the first to start takes it.
  vault::DutyLease first(&storage_, &clock_, "key-expiry-watch", "first",
                         absl::Hours(3));
  vault::DutyLease second(&storage_, &clock_, "key-expiry-watch", "second",
                          absl::Hours(3));
  auto holds = [](vault::DutyLease* lease) {
    return [lease] {
      absl::StatusOr<bool> held = lease->TryHold();
      return held.ok() && *held;
    };
  };
  auto on_warning = [this](const ExpiryWarning& w) {
    absl::MutexLock lock(&mu_);
    seen_.push_back(w);
  };
  auto a = KeyExpiryWatch::Start(&custody_, /*audit=*/nullptr, &clock_,
                                 {.interval = absl::Hours(1000),
                                  .on_warning = on_warning,
                                  .holds_duty = holds(&first)});
  auto b = KeyExpiryWatch::Start(&custody_, /*audit=*/nullptr, &clock_,
                                 {.interval = absl::Hours(1000),
                                  .on_warning = on_warning,
                                  .holds_duty = holds(&second)});
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->WaitForRounds(1) && (*b)->WaitForRounds(1));
  {
    absl::MutexLock lock(&mu_);
    EXPECT_EQ(seen_.size(), 1u);
  }
  // The first stops and gives the duty up: the second warns from then on.
  (*a)->Stop();
  ASSERT_TRUE(first.Release().ok());
  clock_.Advance(absl::Hours(24 * 4 + 1));
  ASSERT_TRUE(holds(&second)());
  ASSERT_TRUE((*b)->RunOnce().ok());
  absl::MutexLock lock(&mu_);
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_EQ(seen_[1].threshold_days, 1);
}

TEST(KeyExpiryWatchStartTest, RefusesANonPositiveInterval) {
  FakeClock clock(kStart);
  hsm::testing::FakeKeyStore keys;
  vault::MemoryStorage storage(clock);
  signer::KeyCustody custody(&keys, &storage, &clock);
  EXPECT_EQ(KeyExpiryWatch::Start(&custody, nullptr, &clock,
                                  {.interval = absl::ZeroDuration()})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sejf::broker
