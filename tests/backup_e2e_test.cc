// `sejf backup --to DIR` end to end (issue 16, docs/backup.md): a dev sejfd
// with keys (generated, self-signed), tokens, a Ministry certificate,
// rotated data key and KEK and audit events is backed up while clients keep
// generating keys and importing tokens; a second `sejfd --dev --data-dir
// DIR` then serves the copy: every write acknowledged before the backup
// began is there, the keys sign (openssl verifies), the tokens open (a KSeF
// token encrypted for the Ministry's key, decrypted by openssl) and new ones
// seal, `sejf audit verify` passes and `sejf vault check` is clean. Bad
// targets are refused with nothing left behind.
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/sejfd_process.h"
#include "tests/testing/sejfd_test.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kContext[] = "nip:5265877635";
constexpr char kSubject[] =
    "CN=Jan Kowalski,serialNumber=TINPL-5265877635,C=PL";

std::string Secret(const std::string& tag) {
  return absl::StrCat("backup-e2e-secret-", tag, "-0123456789");
}

std::string Challenge() {
  return absl::StrCat(
      absl::FormatTime("%Y%m%d", absl::Now(), absl::UTCTimeZone()),
      "-CR-226FB7B000-3ACF9BE4C0-10");
}

std::string ReadFileOrDie(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? *text : "";
}

