// The drop-off page on an HttpListener ([dropoff] listen; issue 15,
// docs/dropoff.md): the listener's options and the page's routes.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<HttpListener> listener,
//       HttpListener::Start(DropoffListenerOptions(listen, tls),
//                           DropoffRoutes(portal)));
//
// HTTPS with the server's certificate (chain) and key ([tls] cert, key), TLS
// 1.2 or later, no client certificate: the link's secret is the authority.
// Routes (anything else: 404):
//   GET  /d/<id>                    the page (dropoff.html)
//   GET  /dropoff.js, /dropoff_key.js, /dropoff.css  its scripts and style
//   GET  /favicon.ico               204 (browsers ask for it)
//   POST /api/d/<id>/open           DropoffPortal::Open
//   POST /api/d/<id>/submit         DropoffPortal::Submit
// <id> is 16 lowercase hex digits. Every answer carries
//   Content-Security-Policy: default-src 'none'; script-src 'self';
//     style-src 'self'; connect-src 'self'; img-src 'self';
//     form-action 'none'; frame-ancestors 'none'; base-uri 'none'
//   Referrer-Policy: no-referrer, Cache-Control: no-store,
//   X-Content-Type-Options: nosniff, X-Frame-Options: DENY,
//   Strict-Transport-Security: max-age=31536000.
// Errors without a body of their own (404, 413, 400, 500) answer
// {"error":"HTTP <status>"} as application/json. Request bodies over 16 KiB
// are refused (413); a request body is wiped once its handler ran (it holds
// the link's secret). 8 handler threads, 10 s read and write timeouts, at
// most 5 requests per connection. The page's assets are compiled in (page/,
// embedded at build time). The client's address goes to the portal for its
// audit.
//
// Thread-safety: the routes are thread-safe (the portal is).
#ifndef SEJF_SERVER_DROPOFF_DROPOFF_ROUTES_H_
#define SEJF_SERVER_DROPOFF_DROPOFF_ROUTES_H_

#include <cstddef>
#include <string>
#include <vector>

#include "server/dropoff/dropoff_portal.h"
#include "server/http/http_listener.h"

namespace sejf::server {

inline constexpr std::size_t kMaxDropoffRequestBytes = 16 * 1024;

// The drop-off listener's options ("the drop-off listener" in its errors)
// for `address` ("HOST:PORT"; port 0 picks one) with `tls`.
HttpListenerOptions DropoffListenerOptions(std::string address, HttpTls tls);

// The page's routes over `portal`, which must outlive them.
std::vector<HttpRoute> DropoffRoutes(DropoffPortal* portal);

}  // namespace sejf::server

#endif  // SEJF_SERVER_DROPOFF_DROPOFF_ROUTES_H_
