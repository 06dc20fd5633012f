// Authorization before lookup (docs/access-control.md): a caller who may not
// act on a named record gets the same answer — code and message, the name
// aside — whether the record exists or not, over real gRPC with mutual TLS
// to a dev sejfd whose KSeF environment "emu" is the KSeF emulator.
//
// The records (made by the admin on the unix socket): a key enrolled
// through KSeF in context A, a key never enrolled, a KSeF token minted in
// context B, sessions in A and B, a drop-off link in A. The callers:
//   - "tenant-b": keys.enroll, tokens.manage and dropoff.manage for every
//     credential, in context B only;
//   - "outsider": keys.read only.
// Each refused call is asked for an existing record and a missing one; the
// two answers must match with the names replaced. Every case here answered
// differently before the handlers authorized first.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sejf/v1/dropoff.grpc.pb.h"
#include "sejf/v1/key_custody.grpc.pb.h"
#include "sejf/v1/ksef_sessions.grpc.pb.h"
#include "sejf/v1/token_vault.grpc.pb.h"
#include "tests/testing/ksef_emulator.h"
#include "tests/testing/sejfd_test.h"

namespace sejf::testing {
namespace {

constexpr char kEnvironment[] = "emu";
constexpr char kContextA[] = "nip:5265877635";
constexpr char kContextB[] = "nip:1234563218";
constexpr char kSubject[] =
    "CN=Jan Kowalski,serialNumber=TINPL-5265877635,C=PL";

constexpr char kPolicy[] = R"(
[[policy]]
name = "tenant-b"
identities = ["tenant-b"]
operations = ["keys.enroll", "tokens.manage", "dropoff.manage",
              "sessions.manage"]
contexts = ["nip:1234563218"]
credentials = ["*"]

[[policy]]
name = "outsider-reads"
identities = ["outsider"]
operations = ["keys.read"]
)";

// What a caller is told: the code and the message with `name` replaced.
struct Answer {
  grpc::StatusCode code;
  std::string message;
  bool operator==(const Answer&) const = default;
};

void PrintTo(const Answer& a, std::ostream* os) {
  *os << a.code << " \"" << a.message << "\"";
}

Answer AnswerOf(const grpc::Status& status, const std::string& name) {
  return {status.error_code(),
          absl::StrReplaceAll(status.error_message(), {{name, "NAME"}})};
}

std::unique_ptr<grpc::ClientContext> Deadline() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(60));
  return context;
}

class AuthzOrderE2eTest : public SejfdTest {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<KsefEmulator>> emulator =
        KsefEmulator::Start();
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    ASSERT_TRUE(emulator_->Configure({.pending_polls = 0}).ok());
    SejfdConfig config;
    config.config = absl::StrCat(
        "[ksef]\nenrollment_wait_seconds = 20\n"
        "enrollment_poll_seconds = 1\n\n",
        emulator_->EnvironmentConfig(kEnvironment), kPolicy);
    config.env = {{"SEJF_DROPOFF_LISTEN", "127.0.0.1:0"}};
    ASSERT_NO_FATAL_FAILURE(StartSejfd(config));
    Expect0(Sejf({"key", "generate", "--name", "login-key", "--usage",
                  "authentication"}));
    Expect0(Sejf({"key", "self-sign", "login-key", "--subject", kSubject,
                  "--days", "30"}));
    Expect0(Open("in-a", kContextA));
    Expect0(Open("in-b", kContextB));
    Expect0(Sejf({"key", "enroll", "--name", "cert-key", "--session", "in-a",
                  "--type", "authentication"}));
    Expect0(Sejf({"token", "create", "--name", "minted-b", "--session", "in-b",
                  "--permissions", "InvoiceRead", "--description",
                  "authz order e2e"}));
    Expect0(Sejf(
        {"token", "import", "--name", "imported-a", "--context", kContextA},
        "canary|imported-a-secret\n"));
    CommandResult link = Sejf({"dropoff", "create", "--token-name", "drop-a",
                               "--context", kContextA, "--expires", "24h"});
    Expect0(link);
    const std::string url(absl::StripAsciiWhitespace(link.out));
    dropoff_id_ = url.substr(url.find("/d/") + 3);
    dropoff_id_ = dropoff_id_.substr(0, dropoff_id_.find('#'));
    ASSERT_EQ(dropoff_id_.size(), 16u) << link.out;
  }

  static void TearDownTestSuite() {
    SejfdTest::TearDownTestSuite();
    emulator_.reset();
  }

  static void Expect0(const CommandResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  static CommandResult Open(const std::string& name,
                            const std::string& context) {
    return Sejf({"session", "open", "--name", name, "--key", "login-key",
                 "--context", context, "--environment", kEnvironment});
  }

  static Answer Renew(const std::string& identity, const std::string& key,
                      const std::string& session = "") {
    sejf::v1::RenewKeyRequest request;
    request.set_name(absl::StrCat("keys/", key));
    if (!session.empty())
      request.set_session(absl::StrCat("sessions/", session));
    sejf::v1::RenewKeyResponse response;
    grpc::Status status = sejf::v1::KeyCustody::NewStub(ChannelAs(identity))
                              ->RenewKey(Deadline().get(), request, &response);
    return AnswerOf(status, session.empty() ? key : session);
  }

  static std::unique_ptr<KsefEmulator> emulator_;
  static std::string dropoff_id_;
};

std::unique_ptr<KsefEmulator> AuthzOrderE2eTest::emulator_;
std::string AuthzOrderE2eTest::dropoff_id_;

