#include "server/tls/dev_pki.h"

#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string>

#include "common/clock.h"
#include "common/secret.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/tls/certificate_issuer.h"
#include "server/tls/peer_identity.h"
#include "server/tls/test_util.h"

namespace sejf::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using tls_test::PermissionBits;
using tls_test::ReadAll;
using tls_test::RunOpenssl;
using tls_test::ScratchDir;
using tls_test::WriteAll;

const char* const kFileNames[] = {"ca.pem",     "ca.key",    "server.pem",
                                  "server.key", "admin.pem", "admin.key"};

class DevPkiTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(scratch_.path().empty()); }

  void Ensure() {
    absl::Status s = EnsureDevPki(dir_, clock_);
    ASSERT_TRUE(s.ok()) << s;
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // "openssl verify" of NAME.pem against ca.pem; its output, or "FAILED: ..."
  std::string Verify(const std::string& name, const std::string& options) {
    auto r = RunOpenssl("verify -CAfile " + Path("ca.pem") + " " + options +
                        " " + Path(name));
    return r.exit_code == 0 ? r.output : "FAILED: " + r.output;
  }

  std::map<std::string, std::string> Contents() const {
    std::map<std::string, std::string> out;
    for (const char* name : kFileNames) out[name] = ReadAll(Path(name));
    return out;
  }

  std::map<std::string, ino_t> Inodes() const {
    std::map<std::string, ino_t> out;
    for (const char* name : kFileNames) {
      struct stat st {};
      stat(Path(name).c_str(), &st);
      out[name] = st.st_ino;
    }
    return out;
  }

  ScratchDir scratch_;
  std::string dir_ = scratch_ / "tls";
  FakeClock clock_{absl::Now()};
};

TEST_F(DevPkiTest, FirstRunCreatesPrivateDirectoryAndFilesWithModes) {
  Ensure();
  EXPECT_EQ(PermissionBits(dir_), 0700);
  EXPECT_EQ(PermissionBits(Path("ca.key")), 0600);
  EXPECT_EQ(PermissionBits(Path("server.key")), 0600);
  EXPECT_EQ(PermissionBits(Path("admin.key")), 0600);
  EXPECT_EQ(PermissionBits(Path("ca.pem")), 0644);
  EXPECT_EQ(PermissionBits(Path("server.pem")), 0644);
  EXPECT_EQ(PermissionBits(Path("admin.pem")), 0644);
  for (const char* key : {"ca.key", "server.key", "admin.key"}) {
    EXPECT_THAT(ReadAll(Path(key)),
                ::testing::StartsWith("-----BEGIN PRIVATE KEY-----\n"))
        << key;
  }
}

TEST_F(DevPkiTest, CaIsSelfSignedDevelopmentCa) {
  Ensure();
  EXPECT_THAT(Verify("ca.pem", ""), HasSubstr(": OK"));
  auto r = RunOpenssl(
      "x509 -noout -subject -issuer -ext basicConstraints,keyUsage,"
      "subjectKeyIdentifier -in " +
      Path("ca.pem"));
  EXPECT_THAT(r.output, HasSubstr("subject=CN = sejf development CA\n"
                                  "issuer=CN = sejf development CA\n"));
  EXPECT_THAT(r.output, HasSubstr("X509v3 Basic Constraints: critical\n"
                                  "    CA:TRUE"));
  EXPECT_THAT(r.output, HasSubstr("X509v3 Key Usage: critical\n"
                                  "    Certificate Sign, CRL Sign"));
  EXPECT_THAT(r.output, HasSubstr("X509v3 Subject Key Identifier"));
}

