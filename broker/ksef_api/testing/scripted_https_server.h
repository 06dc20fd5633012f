// Test kit for broker/ksef_api: certificates made with the openssl CLI, and
// scripted_https_server.py (a Python 3 HTTPS responder that answers a
// queued script and records requests) started on 127.0.0.1.
#ifndef SEJF_BROKER_KSEF_API_TESTING_SCRIPTED_HTTPS_SERVER_H_
#define SEJF_BROKER_KSEF_API_TESTING_SCRIPTED_HTTPS_SERVER_H_

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"

namespace sejf::broker::testing {

// Files of a test certificate and its key (PEM).
struct TestCertificate {
  std::string cert_path;
  std::string key_path;
};

// A self-signed CA named `name` in `dir` (EC P-256). Aborts the test binary
// when openssl fails.
TestCertificate MakeTestCa(const sejf::testing::TempDir& dir,
                           const std::string& name);
// A server certificate for 127.0.0.1 and localhost issued by `ca`.
TestCertificate MakeServerCertificate(const sejf::testing::TempDir& dir,
                                      const TestCertificate& ca,
                                      const std::string& name);

struct RecordedRequest {
  std::string method;
  std::string path;                            // "/v2/auth/challenge"
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  int client_port = 0;  // tells connections apart
};

class ScriptedHttpsServer {
 public:
  // Starts the responder with `certificate` answering `script` (a JSON array
  // of entries, see scripted_https_server.py). Aborts when it does not start.
  ScriptedHttpsServer(const sejf::testing::TempDir& dir,
                      const TestCertificate& certificate,
                      const nlohmann::json& script);
  ~ScriptedHttpsServer();  // kills it

  // "https://127.0.0.1:PORT/v2"
  std::string BaseUrl() const;
  int port() const { return port_; }
  // What it has received so far.
  std::vector<RecordedRequest> Requests() const;

 private:
  std::string log_path_;
  std::unique_ptr<sejf::testing::Subprocess> process_;
  int port_ = 0;
};

}  // namespace sejf::broker::testing

#endif  // SEJF_BROKER_KSEF_API_TESTING_SCRIPTED_HTTPS_SERVER_H_
