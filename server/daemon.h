// The running sejfd: a gRPC server with its listeners and services.
//
// Start() binds every listener before it returns, so a caller may print the
// addresses and know they accept connections. Shutdown() is the graceful
// stop of the style guide: health NOT_SERVING, stop accepting, let in-flight
// calls finish within the grace period, then cancel the rest.
#ifndef SEJF_SERVER_DAEMON_H_
#define SEJF_SERVER_DAEMON_H_

#include <grpcpp/server.h>

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/metrics/metrics.h"
#include "common/secret.h"
#include "server/domain_services.h"
#include "server/http/health_routes.h"
#include "server/http/http_listener.h"
#include "server/rate_limiter.h"
#include "server/rpc_call.h"
#include "server/rpc_metrics.h"
#include "server/services.h"
#include "server/tls/revocation_list.h"

namespace sejf::server {

// The default largest request message sejfd reads (1 MiB; [server]
// max_request_bytes). The largest requests the API has — Ministry
// certificate files, certificate chains — are a few tens of kilobytes;
// gRPC's default is 4 MiB. Larger ones get RESOURCE_EXHAUSTED.
inline constexpr int kMaxRequestMessageSize = 1 << 20;

// The memory gRPC may hold for the buffers of all calls in flight (its
// ResourceQuota): at least 32 MiB, and room for 16 requests of the largest
// size. gRPC reads a request whole before checking its size; the quota is
// what stops a 100 MB request from costing 100 MB (docs/reliability.md).
inline constexpr std::size_t kMinGrpcMemoryQuota = std::size_t{32} << 20;
std::size_t GrpcMemoryQuota(int max_request_bytes);

struct DaemonOptions {
  // "HOST:PORT" for mutual TLS; "" for none. Port 0 picks a free port.
  std::string tcp_listen;
  // PEM of the CA that client certificates must chain to, and the server's
  // certificate and key. Required with tcp_listen.
  std::string tls_ca_pem;
  std::string tls_cert_pem;
  SecretBytes tls_key_pem;
  // Absolute path of the unix socket; "" for none.
  std::string unix_socket;
  // Cap on the gRPC sync server's threads; idle ones stay to serve the next
  // calls.
  int max_threads = 64;
  // The largest request message read (server.max_request_bytes).
  int max_request_bytes = kMaxRequestMessageSize;
  // Per-identity request rate limit ([limits]); requests_per_second 0: none.
  RateLimit rate_limit;
  bool dev_mode = false;
  // The client-certificate CRLs in force (tls.crl); null or empty: none.
  // Must outlive the Daemon.
  const RevocationHolder* revocations = nullptr;
  // Metrics (issue 16; docs/metrics.md). "HOST:PORT" of the HTTP listener
  // of /metrics, /healthz and /readyz ([metrics] listen); "" for none.
  // With it, registry and readiness must be set; rpc_metrics counts every
  // RPC when set. All must outlive the Daemon.
  std::string metrics_listen;
  const metrics::Registry* metrics_registry = nullptr;
  Readiness* readiness = nullptr;
  RpcMetrics* rpc_metrics = nullptr;
};

// Thread-safety: Shutdown may be called from any one thread while others
// serve; the accessors are safe at any time after Start.
class Daemon {
 public:
  // `policy`, `logger` and every object of `domain` (none null) must
  // outlive the Daemon. FAILED_PRECONDITION naming a missing one
  // (SejfServices::Create); FAILED_PRECONDITION or UNAVAILABLE naming the
  // address when a listener cannot be bound.
  static absl::StatusOr<std::unique_ptr<Daemon>> Start(DaemonOptions options,
                                                       PolicyHolder* policy,
                                                       const Logger* logger,
                                                       DomainServices domain);
  ~Daemon();

  // "127.0.0.1:7443" with the port actually bound; "" without TCP.
  const std::string& tcp_address() const { return tcp_address_; }
  const std::string& unix_socket() const { return env_.unix_socket_path; }
  // "127.0.0.1:9464" with the port bound; "" without a metrics listener.
  const std::string& metrics_address() const { return metrics_address_; }

  // Graceful stop; idempotent.
  void Shutdown(absl::Duration grace);

 private:
  Daemon();

  std::unique_ptr<PeerIdentityCache> peer_identities_;
  std::unique_ptr<RateLimiter> rate_limiter_;
  ServiceEnvironment env_;
  std::unique_ptr<SejfServices> services_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<class UnixListener> unix_listener_;
  std::unique_ptr<HttpListener> metrics_listener_;
  std::string tcp_address_;
  std::string metrics_address_;
  bool stopped_ = false;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_DAEMON_H_
