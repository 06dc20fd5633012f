// sejfd on PostgreSQL ([storage] backend = "postgres"; issue 16): a real dev
// sejfd whose records live in a private PostgreSQL 15 server the test
// starts, reached over TLS verified against the server's CA
// (postgres_ca_file) as a role that needs its password
// (postgres_password_file). Keys are generated and sign (checked by
// xmlsec1), a token is imported and opened (its encryption for KSeF checked
// by openssl), the audit chain verifies, and all of it survives a restart
// of sejfd — from PostgreSQL, not from a SQLite file.
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "signer/ksef/testing/xml_testing.h"
#include "tests/testing/sejfd_test.h"
#include "vault/storage/postgres/postgres_connection.h"
#include "vault/storage/postgres/testing/postgres_cluster.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using vault::testing::PostgresCluster;

constexpr char kSubject[] =
    "CN=Jan Kowalski,serialNumber=TINPL-5265877635,C=PL";
constexpr char kContext[] = "nip:5265877635";
constexpr char kSecret[] =
    "20250514-EC-2C3C2E9000-A1B2C3D4E5-7F|nip-5265877635|pg0123456789abcdef";

std::string Challenge() {
  return absl::StrCat(
      absl::FormatTime("%Y%m%d", absl::Now(), absl::UTCTimeZone()),
      "-CR-226FB7B000-3ACF9BE4C0-10");
}

class PostgresE2eTest : public SejfdTest {
 protected:
  static void SetUpTestSuite() {
    PostgresCluster& cluster = PostgresCluster::Shared();
    auto database = cluster.CreateDatabase();
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = new std::string(*database);
    // The role that needs a password owns the database (docs/storage.md).
    ASSERT_TRUE(
        cluster
            .Execute("postgres", absl::StrCat("ALTER DATABASE ", *database_,
                                              " OWNER TO sejf_password"))
            .ok());
    const std::string password_file =
        WriteTemp("pg-password",
                  absl::StrCat(vault::testing::kPostgresTestPassword, "\n"));
    ASSERT_EQ(chmod(password_file.c_str(), 0600), 0);
    SejfdConfig config;
    config.config = absl::StrCat(
        "[storage]\n"
        "backend = \"postgres\"\n"
        "postgres_url = \"postgresql://sejf_password@localhost:",
        cluster.port(), "/", *database_,
        "?hostaddr=127.0.0.1\"\n"
        "postgres_password_file = \"",
        password_file,
        "\"\n"
        "postgres_ca_file = \"",
        cluster.ca_file(),
        "\"\n"
        "postgres_max_connections = 4\n");
    StartSejfd(config);
  }

  static void TearDownTestSuite() {
    SejfdTest::TearDownTestSuite();
    delete database_;
    database_ = nullptr;
  }

  // Rows of sejf_records of `kind`, read as the superuser.
  static std::int64_t StoredRecords(const std::string& kind) {
    auto connection = vault::PostgresConnection::Open(
        {.url = PostgresCluster::Shared().Url(*database_, "postgres")});
    EXPECT_TRUE(connection.ok()) << connection.status();
    if (!connection.ok()) return -1;
    auto result =
        (*connection)
            ->Query("SELECT count(*) FROM sejf_records WHERE kind = $1",
                    vault::PostgresParams().Text(kind), "count");
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? vault::PgInt8(result->get(), 0, 0) : -1;
  }

  static std::string* database_;
};

std::string* PostgresE2eTest::database_ = nullptr;

