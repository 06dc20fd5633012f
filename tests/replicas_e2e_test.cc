// Several sejfd replicas on one database and one HSM token (issue 16,
// docs/replicas.md): three `sejfd --dev` processes on one data directory —
// one SQLite database, one SoftHSM2 token directory — each with its own
// unix socket and TCP port, written to through all of them at once.
//
// What a user of a load balancer in front of them would notice:
//   - every acknowledged write (token import and rotation, key generation,
//     signatures) is readable through every replica, and keys made by one
//     replica's HSM session sign through another's;
//   - `sejf audit verify` passes on one chain, through any replica;
//   - a data-key or KEK rotation made through one replica is in force on
//     the others without a restart: a token sealed after it on one opens on
//     another (checked by decrypting, with openssl, the token sejf encrypts
//     for a Ministry certificate the test made);
//   - a replica killed with -9 while its clients write loses nothing it
//     acknowledged (`audit verify --expect` its last head), the others go
//     on serving, and it starts again on the same files;
//   - a background duty (the key expiry watch) runs on one replica at a
//     time: a certificate about to expire is warned of once, not once per
//     replica;
//   - a standing KSeF session (the KSeF emulator) opened through one replica
//     hands out the same access token through every one, and once closed
//     through another, through none;
//   - replicas all started at one moment on a fresh store and an empty token
//     make one audit key, one anchor and one KEK (pkcs11-tool lists them),
//     and writes through each land in one chain that verifies through each.
//
// The backend is a parameter: "sqlite" (the data directory's database
// file, shared by the processes) and "postgres" (a fresh database in the
// private PostgreSQL 15 server of vault/storage/postgres/testing/, over TLS
// verified against its CA). The HSM token directory is shared either way.

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/ksef_emulator.h"
#include "tests/testing/sejfd_process.h"
#include "tests/testing/sejfd_test.h"
#include "vault/storage/postgres/testing/postgres_cluster.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kReplicas = 3;
constexpr char kContext[] = "nip:5265877635";
constexpr char kSubject[] =
    "CN=Jan Kowalski,serialNumber=TINPL-5265877635,C=PL";

std::string Challenge() {
  return absl::StrCat(
      absl::FormatTime("%Y%m%d", absl::Now(), absl::UTCTimeZone()),
      "-CR-226FB7B000-3ACF9BE4C0-10");
}

std::string RandomSecret() {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device device;
  std::string secret = "replica|";
  while (secret.size() < 48) secret += kAlphabet[device() % kAlphabet.size()];
  return secret;
}

