// The RPC frame of a real sejfd (issue 11, findings 5, 6, 7, 9, 10): quiet
// refusals, bounded echoes, unparsable and unknown calls logged and
// audited, the deciding rule and the intent event in the audit log. Real
// mutual TLS on 127.0.0.1 and the real unix socket.
#include <grpcpp/generic/generic_stub.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "sejf/v1/audit_log.grpc.pb.h"
#include "sejf/v1/identity.grpc.pb.h"
#include "sejf/v1/token_vault.grpc.pb.h"
#include "tests/testing/sejfd_test.h"
#include "tests/testing/tls_client.h"

namespace sejf::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAcme[] = "nip:5265877635";
constexpr char kOther[] = "nip:1111111111";

class FrameE2eTest : public SejfdTest {
 protected:
  static void SetUpTestSuite() {
    SejfdConfig config;
    // erp-acme may read and manage acme-* tokens of one NIP only.
    config.config =
        "[[policy]]\n"
        "name = \"acme-tokens\"\n"
        "identities = [\"erp-acme\"]\n"
        "operations = [\"tokens.*\"]\n"
        "contexts = [\"nip:5265877635\"]\n"
        "credentials = [\"acme-*\"]\n";
    ASSERT_NO_FATAL_FAILURE(StartSejfd(config));
    // The admin (the socket's owner) stores one token in each NIP.
    ASSERT_TRUE(Import("acme-tok", kAcme).ok());
    ASSERT_TRUE(Import("acme-foreign", kOther).ok());
  }
  static grpc::Status Import(const std::string& name,
                             const std::string& context,
                             std::string* request_id = nullptr) {
    v1::ImportTokenRequest request;
    request.set_token_id(name);
    request.set_context(context);
    request.set_secret("frame-test-secret-0123456789abcdef");
    v1::ImportTokenResponse response;
    auto call = ShortDeadline();
    grpc::Status status = v1::TokenVault::NewStub(SocketChannel())
                              ->ImportToken(call.get(), request, &response);
    if (request_id != nullptr) *request_id = RequestId(*call);
    return status;
  }

  static std::string RequestId(const grpc::ClientContext& call) {
    auto it = call.GetServerTrailingMetadata().find("x-request-id");
    if (it == call.GetServerTrailingMetadata().end()) return "";
    return std::string(it->second.data(), it->second.size());
  }

  static grpc::Status GetToken(const std::shared_ptr<grpc::Channel>& channel,
                               const std::string& name,
                               std::string* request_id = nullptr) {
    v1::GetTokenRequest request;
    request.set_name(name);
    v1::GetTokenResponse response;
    auto call = ShortDeadline();
    grpc::Status status = v1::TokenVault::NewStub(channel)->GetToken(
        call.get(), request, &response);
    if (request_id != nullptr) *request_id = RequestId(*call);
    return status;
  }

  // Raw bytes to `method` through a generic stub: what a client sends when
  // it does not use our .proto (or lies about it).
  static grpc::Status RawCall(const std::shared_ptr<grpc::Channel>& channel,
                              const std::string& method,
                              const std::string& bytes,
                              std::string* request_id) {
    grpc::GenericStub stub(channel);
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    auto call = ShortDeadline();
    grpc::Status status;
    absl::Notification done;
    stub.UnaryCall(call.get(), method, grpc::StubOptions(), &request, &response,
                   [&](grpc::Status s) {
                     status = std::move(s);
                     done.Notify();
                   });
    done.WaitForNotification();
    *request_id = RequestId(*call);
    return status;
  }

  // Every audit event (as the admin), oldest first.
  static std::vector<v1::AuditEvent> Events() {
    std::vector<v1::AuditEvent> all;
    auto stub = v1::AuditLog::NewStub(SocketChannel());
    v1::ListEventsRequest request;
    request.set_page_size(1000);
    for (;;) {
      v1::ListEventsResponse page;
      auto call = ShortDeadline();
      grpc::Status status = stub->ListEvents(call.get(), request, &page);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) return all;
      all.insert(all.end(), page.events().begin(), page.events().end());
      if (page.next_page_token().empty()) return all;
      request.set_page_token(page.next_page_token());
    }
  }

  static std::vector<v1::AuditEvent> EventsOf(const std::string& request_id) {
    std::vector<v1::AuditEvent> matching;
    for (const v1::AuditEvent& e : Events()) {
      if (e.request_id() == request_id) matching.push_back(e);
    }
    return matching;
  }

  // The daemon's log lines naming `request_id` (waits, bounded, for one).
  static std::vector<std::string> LogLinesOf(const std::string& request_id) {
    std::vector<std::string> lines;
    for (int i = 0; i < 500 && lines.empty(); ++i) {
      if (i > 0) absl::SleepFor(absl::Milliseconds(20));
      for (absl::string_view line :
           absl::StrSplit(daemon().Stderr(), '\n', absl::SkipEmpty())) {
        if (absl::StrContains(line, absl::StrCat("request_id=", request_id))) {
          lines.emplace_back(line);
        }
      }
    }
    return lines;
  }
};

