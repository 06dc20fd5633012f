// server::DropoffListener: the drop-off page's own HTTPS listener ([dropoff]
// listen; issue 15, docs/dropoff.md), on Debian's cpp-httplib.
//
// TLS with the server's certificate (chain) and key ([tls] cert, key), TLS
// 1.2 or later, no client certificate: the link's secret is the authority.
// Routes (anything else: 404):
//   GET  /d/<id>                    the page (dropoff_page.html)
//   GET  /dropoff.js, /dropoff_key.js, /dropoff.css  its scripts and style
//   POST /api/d/<id>/open           DropoffPortal::Open
//   POST /api/d/<id>/submit         DropoffPortal::Submit
// <id> is 16 lowercase hex digits. Every response carries
//   Content-Security-Policy: default-src 'none'; script-src 'self';
//     style-src 'self'; connect-src 'self'; img-src 'self';
//     form-action 'none'; frame-ancestors 'none'; base-uri 'none'
//   Referrer-Policy: no-referrer, Cache-Control: no-store,
//   X-Content-Type-Options: nosniff, X-Frame-Options: DENY,
//   Strict-Transport-Security: max-age=31536000.
// Request bodies over 16 KiB are refused (413). The page's assets are
// compiled in (page/, embedded at build time). A request body is wiped after
// its handler ran.
//
// Thread-safety: Start returns a serving listener; Stop may be called from
// any one thread (the destructor stops too).
#ifndef SEJF_SERVER_DROPOFF_DROPOFF_LISTENER_H_
#define SEJF_SERVER_DROPOFF_DROPOFF_LISTENER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "common/secret.h"
#include "server/dropoff/dropoff_portal.h"

namespace httplib {
class SSLServer;
}  // namespace httplib

namespace sejf::server {

struct DropoffListenerOptions {
  std::string listen;        // "HOST:PORT"; port 0 picks one
  std::string cert_pem;      // the certificate, then its chain
  SecretBytes key_pem = {};  // the private key
};

inline constexpr std::size_t kMaxDropoffRequestBytes = 16 * 1024;

class DropoffListener {
 public:
  // Binds and starts serving; `portal` must outlive the listener.
  // INVALID_ARGUMENT for a bad address or certificate/key; UNAVAILABLE when
  // the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<DropoffListener>> Start(
      const DropoffListenerOptions& options, DropoffPortal* portal);
  ~DropoffListener();

  // "HOST:PORT" with the port actually bound.
  const std::string& address() const { return address_; }

  // Stops accepting and waits for the serving thread; idempotent.
  void Stop();

 private:
  DropoffListener() = default;

  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  std::string address_;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_DROPOFF_DROPOFF_LISTENER_H_
