// The drop-off page end to end (issue 15, docs/dropoff.md): a real sejfd
// with its drop-off listener ([dropoff] listen) and its HSM import key, the
// `sejf dropoff` CLI, and the page driven in Debian's headless Chromium by
// puppeteer-core (tests/dropoff/drive_page.js) as a person would use it.
// What the token is checked by afterwards is independent of sejf: openssl
// decrypts the KSeF login body sejfd made with the dropped token.
#include <map>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "signer/ksef/testing/xml_testing.h"
#include "tests/testing/sejfd_test.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kContext[] = "nip:5265877635";
// What a person pastes; "canary-dropoff-…" must never surface anywhere.
constexpr char kToken[] =
    "20251010-EC-1DCE3E3000-12ECB5B36E-45|nip-5265877635|"
    "canary-dropoff-7f3a9c";
constexpr char kCanary[] = "canary-dropoff-7f3a9c";

class DropoffE2eTest : public SejfdTest {
 protected:
  static void SetUpTestSuite() {
    SejfdConfig config;
    config.env = {{"SEJF_DROPOFF_LISTEN", "127.0.0.1:0"}};
    StartSejfd(config);
  }

  void SetUp() override {
    ASSERT_TRUE(PathExists(SourceDir() + "/tools/node_modules/puppeteer-core"))
        << "run `make deps` to install tools/ (npm)";
    ASSERT_TRUE(PathExists("/usr/bin/chromium"))
        << "Debian's chromium is needed (tools/install-deps.sh)";
  }

  // `sejf dropoff create` for a new token; the link it printed.
  static std::string CreateLink(const std::string& token_name,
                                const std::string& expires = "24h") {
    CommandResult r = Sejf({"dropoff", "create", "--token-name", token_name,
                            "--context", kContext, "--expires", expires});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::string(absl::StripAsciiWhitespace(r.out));
  }

  static std::string IdOf(const std::string& url) {
    std::string id = url.substr(url.find("/d/") + 3);
    return id.substr(0, id.find('#'));
  }

