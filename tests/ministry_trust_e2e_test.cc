// Issue 11 finding 1 against a real dev sejfd: a Ministry certificate is
// used for token encryption only when the environment's trust vouches for
// it. The attacker's certificate is made exactly as the issue made it
// (openssl req -x509 -subj "/CN=Not the Ministry"); the test CA and the
// Ministry-like certificates are made by the openssl CLI here; the database
// is altered with the sqlite3 CLI while sejfd runs; what sejf encrypts is
// decrypted by openssl pkeyutl with the intended recipient's key.
//
// Environments: "test" trusts the test CA (mf_trust_anchors, a relative
// path in the configuration file); "demo" and "swap" have no trust
// configured (operator pins only).
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
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
constexpr char kSecret[] =
    "20250514-EC-2C3C2E9000-A1B2C3D4E5-7F|nip-5265877635|trust0123456789";

std::string Challenge() {
  return absl::StrCat(
      absl::FormatTime("%Y%m%d", absl::Now(), absl::UTCTimeZone()),
      "-CR-226FB7B000-3ACF9BE4C0-10");
}

class MinistryTrustE2eTest : public SejfdTest {
 protected:
  static void SetUpTestSuite() {
    const std::string& dir = temp_dir();
    // The test CA and a certificate it issues for token encryption.
    Openssl("req -x509 -newkey rsa:2048 -nodes -keyout " + dir +
            "/ca.key -out " + dir +
            "/ca.pem -days 30 -subj '/CN=Test Qualified CA/C=PL' -addext "
            "basicConstraints=critical,CA:TRUE -addext "
            "keyUsage=critical,keyCertSign,cRLSign");
    Issue("mf-chained", "keyEncipherment,dataEncipherment");
    Issue("mf-signing-only", "digitalSignature,nonRepudiation");
    SejfdConfig config;
    config.config =
        "[ksef.environments.test]\n"
        "mf_trust_anchors = \"ca.pem\"\n";
    ASSERT_NO_FATAL_FAILURE(StartSejfd(config));
    CommandResult imported =
        Sejf({"token", "import", "--name", "erp-token", "--context", kContext},
             kSecret);
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
  }

  static void Openssl(const std::string& args) {
    CommandResult r = Shell("openssl " + args + " 2>&1");
    ASSERT_EQ(r.exit_code, 0) << args << "\n" << r.out;
  }

  // NAME.pem (and NAME.key) issued by the test CA with `key_usage`.
  static void Issue(const std::string& name, const std::string& key_usage) {
    const std::string& dir = temp_dir();
    std::ofstream(dir + "/" + name + ".ext")
        << "keyUsage=" << key_usage << "\n";
    Openssl("req -new -newkey rsa:2048 -nodes -keyout " + dir + "/" + name +
            ".key -out " + dir + "/" + name +
            ".csr -subj '/CN=Ministerstwo Finansow/O=Ministerstwo "
            "Finansow/C=PL'");
    Openssl("x509 -req -in " + dir + "/" + name + ".csr -CA " + dir +
            "/ca.pem -CAkey " + dir + "/ca.key -CAcreateserial -days 30 " +
            "-extfile " + dir + "/" + name + ".ext -out " + dir + "/" + name +
            ".pem");
  }

  // NAME.pem and NAME.key, self-signed: the issue's rogue certificate.
  static std::string SelfSigned(const std::string& name,
                                const std::string& subject) {
    const std::string base = temp_dir() + "/" + name;
    Openssl("req -x509 -newkey rsa:2048 -nodes -keyout " + base + ".key -out " +
            base + ".pem -days 30 -subj '" + subject + "'");
    return base + ".pem";
  }

  // "AB:CD:…" as openssl prints it, and the lowercase hex sejf names.
  static std::string OpensslFingerprint(const std::string& pem) {
    CommandResult r =
        Shell("openssl x509 -in " + pem + " -noout -fingerprint -sha256");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    absl::string_view out = absl::StripAsciiWhitespace(r.out);
    std::size_t eq = out.find('=');
    return std::string(out.substr(eq + 1));
  }
  static std::string Hex(const std::string& colon_form) {
    return absl::AsciiStrToLower(absl::StrReplaceAll(colon_form, {{":", ""}}));
  }

  static CommandResult EncryptToken(const std::string& environment,
                                    const std::string& timestamp) {
    return Sejf({"auth", "token", "--token", "erp-token", "--challenge",
                 Challenge(), "--timestamp-ms", timestamp, "--environment",
                 environment});
  }

