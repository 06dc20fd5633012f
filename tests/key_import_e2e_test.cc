// Issue 15 (docs/import.md): existing keys and certificates brought into a
// real dev sejfd (SoftHSM2, SQLite) with `sejf key import`, and KSeF tokens
// sent encrypted to the import key. Keys, certificates and PKCS#12 files are
// made here with the openssl CLI (expired certificates with
// python3-cryptography); what the imported key signs is checked by xmlsec1
// and openssl, the HSM object by pkcs11-tool, and every refusal leaves no
// HSM object and no record.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "signer/ksef/testing/xml_testing.h"
#include "tests/testing/ksef_emulator.h"
#include "tests/testing/sejfd_test.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kContext[] = "nip:5265877635";
constexpr char kPassword[] = "Kanarek-haslo-7Qz!";

std::string Challenge() {
  return absl::StrCat(
      absl::FormatTime("%Y%m%d", absl::Now(), absl::UTCTimeZone()),
      "-CR-0123456789-ABCDEF0123-45");
}

class KeyImportE2eTest : public SejfdTest {
 protected:
  static void SetUpTestSuite() { StartSejfd(); }

  // Runs `command` in the temp dir; a test failure unless it exits 0.
  static std::string InTemp(const std::string& command) {
    CommandResult r = Shell("cd " + temp_dir() + " && " + command + " 2>&1");
    EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.out << r.err;
    return r.out;
  }

  static std::string PasswordFile() {
    const std::string path =
        WriteTemp("pass.txt", std::string(kPassword) + "\n");
    chmod(path.c_str(), 0600);
    return path;
  }

  // NAME.key (openssl's traditional form for EC, PKCS#8 for RSA) and a
  // self-signed NAME.crt with `key_usage`, valid from now for a month.
  static void KeyAndCertificate(const std::string& name,
                                const std::string& algorithm,
                                const std::string& key_usage) {
    if (algorithm == "ec") {
      InTemp("openssl ecparam -name prime256v1 -genkey -noout -out " + name +
             ".key");
    } else {
      InTemp("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:" +
             algorithm + " -out " + name + ".key");
    }
    // A KSeF-style serial: 16 hex digits.
    static int serial = 0;
    InTemp(
        "openssl req -x509 -new -set_serial " +
        absl::StrCat("0x01000000000000", absl::Hex(++serial, absl::kZeroPad2)) +
        " -key " + name + ".key -subj '/CN=" + name +
        "/serialNumber=TINPL-5265877635/C=PL' -days 30 -addext "
        "keyUsage=critical," +
        key_usage + " -out " + name + ".crt");
  }

  static CommandResult Import(const std::string& name,
                              std::vector<std::string> extra) {
    std::vector<std::string> args = {"key", "import", "--name", name};
    args.insert(args.end(), extra.begin(), extra.end());
    return Sejf(args);
  }

  // The pkcs11-tool block of the private key labelled sejf-key/NAME; empty
  // when there is none.
  static std::string PrivateKeyObject(const std::string& name) {
    CommandResult list = Pkcs11Tool({"--list-objects", "--type", "privkey"});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    for (absl::string_view block :
         absl::StrSplit(list.out, "Private Key Object")) {
      if (absl::StrContains(block, "label:      sejf-key/" + name + "\n")) {
        return std::string(block);
      }
    }
    return "";
  }

  // No HSM object, no record, no intent left for key NAME.
  static void ExpectNothingLeft(const std::string& name) {
    EXPECT_EQ(PrivateKeyObject(name), "") << name;
    CommandResult objects = Pkcs11Tool({"--list-objects"});
    EXPECT_THAT(objects.out, Not(HasSubstr("sejf-key/" + name + "\n")));
    CommandResult show = Sejf({"key", "show", name});
    EXPECT_EQ(show.exit_code, 1);
    EXPECT_THAT(show.err, HasSubstr("NOT_FOUND"));
    CommandResult check = Sejf({"vault", "check"});
    EXPECT_THAT(check.out + check.err, Not(HasSubstr(name))) << check.out;
  }

  // Every file under the data directory (database, WAL, HSM token store,
  // TLS files) and sejfd's log, as bytes.
  static std::string EverythingStored() {
    std::string all = daemon().Stderr();
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(data_dir())) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      all.append(std::istreambuf_iterator<char>(in), {});
    }
    CommandResult audit = Sejf({"--output", "json", "audit", "list"});
    all += audit.out;
    return all;
  }
};

