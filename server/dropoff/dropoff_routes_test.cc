// The drop-off page's routes on a real HttpListener over HTTPS, asked by
// curl (a client independent of ours): the URLs, headers, status codes,
// error bodies and limits a browser meets. The portal behind them runs over
// the real vault parts in memory; the page in a browser is
// tests/dropoff_e2e_test.cc.
#include "server/dropoff/dropoff_routes.h"

#include <fcntl.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/crypto_init.h"
#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hsm/testing/fake_key_store.h"
#include "nlohmann/json.hpp"
#include "server/tls/certificate_issuer.h"
#include "vault/crypto/keyring.h"
#include "vault/storage/memory_storage.h"

namespace sejf::server {
namespace {

using ::sejf::testing::CommandResult;
using ::sejf::testing::RunCommand;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kCsp[] =
    "Content-Security-Policy: default-src 'none'; script-src 'self'; "
    "style-src 'self'; connect-src 'self'; img-src 'self'; form-action "
    "'none'; frame-ancestors 'none'; base-uri 'none'\r\n";

// The page only shows the import key here; nothing is decrypted.
class FixedImportKey final : public DropoffImportKey {
 public:
  absl::StatusOr<std::string> PublicKey() override { return "spki-der"; }
  absl::StatusOr<SecretBytes> Decrypt(absl::string_view) override {
    return absl::InvalidArgumentError("does not decrypt");
  }
};

class DropoffRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    keyring_ = *vault::Keyring::Open(&storage_, &keys_, &clock_);
    tokens_ = *vault::TokenVault::Open(&storage_, keyring_.get(), &clock_);
    audit_ = *vault::AuditLog::Open(&storage_, &keys_, &clock_);
    portal_ =
        std::make_unique<DropoffPortal>(&store_, tokens_.get(), &custody_,
                                        &import_key_, audit_.get(), &logger_);
    auto link = store_.Create({.target_name = "acme-dropped",
                               .context = "nip:5265877635",
                               .created_by = "admin",
                               .lifetime = absl::Hours(1)});
    ASSERT_TRUE(link.ok()) << link.status();
    id_ = link->dropoff.id;
    secret_ = std::string(SecretView(link->secret));

    const Clock& clock = SystemClock::Get();
    auto ca =
        CreateCertificateAuthority("dropoff test CA", absl::Hours(1), clock);
    ASSERT_TRUE(ca.ok()) << ca.status();
    CertificateSpec spec;
    spec.common_name = "localhost";
    spec.ip_sans = {"127.0.0.1"};
    spec.usage = CertificateUsage::kServer;
    auto leaf =
        IssueCertificate(ca->certificate_pem, ca->private_key_pem, spec, clock);
    ASSERT_TRUE(leaf.ok()) << leaf.status();
    ca_file_ = dir_.Write("ca.pem", ca->certificate_pem);
    auto listener = HttpListener::Start(
        DropoffListenerOptions(
            "127.0.0.1:0",
            HttpTls{.certificate_chain_pem = leaf->certificate_pem,
                    .private_key_pem = leaf->private_key_pem}),
        DropoffRoutes(portal_.get()));
    ASSERT_TRUE(listener.ok()) << listener.status();
    listener_ = *std::move(listener);
    base_ = "https://" + listener_->address();
  }

  // curl's "-i" output for `path`, trusting the test CA.
  CommandResult Curl(const std::string& path,
                     std::vector<std::string> args = {}) {
    std::vector<std::string> argv = {"/usr/bin/curl", "-sS",       "-i",
                                     "--max-time",    "20",        "--cacert",
                                     ca_file_,        base_ + path};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv);
  }

  FakeClock clock_{absl::Now()};
  vault::MemoryStorage storage_{clock_};
  hsm::testing::FakeKeyStore keys_;
  std::unique_ptr<vault::Keyring> keyring_;
  std::unique_ptr<vault::TokenVault> tokens_;
  std::unique_ptr<vault::AuditLog> audit_;
  vault::DropoffStore store_{&storage_, &clock_};
  signer::KeyCustody custody_{&keys_, &storage_, &clock_};
  FixedImportKey import_key_;
  Logger logger_{/*json=*/false, open("/dev/null", O_WRONLY)};
  std::unique_ptr<DropoffPortal> portal_;
  sejf::testing::TempDir dir_;
  std::string ca_file_;
  std::unique_ptr<HttpListener> listener_;
  std::string base_;
  std::string id_;
  std::string secret_;
};

