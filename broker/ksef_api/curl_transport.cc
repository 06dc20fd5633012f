#include "broker/ksef_api/curl_transport.h"

#include <curl/curl.h>
#include <malloc.h>
#include <openssl/ssl.h>
#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sejf::broker {
namespace {

// Pooled handles kept for reuse; more concurrent calls make more handles,
// which are freed when they come back to a full pool.
constexpr std::size_t kMaxIdleHandles = 8;

// libcurl's allocator: every block is wiped before it is freed.
void Wipe(void* p) {
  if (p != nullptr) sodium_memzero(p, malloc_usable_size(p));
}
void* WipingMalloc(size_t size) { return std::malloc(size); }
void WipingFree(void* p) {
  Wipe(p);
  std::free(p);
}
void* WipingRealloc(void* p, size_t size) {
  if (p == nullptr) return std::malloc(size);
  if (size == 0) {
    WipingFree(p);
    return nullptr;
  }
  void* grown = std::malloc(size);
  if (grown == nullptr) return nullptr;
  std::memcpy(grown, p, std::min(size, malloc_usable_size(p)));
  WipingFree(p);
  return grown;
}
char* WipingStrdup(const char* s) {
  std::size_t size = std::strlen(s) + 1;
  char* copy = static_cast<char*>(std::malloc(size));
  if (copy != nullptr) std::memcpy(copy, s, size);
  return copy;
}
void* WipingCalloc(size_t count, size_t size) {
  return std::calloc(count, size);
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

bool Append(Slist& list, const char* header) {
  curl_slist* grown = curl_slist_append(list.get(), header);
  if (grown == nullptr) return false;
  (void)list.release();
  list.reset(grown);
  return true;
}

// OpenSSL wipes the plaintext it decrypted once handed over.
CURLcode CleansePlaintext(CURL*, void* ssl_ctx, void*) {
  SSL_CTX_set_options(static_cast<SSL_CTX*>(ssl_ctx), SSL_OP_CLEANSE_PLAINTEXT);
  return CURLE_OK;
}

struct Collector {
  HttpAnswer answer;
  std::size_t max_bytes = 0;
  bool too_large = false;
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* collector = static_cast<Collector*>(user);
  std::size_t n = size * count;
  SecretBytes& body = collector->answer.body;
  if (body.size() + n > collector->max_bytes) {
    collector->too_large = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  body.insert(body.end(), data, data + n);
  return n;
}

size_t ReadHeader(char* data, size_t size, size_t count, void* user) {
  auto* collector = static_cast<Collector*>(user);
  std::size_t n = size * count;
  absl::string_view line(data, n);
  if (absl::StartsWith(line, "HTTP/")) {
    // A new answer (after a 100 Continue): forget the earlier headers.
    collector->answer.retry_after.reset();
    collector->answer.system_warnings.clear();
    return n;
  }
  std::size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return n;
  absl::string_view name = line.substr(0, colon);
  absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
  if (absl::EqualsIgnoreCase(name, "Retry-After")) {
    collector->answer.retry_after = std::string(value);
  } else if (absl::EqualsIgnoreCase(name, "X-System-Warning") &&
             !value.empty()) {
    collector->answer.system_warnings.emplace_back(value.substr(0, 1024));
  }
  return n;
}

bool IsTlsRefusal(CURLcode code) {
  switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return true;
    default:
      return false;
  }
}

}  // namespace

void InitCurl() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Fails only when out of memory; then every transfer fails cleanly.
    (void)curl_global_init_mem(CURL_GLOBAL_DEFAULT, WipingMalloc, WipingFree,
                               WipingRealloc, WipingStrdup, WipingCalloc);
  });
}

std::string CurlDefaultCaBundle() {
  InitCurl();
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return "";
  char* path = nullptr;
  std::string result;
  if (curl_easy_getinfo(curl, CURLINFO_CAINFO, &path) == CURLE_OK &&
      path != nullptr) {
    result = path;
  }
  curl_easy_cleanup(curl);
  return result;
}

struct CurlTransport::Handle {
  struct Deleter {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
  };
  std::unique_ptr<CURL, Deleter> curl;
};

CurlTransport::CurlTransport(CurlTransportOptions options)
    : options_(std::move(options)) {
  InitCurl();
}

CurlTransport::~CurlTransport() = default;