// The Taxpayer-App case: a .crt and a password-encrypted PKCS#8 .key
// (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC), EC P-256.
TEST_F(KeyImportE2eTest, EncryptedPkcs8EcKeyImportsAndSignsXadesThatVerifies) {
  KeyAndCertificate("tp", "ec", "digitalSignature");
  const std::string password = PasswordFile();
  InTemp(
      "openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -in "
      "tp.key -out tp-enc.key -passout file:" +
      password);
  ASSERT_THAT(InTemp("head -1 tp-enc.key"),
              HasSubstr("BEGIN ENCRYPTED PRIVATE KEY"));
  // openssl prints the scalar as an integer: a 00 byte in front when its
  // top bit is set, leading zero bytes dropped.
  std::string scalar_hex = absl::AsciiStrToLower(absl::StrReplaceAll(
      InTemp("openssl ec -in tp.key -text -noout | sed -n '/priv:/,/pub:/p' "
             "| grep -v 'priv:\\|pub:' | tr -d ' \\n'"),
      {{":", ""}}));
  while (scalar_hex.size() > 64 && absl::StartsWith(scalar_hex, "00")) {
    scalar_hex.erase(0, 2);
  }
  if (scalar_hex.size() < 64) {
    scalar_hex.insert(0, std::string(64 - scalar_hex.size(), '0'));
  }
  ASSERT_EQ(scalar_hex.size(), 64u) << scalar_hex;

  CommandResult r = Import(
      "tp-auth", {"--certificate", temp_dir() + "/tp.crt", "--private-key",
                  temp_dir() + "/tp-enc.key", "--password-file", password});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("authentication"));
  EXPECT_THAT(r.err, HasSubstr("import key, SHA-256 "));

  const std::string object = PrivateKeyObject("tp-auth");
  EXPECT_THAT(object, HasSubstr("Access:     sensitive"));
  EXPECT_THAT(object, Not(HasSubstr(", extractable")));
  EXPECT_THAT(object, Not(HasSubstr("Access:     extractable")));

  CommandResult xades =
      Sejf({"auth", "xades", "--key", "tp-auth", "--challenge", Challenge(),
            "--context", kContext});
  ASSERT_EQ(xades.exit_code, 0) << xades.err;
  absl::StatusOr<std::string> read = ReadFile(temp_dir() + "/tp.crt");
  ASSERT_TRUE(read.ok()) << read.status();
  const std::string certificate = *read;
  EXPECT_TRUE(signer::testing::XmlsecVerify(xades.out, certificate).ok())
      << signer::testing::XmlsecVerify(xades.out, certificate);

  // Canaries: the private scalar (hex and bytes) and the password are
  // nowhere sejfd writes.
  const std::string stored = EverythingStored();
  const std::string scalar = absl::HexStringToBytes(scalar_hex);
  EXPECT_THAT(stored, Not(HasSubstr(scalar_hex)));
  EXPECT_THAT(stored, Not(HasSubstr(absl::AsciiStrToUpper(scalar_hex))));
  EXPECT_THAT(stored, Not(HasSubstr(scalar)));
  EXPECT_THAT(stored, Not(HasSubstr(kPassword)));
}

