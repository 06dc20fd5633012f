#include "server/dropoff/dropoff_listener.h"

#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sodium.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/openssl_ptr.h"
#include "server/config/host_port.h"
#include "server/dropoff/dropoff_page_assets.h"

namespace sejf::server {
namespace {

constexpr char kIdPattern[] = "([0-9a-f]{16})";
constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; img-src 'self'; form-action 'none'; "
    "frame-ancestors 'none'; base-uri 'none'";

// Loads the certificate chain and key into `ctx`; false when either does not
// parse or they do not match.
bool UseCertificateAndKey(SSL_CTX& ctx, const std::string& cert_pem,
                          const SecretBytes& key_pem) {
  BioPtr certs(
      BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  X509Ptr leaf(PEM_read_bio_X509(certs.get(), nullptr, nullptr, nullptr));
  if (leaf == nullptr || SSL_CTX_use_certificate(&ctx, leaf.get()) != 1) {
    return false;
  }
  while (X509* chain =
             PEM_read_bio_X509(certs.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(&ctx, chain) != 1) {
      X509_free(chain);
      return false;
    }
  }
  BioPtr key_bio(
      BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  EvpPkeyPtr key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  return key != nullptr && SSL_CTX_use_PrivateKey(&ctx, key.get()) == 1 &&
         SSL_CTX_check_private_key(&ctx) == 1 &&
         SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION) == 1;
}

void Reply(httplib::Response& res, const PortalResponse& answer) {
  res.status = answer.http_status;
  res.set_content(answer.json, "application/json");
}

// The request body wiped once its handler ran (it held the link's secret).
void WipeBody(const httplib::Request& req) {
  std::string& body = const_cast<std::string&>(req.body);
  sodium_memzero(body.data(), body.size());
}

}  // namespace

absl::StatusOr<std::unique_ptr<DropoffListener>> DropoffListener::Start(
    const DropoffListenerOptions& options, DropoffPortal* portal) {
  absl::StatusOr<HostPort> address = ParseHostPort(options.listen);
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("dropoff.listen: ", address.status().message()));
  }
  bool tls_ok = false;
  std::unique_ptr<DropoffListener> listener(new DropoffListener());
  listener->server_ = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
    tls_ok = UseCertificateAndKey(ctx, options.cert_pem, options.key_pem);
    return tls_ok;
  });
  if (!tls_ok || !listener->server_->is_valid()) {
    return absl::InvalidArgumentError(
        "dropoff: the TLS certificate or key ([tls] cert, key) cannot be "
        "used for the drop-off listener");
  }
  httplib::SSLServer& server = *listener->server_;
  server.set_payload_max_length(kMaxDropoffRequestBytes);
  server.set_read_timeout(10, 0);
  server.set_write_timeout(10, 0);
  server.set_default_headers({
      {"Content-Security-Policy", kContentSecurityPolicy},
      {"Referrer-Policy", "no-referrer"},
      {"Cache-Control", "no-store"},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Strict-Transport-Security", "max-age=31536000"},
  });
  server.Get(absl::StrCat("/d/", kIdPattern), [](const httplib::Request&,
                                                 httplib::Response& res) {
    res.set_content(std::string(kDropoffPageHtml), "text/html; charset=utf-8");
  });
  server.Get("/dropoff.js",
             [](const httplib::Request&, httplib::Response& res) {
               res.set_content(std::string(kDropoffPageJs),
                               "text/javascript; charset=utf-8");
             });
  server.Get("/dropoff_key.js",
             [](const httplib::Request&, httplib::Response& res) {
               res.set_content(std::string(kDropoffPageKeyJs),
                               "text/javascript; charset=utf-8");
             });
  server.Get("/dropoff.css", [](const httplib::Request&,
                                httplib::Response& res) {
    res.set_content(std::string(kDropoffPageCss), "text/css; charset=utf-8");
  });
  // Browsers ask for it; nothing to show.
  server.Get("/favicon.ico", [](const httplib::Request&,
                                httplib::Response& res) { res.status = 204; });
  server.Post(absl::StrCat("/api/d/", kIdPattern, "/open"),
              [portal](const httplib::Request& req, httplib::Response& res) {
                Reply(res, portal->Open(req.matches[1].str(), req.body,
                                        req.remote_addr));
                WipeBody(req);
              });
  server.Post(absl::StrCat("/api/d/", kIdPattern, "/submit"),
              [portal](const httplib::Request& req, httplib::Response& res) {
                Reply(res, portal->Submit(req.matches[1].str(), req.body,
                                          req.remote_addr));
                WipeBody(req);
              });
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      res.set_content(absl::StrCat("{\"error\":\"HTTP ", res.status, "\"}"),
                      "application/json");
    }
  });
  int port = address->port;
  if (port == 0) {
    port = server.bind_to_any_port(address->host);
    if (port <= 0) port = -1;
  } else if (!server.bind_to_port(address->host, port)) {
    port = -1;
  }
  if (port < 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options.listen,
        " for drop-off links (address in use, or not an address of this "
        "machine?)"));
  }
  const bool ipv6 = address->host.find(':') != std::string::npos;
  listener->address_ = ipv6 ? absl::StrCat("[", address->host, "]:", port)
                            : absl::StrCat(address->host, ":", port);
  listener->thread_ = std::thread([&server] { server.listen_after_bind(); });
  return listener;
}

DropoffListener::~DropoffListener() { Stop(); }

void DropoffListener::Stop() {
  if (server_ == nullptr) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace sejf::server
