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
#include "server/tls/testing/openssl_ca.h"

namespace sejf::server {
namespace {

using ::testing::HasSubstr;
using tls_test::OpensslCa;
using tls_test::ScratchDir;

// The value of `result`, failing the test when there is none.
template <typename T>
T Must(absl::StatusOr<T> result) {
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *std::move(result) : T();
}

bool Revoked(const RevocationList& list, const std::string& pem) {
  auto cert = ParseCertificatePem(pem);
  EXPECT_TRUE(cert.ok()) << cert.status();
  return cert.ok() && list.IsRevoked(**cert);
}

class RevocationListTest : public ::testing::Test {
 protected:
  // The client CA: a certificate made by `openssl`, and its CRLs.
  struct Ca {
    OpensslCa openssl;
    std::string Issue(const std::string& cn) {
      return Must(openssl.Issue(cn, cn));
    }
    void Revoke(const std::string& cn) {
      EXPECT_TRUE(openssl.Revoke(openssl.Path(cn + ".pem")).ok());
    }
    std::string Crl(bool der = false) { return Must(openssl.Crl(der)); }
    std::string ca_pem() const {
      return tls_test::ReadAll(openssl.certificate_path());
    }
  };
  static Ca MakeCa(const ScratchDir& dir, const std::string& name) {
    auto ca = OpensslCa::Create(dir / name, "Client CA");
    EXPECT_TRUE(ca.ok()) << ca.status();
    return Ca{*std::move(ca)};
  }

  ScratchDir dir_;
  Ca ca_ = MakeCa(dir_, "ca");
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
  Ca impostor = MakeCa(dir_, "impostor");
  impostor.Issue("x");  // same CA name, another key
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
