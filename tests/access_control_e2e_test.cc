// Access control against a real dev sejfd, as the security review attacked
// it: a tenant identity scoped to one NIP and its own credentials, client
// certificates made by a careless CA (with `openssl`), a revoked
// certificate, and a --dev daemon asked to listen on the network.
#include <signal.h>

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/tls/testing/openssl_ca.h"
#include "tests/testing/sejfd_test.h"

namespace sejf::testing {
namespace {

using server::tls_test::OpensslCa;
using ::testing::HasSubstr;

constexpr char kTenantContext[] = "nip:5265877635";
constexpr char kOtherContext[] = "nip:1111111111";

// The tenant may do anything, but only for its NIP and its credentials;
// "spiffe://acme/erp/*" reads keys one level below erp, "spiffe://acme/eu/**"
// at any depth.
constexpr char kPolicy[] = R"(
[[policy]]
name = "acme-tenant"
identities = ["tenant"]
operations = ["*"]
contexts = ["nip:5265877635"]
credentials = ["acme-*"]

[[policy]]
name = "erp-readers"
identities = ["spiffe://acme/erp/*", "spiffe://acme/eu/**"]
operations = ["keys.read"]
)";

class AccessControlE2eTest : public SejfdTest {
 protected:
  void SetUp() override {
    WriteConfig("");
    StartSejfd();
    auto ca = OpensslCa::Existing(temp_dir() + "/ca", TlsPath("ca.pem"),
                                  TlsPath("ca.key"));
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_.emplace(*std::move(ca));
  }

  void WriteConfig(const std::string& tls_section) {
    WriteSejfdConfig(tls_section + kPolicy);
  }

  // A client certificate from the dev CA, made by `openssl`: subject
  // CN=`cn`, and a URI SAN when `uri` is not empty. Returns its name.
  std::string Certificate(const std::string& name, const std::string& cn,
                          const std::string& uri = "") {
    auto issued = ca_->Issue(name, cn, uri);
    EXPECT_TRUE(issued.ok()) << issued.status();
    return name;
  }

  // `sejf ARGS…` over mutual TLS with the certificate called `name`.
  CommandResult As(const std::string& name, std::vector<std::string> args,
                   const std::string& input = "") {
    return SejfWithCertificate(ca_->Path(name + ".pem"),
                               ca_->Path(name + ".key"), std::move(args),
                               input);
  }

