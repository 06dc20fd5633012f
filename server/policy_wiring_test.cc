// Policy wiring of the adapters, in-process: for every operation, a call
// that needs it succeeds for an identity granted exactly that operation and
// is refused (PERMISSION_DENIED) for one granted every other operation; the
// audit event names the operation and the deciding rule.
#include <grpcpp/grpcpp.h>
#include <openssl/sha.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sejf/v1/audit_log.grpc.pb.h"
#include "sejf/v1/dropoff.grpc.pb.h"
#include "sejf/v1/key_custody.grpc.pb.h"
#include "sejf/v1/ksef_auth.grpc.pb.h"
#include "sejf/v1/ksef_sessions.grpc.pb.h"
#include "sejf/v1/token_vault.grpc.pb.h"
#include "server/policy/operations.h"
#include "server/testing/in_process_sejfd.h"
#include "signer/ministry/testing/ministry_test_certs.h"

namespace sejf::server {
namespace {

using ::sejf::server::testing::AllowRule;
using ::sejf::server::testing::CallAs;
using ::sejf::server::testing::InProcessSejfd;

constexpr char kContext[] = "nip:5265877635";
constexpr char kChallenge[] = "20260601-CR-226FB7B000-3ACF9BE4C0-10";

struct Stubs {
  explicit Stubs(const std::shared_ptr<grpc::Channel>& channel)
      : keys(sejf::v1::KeyCustody::NewStub(channel)),
        tokens(sejf::v1::TokenVault::NewStub(channel)),
        ksef(sejf::v1::KsefAuth::NewStub(channel)),
        sessions(sejf::v1::KsefSessions::NewStub(channel)),
        audit(sejf::v1::AuditLog::NewStub(channel)),
        dropoff(sejf::v1::Dropoff::NewStub(channel)) {}
  std::unique_ptr<sejf::v1::KeyCustody::Stub> keys;
  std::unique_ptr<sejf::v1::TokenVault::Stub> tokens;
  std::unique_ptr<sejf::v1::KsefAuth::Stub> ksef;
  std::unique_ptr<sejf::v1::KsefSessions::Stub> sessions;
  std::unique_ptr<sejf::v1::AuditLog::Stub> audit;
  std::unique_ptr<sejf::v1::Dropoff::Stub> dropoff;  // issue 15
};

// One call that needs the operation, made with `context`.
using Call = std::function<grpc::Status(Stubs&, grpc::ClientContext*)>;

struct Case {
  Operation operation;
  Call call;
};

template <typename Request, typename Response, typename Stub>
grpc::Status Unary(Stub* stub,
                   grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                const Request&, Response*),
                   grpc::ClientContext* context, const Request& request) {
  Response response;
  return (stub->*method)(context, request, &response);
}

std::vector<Case> Cases() {
  using namespace sejf::v1;
  return {
      {Operation::kKeysRead,
       [](Stubs& s, grpc::ClientContext* c) {
         GetKeyRequest r;
         r.set_name("keys/k-auth");
         return Unary(s.keys.get(), &KeyCustody::Stub::GetKey, c, r);
       }},
      {Operation::kKeysManage,
       [](Stubs& s, grpc::ClientContext* c) {
         DisableKeyRequest r;
         r.set_name("keys/k-auth");
         return Unary(s.keys.get(), &KeyCustody::Stub::DisableKey, c, r);
       }},
      {Operation::kTokensRead,
       [](Stubs& s, grpc::ClientContext* c) {
         GetTokenRequest r;
         r.set_name("tokens/t1");
         return Unary(s.tokens.get(), &TokenVault::Stub::GetToken, c, r);
       }},
      {Operation::kTokensManage,
       [](Stubs& s, grpc::ClientContext* c) {
         DisableTokenRequest r;
         r.set_name("tokens/t1");
         return Unary(s.tokens.get(), &TokenVault::Stub::DisableToken, c, r);
       }},
      {Operation::kMfcertsManage,
       [](Stubs& s, grpc::ClientContext* c) {
         return Unary(s.ksef.get(), &KsefAuth::Stub::ListMinistryCertificates,
                      c, ListMinistryCertificatesRequest());
       }},
      {Operation::kAuthXades,
       [](Stubs& s, grpc::ClientContext* c) {
         SignAuthTokenRequestRequest r;
         r.set_key("keys/k-auth");
         r.set_challenge(kChallenge);
         r.set_context(kContext);
         return Unary(s.ksef.get(), &KsefAuth::Stub::SignAuthTokenRequest, c,
                      r);
       }},
      {Operation::kAuthToken,
       [](Stubs& s, grpc::ClientContext* c) {
         EncryptTokenRequest r;
         r.set_token("tokens/t1");
         r.set_challenge(kChallenge);
         r.set_timestamp_ms(testing::kTestNowUnixSeconds * 1000);
         r.set_environment("test");
         return Unary(s.ksef.get(), &KsefAuth::Stub::EncryptToken, c, r);
       }},
      {Operation::kQrOffline,
       [](Stubs& s, grpc::ClientContext* c) {
         SignOfflineQrCodeRequest r;
         r.set_key("keys/k-off");
         r.set_context(kContext);
         r.set_seller_nip("5265877635");
         r.set_invoice_sha256(std::string(32, '\x02'));
         r.set_environment("test");
         return Unary(s.ksef.get(), &KsefAuth::Stub::SignOfflineQrCode, c, r);
       }},
      {Operation::kAuditRead,
       [](Stubs& s, grpc::ClientContext* c) {
         return Unary(s.audit.get(), &AuditLog::Stub::VerifyChain, c,
                      VerifyChainRequest());
       }},
      {Operation::kVaultAdmin,
       [](Stubs& s, grpc::ClientContext* c) {
         return Unary(s.tokens.get(), &TokenVault::Stub::GetVaultStatus, c,
                      GetVaultStatusRequest());
       }},
      {Operation::kSessionsManage,
       [](Stubs& s, grpc::ClientContext* c) {
         OpenSessionRequest r;
         r.set_session_id("s-new");
         r.set_credential("keys/k-auth");
         r.set_context(kContext);
         r.set_environment("test");
         return Unary(s.sessions.get(), &KsefSessions::Stub::OpenSession, c, r);
       }},
      {Operation::kSessionsToken,
       [](Stubs& s, grpc::ClientContext* c) {
         GetAccessTokenRequest r;
         r.set_name("sessions/s1");
         return Unary(s.sessions.get(), &KsefSessions::Stub::GetAccessToken, c,
                      r);
       }},
      {Operation::kSessionsRead,
       [](Stubs& s, grpc::ClientContext* c) {
         GetSessionRequest r;
         r.set_name("sessions/s1");
         return Unary(s.sessions.get(), &KsefSessions::Stub::GetSession, c, r);
       }},
      // Issue 14: a token minted in the fake KSeF through session s1.
      {Operation::kTokensCreate,
       [](Stubs& s, grpc::ClientContext* c) {
         CreateTokenInKsefRequest r;
         r.set_token_id("t-minted");
         r.set_session("sessions/s1");
         r.add_permissions(TOKEN_PERMISSION_INVOICE_READ);
         r.set_description("minted by the wiring test");
         return Unary(s.tokens.get(), &TokenVault::Stub::CreateTokenInKsef, c,
                      r);
       }},
      {Operation::kKeysEnroll,
       [](Stubs& s, grpc::ClientContext* c) {
         EnrollKeyRequest r;
         r.set_key_id("k-enrolled");
         r.set_session("sessions/s1");
         r.set_usage(KEY_USAGE_AUTHENTICATION);
         return Unary(s.keys.get(), &KeyCustody::Stub::EnrollKey, c, r);
       }},
      // Issue 15: drop-off links (the in-process sejfd has no listener;
      // listing needs none).
      {Operation::kDropoffManage,
       [](Stubs& s, grpc::ClientContext* c) {
         ListDropoffsRequest r;
         return Unary(s.dropoff.get(), &Dropoff::Stub::ListDropoffs, c, r);
       }},
  };
}

std::string OperationLabel(const ::testing::TestParamInfo<Case>& info) {
  std::string name(OperationName(info.param.operation));
  for (char& ch : name) {
    if (ch == '.') ch = '_';
  }
  return name;
}

class PolicyWiringTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    const Operation op = GetParam().operation;
    std::vector<std::string> all, others;
    for (Operation o : AllOperations()) {
      all.push_back(std::string(OperationName(o)));
      if (o != op) others.push_back(std::string(OperationName(o)));
    }
    auto started = InProcessSejfd::Start(
        {AllowRule("admin", all),
         AllowRule("holder", {std::string(OperationName(op))}),
         AllowRule("others", others)});
    ASSERT_TRUE(started.ok()) << started.status();
    sejfd_ = *std::move(started);
    stubs_ = std::make_unique<Stubs>(sejfd_->channel());
    ASSERT_NO_FATAL_FAILURE(Populate());
  }

  // As admin: an authentication and an offline key with self-signed
  // certificates, token t1, a pinned Ministry certificate for "test", and
  // session s1 (k-auth, in the fake KSeF).
  void Populate() {
    using namespace sejf::v1;
    for (auto [id, usage, dn] :
         {std::tuple("k-auth", KEY_USAGE_AUTHENTICATION,
                     "CN=Jan Kowalski,C=PL,SN=TINPL-5265877635"),
          std::tuple("k-off", KEY_USAGE_OFFLINE,
                     "CN=Offline,C=PL,O=Acme,organizationIdentifier="
                     "VATPL-5265877635")}) {
      GenerateKeyRequest generate;
      generate.set_key_id(id);
      generate.set_usage(usage);
      Expect(Unary(stubs_->keys.get(), &KeyCustody::Stub::GenerateKey, Admin(),
                   generate));
      SelfSignCertificateRequest self_sign;
      self_sign.set_name(absl::StrCat("keys/", id));
      self_sign.set_subject(dn);
      self_sign.set_validity_days(30);
      Expect(Unary(stubs_->keys.get(), &KeyCustody::Stub::SelfSignCertificate,
                   Admin(), self_sign));
    }
    ImportTokenRequest token;
    token.set_token_id("t1");
    token.set_context(kContext);
    token.set_secret("20250101-EC-0123456789ABCDEF|nip-5265877635|abc");
    Expect(Unary(stubs_->tokens.get(), &TokenVault::Stub::ImportToken, Admin(),
                 token));
    signer::testing::TestCertOptions options;
    options.key_usage = "keyEncipherment";
    signer::testing::TestCert mf = signer::testing::MakeTestCert(options);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(mf.der.data()), mf.der.size(),
           digest);
    ImportMinistryCertificatesRequest mfcert;
    mfcert.set_environment("test");
    mfcert.set_content(mf.pem);
    mfcert.add_pin_fingerprints(absl::BytesToHexString(absl::string_view(
        reinterpret_cast<const char*>(digest), sizeof(digest))));
    Expect(Unary(stubs_->ksef.get(),
                 &KsefAuth::Stub::ImportMinistryCertificates, Admin(), mfcert));
    // A standing session s1, logged in to the fake KSeF with k-auth.
    OpenSessionRequest session;
    session.set_session_id("s1");
    session.set_credential("keys/k-auth");
    session.set_context(kContext);
    session.set_environment("test");
    Expect(Unary(stubs_->sessions.get(), &KsefSessions::Stub::OpenSession,
                 Admin(), session));
  }

  grpc::ClientContext* Admin() {
    contexts_.push_back(CallAs("admin"));
    return contexts_.back().get();
  }
  static void Expect(const grpc::Status& status) {
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  std::unique_ptr<InProcessSejfd> sejfd_;
  std::unique_ptr<Stubs> stubs_;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts_;
};

