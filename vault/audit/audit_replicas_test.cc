// Several AuditLogs on one storage and one audit key, as sejfd replicas run
// them (docs/replicas.md): one hash chain, one checkpoint chain, times
// nondecreasing, the anchor never behind the database's reach. The storage
// is one SQLite file opened once per "process" (each its own SqliteStorage,
// as separate processes would), the HSM one key store.
#include <fstream>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"
#include "hsm/testing/fake_key_store.h"
#include "vault/audit/audit_checkpoint_export.h"
#include "vault/audit/audit_log.h"
#include "vault/storage/memory_storage.h"
#include "vault/storage/sqlite/sqlite_storage.h"

namespace sejf::vault {
namespace {

AuditEvent Event(absl::string_view identity, int n) {
  return AuditEvent{.request_id = absl::StrCat("req-", n),
                    .identity = std::string(identity),
                    .operation = "keys.read",
                    .method = "/sejf.v1.Test/Call",
                    .resource = "keys/k",
                    .outcome = "OK"};
}

class AuditReplicasTest : public ::testing::Test {
 protected:
  // One "replica": its own connection pool to the shared database file.
  struct Replica {
    std::unique_ptr<SqliteStorage> storage;
    std::unique_ptr<AuditLog> log;
  };

  // `export_file`: the replica's checkpoint export ("" for none).
  Replica Start(const Clock& clock, std::int64_t checkpoint_interval,
                const std::string& export_file = "") {
    Replica replica;
    auto storage = SqliteStorage::Open(tmp_.Path("sejf.db"), clock);
    EXPECT_TRUE(storage.ok()) << storage.status();
    if (!storage.ok()) return replica;
    replica.storage = *std::move(storage);
    auto log = AuditLog::Open(replica.storage.get(), &keys_, &clock,
                              {.checkpoint_interval = checkpoint_interval,
                               .max_batch = 7,
                               .checkpoint_export_file = export_file});
    EXPECT_TRUE(log.ok()) << log.status();
    if (log.ok()) replica.log = *std::move(log);
    return replica;
  }

  // Appends `per_thread` events from each of `threads` threads to every
  // replica at once; returns every acknowledged sequence number.
  std::vector<std::int64_t> AppendConcurrently(std::vector<Replica*> replicas,
                                               int threads, int per_thread) {
    absl::Mutex mu;
    std::vector<std::int64_t> acknowledged;
    std::vector<std::thread> running;
    for (std::size_t r = 0; r < replicas.size(); ++r) {
      for (int t = 0; t < threads; ++t) {
        running.emplace_back([&, r, t] {
          for (int i = 0; i < per_thread; ++i) {
            absl::StatusOr<std::int64_t> sequence = replicas[r]->log->Append(
                Event(absl::StrCat("replica-", r, "-", t), i));
            EXPECT_TRUE(sequence.ok()) << sequence.status();
            if (!sequence.ok()) continue;
            absl::MutexLock lock(&mu);
            acknowledged.push_back(*sequence);
          }
        });
      }
    }
    for (std::thread& thread : running) thread.join();
    return acknowledged;
  }

  std::vector<AuditCheckpoint> StoredCheckpoints(Storage& storage) {
    std::vector<AuditCheckpoint> out;
    ListOptions options{.limit = kMaxListLimit};
    for (;;) {
      auto page = storage.List(kAuditCheckpointKind, options);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      for (const Record& r : page->records) {
        out.push_back(*DecodeAuditCheckpoint(r.data));
      }
      if (!page->next_start_after) break;
      options.start_after = *page->next_start_after;
    }
    return out;
  }