  std::optional<OpensslCa> ca_;
};

// Finding 3: scoped to nip:5265877635 and acme-*, the tenant could rotate
// the vault's keys, manage Ministry certificates and read every tenant's
// audit events. Now each is denied and changes nothing.
TEST_F(AccessControlE2eTest, ScopedIdentityIsDeniedEveryWholeVaultOperation) {
  const std::string tenant = Certificate("tenant", "tenant");
  nlohmann::json before = JsonOf(Sejf({"--output", "json", "vault", "status"}));

  const std::vector<std::vector<std::string>> whole_vault = {
      {"vault", "status"}, {"vault", "rotate"}, {"vault", "rotate-kek"},
      {"mfcert", "list"},  {"audit", "verify"},
  };
  for (const std::vector<std::string>& args : whole_vault) {
    CommandResult r = As(tenant, args);
    EXPECT_EQ(r.exit_code, 1) << absl::StrJoin(args, " ") << "\n" << r.out;
    EXPECT_THAT(r.err, HasSubstr("PERMISSION_DENIED")) << args[1];
  }
  // Nothing changed: the same data key and KEK.
  nlohmann::json after = JsonOf(Sejf({"--output", "json", "vault", "status"}));
  EXPECT_EQ(after, before);

  // What the tenant is for still works, and `sejf status` lists no
  // whole-vault operation for it.
  CommandResult imported =
      As(tenant,
         {"token", "import", "--name", "acme-erp", "--context", kTenantContext},
         "canary|tenant-token\n");
  EXPECT_EQ(imported.exit_code, 0) << imported.err;
  CommandResult status = As(tenant, {"status"});
  EXPECT_THAT(status.out, HasSubstr("tokens.manage"));
  EXPECT_THAT(status.out, ::testing::Not(HasSubstr("vault.admin")));
  EXPECT_THAT(status.out, ::testing::Not(HasSubstr("mfcerts.manage")));
}

// Finding 3: the tenant's `audit list` shows its own contexts and
// credentials only; the admin's shows everything.
TEST_F(AccessControlE2eTest, ScopedAuditReadShowsOnlyTheCallersEvents) {
  const std::string tenant = Certificate("tenant", "tenant");
  ASSERT_EQ(Sejf({"token", "import", "--name", "other-erp", "--context",
                  kOtherContext},
                 "canary|other-token\n")
                .exit_code,
            0);
  ASSERT_EQ(
      As(tenant,
         {"token", "import", "--name", "acme-erp", "--context", kTenantContext},
         "canary|tenant-token\n")
          .exit_code,
      0);
  ASSERT_EQ(Sejf({"vault", "rotate"}).exit_code, 0);

  nlohmann::json mine =
      JsonOf(As(tenant, {"--output", "json", "audit", "list"}))["events"];
  ASSERT_TRUE(mine.is_array());
  ASSERT_FALSE(mine.empty());
  for (const nlohmann::json& event : mine) {
    const std::string context = event.value("context", "");
    const std::string resource = event.value("resource", "");
    EXPECT_TRUE(context == kTenantContext ||
                absl::StartsWith(resource, "tokens/acme-") ||
                absl::StartsWith(resource, "keys/acme-"))
        << event.dump();
    EXPECT_NE(context, kOtherContext) << event.dump();
    EXPECT_NE(resource, "tokens/other-erp") << event.dump();
  }
  const std::string all = Sejf({"--output", "json", "audit", "list"}).out;
  EXPECT_THAT(all, HasSubstr("tokens/other-erp"));
  EXPECT_THAT(all, HasSubstr("vault.admin"));
}

// Finding 8: a URI SAN "admin" became the dev admin; "spiffe://acme/erp/*"
// matched "spiffe://acme/erp/../ops/key-admin".
TEST_F(AccessControlE2eTest, CertificatesCannotPoseAsOtherIdentities) {
  struct Case {
    std::string name, cn, uri, why;
  };
  const Case refused[] = {
      {"uri-admin", "nobody", "admin", "not an absolute URI"},
      {"cn-uri", "spiffe://acme/erp/billing", "", "must not contain ':'"},
      {"dot-dot", "nobody", "spiffe://acme/erp/../ops/key-admin",
       "path segment"},
      {"cn-unix", "unix:0", "", "reserved for callers on the unix socket"},
  };
  for (const Case& c : refused) {
    Certificate(c.name, c.cn, c.uri);
    CommandResult r = As(c.name, {"key", "list"});
    EXPECT_EQ(r.exit_code, 1) << c.name;
    EXPECT_THAT(r.err, HasSubstr("UNAUTHENTICATED")) << c.name;
    EXPECT_THAT(r.err, HasSubstr(c.why)) << c.name;
  }
  // The dev admin is CN=admin: reachable only with that CN.
  Certificate("real-admin", "admin");
  EXPECT_EQ(As("real-admin", {"key", "list"}).exit_code, 0);
}

TEST_F(AccessControlE2eTest, StarStaysInOneSegmentDoubleStarSpansAny) {
  const std::pair<std::string, bool> uris[] = {
      {"spiffe://acme/erp/billing", true},
      {"spiffe://acme/erp/billing/eu", false},
      {"spiffe://acme/eu/billing/pl", true},
  };
  int n = 0;
  for (const auto& [uri, allowed] : uris) {
    const std::string name = Certificate(absl::StrCat("svc-", n++), "svc", uri);
    CommandResult r = As(name, {"key", "list"});
    EXPECT_EQ(r.exit_code, allowed ? 0 : 1) << uri << "\n" << r.err;
    if (!allowed) {
      EXPECT_THAT(r.err, HasSubstr("PERMISSION_DENIED")) << uri;
    }
  }
}

// Finding 11: a revoked client certificate is refused after the CRL is
// reloaded with SIGHUP, on its next call; others keep working.
TEST_F(AccessControlE2eTest, RevokedCertificateIsRefusedAfterReload) {
  const std::string tenant = Certificate("tenant", "tenant");
  const std::string other = Certificate("other", "admin");
  auto empty = ca_->Crl();
  ASSERT_TRUE(empty.ok()) << empty.status();
  const std::string crl_path = temp_dir() + "/clients.crl";
  std::ofstream(crl_path) << *empty;
  ASSERT_TRUE(daemon().Stop().has_value());
  WriteConfig(absl::StrCat("[tls]\ncrl = \"", crl_path, "\"\n"));
  StartSejfd();
  ASSERT_EQ(As(tenant, {"status"}).exit_code, 0);

  ASSERT_TRUE(ca_->Revoke(ca_->Path(tenant + ".pem")).ok());
  auto revoked = ca_->Crl();
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  std::ofstream(crl_path) << *revoked;
  daemon().process().Signal(SIGHUP);

  CommandResult r;
  for (absl::Time deadline = absl::Now() + absl::Seconds(20);
       absl::Now() < deadline; absl::SleepFor(absl::Milliseconds(100))) {
    r = As(tenant, {"status"});
    if (r.exit_code != 0) break;
  }
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("UNAUTHENTICATED"));
  EXPECT_THAT(r.err, HasSubstr("revoked"));
  EXPECT_EQ(As(other, {"status"}).exit_code, 0);
}

TEST_F(AccessControlE2eTest, CrlNotFromTheClientCaStopsStartUp) {
  auto stranger = OpensslCa::Create(temp_dir() + "/stranger", "Client CA");
  ASSERT_TRUE(stranger.ok()) << stranger.status();
  auto crl = stranger->Crl();
  ASSERT_TRUE(crl.ok()) << crl.status();
  const std::string crl_path = temp_dir() + "/stranger.crl";
  std::ofstream(crl_path) << *crl;
  ASSERT_TRUE(daemon().Stop().has_value());
  WriteConfig(absl::StrCat("[tls]\ncrl = \"", crl_path, "\"\n"));
  CommandResult r = RunSejfd({});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err + r.out, HasSubstr("not signed by a certificate of the "
                                       "client CA file"));
}

// Finding 11: --dev must not put its all-powerful admin certificate on the
// network by accident.
TEST(DevListenerE2eTest, DevRefusesANonLoopbackListener) {
  TempDir tmp;
  const std::string data_dir = tmp.path() + "/data";
  CommandResult r = RunCommand(
      {SejfdBinary(), "--dev", "--data-dir", data_dir, "--listen", "0.0.0.0:0"},
      {}, "", absl::Seconds(30));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("not a loopback address"));
  EXPECT_THAT(r.err, HasSubstr("--dev-allow-remote-listen"));
  // Refused before anything was created.
  EXPECT_FALSE(std::ifstream(data_dir + "/sejf.db").good());
}

}  // namespace
}  // namespace sejf::testing