TEST_P(PolicyWiringTest, AllowedOnlyWithItsOperation) {
  const Case& c = GetParam();
  auto denied_context = CallAs("others");
  grpc::Status denied = c.call(*stubs_, denied_context.get());
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << denied.error_message();

  auto allowed_context = CallAs("holder");
  grpc::Status allowed = c.call(*stubs_, allowed_context.get());
  EXPECT_TRUE(allowed.ok())
      << allowed.error_code() << " " << allowed.error_message();

  std::vector<vault::AuditEvent> events = sejfd_->AuditEvents();
  ASSERT_FALSE(events.empty());
  const vault::AuditEvent& last = events.back();
  EXPECT_EQ(last.identity, "holder");
  EXPECT_EQ(last.operation, OperationName(c.operation));
  EXPECT_EQ(last.rule, "holder-rule");
  EXPECT_EQ(last.outcome, "OK");
}

INSTANTIATE_TEST_SUITE_P(EveryOperation, PolicyWiringTest,
                         ::testing::ValuesIn(Cases()), OperationLabel);

TEST(PolicyWiringCoverageTest, EveryOperationHasACase) {
  std::vector<Case> cases = Cases();
  EXPECT_EQ(cases.size(), kOperationCount);
  for (Operation op : AllOperations()) {
    EXPECT_EQ(std::count_if(cases.begin(), cases.end(),
                            [&](const Case& c) { return c.operation == op; }),
              1)
        << OperationName(op);
  }
}

}  // namespace
}  // namespace sejf::server