// Names in a directory, "." and ".." left out.
std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class BackupE2eTest : public SejfdTest {
 protected:
  void SetUp() override { StartSejfd(); }

  // `sejf ARGS…` against the daemon listening on `socket`.
  static CommandResult SejfAt(const std::string& socket,
                              std::vector<std::string> args,
                              const std::string& stdin_data = "") {
    args.insert(args.begin(), {"--addr", "unix:" + socket});
    return RunSejf(std::move(args), {}, stdin_data);
  }

  static std::set<std::string> Names(const nlohmann::json& list,
                                     const std::string& field,
                                     const std::string& prefix) {
    std::set<std::string> names;
    if (!list.contains(field)) return names;
    for (const nlohmann::json& item : list[field]) {
      names.insert(std::string(
          absl::StripPrefix(item["name"].get<std::string>(), prefix)));
    }
    return names;
  }

  // A Ministry-style certificate (RSA-2048, self-signed by openssl) for
  // environment "demo", pinned by its fingerprint; the key stays in
  // temp_dir()/mf.key for openssl to decrypt with.
  static void ImportMinistryCertificate() {
    const std::string pem = temp_dir() + "/mf.pem";
    CommandResult made = Shell(absl::StrCat(
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ", temp_dir(),
        "/mf.key -out ", pem,
        " -days 30 -subj '/CN=KSeF mf/O=Ministerstwo Finansow/C=PL' 2>&1"));
    ASSERT_EQ(made.exit_code, 0) << made.out;
    CommandResult fp =
        Shell("openssl x509 -in " + pem + " -noout -fingerprint -sha256");
    ASSERT_EQ(fp.exit_code, 0) << fp.err;
    std::string fingerprint(absl::StripAsciiWhitespace(fp.out));
    fingerprint = fingerprint.substr(fingerprint.find('=') + 1);
    CommandResult imported = Sejf({"mfcert", "import", "--environment", "demo",
                                   "--pin-fingerprint", fingerprint, pem});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
  }

  // The token `name`, encrypted by the daemon at `socket` for KSeF, opened
  // by openssl with the Ministry key: the token's secret and the timestamp.
  static std::string DecryptedToken(const std::string& socket,
                                    const std::string& name) {
    const std::string timestamp = absl::StrCat(absl::ToUnixMillis(absl::Now()));
    CommandResult r = SejfAt(
        socket, {"auth", "token", "--token", name, "--challenge", Challenge(),
                 "--timestamp-ms", timestamp, "--environment", "demo"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    nlohmann::json body = nlohmann::json::parse(r.out, nullptr, false);
    if (!body.is_object() || !body.contains("encryptedToken")) return "";
    std::string encrypted;
    EXPECT_TRUE(absl::Base64Unescape(body["encryptedToken"].get<std::string>(),
                                     &encrypted));
    CommandResult decrypted = Shell(absl::StrCat(
        "openssl pkeyutl -decrypt -inkey ", temp_dir(), "/mf.key",
        " -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256",
        " -pkeyopt rsa_mgf1_md:sha256 -in ",
        WriteTemp("encrypted-" + name + ".bin", encrypted)));
    EXPECT_EQ(decrypted.exit_code, 0) << decrypted.err;
    std::string out = decrypted.out;
    const std::string suffix = absl::StrCat("|", timestamp);
    EXPECT_TRUE(absl::EndsWith(out, suffix)) << out;
    return out.substr(0, out.size() - std::min(out.size(), suffix.size()));
  }

  // A CSR made by the daemon at `socket` with key `name`: openssl checks
  // its signature against the public key inside.
  static void ExpectKeySigns(const std::string& socket,
                             const std::string& name) {
    CommandResult csr =
        SejfAt(socket, {"key", "csr", name, "--subject", kSubject});
    ASSERT_EQ(csr.exit_code, 0) << name << ": " << csr.err;
    const std::string file = WriteTemp(name + ".csr", csr.out);
    CommandResult verify = Shell("openssl req -in " + file + " -verify -noout");
    EXPECT_EQ(verify.exit_code, 0) << name << ": " << verify.out << verify.err;
  }
};

TEST_F(BackupE2eTest, BackupWhileClientsWriteRestoresEverythingAcknowledged) {
  // The vault before: a self-signed key, tokens sealed before and after a
  // data-key and a KEK rotation, a Ministry certificate, audit events.
  ASSERT_EQ(
      Sejf({"key", "generate", "--name", "signer", "--usage", "authentication"})
          .exit_code,
      0);
  ASSERT_EQ(Sejf({"key", "self-sign", "signer", "--subject", kSubject, "--days",
                  "30"})
                .exit_code,
            0);
  ASSERT_EQ(Sejf({"token", "import", "--name", "old", "--context", kContext},
                 Secret("old") + "\n")
                .exit_code,
            0);
  ASSERT_EQ(Sejf({"vault", "rotate"}).exit_code, 0);
  ASSERT_EQ(Sejf({"vault", "rotate-kek"}).exit_code, 0);
  ASSERT_EQ(Sejf({"token", "import", "--name", "new", "--context", kContext},
                 Secret("new") + "\n")
                .exit_code,
            0);
  ImportMinistryCertificate();
  const std::string cert_before =
      SejfJson({"key", "show", "signer"})["certificate"]["pem"];

  // Clients keep writing: tokens (database only) and keys (HSM, then
  // database). What each acknowledged, in order.
  std::mutex mu;
  std::vector<std::string> acked_tokens, acked_keys;
  std::atomic<bool> stop = false;
  std::thread token_writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      const std::string name = absl::StrCat("w", i);
      CommandResult r =
          Sejf({"token", "import", "--name", name, "--context", kContext},
               Secret(name) + "\n");
      ASSERT_EQ(r.exit_code, 0) << r.err;
      std::lock_guard<std::mutex> lock(mu);
      acked_tokens.push_back(name);
    }
  });
  std::thread key_writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      const std::string name = absl::StrCat("g", i);
      CommandResult r = Sejf(
          {"key", "generate", "--name", name, "--usage", "authentication"});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      std::lock_guard<std::mutex> lock(mu);
      acked_keys.push_back(name);
    }
  });
  auto acked = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return std::make_pair(acked_tokens, acked_keys);
  };
  while (acked().first.size() < 3 || acked().second.size() < 2) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  const auto [tokens_before, keys_before] = acked();
  const std::string dir = temp_dir() + "/backup";
  CommandResult backup = Sejf({"backup", "--to", dir});
  // A little more writing after the copy, then stop.
  const std::size_t tokens_at_backup = acked().first.size();
  while (acked().first.size() < tokens_at_backup + 2) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  stop.store(true);
  token_writer.join();
  key_writer.join();
  ASSERT_EQ(backup.exit_code, 0) << backup.out << backup.err;
  EXPECT_THAT(backup.out, HasSubstr("backup:       " + dir));
  EXPECT_THAT(backup.out, HasSubstr("sejfd --dev --data-dir " + dir));

  // What an operator sees in the copy: a private data directory whose
  // SoftHSM2 configuration names the copy's own token directory.
  struct stat st;
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700);
  EXPECT_EQ(Entries(dir),
            (std::vector<std::string>{"hsm-pin", "hsm-so-pin", "sejf.db",
                                      "softhsm2.conf", "tls", "tokens"}));
  EXPECT_THAT(ReadFileOrDie(dir + "/softhsm2.conf"),
              HasSubstr("directories.tokendir = " + dir + "/tokens\n"));
  // No secret in what the CLI printed or sejfd logged.
  const std::string pin = ReadFileOrDie(dir + "/hsm-pin");
  EXPECT_THAT(backup.out + backup.err, Not(HasSubstr(pin)));
  EXPECT_THAT(daemon().Stderr(), Not(HasSubstr(pin)));
  EXPECT_THAT(daemon().Stderr(), Not(HasSubstr(Secret("old"))));

  // The backup was audited on the original.
  nlohmann::json events =
      SejfJson({"audit", "list", "--operation", "vault.admin"})["events"];
  bool audited = false;
  for (const nlohmann::json& e : events) {
    audited |= e["method"] == "/sejf.v1.TokenVault/BackupVault" &&
               e["outcome"] == "OK";
  }
  EXPECT_TRUE(audited) << events.dump(2);

  // Restore: a second sejfd serves the copy, the original still running.
  SejfdOptions restore;
  restore.data_dir = dir;
  absl::StatusOr<std::unique_ptr<SejfdProcess>> restored =
      SejfdProcess::Start(restore);
  ASSERT_TRUE(restored.ok()) << restored.status();
  const std::string socket = (*restored)->unix_socket();

  nlohmann::json tokens =
      JsonOf(SejfAt(socket, {"--output", "json", "token", "list"}));
  std::set<std::string> token_names = Names(tokens, "tokens", "tokens/");
  for (const std::string& name : tokens_before) {
    EXPECT_TRUE(token_names.count(name)) << name << " acknowledged, missing";
  }
  EXPECT_TRUE(token_names.count("old"));
  EXPECT_TRUE(token_names.count("new"));
  nlohmann::json keys =
      JsonOf(SejfAt(socket, {"--output", "json", "key", "list"}));
  std::set<std::string> key_names = Names(keys, "keys", "keys/");
  for (const std::string& name : keys_before) {
    EXPECT_TRUE(key_names.count(name)) << name << " acknowledged, missing";
  }

  // Keys sign with the copied HSM objects; the certificate came along.
  ExpectKeySigns(socket, "signer");
  ExpectKeySigns(socket, keys_before.back());
  EXPECT_EQ(JsonOf(SejfAt(socket, {"--output", "json", "key", "show",
                                   "signer"}))["certificate"]["pem"],
            cert_before);
  // Tokens sealed before and after both rotations open; new ones seal.
  EXPECT_EQ(DecryptedToken(socket, "old"), Secret("old"));
  EXPECT_EQ(DecryptedToken(socket, "new"), Secret("new"));
  EXPECT_EQ(DecryptedToken(socket, tokens_before.back()),
            Secret(tokens_before.back()));
  ASSERT_EQ(
      SejfAt(socket,
             {"token", "import", "--name", "after", "--context", kContext},
             Secret("after") + "\n")
          .exit_code,
      0);
  EXPECT_EQ(DecryptedToken(socket, "after"), Secret("after"));

  CommandResult verify = SejfAt(socket, {"audit", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  // Clean, but for a key generation the copy caught half-way (its intent,
  // or the HSM object it made: what a crash at that instant leaves,
  // docs/backup.md), never one acknowledged before the backup.
  CommandResult check = SejfAt(socket, {"--output", "json", "vault", "check"});
  nlohmann::json report = nlohmann::json::parse(check.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << check.out << check.err;
  if (!report.contains("findings")) {
    EXPECT_EQ(report["clean"], true) << report.dump(2);
  } else {
    for (const nlohmann::json& f : report["findings"]) {
      EXPECT_THAT(f["kind"].get<std::string>(),
                  ::testing::AnyOf("VAULT_FINDING_KIND_PENDING_KEY_INTENT",
                                   "VAULT_FINDING_KIND_ORPHAN_KEY_OBJECT"))
          << f.dump();
      const std::string subject = f["subject"].get<std::string>();
      for (const std::string& name : keys_before) {
        EXPECT_NE(subject, "keys/" + name) << f.dump();
        EXPECT_THAT(subject, Not(HasSubstr("/" + name + ";"))) << f.dump();
      }
    }
  }
  EXPECT_EQ((*restored)->Stop(), 0);

  // Moved elsewhere (as when copied to the service's data directory), the
  // copy still starts on its own token: sejfd rewrites its softhsm2.conf.
  const std::string moved = temp_dir() + "/moved";
  ASSERT_EQ(rename(dir.c_str(), moved.c_str()), 0);
  restore.data_dir = moved;
  absl::StatusOr<std::unique_ptr<SejfdProcess>> again =
      SejfdProcess::Start(restore);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(ReadFileOrDie(moved + "/softhsm2.conf"),
              HasSubstr("directories.tokendir = " + moved + "/tokens\n"));
  ExpectKeySigns((*again)->unix_socket(), "signer");
  CommandResult verify_moved =
      SejfAt((*again)->unix_socket(), {"audit", "verify"});
  EXPECT_EQ(verify_moved.exit_code, 0) << verify_moved.out << verify_moved.err;
  EXPECT_EQ((*again)->Stop(), 0);

  // The original goes on as before.
  CommandResult original = Sejf({"audit", "verify"});
  EXPECT_EQ(original.exit_code, 0) << original.out << original.err;
}

TEST_F(BackupE2eTest, BadTargetsAreRefusedAndNothingIsLeftBehind) {
  const std::string base = temp_dir() + "/targets";
  ASSERT_EQ(mkdir(base.c_str(), 0700), 0);
  ASSERT_EQ(mkdir((base + "/full").c_str(), 0700), 0);
  WriteTemp("targets/full/keep", "x");
  WriteTemp("targets/file", "x");
  struct Case {
    std::string dir;
    std::string code;
    std::string says;
  };
  const Case cases[] = {
      {"relative/dir", "INVALID_ARGUMENT", "absolute path"},
      {data_dir() + "/inside", "INVALID_ARGUMENT", "inside the data directory"},
      {base + "/full", "FAILED_PRECONDITION", "is not empty"},
      {base + "/file", "FAILED_PRECONDITION", "is not a directory"},
      {base + "/missing/backup", "FAILED_PRECONDITION", "does not exist"},
  };
  for (const Case& c : cases) {
    CommandResult r = Sejf({"backup", "--to", c.dir});
    EXPECT_EQ(r.exit_code, 1) << c.dir;
    EXPECT_THAT(r.err, HasSubstr(c.code)) << c.dir;
    EXPECT_THAT(r.err, HasSubstr(c.says)) << c.dir;
  }
  // A caller the policy does not let administer the vault.
  CommandResult denied = SejfAs("erp-1", {"backup", "--to", base + "/denied"});
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_THAT(denied.err, HasSubstr("PERMISSION_DENIED"));
  // Refused before the directory is judged: the answer to a target inside
  // the data directory names none of sejfd's directories.
  CommandResult probe = SejfAs("erp-1", {"backup", "--to", data_dir() + "/x"});
  EXPECT_EQ(probe.exit_code, 1);
  EXPECT_THAT(probe.err, HasSubstr("PERMISSION_DENIED"));
  EXPECT_THAT(probe.err, Not(HasSubstr(data_dir()))) << probe.err;
  EXPECT_EQ(Entries(base), (std::vector<std::string>{"file", "full"}));
  EXPECT_EQ(Entries(base + "/full"), (std::vector<std::string>{"keep"}));
  for (const std::string& name : Entries(data_dir())) {
    EXPECT_THAT(name, Not(HasSubstr("partial"))) << name;
  }
}

TEST_F(BackupE2eTest, AVaultInMemoryIsRefusedWithWhatToDo) {
  WriteSejfdConfig("[storage]\nbackend = \"memory\"\n");
  RestartSejfd();
  const std::string dir = temp_dir() + "/from-memory";
  CommandResult r = Sejf({"backup", "--to", dir});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("FAILED_PRECONDITION"));
  EXPECT_THAT(r.err, HasSubstr("in memory"));
  EXPECT_FALSE(std::filesystem::exists(dir));
}

}  // namespace
}  // namespace sejf::testing
