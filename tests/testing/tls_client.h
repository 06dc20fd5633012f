// gRPC channels to a test sejfd over mutual TLS or its unix socket.
#ifndef SEJF_TESTS_TESTING_TLS_CLIENT_H_
#define SEJF_TESTS_TESTING_TLS_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

namespace sejf::testing {

// A channel presenting `cert_pem`/`key_pem` (both may be empty: no client
// certificate) and trusting `ca_pem`.
std::shared_ptr<grpc::Channel> TlsChannel(const std::string& address,
                                          const std::string& ca_pem,
                                          const std::string& cert_pem,
                                          const std::string& key_pem);

std::shared_ptr<grpc::Channel> UnixChannel(const std::string& socket_path);

// A context whose call fails after 10 s rather than hanging a test.
std::unique_ptr<grpc::ClientContext> ShortDeadline();

}  // namespace sejf::testing

#endif  // SEJF_TESTS_TESTING_TLS_CLIENT_H_
