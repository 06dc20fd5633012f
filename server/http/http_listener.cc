#include "server/http/http_listener.h"

#include <httplib.h>
#include <openssl/pem.h>
#include <sys/socket.h>

#include <atomic>
#include <cctype>
#include <exception>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/openssl_ptr.h"
#include "server/config/host_port.h"

namespace sejf::server {

struct HttpListener::Impl {
  std::unique_ptr<httplib::Server> server;
  std::atomic<bool> exited{false};
  bool stopped = false;
};

namespace {

bool IsPlainPath(const std::string& path) {
  if (path.empty() || path[0] != '/') return false;
  for (char c : path) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '/' ||
          c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

// Only SO_REUSEADDR (restarts while old connections linger in TIME_WAIT);
// cpp-httplib's default also sets SO_REUSEPORT, which would let a second
// process bind an address that is taken.
void ReuseAddressOnly(socket_t sock) {
  int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

absl::StatusOr<std::unique_ptr<httplib::Server>> NewServer(
    const HttpListenerOptions& options) {
  if (!options.tls) return std::make_unique<httplib::Server>();
  BioPtr cert_bio(BIO_new_mem_buf(options.tls->certificate_chain_pem.data(),
                                  options.tls->certificate_chain_pem.size()));
  X509Ptr cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  absl::string_view key_pem = SecretView(options.tls->private_key_pem);
  BioPtr key_bio(BIO_new_mem_buf(key_pem.data(), key_pem.size()));
  EvpPkeyPtr key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr || key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", options.name, " listener's TLS ",
                     cert == nullptr ? "certificate" : "key",
                     " is not PEM that OpenSSL can read"));
  }
  // SSL_CTX_use_certificate/PrivateKey take references of their own.
  auto server = std::make_unique<httplib::SSLServer>(cert.get(), key.get());
  if (!server->is_valid()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", options.name,
                     " listener's TLS certificate and key do not match"));
  }
  return server;
}

HttpRequest ToRequest(const httplib::Request& in) {
  HttpRequest out;
  out.method = in.method;
  out.path = in.path;
  for (const auto& [name, value] : in.headers) {
    out.headers.emplace(absl::AsciiStrToLower(name), value);
  }
  for (const auto& [name, value] : in.params) out.query.emplace(name, value);
  out.body = in.body;
  out.remote_address = in.remote_addr;
  return out;
}

httplib::Server::Handler Adapt(HttpHandler handler) {
  return [handler = std::move(handler)](const httplib::Request& in,
                                        httplib::Response& out) {
    HttpResponse response;
    try {
      response = handler(ToRequest(in));
    } catch (...) {
      response = HttpResponse{.status = 500, .body = "internal error\n"};
    }
    out.status = response.status;
    for (const auto& [name, value] : response.headers) {
      out.set_header(name, value);
    }
    out.set_content(std::move(response.body), response.content_type);
  };
}

}  // namespace

HttpListener::HttpListener(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

HttpListener::~HttpListener() { Stop(); }

absl::StatusOr<std::unique_ptr<HttpListener>> HttpListener::Start(
    HttpListenerOptions options, std::vector<HttpRoute> routes) {
  absl::StatusOr<HostPort> host_port = ParseHostPort(options.address);
  if (!host_port.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", options.name, " listener's address \"",
                     options.address, "\" ", host_port.status().message()));
  }
  if (options.threads < 1 || options.keep_alive_max_requests < 1 ||
      options.read_timeout <= absl::ZeroDuration() ||
      options.write_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the ", options.name,
        " listener needs at least one thread, one request per connection "
        "and positive timeouts"));
  }
  auto server = NewServer(options);
  if (!server.ok()) return server.status();
  httplib::Server& s = **server;
  for (HttpRoute& route : routes) {
    if (!IsPlainPath(route.path) || route.handler == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("route \"", route.path, "\" of the ", options.name,
                       " listener is not a plain path with a handler"));
    }
    if (route.method == "GET") {
      s.Get(route.path, Adapt(std::move(route.handler)));
    } else if (route.method == "POST") {
      s.Post(route.path, Adapt(std::move(route.handler)));
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "route ", route.path, ": method ", route.method, " is not served"));
    }
  }
  const int threads = options.threads;
  s.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.set_socket_options(ReuseAddressOnly);
  s.set_payload_max_length(options.max_request_body_bytes);
  s.set_read_timeout(absl::ToChronoSeconds(options.read_timeout));
  s.set_write_timeout(absl::ToChronoSeconds(options.write_timeout));
  s.set_keep_alive_max_count(options.keep_alive_max_requests);
  s.set_default_headers(
      {{"Cache-Control", "no-store"}, {"X-Content-Type-Options", "nosniff"}});
  s.set_exception_handler(
      [](const httplib::Request&, httplib::Response& out, std::exception_ptr) {
        out.status = 500;
        out.set_content("internal error\n", "text/plain; charset=utf-8");
      });

  int port = host_port->port;
  bool bound = false;
  if (port == 0) {
    port = s.bind_to_any_port(host_port->host);
    bound = port > 0;
  } else {
    bound = s.bind_to_port(host_port->host, port);
  }
  if (!bound) {
    return absl::UnavailableError(absl::StrCat(
        "the ", options.name, " listener cannot listen on ", options.address,
        " (address in use, or not an address of this machine?)"));
  }
  auto impl = std::make_unique<Impl>();
  impl->server = *std::move(server);
  std::unique_ptr<HttpListener> listener(new HttpListener(std::move(impl)));
  listener->tls_ = options.tls.has_value();
  const bool v6 = absl::StrContains(host_port->host, ':');
  listener->address_ = v6 ? absl::StrCat("[", host_port->host, "]:", port)
                          : absl::StrCat(host_port->host, ":", port);
  // Bound already: connections wait in the backlog until the loop accepts.
  Impl* impl_ptr = listener->impl_.get();
  listener->thread_ = std::thread([impl_ptr] {
    impl_ptr->server->listen_after_bind();
    impl_ptr->exited = true;
  });
  return listener;
}

void HttpListener::Stop() {
  if (impl_ == nullptr || impl_->stopped) return;
  impl_->stopped = true;
  // cpp-httplib's stop() does nothing before its accept loop runs: repeat
  // it until the loop has returned.
  while (!impl_->exited) {
    impl_->server->stop();
    absl::SleepFor(absl::Milliseconds(1));
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace sejf::server
