// One small HTTP(S) listener for sejfd's non-gRPC endpoints (metrics and
// health, the drop-off page), on Debian's cpp-httplib. Its types stay in
// http_listener.cc: callers see plain requests, responses and routes.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<HttpListener> http,
//       HttpListener::Start({.name = "metrics", .address = "127.0.0.1:9464"},
//                           {{"GET", "/healthz", [](const HttpRequest&) {
//                               return HttpResponse{.body = "ok\n"};
//                             }}}));
//   ... http->address() ...   // "127.0.0.1:9464", the port actually bound
//   http->Stop();
//
// Bounds: a fixed pool of `threads` handler threads (accepted connections
// beyond them wait in cpp-httplib's queue, which has no cap of its own;
// each waits at most read_timeout once served), request bodies of at most
// max_request_body_bytes (413), request line and headers as cpp-httplib
// limits them (8 KiB each), read and write timeouts per connection, at most
// keep_alive_max_requests requests per connection. A handler that throws
// answers 500 without the exception's text. Every answer carries
// "Cache-Control: no-store", "X-Content-Type-Options: nosniff" and the
// option's `headers`; one with an empty body has no Content-Type. A path no
// route has answers 404. A request's body is wiped (sodium_memzero) once
// its handler has returned (cpp-httplib's copy once the handler's is made),
// so a secret in it does not outlive the request in either.
//
// Error pages: with `error_page` set, every answer of status 400 or more
// with an empty body gets error_page(status)'s content type and body — the
// listener's own (404 no route, 413 body too long, 400 malformed, 500 a
// handler threw) and a handler's that left its body empty. Unset: those
// bodies stay empty, but for 500's "internal error".
//
// TLS: with `tls` set the listener speaks HTTPS only, TLS 1.2 or later,
// sending that certificate chain (leaf, then the rest) with that key (no
// client certificates).
//
// Thread-safety: handlers run concurrently on the listener's threads and
// must be thread-safe; Stop may be called from any one thread.
#ifndef SEJF_SERVER_HTTP_HTTP_LISTENER_H_
#define SEJF_SERVER_HTTP_HTTP_LISTENER_H_

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/secret.h"

namespace sejf::server {

struct HttpRequest {
  std::string method;  // "GET"
  std::string path;    // "/metrics", without the query
  // Header names in lowercase.
  std::multimap<std::string, std::string> headers;
  std::multimap<std::string, std::string> query;
  std::string body;
  std::string remote_address;  // the client's IP address, "127.0.0.1"
  // The route's {name} segments as this path filled them.
  std::map<std::string, std::string> path_params;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body = {};
  std::vector<std::pair<std::string, std::string>> headers = {};
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpRoute {
  std::string method;  // "GET" or "POST"
  // An exact path of letters, digits and "/-_.", in which a whole segment
  // may be "{name}" (name: letters, digits, "_"): any one non-empty segment
  // of those characters, handed over in HttpRequest::path_params["name"].
  // "/api/d/{id}/open" serves "/api/d/0123abcd/open", not "/api/d/x/y/open".
  std::string path;
  HttpHandler handler;
};

struct HttpTls {
  std::string certificate_chain_pem;  // leaf first
  SecretBytes private_key_pem;
};

struct HttpListenerOptions {
  // For messages: "the metrics listener".
  std::string name = "http";
  // "HOST:PORT" or "[IPV6]:PORT"; port 0 picks a free port.
  std::string address;
  std::optional<HttpTls> tls = std::nullopt;
  int threads = 4;  // at least 1
  std::size_t max_request_body_bytes = 64 << 10;
  absl::Duration read_timeout = absl::Seconds(5);
  absl::Duration write_timeout = absl::Seconds(5);
  int keep_alive_max_requests = 100;
  // Headers every answer carries besides the two above (a page's
  // Content-Security-Policy, Referrer-Policy, ...).
  std::vector<std::pair<std::string, std::string>> headers = {};
  // The content type and body of an error answer (see above); its status
  // and headers are not used. Must be thread-safe.
  std::function<HttpResponse(int status)> error_page = nullptr;
};

class HttpListener {
 public:
  // Binds the address and starts serving `routes` before it returns.
  // INVALID_ARGUMENT for a bad address, route or option, or a certificate
  // or key that does not load (naming which); UNAVAILABLE naming the listener
  // and address when it cannot be bound (in use, or not this machine's).
  static absl::StatusOr<std::unique_ptr<HttpListener>> Start(
      HttpListenerOptions options, std::vector<HttpRoute> routes);
  // Stops (see Stop).
  ~HttpListener();

  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // "127.0.0.1:9464" with the port bound ("[::1]:9464" for IPv6).
  const std::string& address() const { return address_; }
  bool tls() const { return tls_; }

  // Stops accepting, lets running handlers finish, joins the threads.
  // Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit HttpListener(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
  std::string address_;
  bool tls_ = false;
  std::thread thread_;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_HTTP_HTTP_LISTENER_H_