  // openssl pkeyutl's plaintext of the token encrypted in `out` (sejf auth
  // token's JSON) with the private key NAME.key.
  static std::string Decrypt(const std::string& out, const std::string& name) {
    nlohmann::json body = nlohmann::json::parse(out, nullptr, false);
    EXPECT_TRUE(body.is_object()) << out;
    if (!body.is_object()) return "";
    std::string encrypted;
    EXPECT_TRUE(absl::Base64Unescape(body["encryptedToken"].get<std::string>(),
                                     &encrypted));
    const std::string in = temp_dir() + "/encrypted.bin";
    std::ofstream(in, std::ios::binary) << encrypted;
    CommandResult r = Shell(absl::StrCat(
        "openssl pkeyutl -decrypt -inkey ", temp_dir(), "/", name, ".key",
        " -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256",
        " -pkeyopt rsa_mgf1_md:sha256 -in ", in));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  static std::string Sqlite(const std::string& sql) {
    CommandResult r =
        RunCommand({"/usr/bin/env", "sqlite3", "-cmd", ".timeout 5000",
                    daemon().data_dir() + "/sejf.db", sql});
    EXPECT_EQ(r.exit_code, 0) << sql << "\n" << r.err;
    return std::string(absl::StripAsciiWhitespace(r.out));
  }

  // The stored record of `name` (kind mfcerts) as JSON, read from the file.
  static nlohmann::json ReadRecord(const std::string& name) {
    auto data = ReadStoredRecord(data_dir() + "/sejf.db", "mfcerts", name);
    EXPECT_TRUE(data.ok()) << data.status();
    return nlohmann::json::parse(data.value_or(""), nullptr, false);
  }
  static void WriteRecord(const std::string& name, const nlohmann::json& j) {
    absl::Status written =
        WriteStoredRecord(data_dir() + "/sejf.db", "mfcerts", name, j.dump());
    EXPECT_TRUE(written.ok()) << written;
  }

  static std::string DerBase64(const std::string& pem) {
    CommandResult r =
        Shell("openssl x509 -in " + pem + " -outform DER | openssl base64 -A");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
};

TEST_F(MinistryTrustE2eTest, IssuesRogueCertificateIsRefusedEverywhere) {
  const std::string rogue = SelfSigned("rogue", "/CN=Not the Ministry");
  const std::string fingerprint = OpensslFingerprint(rogue);

  // No trust configured, no pin: refused, showing the file's fingerprint.
  CommandResult unpinned =
      Sejf({"mfcert", "import", "--environment", "demo", rogue});
  EXPECT_EQ(unpinned.exit_code, 1);
  EXPECT_THAT(unpinned.err, HasSubstr("FAILED_PRECONDITION"));
  EXPECT_THAT(unpinned.err, HasSubstr(Hex(fingerprint)));
  EXPECT_THAT(unpinned.err, HasSubstr("--pin-fingerprint"));

  // A pin that is not the file's.
  CommandResult wrong_pin =
      Sejf({"mfcert", "import", "--environment", "demo", "--pin-fingerprint",
            OpensslFingerprint(temp_dir() + "/mf-chained.pem"), rogue});
  EXPECT_EQ(wrong_pin.exit_code, 1);
  EXPECT_THAT(wrong_pin.err, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(wrong_pin.err, HasSubstr(Hex(fingerprint)));
  CommandResult malformed = Sejf({"mfcert", "import", "--environment", "demo",
                                  "--pin-fingerprint", "abc", rogue});
  EXPECT_THAT(malformed.err, HasSubstr("INVALID_ARGUMENT: pin_fingerprints"));

  // Trust configured: it does not chain to the anchors, pinned or not.
  CommandResult unchained =
      Sejf({"mfcert", "import", "--environment", "test", rogue});
  EXPECT_EQ(unchained.exit_code, 1);
  EXPECT_THAT(unchained.err, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(unchained.err, HasSubstr("does not chain to"));
  EXPECT_THAT(unchained.err, HasSubstr("ksef.environments.test"));
  CommandResult pinned_unchained =
      Sejf({"mfcert", "import", "--environment", "test", "--pin-fingerprint",
            fingerprint, rogue});
  EXPECT_EQ(pinned_unchained.exit_code, 1);

  CommandResult listed = Sejf({"mfcert", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, Not(HasSubstr("Not the Ministry")));
  // So there is nothing to encrypt to.
  CommandResult token =
      EncryptToken("demo", absl::StrCat(absl::ToUnixMillis(absl::Now())));
  EXPECT_EQ(token.exit_code, 1);
  EXPECT_THAT(token.out, Not(HasSubstr("encryptedToken")));
}

TEST_F(MinistryTrustE2eTest, CertificateChainingToTheAnchorsEncryptsTokens) {
  const std::string pem = temp_dir() + "/mf-chained.pem";
  CommandResult imported =
      Sejf({"mfcert", "import", "--environment", "test", pem});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_THAT(imported.out, HasSubstr("anchors"));
  const std::string timestamp = absl::StrCat(absl::ToUnixMillis(absl::Now()));
  CommandResult token = EncryptToken("test", timestamp);
  ASSERT_EQ(token.exit_code, 0) << token.err;
  EXPECT_EQ(Decrypt(token.out, "mf-chained"),
            absl::StrCat(kSecret, "|", timestamp));
}

TEST_F(MinistryTrustE2eTest, WronglyPurposedCertificateIsRefused) {
  CommandResult r = Sejf({"mfcert", "import", "--environment", "test",
                          temp_dir() + "/mf-signing-only.pem"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(r.err, HasSubstr("keyEncipherment"));
}

TEST_F(MinistryTrustE2eTest, PinnedCertificateWorksUntilItsRowIsSwapped) {
  const std::string pem =
      SelfSigned("mf-pinned", "/CN=Ministerstwo Finansow/C=PL");
  const std::string fingerprint = OpensslFingerprint(pem);
  CommandResult imported = Sejf({"mfcert", "import", "--environment", "swap",
                                 "--pin-fingerprint", fingerprint, pem});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_THAT(imported.out, HasSubstr("operator-pin"));
  const std::string timestamp = absl::StrCat(absl::ToUnixMillis(absl::Now()));
  CommandResult before = EncryptToken("swap", timestamp);
  ASSERT_EQ(before.exit_code, 0) << before.err;
  EXPECT_EQ(Decrypt(before.out, "mf-pinned"),
            absl::StrCat(kSecret, "|", timestamp));

  // The attacker with the database file swaps in their certificate, keeping
  // the record's name, ids and pin seal.
  const std::string name = "swap/" + Hex(fingerprint);
  nlohmann::json record = ReadRecord(name);
  ASSERT_TRUE(record.is_object());
  ASSERT_TRUE(record.contains("pin_seal"));
  const std::string rogue = SelfSigned("rogue-swap", "/CN=Not the Ministry");
  record["der"] = DerBase64(rogue);
  WriteRecord(name, record);
  CommandResult swapped = EncryptToken("swap", timestamp);
  EXPECT_EQ(swapped.exit_code, 1);
  EXPECT_THAT(swapped.err, HasSubstr("DATA_LOSS"));
  EXPECT_THAT(swapped.err, HasSubstr(name));
  EXPECT_THAT(swapped.err, HasSubstr("environment swap"));
  EXPECT_THAT(swapped.out, Not(HasSubstr("encryptedToken")));
  CommandResult listed = Sejf({"mfcert", "list", "--environment", "swap"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("untrusted"));

  // Their certificate under its own name, with a copied seal: refused too.
  Sqlite("DELETE FROM records WHERE kind = 'mfcerts' AND name = '" + name +
         "'");
  const std::string rogue_name = "swap/" + Hex(OpensslFingerprint(rogue));
  Sqlite(
      "INSERT INTO records (kind, name, version, data, create_time_us, "
      "update_time_us) VALUES ('mfcerts', '" +
      rogue_name + "', 1, x'" + absl::BytesToHexString(record.dump()) +
      "', 0, 0)");
  CommandResult forged = EncryptToken("swap", timestamp);
  EXPECT_EQ(forged.exit_code, 1);
  EXPECT_THAT(forged.err, HasSubstr("FAILED_PRECONDITION"));
  EXPECT_THAT(forged.err, HasSubstr(rogue_name));
  EXPECT_THAT(forged.out, Not(HasSubstr("encryptedToken")));
  EXPECT_THAT(daemon().Stderr(), Not(HasSubstr(kSecret)));
}

}  // namespace
}  // namespace sejf::testing
