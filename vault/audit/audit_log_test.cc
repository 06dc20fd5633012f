// AuditLog over the in-memory storage and key store: appending, group
// commit, checkpoints, reopening, listing.
#include "vault/audit/audit_log.h"

#include <set>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "hsm/signatures.h"
#include "hsm/testing/fake_key_store.h"
#include "hsm/testing/faulty_key_store.h"
#include "vault/storage/memory_storage.h"

namespace sejf::vault {
namespace {

using hsm::testing::FaultyKeyStore;

AuditEvent Event(absl::string_view identity, absl::string_view operation,
                 absl::string_view outcome = "OK") {
  return AuditEvent{.request_id = "req",
                    .identity = std::string(identity),
                    .operation = std::string(operation),
                    .method = "/sejf.v1.Test/Call",
                    .resource = "keys/k",
                    .context = "nip:5265877635",
                    .outcome = std::string(outcome)};
}

// Waits (bounded) for `done`; no assertion on how long it took.
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 2000 && !done(); ++i)
    absl::SleepFor(absl::Milliseconds(5));
  return done();
}

// A Storage whose next read-write Begin waits until released, so a test can
// hold the audit writer inside a commit while appenders queue up.
class GatedStorage : public Storage {
 public:
  explicit GatedStorage(Storage* target) : target_(target) {}
  void HoldNextWrite() {
    absl::MutexLock lock(&mu_);
    hold_ = true;
    released_ = false;
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    released_ = true;
  }
  // Whether a write is being held now.
  bool holding() {
    absl::MutexLock lock(&mu_);
    return holding_;
  }
  absl::StatusOr<std::unique_ptr<Transaction>> Begin(
      TransactionMode mode) override {
    if (mode == TransactionMode::kReadWrite) {
      absl::MutexLock lock(&mu_);
      if (hold_) {
        hold_ = false;
        holding_ = true;
        mu_.Await(absl::Condition(&released_));
        holding_ = false;
      }
    }
    return target_->Begin(mode);
  }

 private:
  Storage* target_;
  absl::Mutex mu_;
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  bool holding_ ABSL_GUARDED_BY(mu_) = false;
};

class AuditLogTest : public ::testing::Test {
 protected:
  std::unique_ptr<AuditLog> OpenLog(AuditLogOptions options = {}) {
    auto log = AuditLog::Open(&storage_, &faulty_, &clock_, options);
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *std::move(log) : nullptr;
  }

  std::vector<AuditCheckpoint> StoredCheckpoints() {
    std::vector<AuditCheckpoint> out;
    auto page = storage_.List(kAuditCheckpointKind, {.limit = kMaxListLimit});
    EXPECT_TRUE(page.ok()) << page.status();
    for (const Record& r : page->records)
      out.push_back(*DecodeAuditCheckpoint(r.data));
    return out;
  }

  // Every event matching `filter`, following the page tokens.
  std::vector<AuditEvent> ListAll(AuditLog& log, const AuditFilter& filter,
                                  int page_size, int* pages = nullptr) {
    std::vector<AuditEvent> all;
    std::string token;
    int count = 0;
    do {
      auto page = log.List(filter, page_size, token);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      ++count;
      for (AuditEvent& e : page->events) all.push_back(std::move(e));
      token = page->next_page_token;
    } while (!token.empty() && count < 10000);
    if (pages != nullptr) *pages = count;
    return all;
  }

  FakeClock clock_{absl::FromUnixSeconds(1764000000)};
  hsm::testing::FakeKeyStore keys_;
  FaultyKeyStore faulty_{&keys_};
  MemoryStorage memory_{clock_};
  GatedStorage storage_{&memory_};
};

TEST_F(AuditLogTest, AppendAssignsDenseSequenceNumbersAndTheChainVerifies) {
  auto log = OpenLog();
  for (int i = 1; i <= 5; ++i) {
    auto sequence = log->Append(Event("alice", "keys.read"));
    ASSERT_TRUE(sequence.ok()) << sequence.status();
    EXPECT_EQ(*sequence, i);
  }
  auto result = log->Verify();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->ok) << result->message;
  EXPECT_EQ(result->events_checked, 5);
  EXPECT_EQ(result->first_bad_sequence, 0);
  EXPECT_TRUE(absl::StrContains(result->message, "not covered"))
      << result->message;
}