TEST_F(DropoffRoutesTest, ThePageAndItsFilesCarryThePageHeaders) {
  CommandResult page = Curl("/d/" + id_);
  ASSERT_EQ(page.exit_code, 0) << page.err;
  EXPECT_THAT(page.out, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(page.out,
              HasSubstr("Content-Type: text/html; charset=utf-8\r\n"));
  EXPECT_THAT(page.out, HasSubstr("<html"));
  for (const char* header :
       {kCsp, "Referrer-Policy: no-referrer\r\n", "Cache-Control: no-store\r\n",
        "X-Content-Type-Options: nosniff\r\n", "X-Frame-Options: DENY\r\n",
        "Strict-Transport-Security: max-age=31536000\r\n"}) {
    EXPECT_THAT(page.out, HasSubstr(header));
  }
  for (const auto& [path, type] :
       std::vector<std::pair<std::string, std::string>>{
           {"/dropoff.js", "text/javascript; charset=utf-8"},
           {"/dropoff_key.js", "text/javascript; charset=utf-8"},
           {"/dropoff.css", "text/css; charset=utf-8"}}) {
    CommandResult file = Curl(path);
    EXPECT_THAT(file.out, HasSubstr("HTTP/1.1 200")) << path;
    EXPECT_THAT(file.out, HasSubstr("Content-Type: " + type + "\r\n")) << path;
    EXPECT_THAT(file.out, HasSubstr(kCsp)) << path;
  }
  CommandResult icon = Curl("/favicon.ico");
  EXPECT_THAT(icon.out, HasSubstr("HTTP/1.1 204"));
  EXPECT_THAT(icon.out, Not(HasSubstr("\r\nContent-Type:")));
}

TEST_F(DropoffRoutesTest, UnknownPathsAndMalformedIdsAnswerJson404) {
  for (const std::string& path :
       {std::string("/nothing"), std::string("/d/0123456789ABCDEF"),
        std::string("/d/0123456789abcde"), "/d/" + id_ + "/more"}) {
    CommandResult r = Curl(path);
    EXPECT_THAT(r.out, HasSubstr("HTTP/1.1 404")) << path;
    EXPECT_THAT(r.out, HasSubstr("Content-Type: application/json\r\n")) << path;
    EXPECT_THAT(r.out, HasSubstr(kCsp)) << path;
    EXPECT_THAT(r.out, HasSubstr("\r\n\r\n{\"error\":\"HTTP 404\"}")) << path;
  }
  CommandResult upper = Curl("/api/d/0123456789abcdeF/open",
                             {"--data-binary", "{\"secret\":\"x\"}"});
  EXPECT_THAT(upper.out, HasSubstr("\r\n\r\n{\"error\":\"HTTP 404\"}"));
  // A well-formed id the store does not know: the portal's own answer.
  CommandResult unknown = Curl("/api/d/0123456789abcdef/open",
                               {"--data-binary", "{\"secret\":\"x\"}"});
  EXPECT_THAT(unknown.out, HasSubstr("HTTP/1.1 404"));
  EXPECT_THAT(unknown.out, HasSubstr("no such drop-off link"));
}

TEST_F(DropoffRoutesTest, OpenReachesThePortalWithTheClientAddress) {
  CommandResult r =
      Curl("/api/d/" + id_ + "/open",
           {"--data-binary", absl::StrCat("{\"secret\":\"", secret_, "\"}")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(r.out, HasSubstr("Content-Type: application/json\r\n"));
  nlohmann::json j =
      nlohmann::json::parse(r.out.substr(r.out.find("\r\n\r\n") + 4));
  EXPECT_EQ(j["kind"], "token");
  EXPECT_EQ(j["name"], "acme-dropped");
  auto page = audit_->List({}, 100, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_FALSE(page->events.empty());
  EXPECT_THAT(page->events.back().detail, HasSubstr("from 127.0.0.1"));
}

TEST_F(DropoffRoutesTest, BodiesOverSixteenKiBAreRefusedAndNothingChanges) {
  const std::string big =
      absl::StrCat("{\"secret\":\"", secret_, "\",\"x\":\"",
                   std::string(kMaxDropoffRequestBytes, 'x'), "\"}");
  CommandResult r = Curl("/api/d/" + id_ + "/submit", {"--data-binary", big});
  EXPECT_THAT(r.out, HasSubstr("HTTP/1.1 413"));
  EXPECT_THAT(r.out, HasSubstr("\r\n\r\n{\"error\":\"HTTP 413\"}"));
  EXPECT_EQ(store_.Get(id_)->record.state, vault::DropoffState::kPending);
  EXPECT_EQ(store_.Get(id_)->record.attempts, 0);
}

TEST_F(DropoffRoutesTest, PlainHttpAndTls11GetNoPage) {
  CommandResult plain =
      RunCommand({"/usr/bin/curl", "-sS", "--max-time", "20",
                  "http://" + listener_->address() + "/d/" + id_});
  EXPECT_THAT(plain.out, Not(HasSubstr("<html")));
  CommandResult old_tls = Curl(
      "/d/" + id_,
      {"--tlsv1.1", "--tls-max", "1.1", "--ciphers", "DEFAULT@SECLEVEL=0"});
  EXPECT_NE(old_tls.exit_code, 0);
  EXPECT_THAT(old_tls.out, Not(HasSubstr("<html")));
}

}  // namespace
}  // namespace sejf::server
