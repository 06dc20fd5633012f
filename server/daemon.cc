#include "server/daemon.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <sodium.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/call_interceptor.h"
#include "server/services.h"
#include "server/unix_listener.h"

namespace sejf::server {

namespace {

std::shared_ptr<grpc::ServerCredentials> MutualTlsCredentials(
    const DaemonOptions& options) {
  grpc::SslServerCredentialsOptions ssl(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = options.tls_ca_pem;
  // gRPC wants the key as a std::string and copies it; wipe our copy.
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  pair.private_key = std::string(SecretView(options.tls_key_pem));
  pair.cert_chain = options.tls_cert_pem;
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  auto credentials = grpc::SslServerCredentials(ssl);
  for (auto& p : ssl.pem_key_cert_pairs) {
    sodium_memzero(p.private_key.data(), p.private_key.size());
  }
  return credentials;
}

// "host:port" with the port replaced by `port`.
std::string WithPort(const std::string& address, int port) {
  absl::string_view host = address;
  size_t colon = host.rfind(':');
  if (colon != absl::string_view::npos) host = host.substr(0, colon);
  return absl::StrCat(host, ":", port);
}

}  // namespace

std::size_t GrpcMemoryQuota(int max_request_bytes) {
  return std::max<std::size_t>(
      kMinGrpcMemoryQuota, 16 * static_cast<std::size_t>(max_request_bytes));
}

Daemon::Daemon() = default;

Daemon::~Daemon() { Shutdown(absl::ZeroDuration()); }

absl::StatusOr<std::unique_ptr<Daemon>> Daemon::Start(DaemonOptions options,
                                                      PolicyHolder* policy,
                                                      const Logger* logger,
                                                      DomainServices domain) {
  std::unique_ptr<Daemon> daemon(new Daemon());
  daemon->env_.policy = policy;
  daemon->env_.logger = logger;
  daemon->env_.unix_socket_path = options.unix_socket;
  daemon->env_.dev_mode = options.dev_mode;
  daemon->env_.audit = domain.audit;
  daemon->env_.metrics = options.rpc_metrics;
  daemon->peer_identities_ = std::make_unique<PeerIdentityCache>(
      /*capacity=*/1024, options.revocations);
  daemon->env_.peer_identities = daemon->peer_identities_.get();
  if (options.rate_limit.requests_per_second > 0) {
    daemon->rate_limiter_ =
        std::make_unique<RateLimiter>(options.rate_limit, SystemClock::Get());
    daemon->env_.rate_limiter = daemon->rate_limiter_.get();
  }
  absl::StatusOr<std::unique_ptr<SejfServices>> services =
      SejfServices::Create(daemon->env_, domain);
  if (!services.ok()) return services.status();
  daemon->services_ = *std::move(services);

  if (!options.unix_socket.empty()) {
    auto listener = UnixListener::Bind(options.unix_socket);
    if (!listener.ok()) return listener.status();
    daemon->unix_listener_ = *std::move(listener);
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  grpc::ResourceQuota quota("sejfd");
  quota.SetMaxThreads(options.max_threads);
  // gRPC buffers a request whole before it checks its size (HTTP/2 flow
  // control opens the window to the length the message announces), so the
  // receive limit below alone lets a 100 MB request cost 100 MB. The memory
  // quota bounds what gRPC holds for all calls together: over it, gRPC
  // closes connections (GOAWAY) and cuts the call that does not fit.
  quota.Resize(GrpcMemoryQuota(options.max_request_bytes));
  builder.SetResourceQuota(quota);
  // Keep threads that finished a call polling for the next one (up to the
  // cap) instead of exiting: gRPC's default (at most 2 idle pollers) made
  // every burst of concurrent calls create and destroy threads.
  builder.SetSyncServerOption(
      grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, options.max_threads);
  int bound_port = 0;
  if (!options.tcp_listen.empty()) {
    builder.AddListeningPort(options.tcp_listen, MutualTlsCredentials(options),
                             &bound_port);
  }
  // Requests larger than any the API needs are refused by gRPC before they
  // are parsed (RESOURCE_EXHAUSTED; still logged and audited by the
  // interceptor when gRPC lets it see the call); what they cost while being
  // read is bounded by the memory quota above.
  builder.SetMaxReceiveMessageSize(options.max_request_bytes);
  // Sees the calls no handler runs for: unparsable requests, unknown
  // methods (call_interceptor.h).
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(
      std::make_unique<CallInterceptorFactory>(&daemon->env_));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  daemon->services_->RegisterWith(builder);
  daemon->server_ = builder.BuildAndStart();
  if (daemon->server_ == nullptr ||
      (!options.tcp_listen.empty() && bound_port == 0)) {
    daemon->server_.reset();
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.tcp_listen,
                     " (address in use, or not an address of this machine?)"));
  }
  if (!options.tcp_listen.empty()) {
    daemon->tcp_address_ = WithPort(options.tcp_listen, bound_port);
  }
  auto* health = daemon->server_->GetHealthCheckService();
  health->SetServingStatus(true);
  for (const std::string& name : SejfServices::ServiceNames()) {
    health->SetServingStatus(name, true);
  }
  if (daemon->unix_listener_) {
    daemon->unix_listener_->Start(daemon->server_.get());
  }
  // Metrics and health over HTTP (server/http/), after gRPC serves: a
  // /readyz that answers means the RPCs are served too.
  if (!options.metrics_listen.empty()) {
    if (options.metrics_registry == nullptr || options.readiness == nullptr) {
      return absl::FailedPreconditionError(
          "metrics.listen is set but sejfd has no metrics registry");
    }
    auto http = HttpListener::Start(
        {.name = "metrics", .address = options.metrics_listen},
        HealthRoutes(options.metrics_registry, options.readiness));
    if (!http.ok()) return http.status();  // ~Daemon stops gRPC
    daemon->metrics_listener_ = *std::move(http);
    daemon->metrics_address_ = daemon->metrics_listener_->address();
  }
  return daemon;
}

void Daemon::Shutdown(absl::Duration grace) {
  if (stopped_ || server_ == nullptr) return;
  stopped_ = true;
  // Load balancers and `sejf status` see NOT_SERVING while calls drain;
  // HTTP probes find the metrics listener gone.
  if (metrics_listener_) metrics_listener_->Stop();
  server_->GetHealthCheckService()->SetServingStatus(false);
  if (unix_listener_) unix_listener_->Stop();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_->Wait();
}

}  // namespace sejf::server
