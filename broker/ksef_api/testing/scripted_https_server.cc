#include "broker/ksef_api/testing/scripted_https_server.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace sejf::broker::testing {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "scripted_https_server: %s\n", what.c_str());
  std::abort();
}

// `argv[0]` found on PATH.
void Run(std::vector<std::string> argv) {
  argv.insert(argv.begin(), "/usr/bin/env");
  sejf::testing::CommandResult result = sejf::testing::RunCommand(argv);
  if (result.exit_code != 0) {
    Die(absl::StrCat(argv[1], " ", argv[2], " failed: ", result.err));
  }
}

std::string Unique(const std::string& name) {
  static std::atomic<int> counter{0};
  return absl::StrCat(name, "-", counter++);
}

}  // namespace

TestCertificate MakeTestCa(const sejf::testing::TempDir& dir,
                           const std::string& name) {
  std::string base = dir.Path(Unique(name));
  TestCertificate ca{base + ".pem", base + ".key"};
  Run({"openssl",
       "req",
       "-x509",
       "-newkey",
       "ec",
       "-pkeyopt",
       "ec_paramgen_curve:P-256",
       "-nodes",
       "-keyout",
       ca.key_path,
       "-out",
       ca.cert_path,
       "-days",
       "2",
       "-subj",
       "/CN=" + name,
       "-addext",
       "basicConstraints=critical,CA:TRUE",
       "-addext",
       "keyUsage=critical,keyCertSign,cRLSign"});
  return ca;
}

TestCertificate MakeServerCertificate(const sejf::testing::TempDir& dir,
                                      const TestCertificate& ca,
                                      const std::string& name) {
  std::string base = dir.Path(Unique(name));
  TestCertificate leaf{base + ".pem", base + ".key"};
  std::string csr = base + ".csr";
  std::string ext = dir.Write(Unique(name) + ".ext",
                              "basicConstraints=critical,CA:FALSE\n"
                              "keyUsage=critical,digitalSignature\n"
                              "extendedKeyUsage=serverAuth\n"
                              "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  Run({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
       "ec_paramgen_curve:P-256", "-nodes", "-keyout", leaf.key_path, "-out",
       csr, "-subj", "/CN=" + name});
  Run({"openssl", "x509", "-req", "-in", csr, "-CA", ca.cert_path, "-CAkey",
       ca.key_path, "-CAcreateserial", "-out", leaf.cert_path, "-days", "2",
       "-extfile", ext});
  return leaf;
}

ScriptedHttpsServer::ScriptedHttpsServer(const sejf::testing::TempDir& dir,
                                         const TestCertificate& certificate,
                                         const nlohmann::json& script) {
  const char* source_dir = std::getenv("SEJF_SOURCE_DIR");
  if (source_dir == nullptr) Die("SEJF_SOURCE_DIR is not set");
  std::string name = Unique("server");
  std::string script_path = dir.Write(name + "-script.json", script.dump());
  log_path_ = dir.Write(name + "-requests.jsonl", "");
  process_ = std::make_unique<sejf::testing::Subprocess>(
      std::vector<std::string>{
          "/usr/bin/env", "python3",
          absl::StrCat(source_dir,
                       "/broker/ksef_api/testing/scripted_https_server.py"),
          "--cert", certificate.cert_path, "--key", certificate.key_path,
          "--script", script_path, "--log", log_path_},
      std::map<std::string, std::string>{}, dir.Path(name + "-stderr.txt"));
  std::optional<std::string> line = process_->ReadLine(absl::Seconds(30));
  if (!line.has_value() || !absl::StartsWith(*line, "PORT ") ||
      !absl::SimpleAtoi(line->substr(5), &port_)) {
    Die("the responder did not start (see its stderr file)");
  }
}

ScriptedHttpsServer::~ScriptedHttpsServer() = default;

std::string ScriptedHttpsServer::BaseUrl() const {
  return absl::StrCat("https://127.0.0.1:", port_, "/v2");
}

std::vector<RecordedRequest> ScriptedHttpsServer::Requests() const {
  std::vector<RecordedRequest> requests;
  std::ifstream in(log_path_);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::json record = nlohmann::json::parse(line);
    RecordedRequest request;
    request.method = record.at("method").get<std::string>();
    request.path = record.at("path").get<std::string>();
    for (auto& [name, value] : record.at("headers").items()) {
      request.headers[name] = value.get<std::string>();
    }
    request.body = record.at("body").get<std::string>();
    request.client_port = record.at("client_port").get<int>();
    requests.push_back(std::move(request));
  }
  return requests;
}

}  // namespace sejf::broker::testing