TEST_F(DevPkiTest, ServerCertificateVerifiesForLocalhostAndLoopbackAddresses) {
  Ensure();
  EXPECT_THAT(Verify("server.pem", "-purpose sslserver"), HasSubstr(": OK"));
  EXPECT_THAT(Verify("server.pem", "-verify_hostname localhost"),
              HasSubstr(": OK"));
  EXPECT_THAT(Verify("server.pem", "-verify_ip 127.0.0.1"), HasSubstr(": OK"));
  EXPECT_THAT(Verify("server.pem", "-verify_ip ::1"), HasSubstr(": OK"));
  EXPECT_THAT(Verify("server.pem", "-verify_hostname example.com"),
              HasSubstr("FAILED"));
  EXPECT_THAT(Verify("server.pem", "-purpose sslclient"), HasSubstr("FAILED"));

  auto r = RunOpenssl(
      "x509 -noout -subject -ext subjectAltName,extendedKeyUsage,"
      "keyUsage,authorityKeyIdentifier -in " +
      Path("server.pem"));
  EXPECT_THAT(r.output, HasSubstr("subject=CN = localhost"));
  EXPECT_THAT(r.output, HasSubstr("DNS:localhost, IP Address:127.0.0.1, "
                                  "IP Address:0:0:0:0:0:0:0:1"));
  EXPECT_THAT(r.output, HasSubstr("TLS Web Server Authentication"));
  EXPECT_THAT(r.output, Not(HasSubstr("TLS Web Client Authentication")));
  EXPECT_THAT(r.output, HasSubstr("Digital Signature"));
  EXPECT_THAT(r.output, HasSubstr("X509v3 Authority Key Identifier"));
}

TEST_F(DevPkiTest, AdminCertificateIsAClientCertificateForIdentityAdmin) {
  Ensure();
  EXPECT_THAT(Verify("admin.pem", "-purpose sslclient"), HasSubstr(": OK"));
  EXPECT_THAT(Verify("admin.pem", "-purpose sslserver"), HasSubstr("FAILED"));
  auto r = RunOpenssl("x509 -noout -subject -ext extendedKeyUsage -in " +
                      Path("admin.pem"));
  EXPECT_THAT(r.output, HasSubstr("subject=CN = admin"));
  EXPECT_THAT(r.output, HasSubstr("TLS Web Client Authentication"));
  auto identity = IdentityFromCertificatePem(ReadAll(Path("admin.pem")));
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(*identity, "admin");
}

TEST_F(DevPkiTest, EachKeyMatchesItsCertificate) {
  Ensure();
  for (const std::string name : {"ca", "server", "admin"}) {
    auto from_key = RunOpenssl("pkey -pubout -in " + Path(name + ".key"));
    auto from_cert =
        RunOpenssl("x509 -noout -pubkey -in " + Path(name + ".pem"));
    ASSERT_EQ(from_key.exit_code, 0) << from_key.output;
    EXPECT_THAT(from_key.output, HasSubstr("BEGIN PUBLIC KEY")) << name;
    EXPECT_EQ(from_key.output, from_cert.output) << name;
  }
}

TEST_F(DevPkiTest, SecondRunLeavesEveryFileUntouched) {
  Ensure();
  auto contents = Contents();
  auto inodes = Inodes();
  clock_.Advance(absl::Hours(24 * 40));
  Ensure();
  EXPECT_EQ(Contents(), contents);
  EXPECT_EQ(Inodes(), inodes);  // not even rewritten with the same bytes
}

TEST_F(DevPkiTest, DeletedAdminCertificateIsReissuedFromTheSameCa) {
  Ensure();
  auto before = Contents();
  ASSERT_EQ(unlink(Path("admin.pem").c_str()), 0);
  Ensure();
  auto after = Contents();
  EXPECT_EQ(after["ca.pem"], before["ca.pem"]);
  EXPECT_EQ(after["ca.key"], before["ca.key"]);
  EXPECT_EQ(after["server.pem"], before["server.pem"]);
  EXPECT_NE(after["admin.pem"], "");
  EXPECT_NE(after["admin.key"], before["admin.key"]);  // a new key
  EXPECT_EQ(PermissionBits(Path("admin.key")), 0600);
  EXPECT_THAT(Verify("admin.pem", "-purpose sslclient"), HasSubstr(": OK"));
  EXPECT_EQ(*IdentityFromCertificatePem(after["admin.pem"]), "admin");
}

TEST_F(DevPkiTest, DeletedServerKeyIsReissuedWithAMatchingCertificate) {
  Ensure();
  ASSERT_EQ(unlink(Path("server.key").c_str()), 0);
  Ensure();
  auto from_key = RunOpenssl("pkey -pubout -in " + Path("server.key"));
  auto from_cert = RunOpenssl("x509 -noout -pubkey -in " + Path("server.pem"));
  ASSERT_EQ(from_key.exit_code, 0) << from_key.output;
  EXPECT_EQ(from_key.output, from_cert.output);
  EXPECT_THAT(Verify("server.pem", "-purpose sslserver"), HasSubstr(": OK"));
}