TEST_F(AuditLogTest, MetricsCountAppendsAndShowTheChainAtEachScrape) {
  metrics::Registry registry;
  auto log = OpenLog({.checkpoint_interval = 2, .metrics = &registry});
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(log->Append(Event("alice", "keys.read")).ok());
  }
  EXPECT_FALSE(
      log->Append(Event("alice", "keys.read", "denied")).ok());  // invalid
  const std::string text = registry.Render();
  EXPECT_TRUE(
      absl::StrContains(text, "sejf_audit_appends_total{code=\"OK\"} 3\n"))
      << text;
  EXPECT_TRUE(absl::StrContains(
      text, "sejf_audit_appends_total{code=\"INVALID_ARGUMENT\"} 1\n"));
  EXPECT_TRUE(
      absl::StrContains(text, "sejf_audit_append_duration_seconds_count 4\n"));
  EXPECT_TRUE(absl::StrContains(text, "sejf_audit_queue_depth 0\n"));
  EXPECT_TRUE(absl::StrContains(text, "sejf_audit_last_sequence 3\n"));
  log.reset();  // the collector goes with the log
  EXPECT_TRUE(
      absl::StrContains(registry.Render(), "sejf_audit_last_sequence 3\n"));
}

TEST_F(AuditLogTest, AppendRefusesABadEventAndStoresNothing) {
  auto log = OpenLog();
  auto bad = log->Append(Event("alice", "keys.read", "denied"));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "outcome"));
  EXPECT_EQ(*log->Append(Event("alice", "keys.read")), 1);
}

TEST_F(AuditLogTest, EventsReadBackWithTheirTimeAndHash) {
  auto log = OpenLog();
  clock_.Set(absl::FromUnixNanos(1764000000123456789));
  ASSERT_TRUE(
      log->Append(Event("alice", "keys.read", "PERMISSION_DENIED")).ok());
  auto page = log->List({}, 0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->events.size(), 1u);
  const AuditEvent& event = page->events[0];
  EXPECT_EQ(event.sequence, 1);
  EXPECT_EQ(event.time, absl::FromUnixMicros(1764000000123456));
  EXPECT_EQ(event.identity, "alice");
  EXPECT_EQ(event.outcome, "PERMISSION_DENIED");
  EXPECT_EQ(event.method, "/sejf.v1.Test/Call");
  EXPECT_EQ(event.hash, ChainAuditHash(AuditGenesisHash(),
                                       EncodeCanonicalAuditEvent(event)));
}

TEST_F(AuditLogTest, FirstOpenMakesTheAuditKeyAndLaterOpensReuseIt) {
  EXPECT_EQ(keys_.FindKeyByLabel("sejf-audit").status().code(),
            absl::StatusCode::kNotFound);
  std::string public_key;
  {
    auto log = OpenLog();
    public_key = log->public_key();
    ASSERT_TRUE(log->Append(Event("a", "keys.read")).ok());
  }
  auto key = keys_.FindKeyByLabel("sejf-audit");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*keys_.PublicKey(*key), public_key);
  auto log = OpenLog();
  EXPECT_EQ(log->public_key(), public_key);
  EXPECT_TRUE(keys_.FindKeyByLabel("sejf-audit").ok()) << "still one key";
}

TEST_F(AuditLogTest, ReopenedLogContinuesTheChain) {
  {
    auto log = OpenLog();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(log->Append(Event("a", "x")).ok());
    ASSERT_TRUE(log->Close().ok());
  }
  auto log = OpenLog();
  EXPECT_EQ(*log->Append(Event("b", "y")), 4);
  ASSERT_TRUE(log->Close().ok());
  auto result = log->Verify();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->ok) << result->message;
  EXPECT_EQ(result->events_checked, 4);
  EXPECT_EQ(result->checkpoints_checked, 2);  // one per Close
}