// Finding 6: the attack from the issue, and its variants.
TEST_F(FrameE2eTest, DenialNamesNoContextAndIsTheSameForExistingAndMissing) {
  auto stranger = ChannelAs("stranger");
  grpc::Status existing = GetToken(stranger, "tokens/acme-tok");
  grpc::Status missing = GetToken(stranger, "tokens/acme-nothing");
  EXPECT_EQ(existing.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(existing.error_message(), Not(HasSubstr("nip:")));
  EXPECT_THAT(existing.error_message(), Not(HasSubstr("context")));
  EXPECT_EQ(missing.error_code(), existing.error_code());
  EXPECT_EQ(
      absl::StrReplaceAll(missing.error_message(), {{"acme-nothing", "X"}}),
      absl::StrReplaceAll(existing.error_message(), {{"acme-tok", "X"}}));
}

TEST_F(FrameE2eTest, TokenInAContextNotYoursIsAnsweredAsMissing) {
  auto erp = ChannelAs("erp-acme");
  ASSERT_TRUE(GetToken(erp, "tokens/acme-tok").ok());

  std::string request_id;
  grpc::Status foreign = GetToken(erp, "tokens/acme-foreign", &request_id);
  grpc::Status missing = GetToken(erp, "tokens/acme-nothing");
  EXPECT_EQ(foreign.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(absl::StrReplaceAll(foreign.error_message(), {{"foreign", "X"}}),
            absl::StrReplaceAll(missing.error_message(), {{"nothing", "X"}}));
  EXPECT_THAT(foreign.error_message(), Not(HasSubstr(kOther)));

  // The operator still sees what really happened.
  std::vector<v1::AuditEvent> events = EventsOf(request_id);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].outcome(), "PERMISSION_DENIED");
  EXPECT_EQ(events[0].context(), kOther);
  EXPECT_EQ(events[0].rule(), "");
}

// Finding 7: the 3 MB name of the issue is refused by gRPC before it is read
// (the request size limit); a name just under the limit reaches the handler
// and is echoed bounded in the status, the log line and the audit event.
TEST_F(FrameE2eTest, HugeNamesAreEchoedBoundedAndTheConnectionStaysUsable) {
  auto erp = ChannelAs("erp-acme");
  std::string request_id;
  grpc::Status too_large =
      GetToken(erp, "tokens/" + std::string(3 << 20, 'a'), &request_id);
  EXPECT_EQ(too_large.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << too_large.error_message().substr(0, 300);
  EXPECT_LT(too_large.error_message().size(), 512u);
  {
    v1::WhoAmIResponse me;
    auto call = ShortDeadline();
    EXPECT_TRUE(v1::Identity::NewStub(erp)->WhoAmI(call.get(), {}, &me).ok());
  }
  for (std::size_t size : {std::size_t{900} << 10, std::size_t{4} << 10}) {
    SCOPED_TRACE(size);
    grpc::Status status =
        GetToken(erp, "tokens/" + std::string(size, 'a'), &request_id);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_LT(status.error_message().size(), 512u) << status.error_message();
    EXPECT_THAT(status.error_message(),
                HasSubstr(absl::StrCat("…(", size, " bytes)")));
    ASSERT_FALSE(request_id.empty());
    for (const std::string& line : LogLinesOf(request_id)) {
      EXPECT_LT(line.size(), 1024u) << line.substr(0, 300);
    }
    for (const v1::AuditEvent& e : EventsOf(request_id)) {
      EXPECT_LT(e.ByteSizeLong(), 1024u) << e.resource().substr(0, 300);
    }
    // The same connection still answers.
    v1::WhoAmIResponse me;
    auto call = ShortDeadline();
    EXPECT_TRUE(v1::Identity::NewStub(erp)->WhoAmI(call.get(), {}, &me).ok());
  }
  // The longest line sejfd ever wrote stays short.
  for (absl::string_view line : absl::StrSplit(daemon().Stderr(), '\n')) {
    EXPECT_LT(line.size(), 2048u) << line.substr(0, 300);
  }
}

// Finding 9: requests gRPC cannot parse, and unknown methods.
TEST_F(FrameE2eTest, UnparsableRequestsAreInvalidArgumentLoggedAndAudited) {
  const std::string kGetToken = "/sejf.v1.TokenVault/GetToken";
  struct Case {
    const char* what;
    std::shared_ptr<grpc::Channel> channel;
    std::string identity;
    std::string bytes;
  };
  std::vector<Case> cases = {
      // Field 1 (name, a string) holding bytes that are not UTF-8.
      {"invalid UTF-8 over the unix socket", SocketChannel(),
       absl::StrCat("unix:", geteuid()),
       std::string("\x0a\x04\xff\xfe\xfd\xfc", 6)},
      // A length prefix running past the end of the message.
      {"broken protobuf over mutual TLS", ChannelAs("erp-acme"), "erp-acme",
       std::string("\x0a\x7f"
                   "abc",
                   5)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    std::string request_id;
    grpc::Status status = RawCall(c.channel, kGetToken, c.bytes, &request_id);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr("GetToken"));
    ASSERT_FALSE(request_id.empty());
    std::vector<std::string> lines = LogLinesOf(request_id);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_THAT(lines[0], HasSubstr("code=INVALID_ARGUMENT"));
    std::vector<v1::AuditEvent> events = EventsOf(request_id);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].outcome(), "INVALID_ARGUMENT");
    EXPECT_EQ(events[0].identity(), c.identity);
    EXPECT_EQ(events[0].method(), kGetToken);
  }
}

