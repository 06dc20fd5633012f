#include "vault/dropoff/dropoff_store.h"

#include <atomic>
#include <string>

#include "absl/status/status.h"
#include "common/crypto_init.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vault/storage/memory_storage.h"

namespace sejf::vault {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class DropoffStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCrypto().ok()); }

  NewDropoff MakeTokenLink(absl::Duration lifetime = absl::Hours(24)) {
    absl::StatusOr<NewDropoff> made =
        store_.Create({.target = DropoffTarget::kToken,
                       .target_name = "acme-token",
                       .context = "nip:5265877635",
                       .created_by = "admin",
                       .lifetime = lifetime});
    EXPECT_TRUE(made.ok()) << made.status();
    return *std::move(made);
  }

  static SecretBytes Wrong() {
    return SecretFromView("AAAAAAAAAAAAAAAAAAAAAA");
  }

  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  MemoryStorage storage_{clock_};
  DropoffStore store_{&storage_, &clock_};
};

TEST_F(DropoffStoreTest, CreateGives128BitSecretAndStoresOnlyItsHash) {
  NewDropoff link = MakeTokenLink();
  EXPECT_TRUE(IsDropoffId(link.dropoff.id));
  EXPECT_EQ(link.secret.size(), 22u);  // 16 bytes, unpadded Base64url
  absl::StatusOr<std::optional<Record>> stored =
      storage_.Get(kDropoffRecordKind, link.dropoff.id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_THAT((*stored)->data,
              Not(HasSubstr(std::string(SecretView(link.secret)))));
  EXPECT_THAT((*stored)->data, HasSubstr("\"state\":\"pending\""));
  EXPECT_EQ(link.dropoff.record.expire_time, clock_.Now() + absl::Hours(24));
}

TEST_F(DropoffStoreTest, CreateRefusesBadInputNamingTheField) {
  auto bad_name = store_.Create(
      {.target_name = "no spaces allowed", .context = "nip:5265877635"});
  EXPECT_EQ(bad_name.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_name.status().message(), HasSubstr("token_name"));
  auto bad_context =
      store_.Create({.target_name = "acme-token", .context = "nip:123"});
  EXPECT_EQ(bad_context.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_context.status().message(), HasSubstr("context"));
  auto too_long = store_.Create({.target_name = "acme-token",
                                 .context = "nip:5265877635",
                                 .lifetime = absl::Hours(24 * 8)});
  EXPECT_EQ(too_long.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(too_long.status().message(), HasSubstr("expires"));
  auto bad_usage = store_.Create({.target = DropoffTarget::kKey,
                                  .target_name = "acme-key",
                                  .key_usage = "signing"});
  EXPECT_EQ(bad_usage.status().code(), absl::StatusCode::kInvalidArgument);
  auto list = store_.List();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST_F(DropoffStoreTest, CheckAcceptsTheSecretAndKeepsTheLinkPending) {
  NewDropoff link = MakeTokenLink();
  auto checked = store_.Check(link.dropoff.id, link.secret);
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_EQ(checked->record.target_name, "acme-token");
  EXPECT_EQ(store_.Get(link.dropoff.id)->record.state, DropoffState::kPending);
}

TEST_F(DropoffStoreTest, RedeemWorksOnceThenRefusesAsUsed) {
  NewDropoff link = MakeTokenLink();
  int delivered = 0;
  auto deliver = [&](const Dropoff&) {
    ++delivered;
    return absl::OkStatus();
  };
  auto first = store_.Redeem(link.dropoff.id, link.secret, deliver);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->record.state, DropoffState::kUsed);
  auto second = store_.Redeem(link.dropoff.id, link.secret, deliver);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(), HasSubstr("already been used"));
  EXPECT_EQ(delivered, 1);
}

TEST_F(DropoffStoreTest, FailedDeliveryReleasesTheLink) {
  NewDropoff link = MakeTokenLink();
  auto failed = store_.Redeem(link.dropoff.id, link.secret, [](const Dropoff&) {
    return absl::InvalidArgumentError("token: not a KSeF token");
  });
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_.Get(link.dropoff.id)->record.state, DropoffState::kPending);
  auto again = store_.Redeem(link.dropoff.id, link.secret,
                             [](const Dropoff&) { return absl::OkStatus(); });
  EXPECT_TRUE(again.ok()) << again.status();
}