TEST_F(AuditLogTest, CloseSignsTheChainHeadWithTheAuditKey) {
  auto log = OpenLog();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(log->Append(Event("a", "x")).ok());
  ASSERT_TRUE(log->Close().ok());
  EXPECT_EQ(log->Append(Event("a", "x")).status().code(),
            absl::StatusCode::kFailedPrecondition);

  std::vector<AuditCheckpoint> checkpoints = StoredCheckpoints();
  ASSERT_EQ(checkpoints.size(), 1u);
  const AuditCheckpoint& checkpoint = checkpoints[0];
  EXPECT_EQ(checkpoint.sequence, 3);
  EXPECT_EQ(checkpoint.public_key, log->public_key());
  auto page = log->List({}, 0, "");
  EXPECT_EQ(checkpoint.hash, page->events.back().hash);
  EXPECT_TRUE(hsm::VerifySignature(
                  log->public_key(), hsm::SignatureScheme::kEcdsaSha256,
                  AuditCheckpointSignedData(checkpoint), checkpoint.signature)
                  .ok());
  auto head = memory_.Get(kAuditHeadKind, kAuditHeadName);
  EXPECT_EQ(DecodeAuditHead((*head)->data)->sequence, 3);
}

TEST_F(AuditLogTest, ACheckpointIsStoredEveryIntervalEvents) {
  auto log = OpenLog({.checkpoint_interval = 10});
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(log->Append(Event("a", "x")).ok());
  ASSERT_TRUE(Eventually([&] { return log->stats().checkpoints_stored == 1; }));
  std::vector<AuditCheckpoint> checkpoints = StoredCheckpoints();
  ASSERT_EQ(checkpoints.size(), 1u);
  EXPECT_EQ(checkpoints[0].sequence, 10);
  auto result = log->Verify();
  EXPECT_TRUE(result->ok) << result->message;
  EXPECT_EQ(result->checkpoints_checked, 1);
}

TEST_F(AuditLogTest, AppendsCompleteWhileTheHsmSignatureIsStuck) {
  absl::Notification hsm_may_answer;
  absl::Notification signing_started;
  faulty_.RunBeforeNext(FaultyKeyStore::Operation::kSign, [&] {
    signing_started.Notify();
    hsm_may_answer.WaitForNotification();
  });
  auto log = OpenLog({.checkpoint_interval = 5});
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(log->Append(Event("a", "x")).ok());
  signing_started.WaitForNotification();
  // The signature of checkpoint 5 hangs in the HSM; appending goes on.
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(log->Append(Event("a", "x")).ok());
  EXPECT_EQ(log->stats().checkpoints_stored, 0);
  hsm_may_answer.Notify();
  ASSERT_TRUE(log->Close().ok());
  auto result = log->Verify();
  EXPECT_TRUE(result->ok) << result->message;
  EXPECT_EQ(result->events_checked, 25);
  EXPECT_GE(result->checkpoints_checked, 2);  // 5 and the final 25
}

TEST_F(AuditLogTest, AFailedSignatureDoesNotFailAppendsAndCloseSignsLater) {
  faulty_.FailNext(FaultyKeyStore::Operation::kSign, 1);
  auto log = OpenLog({.checkpoint_interval = 2});
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(log->Append(Event("a", "x")).ok());
  ASSERT_TRUE(
      Eventually([&] { return !log->stats().last_checkpoint_error.ok(); }));
  EXPECT_EQ(log->stats().last_checkpoint_error.code(),
            absl::StatusCode::kUnavailable);
  ASSERT_TRUE(log->Append(Event("a", "x")).ok());
  ASSERT_TRUE(log->Close().ok());
  auto result = log->Verify();
  EXPECT_TRUE(result->ok) << result->message;
  EXPECT_EQ(result->checkpoints_checked, 1);
  EXPECT_EQ(StoredCheckpoints().back().sequence, 3);
}

TEST_F(AuditLogTest, AnUnsignedTailIsSignedByTheNextOpen) {
  {
    auto log = OpenLog();
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(log->Append(Event("a", "x")).ok());
    faulty_.FailNext(FaultyKeyStore::Operation::kSign, 1);
    EXPECT_EQ(log->Close().code(), absl::StatusCode::kUnavailable);
  }
  EXPECT_TRUE(StoredCheckpoints().empty());
  auto log = OpenLog();
  ASSERT_TRUE(Eventually([&] { return log->stats().checkpoints_stored == 1; }));
  EXPECT_EQ(StoredCheckpoints().back().sequence, 4);
  EXPECT_EQ(*log->Append(Event("a", "x")), 5);
}