class ReplicasE2eTest : public SejfdTest,
                        public ::testing::WithParamInterface<std::string> {
 protected:
  // Replica 0 is the fixture's daemon and makes the data directory (token,
  // database, audit key, keyring) on its first start; the others start on
  // it once it serves.
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ChooseBackend());
    SejfdConfig config;
    config.config = ConfigOf(0);
    StartSejfd(config);
    if (HasFatalFailure()) return;
    // And the import key, as docs/replicas.md asks of operators: three
    // processes generating it at one moment on one SoftHSM2 token directory
    // contend for its files for seconds, up to the HSM call bound under
    // load. Two keys from such a race are covered by ImportKeyTest.
    const CommandResult import_key = On(0, {"key", "import-key"});
    ASSERT_EQ(import_key.exit_code, 0) << import_key.err;
    for (int i = 1; i < kReplicas; ++i) {
      ASSERT_NO_FATAL_FAILURE(StartReplica(i));
    }
  }

  // The storage of the backend under test: the data directory's SQLite
  // file, or a fresh PostgreSQL database.
  void ChooseBackend() {
    if (GetParam() == "postgres") {
      vault::testing::PostgresCluster& cluster =
          vault::testing::PostgresCluster::Shared();
      absl::StatusOr<std::string> database = cluster.CreateDatabase();
      ASSERT_TRUE(database.ok()) << database.status();
      storage_config_ = absl::StrCat(
          "[storage]\n"
          "backend = \"postgres\"\n"
          "postgres_url = \"postgresql://sejf@localhost:",
          cluster.port(), "/", *database,
          "?hostaddr=127.0.0.1\"\n"
          "postgres_ca_file = \"",
          cluster.ca_file(), "\"\n");
    }
  }

  void TearDown() override {
    for (auto& [i, replica] : others_) {
      if (replica->process().Wait(absl::ZeroDuration()).has_value()) continue;
      EXPECT_EQ(replica->Stop(), std::optional<int>(0)) << replica->Stderr();
    }
    others_.clear();
    SejfdTest::TearDown();
  }

  static std::string Socket(int replica) {
    return absl::StrCat(temp_dir(), "/replica-", replica, ".sock");
  }

  // The replica's own listener; the storage of the backend under test.
  std::string ConfigOf(int replica) const {
    return absl::StrCat("[listen]\nunix_socket = \"", Socket(replica), "\"\n",
                        storage_config_, ksef_config_);
  }

  void StartReplica(int replica) {
    absl::StatusOr<std::unique_ptr<SejfdProcess>> started =
        StartedReplica(replica);
    ASSERT_TRUE(started.ok()) << started.status();
    others_[replica] = *std::move(started);
  }

  // Starts `replica` and waits for its banner (callable from any thread).
  absl::StatusOr<std::unique_ptr<SejfdProcess>> StartedReplica(
      int replica) const {
    const std::string config = WriteTemp(
        absl::StrCat("replica-", replica, ".toml"), ConfigOf(replica));
    return SejfdProcess::Start(
        {.data_dir = data_dir(),
         .config_file = config,
         .extra_args = {},
         .env = {},
         .stderr_path =
             absl::StrCat(temp_dir(), "/replica-", replica, ".stderr")});
  }

  SejfdProcess& Replica(int replica) {
    return replica == 0 ? daemon() : *others_.at(replica);
  }

  // `sejf ARGS…` through `replica`'s unix socket, as its admin.
  static CommandResult On(int replica, std::vector<std::string> args,
                          const std::string& stdin_data = "") {
    args.insert(args.begin(), {"--addr", "unix:" + Socket(replica)});
    return RunSejf(std::move(args), {}, stdin_data);
  }

  static nlohmann::json JsonOn(int replica, std::vector<std::string> args) {
    args.insert(args.begin(), {"--output", "json"});
    return JsonOf(On(replica, std::move(args)));
  }

  // Names listed by `sejf KIND list` through `replica` ("token", "key"),
  // with their JSON.
  static std::map<std::string, nlohmann::json> Listed(int replica,
                                                      const std::string& kind) {
    std::map<std::string, nlohmann::json> out;
    nlohmann::json listed = JsonOn(replica, {kind, "list"})[kind + "s"];
    if (!listed.is_array()) return out;
    for (const nlohmann::json& item : listed) {
      out[item["name"].get<std::string>()] = item;
    }
    return out;
  }

  // `sejf audit verify` through `replica` passes; returns the head it
  // printed (SEQ:HASH).
  static std::string VerifiedHead(int replica) {
    CommandResult verify = On(replica, {"audit", "verify"});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    std::size_t head = verify.out.rfind("head ");
    if (head == std::string::npos) return "";
    return std::string(absl::StripAsciiWhitespace(verify.out.substr(head + 5)));
  }

  // A Ministry-style certificate (RSA 2048, self-signed by openssl) imported
  // for environment "demo" through replica 0; the key stays in temp_dir().
  void ImportMinistryCertificate() {
    const std::string pem = temp_dir() + "/mf.pem";
    CommandResult made = Shell(absl::StrCat(
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ", temp_dir(),
        "/mf.key -out ", pem,
        " -days 30 -subj '/CN=KSeF mf/O=Ministerstwo Finansow/C=PL' 2>&1"));
    ASSERT_EQ(made.exit_code, 0) << made.out;
    CommandResult fingerprint =
        Shell("openssl x509 -in " + pem + " -noout -fingerprint -sha256");
    ASSERT_EQ(fingerprint.exit_code, 0) << fingerprint.err;
    absl::string_view line = absl::StripAsciiWhitespace(fingerprint.out);
    CommandResult imported =
        On(0, {"mfcert", "import", "--environment", "demo", "--pin-fingerprint",
               std::string(line.substr(line.find('=') + 1)), pem});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
  }

  // The token's secret as `replica` opens it: `sejf auth token` encrypts it
  // to the Ministry certificate, openssl decrypts it with that key. Empty
  // (and a test failure) when either step fails.
  std::string OpenedOn(int replica, const std::string& token) {
    const std::string timestamp = absl::StrCat(absl::ToUnixMillis(absl::Now()));
    CommandResult r = On(
        replica, {"auth", "token", "--token", token, "--challenge", Challenge(),
                  "--timestamp-ms", timestamp, "--environment", "demo"});
    EXPECT_EQ(r.exit_code, 0) << "replica " << replica << ": " << r.err;
    nlohmann::json body = nlohmann::json::parse(r.out, nullptr, false);
    if (!body.is_object() || !body.contains("encryptedToken")) return "";
    std::string encrypted;
    EXPECT_TRUE(absl::Base64Unescape(body["encryptedToken"].get<std::string>(),
                                     &encrypted));
    CommandResult decrypted = Shell(absl::StrCat(
        "openssl pkeyutl -decrypt -inkey ", temp_dir(), "/mf.key",
        " -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256",
        " -pkeyopt rsa_mgf1_md:sha256 -in ",
        WriteTemp(absl::StrCat("encrypted-", replica, ".bin"), encrypted)));
    EXPECT_EQ(decrypted.exit_code, 0) << decrypted.err;
    absl::string_view out = decrypted.out;
    const std::string suffix = absl::StrCat("|", timestamp);
    if (!absl::ConsumeSuffix(&out, suffix)) {
      ADD_FAILURE() << "the decrypted token does not end in " << suffix;
      return "";
    }
    return std::string(out);
  }

  static CommandResult Import(int replica, const std::string& name,
                              const std::string& secret) {
    return On(replica,
              {"token", "import", "--name", name, "--context", kContext},
              secret + "\n");
  }

  // Waits (bounded; not a timing requirement) until `replica` reports no
  // record left to re-seal.
  static nlohmann::json SettledVaultStatus(int replica) {
    nlohmann::json status;
    for (int i = 0; i < 600; ++i) {
      status = JsonOn(replica, {"vault", "status"});
      if (status.value("recordsPendingReseal", std::string("0")) == "0") break;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return status;
  }

  std::map<int, std::unique_ptr<SejfdProcess>> others_;
  std::string storage_config_;  // empty: the data directory's SQLite file
  std::string ksef_config_;     // a [ksef.environments.*] table, or empty
};

