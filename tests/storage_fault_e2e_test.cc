// Storage faults under a running dev sejfd: the database (its own small ext4
// file system, tests/testing/loop_filesystem.h) made read-only, filled to
// the last block, and its write-ahead log removed, while concurrent clients
// import tokens, generate keys and sign.
//
// Under each fault every request either succeeds — and is then durable: it
// is there after the fault clears and after a kill -9 and restart, with its
// audit event — or fails cleanly: a documented code (UNAVAILABLE,
// RESOURCE_EXHAUSTED, FAILED_PRECONDITION), no secret in what the client
// sees, no crash, and nothing half-done (the same request succeeds once the
// fault clears). After the fault clears, service resumes without a restart
// and `sejf audit verify` passes.

#include <signal.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/loop_filesystem.h"
#include "tests/testing/sejfd_test.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kContext[] = "nip:5265877635";
constexpr char kSubject[] =
    "CN=Jan Kowalski,serialNumber=TINPL-5265877635,C=PL";
constexpr int kClients = 3;

std::string Challenge() {
  return absl::StrCat(
      absl::FormatTime("%Y%m%d", absl::Now(), absl::UTCTimeZone()),
      "-CR-226FB7B000-3ACF9BE4C0-10");
}

std::string RandomSecret() {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device device;
  std::string secret = "canary|";
  while (secret.size() < 48) secret += kAlphabet[device() % kAlphabet.size()];
  return secret;
}

// One request a client made, and what it saw.
struct Request {
  enum Kind { kImportToken, kGenerateKey, kSign } kind;
  std::string name;    // the token or key; "" for kSign
  std::string secret;  // the token's, for kImportToken
  CommandResult result = {};
};