TEST_F(AuditLogTest, ConcurrentAppendersAreCommittedTogether) {
  auto log = OpenLog();
  storage_.HoldNextWrite();
  std::vector<std::thread> threads;
  std::vector<std::int64_t> sequences(11);
  auto append = [&](int i) {
    auto sequence = log->Append(Event(absl::StrCat("t", i), "x"));
    sequences[i] = sequence.ok() ? *sequence : -1;
  };
  threads.emplace_back(append, 0);
  ASSERT_TRUE(Eventually([&] { return storage_.holding(); }));
  for (int i = 1; i < 11; ++i) threads.emplace_back(append, i);
  // One append is in the held commit; the ten others wait in the queue.
  ASSERT_TRUE(Eventually([&] { return log->stats().queued_appends == 10; }));
  storage_.Release();
  for (std::thread& t : threads) t.join();
  std::set<std::int64_t> unique(sequences.begin(), sequences.end());
  EXPECT_EQ(unique,
            (std::set<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(log->stats().commits, 2) << "the ten waiting shared one commit";
  EXPECT_EQ(log->stats().events_appended, 11);
}

TEST_F(AuditLogTest, ListFiltersAndPagesVisitEveryMatchingEventOnce) {
  auto log = OpenLog();
  const char* identities[] = {"alice", "bob", "carol"};
  const char* operations[] = {"keys.read", "auth.xades"};
  for (int i = 0; i < 60; ++i) {
    clock_.Advance(absl::Seconds(1));
    ASSERT_TRUE(log->Append(Event(identities[i % 3], operations[i % 2],
                                  i % 5 == 0 ? "PERMISSION_DENIED" : "OK"))
                    .ok());
  }
  int pages = 0;
  std::vector<AuditEvent> all = ListAll(*log, {}, 7, &pages);
  ASSERT_EQ(all.size(), 60u);
  EXPECT_EQ(pages, 9);
  for (int i = 0; i < 60; ++i)
    EXPECT_EQ(all[i].sequence, i + 1);  // oldest first

  std::vector<AuditEvent> bob = ListAll(*log, {.identity = "bob"}, 4);
  EXPECT_EQ(bob.size(), 20u);
  for (const AuditEvent& e : bob) EXPECT_EQ(e.identity, "bob");

  std::vector<AuditEvent> denied_xades = ListAll(
      *log, {.operation = "auth.xades", .outcome = "PERMISSION_DENIED"}, 2);
  std::set<std::int64_t> seen;
  for (const AuditEvent& e : denied_xades) seen.insert(e.sequence);
  // i % 2 == 1 and i % 5 == 0: i = 5, 15, 25, 35, 45, 55.
  EXPECT_EQ(seen, (std::set<std::int64_t>{6, 16, 26, 36, 46, 56}));

  absl::Time t0 = absl::FromUnixSeconds(1764000000);
  std::vector<AuditEvent> window =
      ListAll(*log,
              {.start_time = t0 + absl::Seconds(11),
               .end_time = t0 + absl::Seconds(21)},
              3);
  ASSERT_EQ(window.size(), 10u);
  EXPECT_EQ(window.front().sequence, 11);
  EXPECT_EQ(window.back().sequence, 20);
}

TEST_F(AuditLogTest, ListRefusesBadArgumentsNamingThem) {
  auto log = OpenLog();
  ASSERT_TRUE(log->Append(Event("a", "x")).ok());
  auto status = log->List({}, -1, "").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(status.message(), "page_size"));
  status = log->List({}, 10, "garbage").status();
  EXPECT_TRUE(absl::StrContains(status.message(), "page_token")) << status;
  status = log->List({.outcome = "denied"}, 10, "").status();
  EXPECT_TRUE(absl::StrContains(status.message(), "outcome")) << status;
  absl::Time t = absl::FromUnixSeconds(1764000000);
  status =
      log->List({.start_time = t, .end_time = t - absl::Seconds(1)}, 10, "")
          .status();
  EXPECT_TRUE(absl::StrContains(status.message(), "end_time")) << status;
}

TEST_F(AuditLogTest, OpenRefusesBadOptions) {
  auto log =
      AuditLog::Open(&storage_, &faulty_, &clock_, {.checkpoint_interval = 0});
  EXPECT_EQ(log.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(log.status().message(), "checkpoint_interval"));
}

}  // namespace
}  // namespace sejf::vault
