// CRLs made by the `openssl ca` command (an independent implementation),
// read by RevocationList, and applied by PeerIdentityCache on every call.
#include "server/tls/revocation_list.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/tls/peer_identity_cache.h"
#include "server/tls/pem.h"
#include "server/tls/test_util.h"

namespace sejf::server {
namespace {

using ::testing::HasSubstr;
using tls_test::ReadAll;
using tls_test::RunOpenssl;
using tls_test::ScratchDir;
using tls_test::WriteAll;

// A CA run by the openssl command in its own directory.
class OpensslCa {
 public:
  OpensslCa(const ScratchDir& dir, const std::string& name) : dir_(dir / name) {
    EXPECT_EQ(mkdir(dir_.c_str(), 0700), 0);
    EXPECT_TRUE(WriteAll(dir_ + "/index.txt", "", 0600));
    EXPECT_TRUE(WriteAll(dir_ + "/crlnumber", "01\n", 0600));
    EXPECT_TRUE(WriteAll(
        dir_ + "/ca.cnf",
        absl::StrCat("[ca]\ndefault_ca = d\n[d]\n", "database = ", dir_,
                     "/index.txt\n", "crlnumber = ", dir_, "/crlnumber\n",
                     "default_md = sha256\n", "default_crl_days = 30\n"),
        0600));
    Openssl(
        "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
        "-subj '/CN=Client CA' -days 2 -keyout " +
        Path("ca.key") + " -out " + Path("ca.pem"));
  }

  std::string Path(const std::string& file) const { return dir_ + "/" + file; }
  std::string ca_pem() const { return ReadAll(Path("ca.pem")); }

  // A client certificate for CN=`cn`; returns its PEM.
  std::string Issue(const std::string& cn) {
    Openssl(
        "req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "
        "'/CN=" +
        cn + "' -keyout " + Path(cn + ".key") + " -out " + Path(cn + ".csr"));
    Openssl("x509 -req -days 1 -in " + Path(cn + ".csr") + " -CA " +
            Path("ca.pem") + " -CAkey " + Path("ca.key") +
            " -CAcreateserial -CAserial " + Path("serial") + " -out " +
            Path(cn + ".pem"));
    return ReadAll(Path(cn + ".pem"));
  }

  void Revoke(const std::string& cn) {
    Openssl("ca " + Common() + " -revoke " + Path(cn + ".pem"));
  }

  // The current CRL, PEM (or DER with `der`).
  std::string Crl(bool der = false) {
    Openssl("ca " + Common() + " -gencrl -out " + Path("crl.pem"));
    if (!der) return ReadAll(Path("crl.pem"));
    Openssl("crl -in " + Path("crl.pem") + " -outform DER -out " +
            Path("crl.der"));
    return ReadAll(Path("crl.der"));
  }

 private:
  std::string Common() const {
    return "-config " + Path("ca.cnf") + " -keyfile " + Path("ca.key") +
           " -cert " + Path("ca.pem");
  }
  void Openssl(const std::string& args) {
    tls_test::CommandResult r = RunOpenssl(args);
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.output;
  }

  std::string dir_;
};

bool Revoked(const RevocationList& list, const std::string& pem) {
  auto cert = ParseCertificatePem(pem);
  EXPECT_TRUE(cert.ok()) << cert.status();
  return cert.ok() && list.IsRevoked(**cert);
}

class RevocationListTest : public ::testing::Test {
 protected:
  ScratchDir dir_;
  OpensslCa ca_{dir_, "ca"};
};

TEST_F(RevocationListTest, NamesTheRevokedCertificateAndNoOther) {
  std::string revoked = ca_.Issue("erp-1");
  std::string kept = ca_.Issue("erp-2");
  ca_.Revoke("erp-1");
  for (bool der : {false, true}) {
    auto list = RevocationList::Parse(ca_.Crl(der), ca_.ca_pem(), absl::Now());
    ASSERT_TRUE(list.ok()) << list.status();
    EXPECT_EQ((*list)->size(), 1u);
    EXPECT_TRUE(Revoked(**list, revoked));
    EXPECT_FALSE(Revoked(**list, kept));
  }
}

TEST_F(RevocationListTest, EmptyCrlRevokesNothing) {
  std::string cert = ca_.Issue("erp-1");
  auto list = RevocationList::Parse(ca_.Crl(), ca_.ca_pem(), absl::Now());
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ((*list)->size(), 0u);
  EXPECT_FALSE(Revoked(**list, cert));
}

// A CRL signed by someone else (here: another CA with the same name) could
// otherwise un-revoke certificates or lock out good ones.
TEST_F(RevocationListTest, CrlNotSignedByTheClientCaIsRefused) {
  OpensslCa impostor(dir_, "impostor");
  impostor.Issue("x");
  impostor.Revoke("x");
  auto list = RevocationList::Parse(impostor.Crl(), ca_.ca_pem(), absl::Now());
  EXPECT_EQ(list.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(list.status().message(),
              HasSubstr("revocation list 1 is not signed by a certificate of "
                        "the client CA file (tls.ca)"));
}

TEST_F(RevocationListTest, SomethingElseIsNotACrl) {
  for (const std::string& data : {std::string("garbage"), ca_.ca_pem()}) {
    auto list = RevocationList::Parse(data, ca_.ca_pem(), absl::Now());
    EXPECT_EQ(list.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(list.status().message(),
                HasSubstr("holds no certificate revocation list"));
  }
}

TEST_F(RevocationListTest, StaleCrlStillRevokesAndIsReported) {
  std::string revoked = ca_.Issue("erp-1");
  ca_.Revoke("erp-1");
  std::vector<std::string> warnings;
  auto list = RevocationList::Parse(
      ca_.Crl(), ca_.ca_pem(), absl::Now() + absl::Hours(24 * 31), &warnings);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_TRUE(Revoked(**list, revoked));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("past its nextUpdate"));
}

// A connection keeps presenting the same certificate; the cache must not let
// it outlive a CRL loaded later.
TEST_F(RevocationListTest, CacheRefusesACertificateRevokedAfterItWasSeen) {
  std::string cert = ca_.Issue("erp-1");
  RevocationHolder holder;
  PeerIdentityCache cache(/*capacity=*/8, &holder);
  auto before = cache.Resolve(cert);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(*before, "erp-1");

  ca_.Revoke("erp-1");
  auto list = RevocationList::Parse(ca_.Crl(), ca_.ca_pem(), absl::Now());
  ASSERT_TRUE(list.ok()) << list.status();
  holder.Set(*list);
  auto after = cache.Resolve(cert);
  EXPECT_EQ(after.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(after.status().message(), HasSubstr("revoked"));
  // A fresh cache (no memory of the certificate) refuses it too.
  PeerIdentityCache fresh(/*capacity=*/8, &holder);
  EXPECT_EQ(fresh.Resolve(cert).status().code(),
            absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace sejf::server
