// Keyring under concurrent use, as sejfd uses it: request threads seal with
// the current DEK and open records while another thread rotates DEKs and
// KEKs, and a second keyring on the same storage (another process) opens
// what the first sealed, reloading the record when it meets a DEK it does
// not hold. Over SQLite and a throwaway SoftHSM2 token. Run under
// ThreadSanitizer by `make test-tsan` (docs/reliability.md).
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/crypto_init.h"
#include "gtest/gtest.h"
#include "hsm/key_store.h"
#include "hsm/testing/key_store_test_env.h"
#include "hsm/testing/softhsm_testing.h"
#include "vault/crypto/keyring.h"
#include "vault/crypto/sealed_record.h"
#include "vault/storage/sqlite/sqlite_storage.h"

namespace sejf::vault {
namespace {

constexpr SealedPlace kPlace{.kind = "tokens", .id = "acme", .version = 1};
constexpr int kWorkers = 4;
constexpr int kMinSealsPerWorker = 12;
constexpr int kRotations = 4;

struct Sealed {
  std::string secret;
  std::string record;
};

TEST(KeyringConcurrencyTest,
     SealsAndOpensStayCorrectWhileAnotherThreadRotates) {
  ASSERT_TRUE(InitCrypto().ok());
  hsm::testing::TempDir dir;
  auto env = hsm::testing::MakePkcs11TestEnv();
  ASSERT_TRUE(env.ok()) << env.status();
  FakeClock clock{absl::FromUnixSeconds(1764000000)};
  auto storage = SqliteStorage::Open(dir.path() + "/sejf.db", clock);
  ASSERT_TRUE(storage.ok()) << storage.status();
  auto a = Keyring::Open(storage->get(), &(*env)->store(), &clock);
  ASSERT_TRUE(a.ok()) << a.status();
  // Another process on the same database and token.
  auto b = Keyring::Open(storage->get(), &(*env)->store(), &clock);
  ASSERT_TRUE(b.ok()) << b.status();

  absl::Mutex mu;
  std::vector<Sealed> sealed;         // guarded by mu
  std::vector<std::string> failures;  // guarded by mu
  // The rotations start once every worker has sealed and opened once, and
  // the workers go on until the rotations are over: they overlap.
  std::atomic<int> started = 0;
  std::atomic<bool> rotating = true;

  std::thread rotator([&] {
    while (started.load() < kWorkers) std::this_thread::yield();
    for (int i = 0; i < kRotations; ++i) {
      if (absl::StatusOr<std::uint32_t> id = (*a)->Rotate(); !id.ok()) {
        absl::MutexLock lock(&mu);
        failures.push_back(absl::StrCat("Rotate: ", id.status().ToString()));
      }
      if (i % 2 == 1) {
        if (auto uri = (*a)->RotateKek(); !uri.ok()) {
          absl::MutexLock lock(&mu);
          failures.push_back(
              absl::StrCat("RotateKek: ", uri.status().ToString()));
        }
      }
    }
    rotating = false;
  });
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      Keyring& sealer = w % 2 == 0 ? **a : **b;
      Keyring& opener = w % 2 == 0 ? **b : **a;
      for (int i = 0; i < kMinSealsPerWorker || rotating.load(); ++i) {
        std::string secret = absl::StrCat("secret ", w, "/", i);
        absl::StatusOr<std::string> record = Seal(sealer, secret, kPlace);
        absl::StatusOr<SecretBytes> opened =
            record.ok() ? Open(opener, *record, kPlace) : record.status();
        absl::MutexLock lock(&mu);
        if (!opened.ok()) {
          failures.push_back(
              absl::StrCat(secret, ": ", opened.status().ToString()));
        } else if (SecretView(*opened) != secret) {
          failures.push_back(
              absl::StrCat(secret, ": opened as something else"));
        } else {
          sealed.push_back({secret, *record});
        }
        if (i == 0) ++started;
      }
    });
  }
  rotator.join();
  for (std::thread& t : workers) t.join();
  EXPECT_FALSE(rotating);
  EXPECT_TRUE(failures.empty()) << absl::StrJoin(failures, "\n");

  // Every record sealed during the rotations opens with both keyrings, and
  // both agree on the current DEK once b has read the record again.
  ASSERT_TRUE((*b)->Reload().ok());
  EXPECT_EQ((*a)->Info().current_id, 1u + kRotations);
  EXPECT_EQ((*b)->Info().current_id, 1u + kRotations);
  EXPECT_EQ((*a)->Info().kek_label, (*b)->Info().kek_label);
  EXPECT_GE(sealed.size(), static_cast<size_t>(kWorkers * kMinSealsPerWorker));
  for (const Sealed& s : sealed) {
    for (Keyring* keyring : {a->get(), b->get()}) {
      absl::StatusOr<SecretBytes> opened = Open(*keyring, s.record, kPlace);
      ASSERT_TRUE(opened.ok()) << s.secret << ": " << opened.status();
      EXPECT_EQ(SecretView(*opened), s.secret);
    }
  }
}

// Runs an action once, just before the next UnwrapKeyWith reaches the
// target: the moment between a keyring reading its record and unwrapping
// the data keys the record lists.
class ActBeforeUnwrap : public hsm::KeyStoreWrapper {
 public:
  using KeyStoreWrapper::KeyStoreWrapper;
  void Next(std::function<void()> action) { action_ = std::move(action); }
  absl::StatusOr<SecretBytes> UnwrapKeyWith(
      absl::string_view kek_label, absl::string_view wrapped) override {
    if (action_) std::exchange(action_, nullptr)();
    return KeyStoreWrapper::UnwrapKeyWith(kek_label, wrapped);
  }

 private:
  std::function<void()> action_;
};

// Found by the test above (about 1 run in 60 under TSan): process B reads
// the record to take up a data key A made, A rotates the KEK and destroys
// the old one, then B unwraps with the KEK its (now stale) record names.
TEST(KeyringConcurrencyTest,
     AReloadMeetingAKekAnotherProcessJustRetiredReadsTheRecordAgain) {
  ASSERT_TRUE(InitCrypto().ok());
  hsm::testing::TempDir dir;
  auto env = hsm::testing::MakePkcs11TestEnv();
  ASSERT_TRUE(env.ok()) << env.status();
  FakeClock clock{absl::FromUnixSeconds(1764000000)};
  auto storage = SqliteStorage::Open(dir.path() + "/sejf.db", clock);
  ASSERT_TRUE(storage.ok()) << storage.status();
  auto a = Keyring::Open(storage->get(), &(*env)->store(), &clock);
  ASSERT_TRUE(a.ok()) << a.status();
  ActBeforeUnwrap b_keys(&(*env)->store());
  auto b = Keyring::Open(storage->get(), &b_keys, &clock);
  ASSERT_TRUE(b.ok()) << b.status();

  ASSERT_TRUE((*a)->Rotate().ok());
  absl::StatusOr<std::string> sealed = Seal(**a, "made after b opened", kPlace);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  const std::string old_kek = (*a)->Info().kek_label;
  b_keys.Next([&] { ASSERT_TRUE((*a)->RotateKek().ok()); });

  absl::StatusOr<SecretBytes> opened = Open(**b, *sealed, kPlace);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(SecretView(*opened), "made after b opened");
  EXPECT_NE((*b)->Info().kek_label, old_kek);
  EXPECT_EQ((*b)->Info().kek_label, (*a)->Info().kek_label);
}

}  // namespace
}  // namespace sejf::vault
