// `sejf token …` and `sejf vault …` against a real dev sejfd (SoftHSM2 KEK,
// SQLite): the token lifecycle, bad input refused with nothing stored, the
// canary (a token's secret appears in no file, log, audit event or CLI
// output), crypto-shredding, data-key rotation, and kill -9 durability.
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/sejfd_test.h"
#include "tests/testing/stored_records.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kContext[] = "nip:5265877635";

// A fresh random KSeF-like token: printable ASCII without whitespace.
std::string RandomSecret(size_t size = 48) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789|-_.!";
  std::random_device device;
  std::string secret = "canary|";
  while (secret.size() < size) secret += kAlphabet[device() % kAlphabet.size()];
  return secret;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class TokenCliE2eTest : public SejfdTest {
 protected:
  void SetUp() override { StartSejfd(); }

  // `sejf --addr unix:SOCKET ARGS…` as the admin; every output is kept for
  // the canary search.
  CommandResult Sejf(std::vector<std::string> args,
                     const std::string& stdin_data = "") {
    CommandResult r = SejfdTest::Sejf(std::move(args), stdin_data);
    std::lock_guard<std::mutex> lock(outputs_mu_);
    outputs_ += r.out;
    outputs_ += r.err;
    return r;
  }

  CommandResult Import(const std::string& name, const std::string& secret,
                       std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"token", "import",    "--name",
                                     name,    "--context", kContext};
    args.insert(args.end(), extra.begin(), extra.end());
    return Sejf(args, secret + "\n");
  }

  nlohmann::json Json(std::vector<std::string> args) {
    args.insert(args.begin(), {"--output", "json"});
    return JsonOf(Sejf(args));
  }

  // Names of the tokens `sejf token list` shows.
  std::vector<std::string> ListedNames(std::vector<std::string> filters = {}) {
    filters.insert(filters.begin(), {"token", "list"});
    nlohmann::json list = Json(filters);
    std::vector<std::string> names;
    if (list.contains("tokens")) {
      for (const auto& t : list["tokens"]) names.push_back(t["name"]);
    }
    return names;
  }

  // Paths of every file under the data directory whose bytes contain
  // `needle`.
  std::vector<std::string> FilesContaining(const std::string& needle) {
    std::vector<std::string> found;
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(data_dir())) {
      if (!entry.is_regular_file()) continue;
      if (absl::StrContains(ReadAll(entry.path()), needle)) {
        found.push_back(entry.path());
      }
    }
    return found;
  }

  // The "sealed" member of a token's stored record ("" when absent).
  std::string StoredSealed(const std::string& name) {
    std::string data =
        ReadStoredRecord(data_dir() + "/sejf.db", "tokens", name).value_or("");
    nlohmann::json record =
        nlohmann::json::parse(data, nullptr, /*allow_exceptions=*/false);
    if (!record.is_object() || !record.contains("sealed")) return "";
    return record["sealed"];
  }

  std::mutex outputs_mu_;
  std::string outputs_;
};

