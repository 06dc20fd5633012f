// The client library against an in-process gRPC server with fake services:
// what a caller of Client sees — paging followed to the end, filters and
// secrets arriving as sent, the server's errors as they were given.
#include "client/client.h"

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "client/retry_hint.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "sejf/v1/audit_log.grpc.pb.h"
#include "sejf/v1/key_custody.grpc.pb.h"
#include "sejf/v1/ksef_sessions.grpc.pb.h"
#include "sejf/v1/token_vault.grpc.pb.h"

namespace sejf::client {
namespace {

using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::Field;

// Serves ListTokens from fixed pages keyed by page token, and records the
// requests it saw.
class FakeTokenVault final : public v1::TokenVault::Service {
 public:
  // page token → (token names, next page token)
  std::map<std::string, std::pair<std::vector<std::string>, std::string>> pages;
  grpc::Status fail_on_token_status = grpc::Status::OK;
  std::string fail_on_token;

  grpc::Status ListTokens(grpc::ServerContext*,
                          const v1::ListTokensRequest* request,
                          v1::ListTokensResponse* response) override {
    absl::MutexLock lock(&mu_);
    list_requests_.push_back(*request);
    if (!fail_on_token.empty() && request->page_token() == fail_on_token) {
      return fail_on_token_status;
    }
    auto it = pages.find(request->page_token());
    if (it == pages.end()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "page_token: unknown");
    }
    for (const std::string& name : it->second.first) {
      v1::Token* token = response->add_tokens();
      token->set_name(name);
      token->set_state(v1::CREDENTIAL_STATE_ACTIVE);
    }
    response->set_next_page_token(it->second.second);
    return grpc::Status::OK;
  }

  grpc::Status ImportToken(grpc::ServerContext*,
                           const v1::ImportTokenRequest* request,
                           v1::ImportTokenResponse* response) override {
    absl::MutexLock lock(&mu_);
    import_requests_.push_back(*request);
    v1::Token* token = response->mutable_token();
    token->set_name("tokens/" + request->token_id());
    token->set_context(request->context());
    *token->mutable_permissions() = request->permissions();
    token->set_version(1);
    if (request->has_expire_time()) {
      *token->mutable_expire_time() = request->expire_time();
    }
    return grpc::Status::OK;
  }

  grpc::Status RotateToken(grpc::ServerContext*,
                           const v1::RotateTokenRequest* request,
                           v1::RotateTokenResponse*) override {
    absl::MutexLock lock(&mu_);
    rotated_secret_ = request->secret();
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        request->name() + " does not exist");
  }

  std::vector<v1::ListTokensRequest> list_requests() {
    absl::MutexLock lock(&mu_);
    return list_requests_;
  }
  std::vector<v1::ImportTokenRequest> import_requests() {
    absl::MutexLock lock(&mu_);
    return import_requests_;
  }
  std::string rotated_secret() {
    absl::MutexLock lock(&mu_);
    return rotated_secret_;
  }

 private:
  absl::Mutex mu_;
  std::vector<v1::ListTokensRequest> list_requests_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::ImportTokenRequest> import_requests_ ABSL_GUARDED_BY(mu_);
  std::string rotated_secret_ ABSL_GUARDED_BY(mu_);
};

// Answers ListEvents with one event per page, three pages, and VerifyChain
// with what it was asked to expect.
class FakeAuditLog final : public v1::AuditLog::Service {
 public:
  grpc::Status ListEvents(grpc::ServerContext*,
                          const v1::ListEventsRequest* request,
                          v1::ListEventsResponse* response) override {
    const int page =
        request->page_token().empty() ? 1 : std::stoi(request->page_token());
    v1::AuditEvent* event = response->add_events();
    event->set_sequence(page);
    event->mutable_time()->set_seconds(1764000000 + page);
    event->mutable_time()->set_nanos(page * 1000);
    event->set_identity(request->identity());
    if (page < 3) response->set_next_page_token(std::to_string(page + 1));
    return grpc::Status::OK;
  }

  grpc::Status VerifyChain(grpc::ServerContext*,
                           const v1::VerifyChainRequest* request,
                           v1::VerifyChainResponse* response) override {
    response->set_ok(request->expect_sequence() == 0);
    response->set_first_bad_sequence(request->expect_sequence());
    response->set_message(request->expect_hash());
    response->set_head_sequence(12);
    response->set_head_hash("head");
    return grpc::Status::OK;
  }
};

// Sessions: "sessions/a" and "sessions/b" on two pages; an access token for
// "sessions/a" only; Open echoes its request and records it.
class FakeKsefSessions final : public v1::KsefSessions::Service {
 public:
  grpc::Status OpenSession(grpc::ServerContext*,
                           const v1::OpenSessionRequest* request,
                           v1::OpenSessionResponse* response) override {
    absl::MutexLock lock(&mu_);
    open_requests_.push_back(*request);
    v1::KsefSession* s = response->mutable_session();
    s->set_name("sessions/" + request->session_id());
    s->set_credential(request->credential());
    *s->mutable_allowed_ips() = request->allowed_ips();
    s->set_state(v1::SESSION_STATE_ACTIVE);
    s->mutable_access_token_expire_time()->set_seconds(1764000900);
    return grpc::Status::OK;
  }