TEST_F(AuthzOrderE2eTest, RenewKeyAnswersAKeyOfAnotherContextAsAMissingOne) {
  // tenant-b may renew keys in B only; "cert-key" was enrolled in A.
  const Answer enrolled = Renew("tenant-b", "cert-key");
  EXPECT_EQ(enrolled.code, grpc::StatusCode::FAILED_PRECONDITION)
      << enrolled.message;
  EXPECT_EQ(enrolled, Renew("tenant-b", "no-such-key"));
  EXPECT_EQ(enrolled, Renew("tenant-b", "login-key"));  // never enrolled
  // Nothing was renewed.
  EXPECT_EQ(SejfJson({"key", "versions", "cert-key"})["versions"].size(), 1u);

  // A caller with no keys.enroll at all: refused by name, the same for all.
  const Answer outsider = Renew("outsider", "cert-key");
  EXPECT_EQ(outsider.code, grpc::StatusCode::PERMISSION_DENIED)
      << outsider.message;
  EXPECT_EQ(outsider, Renew("outsider", "no-such-key"));
  EXPECT_EQ(outsider, Renew("outsider", "login-key"));
}

TEST_F(AuthzOrderE2eTest, RenewKeyThroughASessionOfAnotherContext) {
  // The session named is in A: answered as a missing session.
  const Answer other = Renew("tenant-b", "cert-key", "in-a");
  EXPECT_EQ(other.code, grpc::StatusCode::NOT_FOUND) << other.message;
  EXPECT_EQ(other, Renew("tenant-b", "cert-key", "no-such-session"));
  const Answer outsider = Renew("outsider", "cert-key", "in-a");
  EXPECT_EQ(outsider.code, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(outsider, Renew("outsider", "cert-key", "no-such-session"));
}

TEST_F(AuthzOrderE2eTest, RevokeInKsefThroughASessionOfAnotherContext) {
  // tenant-b manages "minted-b" (context B); session "in-a" is in A, whose
  // existence and context it must not learn.
  const auto destroy = [](const std::string& session) {
    sejf::v1::DestroyTokenRequest request;
    request.set_name("tokens/minted-b");
    request.set_revoke_in_ksef(true);
    request.set_session(absl::StrCat("sessions/", session));
    sejf::v1::DestroyTokenResponse response;
    grpc::Status status =
        sejf::v1::TokenVault::NewStub(ChannelAs("tenant-b"))
            ->DestroyToken(Deadline().get(), request, &response);
    return AnswerOf(status, session);
  };
  const Answer other = destroy("in-a");
  EXPECT_EQ(other.code, grpc::StatusCode::NOT_FOUND) << other.message;
  EXPECT_THAT(other.message, ::testing::Not(::testing::HasSubstr(kContextA)));
  EXPECT_EQ(other, destroy("no-such-session"));
  // The token is still there.
  EXPECT_EQ(SejfJson({"token", "show", "minted-b"}).value("state", ""),
            "CREDENTIAL_STATE_ACTIVE");
}

TEST_F(AuthzOrderE2eTest, OpenSessionWithATokenOfAnotherContext) {
  // tenant-b may open sessions in B; "imported-a" is a token in A.
  const auto open = [](const std::string& token) {
    sejf::v1::OpenSessionRequest request;
    request.set_session_id("tb-login");
    request.set_credential(absl::StrCat("tokens/", token));
    request.set_context(kContextB);
    request.set_environment(kEnvironment);
    sejf::v1::OpenSessionResponse response;
    grpc::Status status =
        sejf::v1::KsefSessions::NewStub(ChannelAs("tenant-b"))
            ->OpenSession(Deadline().get(), request, &response);
    return AnswerOf(status, token);
  };
  const Answer other = open("imported-a");
  EXPECT_EQ(other.code, grpc::StatusCode::NOT_FOUND) << other.message;
  EXPECT_EQ(other, open("no-such-token"));
}

TEST_F(AuthzOrderE2eTest, CancelDropoffAnswersTheSameForAnExistingLink) {
  const auto cancel = [](const std::string& identity, const std::string& id) {
    sejf::v1::CancelDropoffRequest request;
    request.set_name(absl::StrCat("dropoffs/", id));
    sejf::v1::CancelDropoffResponse response;
    grpc::Status status =
        sejf::v1::Dropoff::NewStub(ChannelAs(identity))
            ->CancelDropoff(Deadline().get(), request, &response);
    return AnswerOf(status, id);
  };
  const std::string missing = "0123456789abcdef";
  // A caller who manages no links: refused, whether or not it exists.
  const Answer outsider = cancel("outsider", dropoff_id_);
  EXPECT_EQ(outsider.code, grpc::StatusCode::PERMISSION_DENIED)
      << outsider.message;
  EXPECT_EQ(outsider, cancel("outsider", missing));
  // One who manages links in B only: a link in A is a missing one.
  const Answer tenant = cancel("tenant-b", dropoff_id_);
  EXPECT_EQ(tenant.code, grpc::StatusCode::NOT_FOUND) << tenant.message;
  EXPECT_EQ(tenant, cancel("tenant-b", missing));
  // The link is still pending.
  nlohmann::json links = SejfJson({"dropoff", "list"});
  ASSERT_EQ(links.size(), 1u) << links.dump();
  EXPECT_EQ(links[0].value("state", ""), "pending");
}

}  // namespace
}  // namespace sejf::testing
