// A real mutual-TLS handshake (libssl, in process, over a BIO pair) with the
// development PKI: what sejfd and a client will do with these files.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <string>

#include "common/clock.h"
#include "common/files.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"
#include "common/secret.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/tls/certificate_issuer.h"
#include "server/tls/dev_pki.h"
#include "server/tls/peer_identity.h"
#include "server/tls/pem.h"
#include "server/tls/test_util.h"

namespace sejf::server {
namespace {

using ::testing::HasSubstr;
using tls_test::ScratchDir;
using tls_test::WriteAll;

using SslCtxPtr = OpenSslPtr<SSL_CTX, SSL_CTX_free>;
using SslPtr = OpenSslPtr<SSL, SSL_free>;

// An SSL_CTX presenting `cert`/`key` and requiring a peer certificate that
// chains to `ca`.
SslCtxPtr MakeContext(bool server, const std::string& cert,
                      const std::string& key, const std::string& ca) {
  SslCtxPtr ctx(
      SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  if (!ctx ||
      SSL_CTX_use_certificate_chain_file(ctx.get(), cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM) !=
          1 ||
      SSL_CTX_load_verify_locations(ctx.get(), ca.c_str(), nullptr) != 1) {
    ADD_FAILURE() << "context: " << DrainOpenSslErrors();
    return nullptr;
  }
  SSL_CTX_set_verify(
      ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return ctx;
}

struct Outcome {
  bool ok = false;
  std::string error;            // OpenSSL's reason when !ok
  std::string server_sees_pem;  // the client certificate, as gRPC gets it
};

// Handshakes a client (expecting server name or address `expected_peer`)
// with a server; both must accept the other's certificate.
Outcome Handshake(SSL_CTX* server_ctx, SSL_CTX* client_ctx,
                  const std::string& expected_peer) {
  Outcome out;
  SslPtr server(SSL_new(server_ctx));
  SslPtr client(SSL_new(client_ctx));
  BIO* server_io = nullptr;
  BIO* client_io = nullptr;
  if (!server || !client ||
      BIO_new_bio_pair(&server_io, 0, &client_io, 0) != 1) {
    out.error = DrainOpenSslErrors();
    return out;
  }
  SSL_set_bio(server.get(), server_io, server_io);  // each SSL owns its end
  SSL_set_bio(client.get(), client_io, client_io);
  X509_VERIFY_PARAM* param = SSL_get0_param(client.get());
  if (!X509_VERIFY_PARAM_set1_ip_asc(param, expected_peer.c_str())) {
    ERR_clear_error();
    X509_VERIFY_PARAM_set1_host(param, expected_peer.c_str(), 0);
  }
  SSL_set_accept_state(server.get());
  SSL_set_connect_state(client.get());

  bool server_done = false, client_done = false;
  for (int round = 0; round < 100 && !(server_done && client_done); ++round) {
    for (auto [ssl, done] : {std::pair{client.get(), &client_done},
                             std::pair{server.get(), &server_done}}) {
      if (*done) continue;
      int rc = SSL_do_handshake(ssl);
      if (rc == 1) {
        *done = true;
        continue;
      }
      int err = SSL_get_error(ssl, rc);
      if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
        out.error = DrainOpenSslErrors();
        return out;
      }
    }
  }
  // With TLS 1.3 the server judges the client certificate after the client
  // has finished: exchange one byte each way so that a late rejection shows.
  char byte = 'x';
  if (!server_done || !client_done || SSL_write(client.get(), &byte, 1) != 1 ||
      SSL_read(server.get(), &byte, 1) != 1) {
    out.error = "handshake did not complete: " + DrainOpenSslErrors();
    return out;
  }
  X509Ptr peer(SSL_get1_peer_certificate(server.get()));
  if (!peer) {
    out.error = "server saw no client certificate";
    return out;
  }
  out.ok = SSL_get_verify_result(server.get()) == X509_V_OK &&
           SSL_get_verify_result(client.get()) == X509_V_OK;
  out.server_sees_pem = CertificateToPem(*peer).value_or("");
  return out;
}

class TlsHandshakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EnsureDevPki(dir_, clock_).ok());
    files_ = DevPkiFilesIn(dir_);
    server_ctx_ = MakeContext(true, files_.server_certificate,
                              files_.server_key, files_.ca_certificate);
    ASSERT_NE(server_ctx_, nullptr);
  }