TEST_F(TokenCliE2eTest, ImportShowListDisableEnableDestroy) {
  CommandResult imported =
      Import("acme-ksef", RandomSecret(),
             {"--permissions", "InvoiceRead,InvoiceWrite", "--description",
              "Acme invoices", "--expires", "2099-01-31"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;

  CommandResult show = Sejf({"token", "show", "acme-ksef"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_THAT(show.out, HasSubstr("tokens/acme-ksef"));
  EXPECT_THAT(show.out, HasSubstr(kContext));
  EXPECT_THAT(show.out, HasSubstr("InvoiceRead,InvoiceWrite"));
  EXPECT_THAT(show.out, HasSubstr("Acme invoices"));
  EXPECT_THAT(show.out, HasSubstr("state:        active"));
  EXPECT_THAT(show.out, HasSubstr("version:      1"));
  EXPECT_THAT(show.out, HasSubstr("2099-01-31T00:00:00Z"));

  // The secret can also come from a private file.
  const std::string file = temp_dir() + "/token.txt";
  std::ofstream(file) << RandomSecret() << "\n";
  chmod(file.c_str(), 0600);
  CommandResult from_file =
      Sejf({"token", "import", "--name", "other", "--context",
            "internal-id:5265877635-12345", "--from-file", file});
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;

  EXPECT_THAT(ListedNames(),
              ::testing::ElementsAre("tokens/acme-ksef", "tokens/other"));
  EXPECT_THAT(ListedNames({"--context", kContext}),
              ::testing::ElementsAre("tokens/acme-ksef"));

  ASSERT_EQ(Sejf({"token", "disable", "acme-ksef"}).exit_code, 0);
  EXPECT_THAT(ListedNames({"--state", "disabled"}),
              ::testing::ElementsAre("tokens/acme-ksef"));
  ASSERT_EQ(Sejf({"token", "enable", "acme-ksef"}).exit_code, 0);
  EXPECT_THAT(ListedNames({"--state", "active"}),
              ::testing::ElementsAre("tokens/acme-ksef", "tokens/other"));

  // Without --yes and without a terminal: refused, nothing changes.
  CommandResult unconfirmed = Sejf({"token", "destroy", "acme-ksef"});
  EXPECT_EQ(unconfirmed.exit_code, 2);
  EXPECT_THAT(unconfirmed.err, HasSubstr("--yes"));
  EXPECT_EQ(Json({"token", "show", "acme-ksef"})["state"],
            "CREDENTIAL_STATE_ACTIVE");

  CommandResult destroyed = Sejf({"token", "destroy", "acme-ksef", "--yes"});
  ASSERT_EQ(destroyed.exit_code, 0) << destroyed.err;
  EXPECT_THAT(destroyed.out, HasSubstr("destroyed"));
  EXPECT_THAT(ListedNames({"--state", "destroyed"}),
              ::testing::ElementsAre("tokens/acme-ksef"));
  // A destroyed token cannot be given a new secret.
  CommandResult rotate =
      Sejf({"token", "rotate", "acme-ksef"}, RandomSecret() + "\n");
  EXPECT_EQ(rotate.exit_code, 1);
  EXPECT_THAT(rotate.err, HasSubstr("FAILED_PRECONDITION"));
}

TEST_F(TokenCliE2eTest, BadInputIsRefusedNamingTheFieldAndNothingIsStored) {
  struct Case {
    std::string name, context, secret, field;
  };
  const std::vector<Case> cases = {
      {"bad-nip", "nip:5265877636", RandomSecret(), "context"},
      {"bad-kind", "vat:5265877635", RandomSecret(), "context"},
      {"bad-internal", "internal-id:123", RandomSecret(), "context"},
      {"space", kContext, "abc def", "secret"},
      {"tab", kContext, "abc\tdef", "secret"},
      {"too-long", kContext, std::string(161, 'x'), "secret"},
      {"Bad_Name", kContext, RandomSecret(), "token_id"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CommandResult r =
        Sejf({"token", "import", "--name", c.name, "--context", c.context},
             c.secret + "\n");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr("INVALID_ARGUMENT"));
    EXPECT_THAT(r.err, HasSubstr(c.field));
    if (c.secret.size() > 8) {
      EXPECT_THAT(r.err, Not(HasSubstr(c.secret)));
    }
  }
  // Nothing on stdin: refused before anything is sent.
  CommandResult empty =
      Sejf({"token", "import", "--name", "empty", "--context", kContext});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_THAT(empty.err, HasSubstr("secret"));
  // An unknown permission is a usage error.
  CommandResult permission = Import(
      "perm", RandomSecret(), {"--permissions", "InvoiceRead,Everything"});
  EXPECT_EQ(permission.exit_code, 2);
  EXPECT_THAT(permission.err, HasSubstr("Everything"));

  EXPECT_THAT(ListedNames(), ::testing::IsEmpty());
  nlohmann::json status = Json({"vault", "status"});
  EXPECT_EQ(status.value("tokenCount", std::string("0")), "0");
}

TEST_F(TokenCliE2eTest, CanarySecretAppearsNowhereAndDestroyShredsIt) {
  const std::string first = RandomSecret();
  const std::string second = RandomSecret();
  ASSERT_EQ(
      Import("canary", first, {"--permissions", "InvoiceWrite"}).exit_code, 0);
  const std::string file = temp_dir() + "/rotated.txt";
  std::ofstream(file) << second << "\n";
  chmod(file.c_str(), 0600);
  CommandResult rotated =
      Sejf({"token", "rotate", "canary", "--from-file", file});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_THAT(rotated.out, HasSubstr("version:      2"));
  std::remove(file.c_str());
  ASSERT_EQ(Sejf({"token", "show", "canary"}).exit_code, 0);
  ASSERT_EQ(Sejf({"--output", "json", "token", "show", "canary"}).exit_code, 0);
  ASSERT_EQ(Sejf({"--output", "json", "token", "list"}).exit_code, 0);
  ASSERT_EQ(Sejf({"token", "disable", "canary"}).exit_code, 0);
  ASSERT_EQ(Sejf({"token", "enable", "canary"}).exit_code, 0);
  // A refused rotation (bad secret) must not echo it either.
  ASSERT_EQ(Sejf({"token", "rotate", "canary"}, first + " x\n").exit_code, 1);
  CommandResult audit = Sejf({"--output", "json", "audit", "list"});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  EXPECT_THAT(audit.out, HasSubstr("/sejf.v1.TokenVault/RotateToken"));

  const std::string sealed = StoredSealed("canary");
  ASSERT_FALSE(sealed.empty());
  for (const std::string& secret : {first, second}) {
    EXPECT_THAT(FilesContaining(secret), ::testing::IsEmpty());
    EXPECT_THAT(daemon().Stderr(), Not(HasSubstr(secret)));
    EXPECT_THAT(outputs_, Not(HasSubstr(secret)));
  }
  EXPECT_THAT(FilesContaining(sealed), Not(::testing::IsEmpty()));

  ASSERT_EQ(Sejf({"token", "destroy", "canary", "--yes"}).exit_code, 0);
  EXPECT_EQ(StoredSealed("canary"), "");
  EXPECT_THAT(FilesContaining(sealed), ::testing::IsEmpty());
  // Also after sejfd has checkpointed and stopped.
  ASSERT_EQ(daemon().Stop(), std::optional<int>(0));
  EXPECT_THAT(FilesContaining(sealed), ::testing::IsEmpty());
  for (const std::string& secret : {first, second}) {
    EXPECT_THAT(FilesContaining(secret), ::testing::IsEmpty());
    EXPECT_THAT(daemon().Stderr(), Not(HasSubstr(secret)));
  }
}

TEST_F(TokenCliE2eTest, DataKeyRotationReSealsEverythingAndKekRotationKeeps) {
  for (const char* name : {"one", "two", "three"}) {
    ASSERT_EQ(Import(name, RandomSecret()).exit_code, 0) << name;
  }
  nlohmann::json before = Json({"vault", "status"});
  EXPECT_EQ(before["tokenCount"], "3");

  CommandResult rotate = Sejf({"vault", "rotate"});
  ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
  EXPECT_THAT(rotate.out, HasSubstr("sejf vault status"));
  nlohmann::json after;
  for (int i = 0; i < 600; ++i) {  // a bound, not a timing requirement
    after = Json({"vault", "status"});
    if (after.value("recordsPendingReseal", std::string("0")) == "0") break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(after.value("recordsPendingReseal", std::string("0")), "0");
  EXPECT_NE(after["currentDataKeyId"], before["currentDataKeyId"]);
  EXPECT_EQ(after["dataKeyCount"], "2");
  CommandResult text = Sejf({"vault", "status"});
  EXPECT_THAT(text.out, HasSubstr("pending:      0 record(s)"));

  CommandResult kek = Sejf({"vault", "rotate-kek"});
  ASSERT_EQ(kek.exit_code, 0) << kek.err;
  EXPECT_THAT(kek.out, HasSubstr("pkcs11:"));
  EXPECT_NE(Json({"vault", "status"})["kekUri"], before["kekUri"]);

  // The keyring opens under the new KEK after a restart, and every token is
  // still there and can be rotated (sealed under the current data key).
  ASSERT_EQ(daemon().Stop(), std::optional<int>(0));
  StartSejfd();
  for (const char* name : {"one", "two", "three"}) {
    CommandResult show = Sejf({"token", "show", name});
    EXPECT_EQ(show.exit_code, 0) << name << ": " << show.err;
    CommandResult again =
        Sejf({"token", "rotate", name}, RandomSecret() + "\n");
    EXPECT_EQ(again.exit_code, 0) << name << ": " << again.err;
  }
  EXPECT_EQ(Sejf({"audit", "verify"}).exit_code, 0);
}

TEST_F(TokenCliE2eTest, AcknowledgedImportsSurviveKillDashNine) {
  constexpr int kImports = 20;
  std::vector<int> exit_codes(kImports, -1);
  std::vector<std::thread> clients;
  std::atomic<int> finished{0};
  for (int i = 0; i < kImports; ++i) {
    clients.emplace_back([this, i, &exit_codes, &finished] {
      exit_codes[i] =
          Import(absl::StrCat("durable-", i), RandomSecret()).exit_code;
      ++finished;
    });
  }
  // Kill while imports are in flight: once a few have been acknowledged.
  while (finished.load() < 3) absl::SleepFor(absl::Milliseconds(5));
  daemon().process().Signal(SIGKILL);
  ASSERT_TRUE(daemon().process().Wait(absl::Seconds(30)).has_value());
  for (std::thread& t : clients) t.join();

  int acknowledged = 0;
  for (int code : exit_codes) acknowledged += code == 0;
  EXPECT_GE(acknowledged, 3);
  RecordProperty("acknowledged_imports", acknowledged);

  StartSejfd();
  for (int i = 0; i < kImports; ++i) {
    if (exit_codes[i] != 0) continue;
    CommandResult show = Sejf({"token", "show", absl::StrCat("durable-", i)});
    EXPECT_EQ(show.exit_code, 0) << "durable-" << i << ": " << show.err;
  }
  CommandResult integrity = RunCommand(
      {"/usr/bin/sqlite3", data_dir() + "/sejf.db", "pragma integrity_check"});
  EXPECT_EQ(integrity.exit_code, 0) << integrity.err;
  EXPECT_EQ(integrity.out, "ok\n");
  CommandResult verify = Sejf({"audit", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  nlohmann::json status = Json({"vault", "status"});
  EXPECT_GE(std::stoi(status.value("tokenCount", std::string("0"))),
            acknowledged);
}

}  // namespace
}  // namespace sejf::testing
