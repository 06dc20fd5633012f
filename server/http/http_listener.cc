#include "server/http/http_listener.h"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sodium.h>
#include <sys/socket.h>

#include <atomic>
#include <cctype>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
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

using ErrorPage = std::function<HttpResponse(int status)>;

bool IsPathChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
         c == '_' || c == '.';
}

// The regex cpp-httplib matches for a route's `path`, with the names of its
// {name} segments in order in `names`; nullopt when `path` is not one
// HttpRoute allows.
std::optional<std::string> PathPattern(const std::string& path,
                                       std::vector<std::string>& names) {
  if (path.empty() || path[0] != '/') return std::nullopt;
  std::string pattern;
  for (absl::string_view segment : absl::StrSplit(path.substr(1), '/')) {
    pattern += '/';
    if (absl::StartsWith(segment, "{") && absl::EndsWith(segment, "}")) {
      absl::string_view name = segment.substr(1, segment.size() - 2);
      if (name.empty() ||
          !absl::c_all_of(name,
                          [](char c) {
                            return absl::ascii_isalnum(
                                       static_cast<unsigned char>(c)) ||
                                   c == '_';
                          }) ||
          absl::c_linear_search(names, name)) {
        return std::nullopt;
      }
      names.emplace_back(name);
      pattern += "([A-Za-z0-9._-]+)";
      continue;
    }
    for (char c : segment) {
      if (!IsPathChar(c)) return std::nullopt;
      if (c == '.') pattern += '\\';
      pattern += c;
    }
  }
  return pattern;
}

// Only SO_REUSEADDR (restarts while old connections linger in TIME_WAIT);
// cpp-httplib's default also sets SO_REUSEPORT, which would let a second
// process bind an address that is taken.
void ReuseAddressOnly(socket_t sock) {
  int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

// The leaf, the rest of the chain and the key into `ctx`, TLS 1.2 or later;
// false when the chain does not load or the key does not match the leaf.
bool SetUpTls(SSL_CTX& ctx, X509* leaf, BIO* rest_of_chain, EVP_PKEY* key) {
  SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION |
                                SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
  if (SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_use_certificate(&ctx, leaf) != 1) {
    return false;
  }
  while (X509* next =
             PEM_read_bio_X509(rest_of_chain, nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(&ctx, next) != 1) {  // takes `next` when 1
      X509_free(next);
      return false;
    }
  }
  ERR_clear_error();  // the end of the chain reads as an error
  return SSL_CTX_use_PrivateKey(&ctx, key) == 1 &&
         SSL_CTX_check_private_key(&ctx) == 1;
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
  auto server = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
    return SetUpTls(ctx, cert.get(), cert_bio.get(), key.get());
  });
  if (!server->is_valid()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the ", options.name,
        " listener's TLS certificate chain and key do not match or do not "
        "load"));
  }
  return server;
}

void Wipe(std::string& text) { sodium_memzero(text.data(), text.size()); }

HttpRequest ToRequest(const httplib::Request& in,
                      const std::vector<std::string>& param_names) {
  HttpRequest out;
  out.method = in.method;
  out.path = in.path;
  for (const auto& [name, value] : in.headers) {
    out.headers.emplace(absl::AsciiStrToLower(name), value);
  }
  for (const auto& [name, value] : in.params) out.query.emplace(name, value);
  out.body = in.body;
  out.remote_address = in.remote_addr;
  for (std::size_t i = 0; i < param_names.size() && i + 1 < in.matches.size();
       ++i) {
    out.path_params[param_names[i]] = in.matches[i + 1].str();
  }
  return out;
}

// `out`'s body and content type from `page` when it is an error without a
// body.
void FillErrorPage(const ErrorPage& page, httplib::Response& out) {
  if (page == nullptr || out.status < 400 || !out.body.empty()) return;
  HttpResponse made = page(out.status);
  out.headers.erase("Content-Type");
  out.set_content(std::move(made.body), made.content_type);
}

void SetInternalError(const ErrorPage& page, httplib::Response& out) {
  out.status = 500;
  out.body.clear();
  out.headers.erase("Content-Type");
  if (page == nullptr) {
    out.set_content("internal error\n", "text/plain; charset=utf-8");
  } else {
    FillErrorPage(page, out);
  }
}

httplib::Server::Handler Adapt(HttpHandler handler,
                               std::vector<std::string> param_names,
                               ErrorPage error_page) {
  return [handler = std::move(handler), param_names = std::move(param_names),
          error_page = std::move(error_page)](const httplib::Request& in,
                                              httplib::Response& out) {
    // cpp-httplib's Request is its own, not const: its body is wiped too.
    std::string& in_body = const_cast<std::string&>(in.body);
    HttpRequest request = ToRequest(in, param_names);
    Wipe(in_body);
    HttpResponse response;
    try {
      response = handler(request);
    } catch (...) {
      Wipe(request.body);
      SetInternalError(error_page, out);
      return;
    }
    Wipe(request.body);
    out.status = response.status;
    for (const auto& [name, value] : response.headers) {
      out.set_header(name, value);
    }
    if (!response.body.empty()) {
      out.set_content(std::move(response.body), response.content_type);
    } else {
      FillErrorPage(error_page, out);
    }
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
    std::vector<std::string> names;
    std::optional<std::string> pattern = PathPattern(route.path, names);
    if (!pattern || route.handler == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("route \"", route.path, "\" of the ", options.name,
                       " listener is not a plain path with a handler"));
    }
    auto handler =
        Adapt(std::move(route.handler), std::move(names), options.error_page);
    if (route.method == "GET") {
      s.Get(*pattern, std::move(handler));
    } else if (route.method == "POST") {
      s.Post(*pattern, std::move(handler));
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
  httplib::Headers headers = {{"Cache-Control", "no-store"},
                              {"X-Content-Type-Options", "nosniff"}};
  headers.insert(options.headers.begin(), options.headers.end());
  s.set_default_headers(std::move(headers));
  s.set_exception_handler(
      [error_page = options.error_page](
          const httplib::Request&, httplib::Response& out, std::exception_ptr) {
        SetInternalError(error_page, out);
      });
  if (options.error_page != nullptr) {
    s.set_error_handler([error_page = options.error_page](
                            const httplib::Request&, httplib::Response& out) {
      FillErrorPage(error_page, out);
    });
  }

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