  SslCtxPtr AdminClient() {
    return MakeContext(false, files_.admin_certificate, files_.admin_key,
                       files_.ca_certificate);
  }

  ScratchDir scratch_;
  std::string dir_ = scratch_ / "tls";
  FakeClock clock_{absl::Now()};
  DevPkiFiles files_;
  SslCtxPtr server_ctx_;
};

TEST_F(TlsHandshakeTest, AdminConnectsToLocalhostAndIsIdentifiedAsAdmin) {
  SslCtxPtr client = AdminClient();
  ASSERT_NE(client, nullptr);
  for (const char* peer : {"localhost", "127.0.0.1", "::1"}) {
    Outcome outcome = Handshake(server_ctx_.get(), client.get(), peer);
    ASSERT_TRUE(outcome.ok) << peer << ": " << outcome.error;
    auto identity = IdentityFromCertificatePem(outcome.server_sees_pem);
    ASSERT_TRUE(identity.ok()) << identity.status();
    EXPECT_EQ(*identity, "admin");
  }
}

TEST_F(TlsHandshakeTest, ClientRefusesServerUnderAnotherName) {
  SslCtxPtr client = AdminClient();
  ASSERT_NE(client, nullptr);
  Outcome outcome = Handshake(server_ctx_.get(), client.get(), "example.com");
  EXPECT_FALSE(outcome.ok);
  EXPECT_THAT(outcome.error, HasSubstr("certificate verify failed"));
}

TEST_F(TlsHandshakeTest, IssuedClientCertificateConnectsWithItsIdentity) {
  auto ca_key = ReadSecretFile(files_.ca_key);
  ASSERT_TRUE(ca_key.ok()) << ca_key.status();
  CertificateSpec spec;
  spec.common_name = "erp-1";
  spec.uri_san = "spiffe://acme/erp";
  auto erp = IssueCertificate(tls_test::ReadAll(files_.ca_certificate), *ca_key,
                              spec, clock_);
  ASSERT_TRUE(erp.ok()) << erp.status();
  ASSERT_TRUE(WriteAll(scratch_ / "erp.pem", erp->certificate_pem, 0644));
  ASSERT_TRUE(WriteAll(scratch_ / "erp.key",
                       std::string(SecretView(erp->private_key_pem)), 0600));
  SslCtxPtr client = MakeContext(false, scratch_ / "erp.pem",
                                 scratch_ / "erp.key", files_.ca_certificate);
  ASSERT_NE(client, nullptr);
  Outcome outcome = Handshake(server_ctx_.get(), client.get(), "localhost");
  ASSERT_TRUE(outcome.ok) << outcome.error;
  EXPECT_EQ(*IdentityFromCertificatePem(outcome.server_sees_pem),
            "spiffe://acme/erp");
}

TEST_F(TlsHandshakeTest, ServerRefusesClientOfAnotherCa) {
  ScratchDir other_dir;
  std::string other = other_dir / "tls";
  ASSERT_TRUE(EnsureDevPki(other, clock_).ok());
  DevPkiFiles foreign = DevPkiFilesIn(other);
  // Trusts our server, but presents an "admin" certificate of another CA.
  SslCtxPtr client = MakeContext(false, foreign.admin_certificate,
                                 foreign.admin_key, files_.ca_certificate);
  ASSERT_NE(client, nullptr);
  Outcome outcome = Handshake(server_ctx_.get(), client.get(), "localhost");
  EXPECT_FALSE(outcome.ok);
  EXPECT_THAT(outcome.error, HasSubstr("certificate"));
}

TEST_F(TlsHandshakeTest, ServerCertificateIsRefusedAsClientCertificate) {
  SslCtxPtr client = MakeContext(false, files_.server_certificate,
                                 files_.server_key, files_.ca_certificate);
  ASSERT_NE(client, nullptr);
  Outcome outcome = Handshake(server_ctx_.get(), client.get(), "localhost");
  EXPECT_FALSE(outcome.ok);
  EXPECT_THAT(outcome.error, HasSubstr("certificate"));
}

}  // namespace
}  // namespace sejf::server