TEST_F(FrameE2eTest, UnknownMethodIsUnimplementedLoggedAndAudited) {
  std::string request_id;
  grpc::Status status = RawCall(ChannelAs("erp-acme"),
                                "/sejf.v1.TokenVault/Steal", "", &request_id);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  ASSERT_FALSE(request_id.empty());
  std::vector<std::string> lines = LogLinesOf(request_id);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("/sejf.v1.TokenVault/Steal"));
  std::vector<v1::AuditEvent> events = EventsOf(request_id);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].outcome(), "UNIMPLEMENTED");
  EXPECT_EQ(events[0].identity(), "erp-acme");
}

TEST_F(FrameE2eTest, HealthChecksAreLoggedButNotAudited) {
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  auto call = ShortDeadline();
  grpc::Status status = grpc::health::v1::Health::NewStub(SocketChannel())
                            ->Check(call.get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::string request_id = RequestId(*call);
  ASSERT_FALSE(request_id.empty());
  std::vector<std::string> lines = LogLinesOf(request_id);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("/grpc.health.v1.Health/Check"));
  EXPECT_TRUE(EventsOf(request_id).empty());
}

// Findings 10 and 5: the deciding rule, and the intent before the change.
TEST_F(FrameE2eTest, EventsNameTheDecidingRule) {
  std::string request_id;
  ASSERT_TRUE(
      GetToken(ChannelAs("erp-acme"), "tokens/acme-tok", &request_id).ok());
  std::vector<v1::AuditEvent> events = EventsOf(request_id);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].rule(), "acme-tokens");

  ASSERT_TRUE(GetToken(SocketChannel(), "tokens/acme-tok", &request_id).ok());
  events = EventsOf(request_id);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].rule(), "dev-admin");
}

TEST_F(FrameE2eTest, StateChangeHasAnIntentEventBeforeItsResult) {
  std::string request_id;
  ASSERT_TRUE(Import("acme-intent", kAcme, &request_id).ok());
  std::vector<v1::AuditEvent> events = EventsOf(request_id);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].outcome(), "STARTED");
  EXPECT_EQ(events[1].outcome(), "OK");
  EXPECT_LT(events[0].sequence(), events[1].sequence());
  for (const v1::AuditEvent& e : events) {
    EXPECT_EQ(e.operation(), "tokens.manage");
    EXPECT_EQ(e.resource(), "tokens/acme-intent");
    EXPECT_EQ(e.rule(), "dev-admin");
  }
  // Reading changes nothing: no intent.
  ASSERT_TRUE(
      GetToken(SocketChannel(), "tokens/acme-intent", &request_id).ok());
  EXPECT_EQ(EventsOf(request_id).size(), 1u);
}

}  // namespace
}  // namespace sejf::testing