  // Base64 SHA-256 of the server certificate's key, for Chromium's
  // --ignore-certificate-errors-spki-list (computed by openssl).
  static std::string ServerSpki() {
    CommandResult r = Shell(
        absl::StrCat("openssl x509 -in ", TlsPath("server.pem"),
                     " -pubkey -noout | openssl pkey -pubin -outform DER | "
                     "openssl dgst -sha256 -binary | openssl base64 -A"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  // The page in headless Chromium at `url`; pastes `token` unless empty.
  static nlohmann::json DrivePage(
      const std::string& url, const std::string& token,
      const std::string& lang = "en",
      const std::map<std::string, std::string>& key_files = {}) {
    static int browsers = 0;
    const std::string profile =
        absl::StrCat(temp_dir(), "/chromium-", ++browsers);
    CommandResult r = RunCommand(
        {"/usr/bin/env", "node", SourceDir() + "/tests/dropoff/drive_page.js",
         url, ServerSpki(), profile},
        {{"NODE_PATH", SourceDir() + "/tools/node_modules"},
         {"DROPOFF_TOKEN", token},
         {"DROPOFF_LANG", lang},
         {"HOME", temp_dir()},
         {"DROPOFF_CERT", Get(key_files, "cert")},
         {"DROPOFF_KEY", Get(key_files, "key")},
         {"DROPOFF_PASSWORD", Get(key_files, "password")}},
        "", absl::Seconds(120));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_TRUE(j.is_object()) << r.out << r.err;
    return j;
  }

  static std::string Get(const std::map<std::string, std::string>& m,
                         const std::string& key) {
    auto it = m.find(key);
    return it == m.end() ? "" : it->second;
  }

  static nlohmann::json LinkNamed(const std::string& id) {
    nlohmann::json all = SejfJson({"dropoff", "list"});
    for (const nlohmann::json& link : all) {
      if (link["name"] == "dropoffs/" + id) return link;
    }
    ADD_FAILURE() << "no dropoffs/" << id << " in " << all.dump();
    return {};
  }

  static std::string ReadOrEmpty(const std::string& path) {
    absl::StatusOr<std::string> text = ReadFile(path);
    return text.ok() ? *text : "";
  }
};

TEST_F(DropoffE2eTest, TokenDroppedInTheBrowserIsUsableAndTheLinkDiesAfterUse) {
  const std::string url = CreateLink("dropped");
  ASSERT_THAT(url, StartsWith("https://127.0.0.1:"));
  const std::string secret = url.substr(url.find('#') + 1);
  EXPECT_EQ(secret.size(), 22u);  // 128 bits, Base64url

  nlohmann::json page = DrivePage(url, kToken);
  EXPECT_EQ(page["opened"], "ready") << page.dump();
  EXPECT_EQ(page["state"], "done") << page.dump();
  EXPECT_EQ(page["name"], "dropped");
  EXPECT_EQ(page["context"], kContext);
  // The secret left the address bar at once.
  EXPECT_THAT(page["urlAfterOpen"].get<std::string>(), Not(HasSubstr("#")));
  // The page's protections, as the browser received them.
  EXPECT_EQ(page["headers"]["content-security-policy"],
            "default-src 'none'; script-src 'self'; style-src 'self'; "
            "connect-src 'self'; img-src 'self'; form-action 'none'; "
            "frame-ancestors 'none'; base-uri 'none'");
  EXPECT_EQ(page["headers"]["referrer-policy"], "no-referrer");
  EXPECT_EQ(page["headers"]["cache-control"], "no-store");
  // No CSP violation, no script error.
  EXPECT_TRUE(page["consoleErrors"].empty()) << page.dump();

  CommandResult shown = Sejf({"token", "show", "dropped"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("active"));
  EXPECT_THAT(shown.out, HasSubstr(kContext));

  // Usable: sejfd encrypts it for KSeF's token login, and openssl with the
  // Ministry key finds exactly the pasted token in it.
  const std::string mf = temp_dir() + "/mf";
  ASSERT_EQ(Shell(absl::StrCat("openssl req -x509 -newkey rsa:2048 -nodes "
                               "-keyout ",
                               mf, ".key -out ", mf,
                               ".pem -days 30 -subj '/CN=KSeF MF/O=Ministerstwo"
                               " Finansow/C=PL' 2>&1"))
                .exit_code,
            0);
  CommandResult fingerprint =
      Shell("openssl x509 -in " + mf + ".pem -noout -fingerprint -sha256");
  std::string pin(absl::StripAsciiWhitespace(fingerprint.out));
  pin = pin.substr(pin.find('=') + 1);
  ASSERT_EQ(Sejf({"mfcert", "import", "--environment", "demo",
                  "--pin-fingerprint", pin, mf + ".pem"})
                .exit_code,
            0);
  const std::string challenge =
      absl::StrCat(absl::FormatTime("%Y%m%d", absl::Now(), absl::UTCTimeZone()),
                   "-CR-226FB7B000-3ACF9BE4C0-10");
  const std::string timestamp = absl::StrCat(absl::ToUnixMillis(absl::Now()));
  CommandResult login =
      Sejf({"auth", "token", "--token", "dropped", "--challenge", challenge,
            "--timestamp-ms", timestamp, "--environment", "demo"});
  ASSERT_EQ(login.exit_code, 0) << login.err;
  nlohmann::json body = nlohmann::json::parse(login.out, nullptr, false);
  std::string encrypted;
  ASSERT_TRUE(absl::Base64Unescape(body["encryptedToken"].get<std::string>(),
                                   &encrypted));
  CommandResult decrypted = Shell(absl::StrCat(
      "openssl pkeyutl -decrypt -inkey ", mf, ".key",
      " -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256",
      " -pkeyopt rsa_mgf1_md:sha256 -in ",
      WriteTemp("encrypted.bin", encrypted)));
  ASSERT_EQ(decrypted.exit_code, 0) << decrypted.err;
  EXPECT_EQ(decrypted.out, absl::StrCat(kToken, "|", timestamp));

  // The second use of the link is refused, and the token stays as it was.
  nlohmann::json again = DrivePage(url, "20251010-EC-0000000000-0000000000-00");
  EXPECT_EQ(again["opened"], "error") << again.dump();
  EXPECT_THAT(again["statusText"].get<std::string>(),
              HasSubstr("already been used"));
  EXPECT_EQ(LinkNamed(IdOf(url))["state"], "used");

  // Nothing recorded the token or the link's secret: the log, the audit
  // log, the database and its WAL.
  const std::string audit = Sejf({"--output", "json", "audit", "list"}).out;
  EXPECT_THAT(audit, HasSubstr("dropoff/submit"));
  EXPECT_THAT(audit, HasSubstr("used from 127.0.0.1"));
  for (const auto& [what, text] :
       {std::pair<std::string, std::string>{"log", daemon().Stderr()},
        {"audit", audit},
        {"database", ReadOrEmpty(data_dir() + "/sejf.db")},
        {"wal", ReadOrEmpty(data_dir() + "/sejf.db-wal")}}) {
    EXPECT_THAT(text, Not(HasSubstr(kCanary))) << what;
    EXPECT_THAT(text, Not(HasSubstr(secret))) << what;
  }
}

TEST_F(DropoffE2eTest, WrongSecretIsRefusedAndCounted) {
  const std::string url = CreateLink("dropped-wrong");
  const std::string wrong =
      url.substr(0, url.find('#') + 1) + "AAAAAAAAAAAAAAAAAAAAAA";
  nlohmann::json page = DrivePage(wrong, kToken, "pl");
  EXPECT_EQ(page["opened"], "error") << page.dump();
  // Polish for a Polish browser.
  EXPECT_THAT(page["statusText"].get<std::string>(),
              HasSubstr("Nieprawidłowy link"));
  EXPECT_EQ(page["title"], "Przekazanie poświadczenia KSeF");
  nlohmann::json link = LinkNamed(IdOf(url));
  EXPECT_EQ(link["failedAttempts"], 1);
  EXPECT_EQ(link["state"], "pending");
  EXPECT_EQ(Sejf({"token", "show", "dropped-wrong"}).exit_code, 1);
}

TEST_F(DropoffE2eTest, ExpiredLinkIsRefused) {
  const std::string url = CreateLink("dropped-late", "1h");
  const std::string id = IdOf(url);
  // The link's expiry moved into the past, as if the hour had gone by
  // (sejfd reads the record on every use; the record holds no secret).
  CommandResult aged = RunCommand(
      {"/usr/bin/env", "python3", "-c",
       "import sqlite3, sys\n"
       "db = sqlite3.connect(sys.argv[1], timeout=10)\n"
       "db.execute(\"UPDATE records SET data = CAST(json_set(CAST(data AS "
       "TEXT), '$.expire_time_us', 1) AS BLOB) WHERE kind = 'dropoffs' AND "
       "name = ?\", (sys.argv[2],))\n"
       "db.commit()\n",
       data_dir() + "/sejf.db", id});
  ASSERT_EQ(aged.exit_code, 0) << aged.err;
  nlohmann::json page = DrivePage(url, kToken);
  EXPECT_EQ(page["opened"], "error") << page.dump();
  EXPECT_THAT(page["statusText"].get<std::string>(), HasSubstr("expired"));
  EXPECT_EQ(LinkNamed(id)["state"], "expired");
  EXPECT_EQ(Sejf({"token", "show", "dropped-late"}).exit_code, 1);
}

TEST_F(DropoffE2eTest, CancelledLinkIsRefusedAndExistingTokensGetNoLink) {
  const std::string url = CreateLink("dropped-cancelled");
  CommandResult cancel = Sejf({"dropoff", "cancel", IdOf(url)});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.err;
  EXPECT_THAT(cancel.out, HasSubstr("cancelled"));
  nlohmann::json page = DrivePage(url, "");
  EXPECT_EQ(page["opened"], "error") << page.dump();
  EXPECT_THAT(page["statusText"].get<std::string>(), HasSubstr("cancelled"));

  ASSERT_EQ(
      Sejf({"token", "import", "--name", "already-here", "--context", kContext},
           std::string(kToken) + "\n")
          .exit_code,
      0);
  CommandResult taken = Sejf({"dropoff", "create", "--token-name",
                              "already-here", "--context", kContext});
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_THAT(taken.err, HasSubstr("ALREADY_EXISTS"));
}

// The Taxpayer-App case in the browser: a .crt and a password-encrypted
// PKCS#8 .key (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC, EC P-256), decrypted
// by WebCrypto in the page and wrapped for the import key; the key then
// signs XAdES that xmlsec1 verifies with the certificate.
TEST_F(DropoffE2eTest,
       TaxpayerAppKeyDroppedInTheBrowserSignsXadesThatVerifies) {
  const std::string dir = temp_dir();
  constexpr char kPassword[] = "Hasło-do-klucza-7f3a";
  auto in_dir = [&](const std::string& command) {
    CommandResult r = Shell("cd " + dir + " && " + command + " 2>&1");
    EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.out;
  };
  in_dir("openssl ecparam -name prime256v1 -genkey -noout -out tp.pem");
  in_dir(
      "openssl req -x509 -new -set_serial 0x0100000000000077 -key tp.pem "
      "-subj '/CN=Jan Kowalski/serialNumber=TINPL-5265877635/C=PL' -days 30 "
      "-addext keyUsage=critical,digitalSignature -out tp.crt");
  in_dir(absl::StrCat(
      "openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -in tp.pem "
      "-out tp.key -passout 'pass:",
      kPassword, "'"));
  CommandResult made = Sejf(
      {"dropoff", "create", "--key-name", "tp-dropped", "--context", kContext});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string url(absl::StripAsciiWhitespace(made.out));

  // A wrong password fails in the browser; nothing is sent, the link lives.
  nlohmann::json wrong = DrivePage(url, "", "en",
                                   {{"cert", dir + "/tp.crt"},
                                    {"key", dir + "/tp.key"},
                                    {"password", "not-the-password"}});
  EXPECT_EQ(wrong["opened"], "ready") << wrong.dump();
  EXPECT_EQ(wrong["state"], "error") << wrong.dump();
  EXPECT_THAT(wrong["statusText"].get<std::string>(),
              HasSubstr("check the password"));
  EXPECT_EQ(LinkNamed(IdOf(url))["state"], "pending");

  nlohmann::json page = DrivePage(url, "", "en",
                                  {{"cert", dir + "/tp.crt"},
                                   {"key", dir + "/tp.key"},
                                   {"password", kPassword}});
  EXPECT_EQ(page["state"], "done") << page.dump();
  EXPECT_TRUE(page["consoleErrors"].empty()) << page.dump();
  EXPECT_EQ(LinkNamed(IdOf(url))["state"], "used");

  CommandResult shown = Sejf({"key", "show", "tp-dropped"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("authentication"));
  CommandResult xades =
      Sejf({"auth", "xades", "--key", "tp-dropped", "--challenge",
            absl::StrCat(
                absl::FormatTime("%Y%m%d", absl::Now(), absl::UTCTimeZone()),
                "-CR-226FB7B000-3ACF9BE4C0-10"),
            "--context", kContext});
  ASSERT_EQ(xades.exit_code, 0) << xades.err;
  absl::StatusOr<std::string> certificate = ReadFile(dir + "/tp.crt");
  ASSERT_TRUE(certificate.ok());
  EXPECT_TRUE(signer::testing::XmlsecVerify(xades.out, *certificate).ok())
      << signer::testing::XmlsecVerify(xades.out, *certificate);
  // The password never reached sejfd.
  EXPECT_THAT(daemon().Stderr(), Not(HasSubstr(kPassword)));
  EXPECT_THAT(ReadOrEmpty(data_dir() + "/sejf.db-wal"),
              Not(HasSubstr(kPassword)));
}

}  // namespace
}  // namespace sejf::testing