  testing::TempDir tmp_;
  hsm::testing::FakeKeyStore keys_;
};

TEST_F(AuditReplicasTest,
       ThreeReplicasAppendingAtOnceKeepOneChainThatVerifies) {
  FakeClock clock(absl::FromUnixSeconds(1764000000));
  // Checkpoints every few events, so the replicas' signers race often. Each
  // exports what it stores.
  Replica a = Start(clock, 5, tmp_.Path("a.jsonl"));
  Replica b = Start(clock, 5, tmp_.Path("b.jsonl"));
  Replica c = Start(clock, 5, tmp_.Path("c.jsonl"));
  ASSERT_TRUE(a.log && b.log && c.log);

  std::vector<std::int64_t> acknowledged =
      AppendConcurrently({&a, &b, &c}, /*threads=*/3, /*per_thread=*/40);
  ASSERT_EQ(acknowledged.size(), 3u * 3u * 40u);
  // Every acknowledged event has its own sequence number: nothing was
  // written over, no sequence handed out twice.
  std::set<std::int64_t> distinct(acknowledged.begin(), acknowledged.end());
  EXPECT_EQ(distinct.size(), acknowledged.size());
  EXPECT_EQ(*distinct.begin(), 1);
  EXPECT_EQ(*distinct.rbegin(), static_cast<std::int64_t>(acknowledged.size()));

  ASSERT_TRUE(a.log->Close().ok());
  ASSERT_TRUE(b.log->Close().ok());
  ASSERT_TRUE(c.log->Close().ok());

  auto verified = VerifyAuditLog(*a.storage, keys_, kDefaultAuditKeyLabel);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->ok) << verified->message;
  EXPECT_EQ(verified->events_checked,
            static_cast<std::int64_t>(acknowledged.size()));
  // The checkpoints are one chain: each names the one stored before it.
  std::vector<AuditCheckpoint> checkpoints = StoredCheckpoints(*a.storage);
  ASSERT_GE(checkpoints.size(), 2u);
  for (std::size_t i = 1; i < checkpoints.size(); ++i) {
    EXPECT_EQ(checkpoints[i].previous_sequence, checkpoints[i - 1].sequence);
    EXPECT_EQ(checkpoints[i].previous_digest,
              AuditCheckpointDigest(checkpoints[i - 1]));
  }
  // The last one covers the last event (every replica's Close signed its
  // end), and the anchor names a stored checkpoint.
  EXPECT_EQ(checkpoints.back().sequence,
            static_cast<std::int64_t>(acknowledged.size()));
  ASSERT_TRUE(verified->anchor.has_value());
  EXPECT_GT(verified->anchor->sequence, 0);
  // Together the replicas exported exactly the stored checkpoints, each
  // once (a dropped one is never exported).
  std::multiset<std::string> exported;
  for (const char* file : {"a.jsonl", "b.jsonl", "c.jsonl"}) {
    std::ifstream in(tmp_.Path(file));
    for (std::string line; std::getline(in, line);) exported.insert(line);
  }
  std::multiset<std::string> expected;
  for (const AuditCheckpoint& checkpoint : checkpoints) {
    expected.insert(AuditCheckpointJson(checkpoint));
  }
  EXPECT_EQ(exported, expected);
}

TEST_F(AuditReplicasTest, AReplicaStartedWhileAnotherServesContinuesItsChain) {
  FakeClock clock(absl::FromUnixSeconds(1764000000));
  Replica a = Start(clock, 4);
  ASSERT_TRUE(a.log);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(a.log->Append(Event("a", i)).ok());
  Replica b = Start(clock, 4);
  ASSERT_TRUE(b.log);
  // Interleaved: each replica's next event follows the other's.
  for (int i = 0; i < 10; ++i) {
    auto from_a = a.log->Append(Event("a", 100 + i));
    auto from_b = b.log->Append(Event("b", 100 + i));
    ASSERT_TRUE(from_a.ok() && from_b.ok());
    EXPECT_EQ(*from_b, *from_a + 1);
  }
  ASSERT_TRUE(a.log->Close().ok());
  // b goes on alone after a stopped, and stops cleanly.
  ASSERT_TRUE(b.log->Append(Event("b", 999)).ok());
  ASSERT_TRUE(b.log->Close().ok());
  auto verified = VerifyAuditLog(*b.storage, keys_, kDefaultAuditKeyLabel);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->ok) << verified->message;
  EXPECT_EQ(verified->events_checked, 31);
  EXPECT_EQ(verified->head_sequence, 31);
}

TEST_F(AuditReplicasTest, EventTimesStayInOrderWhenAReplicasClockIsBehind) {
  FakeClock ahead(absl::FromUnixSeconds(1764000000));
  FakeClock behind(absl::FromUnixSeconds(1764000000) - absl::Minutes(5));
  Replica a = Start(ahead, 1000);
  Replica b = Start(behind, 1000);
  ASSERT_TRUE(a.log && b.log);
  ASSERT_TRUE(a.log->Append(Event("a", 1)).ok());
  ASSERT_TRUE(b.log->Append(Event("b", 2)).ok());
  ASSERT_TRUE(a.log->Append(Event("a", 3)).ok());
  // A time filter (which relies on times that never decrease along the
  // sequence) finds all three.
  auto page = b.log->List(
      {.start_time = absl::FromUnixSeconds(1764000000) - absl::Seconds(1)}, 10,
      "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->events.size(), 3u);
  for (std::size_t i = 1; i < page->events.size(); ++i) {
    EXPECT_LE(page->events[i - 1].time, page->events[i].time);
  }
  ASSERT_TRUE(a.log->Close().ok());
  ASSERT_TRUE(b.log->Close().ok());
  auto verified = VerifyAuditLog(*a.storage, keys_, kDefaultAuditKeyLabel);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->ok) << verified->message;
}

// Private keys labelled `label` in `keys`.
int PrivateKeysLabelled(hsm::KeyStore& keys, absl::string_view label) {
  auto objects = keys.ListKeyObjects();
  EXPECT_TRUE(objects.ok()) << objects.status();
  int count = 0;
  for (const hsm::KeyObject& object :
       objects.value_or(std::vector<hsm::KeyObject>{})) {
    if (object.object_class == hsm::KeyObjectClass::kPrivateKey &&
        object.label == label) {
      ++count;
    }
  }
  return count;
}