  grpc::Status GetAccessToken(grpc::ServerContext*,
                              const v1::GetAccessTokenRequest* request,
                              v1::GetAccessTokenResponse* response) override {
    if (request->name() != "sessions/a") {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          "session \"b\": KSeF status 450");
    }
    response->set_access_token("eyJ.access.a");
    response->mutable_valid_until()->set_seconds(1764000900);
    return grpc::Status::OK;
  }

  grpc::Status ListSessions(grpc::ServerContext*,
                            const v1::ListSessionsRequest* request,
                            v1::ListSessionsResponse* response) override {
    if (request->page_token().empty()) {
      response->add_sessions()->set_name("sessions/a");
      response->set_next_page_token("sessions/a");
    } else {
      response->add_sessions()->set_name("sessions/b");
    }
    return grpc::Status::OK;
  }

  std::vector<v1::OpenSessionRequest> open_requests() {
    absl::MutexLock lock(&mu_);
    return open_requests_;
  }

 private:
  absl::Mutex mu_;
  std::vector<v1::OpenSessionRequest> open_requests_ ABSL_GUARDED_BY(mu_);
};

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.RegisterService(&tokens_);
    builder.RegisterService(&audit_);
    builder.RegisterService(&sessions_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    client_ = Client::ForChannel(
        server_->InProcessChannel(grpc::ChannelArguments()), absl::Seconds(30));
  }
  void TearDown() override {
    client_.reset();
    server_->Shutdown();
  }

  FakeTokenVault tokens_;
  FakeAuditLog audit_;
  FakeKsefSessions sessions_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Client> client_;
};

std::vector<std::string> Names(const std::vector<Token>& tokens) {
  std::vector<std::string> names;
  for (const Token& t : tokens) names.push_back(t.name);
  return names;
}

TEST_F(ClientTest, ListAllFollowsEveryPageIncludingAnEmptyOne) {
  tokens_.pages[""] = {{"tokens/a", "tokens/b"}, "p2"};
  tokens_.pages["p2"] = {{}, "p3"};  // empty, yet not the last
  tokens_.pages["p3"] = {{"tokens/c"}, ""};
  auto all = client_->tokens().ListAll(
      {.context = "nip:5265877635", .state = CredentialState::kDisabled});
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(Names(*all), ElementsAre("tokens/a", "tokens/b", "tokens/c"));
  EXPECT_EQ((*all)[0].state, CredentialState::kActive);

  // Each page was asked for with the same filters and the previous token.
  std::vector<v1::ListTokensRequest> requests = tokens_.list_requests();
  ASSERT_EQ(requests.size(), 3u);
  std::vector<std::string> page_tokens;
  for (const v1::ListTokensRequest& r : requests) {
    page_tokens.push_back(r.page_token());
    EXPECT_EQ(r.context(), "nip:5265877635");
    EXPECT_EQ(r.state(), v1::CREDENTIAL_STATE_DISABLED);
  }
  EXPECT_THAT(page_tokens, ElementsAre("", "p2", "p3"));
}

TEST_F(ClientTest, ListAllFailsWithThePageThatFailed) {
  tokens_.pages[""] = {{"tokens/a"}, "p2"};
  tokens_.fail_on_token = "p2";
  tokens_.fail_on_token_status =
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "storage is busy");
  auto all = client_->tokens().ListAll({});
  EXPECT_EQ(all.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(all.status().message(), "storage is busy");
}

TEST_F(ClientTest, TheServersRetryDelayIsKeptWithTheError) {
  tokens_.pages[""] = {{"tokens/a"}, "p2"};
  tokens_.fail_on_token = "p2";
  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_seconds(1);
  retry.mutable_retry_delay()->set_nanos(250'000'000);
  google::rpc::Status details;
  details.set_code(grpc::StatusCode::RESOURCE_EXHAUSTED);
  details.set_message("rate limit");
  details.add_details()->PackFrom(retry);
  tokens_.fail_on_token_status =
      grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "rate limit",
                   details.SerializeAsString());
  auto all = client_->tokens().ListAll({});
  EXPECT_EQ(all.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(all.status().message(), "rate limit");
  EXPECT_EQ(RetryAfter(all.status()), absl::Milliseconds(1250));
  EXPECT_EQ(RetryHintText(absl::Milliseconds(1250)), "retry in 1.25 s");
}

TEST_F(ClientTest, AnErrorWithoutDetailsHasNoRetryDelay) {
  tokens_.pages[""] = {{"tokens/a"}, "p2"};
  tokens_.fail_on_token = "p2";
  tokens_.fail_on_token_status =
      grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "busy", "not-proto");
  auto all = client_->tokens().ListAll({});
  EXPECT_EQ(all.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(RetryAfter(all.status()), std::nullopt);
}

