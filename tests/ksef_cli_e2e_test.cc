// `sejf auth`, `sejf qr` and `sejf mfcert` against a real dev sejfd
// (SoftHSM2 token, SQLite): the KsefAuth table of issue 5, checked by what a
// user sees and by independent tools — xmlsec1 and the official XSD for the
// XAdES document, openssl for KOD II signatures, Ministry certificates and
// token encryption. Policy is exercised through real mutual-TLS clients
// with non-admin identities.
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/sha.h>

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
#include "sejf/v1/ksef_auth.grpc.pb.h"
#include "sejf/v1/token_vault.grpc.pb.h"
#include "signer/ksef/testing/xml_testing.h"
#include "tests/testing/sejfd_test.h"
#include "tests/testing/tls_client.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kSubject[] =
    "CN=Jan Kowalski,serialNumber=TINPL-5265877635,C=PL";
constexpr char kContext[] = "nip:5265877635";
constexpr char kOtherContext[] = "nip:1111111111";
constexpr char kSellerNip[] = "1111111111";

// A well-formed challenge dated `day_offset` days from today (UTC).
std::string Challenge(int day_offset = 0) {
  return absl::StrCat(
      absl::FormatTime("%Y%m%d", absl::Now() + absl::Hours(24) * day_offset,
                       absl::UTCTimeZone()),
      "-CR-226FB7B000-3ACF9BE4C0-10");
}