// A plain PKCS#8 RSA-2048 key for offline QR codes (usage from the
// certificate's nonRepudiation): KOD II verifies with openssl.
TEST_F(KeyImportE2eTest, PlainRsaKeyImportsAsOfflineAndSignsKodIi) {
  KeyAndCertificate("rsa", "2048", "nonRepudiation");
  CommandResult r =
      Import("rsa-offline", {"--certificate", temp_dir() + "/rsa.crt",
                             "--private-key", temp_dir() + "/rsa.key"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("offline"));

  CommandResult qr =
      Sejf({"qr", "offline", "--key", "rsa-offline", "--context", kContext,
            "--seller-nip", "1111111111", "--invoice-hash",
            std::string(64, 'a'), "--environment", "test"});
  ASSERT_EQ(qr.exit_code, 0) << qr.err;
  const std::string url(absl::StripSuffix(qr.out, "\n"));
  std::string signature;
  ASSERT_TRUE(
      absl::WebSafeBase64Unescape(url.substr(url.rfind('/') + 1), &signature));
  WriteTemp("kod2.txt", url.substr(8, url.rfind('/') - 8));
  WriteTemp("kod2.sig", signature);
  const std::string verified = InTemp(
      "openssl x509 -noout -pubkey -in rsa.crt > rsa.pub && openssl dgst "
      "-sha256 -verify rsa.pub -sigopt rsa_padding_mode:pss -sigopt "
      "rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256 -signature kod2.sig "
      "kod2.txt");
  EXPECT_THAT(verified, HasSubstr("Verified OK"));
}

// A PKCS#12 from `openssl pkcs12 -export`, with the issuing CA in it: the
// chain is kept.
TEST_F(KeyImportE2eTest, Pkcs12ImportsWithItsChain) {
  const std::string password = PasswordFile();
  InTemp(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
      "-keyout p12-ca.key -out p12-ca.pem -subj /CN=Import-Test-CA -days 2 && "
      "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
      "-keyout p12.key -out p12.csr -subj /CN=p12-leaf && "
      "printf 'keyUsage=critical,digitalSignature\\n' > p12.ext && "
      "openssl x509 -req -in p12.csr -CA p12-ca.pem -CAkey p12-ca.key "
      "-set_serial 0x0123456789ABCDEF -days 1 -extfile p12.ext -out p12.pem && "
      "openssl pkcs12 -export -inkey p12.key -in p12.pem -certfile p12-ca.pem "
      "-passout file:" +
      password + " -out bundle.p12");
  CommandResult r = Import("p12-auth", {"--pkcs12", temp_dir() + "/bundle.p12",
                                        "--password-file", password});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Import-Test-CA"));
  EXPECT_THAT(r.out, HasSubstr("1 intermediate certificate(s)"));
  EXPECT_THAT(r.out, HasSubstr("0123456789ABCDEF"));
  EXPECT_NE(PrivateKeyObject("p12-auth"), "");
}

// Every refusal says what is wrong and leaves nothing behind.
TEST_F(KeyImportE2eTest, BadInputIsRefusedClearlyAndLeavesNothing) {
  const std::string dir = temp_dir() + "/";
  const std::string password = PasswordFile();
  KeyAndCertificate("good", "ec", "digitalSignature");
  KeyAndCertificate("other", "ec", "digitalSignature");
  KeyAndCertificate("weak", "1024", "digitalSignature");
  InTemp(
      "openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -in "
      "good.key -out good-enc.key -passout file:" +
      password);
  InTemp(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes "
      "-keyout p384.key -out p384.crt -subj /CN=p384 -days 2 -addext "
      "keyUsage=critical,digitalSignature");
  InTemp(
      "head -c 100 good-enc.key > truncated.key && head -c 700 /dev/urandom "
      "> garbage.key");
  // An expired certificate for good.key (python3-cryptography).
  WriteTemp("expired.py",
            "import datetime, sys\n"
            "from cryptography import x509\n"
            "from cryptography.x509.oid import NameOID\n"
            "from cryptography.hazmat.primitives import hashes, serialization\n"
            "key = serialization.load_pem_private_key(open(sys.argv[1], "
            "'rb').read(), None)\n"
            "name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "
            "'expired')])\n"
            "now = datetime.datetime.utcnow()\n"
            "cert = (x509.CertificateBuilder().subject_name(name)"
            ".issuer_name(name).public_key(key.public_key())"
            ".serial_number(x509.random_serial_number())"
            ".not_valid_before(now - datetime.timedelta(days=30))"
            ".not_valid_after(now - datetime.timedelta(days=1))"
            ".add_extension(x509.KeyUsage(True, False, False, False, False, "
            "False, False, False, False), critical=True)"
            ".sign(key, hashes.SHA256()))\n"
            "open(sys.argv[2], 'wb').write(cert.public_bytes("
            "serialization.Encoding.PEM))\n");
  InTemp("python3 expired.py good.key expired.crt");

  struct Case {
    std::string name;
    std::vector<std::string> args;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"wrong-password",
       {"--certificate", dir + "good.crt", "--private-key",
        dir + "good-enc.key", "--password-file",
        WriteTemp("wrong.txt", "not-the-password")},
       "wrong password"},
      {"mismatched",
       {"--certificate", dir + "other.crt", "--private-key", dir + "good.key"},
       "does not belong to the certificate"},
      {"weak-rsa",
       {"--certificate", dir + "weak.crt", "--private-key", dir + "weak.key"},
       "RSA-1024, too weak"},
      {"p384",
       {"--certificate", dir + "p384.crt", "--private-key", dir + "p384.key"},
       "secp384r1"},
      {"expired",
       {"--certificate", dir + "expired.crt", "--private-key",
        dir + "good.key"},
       "the certificate expired on"},
      {"truncated",
       {"--certificate", dir + "good.crt", "--private-key",
        dir + "truncated.key", "--password-file", password},
       "not a private key sejf can read"},
      {"garbage",
       {"--certificate", dir + "good.crt", "--private-key",
        dir + "garbage.key"},
       "not a private key sejf can read"},
      {"garbage-cert",
       {"--certificate", dir + "garbage.key", "--private-key",
        dir + "good.key"},
       "certificate_chain"},
      {"wrong-usage",
       {"--certificate", dir + "good.crt", "--private-key", dir + "good.key",
        "--usage", "offline"},
       "nonRepudiation"},
  };
  chmod((dir + "wrong.txt").c_str(), 0600);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CommandResult r = Import(c.name, c.args);
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_THAT(r.err, HasSubstr(c.error));
    ExpectNothingLeft(c.name);
  }
  // The password of the failed attempts is nowhere either.
  EXPECT_THAT(EverythingStored(), Not(HasSubstr(kPassword)));
}