TEST_F(AuditReplicasTest, ReplicasStartingAtOnceMakeOneAuditKeyAndOneAnchor) {
  FakeClock clock(absl::FromUnixSeconds(1764000000));
  constexpr int kReplicas = 4;
  std::vector<Replica> replicas(kReplicas);
  std::vector<std::thread> starting;
  for (Replica& replica : replicas) {
    starting.emplace_back([&] { replica = Start(clock, 5); });
  }
  for (std::thread& thread : starting) thread.join();
  for (const Replica& replica : replicas) ASSERT_TRUE(replica.log);
  // One audit key, used by all; the first anchor written once, at the
  // empty log.
  EXPECT_EQ(PrivateKeysLabelled(keys_, kDefaultAuditKeyLabel), 1);
  for (const Replica& replica : replicas) {
    EXPECT_EQ(replica.log->public_key(), replicas[0].log->public_key());
  }
  // Every one appends to the one chain, which verifies.
  for (int i = 0; i < 3; ++i) {
    for (Replica& replica : replicas) {
      ASSERT_TRUE(replica.log->Append(Event("r", i)).ok());
    }
  }
  for (Replica& replica : replicas) ASSERT_TRUE(replica.log->Close().ok());
  auto verified =
      VerifyAuditLog(*replicas[0].storage, keys_, kDefaultAuditKeyLabel);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->ok) << verified->message;
  EXPECT_EQ(verified->events_checked, 3 * kReplicas);
  // The setup lease was given up: nothing left for a later start to wait on.
  auto lease = replicas[0].storage->Get(kDutyLeaseKind, kAuditSetupLease);
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_FALSE(lease->has_value());
}

TEST_F(AuditReplicasTest, ACreatorKilledMidSetUpHoldsTheOthersUntilItsLease) {
  FakeClock clock(absl::FromUnixSeconds(1764000000));
  auto storage = SqliteStorage::Open(tmp_.Path("sejf.db"), clock);
  ASSERT_TRUE(storage.ok()) << storage.status();
  // A process took the setup lease, generated the audit key and was killed
  // before it wrote the anchor.
  DutyLease dead(storage->get(), &clock, std::string(kAuditSetupLease),
                 "dead-host/1/00", kAuditSetupLeaseTtl);
  ASSERT_TRUE(*dead.TryHold());
  ASSERT_TRUE(
      keys_.GenerateKeyPair(kDefaultAuditKeyLabel, hsm::KeyAlgorithm::kEcP256)
          .ok());

  // While its lease runs, a starting process waits, then gives up saying
  // why; it has made nothing.
  auto waited = AuditLog::Open(storage->get(), &keys_, &clock,
                               {.setup_wait = absl::ZeroDuration()});
  ASSERT_EQ(waited.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(waited.status().message().find(kAuditSetupLease), std::string::npos)
      << waited.status();
  EXPECT_EQ(PrivateKeysLabelled(keys_, kDefaultAuditKeyLabel), 1);
  auto anchor = ReadAuditAnchor(keys_, kDefaultAuditKeyLabel);
  ASSERT_TRUE(anchor.ok());
  EXPECT_FALSE(anchor->has_value());

  // Once it has run out, the next process takes the setup over and uses
  // the key the dead one left: still one key, and the log anchored.
  clock.Advance(kAuditSetupLeaseTtl + absl::Seconds(1));
  auto log = AuditLog::Open(storage->get(), &keys_, &clock,
                            {.setup_wait = absl::ZeroDuration()});
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(PrivateKeysLabelled(keys_, kDefaultAuditKeyLabel), 1);
  anchor = ReadAuditAnchor(keys_, kDefaultAuditKeyLabel);
  ASSERT_TRUE(anchor.ok());
  EXPECT_TRUE(anchor->has_value());
  ASSERT_TRUE((*log)->Append(Event("a", 1)).ok());
  ASSERT_TRUE((*log)->Close().ok());
  auto verified = VerifyAuditLog(**storage, keys_, kDefaultAuditKeyLabel);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->ok) << verified->message;
}

TEST_F(AuditReplicasTest, AStartOfASetUpLogDoesNotWaitForTheSetupLease) {
  FakeClock clock(absl::FromUnixSeconds(1764000000));
  Replica a = Start(clock, 5);
  ASSERT_TRUE(a.log);
  // A lease left by anything else does not hold up a log whose anchor is
  // in the HSM.
  DutyLease other(a.storage.get(), &clock, std::string(kAuditSetupLease),
                  "other-host/1/00", kAuditSetupLeaseTtl);
  ASSERT_TRUE(*other.TryHold());
  auto b = AuditLog::Open(a.storage.get(), &keys_, &clock,
                          {.setup_wait = absl::ZeroDuration()});
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_TRUE((*b)->Close().ok());
  ASSERT_TRUE(a.log->Close().ok());
}

}  // namespace
}  // namespace sejf::vault