std::unique_ptr<CurlTransport::Handle> CurlTransport::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Handle> handle = std::move(idle_.back());
      idle_.pop_back();
      return handle;
    }
  }
  auto handle = std::make_unique<Handle>();
  handle->curl.reset(curl_easy_init());
  if (handle->curl == nullptr) return nullptr;
  return handle;
}

void CurlTransport::Release(std::unique_ptr<Handle> handle) {
  absl::MutexLock lock(&mu_);
  if (idle_.size() < kMaxIdleHandles) idle_.push_back(std::move(handle));
}

HttpExchange CurlTransport::Exchange(const HttpRequest& request) {
  HttpExchange exchange;
  std::unique_ptr<Handle> handle = Acquire();
  if (handle == nullptr) {
    exchange.error = "libcurl could not make a handle (out of memory)";
    return exchange;
  }
  CURL* curl = handle->curl.get();
  curl_easy_reset(curl);

  Collector collector;
  collector.max_bytes = options_.max_answer_bytes;
  char error_buffer[CURL_ERROR_SIZE] = {};
  Slist headers;
  bool ok =
      Append(headers, "Accept: application/json") && Append(headers, "Expect:");
  // Without a body type libcurl would call an empty POST a form
  // (application/x-www-form-urlencoded); "Content-Type:" drops the header.
  std::string content_type =
      absl::StrCat("Content-Type:", request.content_type.empty() ? "" : " ",
                   request.content_type);
  ok = ok && Append(headers, content_type.c_str());
  SecretBytes bearer;  // NUL-terminated, for libcurl
  if (request.bearer != nullptr) {
    bearer.reserve(request.bearer->size() + 1);
    bearer.assign(request.bearer->begin(), request.bearer->end());
    bearer.push_back(0);
  }
  if (!ok) {
    exchange.error = "libcurl could not build the headers (out of memory)";
    return exchange;
  }

  curl_easy_setopt(curl, CURLOPT_VERBOSE, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
  curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, &CleansePlaintext);
  if (!options_.ca_pem.empty()) {
    curl_blob blob{const_cast<char*>(options_.ca_pem.data()),
                   options_.ca_pem.size(), CURL_BLOB_NOCOPY};
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
  }
  curl_easy_setopt(
      curl, CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  curl_easy_setopt(
      curl, CURLOPT_TIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(options_.timeout)));
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "sejf");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &collector);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &ReadHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &collector);
  if (request.fresh_connection) {
    curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
  }
  if (!bearer.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
    curl_easy_setopt(curl, CURLOPT_XOAUTH2_BEARER,
                     reinterpret_cast<const char*>(bearer.data()));
  }
  if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS,
                     request.body.empty() ? "" : request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  } else if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    std::string method(request.method);  // libcurl copies it
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  }

  CURLcode code = curl_easy_perform(curl);

  // libcurl's copy of the bearer goes now (wiped by the allocator), not at
  // the next reset.
  curl_easy_setopt(curl, CURLOPT_XOAUTH2_BEARER, nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);

  if (code == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    collector.answer.status = static_cast<int>(status);
    exchange.answer = std::move(collector.answer);
  } else {
    // On a fresh connection the request leaves only after the TLS
    // handshake; a reused one may have carried it before failing.
    curl_off_t app_connect = 0;
    curl_off_t pretransfer = 0;
    curl_easy_getinfo(curl, CURLINFO_APPCONNECT_TIME_T, &app_connect);
    curl_easy_getinfo(curl, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
    exchange.may_have_been_sent =
        !request.fresh_connection || app_connect > 0 || pretransfer > 0;
    exchange.tls_refused = IsTlsRefusal(code);
    exchange.timed_out = code == CURLE_OPERATION_TIMEDOUT;
    exchange.too_large = collector.too_large;
    if (IsTlsRefusal(code) || code == CURLE_COULDNT_CONNECT ||
        code == CURLE_COULDNT_RESOLVE_HOST ||
        code == CURLE_COULDNT_RESOLVE_PROXY) {
      exchange.may_have_been_sent = false;
    }
    exchange.error = error_buffer[0] != '\0'
                         ? std::string(error_buffer)
                         : std::string(curl_easy_strerror(code));
  }
  Release(std::move(handle));
  return exchange;
}

}  // namespace sejf::broker