// Without --password-file the password is asked on the terminal with echo
// off: a pseudo-terminal (Python's pty) waits for the prompt, then types it.
TEST_F(KeyImportE2eTest, PasswordIsAskedOnTheTerminalWithoutEcho) {
  KeyAndCertificate("tty", "ec", "digitalSignature");
  InTemp(
      "openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -in "
      "tty.key -out tty-enc.key -passout file:" +
      PasswordFile());
  WriteTemp("typist.py",
            "import os, pty, sys\n"
            "pid, fd = pty.fork()\n"
            "if pid == 0:\n"
            "    os.execv(sys.argv[1], sys.argv[1:])\n"
            "out, sent = b'', False\n"
            "while True:\n"
            "    try:\n"
            "        data = os.read(fd, 4096)\n"
            "    except OSError:\n"
            "        break\n"
            "    if not data:\n"
            "        break\n"
            "    out += data\n"
            "    if not sent and b'input hidden' in out:\n"
            "        os.write(fd, os.environ['TYPED'].encode() + b'\\n')\n"
            "        sent = True\n"
            "_, status = os.waitpid(pid, 0)\n"
            "sys.stdout.buffer.write(out)\n"
            "sys.exit(os.waitstatus_to_exitcode(status))\n");
  CommandResult r = Shell(absl::StrCat(
      "cd ", temp_dir(), " && TYPED='", kPassword, "' python3 typist.py ",
      SEJF_CLI_BINARY, " --addr unix:", daemon().unix_socket(),
      " key import --name tty-key --certificate tty.crt --private-key "
      "tty-enc.key"));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("Password of tty-enc.key (input hidden)"));
  EXPECT_THAT(r.out, Not(HasSubstr(kPassword)));
  EXPECT_NE(PrivateKeyObject("tty-key"), "");
}

TEST_F(KeyImportE2eTest, ImportKeyFingerprintIsShownAndAWrongPinRefused) {
  CommandResult shown = Sejf({"key", "import-key"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("BEGIN PUBLIC KEY"));
  const std::string fingerprint =
      SejfJson({"key", "import-key"})["fingerprintSha256"].get<std::string>();
  ASSERT_EQ(fingerprint.size(), 64u);
  // The fingerprint is the SHA-256 of the DER key, as openssl computes it.
  WriteTemp("import-key.pem", shown.out.substr(shown.out.find("-----BEGIN")));
  EXPECT_THAT(InTemp("openssl pkey -pubin -in import-key.pem -outform DER | "
                     "sha256sum"),
              HasSubstr(fingerprint));
  EXPECT_THAT(InTemp("openssl pkey -pubin -in import-key.pem -noout -text"),
              HasSubstr("3072 bit"));

  KeyAndCertificate("pinned", "ec", "digitalSignature");
  // As `openssl ecparam -genkey` writes it: EC PARAMETERS before the key.
  InTemp(
      "openssl ecparam -name prime256v1 > pinned-params.key && cat "
      "pinned.key >> pinned-params.key");
  const std::vector<std::string> files = {
      "--certificate", temp_dir() + "/pinned.crt", "--private-key",
      temp_dir() + "/pinned-params.key"};
  std::vector<std::string> wrong = files;
  wrong.insert(wrong.end(), {"--import-key-fingerprint", std::string(64, 'a')});
  CommandResult refused = Import("pinned", wrong);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("PERMISSION_DENIED"));
  EXPECT_THAT(refused.err, HasSubstr("not the pinned"));
  ExpectNothingLeft("pinned");

  std::vector<std::string> right = files;
  // Upper case with colons, as people copy fingerprints.
  std::string typed;
  for (std::size_t i = 0; i < fingerprint.size(); i += 2) {
    absl::StrAppend(&typed, i ? ":" : "",
                    absl::AsciiStrToUpper(fingerprint.substr(i, 2)));
  }
  right.insert(right.end(), {"--import-key-fingerprint", typed});
  CommandResult imported = Import("pinned", right);
  EXPECT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_THAT(imported.err, Not(HasSubstr("pin it with")));
}