class StorageFaultE2eTest : public SejfdTest {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<LoopFilesystem>> fs = LoopFilesystem::Mount(
        temp_dir() + "/db.img", temp_dir() + "/db", /*size_mb=*/16);
    ASSERT_TRUE(fs.ok()) << fs.status();
    fs_ = *std::move(fs);
    StartSejfd(Config());
    if (HasFatalFailure()) return;
    CommandResult r = Sejf(
        {"key", "generate", "--name", "signer", "--usage", "authentication"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = Sejf(
        {"key", "self-sign", "signer", "--subject", kSubject, "--days", "30"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  void TearDown() override {
    SejfdTest::TearDown();  // the daemon first: it has the files open
    fs_.reset();
  }

  std::string DbPath() const { return fs_->path() + "/sejf.db"; }

  // The database on the loop file system; the rest (TLS, SoftHSM) in the
  // data directory as usual.
  SejfdConfig Config() const {
    SejfdConfig config;
    config.config =
        absl::StrCat("[storage]\nsqlite_path = \"", DbPath(), "\"\n");
    return config;
  }

  static void Run(Request& request) {
    switch (request.kind) {
      case Request::kImportToken:
        request.result = Sejf(
            {"token", "import", "--name", request.name, "--context", kContext},
            request.secret + "\n");
        break;
      case Request::kGenerateKey:
        request.result = Sejf(
            {"key", "generate", "--name", request.name, "--usage", "offline"});
        break;
      case Request::kSign:
        request.result =
            Sejf({"auth", "xades", "--key", "signer", "--challenge",
                  Challenge(), "--context", kContext});
        break;
    }
  }

  // kClients clients at once, each importing a token, generating a key and
  // signing, `rounds` times; names start with `tag`. When `fault` is set, it
  // runs once `fault_after` requests have completed, while the others run.
  std::vector<Request> Load(const std::string& tag, int rounds = 2,
                            std::function<void()> fault = nullptr,
                            int fault_after = 0) {
    std::vector<Request> requests;
    for (int round = 0; round < rounds; ++round) {
      for (int client = 0; client < kClients; ++client) {
        const std::string id = absl::StrCat(tag, "-", round, "-", client);
        requests.push_back(
            {Request::kImportToken, "t-" + id, RandomSecret(), {}});
        requests.push_back({Request::kGenerateKey, "k-" + id, "", {}});
        requests.push_back({Request::kSign, "", "", {}});
      }
    }
    absl::Mutex mu;
    int completed = 0;
    std::vector<std::thread> clients;
    for (int client = 0; client < kClients; ++client) {
      clients.emplace_back([&requests, &mu, &completed, client] {
        for (std::size_t i = 0; i < requests.size(); ++i) {
          if (static_cast<int>((i / 3) % kClients) != client) continue;
          Run(requests[i]);
          absl::MutexLock lock(&mu);
          ++completed;
        }
      });
    }
    if (fault) {
      struct Progress {
        const int* completed;
        int needed;
        static bool Reached(Progress* p) { return *p->completed >= p->needed; }
      } progress{&completed, fault_after};
      {
        absl::MutexLock lock(&mu);
        mu.Await(absl::Condition(&Progress::Reached, &progress));
      }
      fault();
    }
    for (std::thread& t : clients) t.join();
    return requests;
  }

  // What every request under a fault must satisfy; `codes` are the gRPC
  // codes a failure may carry, `advice` what its message tells the
  // operator. Returns how many failed.
  int ExpectSucceededOrFailedCleanly(const std::vector<Request>& requests,
                                     const std::vector<std::string>& codes,
                                     const std::string& advice = "") {
    int failed = 0;
    for (const Request& r : requests) {
      SCOPED_TRACE(absl::StrCat("request ", r.kind, " ", r.name));
      if (!r.secret.empty()) {
        EXPECT_FALSE(absl::StrContains(r.result.out, r.secret));
        EXPECT_FALSE(absl::StrContains(r.result.err, r.secret));
      }
      if (r.result.exit_code == 0) continue;
      if (failed++ == 0) RecordProperty("first_error", r.result.err);
      EXPECT_EQ(r.result.exit_code, 1) << r.result.err;
      bool documented = false;
      for (const std::string& code : codes) {
        documented |= absl::StrContains(r.result.err, code);
      }
      EXPECT_TRUE(documented) << r.result.err;
      EXPECT_THAT(r.result.err, HasSubstr(advice));
    }
    // No crash: the daemon still runs.
    EXPECT_FALSE(daemon().process().Wait(absl::ZeroDuration()).has_value())
        << daemon().Stderr();
    return failed;
  }

  static void ExpectAllSucceeded(const std::vector<Request>& requests) {
    for (const Request& r : requests) {
      EXPECT_EQ(r.result.exit_code, 0)
          << "request " << r.kind << " " << r.name << ": " << r.result.err;
    }
  }

  // Retries every failed request of `requests` (now that the fault is
  // cleared): a failure left nothing half-done, so each succeeds — or, when
  // the fault struck after the change committed (the audit outcome could
  // not be stored: UNAVAILABLE means "may have happened"), the retry finds
  // the credential whole: ALREADY_EXISTS, and it is there.
  static void RetryFailed(std::vector<Request>& requests) {
    for (Request& r : requests) {
      if (r.result.exit_code == 0) continue;
      Run(r);
      if (r.kind != Request::kSign && r.result.exit_code != 0 &&
          absl::StrContains(r.result.err, "ALREADY_EXISTS")) {
        CommandResult shown =
            Sejf({r.kind == Request::kGenerateKey ? "key" : "token", "show",
                  r.name});
        EXPECT_EQ(shown.exit_code, 0)
            << "retried " << r.kind << " " << r.name << ": " << r.result.err
            << "; show: " << shown.err;
        continue;
      }
      EXPECT_EQ(r.result.exit_code, 0)
          << "retried " << r.kind << " " << r.name << ": " << r.result.err;
    }
  }

  static std::set<std::string> Names(const std::string& group,
                                     const std::string& field) {
    std::set<std::string> names;
    nlohmann::json list = SejfJson({group, "list"});
    if (list.contains(field)) {
      for (const auto& item : list[field]) {
        names.insert(item.value("name", std::string()));
      }
    }
    return names;
  }

  // Every acknowledged token and key is there, with its audit event, and
  // the audit chain verifies. Returns the head verify printed (SEQ:HASH).
  static std::string ExpectAcknowledgedAreStored(
      const std::vector<Request>& done) {
    std::set<std::string> tokens = Names("token", "tokens");
    std::set<std::string> keys = Names("key", "keys");
    std::set<std::string> audited;
    int signs_audited = 0;
    nlohmann::json events = SejfJson({"audit", "list", "--outcome", "OK"});
    for (const auto& e : events["events"]) {
      audited.insert(e.value("resource", std::string()));
      signs_audited += e.value("operation", std::string()) == "auth.xades";
    }
    int signs = 0;
    for (const Request& r : done) {
      if (r.result.exit_code != 0) continue;
      switch (r.kind) {
        case Request::kImportToken:
          EXPECT_TRUE(tokens.contains("tokens/" + r.name)) << r.name;
          EXPECT_TRUE(audited.contains("tokens/" + r.name)) << r.name;
          break;
        case Request::kGenerateKey:
          EXPECT_TRUE(keys.contains("keys/" + r.name)) << r.name;
          EXPECT_TRUE(audited.contains("keys/" + r.name)) << r.name;
          break;
        case Request::kSign:
          ++signs;
          break;
      }
    }
    EXPECT_GE(signs_audited, signs);
    CommandResult verify = Sejf({"audit", "verify"});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    std::size_t head = verify.out.rfind("head ");
    EXPECT_NE(head, std::string::npos) << verify.out;
    if (head == std::string::npos) return "";
    return std::string(absl::StripAsciiWhitespace(verify.out.substr(head + 5)));
  }

  // kill -9 and start again on the same files: what was acknowledged is
  // durable, and so is every audit event up to `head` (the event of the
  // last verify, acknowledged too).
  void ExpectDurableAfterCrash(const std::vector<Request>& done,
                               const std::string& head) {
    CrashAndRestart();
    CommandResult expect = Sejf({"audit", "verify", "--expect", head});
    EXPECT_EQ(expect.exit_code, 0) << expect.out << expect.err;
    ExpectAcknowledgedAreStored(done);
  }

  // kill -9 and start again on the same files: what was acknowledged is
  // durable.
  void CrashAndRestart() {
    daemon().process().Signal(SIGKILL);
    ASSERT_TRUE(daemon().process().Wait(absl::Seconds(30)).has_value());
    StartSejfd(Config());
  }

  std::unique_ptr<LoopFilesystem> fs_;
};

TEST_F(StorageFaultE2eTest, ReadOnlyDatabaseFailsCleanlyAndHeals) {
  std::vector<Request> before = Load("pre", 1);
  ExpectAllSucceeded(before);

  // Not the -shm file: SQLite maps it into memory, and a write fault there
  // is a SIGBUS (see docs/reliability.md, "Storage faults").
  ASSERT_TRUE(fs_->Freeze({"sejf.db", "sejf.db-wal"}).ok());
  std::vector<Request> faulted = Load("ro");
  int failed = ExpectSucceededOrFailedCleanly(
      faulted, {"UNAVAILABLE", "FAILED_PRECONDITION"}, "writable");
  // Every request writes (at least its audit event): none can succeed.
  EXPECT_EQ(failed, static_cast<int>(faulted.size()));
  RecordProperty("failed_read_only", failed);
  ASSERT_TRUE(fs_->Thaw().ok());

  ExpectAllSucceeded(Load("after"));  // no restart
  RetryFailed(faulted);
  faulted.insert(faulted.end(), before.begin(), before.end());
  ExpectDurableAfterCrash(faulted, ExpectAcknowledgedAreStored(faulted));
}

TEST_F(StorageFaultE2eTest, FullDiskFailsCleanlyAndHeals) {
  std::vector<Request> before = Load("pre", 1);
  ExpectAllSucceeded(before);

  ASSERT_TRUE(fs_->Fill().ok());
  std::vector<Request> faulted = Load("full");
  int failed = ExpectSucceededOrFailedCleanly(
      faulted, {"RESOURCE_EXHAUSTED", "UNAVAILABLE"}, "free disk space");
  // Out of space is RESOURCE_EXHAUSTED: nothing was done, and repeating the
  // call is no use until space is freed. Only a change whose result event
  // did not fit is UNAVAILABLE ("may have happened"; RetryFailed below).
  for (const Request& r : faulted) {
    if (r.result.exit_code == 0) continue;
    SCOPED_TRACE(absl::StrCat("request ", r.kind, " ", r.name));
    if (r.kind == Request::kSign ||
        !absl::StrContains(r.result.err, "result is withheld")) {
      EXPECT_THAT(r.result.err, HasSubstr("RESOURCE_EXHAUSTED"));
    }
  }
  RecordProperty("failed_disk_full", failed);
  // A commit may still fit in blocks the WAL already holds (none did here:
  // 18 of 18 failed); each one that did not fit failed with the advice.
  ASSERT_TRUE(fs_->Unfill().ok());

  ExpectAllSucceeded(Load("after"));
  RetryFailed(faulted);
  faulted.insert(faulted.end(), before.begin(), before.end());
  ExpectDurableAfterCrash(faulted, ExpectAcknowledgedAreStored(faulted));
}

TEST_F(StorageFaultE2eTest, DiskFillingUpMidLoadFailsCleanlyAndHeals) {
  // The disk fills while requests run: some are acknowledged before, some
  // fail, some may be cut inside their transaction.
  std::vector<Request> faulted = Load(
      "midway", 2, [this] { ASSERT_TRUE(fs_->Fill().ok()); },
      /*fault_after=*/4);
  int failed = ExpectSucceededOrFailedCleanly(
      faulted, {"RESOURCE_EXHAUSTED", "UNAVAILABLE"}, "free disk space");
  RecordProperty("failed_filling_midway", failed);
  ASSERT_TRUE(fs_->Unfill().ok());

  ExpectAllSucceeded(Load("after"));
  RetryFailed(faulted);
  ExpectDurableAfterCrash(faulted, ExpectAcknowledgedAreStored(faulted));
}

TEST_F(StorageFaultE2eTest, RemovedWalLosesNothingAcknowledged) {
  std::vector<Request> before = Load("pre", 1);
  ExpectAllSucceeded(before);

  const std::string wal = DbPath() + "-wal";
  ASSERT_TRUE(std::filesystem::exists(wal));
  ASSERT_TRUE(std::filesystem::remove(wal));
  std::vector<Request> faulted = Load("nowal");
  int failed =
      ExpectSucceededOrFailedCleanly(faulted, {"UNAVAILABLE", "DATA_LOSS"});
  RecordProperty("failed_wal_removed", failed);
  // sejfd noticed, said so, and went on with a new log.
  EXPECT_THAT(daemon().Stderr(), HasSubstr("storage_wal_removed"));
  EXPECT_TRUE(std::filesystem::exists(wal));
  faulted.insert(faulted.end(), before.begin(), before.end());
  // A kill -9 right after is what a removed WAL makes dangerous: whatever
  // only the unlinked log held would be gone with the process.
  ExpectDurableAfterCrash(faulted, ExpectAcknowledgedAreStored(faulted));
  CommandResult integrity =
      RunCommand({"/usr/bin/sqlite3", DbPath(), "pragma integrity_check"});
  EXPECT_EQ(integrity.out, "ok\n") << integrity.err;

  std::vector<Request> after = Load("after");
  ExpectAllSucceeded(after);
  RetryFailed(faulted);
  faulted.insert(faulted.end(), after.begin(), after.end());
  ExpectAcknowledgedAreStored(faulted);
}

}  // namespace
}  // namespace sejf::testing