TEST_F(ClientTest, ListPageReturnsOnePageAndItsNextToken) {
  tokens_.pages["p2"] = {{"tokens/x"}, "p3"};
  auto page =
      client_->tokens().ListPage({}, {.page_size = 1, .page_token = "p2"});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(Names(page->items), ElementsAre("tokens/x"));
  EXPECT_EQ(page->next_page_token, "p3");
  EXPECT_EQ(tokens_.list_requests().at(0).page_size(), 1);
}

TEST_F(ClientTest, ImportSendsTheSecretAndReturnsTheStoredToken) {
  TokenImport token{.token_id = "erp",
                    .context = "nip:5265877635",
                    .permissions = {TokenPermission::kInvoiceWrite},
                    .description = "",
                    .expire_time = absl::FromUnixSeconds(1798761600),
                    .secret = SecretFromView("20251124-EC-0123|nip-1|abc")};
  auto stored = client_->tokens().Import(token);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->name, "tokens/erp");
  EXPECT_THAT(stored->permissions, ElementsAre(TokenPermission::kInvoiceWrite));
  EXPECT_EQ(stored->expire_time, absl::FromUnixSeconds(1798761600));

  std::vector<v1::ImportTokenRequest> requests = tokens_.import_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].secret(), "20251124-EC-0123|nip-1|abc");
  EXPECT_EQ(requests[0].context(), "nip:5265877635");
  // The caller's secret is still its own, untouched.
  EXPECT_EQ(SecretView(token.secret), "20251124-EC-0123|nip-1|abc");
}

TEST_F(ClientTest, ServerErrorsKeepTheirCodeAndMessage) {
  auto rotated =
      client_->tokens().Rotate("tokens/gone", SecretFromView("new-secret"));
  EXPECT_EQ(rotated.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(rotated.status().message(), "tokens/gone does not exist");
  EXPECT_EQ(tokens_.rotated_secret(), "new-secret");

  // A service the server does not have.
  auto keys = client_->keys().ListAll({});
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kUnimplemented);
}

TEST_F(ClientTest, AuditEventsOfEveryPageInOrderWithTheirTimes) {
  auto events = client_->audit().ListAll({.start_time = std::nullopt,
                                          .end_time = std::nullopt,
                                          .identity = "erp-1",
                                          .operation = "",
                                          .outcome = ""});
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ((*events)[i].sequence, i + 1);
    EXPECT_EQ((*events)[i].identity, "erp-1");
    EXPECT_EQ((*events)[i].time, absl::FromUnixSeconds(1764000000 + i + 1) +
                                     absl::Microseconds(i + 1));
  }
}

TEST_F(ClientTest, VerifySendsTheExpectedHeadOnlyWhenGiven) {
  auto plain = client_->audit().Verify();
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_TRUE(plain->ok);
  EXPECT_EQ(plain->head.sequence, 12);
  EXPECT_EQ(plain->head.hash, "head");

  auto expecting =
      client_->audit().Verify(ChainHead{.sequence = 5, .hash = "ab"});
  ASSERT_TRUE(expecting.ok()) << expecting.status();
  EXPECT_FALSE(expecting->ok);
  EXPECT_EQ(expecting->first_bad_sequence, 5);
  EXPECT_EQ(expecting->message, "ab");
}

TEST_F(ClientTest, SessionOpensWithEveryFieldAsSent) {
  auto opened = client_->sessions().Open(
      {.session_id = "acme",
       .credential = "keys/acme-auth",
       .context = "nip:5265877635",
       .environment = "test",
       .allowed_ips = {.ip4_addresses = {"127.0.0.1"},
                       .ip4_ranges = {},
                       .ip4_masks = {"10.0.0.0/8"}},
       .subject_identifier_type =
           SubjectIdentifierType::kCertificateFingerprint});
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->name, "sessions/acme");
  EXPECT_EQ(opened->state, SessionState::kActive);
  EXPECT_EQ(opened->access_token_expire_time,
            absl::FromUnixSeconds(1764000900));
  EXPECT_FALSE(opened->refresh_token_expire_time.has_value());
  EXPECT_THAT(opened->allowed_ips.ip4_masks, ElementsAre("10.0.0.0/8"));

  std::vector<v1::OpenSessionRequest> requests = sessions_.open_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].context(), "nip:5265877635");
  EXPECT_EQ(requests[0].environment(), "test");
  EXPECT_EQ(requests[0].subject_identifier_type(),
            v1::SUBJECT_IDENTIFIER_TYPE_CERTIFICATE_FINGERPRINT);
  EXPECT_THAT(requests[0].allowed_ips().ip4_addresses(),
              ElementsAre("127.0.0.1"));
}

TEST_F(ClientTest, AccessTokenComesBackInSecretBytesOrWithTheKsefRefusal) {
  auto token = client_->sessions().GetAccessToken("sessions/a");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(SecretView(token->token), "eyJ.access.a");
  EXPECT_EQ(token->valid_until, absl::FromUnixSeconds(1764000900));

  auto refused = client_->sessions().GetAccessToken("sessions/b");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(), "session \"b\": KSeF status 450");
}

TEST_F(ClientTest, SessionListFollowsThePages) {
  auto all = client_->sessions().ListAll();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "sessions/a");
  EXPECT_EQ((*all)[1].name, "sessions/b");
}

}  // namespace
}  // namespace sejf::client
