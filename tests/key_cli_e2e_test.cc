// `sejf key …` against a real dev sejfd (SoftHSM2 token, SQLite): every
// command of the key custody table, checked by what a user sees and by
// independent tools (openssl, pkcs11-tool on the daemon's own token).

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/sejfd_test.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSubject[] =
    "CN=Jan Kowalski,serialNumber=TINPL-5265877635,C=PL";

class KeyCliE2eTest : public SejfdTest {
 protected:
  static void SetUpTestSuite() { StartSejfd(); }

  static void Generate(const std::string& name, const std::string& usage,
                       const std::string& algorithm = "ec-p256") {
    CommandResult r = Sejf({"key", "generate", "--name", name, "--usage", usage,
                            "--algorithm", algorithm});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  static nlohmann::json ShowJson(const std::string& name) {
    return SejfJson({"key", "show", name});
  }

  // FILE.pem in the temp dir: a certificate for key `key`, issued over its
  // `sejf key csr` by a throwaway CA (FILE-ca.pem) with `openssl x509 -req`,
  // serial `serial` and keyUsage `key_usage` as openssl writes it. Returns
  // the path of the chain FILE-chain.pem (the leaf, then the CA).
  static std::string IssuedByTestCa(const std::string& key,
                                    const std::string& file,
                                    const std::string& serial,
                                    const std::string& key_usage) {
    CommandResult csr = Sejf({"key", "csr", key, "--subject", kSubject});
    EXPECT_EQ(csr.exit_code, 0) << csr.err;
    WriteTemp(file + ".csr", csr.out);
    WriteTemp(file + ".ext", "keyUsage=critical," + key_usage + "\n");
    CommandResult issue = Shell(absl::StrCat(
        "cd ", temp_dir(),
        " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
        "-nodes -keyout ",
        file, "-ca.key -out ", file, "-ca.pem -subj /CN=Test-Seal-CA -days 2 ",
        "2>&1 && openssl x509 -req -in ", file, ".csr -CA ", file,
        "-ca.pem -CAkey ", file, "-ca.key -set_serial ", serial,
        " -days 1 -extfile ", file, ".ext -out ", file, ".pem 2>&1 && cat ",
        file, ".pem ", file, "-ca.pem > ", file, "-chain.pem"));
    EXPECT_EQ(issue.exit_code, 0) << issue.out;
    return temp_dir() + "/" + file + "-chain.pem";
  }
};

TEST_F(KeyCliE2eTest, GeneratedKeyShowsItsMetadataWithoutCertificate) {
  Generate("show-me", "authentication");
  CommandResult r = Sejf({"key", "show", "show-me"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("keys/show-me"));
  EXPECT_THAT(r.out, HasSubstr("ec-p256"));
  EXPECT_THAT(r.out, HasSubstr("authentication"));
  EXPECT_THAT(r.out, HasSubstr("active"));
  EXPECT_THAT(r.out, HasSubstr("pkcs11:"));
  EXPECT_THAT(r.out, HasSubstr("certificate:  none"));
}

TEST_F(KeyCliE2eTest, CsrIsSignedByTheHsmKeyAndCarriesItsPublicKey) {
  Generate("csr-key", "authentication");
  CommandResult csr = Sejf({"key", "csr", "csr-key", "--subject", kSubject});
  ASSERT_EQ(csr.exit_code, 0) << csr.err;
  const std::string csr_file = WriteTemp("csr-key.csr", csr.out);
  CommandResult verify =
      Shell("openssl req -in " + csr_file + " -verify -noout -subject");
  ASSERT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_THAT(verify.out + verify.err, HasSubstr("verify OK"));
  EXPECT_THAT(verify.out,
              HasSubstr("CN = Jan Kowalski, serialNumber = TINPL-5265877635, "
                        "C = PL"));

  CommandResult csr_public_key =
      Shell("openssl req -in " + csr_file + " -pubkey -noout");
  ASSERT_EQ(csr_public_key.exit_code, 0) << csr_public_key.err;
  CommandResult shown = Sejf({"key", "show", "csr-key", "--public-key"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("-----BEGIN PUBLIC KEY-----"));
  EXPECT_EQ(shown.out, csr_public_key.out);
}

TEST_F(KeyCliE2eTest, CsrFromKsefEnrollmentDataLeavesNullFieldsOut) {
  Generate("enrolled", "offline", "rsa-2048");
  const std::string data = WriteTemp("enrollment.json", R"({
    "commonName": "Firma Testowa", "countryName": "PL",
    "givenName": null, "surname": null, "serialNumber": null,
    "uniqueIdentifier": "a1b2", "organizationName": "Firma Testowa Sp. z o.o.",
    "organizationIdentifier": "VATPL-5265877635"})");
  CommandResult csr =
      Sejf({"key", "csr", "enrolled", "--enrollment-data", data});
  ASSERT_EQ(csr.exit_code, 0) << csr.err;
  const std::string csr_file = WriteTemp("enrolled.csr", csr.out);
  CommandResult subject = Shell("openssl req -in " + csr_file +
                                " -verify -noout -subject -nameopt RFC2253");
  ASSERT_EQ(subject.exit_code, 0) << subject.err;
  EXPECT_THAT(subject.out, HasSubstr("CN=Firma Testowa"));
  EXPECT_THAT(subject.out, HasSubstr("VATPL-5265877635"));
  EXPECT_THAT(subject.out, Not(HasSubstr("GN=")));
  EXPECT_THAT(subject.out, Not(HasSubstr("serialNumber=")));
}

TEST_F(KeyCliE2eTest, CsrNeedsASubjectSource) {
  Generate("no-subject", "authentication");
  CommandResult r = Sejf({"key", "csr", "no-subject"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--subject"));
}

TEST_F(KeyCliE2eTest, SelfSignedCertificateIsAttachedAndVerifiesWithOpenssl) {
  Generate("test-env", "authentication");
  CommandResult r = Sejf(
      {"key", "self-sign", "test-env", "--subject", kSubject, "--days", "30"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("expires:      in 30 days"));
  EXPECT_THAT(r.out, HasSubstr("-----BEGIN CERTIFICATE-----"));

  nlohmann::json key = ShowJson("test-env");
  const std::string pem = key["certificate"]["pem"];
  const std::string cert = WriteTemp("test-env.pem", pem);
  CommandResult verify = Shell("openssl verify -CAfile " + cert + " " + cert);
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  CommandResult text = Shell("openssl x509 -in " + cert + " -noout -text");
  EXPECT_THAT(text.out, HasSubstr("Digital Signature"));
  EXPECT_THAT(text.out, Not(HasSubstr("Non Repudiation")));
  // The certificate's key is the HSM key.
  CommandResult cert_public_key =
      Shell("openssl x509 -in " + cert + " -pubkey -noout");
  EXPECT_EQ(cert_public_key.out,
            Sejf({"key", "show", "test-env", "--public-key"}).out);
  EXPECT_EQ(key["certificate"]["sha256Fingerprint"].get<std::string>().size(),
            64u);
}

TEST_F(KeyCliE2eTest, OfflineKeySelfSignsWithNonRepudiation) {
  Generate("qr-signer", "offline");
  ASSERT_EQ(Sejf({"key", "self-sign", "qr-signer", "--subject", kSubject,
                  "--days", "5"})
                .exit_code,
            0);
  const std::string cert =
      WriteTemp("qr.pem", ShowJson("qr-signer")["certificate"]["pem"]);
  CommandResult text = Shell("openssl x509 -in " + cert + " -noout -text");
  EXPECT_THAT(text.out, HasSubstr("Non Repudiation"));
}

TEST_F(KeyCliE2eTest, CertificateIssuedByACaForTheCsrAttachesWithItsChain) {
  Generate("ca-issued", "authentication");
  const std::string dir = temp_dir();
  CommandResult csr = Sejf({"key", "csr", "ca-issued", "--subject", kSubject});
  ASSERT_EQ(csr.exit_code, 0) << csr.err;
  WriteTemp("ca-issued.csr", csr.out);
  WriteTemp("ext.cnf", "keyUsage=critical,digitalSignature\n");
  CommandResult issue = Shell(
      "cd " + dir +
      " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
      "-nodes -keyout ca.key -out ca.pem -subj /CN=Test-CA -days 2 2>&1 && "
      "openssl x509 -req -in ca-issued.csr -CA ca.pem -CAkey ca.key "
      "-CAcreateserial -days 1 -extfile ext.cnf -out leaf.pem 2>&1 && "
      "cat leaf.pem ca.pem > chain.pem");
  ASSERT_EQ(issue.exit_code, 0) << issue.out;

  CommandResult r =
      Sejf({"key", "attach-cert", "ca-issued", dir + "/chain.pem"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Test-CA"));
  EXPECT_THAT(r.out, HasSubstr("1 intermediate certificate(s)"));
  EXPECT_THAT(r.out, HasSubstr("expires:      in 1 day"));
}

// A qualified seal, or any CA-issued certificate, may carry more keyUsage
// bits than the one the key's usage needs; only a missing needed bit refuses.
TEST_F(KeyCliE2eTest, CertificateWithExtraKeyUsageBitsAttachesButNotWithout) {
  Generate("seal", "offline");
  const std::string lacking =
      IssuedByTestCa("seal", "seal-lacking", "0x0100000000000001",
                     "digitalSignature,keyEncipherment");
  CommandResult refused = Sejf({"key", "attach-cert", "seal", lacking});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("FAILED_PRECONDITION"));
  EXPECT_THAT(refused.err, HasSubstr("lacks nonRepudiation"));
  EXPECT_FALSE(ShowJson("seal").contains("certificate"));

  const std::string sealed =
      IssuedByTestCa("seal", "seal-full", "0x0100000000000002",
                     "digitalSignature,nonRepudiation,keyEncipherment");
  CommandResult attached = Sejf({"key", "attach-cert", "seal", sealed});
  ASSERT_EQ(attached.exit_code, 0) << attached.err;
  EXPECT_THAT(attached.out, HasSubstr("Test-Seal-CA"));
  const std::string pem =
      WriteTemp("seal-shown.pem", ShowJson("seal")["certificate"]["pem"]);
  CommandResult bits = Shell("openssl x509 -noout -ext keyUsage -in " + pem);
  EXPECT_THAT(
      bits.out,
      HasSubstr("Digital Signature, Non Repudiation, Key Encipherment"));
}

// KOD II carries a serial with its top bit set as KSeF and openssl write it
// (16 characters, no DER sign byte), and openssl verifies the signature.
TEST_F(KeyCliE2eTest, KodIiCarriesTheSerialOpensslPrintsAndVerifies) {
  Generate("kod2-top-bit", "offline", "rsa-2048");
  const std::string chain =
      IssuedByTestCa("kod2-top-bit", "kod2-top-bit", "0x8000000000000001",
                     "digitalSignature,nonRepudiation");
  ASSERT_EQ(Sejf({"key", "attach-cert", "kod2-top-bit", chain}).exit_code, 0);
  const std::string leaf = temp_dir() + "/kod2-top-bit.pem";
  CommandResult printed = Shell("openssl x509 -noout -serial -in " + leaf);
  ASSERT_EQ(printed.out, "serial=8000000000000001\n") << printed.err;
  const std::string serial = "8000000000000001";
  EXPECT_EQ(ShowJson("kod2-top-bit")["certificate"]["serialNumber"], serial);

  const std::string invoice = WriteTemp("kod2-top-bit.xml", "<Faktura/>");
  CommandResult qr =
      Sejf({"qr", "offline", "--key", "kod2-top-bit", "--context",
            "nip:5265877635", "--seller-nip", "1111111111", "--invoice",
            invoice, "--environment", "test"});
  ASSERT_EQ(qr.exit_code, 0) << qr.err;
  const std::string url(absl::StripSuffix(qr.out, "\n"));
  const std::vector<std::string> segments = absl::StrSplit(url, '/');
  // https: "" host certificate Nip ctx seller serial hash signature
  ASSERT_EQ(segments.size(), 10u) << url;
  EXPECT_EQ(segments[7], serial);

  std::string signature;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(segments[9], &signature));
  const std::string data = WriteTemp(
      "kod2-top-bit.txt", url.substr(8, url.rfind('/') - 8));  // signed
  const std::string sig = WriteTemp("kod2-top-bit.sig", signature);
  CommandResult verified =
      Shell("openssl x509 -noout -pubkey -in " + leaf + " > " + temp_dir() +
            "/kod2-top-bit.pub && openssl dgst -sha256 -verify " + temp_dir() +
            "/kod2-top-bit.pub -sigopt rsa_padding_mode:pss -sigopt "
            "rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256 -signature " +
            sig + " " + data);
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_THAT(verified.out, HasSubstr("Verified OK"));
}

TEST_F(KeyCliE2eTest, ForeignCertificateIsRefusedAndNothingChanges) {
  Generate("owner", "authentication");
  Generate("victim", "authentication");
  ASSERT_EQ(
      Sejf({"key", "self-sign", "owner", "--subject", kSubject, "--days", "10"})
          .exit_code,
      0);
  const std::string foreign =
      WriteTemp("owner.pem", ShowJson("owner")["certificate"]["pem"]);
  CommandResult r = Sejf({"key", "attach-cert", "victim", foreign});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("FAILED_PRECONDITION"));
  EXPECT_FALSE(ShowJson("victim").contains("certificate"));
}

TEST_F(KeyCliE2eTest, DisabledKeySignsNothingUntilEnabled) {
  Generate("pausable", "authentication");
  CommandResult disabled = Sejf({"key", "disable", "pausable"});
  ASSERT_EQ(disabled.exit_code, 0) << disabled.err;
  EXPECT_THAT(disabled.out, HasSubstr("disabled"));
  CommandResult csr = Sejf({"key", "csr", "pausable", "--subject", kSubject});
  EXPECT_EQ(csr.exit_code, 1);
  EXPECT_THAT(csr.err, HasSubstr("FAILED_PRECONDITION"));
  EXPECT_EQ(csr.out, "");

  ASSERT_EQ(Sejf({"key", "enable", "pausable"}).exit_code, 0);
  EXPECT_EQ(Sejf({"key", "csr", "pausable", "--subject", kSubject}).exit_code,
            0);
}

TEST_F(KeyCliE2eTest, DestroyWithoutYesAndWithoutTerminalDoesNothing) {
  Generate("keep-me", "authentication");
  CommandResult r = Sejf({"key", "destroy", "keep-me"});  // stdin: a pipe
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--yes"));
  EXPECT_EQ(ShowJson("keep-me")["state"], "CREDENTIAL_STATE_ACTIVE");
}

TEST_F(KeyCliE2eTest, DestroyRemovesTheKeyFromTheHsm) {
  Generate("doomed", "authentication");
  CommandResult r = Sejf({"key", "destroy", "doomed", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("destroyed"));
  EXPECT_EQ(ShowJson("doomed")["state"], "CREDENTIAL_STATE_DESTROYED");
  CommandResult csr = Sejf({"key", "csr", "doomed", "--subject", kSubject});
  EXPECT_EQ(csr.exit_code, 1);
}

TEST_F(KeyCliE2eTest, PkcsToolShowsEveryPrivateKeySensitiveNeverExtractable) {
  Generate("tool-ec", "authentication");
  Generate("tool-rsa", "offline", "rsa-2048");
  CommandResult listing = Pkcs11Tool({"--list-objects", "--type", "privkey"});
  ASSERT_EQ(listing.exit_code, 0) << listing.err;
  int private_keys = 0;
  int access_lines = 0;
  for (absl::string_view line : absl::StrSplit(listing.out, '\n')) {
    if (absl::StrContains(line, "Private Key Object")) ++private_keys;
    if (absl::StrContains(line, "Access:")) {
      ++access_lines;
      EXPECT_THAT(std::string(line), HasSubstr("sensitive"));
      EXPECT_THAT(std::string(line), HasSubstr("never extractable"));
    }
  }
  EXPECT_GE(private_keys, 2) << listing.out;
  EXPECT_EQ(access_lines, private_keys) << listing.out;
  EXPECT_THAT(listing.out, HasSubstr("tool-ec"));
  EXPECT_THAT(listing.out, HasSubstr("tool-rsa"));
}

TEST_F(KeyCliE2eTest, ListFollowsEveryPageAndFilters) {
  for (int i = 0; i < 53; ++i) {
    Generate(absl::StrCat("page-", 100 + i), "offline");
  }
  ASSERT_EQ(Sejf({"key", "disable", "page-100"}).exit_code, 0);
  CommandResult all = Sejf({"key", "list", "--usage", "offline"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  for (int i = 0; i < 53; ++i) {
    EXPECT_THAT(all.out, HasSubstr(absl::StrCat("keys/page-", 100 + i)));
  }
  EXPECT_THAT(all.out, Not(HasSubstr("authentication")));

  CommandResult disabled = Sejf({"--output", "json", "key", "list", "--state",
                                 "disabled", "--usage", "offline"});
  ASSERT_EQ(disabled.exit_code, 0) << disabled.err;
  nlohmann::json keys = nlohmann::json::parse(disabled.out)["keys"];
  ASSERT_EQ(keys.size(), 1u) << disabled.out;
  EXPECT_EQ(keys[0]["name"], "keys/page-100");
}

TEST_F(KeyCliE2eTest, ListExpiringWithinShowsOnlyCertificatesEndingSoon) {
  Generate("soon", "authentication");
  Generate("later", "authentication");
  ASSERT_EQ(
      Sejf({"key", "self-sign", "soon", "--subject", kSubject, "--days", "3"})
          .exit_code,
      0);
  ASSERT_EQ(Sejf({"key", "self-sign", "later", "--subject", kSubject, "--days",
                  "300"})
                .exit_code,
            0);
  CommandResult r = Sejf({"key", "list", "--expiring-within", "7"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("keys/soon "));
  EXPECT_THAT(r.out, Not(HasSubstr("keys/later ")));
}

struct BadInput {
  std::vector<std::string> args;
  std::string field;
};

TEST_F(KeyCliE2eTest, BadInputIsInvalidArgumentNamingTheField) {
  Generate("target", "authentication");
  const std::string garbage = WriteTemp("garbage.pem", "not a certificate");
  const std::vector<BadInput> cases = {
      {{"key", "generate", "--name", "Bad Name", "--usage", "offline"},
       "key_id"},
      {{"key", "self-sign", "target", "--subject", kSubject, "--days", "0"},
       "validity_days"},
      {{"key", "csr", "target", "--subject", "XX=nope"}, "subject"},
      {{"key", "attach-cert", "target", garbage}, "certificate_chain"},
      {{"key", "show", "keys/UPPER"}, "name"},
  };
  for (const BadInput& c : cases) {
    CommandResult r = Sejf(c.args);
    EXPECT_EQ(r.exit_code, 1) << absl::StrJoin(c.args, " ");
    EXPECT_THAT(r.err, HasSubstr("INVALID_ARGUMENT")) << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.field)) << r.err;
  }
  EXPECT_FALSE(ShowJson("target").contains("certificate"));
}

TEST_F(KeyCliE2eTest, UnknownKeyIsNotFound) {
  CommandResult r = Sejf({"key", "show", "no-such-key"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("NOT_FOUND"));
}

}  // namespace
}  // namespace sejf::testing
