#include "tests/testing/tls_client.h"

#include <chrono>

namespace sejf::testing {

std::shared_ptr<grpc::Channel> TlsChannel(const std::string& address,
                                          const std::string& ca_pem,
                                          const std::string& cert_pem,
                                          const std::string& key_pem) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ca_pem;
  ssl.pem_cert_chain = cert_pem;
  ssl.pem_private_key = key_pem;
  return grpc::CreateChannel(address, grpc::SslCredentials(ssl));
}

std::shared_ptr<grpc::Channel> UnixChannel(const std::string& socket_path) {
  return grpc::CreateChannel("unix:" + socket_path,
                             grpc::InsecureChannelCredentials());
}

std::unique_ptr<grpc::ClientContext> ShortDeadline() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(10));
  return context;
}

}  // namespace sejf::testing