TEST_F(PostgresE2eTest, KeysSignTokensOpenAndTheAuditVerifiesFromPostgres) {
  // A key in the HSM, its record in PostgreSQL; it signs.
  ASSERT_EQ(Sejf({"key", "generate", "--name", "pg-login", "--usage",
                  "authentication"})
                .exit_code,
            0);
  CommandResult signed_cert = Sejf(
      {"key", "self-sign", "pg-login", "--subject", kSubject, "--days", "30"});
  ASSERT_EQ(signed_cert.exit_code, 0) << signed_cert.err;
  CommandResult xades =
      Sejf({"auth", "xades", "--key", "pg-login", "--challenge", Challenge(),
            "--context", kContext});
  ASSERT_EQ(xades.exit_code, 0) << xades.err;
  nlohmann::json key = SejfJson({"key", "show", "pg-login"});
  const std::string certificate = key["certificate"]["pem"].get<std::string>();
  EXPECT_TRUE(signer::testing::XmlsecVerify(xades.out, certificate).ok());

  // A token sealed into PostgreSQL, and opened again to be encrypted for
  // KSeF with a Ministry certificate.
  CommandResult imported =
      Sejf({"token", "import", "--name", "pg-token", "--context", kContext},
           std::string(kSecret) + "\n");
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  const std::string mf_pem = temp_dir() + "/mf.pem";
  ASSERT_EQ(Shell(absl::StrCat("openssl req -x509 -newkey rsa:2048 -nodes "
                               "-keyout ",
                               temp_dir(), "/mf.key -out ", mf_pem,
                               " -days 30 -subj '/CN=KSeF token "
                               "encryption/O=Ministerstwo Finansow/C=PL' 2>&1"))
                .exit_code,
            0);
  CommandResult fingerprint =
      Shell("openssl x509 -in " + mf_pem + " -noout -fingerprint -sha256");
  ASSERT_EQ(fingerprint.exit_code, 0);
  absl::string_view fp = absl::StripAsciiWhitespace(fingerprint.out);
  ASSERT_EQ(
      Sejf({"mfcert", "import", "--environment", "demo", "--pin-fingerprint",
            std::string(fp.substr(fp.find('=') + 1)), mf_pem})
          .exit_code,
      0);
  const std::string timestamp = absl::StrCat(absl::ToUnixMillis(absl::Now()));
  CommandResult body =
      Sejf({"auth", "token", "--token", "pg-token", "--challenge", Challenge(),
            "--timestamp-ms", timestamp, "--environment", "demo"});
  ASSERT_EQ(body.exit_code, 0) << body.err;
  nlohmann::json json = nlohmann::json::parse(body.out, nullptr, false);
  ASSERT_TRUE(json.is_object()) << body.out;
  std::string encrypted;
  ASSERT_TRUE(absl::Base64Unescape(json["encryptedToken"].get<std::string>(),
                                   &encrypted));
  CommandResult decrypted = Shell(absl::StrCat(
      "openssl pkeyutl -decrypt -inkey ", temp_dir(), "/mf.key",
      " -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256",
      " -pkeyopt rsa_mgf1_md:sha256 -in ",
      WriteTemp("encrypted.bin", encrypted)));
  ASSERT_EQ(decrypted.exit_code, 0) << decrypted.err;
  EXPECT_EQ(decrypted.out, absl::StrCat(kSecret, "|", timestamp));

  CommandResult verified = Sejf({"audit", "verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;

  // It all lives in PostgreSQL: rows there, no SQLite database.
  EXPECT_GE(StoredRecords("tokens"), 1);
  EXPECT_GE(StoredRecords("keys"), 1);
  EXPECT_FALSE(std::filesystem::exists(data_dir() + "/sejf.db"));
  // The password is in no log line.
  EXPECT_THAT(daemon().Stderr(),
              Not(HasSubstr(vault::testing::kPostgresTestPassword)));
  EXPECT_THAT(daemon().Stderr(), Not(HasSubstr(kSecret)));

  // A restarted sejfd finds everything again and the chain still verifies.
  RestartSejfd();
  nlohmann::json again = SejfJson({"key", "show", "pg-login"});
  EXPECT_EQ(again["certificate"]["pem"], certificate);
  CommandResult reopened =
      Sejf({"auth", "token", "--token", "pg-token", "--challenge", Challenge(),
            "--timestamp-ms", timestamp, "--environment", "demo"});
  EXPECT_EQ(reopened.exit_code, 0) << reopened.err;
  CommandResult reverified = Sejf({"audit", "verify"});
  EXPECT_EQ(reverified.exit_code, 0) << reverified.out << reverified.err;
}

}  // namespace
}  // namespace sejf::testing