TEST_P(ReplicasE2eTest, WritesThroughEveryReplicaAreReadableThroughEveryOne) {
  ASSERT_EQ(On(0, {"key", "generate", "--name", "signer", "--usage",
                   "authentication"})
                .exit_code,
            0);
  ASSERT_EQ(On(1, {"key", "self-sign", "signer", "--subject", kSubject,
                   "--days", "30"})
                .exit_code,
            0);

  // One client per replica, all at once: import a token, rotate it, make a
  // key, sign with the shared key.
  constexpr int kRounds = 4;
  struct Acknowledged {
    std::set<std::string> tokens, rotated, keys;
    int signatures = 0;
  };
  std::vector<Acknowledged> acknowledged(kReplicas);
  std::vector<std::string> failures;
  absl::Mutex mu;
  std::vector<std::thread> clients;
  for (int r = 0; r < kReplicas; ++r) {
    clients.emplace_back([&, r] {
      Acknowledged& mine = acknowledged[r];
      auto fail = [&](const std::string& what, const CommandResult& result) {
        absl::MutexLock lock(&mu);
        failures.push_back(
            absl::StrCat("replica ", r, " ", what, ": ", result.err));
      };
      for (int round = 0; round < kRounds; ++round) {
        const std::string token = absl::StrCat("t-", r, "-", round);
        const std::string key = absl::StrCat("k-", r, "-", round);
        CommandResult imported = Import(r, token, RandomSecret());
        if (imported.exit_code == 0) {
          mine.tokens.insert("tokens/" + token);
        } else {
          fail("import " + token, imported);
        }
        CommandResult rotated =
            On(r, {"token", "rotate", token}, RandomSecret() + "\n");
        if (rotated.exit_code == 0) {
          mine.rotated.insert("tokens/" + token);
        } else {
          fail("rotate " + token, rotated);
        }
        CommandResult generated =
            On(r, {"key", "generate", "--name", key, "--usage", "offline"});
        if (generated.exit_code == 0) {
          mine.keys.insert("keys/" + key);
        } else {
          fail("generate " + key, generated);
        }
        CommandResult signed_request =
            On(r, {"auth", "xades", "--key", "signer", "--challenge",
                   Challenge(), "--context", kContext});
        if (signed_request.exit_code == 0 &&
            absl::StrContains(signed_request.out, "SignatureValue")) {
          ++mine.signatures;
        } else {
          fail("sign", signed_request);
        }
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_THAT(failures, ::testing::IsEmpty());

  // Every acknowledged write, through every replica.
  for (int reader = 0; reader < kReplicas; ++reader) {
    SCOPED_TRACE(absl::StrCat("read through replica ", reader));
    std::map<std::string, nlohmann::json> tokens = Listed(reader, "token");
    std::map<std::string, nlohmann::json> keys = Listed(reader, "key");
    for (const Acknowledged& writes : acknowledged) {
      for (const std::string& token : writes.tokens) {
        ASSERT_TRUE(tokens.contains(token)) << token;
        EXPECT_EQ(tokens[token]["version"],
                  writes.rotated.contains(token) ? "2" : "1")
            << token;
      }
      for (const std::string& key : writes.keys) {
        EXPECT_TRUE(keys.contains(key)) << key;
      }
    }
  }

  // A key made in one replica's HSM session is found, certified and used
  // by the others' sessions on the same token.
  for (int r = 0; r < kReplicas; ++r) {
    const std::string key = absl::StrCat("x-", r);
    ASSERT_EQ(
        On(r, {"key", "generate", "--name", key, "--usage", "authentication"})
            .exit_code,
        0);
    CommandResult certified =
        On((r + 1) % kReplicas,
           {"key", "self-sign", key, "--subject", kSubject, "--days", "30"});
    EXPECT_EQ(certified.exit_code, 0) << certified.err;
    CommandResult signed_request =
        On((r + 2) % kReplicas, {"auth", "xades", "--key", key, "--challenge",
                                 Challenge(), "--context", kContext});
    EXPECT_EQ(signed_request.exit_code, 0) << signed_request.err;
    EXPECT_THAT(signed_request.out, HasSubstr("SignatureValue"));
  }

  // One audit chain, whichever replica checks it, with every acknowledged
  // import's outcome in it.
  for (int r = 0; r < kReplicas; ++r) VerifiedHead(r);
  const std::string events =
      On(2, {"--output", "json", "audit", "list", "--outcome", "OK"}).out;
  for (const Acknowledged& writes : acknowledged) {
    for (const std::string& token : writes.tokens) {
      EXPECT_THAT(events, HasSubstr(absl::StrCat("\"", token, "\""))) << token;
    }
  }
}

TEST_P(ReplicasE2eTest, RotationsOnOneReplicaAreInForceOnTheOthersAtOnce) {
  ASSERT_NO_FATAL_FAILURE(ImportMinistryCertificate());
  const std::string before = RandomSecret();
  ASSERT_EQ(Import(0, "before", before).exit_code, 0);
  const nlohmann::json initial = JsonOn(2, {"vault", "status"});

  // A data-key rotation through replica 0: replica 2 seals under the new
  // key without a restart, and what it seals opens on replica 1.
  ASSERT_EQ(On(0, {"vault", "rotate"}).exit_code, 0);
  const std::string after_dek = RandomSecret();
  ASSERT_EQ(Import(2, "after-dek", after_dek).exit_code, 0);
  nlohmann::json on_two = JsonOn(2, {"vault", "status"});
  EXPECT_NE(on_two["currentDataKeyId"], initial["currentDataKeyId"]);
  EXPECT_EQ(JsonOn(1, {"vault", "status"})["currentDataKeyId"],
            on_two["currentDataKeyId"]);
  EXPECT_EQ(OpenedOn(1, "after-dek"), after_dek);
  EXPECT_EQ(OpenedOn(2, "before"), before);

  // A KEK rotation through replica 1 (which destroys the old KEK in the
  // token): the others report the new KEK, keep opening everything, and a
  // data-key rotation through replica 2 wraps under the KEK replica 1 made.
  CommandResult kek = On(1, {"vault", "rotate-kek"});
  ASSERT_EQ(kek.exit_code, 0) << kek.err;
  for (int r : {0, 2}) {
    EXPECT_NE(JsonOn(r, {"vault", "status"})["kekUri"], initial["kekUri"])
        << "replica " << r;
  }
  const std::string after_kek = RandomSecret();
  ASSERT_EQ(Import(0, "after-kek", after_kek).exit_code, 0);
  EXPECT_EQ(OpenedOn(2, "after-kek"), after_kek);
  CommandResult rotated = On(2, {"vault", "rotate"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  const std::string last = RandomSecret();
  ASSERT_EQ(Import(1, "last", last).exit_code, 0);
  const nlohmann::json settled = SettledVaultStatus(0);
  EXPECT_EQ(settled["dataKeyCount"], "3");
  EXPECT_EQ(settled.value("recordsPendingReseal", std::string("0")), "0");
  for (int r = 0; r < kReplicas; ++r) {
    SCOPED_TRACE(absl::StrCat("replica ", r));
    EXPECT_EQ(JsonOn(r, {"vault", "status"})["currentDataKeyId"],
              settled["currentDataKeyId"]);
    EXPECT_EQ(OpenedOn(r, "last"), last);
    EXPECT_EQ(OpenedOn(r, "before"), before);
  }
  // No secret in any replica's log.
  for (int r = 0; r < kReplicas; ++r) {
    for (const std::string& secret : {before, after_dek, after_kek, last}) {
      EXPECT_THAT(Replica(r).Stderr(), Not(HasSubstr(secret)));
    }
  }
  EXPECT_EQ(On(1, {"vault", "check"}).exit_code, 0);
  VerifiedHead(0);
}

TEST_P(ReplicasE2eTest, AReplicaKilledMidWriteLosesNothingItAcknowledged) {
  constexpr int kImportsPerClient = 12;
  constexpr int kVictim = 1;
  // Imports through every replica at once; the victim is killed with -9
  // once it has acknowledged a few, while its client keeps sending.
  std::vector<std::set<std::string>> acknowledged(kReplicas);
  absl::Mutex mu;
  int victim_acknowledged = 0;
  std::vector<std::thread> clients;
  for (int r = 0; r < kReplicas; ++r) {
    clients.emplace_back([&, r] {
      for (int i = 0; i < kImportsPerClient; ++i) {
        const std::string name = absl::StrCat("d-", r, "-", i);
        CommandResult imported = Import(r, name, RandomSecret());
        if (imported.exit_code != 0) {
          // Only the victim's client may see failures (once it is killed).
          if (r != kVictim) ADD_FAILURE() << name << ": " << imported.err;
          continue;
        }
        absl::MutexLock lock(&mu);
        acknowledged[r].insert("tokens/" + name);
        if (r == kVictim) ++victim_acknowledged;
      }
    });
  }
  std::string victim_head;
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](int* n) { return *n >= 3; }, &victim_acknowledged));
  }
  // The head as the victim last vouched for it, then the kill.
  victim_head = VerifiedHead(kVictim);
  Replica(kVictim).process().Signal(SIGKILL);
  for (std::thread& client : clients) client.join();
  ASSERT_FALSE(victim_head.empty());

  // The survivors served throughout, and hold everything acknowledged.
  EXPECT_EQ(acknowledged[0].size(),
            static_cast<std::size_t>(kImportsPerClient));
  EXPECT_EQ(acknowledged[2].size(),
            static_cast<std::size_t>(kImportsPerClient));
  for (int reader : {0, 2}) {
    std::map<std::string, nlohmann::json> tokens = Listed(reader, "token");
    for (const std::set<std::string>& names : acknowledged) {
      for (const std::string& name : names) {
        EXPECT_TRUE(tokens.contains(name))
            << name << " through replica " << reader;
      }
    }
  }
  CommandResult expect = On(0, {"audit", "verify", "--expect", victim_head});
  EXPECT_EQ(expect.exit_code, 0) << expect.out << expect.err;
  VerifiedHead(2);

  // The victim starts again on the same files while the others serve, and
  // sees it all too.
  ASSERT_NO_FATAL_FAILURE(StartReplica(kVictim));
  std::map<std::string, nlohmann::json> tokens = Listed(kVictim, "token");
  for (const std::set<std::string>& names : acknowledged) {
    for (const std::string& name : names) EXPECT_TRUE(tokens.contains(name));
  }
  CommandResult after = Import(kVictim, "after-restart", RandomSecret());
  ASSERT_EQ(after.exit_code, 0) << after.out << after.err;
  VerifiedHead(kVictim);
  EXPECT_EQ(On(0, {"audit", "verify", "--expect", victim_head}).exit_code, 0);
}

TEST_P(ReplicasE2eTest, ABackgroundDutyRunsOnOneReplicaAtATime) {
  // A key whose certificate ends in 5 days: each sejfd's expiry watch warns
  // of it (logged and audited) in the round it runs as it starts — but only
  // the replica holding the "key-expiry-watch" lease runs it.
  ASSERT_EQ(On(0, {"key", "generate", "--name", "expiring", "--usage",
                   "authentication"})
                .exit_code,
            0);
  ASSERT_EQ(On(0, {"key", "self-sign", "expiring", "--subject", kSubject,
                   "--days", "5"})
                .exit_code,
            0);
  // Replica 0 held the duty since it started first; a clean stop releases
  // it. Replica 1, restarted next, takes it and warns; replica 2 and then
  // replica 0, restarted after, find it held and skip the round.
  StopSejfd();
  ASSERT_EQ(others_.at(1)->Stop(), std::optional<int>(0));
  ASSERT_NO_FATAL_FAILURE(StartReplica(1));
  ASSERT_EQ(others_.at(2)->Stop(), std::optional<int>(0));
  ASSERT_NO_FATAL_FAILURE(StartReplica(2));
  SejfdConfig config;
  config.config = ConfigOf(0);
  ASSERT_NO_FATAL_FAILURE(StartSejfd(config));

  nlohmann::json events = JsonOn(
      2, {"audit", "list", "--operation", "keys.expiry_warning"})["events"];
  ASSERT_TRUE(events.is_array()) << events.dump();
  EXPECT_EQ(events.size(), 1u) << events.dump();
  int warned = 0;
  for (int r = 0; r < kReplicas; ++r) {
    warned += absl::StrContains(Replica(r).Stderr(), "key_certificate_expiring")
                  ? 1
                  : 0;
  }
  EXPECT_EQ(warned, 1);
  EXPECT_THAT(Replica(1).Stderr(), HasSubstr("key_certificate_expiring"));
  VerifiedHead(0);
}

TEST_P(ReplicasE2eTest, AKsefSessionIsOneSessionThroughEveryReplica) {
  absl::StatusOr<std::unique_ptr<KsefEmulator>> emulator =
      KsefEmulator::Start();
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  // Every replica knows the emulator as environment "emu": all restarted
  // on that configuration.
  ksef_config_ = absl::StrCat((*emulator)->EnvironmentConfig("emu"));
  StopSejfd();
  for (int r = 1; r < kReplicas; ++r) {
    ASSERT_EQ(others_.at(r)->Stop(), std::optional<int>(0));
  }
  SejfdConfig config;
  config.config = ConfigOf(0);
  ASSERT_NO_FATAL_FAILURE(StartSejfd(config));
  for (int r = 1; r < kReplicas; ++r) ASSERT_NO_FATAL_FAILURE(StartReplica(r));

  const std::string secret = "replicas-e2e-ksef-token-0123456789";
  ASSERT_TRUE((*emulator)->RegisterKsefToken(secret, "Nip", "5265877635").ok());
  ASSERT_EQ(Import(0, "login-tok", secret).exit_code, 0);
  // Opened through replica 1; the access token is the same through all.
  CommandResult opened =
      On(1, {"session", "open", "--name", "shared", "--token", "login-tok",
             "--context", kContext, "--environment", "emu"});
  ASSERT_EQ(opened.exit_code, 0) << opened.err;
  std::set<std::string> tokens;
  for (int r = 0; r < kReplicas; ++r) {
    CommandResult token = On(r, {"session", "token", "shared"});
    ASSERT_EQ(token.exit_code, 0) << "replica " << r << ": " << token.err;
    tokens.insert(token.out);
  }
  EXPECT_EQ(tokens.size(), 1u);
  EXPECT_FALSE(tokens.begin()->empty());

  // Closed through replica 2: no replica hands its token out any more,
  // although 0 and 1 had it in memory.
  CommandResult closed = On(2, {"session", "close", "shared"});
  ASSERT_EQ(closed.exit_code, 0) << closed.err;
  for (int r = 0; r < kReplicas; ++r) {
    CommandResult token = On(r, {"session", "token", "shared"});
    EXPECT_EQ(token.exit_code, 1) << "replica " << r << ": " << token.out;
    EXPECT_THAT(token.err, HasSubstr("FAILED_PRECONDITION")) << "replica " << r;
    EXPECT_THAT(token.out, Not(HasSubstr(*tokens.begin())));
  }
  for (int r = 0; r < kReplicas; ++r) {
    EXPECT_THAT(Replica(r).Stderr(), Not(HasSubstr(secret)));
  }
  VerifiedHead(0);
}

// Replicas all started at one moment on a fresh store and token (no
// replica first): the setup lease of vault/audit/audit_log.h.
class ReplicasFirstStartE2eTest : public ReplicasE2eTest {
 protected:
  void SetUp() override { ChooseBackend(); }

  // The labels of the objects of `type` ("privkey", "secrkey", "data")
  // that pkcs11-tool lists in the data directory's token.
  static std::multiset<std::string> TokenObjectLabels(const std::string& type) {
    CommandResult listed = Pkcs11Tool({"--list-objects", "--type", type});
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    std::multiset<std::string> labels;
    for (absl::string_view line : absl::StrSplit(listed.out, '\n')) {
      line = absl::StripAsciiWhitespace(line);
      if (absl::ConsumePrefix(&line, "label:")) {
        // Data objects' labels are quoted.
        line = absl::StripAsciiWhitespace(line);
        if (absl::ConsumePrefix(&line, "'")) absl::ConsumeSuffix(&line, "'");
        labels.insert(std::string(line));
      }
    }
    return labels;
  }
};

TEST_P(ReplicasFirstStartE2eTest,
       ReplicasStartedAtOnceOnAFreshStoreAndTokenShareOneAuditKey) {
  // What an operator has before the first start: an initialised token with
  // no objects, and no database (a one-shot sejfd makes the dev token and
  // PKI, and creates nothing in them).
  const CommandResult bootstrap = RunSejfd({"--verify-audit-log"});
  ASSERT_EQ(bootstrap.exit_code, 0) << bootstrap.err;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::remove(absl::StrCat(data_dir(), "/sejf.db", suffix).c_str());
  }
  ASSERT_THAT(TokenObjectLabels("privkey"), ::testing::IsEmpty());
  ASSERT_THAT(TokenObjectLabels("secrkey"), ::testing::IsEmpty());
  ASSERT_THAT(TokenObjectLabels("data"), ::testing::IsEmpty());

  // All at once.
  std::vector<absl::StatusOr<std::unique_ptr<SejfdProcess>>> started;
  for (int r = 0; r < kReplicas; ++r) {
    started.emplace_back(absl::UnknownError("not started"));
  }
  std::vector<std::thread> starting;
  for (int r = 0; r < kReplicas; ++r) {
    starting.emplace_back([&, r] { started[r] = StartedReplica(r); });
  }
  for (std::thread& thread : starting) thread.join();
  for (int r = 0; r < kReplicas; ++r) {
    // SoftHSM2 rewrites its token file at each login, and another process
    // reading it just then gets CKR_GENERAL_ERROR (docs/replicas.md): a
    // replica may stop at start for it, having created nothing, and its
    // supervisor starts it again (deploy/systemd: Restart=on-failure).
    for (int restart = 0;
         restart < 3 && !started[r].ok() &&
         absl::StrContains(started[r].status().message(), "CKR_GENERAL_ERROR");
         ++restart) {
      started[r] = StartedReplica(r);
    }
    ASSERT_TRUE(started[r].ok())
        << "replica " << r << ": " << started[r].status();
    others_[r] = *std::move(started[r]);
  }

  // One audit key, one anchor, one KEK in the token.
  EXPECT_THAT(TokenObjectLabels("privkey"),
              ::testing::ElementsAre("sejf-audit"));
  EXPECT_THAT(TokenObjectLabels("data"),
              ::testing::ElementsAre("sejf-audit-anchor"));
  EXPECT_EQ(TokenObjectLabels("secrkey").size(), 1u);

  // A write through each; every one reads them all (one keyring) and
  // verifies one chain through its own HSM session, ending at one head.
  for (int r = 0; r < kReplicas; ++r) {
    const CommandResult imported =
        Import(r, absl::StrCat("first-", r), RandomSecret());
    ASSERT_EQ(imported.exit_code, 0) << "replica " << r << ": " << imported.err;
  }
  // One chain: through every replica, the same three import events (by
  // their hashes), and the chain verifies.
  std::set<std::string> listings;
  for (int r = 0; r < kReplicas; ++r) {
    EXPECT_EQ(Listed(r, "token").size(), static_cast<std::size_t>(kReplicas))
        << "replica " << r;
    nlohmann::json events = JsonOn(r, {"audit", "list"})["events"];
    ASSERT_TRUE(events.is_array()) << events.dump();
    std::string listing;
    std::set<std::string> imported;
    for (const nlohmann::json& event : events) {
      const std::string resource = event.value("resource", "");
      if (absl::StartsWith(resource, "tokens/first-") &&
          event.value("outcome", "") == "OK") {
        imported.insert(resource);
        absl::StrAppend(&listing, event.value("hash", ""), "\n");
      }
    }
    EXPECT_THAT(imported,
                ::testing::ElementsAre("tokens/first-0", "tokens/first-1",
                                       "tokens/first-2"))
        << "replica " << r;
    listings.insert(listing);
    EXPECT_THAT(VerifiedHead(r), Not(::testing::StartsWith("0:")));
  }
  EXPECT_EQ(listings.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, ReplicasFirstStartE2eTest,
                         ::testing::Values(std::string("sqlite"),
                                           std::string("postgres")),
                         [](const auto& info) { return info.param; });

INSTANTIATE_TEST_SUITE_P(Backends, ReplicasE2eTest,
                         ::testing::Values(std::string("sqlite"),
                                           std::string("postgres")),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sejf::testing
