// One HTTPS request and its answer on libcurl, for KsefHttpApi: no retries
// and no knowledge of KSeF (ksef_http_api.h decides what an answer means).
//
// TLS is always verified: peer and host name (CURLOPT_SSL_VERIFYPEER,
// VERIFYHOST 2), TLS 1.2 at least, https only, no redirects followed. The
// trust anchors: libcurl's defaults (Debian: the bundle
// /etc/ssl/certs/ca-certificates.crt and the hashed directory /etc/ssl/certs)
// or, when `ca_pem` is set, that PEM text as CURLOPT_CAINFO_BLOB plus
// libcurl's default CA path. In libcurl 7.88 with OpenSSL a CAINFO_BLOB
// replaces CAINFO (vtls/openssl.c populate_x509_store: "CURLOPT_CAINFO_BLOB
// overrides CURLOPT_CAINFO") while CAPATH still applies; so the caller puts
// the system bundle and its extra anchors into `ca_pem` together (see
// KsefHttpApi::Create), and both are trusted on every host.
//
// A proxy named by the environment (https_proxy, no_proxy) is used as libcurl
// does; TLS is verified end to end through it (a TLS-inspecting proxy's CA
// goes into `ca_pem`).
//
// Secrets. The bearer goes to libcurl as CURLOPT_XOAUTH2_BEARER with
// CURLAUTH_BEARER from a NUL-terminated zeroing copy. libcurl keeps its own
// copies — the option string (strdup), the "Authorization: Bearer …" header
// it builds, the request buffer — and frees them without wiping; InitCurl
// therefore gives libcurl an allocator that wipes every block it frees
// (curl_global_init_mem; glibc's malloc_usable_size gives the size), and the
// option is cleared right after each request. OpenSSL's copy of received
// plaintext is wiped too (SSL_OP_CLEANSE_PLAINTEXT). Answers are collected
// into SecretBytes. CURLOPT_VERBOSE stays off; curl's error text (which never
// holds a header) is the only text of libcurl's that reaches a message.
//
// Thread-safety: Exchange may be called from many threads at once: each call
// takes an easy handle from a pool (a handle keeps its connections alive for
// the next call that takes it).
#ifndef SEJF_BROKER_KSEF_API_CURL_TRANSPORT_H_
#define SEJF_BROKER_KSEF_API_CURL_TRANSPORT_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/secret.h"

namespace sejf::broker {

// libcurl's global initialisation with the wiping allocator, once per
// process (later calls do nothing). KsefHttpApi::Create calls it; whoever
// else uses libcurl in sejfd must call it before.
void InitCurl();

// The CA bundle libcurl was built to use (CURLINFO_CAINFO), e.g.
// "/etc/ssl/certs/ca-certificates.crt"; empty when it has none.
std::string CurlDefaultCaBundle();

struct HttpRequest {
  absl::string_view method;  // "GET", "POST" or "DELETE"
  std::string url;
  absl::string_view body = {};          // POST only; not copied
  absl::string_view content_type = {};  // of the body
  // Sent as "Authorization: Bearer <token>" when set; the token must be
  // printable ASCII without spaces (the caller checks).
  const SecretBytes* bearer = nullptr;
  // A new connection, closed after this request: nothing of an earlier
  // request's connection (and no libcurl-internal resend on a reused
  // connection that died) can touch it.
  bool fresh_connection = false;
};

struct HttpAnswer {
  int status = 0;
  SecretBytes body;
  std::optional<std::string> retry_after;    // the header's value
  std::vector<std::string> system_warnings;  // X-System-Warning values
};

struct HttpExchange {
  std::optional<HttpAnswer> answer;  // set when an HTTP answer came
  // When none came: libcurl's reason ("Connection refused", …), and what
  // kind of failure it was.
  std::string error = {};
  bool tls_refused = false;  // the server's certificate was not trusted
  bool timed_out = false;
  bool too_large = false;  // the answer exceeded max_answer_bytes
  // Whether the request may have reached the server (the TLS handshake had
  // completed, or the connection was reused): false only when it provably
  // did not.
  bool may_have_been_sent = false;
};

struct CurlTransportOptions {
  std::string ca_pem = {};  // empty: libcurl's default trust anchors
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration timeout = absl::Seconds(30);  // whole exchange
  std::size_t max_answer_bytes = std::size_t{4} << 20;
};

class CurlTransport {
 public:
  // Calls InitCurl().
  explicit CurlTransport(CurlTransportOptions options);
  ~CurlTransport();
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  HttpExchange Exchange(const HttpRequest& request);

 private:
  struct Handle;
  std::unique_ptr<Handle> Acquire();
  void Release(std::unique_ptr<Handle> handle);

  const CurlTransportOptions options_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Handle>> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sejf::broker

#endif  // SEJF_BROKER_KSEF_API_CURL_TRANSPORT_H_