std::string Sha256(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

// Raw r||s (P-256) → the DER ECDSA-Sig-Value openssl dgst expects.
std::string EcdsaRawToDer(const std::string& raw) {
  EXPECT_EQ(raw.size(), 64u);
  ECDSA_SIG* sig = ECDSA_SIG_new();
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG_set0(sig, BN_bin2bn(p, 32, nullptr),
                 BN_bin2bn(p + 32, 32, nullptr));
  unsigned char* der = nullptr;
  int size = i2d_ECDSA_SIG(sig, &der);
  std::string out(reinterpret_cast<const char*>(der), size);
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

class KsefCliE2eTest : public SejfdTest {
 protected:
  static void SetUpTestSuite() {
    SejfdConfig config;
    // erp-* may sign XAdES in one context only; nothing else.
    config.config =
        "[[policy]]\n"
        "name = \"erp-login\"\n"
        "identities = [\"erp-*\"]\n"
        "operations = [\"auth.xades\"]\n"
        "contexts = [\"nip:5265877635\"]\n"
        "credentials = [\"*\"]\n"
        "[[policy]]\n"
        "name = \"tok-login\"\n"
        "identities = [\"tok-*\"]\n"
        "operations = [\"auth.token\"]\n"
        "contexts = [\"nip:1111111111\"]\n"
        "credentials = [\"*\"]\n"
        // An environment that has dropped contextIdentifier (ksef-api#741).
        // Not the default, so the test below sees this file's value reach
        // the signer.
        "[ksef]\n"
        "signing_time_skew_seconds = 90\n"
        "[ksef.environments.acme-next]\n"
        "token_context_identifier = false\n";
    StartSejfd(config);
  }

  // A key with a self-signed certificate (the KSeF TEST way).
  static void CertifiedKey(const std::string& name, const std::string& usage,
                           const std::string& algorithm = "ec-p256") {
    CommandResult r = Sejf({"key", "generate", "--name", name, "--usage", usage,
                            "--algorithm", algorithm});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = Sejf({"key", "self-sign", name, "--subject", kSubject, "--days", "30"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  static nlohmann::json ShowJson(const std::string& name) {
    return SejfJson({"key", "show", name});
  }

  static std::string CertificatePem(const std::string& key) {
    return ShowJson(key)["certificate"]["pem"].get<std::string>();
  }

  static CommandResult Xades(const std::string& key,
                             const std::string& challenge = Challenge(),
                             const std::string& context = kContext,
                             std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"auth",      "xades",       "--key",
                                     key,         "--challenge", challenge,
                                     "--context", context};
    args.insert(args.end(), extra.begin(), extra.end());
    return Sejf(args);
  }

  // openssl's verdict on `signature` (DER for EC) over `data` with the
  // public key of `certificate_pem`.
  static CommandResult OpensslVerify(const std::string& certificate_pem,
                                     const std::string& data,
                                     const std::string& signature,
                                     const std::string& sigopts = "") {
    const std::string cert = WriteTemp("verify-cert.pem", certificate_pem);
    const std::string pub = temp_dir() + "/verify-pub.pem";
    CommandResult extracted =
        Shell("openssl x509 -in " + cert + " -pubkey -noout > " + pub);
    EXPECT_EQ(extracted.exit_code, 0) << extracted.err;
    return Shell(absl::StrCat("openssl dgst -sha256 -verify ", pub, " ",
                              sigopts, " -signature ",
                              WriteTemp("verify-sig.bin", signature), " ",
                              WriteTemp("verify-data.txt", data)));
  }

  // A Ministry-style certificate: `bits`-bit RSA, self-signed by openssl.
  // Returns the PEM path; the key goes to NAME.key.
  static std::string MinistryCertificate(const std::string& name, int bits) {
    const std::string pem = temp_dir() + "/" + name + ".pem";
    CommandResult r = Shell(absl::StrCat(
        "openssl req -x509 -newkey rsa:", bits, " -nodes -keyout ", temp_dir(),
        "/", name, ".key -out ", pem, " -days 30 -subj '/CN=KSeF ", name,
        "/O=Ministerstwo Finansow/C=PL' "
        "2>&1"));
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return pem;
  }

  // SHA-256 fingerprint of the certificate, as openssl prints it
  // ("AB:CD:…"): what an operator compares with the Ministry's published
  // value and passes to mfcert import --pin-fingerprint (no trust is
  // configured for the environments of this suite).
  static std::string Fingerprint(const std::string& pem) {
    CommandResult r =
        Shell("openssl x509 -in " + pem + " -noout -fingerprint -sha256");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    absl::string_view out = absl::StripAsciiWhitespace(r.out);
    return std::string(out.substr(out.find('=') + 1));
  }

  // Base64 SHA-256 of the SubjectPublicKeyInfo DER, computed by openssl.
  static std::string PublicKeyId(const std::string& pem) {
    CommandResult r =
        Shell("openssl x509 -in " + pem +
              " -pubkey -noout | openssl pkey -pubin -outform DER | "
              "openssl dgst -sha256 -binary | openssl base64 -A");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
};

// ---- sejf auth xades ------------------------------------------------------

TEST_F(KsefCliE2eTest, XadesFromTheCliVerifiesWithXmlsecAndTheSchema) {
  CertifiedKey("login-ec", "authentication");
  const std::string challenge = Challenge();
  CommandResult r = Xades("login-ec", challenge);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("<?xml"));
  EXPECT_THAT(
      r.out, HasSubstr(absl::StrCat("<Challenge>", challenge, "</Challenge>")));
  EXPECT_THAT(r.out, HasSubstr("<Nip>5265877635</Nip>"));
  EXPECT_THAT(r.out, HasSubstr("http://ksef.mf.gov.pl/auth/token/2.0"));
  EXPECT_TRUE(r.err.empty()) << r.err;

  const std::string pem = CertificatePem("login-ec");
  EXPECT_TRUE(signer::testing::XmlsecVerify(r.out, pem).ok())
      << signer::testing::XmlsecVerify(r.out, pem);
  EXPECT_TRUE(signer::testing::ValidateAgainstKsefSchema(
                  r.out, signer::AuthTokenNamespace::kV2_0)
                  .ok());

  // One signed byte changed (the challenge's last hex digit): refused.
  std::string tampered = r.out;
  const size_t at = tampered.find(challenge) + challenge.size() - 1;
  tampered[at] = tampered[at] == '0' ? '1' : '0';
  EXPECT_FALSE(signer::testing::XmlsecVerify(tampered, pem).ok());
  // So is a changed byte inside SignedProperties (the signing time).
  std::string tampered_time = r.out;
  const size_t time_at = tampered_time.find("<xades:SigningTime>");
  ASSERT_NE(time_at, std::string::npos);
  tampered_time[time_at + 19] = tampered_time[time_at + 19] == '2' ? '1' : '2';
  EXPECT_FALSE(signer::testing::XmlsecVerify(tampered_time, pem).ok());
}

TEST_F(KsefCliE2eTest, XadesWithRsaNamespace21FingerprintAndAllowedIps) {
  CertifiedKey("login-rsa", "authentication", "rsa-2048");
  CommandResult r =
      Xades("login-rsa", Challenge(), "internal-id:5265877635-12345",
            {"--namespace", "2.1", "--subject-type", "certificateFingerprint",
             "--allowed-ip", "192.168.0.1", "--allowed-ip",
             "10.0.0.1-10.0.0.20", "--allowed-ip", "172.16.0.0/12"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("http://ksef.mf.gov.pl/auth/token/2.1"));
  EXPECT_THAT(r.out, HasSubstr("certificateFingerprint"));
  EXPECT_THAT(r.out, HasSubstr("<Ip4Range>10.0.0.1-10.0.0.20</Ip4Range>"));
  EXPECT_THAT(r.out, HasSubstr("<Ip4Mask>172.16.0.0/12</Ip4Mask>"));
  EXPECT_THAT(r.out, HasSubstr("rsa-sha256"));
  const std::string pem = CertificatePem("login-rsa");
  EXPECT_TRUE(signer::testing::XmlsecVerify(r.out, pem).ok());
  EXPECT_TRUE(signer::testing::ValidateAgainstKsefSchema(
                  r.out, signer::AuthTokenNamespace::kV2_1)
                  .ok());
}

TEST_F(KsefCliE2eTest, XadesJsonOutputCarriesTheDocumentAndFingerprint) {
  CertifiedKey("login-json", "authentication");
  CommandResult r =
      Sejf({"--output", "json", "auth", "xades", "--key", "keys/login-json",
            "--challenge", Challenge(), "--context", kContext});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json json = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(json.is_object()) << r.out;
  std::string xml;
  ASSERT_TRUE(absl::Base64Unescape(json["signedXml"].get<std::string>(), &xml));
  EXPECT_TRUE(
      signer::testing::XmlsecVerify(xml, CertificatePem("login-json")).ok());
  EXPECT_EQ(json["certificateSha256Fingerprint"],
            ShowJson("login-json")["certificate"]["sha256Fingerprint"]);
}

TEST_F(KsefCliE2eTest, XadesSigningTimeIsSetBackByTheConfiguredSkew) {
  // A certificate valid since 2025 (issued by `openssl ca` with -startdate),
  // so the back-dated time is not held at a fresh certificate's notBefore.
  ASSERT_EQ(
      Sejf({"key", "generate", "--name", "skewed", "--usage", "authentication"})
          .exit_code,
      0);
  CommandResult csr = Sejf({"key", "csr", "skewed", "--subject", kSubject});
  ASSERT_EQ(csr.exit_code, 0) << csr.err;
  const std::string dir = temp_dir() + "/skew-ca";
  ASSERT_EQ(
      Shell("mkdir -p " + dir + " && touch " + dir + "/index.txt").exit_code,
      0);
  WriteTemp("skew-ca/skewed.csr", csr.out);
  WriteTemp("skew-ca/ca.cnf",
            absl::StrCat("[ca]\n"
                         "default_ca = skew\n"
                         "[skew]\n"
                         "database = ",
                         dir,
                         "/index.txt\n"
                         "new_certs_dir = ",
                         dir,
                         "\n"
                         "serial = ",
                         dir,
                         "/serial\n"
                         "default_md = sha256\n"
                         "policy = any\n"
                         "unique_subject = no\n"
                         "[any]\n"
                         "commonName = supplied\n"
                         "[leaf]\n"
                         "keyUsage = critical,digitalSignature\n"));
  const std::string end = absl::FormatTime(
      "%Y%m%d%H%M%SZ", absl::Now() + absl::Hours(48), absl::UTCTimeZone());
  CommandResult issued = Shell(absl::StrCat(
      "cd ", dir,
      " && echo 01 > serial && openssl req -x509 -newkey ec -pkeyopt "
      "ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -subj "
      "/CN=Skew-CA -days 3 2>&1 && openssl ca -batch -config ca.cnf "
      "-preserveDN -notext -cert ca.pem -keyfile ca.key -in skewed.csr "
      "-startdate 20250101000000Z -enddate ",
      end, " -extensions leaf -out leaf.pem 2>&1"));
  ASSERT_EQ(issued.exit_code, 0) << issued.out;
  CommandResult attached =
      Sejf({"key", "attach-cert", "skewed", dir + "/leaf.pem"});
  ASSERT_EQ(attached.exit_code, 0) << attached.err;

  // The daemon reads its clock between `before` and `after`.
  const std::int64_t before = absl::ToUnixSeconds(absl::Now());
  CommandResult r = Xades("skewed", Challenge());
  const std::int64_t after = absl::ToUnixSeconds(absl::Now());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const size_t at = r.out.find("<xades:SigningTime>");
  ASSERT_NE(at, std::string::npos) << r.out;
  absl::Time signing_time;
  std::string error;
  ASSERT_TRUE(absl::ParseTime("%Y-%m-%dT%H:%M:%SZ", r.out.substr(at + 19, 20),
                              absl::UTCTimeZone(), &signing_time, &error))
      << error;
  // signing_time_skew_seconds = 90 in this suite's configuration.
  EXPECT_GE(absl::ToUnixSeconds(signing_time), before - 90);
  EXPECT_LE(absl::ToUnixSeconds(signing_time), after - 90);
  absl::StatusOr<std::string> ca = ReadFile(dir + "/ca.pem");
  ASSERT_TRUE(ca.ok()) << ca.status();
  absl::Status verified = signer::testing::XmlsecVerify(r.out, *ca);
  EXPECT_TRUE(verified.ok()) << verified;
}

TEST_F(KsefCliE2eTest, XadesRefusesBadInputNamingTheField) {
  CertifiedKey("login-refusals", "authentication");
  struct Case {
    std::string challenge, context;
    std::vector<std::string> extra;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"not-a-challenge", kContext, {}, "challenge"},
      {absl::AsciiStrToLower(Challenge()), kContext, {}, "challenge"},
      {Challenge(-5), kContext, {}, "stale"},
      {Challenge(), "nip:5265877636", {}, "context"},
      {Challenge(), "nip:<x/>", {}, "context"},
      {Challenge(), "vat:5265877635", {}, "context"},
      {Challenge(), kContext, {"--allowed-ip", "1.2.3.4<a/>"}, "allowed_ips"},
      {Challenge(), kContext, {"--allowed-ip", "300.1.1.1"}, "allowed_ips"},
  };
  for (const Case& c : cases) {
    CommandResult r = Xades("login-refusals", c.challenge, c.context, c.extra);
    EXPECT_EQ(r.exit_code, 1) << c.challenge << " " << c.context;
    EXPECT_THAT(r.err, HasSubstr("INVALID_ARGUMENT")) << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.field)) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  // A bad key name never reaches the store.
  CommandResult bad_name = Xades("Bad/Name");
  EXPECT_EQ(bad_name.exit_code, 1);
  EXPECT_THAT(bad_name.err, HasSubstr("INVALID_ARGUMENT"));
}

TEST_F(KsefCliE2eTest, XadesRefusesKeysThatCannotSign) {
  CommandResult unknown = Xades("no-such-key");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("NOT_FOUND"));

  ASSERT_EQ(Sejf({"key", "generate", "--name", "uncertified", "--usage",
                  "authentication"})
                .exit_code,
            0);
  CommandResult uncertified = Xades("uncertified");
  EXPECT_EQ(uncertified.exit_code, 1);
  EXPECT_THAT(uncertified.err, HasSubstr("FAILED_PRECONDITION"));
  EXPECT_THAT(uncertified.err, HasSubstr("no certificate"));

  CertifiedKey("offline-only", "offline");
  CommandResult offline = Xades("offline-only");
  EXPECT_EQ(offline.exit_code, 1);
  EXPECT_THAT(offline.err, HasSubstr("FAILED_PRECONDITION"));
  EXPECT_THAT(offline.err, HasSubstr("offline"));

  CertifiedKey("switched-off", "authentication");
  ASSERT_EQ(Sejf({"key", "disable", "switched-off"}).exit_code, 0);
  CommandResult disabled = Xades("switched-off");
  EXPECT_EQ(disabled.exit_code, 1);
  EXPECT_THAT(disabled.err, HasSubstr("FAILED_PRECONDITION"));
  EXPECT_THAT(disabled.err, HasSubstr("disabled"));
  // Enabled again, it signs.
  ASSERT_EQ(Sejf({"key", "enable", "switched-off"}).exit_code, 0);
  EXPECT_EQ(Xades("switched-off").exit_code, 0);
}

TEST_F(KsefCliE2eTest, XadesCallsAreLoggedWithOperationKeyAndContext) {
  CertifiedKey("logged", "authentication");
  ASSERT_EQ(Xades("logged").exit_code, 0);
  std::string line;
  for (absl::string_view l : absl::StrSplit(daemon().Stderr(), '\n')) {
    if (absl::StrContains(l, "resource=keys/logged")) line = std::string(l);
  }
  EXPECT_THAT(line, HasSubstr("method=/sejf.v1.KsefAuth/SignAuthTokenRequest"));
  EXPECT_THAT(line, HasSubstr("operation=auth.xades"));
  EXPECT_THAT(line, HasSubstr("context=nip:5265877635"));
  EXPECT_THAT(line, HasSubstr("code=OK"));
}

// ---- policy through mutual TLS --------------------------------------------

TEST_F(KsefCliE2eTest, PolicyAllowsXadesOnlyInTheRulesContext) {
  CertifiedKey("erp-login", "authentication");
  CommandResult allowed =
      SejfAs("erp-1", {"auth", "xades", "--key", "erp-login", "--challenge",
                       Challenge(), "--context", kContext});
  ASSERT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_TRUE(
      signer::testing::XmlsecVerify(allowed.out, CertificatePem("erp-login"))
          .ok());

  CommandResult other_context =
      SejfAs("erp-1", {"auth", "xades", "--key", "erp-login", "--challenge",
                       Challenge(), "--context", kOtherContext});
  EXPECT_EQ(other_context.exit_code, 1);
  EXPECT_THAT(other_context.err, HasSubstr("PERMISSION_DENIED"));
  EXPECT_THAT(other_context.err, HasSubstr("auth.xades"));
  EXPECT_TRUE(other_context.out.empty());

  // No rule grants this identity anything.
  CommandResult stranger =
      SejfAs("crm-1", {"auth", "xades", "--key", "erp-login", "--challenge",
                       Challenge(), "--context", kContext});
  EXPECT_EQ(stranger.exit_code, 1);
  EXPECT_THAT(stranger.err, HasSubstr("PERMISSION_DENIED"));

  // Nor other operations to erp-*.
  CertifiedKey("erp-offline", "offline");
  CommandResult qr =
      SejfAs("erp-1", {"qr", "offline", "--key", "erp-offline", "--context",
                       kContext, "--seller-nip", kSellerNip, "--invoice-hash",
                       std::string(64, 'a'), "--environment", "test"});
  EXPECT_EQ(qr.exit_code, 1);
  EXPECT_THAT(qr.err, HasSubstr("PERMISSION_DENIED"));
  CommandResult mfcerts = SejfAs("erp-1", {"mfcert", "list"});
  EXPECT_EQ(mfcerts.exit_code, 1);
  EXPECT_THAT(mfcerts.err, HasSubstr("PERMISSION_DENIED"));
}

TEST_F(KsefCliE2eTest, InvoiceQrNeedsNoGrantButAKnownCaller) {
  const std::string invoice = WriteTemp("kod1.xml", "<Faktura/>\n");
  CommandResult r = SejfAs(
      "crm-2", {"qr", "invoice", "--seller-nip", kSellerNip, "--issue-date",
                "2026-02-01", "--invoice", invoice, "--environment", "test"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(daemon().Stderr(),
              HasSubstr("identity=crm-2 method=/sejf.v1.KsefAuth/"
                        "BuildInvoiceQrCode"));

  // A TLS client without a certificate never gets that far.
  const std::string tls = daemon().data_dir() + "/tls/";
  auto stub = v1::KsefAuth::NewStub(
      TlsChannel(daemon().tls_address(), *ReadFile(tls + "ca.pem"), "", ""));
  v1::BuildInvoiceQrCodeRequest request;
  request.set_seller_nip(kSellerNip);
  request.set_issue_date("2026-02-01");
  request.set_invoice_sha256(Sha256("<Faktura/>\n"));
  request.set_environment("test");
  v1::BuildInvoiceQrCodeResponse response;
  auto context = ShortDeadline();
  grpc::Status status =
      stub->BuildInvoiceQrCode(context.get(), request, &response);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(response.url().empty());
}

// ---- sejf qr --------------------------------------------------------------

TEST_F(KsefCliE2eTest, InvoiceQrLinkHasTheSpecFormat) {
  const std::string content = "<?xml version=\"1.0\"?><Faktura>1</Faktura>";
  const std::string invoice = WriteTemp("invoice1.xml", content);
  CommandResult r =
      Sejf({"qr", "invoice", "--seller-nip", kSellerNip, "--issue-date",
            "2026-02-01", "--invoice", invoice, "--environment", "test"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            absl::StrCat("https://qr-test.ksef.mf.gov.pl/invoice/", kSellerNip,
                         "/01-02-2026/",
                         absl::WebSafeBase64Escape(Sha256(content)), "\n"));

  CommandResult prod =
      Sejf({"qr", "invoice", "--seller-nip", kSellerNip, "--issue-date",
            "2026-12-31", "--invoice", invoice, "--environment", "prod"});
  ASSERT_EQ(prod.exit_code, 0) << prod.err;
  EXPECT_THAT(prod.out,
              StartsWith("https://qr.ksef.mf.gov.pl/invoice/1111111111/"
                         "31-12-2026/"));

  CommandResult bad_date =
      Sejf({"qr", "invoice", "--seller-nip", kSellerNip, "--issue-date",
            "2026-02-30", "--invoice", invoice, "--environment", "test"});
  EXPECT_EQ(bad_date.exit_code, 1);
  EXPECT_THAT(bad_date.err, HasSubstr("INVALID_ARGUMENT: issue_date"));
  CommandResult bad_nip =
      Sejf({"qr", "invoice", "--seller-nip", "1111111112", "--issue-date",
            "2026-02-01", "--invoice", invoice, "--environment", "test"});
  EXPECT_EQ(bad_nip.exit_code, 1);
  EXPECT_THAT(bad_nip.err, HasSubstr("seller_nip"));
  CommandResult bad_env =
      Sejf({"qr", "invoice", "--seller-nip", kSellerNip, "--issue-date",
            "2026-02-01", "--invoice", invoice, "--environment", "nowhere"});
  EXPECT_EQ(bad_env.exit_code, 1);
  EXPECT_THAT(bad_env.err, HasSubstr("environment"));
}

TEST_F(KsefCliE2eTest, OfflineQrWithEcKeyVerifiesWithOpenssl) {
  CertifiedKey("kod2-ec", "offline");
  const std::string content = "<Faktura>offline</Faktura>";
  const std::string invoice = WriteTemp("offline.xml", content);
  CommandResult r = Sejf({"qr", "offline", "--key", "kod2-ec", "--context",
                          kContext, "--seller-nip", kSellerNip, "--invoice",
                          invoice, "--environment", "test"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(absl::EndsWith(r.out, "\n"));
  const std::string url(absl::StripSuffix(r.out, "\n"));
  const std::string serial =
      ShowJson("kod2-ec")["certificate"]["serialNumber"].get<std::string>();
  const std::string signed_data = absl::StrCat(
      "qr-test.ksef.mf.gov.pl/certificate/Nip/5265877635/", kSellerNip, "/",
      serial, "/", absl::WebSafeBase64Escape(Sha256(content)));
  ASSERT_THAT(url, StartsWith("https://" + signed_data + "/"));
  std::string signature;
  ASSERT_TRUE(
      absl::WebSafeBase64Unescape(url.substr(url.rfind('/') + 1), &signature));
  const std::string pem = CertificatePem("kod2-ec");
  CommandResult verified =
      OpensslVerify(pem, signed_data, EcdsaRawToDer(signature));
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_THAT(verified.out, HasSubstr("Verified OK"));
  CommandResult other =
      OpensslVerify(pem, signed_data + "x", EcdsaRawToDer(signature));
  EXPECT_NE(other.exit_code, 0);

  // The hash may come as Base64URL instead of the file: same link prefix.
  CommandResult by_hash = Sejf(
      {"qr", "offline", "--key", "kod2-ec", "--context", kContext,
       "--seller-nip", kSellerNip, "--invoice-hash",
       absl::WebSafeBase64Escape(Sha256(content)), "--environment", "test"});
  ASSERT_EQ(by_hash.exit_code, 0) << by_hash.err;
  EXPECT_THAT(by_hash.out, StartsWith("https://" + signed_data + "/"));
}

TEST_F(KsefCliE2eTest, OfflineQrWithRsaKeyIsPssAndVerifiesWithOpenssl) {
  CertifiedKey("kod2-rsa", "offline", "rsa-2048");
  const std::string hash(64, 'b');
  CommandResult r = Sejf({"qr", "offline", "--key", "kod2-rsa", "--context",
                          kContext, "--seller-nip", kSellerNip,
                          "--invoice-hash", hash, "--environment", "demo"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string url(absl::StripSuffix(r.out, "\n"));
  ASSERT_THAT(url, StartsWith("https://qr-demo.ksef.mf.gov.pl/certificate/"));
  const std::string signed_data =
      url.substr(8, url.rfind('/') - 8);  // without https:// and /signature
  std::string signature;
  ASSERT_TRUE(
      absl::WebSafeBase64Unescape(url.substr(url.rfind('/') + 1), &signature));
  EXPECT_EQ(signature.size(), 256u);
  CommandResult verified =
      OpensslVerify(CertificatePem("kod2-rsa"), signed_data, signature,
                    "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 "
                    "-sigopt rsa_mgf1_md:sha256");
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_THAT(verified.out, HasSubstr("Verified OK"));
}

TEST_F(KsefCliE2eTest, OfflineQrRefusals) {
  CertifiedKey("kod2-auth", "authentication");
  const std::string hash(64, 'c');
  auto offline = [&](const std::string& key, const std::string& context,
                     const std::string& nip, const std::string& h) {
    return Sejf({"qr", "offline", "--key", key, "--context", context,
                 "--seller-nip", nip, "--invoice-hash", h, "--environment",
                 "test"});
  };
  CommandResult auth_key = offline("kod2-auth", kContext, kSellerNip, hash);
  EXPECT_EQ(auth_key.exit_code, 1);
  EXPECT_THAT(auth_key.err, HasSubstr("FAILED_PRECONDITION"));
  CommandResult unknown = offline("kod2-none", kContext, kSellerNip, hash);
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("NOT_FOUND"));
  CommandResult bad_context = offline("kod2-auth", "nip:<b>", kSellerNip, hash);
  EXPECT_THAT(bad_context.err, HasSubstr("INVALID_ARGUMENT: context"));
  CommandResult bad_nip = offline("kod2-auth", kContext, "12345", hash);
  EXPECT_THAT(bad_nip.err, HasSubstr("seller_nip"));
  CommandResult bad_hash = offline("kod2-auth", kContext, kSellerNip, "zz");
  EXPECT_EQ(bad_hash.exit_code, 2);
  EXPECT_THAT(bad_hash.err, HasSubstr("--invoice-hash"));
}

// ---- sejf qr --png ----------------------------------------------------------

// What zbarimg (Debian's zbar-tools) decodes from the PNG at `path`; it
// must be installed (tools/install-deps.sh): a missing one fails the test.
std::string Zbar(const std::string& path) {
  CommandResult r =
      RunCommand({"/usr/bin/env", "zbarimg", "--raw", "-q", "--nodbus", path});
  EXPECT_EQ(r.exit_code, 0) << "zbarimg " << path << ": " << r.err;
  return std::string(absl::StripSuffix(r.out, "\n"));
}

// `file`'s description of `path`, e.g. "PNG image data, 392 x 440, ...".
std::string FileType(const std::string& path) {
  CommandResult r = RunCommand({"/usr/bin/env", "file", "-b", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

TEST_F(KsefCliE2eTest, InvoiceQrPngDecodesToThePrintedLink) {
  const std::string invoice =
      WriteTemp("png-kod1.xml", "<Faktura>png</Faktura>");
  const std::string png = temp_dir() + "/kod1.png";
  CommandResult r = Sejf({"qr", "invoice", "--seller-nip", kSellerNip,
                          "--issue-date", "2026-02-01", "--invoice", invoice,
                          "--environment", "test", "--png", png});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string url(absl::StripSuffix(r.out, "\n"));
  ASSERT_THAT(url, StartsWith("https://qr-test.ksef.mf.gov.pl/invoice/"));
  EXPECT_THAT(FileType(png), StartsWith("PNG image data"));
  EXPECT_EQ(Zbar(png), url);

  // Labelled with the KSeF number once KSeF assigned one: still the link.
  const std::string numbered = temp_dir() + "/kod1-ksef.png";
  CommandResult labelled = Sejf(
      {"qr", "invoice", "--seller-nip", kSellerNip, "--issue-date",
       "2026-02-01", "--invoice", invoice, "--environment", "test", "--png",
       numbered, "--label", "5265877635-20250826-0100001AF629-AF"});
  ASSERT_EQ(labelled.exit_code, 0) << labelled.err;
  EXPECT_EQ(labelled.out, r.out);
  EXPECT_EQ(Zbar(numbered), url);
  std::string plain = ReadFile(png).value_or("");
  std::string with_number = ReadFile(numbered).value_or("");
  EXPECT_NE(plain, with_number) << "a different caption is drawn";

  // JSON output names the link and leaves the image to the file.
  const std::string json_png = temp_dir() + "/kod1-json.png";
  CommandResult json =
      Sejf({"--output", "json", "qr", "invoice", "--seller-nip", kSellerNip,
            "--issue-date", "2026-02-01", "--invoice", invoice, "--environment",
            "test", "--png", json_png});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed["url"], url);
  EXPECT_FALSE(parsed.contains("png"));
  EXPECT_EQ(Zbar(json_png), url);
}

TEST_F(KsefCliE2eTest, OfflineQrPngDecodesToThePrintedSignedLink) {
  CertifiedKey("kod2-png", "offline");
  const std::string png = temp_dir() + "/kod2.png";
  CommandResult r =
      Sejf({"qr", "offline", "--key", "kod2-png", "--context", kContext,
            "--seller-nip", kSellerNip, "--invoice-hash", std::string(64, 'd'),
            "--environment", "test", "--png", png});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string url(absl::StripSuffix(r.out, "\n"));
  ASSERT_THAT(url, StartsWith("https://qr-test.ksef.mf.gov.pl/certificate/"));
  EXPECT_THAT(FileType(png), StartsWith("PNG image data"));
  EXPECT_EQ(Zbar(png), url);
}

TEST_F(KsefCliE2eTest, InvoiceQrRpcReturnsPngBytesOnlyWhenAsked) {
  const std::string tls = daemon().data_dir() + "/tls/";
  auto stub = v1::KsefAuth::NewStub(
      TlsChannel(daemon().tls_address(), *ReadFile(tls + "ca.pem"),
                 *ReadFile(tls + "admin.pem"), *ReadFile(tls + "admin.key")));
  v1::BuildInvoiceQrCodeRequest request;
  request.set_seller_nip(kSellerNip);
  request.set_issue_date("2026-02-01");
  request.set_invoice_sha256(Sha256("<Faktura>rpc</Faktura>"));
  request.set_environment("test");
  v1::BuildInvoiceQrCodeResponse plain;
  auto context = ShortDeadline();
  ASSERT_TRUE(stub->BuildInvoiceQrCode(context.get(), request, &plain).ok());
  EXPECT_THAT(plain.url(), StartsWith("https://qr-test.ksef.mf.gov.pl/"));
  EXPECT_TRUE(plain.png().empty());

  request.mutable_png()->set_module_pixels(4);
  v1::BuildInvoiceQrCodeResponse with_png;
  auto context2 = ShortDeadline();
  grpc::Status status =
      stub->BuildInvoiceQrCode(context2.get(), request, &with_png);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(with_png.url(), plain.url());
  const std::string png = WriteTemp("rpc.png", with_png.png());
  EXPECT_THAT(FileType(png), StartsWith("PNG image data"));
  EXPECT_EQ(Zbar(png), plain.url());

  request.mutable_png()->set_module_pixels(17);
  v1::BuildInvoiceQrCodeResponse too_big;
  auto context3 = ShortDeadline();
  status = stub->BuildInvoiceQrCode(context3.get(), request, &too_big);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("png: module_pixels"));
}

TEST_F(KsefCliE2eTest, QrPngRefusesBadPathsAndLabelsWritingNothing) {
  const std::string invoice = WriteTemp("png-bad.xml", "<Faktura/>");
  auto invoice_qr = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "qr",        "invoice",      "--seller-nip",
        kSellerNip,  "--issue-date", "2026-02-01",
        "--invoice", invoice,        "--environment",
        "test"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Sejf(args);
  };
  CommandResult no_dir = invoice_qr({"--png", temp_dir() + "/no/such.png"});
  EXPECT_EQ(no_dir.exit_code, 2);
  EXPECT_THAT(no_dir.err, HasSubstr("--png"));
  EXPECT_THAT(no_dir.err, HasSubstr("No such file or directory"));
  EXPECT_TRUE(no_dir.out.empty()) << no_dir.out;

  CommandResult a_dir = invoice_qr({"--png", temp_dir()});
  EXPECT_EQ(a_dir.exit_code, 2);
  EXPECT_THAT(a_dir.err, HasSubstr("is a directory"));

  const std::string long_png = temp_dir() + "/long-label.png";
  CommandResult overlong =
      invoice_qr({"--png", long_png, "--label", std::string(41, 'A')});
  EXPECT_EQ(overlong.exit_code, 1);
  EXPECT_THAT(overlong.err,
              HasSubstr("INVALID_ARGUMENT: png: label: at most 40 characters"));
  EXPECT_FALSE(PathExists(long_png));

  CommandResult lower_case =
      invoice_qr({"--png", long_png, "--label", "offline"});
  EXPECT_EQ(lower_case.exit_code, 1);
  EXPECT_THAT(lower_case.err, HasSubstr("A-Z, 0-9 and '-'"));
  EXPECT_FALSE(PathExists(long_png));

  CommandResult label_alone = invoice_qr({"--label", "OFFLINE"});
  EXPECT_EQ(label_alone.exit_code, 2);
  EXPECT_THAT(label_alone.err, HasSubstr("--png"));

  // KOD II: a bad label is refused before anything is signed.
  CertifiedKey("kod2-png-bad", "offline");
  const std::string kod2 = temp_dir() + "/kod2-bad.png";
  CommandResult offline =
      Sejf({"qr", "offline", "--key", "kod2-png-bad", "--context", kContext,
            "--seller-nip", kSellerNip, "--invoice-hash", std::string(64, 'e'),
            "--environment", "test", "--png", kod2, "--label", "CERTYFIKAT!"});
  EXPECT_EQ(offline.exit_code, 1);
  EXPECT_THAT(offline.err, HasSubstr("INVALID_ARGUMENT: png: label"));
  EXPECT_FALSE(PathExists(kod2));
}

// ---- sejf mfcert ----------------------------------------------------------

TEST_F(KsefCliE2eTest, MinistryCertificateImportedFromPemIsListed) {
  const std::string pem = MinistryCertificate("mf-list", 2048);
  const std::string public_key_id = PublicKeyId(pem);
  ASSERT_EQ(public_key_id.size(), 44u);
  CommandResult imported = Sejf({"mfcert", "import", "--environment", "test",
                                 "--pin-fingerprint", Fingerprint(pem), pem});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_THAT(imported.out, HasSubstr(public_key_id));
  EXPECT_THAT(imported.out, HasSubstr("KsefTokenEncryption"));

  CommandResult listed = Sejf({"mfcert", "list", "--environment", "test"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr(public_key_id));
  EXPECT_THAT(listed.out, HasSubstr("CN=KSeF mf-list"));
  CommandResult elsewhere = Sejf({"mfcert", "list", "--environment", "prod"});
  ASSERT_EQ(elsewhere.exit_code, 0) << elsewhere.err;
  EXPECT_THAT(elsewhere.out, Not(HasSubstr(public_key_id)));

  CommandResult json = Sejf({"--output", "json", "mfcert", "list"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  nlohmann::json all = nlohmann::json::parse(json.out, nullptr, false);
  bool found = false;
  for (const auto& c : all["certificates"]) {
    if (c["publicKeyId"] == public_key_id) {
      found = true;
      EXPECT_EQ(c["environment"], "test");
      EXPECT_EQ(c["usages"][0],
                "MINISTRY_CERTIFICATE_USAGE_KSEF_TOKEN_ENCRYPTION");
      EXPECT_THAT(c["name"].get<std::string>(),
                  StartsWith("environments/test/ministryCertificates/"));
    }
  }
  EXPECT_TRUE(found) << json.out;
}

TEST_F(KsefCliE2eTest, WeakOrBrokenMinistryCertificatesAreRefused) {
  const std::string weak = MinistryCertificate("mf-weak", 1024);
  CommandResult r = Sejf({"mfcert", "import", "--environment", "demo", weak});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(r.err, HasSubstr("2048"));
  CommandResult listed = Sejf({"mfcert", "list", "--environment", "demo"});
  EXPECT_THAT(listed.out, Not(HasSubstr(PublicKeyId(weak))));

  const std::string junk = WriteTemp("junk.pem", "not a certificate");
  CommandResult bad = Sejf({"mfcert", "import", "--environment", "demo", junk});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("INVALID_ARGUMENT"));
  CommandResult bad_env = Sejf({"mfcert", "import", "--environment", "Bad Env",
                                MinistryCertificate("mf-env", 2048)});
  EXPECT_EQ(bad_env.exit_code, 1);
  EXPECT_THAT(bad_env.err, HasSubstr("environment"));
}

// ---- sejf auth token ------------------------------------------------------

TEST_F(KsefCliE2eTest, TokenEncryptionDecryptsWithTheMinistryKey) {
  // Tokens come in through the TokenVault API.
  auto stub = v1::TokenVault::NewStub(SocketChannel());
  v1::ImportTokenRequest import;
  import.set_token_id("erp-token");
  import.set_context(kContext);
  const std::string secret =
      "20250514-EC-2C3C2E9000-A1B2C3D4E5-7F|nip-"
      "5265877635|0123456789abcdef";
  import.set_secret(secret);
  v1::ImportTokenResponse imported;
  auto context = ShortDeadline();
  grpc::Status status = stub->ImportToken(context.get(), import, &imported);
  ASSERT_TRUE(status.ok()) << status.error_message();

  const std::string pem = MinistryCertificate("mf-token", 2048);
  ASSERT_EQ(Sejf({"mfcert", "import", "--environment", "demo",
                  "--pin-fingerprint", Fingerprint(pem), pem})
                .exit_code,
            0);
  const std::string challenge = Challenge();
  const std::string timestamp = absl::StrCat(absl::ToUnixMillis(absl::Now()));
  CommandResult r =
      Sejf({"auth", "token", "--token", "erp-token", "--challenge", challenge,
            "--timestamp-ms", timestamp, "--environment", "demo"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr(secret)));
  EXPECT_THAT(r.err, Not(HasSubstr(secret)));
  nlohmann::json body = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(body.is_object()) << r.out;
  EXPECT_EQ(body["challenge"], challenge);
  EXPECT_EQ(body["contextIdentifier"]["type"], "Nip");
  EXPECT_EQ(body["contextIdentifier"]["value"], "5265877635");
  EXPECT_EQ(body["publicKeyId"], PublicKeyId(pem));
  std::string encrypted;
  ASSERT_TRUE(absl::Base64Unescape(body["encryptedToken"].get<std::string>(),
                                   &encrypted));
  CommandResult decrypted = Shell(absl::StrCat(
      "openssl pkeyutl -decrypt -inkey ", temp_dir(), "/mf-token.key",
      " -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256",
      " -pkeyopt rsa_mgf1_md:sha256 -in ",
      WriteTemp("encrypted.bin", encrypted)));
  ASSERT_EQ(decrypted.exit_code, 0) << decrypted.err;
  EXPECT_EQ(decrypted.out, absl::StrCat(secret, "|", timestamp));

  // Its own context may be named; another is refused.
  EXPECT_EQ(Sejf({"auth", "token", "--token", "erp-token", "--challenge",
                  challenge, "--timestamp-ms", timestamp, "--environment",
                  "demo", "--context", kContext})
                .exit_code,
            0);
  CommandResult other =
      Sejf({"auth", "token", "--token", "erp-token", "--challenge", challenge,
            "--timestamp-ms", timestamp, "--environment", "demo", "--context",
            kOtherContext});
  // Answered as if there were no such token in that context.
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_THAT(other.err, HasSubstr("NOT_FOUND"));
  EXPECT_THAT(daemon().Stderr(), Not(HasSubstr(secret)));
}

TEST_F(KsefCliE2eTest, TokenBodyHasAllowedIpsAndTheConfiguredContextField) {
  auto stub = v1::TokenVault::NewStub(SocketChannel());
  v1::ImportTokenRequest import;
  import.set_token_id("ip-token");
  import.set_context(kContext);
  const std::string secret = "ip-token-secret-0123456789abcdef";
  import.set_secret(secret);
  v1::ImportTokenResponse imported;
  auto context = ShortDeadline();
  grpc::Status status = stub->ImportToken(context.get(), import, &imported);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const std::string pem = MinistryCertificate("mf-ips", 2048);
  for (const char* environment : {"acme-now", "acme-next"}) {
    ASSERT_EQ(Sejf({"mfcert", "import", "--environment", environment,
                    "--pin-fingerprint", Fingerprint(pem), pem})
                  .exit_code,
              0);
  }
  const std::string timestamp = absl::StrCat(absl::ToUnixMillis(absl::Now()));
  auto token = [&](const std::string& environment,
                   std::vector<std::string> ips) {
    std::vector<std::string> args = {
        "auth",          "token",     "--token",        "ip-token",
        "--challenge",   Challenge(), "--timestamp-ms", timestamp,
        "--environment", environment};
    for (const std::string& ip : ips) {
      args.insert(args.end(), {"--allowed-ip", ip});
    }
    return Sejf(args);
  };

  // acme-now: no [ksef.environments] table, so the default: with
  // contextIdentifier.
  CommandResult now = token("acme-now", {"10.0.0.1", "10.0.0.1-10.0.0.9",
                                         "192.168.0.0/24", "8.8.8.8"});
  ASSERT_EQ(now.exit_code, 0) << now.err;
  nlohmann::json body = nlohmann::json::parse(now.out, nullptr, false);
  ASSERT_TRUE(body.is_object()) << now.out;
  EXPECT_EQ(body["contextIdentifier"],
            nlohmann::json::parse(R"({"type":"Nip","value":"5265877635"})"));
  EXPECT_EQ(body["authorizationPolicy"], nlohmann::json::parse(R"({
      "allowedIps": {"ip4Addresses": ["10.0.0.1", "8.8.8.8"],
                     "ip4Ranges": ["10.0.0.1-10.0.0.9"],
                     "ip4Masks": ["192.168.0.0/24"]}})"));

  // acme-next: token_context_identifier = false.
  CommandResult next = token("acme-next", {"10.0.0.1"});
  ASSERT_EQ(next.exit_code, 0) << next.err;
  body = nlohmann::json::parse(next.out, nullptr, false);
  ASSERT_TRUE(body.is_object()) << next.out;
  EXPECT_FALSE(body.contains("contextIdentifier")) << next.out;
  EXPECT_EQ(body["authorizationPolicy"],
            nlohmann::json::parse(
                R"({"allowedIps": {"ip4Addresses": ["10.0.0.1"]}})"));
  EXPECT_EQ(body["publicKeyId"], PublicKeyId(pem));
  std::string encrypted;
  ASSERT_TRUE(absl::Base64Unescape(body["encryptedToken"].get<std::string>(),
                                   &encrypted));
  CommandResult decrypted = Shell(absl::StrCat(
      "openssl pkeyutl -decrypt -inkey ", temp_dir(), "/mf-ips.key",
      " -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256",
      " -pkeyopt rsa_mgf1_md:sha256 -in ",
      WriteTemp("encrypted-ips.bin", encrypted)));
  ASSERT_EQ(decrypted.exit_code, 0) << decrypted.err;
  EXPECT_EQ(decrypted.out, absl::StrCat(secret, "|", timestamp));

  // Bad addresses are refused, naming the entry.
  CommandResult bad = token("acme-now", {"10.0.0.1", "10.0.0.256"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err,
              HasSubstr("INVALID_ARGUMENT: allowed_ips.ip4_addresses[1]"));
  EXPECT_THAT(bad.out, Not(HasSubstr("encryptedToken")));
  CommandResult backwards = token("acme-now", {"10.0.0.9-10.0.0.1"});
  EXPECT_EQ(backwards.exit_code, 1);
  EXPECT_THAT(backwards.err,
              HasSubstr("INVALID_ARGUMENT: allowed_ips.ip4_ranges[0]"));
  EXPECT_THAT(daemon().Stderr(), Not(HasSubstr(secret)));
}

TEST_F(KsefCliE2eTest, TokenPolicyIsCheckedAgainstTheTokensOwnContext) {
  auto stub = v1::TokenVault::NewStub(SocketChannel());
  v1::ImportTokenRequest import;
  import.set_token_id("policy-token");
  import.set_context(kContext);
  import.set_secret("policy-token-secret-0123456789");
  v1::ImportTokenResponse imported;
  auto context = ShortDeadline();
  grpc::Status status = stub->ImportToken(context.get(), import, &imported);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const std::string ts = absl::StrCat(absl::ToUnixMillis(absl::Now()));
  // tok-* may encrypt tokens of nip:1111111111 only: leaving --context out
  // must not escape the rule, and naming the allowed context for a token
  // of another one is refused too — both answered exactly as a token that
  // does not exist, so tok-1 learns nothing about tokens it may not use.
  CommandResult implicit = SejfAs(
      "tok-1", {"auth", "token", "--token", "policy-token", "--challenge",
                Challenge(), "--timestamp-ms", ts, "--environment", "test"});
  EXPECT_EQ(implicit.exit_code, 1);
  EXPECT_THAT(implicit.err, HasSubstr("NOT_FOUND"));
  EXPECT_THAT(implicit.err, Not(HasSubstr(kContext)));
  CommandResult missing = SejfAs(
      "tok-1", {"auth", "token", "--token", "no-such-token", "--challenge",
                Challenge(), "--timestamp-ms", ts, "--environment", "test"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(absl::StrReplaceAll(missing.err, {{"no-such-token", "T"}}),
            absl::StrReplaceAll(implicit.err, {{"policy-token", "T"}}));
  CommandResult lying =
      SejfAs("tok-1", {"auth", "token", "--token", "policy-token",
                       "--challenge", Challenge(), "--timestamp-ms", ts,
                       "--environment", "test", "--context", kOtherContext});
  EXPECT_EQ(lying.exit_code, 1);
  EXPECT_THAT(lying.err, HasSubstr("NOT_FOUND"));
  EXPECT_THAT(lying.out, Not(HasSubstr("encryptedToken")));
}

TEST_F(KsefCliE2eTest, TokenEncryptionRefusesBadInput) {
  const std::string ts = absl::StrCat(absl::ToUnixMillis(absl::Now()));
  auto token = [&](const std::string& name, const std::string& challenge,
                   const std::string& timestamp, const std::string& env) {
    return Sejf({"auth", "token", "--token", name, "--challenge", challenge,
                 "--timestamp-ms", timestamp, "--environment", env});
  };
  CommandResult bad_challenge = token("any-token", "20250101-CR-X", ts, "test");
  EXPECT_EQ(bad_challenge.exit_code, 1);
  EXPECT_THAT(bad_challenge.err, HasSubstr("INVALID_ARGUMENT: challenge"));
  CommandResult bad_name = token("Any Token", Challenge(), ts, "test");
  EXPECT_THAT(bad_name.err, HasSubstr("INVALID_ARGUMENT: token"));
  CommandResult bad_time = token("any-token", Challenge(), "0", "test");
  EXPECT_THAT(bad_time.err, HasSubstr("timestamp_ms"));
  CommandResult bad_env = token("any-token", Challenge(), ts, "Nowhere!");
  EXPECT_THAT(bad_env.err, HasSubstr("environment"));
  CommandResult unknown = token("no-such-token", Challenge(), ts, "test");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("NOT_FOUND"));
}

}  // namespace
}  // namespace sejf::testing
