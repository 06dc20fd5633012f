#include "server/http/http_listener.h"

#include <string>

#include "common/clock.h"
#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/tls/certificate_issuer.h"

namespace sejf::server {
namespace {

using ::sejf::testing::CommandResult;
using ::sejf::testing::RunCommand;
using ::testing::HasSubstr;

// curl, an HTTP client independent of ours: "<status>\n<headers+body>".
CommandResult Curl(std::vector<std::string> args) {
  std::vector<std::string> argv = {"/usr/bin/curl", "-sS", "-i", "--max-time",
                                   "20"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

std::vector<HttpRoute> HelloRoutes() {
  return {
      {"GET", "/hello",
       [](const HttpRequest& request) {
         std::string who = "world";
         auto it = request.query.find("who");
         if (it != request.query.end()) who = it->second;
         return HttpResponse{.body = "hello " + who + "\n"};
       }},
      {"POST", "/echo",
       [](const HttpRequest& request) {
         return HttpResponse{.status = 201,
                             .content_type = "application/octet-stream",
                             .body = request.body};
       }},
      {"GET", "/throws",
       [](const HttpRequest&) -> HttpResponse {
         throw std::runtime_error("secret detail");
       }},
  };
}

TEST(HttpListenerTest, ServesRoutesOnTheBoundPort) {
  auto listener = HttpListener::Start(
      {.name = "test", .address = "127.0.0.1:0"}, HelloRoutes());
  ASSERT_TRUE(listener.ok()) << listener.status();
  const std::string base = "http://" + (*listener)->address();
  EXPECT_THAT((*listener)->address(), ::testing::StartsWith("127.0.0.1:"));
  EXPECT_NE((*listener)->address(), "127.0.0.1:0");

  CommandResult hello = Curl({base + "/hello?who=sejf"});
  ASSERT_EQ(hello.exit_code, 0) << hello.err;
  EXPECT_THAT(hello.out, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(hello.out, HasSubstr("Cache-Control: no-store"));
  EXPECT_THAT(hello.out, HasSubstr("X-Content-Type-Options: nosniff"));
  EXPECT_THAT(hello.out, HasSubstr("\r\n\r\nhello sejf\n"));

  CommandResult echo = Curl({"--data-binary", "abc", base + "/echo"});
  EXPECT_THAT(echo.out, HasSubstr("HTTP/1.1 201"));
  EXPECT_THAT(echo.out, HasSubstr("\r\n\r\nabc"));

  EXPECT_THAT(Curl({base + "/nothing"}).out, HasSubstr("HTTP/1.1 404"));
  CommandResult thrown = Curl({base + "/throws"});
  EXPECT_THAT(thrown.out, HasSubstr("HTTP/1.1 500"));
  EXPECT_THAT(thrown.out, ::testing::Not(HasSubstr("secret detail")));
}

TEST(HttpListenerTest, RefusesABodyOverTheLimit) {
  auto listener = HttpListener::Start(
      {.name = "test", .address = "127.0.0.1:0", .max_request_body_bytes = 16},
      HelloRoutes());
  ASSERT_TRUE(listener.ok()) << listener.status();
  CommandResult big = Curl({"--data-binary", std::string(1000, 'x'),
                            "http://" + (*listener)->address() + "/echo"});
  EXPECT_THAT(big.out, HasSubstr("HTTP/1.1 413"));
}

TEST(HttpListenerTest, AnAddressInUseIsAClearStartupError) {
  auto first = HttpListener::Start(
      {.name = "metrics", .address = "127.0.0.1:0"}, HelloRoutes());
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = HttpListener::Start(
      {.name = "metrics", .address = (*first)->address()}, HelloRoutes());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(),
              HasSubstr("the metrics listener cannot listen on " +
                        (*first)->address()));
}

TEST(HttpListenerTest, RejectsBadAddressesAndRoutes) {
  auto bad_address =
      HttpListener::Start({.name = "metrics", .address = "nowhere"}, {});
  EXPECT_EQ(bad_address.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_address.status().message(),
              HasSubstr("the metrics listener's address \"nowhere\""));
  auto bad_route = HttpListener::Start(
      {.address = "127.0.0.1:0"},
      {{"GET", "/a(.*)", [](const HttpRequest&) { return HttpResponse{}; }}});
  EXPECT_EQ(bad_route.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(HttpListenerTest, StopsRightAfterStartAndTwice) {
  auto listener =
      HttpListener::Start({.address = "127.0.0.1:0"}, HelloRoutes());
  ASSERT_TRUE(listener.ok()) << listener.status();
  const std::string address = (*listener)->address();
  (*listener)->Stop();
  (*listener)->Stop();
  // The port is free again.
  auto again = HttpListener::Start({.address = address}, HelloRoutes());
  EXPECT_TRUE(again.ok()) << again.status();
}

TEST(HttpListenerTest, ServesHttpsWithTheGivenCertificate) {
  const Clock& clock = SystemClock::Get();
  auto ca = CreateCertificateAuthority("http test CA", absl::Hours(1), clock);
  ASSERT_TRUE(ca.ok()) << ca.status();
  CertificateSpec spec;
  spec.common_name = "localhost";
  spec.ip_sans = {"127.0.0.1"};
  spec.usage = CertificateUsage::kServer;
  auto leaf =
      IssueCertificate(ca->certificate_pem, ca->private_key_pem, spec, clock);
  ASSERT_TRUE(leaf.ok()) << leaf.status();
  auto listener = HttpListener::Start(
      {.name = "test",
       .address = "127.0.0.1:0",
       .tls = HttpTls{.certificate_chain_pem = leaf->certificate_pem,
                      .private_key_pem = leaf->private_key_pem}},
      HelloRoutes());
  ASSERT_TRUE(listener.ok()) << listener.status();
  EXPECT_TRUE((*listener)->tls());
  sejf::testing::TempDir dir;
  const std::string ca_file = dir.Write("ca.pem", ca->certificate_pem);
  CommandResult https = Curl(
      {"--cacert", ca_file, "https://" + (*listener)->address() + "/hello"});
  ASSERT_EQ(https.exit_code, 0) << https.err;
  EXPECT_THAT(https.out, HasSubstr("hello world"));
  // Plain HTTP gets no answer from an HTTPS listener.
  CommandResult plain = Curl({"http://" + (*listener)->address() + "/hello"});
  EXPECT_THAT(plain.out, ::testing::Not(HasSubstr("hello world")));
}

TEST(HttpListenerTest, RefusesAKeyThatIsNotPem) {
  auto listener =
      HttpListener::Start({.name = "dropoff",
                           .address = "127.0.0.1:0",
                           .tls = HttpTls{.certificate_chain_pem = "nope",
                                          .private_key_pem = SecretBytes()}},
                          {});
  EXPECT_EQ(listener.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(listener.status().message(),
              HasSubstr("the dropoff listener's TLS certificate"));
}

}  // namespace
}  // namespace sejf::server
