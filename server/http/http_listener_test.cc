#include "server/http/http_listener.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
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

TEST(HttpListenerTest, HandsPathSegmentsToTheHandler) {
  auto listener = HttpListener::Start(
      {.name = "test", .address = "127.0.0.1:0"},
      {{"GET", "/items/{id}/name",
        [](const HttpRequest& request) {
          return HttpResponse{.body = "item " + request.path_params.at("id")};
        }},
       {"GET", "/file.txt",
        [](const HttpRequest&) { return HttpResponse{.body = "file"}; }}});
  ASSERT_TRUE(listener.ok()) << listener.status();
  const std::string base = "http://" + (*listener)->address();
  CommandResult item = Curl({base + "/items/a.b-c_D9/name"});
  EXPECT_THAT(item.out, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(item.out, HasSubstr("\r\n\r\nitem a.b-c_D9"));
  // One whole segment, not more, not none, not other characters.
  for (const char* path :
       {"/items/a/b/name", "/items//name", "/items/a%20b/name", "/fileXtxt"}) {
    EXPECT_THAT(Curl({base + path}).out, HasSubstr("HTTP/1.1 404")) << path;
  }
  EXPECT_THAT(Curl({base + "/file.txt"}).out, HasSubstr("HTTP/1.1 200"));
}

TEST(HttpListenerTest, AddsHeadersAndErrorPages) {
  std::vector<HttpRoute> routes = HelloRoutes();
  routes.push_back({"GET", "/forbidden", [](const HttpRequest&) {
                      return HttpResponse{.status = 403};
                    }});
  routes.push_back({"GET", "/conflict", [](const HttpRequest&) {
                      return HttpResponse{.status = 409, .body = "taken\n"};
                    }});
  routes.push_back({"GET", "/empty", [](const HttpRequest&) {
                      return HttpResponse{.status = 204};
                    }});
  auto listener = HttpListener::Start(
      {.name = "test",
       .address = "127.0.0.1:0",
       .max_request_body_bytes = 16,
       .headers = {{"X-Frame-Options", "DENY"}},
       .error_page =
           [](int status) {
             return HttpResponse{
                 .content_type = "application/json",
                 .body = absl::StrCat("{\"status\":", status, "}")};
           }},
      std::move(routes));
  ASSERT_TRUE(listener.ok()) << listener.status();
  const std::string base = "http://" + (*listener)->address();

  CommandResult hello = Curl({base + "/hello"});
  EXPECT_THAT(hello.out, HasSubstr("X-Frame-Options: DENY\r\n"));
  EXPECT_THAT(hello.out, HasSubstr("Cache-Control: no-store\r\n"));
  EXPECT_THAT(hello.out, HasSubstr("\r\n\r\nhello world"));
  for (const auto& [args, status] :
       std::vector<std::pair<std::vector<std::string>, int>>{
           {{base + "/nothing"}, 404},
           {{base + "/forbidden"}, 403},
           {{base + "/throws"}, 500},
           {{"--data-binary", std::string(1000, 'x'), base + "/echo"}, 413}}) {
    CommandResult r = Curl(args);
    EXPECT_THAT(r.out, HasSubstr(absl::StrCat("HTTP/1.1 ", status)));
    EXPECT_THAT(r.out, HasSubstr("X-Frame-Options: DENY\r\n"));
    EXPECT_THAT(r.out, HasSubstr("Content-Type: application/json\r\n"));
    EXPECT_THAT(r.out,
                HasSubstr(absl::StrCat("\r\n\r\n{\"status\":", status, "}")));
    EXPECT_THAT(r.out, ::testing::Not(HasSubstr("secret detail")));
  }
  // A handler's own error body stays; an empty answer has no type.
  EXPECT_THAT(Curl({base + "/conflict"}).out, HasSubstr("\r\n\r\ntaken\n"));
  CommandResult empty = Curl({base + "/empty"});
  EXPECT_THAT(empty.out, HasSubstr("HTTP/1.1 204"));
  EXPECT_THAT(empty.out, ::testing::Not(HasSubstr("\r\nContent-Type:")));
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
  for (const char* path : {"/a/{}", "/a/{x}/{x}", "/a/x{y}", "/a/{y-z}"}) {
    auto bad = HttpListener::Start(
        {.address = "127.0.0.1:0"},
        {{"GET", path, [](const HttpRequest&) { return HttpResponse{}; }}});
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument) << path;
  }
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
  // The whole chain, as openssl sees it; TLS 1.1 is refused.
  auto chained = HttpListener::Start(
      {.name = "test",
       .address = "127.0.0.1:0",
       .tls = HttpTls{.certificate_chain_pem =
                          leaf->certificate_pem + ca->certificate_pem,
                      .private_key_pem = leaf->private_key_pem}},
      HelloRoutes());
  ASSERT_TRUE(chained.ok()) << chained.status();
  CommandResult shown = RunCommand(
      {"/bin/sh", "-c",
       "openssl s_client -connect " + (*chained)->address() +
           " -showcerts </dev/null 2>/dev/null | grep -c 'BEGIN CERTIFICATE'"});
  EXPECT_EQ(shown.out, "2\n");
  CommandResult tls11 = Curl({"--cacert", ca_file, "--tlsv1.1", "--tls-max",
                              "1.1", "--ciphers", "DEFAULT@SECLEVEL=0",
                              "https://" + (*chained)->address() + "/hello"});
  EXPECT_NE(tls11.exit_code, 0);
  EXPECT_THAT(tls11.out, ::testing::Not(HasSubstr("hello world")));
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