// `sejf token import` and `rotate` send the token encrypted to the import
// key; it is usable afterwards and stored nowhere in plaintext.
TEST_F(KeyImportE2eTest, TokensTravelEncryptedToTheImportKey) {
  const std::string token =
      "20261204-EC-CANARY0TOKEN0A1B2C3D-F1|nip-5265877635";
  CommandResult imported =
      Sejf({"token", "import", "--name", "enc-token", "--context", kContext,
            "--permissions", "InvoiceRead"},
           token + "\n");
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_THAT(imported.err, HasSubstr("encrypting to sejfd's import key"));
  const std::string rotated_token = token + "-ROTATED";
  CommandResult rotated =
      Sejf({"token", "rotate", "enc-token"}, rotated_token + "\n");
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;

  CommandResult refused =
      Sejf({"token", "rotate", "enc-token", "--import-key-fingerprint",
            std::string(64, 'b')},
           token + "\n");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("not the pinned"));

  const std::string stored = EverythingStored();
  EXPECT_THAT(stored, Not(HasSubstr("CANARY0TOKEN")));
}

// KSeF logins with what was imported, against the KSeF emulator: an
// imported key opens a session (XAdES the emulator verifies on its own), and
// a token sent encrypted to the import key is the one KSeF knows.
class KeyImportSessionE2eTest : public SejfdTest {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<KsefEmulator>> emulator =
        KsefEmulator::Start();
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    SejfdConfig config;
    config.config = absl::StrCat(emulator_->EnvironmentConfig("emu"));
    ASSERT_NO_FATAL_FAILURE(StartSejfd(config));
  }

  static void TearDownTestSuite() {
    SejfdTest::TearDownTestSuite();
    emulator_.reset();
  }

  static CommandResult Open(const std::string& name, const std::string& flag,
                            const std::string& credential) {
    return Sejf({"--output", "json", "session", "open", "--name", name, flag,
                 credential, "--context", kContext, "--environment", "emu"});
  }

  static inline std::unique_ptr<KsefEmulator> emulator_;
};

TEST_F(KeyImportSessionE2eTest, ImportedKeyAndEncryptedTokenLogIn) {
  const std::string dir = temp_dir();
  CommandResult made = Shell(
      "cd " + dir +
      " && openssl ecparam -name prime256v1 -genkey -noout -out login.key && "
      "printf 'pass-4711\\n' > login.pass && chmod 600 login.pass && "
      "openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -in "
      "login.key -out login-enc.key -passout file:login.pass && "
      "openssl req -x509 -new -key login.key -set_serial 0x0123456789ABCDEF "
      "-subj '/CN=Jan Kowalski/serialNumber=TINPL-5265877635/C=PL' -days 30 "
      "-addext keyUsage=critical,digitalSignature -out login.crt 2>&1");
  ASSERT_EQ(made.exit_code, 0) << made.out;
  CommandResult imported =
      Sejf({"key", "import", "--name", "imported-login", "--certificate",
            dir + "/login.crt", "--private-key", dir + "/login-enc.key",
            "--password-file", dir + "/login.pass"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  CommandResult by_key = Open("by-imported-key", "--key", "imported-login");
  ASSERT_EQ(by_key.exit_code, 0) << by_key.err;
  EXPECT_EQ(JsonOf(by_key)["state"], "SESSION_STATE_ACTIVE");

  const std::string token = "import-e2e-token-secret-0123456789";
  ASSERT_TRUE(emulator_->RegisterKsefToken(token, "Nip", "5265877635").ok());
  ASSERT_EQ(
      Sejf({"token", "import", "--name", "enc-login", "--context", kContext},
           token + "\n")
          .exit_code,
      0);
  CommandResult by_token = Open("by-encrypted-token", "--token", "enc-login");
  ASSERT_EQ(by_token.exit_code, 0) << by_token.err;
  EXPECT_EQ(JsonOf(by_token)["state"], "SESSION_STATE_ACTIVE");
}

}  // namespace
}  // namespace sejf::testing