TEST_F(DropoffStoreTest, ExpiredLinkIsRefusedAndMarkedExpired) {
  NewDropoff link = MakeTokenLink(absl::Hours(1));
  clock_.Advance(absl::Hours(1));
  auto checked = store_.Check(link.dropoff.id, link.secret);
  EXPECT_EQ(checked.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(checked.status().message(), HasSubstr("expired"));
  absl::StatusOr<std::optional<Record>> stored =
      storage_.Get(kDropoffRecordKind, link.dropoff.id);
  EXPECT_THAT((*stored)->data, HasSubstr("\"state\":\"expired\""));
}

TEST_F(DropoffStoreTest, ListShowsPendingPastExpiryAsExpired) {
  NewDropoff link = MakeTokenLink(absl::Hours(1));
  clock_.Advance(absl::Hours(2));
  auto list = store_.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].record.state, DropoffState::kExpired);
}

TEST_F(DropoffStoreTest, WrongSecretIsCountedAndRateLimited) {
  NewDropoff link = MakeTokenLink();
  auto wrong = store_.Check(link.dropoff.id, Wrong());
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(wrong.status().message(), HasSubstr("4 attempts left"));
  EXPECT_EQ(store_.Get(link.dropoff.id)->record.attempts, 1);
  // At once again, even with the right secret: refused, not counted.
  auto hurried = store_.Check(link.dropoff.id, link.secret);
  EXPECT_EQ(hurried.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(store_.Get(link.dropoff.id)->record.attempts, 1);
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(store_.Check(link.dropoff.id, link.secret).ok());
}

TEST_F(DropoffStoreTest, TooManyWrongSecretsLockTheLinkForGood) {
  NewDropoff link = MakeTokenLink();
  for (int i = 0; i < 5; ++i) {
    auto wrong = store_.Check(link.dropoff.id, Wrong());
    EXPECT_FALSE(wrong.ok());
    clock_.Advance(absl::Seconds(2));
  }
  EXPECT_EQ(store_.Get(link.dropoff.id)->record.state, DropoffState::kLocked);
  auto right = store_.Check(link.dropoff.id, link.secret);
  EXPECT_EQ(right.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(right.status().message(), HasSubstr("locked"));
}

TEST_F(DropoffStoreTest, CancelledLinkIsRefused) {
  NewDropoff link = MakeTokenLink();
  auto cancelled = store_.Cancel(link.dropoff.id);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->record.state, DropoffState::kCancelled);
  EXPECT_EQ(store_.Cancel(link.dropoff.id).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store_.Check(link.dropoff.id, link.secret).status().message(),
              HasSubstr("cancelled"));
}

TEST_F(DropoffStoreTest, UnknownOrMalformedIdIsNotFound) {
  MakeTokenLink();
  EXPECT_EQ(store_.Check("0123456789abcdef", Wrong()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_.Check("../../etc/passwd", Wrong()).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(DropoffRecordTest, RoundTrips) {
  DropoffRecord record{.target = DropoffTarget::kKey,
                       .target_name = "acme-key",
                       .context = "nip:5265877635",
                       .key_usage = "offline",
                       .created_by = "admin",
                       .state = DropoffState::kLocked,
                       .secret_sha256 = std::string(32, '\x7f'),
                       .create_time = absl::FromUnixMicros(1),
                       .expire_time = absl::FromUnixMicros(2),
                       .attempts = 5,
                       .last_failure_time = absl::FromUnixMicros(3),
                       .finish_time = absl::FromUnixMicros(4)};
  auto decoded = DecodeDropoffRecord(EncodeDropoffRecord(record));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, record);
  EXPECT_EQ(DecodeDropoffRecord("{}").status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace sejf::vault