TEST_F(DevPkiTest, MissingCaKeyIsFailedPreconditionNamingFilesToDelete) {
  Ensure();
  auto before = Contents();
  ASSERT_EQ(unlink(Path("ca.key").c_str()), 0);
  absl::Status s = EnsureDevPki(dir_, clock_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr(Path("ca.key") + " is missing"));
  EXPECT_THAT(s.message(), HasSubstr("delete " + Path("ca.pem")));
  EXPECT_THAT(s.message(), HasSubstr(Path("admin.key")));
  EXPECT_FALSE(tls_test::PermissionBits(Path("ca.key")) >= 0);
  before.erase("ca.key");
  auto after = Contents();
  after.erase("ca.key");
  EXPECT_EQ(after, before);
}

TEST_F(DevPkiTest, MissingCaCertificateIsRemadeAndOldLeavesStillVerify) {
  Ensure();
  auto before = Contents();
  ASSERT_EQ(unlink(Path("ca.pem").c_str()), 0);
  Ensure();
  auto after = Contents();
  EXPECT_NE(after["ca.pem"], "");
  EXPECT_EQ(after["ca.key"], before["ca.key"]);
  EXPECT_EQ(after["server.pem"], before["server.pem"]);
  EXPECT_EQ(after["admin.pem"], before["admin.pem"]);
  EXPECT_THAT(Verify("server.pem", "-purpose sslserver"), HasSubstr(": OK"));
  EXPECT_THAT(Verify("admin.pem", "-purpose sslclient"), HasSubstr(": OK"));
}

TEST_F(DevPkiTest, GroupReadableKeyIsRefused) {
  Ensure();
  ASSERT_EQ(chmod(Path("server.key").c_str(), 0640), 0);
  absl::Status s = EnsureDevPki(dir_, clock_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("chmod 600 " + Path("server.key")));
}

TEST_F(DevPkiTest, SharedDirectoryIsRefused) {
  ASSERT_EQ(mkdir(dir_.c_str(), 0755), 0);
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
  absl::Status s = EnsureDevPki(dir_, clock_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("chmod 700"));
  EXPECT_EQ(PermissionBits(Path("ca.pem")), -1);
}

TEST_F(DevPkiTest, LeafFromAnotherCaIsRefused) {
  Ensure();
  auto other = CreateCertificateAuthority("other CA", absl::Hours(24), clock_);
  ASSERT_TRUE(other.ok());
  CertificateSpec spec;
  spec.common_name = "admin";
  auto foreign = IssueCertificate(other->certificate_pem,
                                  other->private_key_pem, spec, clock_);
  ASSERT_TRUE(foreign.ok()) << foreign.status();
  ASSERT_TRUE(WriteAll(Path("admin.pem"), foreign->certificate_pem, 0644));
  ASSERT_TRUE(WriteAll(Path("admin.key"),
                       std::string(SecretView(foreign->private_key_pem)),
                       0600));
  absl::Status s = EnsureDevPki(dir_, clock_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("was not issued by the development CA"));
  EXPECT_THAT(s.message(), HasSubstr("delete " + Path("admin.pem")));
}

TEST_F(DevPkiTest, KeyOfAnotherCertificateIsRefused) {
  Ensure();
  ASSERT_TRUE(WriteAll(Path("admin.key"), ReadAll(Path("server.key")), 0600));
  absl::Status s = EnsureDevPki(dir_, clock_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(),
              HasSubstr(Path("admin.key") + " does not belong to " +
                        Path("admin.pem")));
}

TEST_F(DevPkiTest, CorruptCertificateIsFailedPreconditionNamingIt) {
  Ensure();
  ASSERT_TRUE(WriteAll(Path("server.pem"), "not a certificate\n", 0644));
  absl::Status s = EnsureDevPki(dir_, clock_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr(Path("server.pem")));
}

}  // namespace
}  // namespace sejf::server
