#include "client/client.h"

#include <grpcpp/grpcpp.h>
#include <sodium.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/unary_call.h"
#include "common/files.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "sejf/v1/identity.grpc.pb.h"

namespace sejf::client {
namespace {

absl::StatusOr<std::string> ReadOption(const std::string& path,
                                       absl::string_view option) {
  if (path.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(option, " is required for a HOST:PORT address"));
  }
  return ReadFile(path);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> TlsCredentials(
    const ConnectOptions& options) {
  auto ca = ReadOption(options.ca_file, "--ca (SEJF_CACERT)");
  if (!ca.ok()) return ca.status();
  auto cert = ReadOption(options.cert_file, "--cert (SEJF_CLIENT_CERT)");
  if (!cert.ok()) return cert.status();
  if (options.key_file.empty()) {
    return absl::InvalidArgumentError(
        "--key (SEJF_CLIENT_KEY) is required for a HOST:PORT address");
  }
  auto key = ReadSecretFile(options.key_file);
  if (!key.ok()) return key.status();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = *std::move(ca);
  ssl.pem_cert_chain = *std::move(cert);
  ssl.pem_private_key = std::string(SecretView(*key));
  auto credentials = grpc::SslCredentials(ssl);
  sodium_memzero(ssl.pem_private_key.data(), ssl.pem_private_key.size());
  return credentials;
}

}  // namespace

struct Client::Stubs {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::health::v1::Health::Stub> health;
  std::unique_ptr<sejf::v1::Identity::Stub> identity;
};

Client::Client(std::unique_ptr<Stubs> stubs, absl::Duration timeout)
    : stubs_(std::move(stubs)),
      timeout_(timeout),
      keys_(std::make_unique<KeysApi>(stubs_->channel, timeout)),
      audit_(std::make_unique<AuditApi>(stubs_->channel, timeout)),
      ksef_(std::make_unique<KsefApi>(stubs_->channel, timeout)),
      tokens_(std::make_unique<TokensApi>(stubs_->channel, timeout)),
      sessions_(std::make_unique<SessionsApi>(stubs_->channel, timeout)),
      dropoff_(std::make_unique<DropoffApi>(stubs_->channel, timeout)) {}

Client::~Client() = default;

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(
    const ConnectOptions& options) {
  if (options.address.empty()) {
    return absl::InvalidArgumentError(
        "no server address: pass --addr (or set SEJF_ADDR), e.g. "
        "unix:.sejf/sejf.sock or 127.0.0.1:7443");
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (absl::StartsWith(options.address, "unix:")) {
    credentials = grpc::InsecureChannelCredentials();  // the socket is 0600
  } else {
    auto tls = TlsCredentials(options);
    if (!tls.ok()) return tls.status();
    credentials = *std::move(tls);
  }
  return ForChannel(grpc::CreateChannel(options.address, credentials),
                    options.timeout);
}

std::unique_ptr<Client> Client::ForChannel(
    std::shared_ptr<grpc::Channel> channel, absl::Duration timeout) {
  auto stubs = std::make_unique<Stubs>();
  stubs->channel = std::move(channel);
  stubs->health = grpc::health::v1::Health::NewStub(stubs->channel);
  stubs->identity = sejf::v1::Identity::NewStub(stubs->channel);
  return std::unique_ptr<Client>(new Client(std::move(stubs), timeout));
}

absl::StatusOr<bool> Client::IsServing() {
  return Converted(
      UnaryCall(*stubs_->health, &grpc::health::v1::Health::Stub::Check,
                grpc::health::v1::HealthCheckRequest(), timeout_),
      [](const grpc::health::v1::HealthCheckResponse& response) {
        return response.status() ==
               grpc::health::v1::HealthCheckResponse::SERVING;
      });
}

absl::StatusOr<CallerIdentity> Client::WhoAmI() {
  return Converted(
      UnaryCall(*stubs_->identity, &v1::Identity::Stub::WhoAmI,
                v1::WhoAmIRequest(), timeout_),
      [](const v1::WhoAmIResponse& response) {
        return CallerIdentity{
            .identity = response.identity(),
            .transport = response.transport(),
            .granted_operations = {response.granted_operations().begin(),
                                   response.granted_operations().end()},
            .server_version = response.server_version(),
            .dev_mode = response.dev_mode()};
      });
}

}  // namespace sejf::client
