// The gRPC adapters in-process (server/testing/in_process_sejfd.h): real
// services over the real domain in memory, called through an in-process
// channel. What a client sees: the method each call is recorded under, the
// status codes and messages of domain errors, and requests and responses
// converted both ways, enum defaults included. Policy per operation is in
// policy_wiring_test.cc.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sejf/v1/audit_log.grpc.pb.h"
#include "sejf/v1/identity.grpc.pb.h"
#include "sejf/v1/key_custody.grpc.pb.h"
#include "sejf/v1/ksef_auth.grpc.pb.h"
#include "sejf/v1/token_vault.grpc.pb.h"
#include "server/policy/operations.h"
#include "server/rpc_method.h"
#include "server/services.h"
#include "server/testing/in_process_sejfd.h"

namespace sejf::server {
namespace {

using ::sejf::server::testing::AllowRule;
using ::sejf::server::testing::CallAs;
using ::sejf::server::testing::InProcessSejfd;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::vector<std::string> AllOperationNames() {
  std::vector<std::string> names;
  for (Operation op : AllOperations()) {
    names.push_back(std::string(OperationName(op)));
  }
  return names;
}

class AdapterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started =
        InProcessSejfd::Start({AllowRule("admin", AllOperationNames()),
                               AllowRule("reader", {"*.read"})});
    ASSERT_TRUE(started.ok()) << started.status();
    sejfd_ = *std::move(started);
    keys_ = sejf::v1::KeyCustody::NewStub(sejfd_->channel());
    tokens_ = sejf::v1::TokenVault::NewStub(sejfd_->channel());
    ksef_ = sejf::v1::KsefAuth::NewStub(sejfd_->channel());
  }

  // The x-request-id the frame returned for a finished call.
  static std::string RequestId(const grpc::ClientContext& context) {
    const auto& trailing = context.GetServerTrailingMetadata();
    auto it = trailing.find("x-request-id");
    if (it == trailing.end()) return "";
    return std::string(it->second.data(), it->second.size());
  }

  // The result event of the call with `request_id` (not its intent).
  vault::AuditEvent ResultEvent(const std::string& request_id) {
    for (const vault::AuditEvent& e : sejfd_->AuditEvents()) {
      if (e.request_id == request_id && e.outcome != "STARTED") return e;
    }
    ADD_FAILURE() << "no audit event for request " << request_id;
    return {};
  }

  grpc::Status GenerateKey(
      const std::string& id, sejf::v1::KeyUsage usage,
      sejf::v1::Key* key = nullptr,
      sejf::v1::KeyAlgorithm algorithm = sejf::v1::KEY_ALGORITHM_UNSPECIFIED,
      const std::string& as = "admin") {
    sejf::v1::GenerateKeyRequest request;
    request.set_key_id(id);
    request.set_usage(usage);
    request.set_algorithm(algorithm);
    sejf::v1::GenerateKeyResponse response;
    grpc::Status status =
        keys_->GenerateKey(CallAs(as).get(), request, &response);
    if (key != nullptr) *key = response.key();
    return status;
  }

  grpc::Status ImportToken(const std::string& id,
                           sejf::v1::ImportTokenRequest request = {},
                           sejf::v1::Token* token = nullptr) {
    request.set_token_id(id);
    if (request.context().empty()) request.set_context("nip:5265877635");
    if (request.secret().empty()) request.set_secret("20250101-EC-TOKEN|x");
    sejf::v1::ImportTokenResponse response;
    grpc::Status status =
        tokens_->ImportToken(CallAs("admin").get(), request, &response);
    if (token != nullptr) *token = response.token();
    return status;
  }

  std::unique_ptr<InProcessSejfd> sejfd_;
  std::unique_ptr<sejf::v1::KeyCustody::Stub> keys_;
  std::unique_ptr<sejf::v1::TokenVault::Stub> tokens_;
  std::unique_ptr<sejf::v1::KsefAuth::Stub> ksef_;
};

// A unary call of `method` with an empty (all-default) request, as `as`.
grpc::Status CallEmpty(grpc::Channel& channel, const std::string& method,
                       grpc::ClientContext* context) {
  grpc::GenericStub stub(
      std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  grpc::CompletionQueue cq;
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
      stub.PrepareUnaryCall(context, method, request, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  EXPECT_TRUE(cq.Next(&tag, &ok));
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

TEST_F(AdapterTest, EveryHandlerRecordsItsOwnFullMethodName) {
  int methods = 0;
  for (const std::string& name : SejfServices::ServiceNames()) {
    const google::protobuf::ServiceDescriptor* service =
        ServiceDescriptorOf(name);
    ASSERT_NE(service, nullptr);
    for (int m = 0; m < service->method_count(); ++m) {
      const std::string method =
          absl::StrCat("/", name, "/", service->method(m)->name());
      // No rule names "nobody": each call ends in a handler's refusal (bad
      // input or policy) or, for what needs no rule, an answer.
      auto context = CallAs("nobody");
      grpc::Status status =
          CallEmpty(*sejfd_->channel(), method, context.get());
      EXPECT_NE(status.error_code(), grpc::StatusCode::UNIMPLEMENTED) << method;
      const std::string request_id = RequestId(*context);
      ASSERT_FALSE(request_id.empty()) << method;
      vault::AuditEvent event = ResultEvent(request_id);
      EXPECT_EQ(event.method, method);
      EXPECT_EQ(event.identity, "nobody") << method;
      EXPECT_EQ(event.outcome, GrpcCodeName(status.error_code())) << method;
      ++methods;
    }
  }
  EXPECT_GE(methods, 28);  // the API of v1 at the time of writing
}

// No handler runs for it: the call interceptor answers and audits it, with
// the caller from the same seam as the handlers'. (gRPC's in-process
// transport gives an unknown method no name — "unknown" — so the name is
// checked over TCP, in tests/frame_e2e_test.cc.)
TEST_F(AdapterTest, UnknownMethodIsUnimplementedAndAudited) {
  auto context = CallAs("nobody");
  grpc::Status status =
      CallEmpty(*sejfd_->channel(), "/sejf.v1.Identity/Nope", context.get());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_THAT(status.error_message(), StartsWith("sejfd has no method"));
  vault::AuditEvent event = ResultEvent(RequestId(*context));
  EXPECT_EQ(event.identity, "nobody");
  EXPECT_EQ(event.outcome, "UNIMPLEMENTED");
}

TEST_F(AdapterTest, CallWithoutIdentityIsUnauthenticated) {
  sejf::v1::WhoAmIResponse response;
  grpc::ClientContext anonymous;
  grpc::Status status = sejf::v1::Identity::NewStub(sejfd_->channel())
                            ->WhoAmI(&anonymous, {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AdapterTest, WhoAmIAnswersTheCallerAndItsOperations) {
  sejf::v1::WhoAmIResponse response;
  ASSERT_TRUE(sejf::v1::Identity::NewStub(sejfd_->channel())
                  ->WhoAmI(CallAs("reader").get(), {}, &response)
                  .ok());
  EXPECT_EQ(response.identity(), "reader");
  EXPECT_EQ(response.transport(), "test");
  EXPECT_THAT(response.granted_operations(),
              ::testing::UnorderedElementsAre("keys.read", "tokens.read",
                                              "audit.read", "sessions.read"));
}

TEST_F(AdapterTest, BadInputIsInvalidArgumentNamingTheField) {
  grpc::Status status =
      GenerateKey("Not A Name", sejf::v1::KEY_USAGE_AUTHENTICATION);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("key_id"));

  sejf::v1::GetKeyRequest get;
  get.set_name("tokens/k1");
  sejf::v1::GetKeyResponse got;
  status = keys_->GetKey(CallAs("admin").get(), get, &got);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "name must be a resource name \"keys/{name}\"");
}

TEST_F(AdapterTest, DomainErrorsKeepTheirCodes) {
  ASSERT_TRUE(GenerateKey("k1", sejf::v1::KEY_USAGE_AUTHENTICATION).ok());
  grpc::Status again = GenerateKey("k1", sejf::v1::KEY_USAGE_AUTHENTICATION);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << again.error_message();

  sejf::v1::GetTokenRequest get;
  get.set_name("tokens/missing");
  sejf::v1::GetTokenResponse got;
  grpc::Status missing = tokens_->GetToken(CallAs("admin").get(), get, &got);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(missing.error_message(), "token \"missing\" not found");

  // No certificate attached: the key cannot sign yet.
  sejf::v1::SignAuthTokenRequestRequest sign;
  sign.set_key("keys/k1");
  sign.set_challenge("20260601-CR-226FB7B000-3ACF9BE4C0-10");
  sign.set_context("nip:5265877635");
  sejf::v1::SignAuthTokenRequestResponse signed_response;
  grpc::Status unusable = ksef_->SignAuthTokenRequest(CallAs("admin").get(),
                                                      sign, &signed_response);
  EXPECT_EQ(unusable.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << unusable.error_message();

  grpc::Status denied =
      GenerateKey("k2", sejf::v1::KEY_USAGE_AUTHENTICATION, nullptr,
                  sejf::v1::KEY_ALGORITHM_UNSPECIFIED, "reader");
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(denied.error_message(),
            "policy does not allow reader to perform operation keys.manage "
            "on k2");
}

TEST_F(AdapterTest, GenerateKeyDefaultsTheAlgorithmAndRequiresTheUsage) {
  sejf::v1::Key key;
  ASSERT_TRUE(GenerateKey("k-ec", sejf::v1::KEY_USAGE_OFFLINE, &key).ok());
  EXPECT_EQ(key.name(), "keys/k-ec");
  EXPECT_EQ(key.algorithm(), sejf::v1::KEY_ALGORITHM_EC_P256);
  EXPECT_EQ(key.usage(), sejf::v1::KEY_USAGE_OFFLINE);
  EXPECT_EQ(key.state(), sejf::v1::CREDENTIAL_STATE_ACTIVE);
  EXPECT_FALSE(key.public_key_der().empty());
  EXPECT_FALSE(key.has_certificate());

  ASSERT_TRUE(GenerateKey("k-rsa", sejf::v1::KEY_USAGE_AUTHENTICATION, &key,
                          sejf::v1::KEY_ALGORITHM_RSA_2048)
                  .ok());
  EXPECT_EQ(key.algorithm(), sejf::v1::KEY_ALGORITHM_RSA_2048);

  grpc::Status no_usage = GenerateKey("k3", sejf::v1::KEY_USAGE_UNSPECIFIED);
  EXPECT_EQ(no_usage.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(no_usage.error_message(),
            "usage is required: one of KEY_USAGE_AUTHENTICATION, "
            "KEY_USAGE_OFFLINE");
  grpc::Status unknown = GenerateKey("k3", sejf::v1::KEY_USAGE_OFFLINE, nullptr,
                                     static_cast<sejf::v1::KeyAlgorithm>(7));
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(unknown.error_message(), StartsWith("algorithm: 7 is not one"));
}

TEST_F(AdapterTest, ListKeysFiltersOnlyWhatIsSpecified) {
  ASSERT_TRUE(GenerateKey("a-auth", sejf::v1::KEY_USAGE_AUTHENTICATION).ok());
  ASSERT_TRUE(GenerateKey("b-off", sejf::v1::KEY_USAGE_OFFLINE).ok());
  sejf::v1::DisableKeyRequest disable;
  disable.set_name("keys/b-off");
  sejf::v1::DisableKeyResponse disabled;
  ASSERT_TRUE(
      keys_->DisableKey(CallAs("admin").get(), disable, &disabled).ok());
  EXPECT_EQ(disabled.key().state(), sejf::v1::CREDENTIAL_STATE_DISABLED);

  auto names = [&](sejf::v1::ListKeysRequest request) {
    sejf::v1::ListKeysResponse response;
    grpc::Status status =
        keys_->ListKeys(CallAs("reader").get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> out;
    for (const auto& key : response.keys()) out.push_back(key.name());
    return out;
  };
  EXPECT_THAT(names({}), ::testing::ElementsAre("keys/a-auth", "keys/b-off"));
  sejf::v1::ListKeysRequest offline;
  offline.set_usage(sejf::v1::KEY_USAGE_OFFLINE);
  EXPECT_THAT(names(offline), ::testing::ElementsAre("keys/b-off"));
  sejf::v1::ListKeysRequest active;
  active.set_state(sejf::v1::CREDENTIAL_STATE_ACTIVE);
  EXPECT_THAT(names(active), ::testing::ElementsAre("keys/a-auth"));
}

TEST_F(AdapterTest, ImportedTokenComesBackWithoutItsSecret) {
  sejf::v1::ImportTokenRequest request;
  request.add_permissions(sejf::v1::TOKEN_PERMISSION_INVOICE_READ);
  request.add_permissions(sejf::v1::TOKEN_PERMISSION_INVOICE_WRITE);
  request.set_description("ERP");
  request.mutable_expire_time()->set_seconds(testing::kTestNowUnixSeconds +
                                             86400);
  request.set_secret("20250101-EC-SECRET-DO-NOT-ECHO");
  sejf::v1::Token token;
  ASSERT_TRUE(ImportToken("t1", request, &token).ok());
  EXPECT_EQ(token.name(), "tokens/t1");
  EXPECT_EQ(token.context(), "nip:5265877635");
  EXPECT_THAT(token.permissions(),
              ::testing::ElementsAre(sejf::v1::TOKEN_PERMISSION_INVOICE_READ,
                                     sejf::v1::TOKEN_PERMISSION_INVOICE_WRITE));
  EXPECT_EQ(token.description(), "ERP");
  EXPECT_EQ(token.state(), sejf::v1::CREDENTIAL_STATE_ACTIVE);
  EXPECT_EQ(token.version(), 1);
  EXPECT_EQ(token.create_time().seconds(), testing::kTestNowUnixSeconds);
  EXPECT_EQ(token.expire_time().seconds(),
            testing::kTestNowUnixSeconds + 86400);
  EXPECT_THAT(token.DebugString(), ::testing::Not(HasSubstr("DO-NOT-ECHO")));

  sejf::v1::ImportTokenRequest unspecified;
  unspecified.add_permissions(sejf::v1::TOKEN_PERMISSION_INVOICE_READ);
  unspecified.add_permissions(sejf::v1::TOKEN_PERMISSION_UNSPECIFIED);
  grpc::Status refused = ImportToken("t2", unspecified);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(),
              StartsWith("permissions[1] is required: one of "
                         "TOKEN_PERMISSION_INVOICE_READ, "));
}

TEST_F(AdapterTest, AuthTokenRequestDefaultsSubjectTypeAndNamespace) {
  ASSERT_TRUE(GenerateKey("k1", sejf::v1::KEY_USAGE_AUTHENTICATION).ok());
  sejf::v1::SelfSignCertificateRequest self_sign;
  self_sign.set_name("keys/k1");
  self_sign.set_subject("CN=Jan Kowalski,C=PL,SN=TINPL-5265877635");
  self_sign.set_validity_days(30);
  sejf::v1::SelfSignCertificateResponse self_signed;
  grpc::Status certified = keys_->SelfSignCertificate(CallAs("admin").get(),
                                                      self_sign, &self_signed);
  ASSERT_TRUE(certified.ok()) << certified.error_message();
  EXPECT_TRUE(self_signed.key().has_certificate());
  EXPECT_THAT(self_signed.key().certificate().pem(),
              StartsWith("-----BEGIN CERTIFICATE-----\n"));

  sejf::v1::SignAuthTokenRequestRequest request;
  request.set_key("keys/k1");
  request.set_challenge("20260601-CR-226FB7B000-3ACF9BE4C0-10");
  request.set_context("nip:5265877635");
  sejf::v1::SignAuthTokenRequestResponse response;
  grpc::Status status =
      ksef_->SignAuthTokenRequest(CallAs("admin").get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(response.signed_xml(),
              HasSubstr("http://ksef.mf.gov.pl/auth/token/2.0"));
  EXPECT_THAT(response.signed_xml(),
              HasSubstr("<SubjectIdentifierType>certificateSubject<"));
  EXPECT_EQ(response.certificate_sha256_fingerprint(),
            self_signed.key().certificate().sha256_fingerprint());

  request.set_namespace_(sejf::v1::AUTH_TOKEN_NAMESPACE_V2_1);
  request.set_subject_identifier_type(
      sejf::v1::SUBJECT_IDENTIFIER_TYPE_CERTIFICATE_FINGERPRINT);
  status =
      ksef_->SignAuthTokenRequest(CallAs("admin").get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(response.signed_xml(),
              HasSubstr("http://ksef.mf.gov.pl/auth/token/2.1"));
  EXPECT_THAT(response.signed_xml(),
              HasSubstr("<SubjectIdentifierType>certificateFingerprint<"));

  request.set_namespace_(static_cast<sejf::v1::AuthTokenNamespace>(5));
  status =
      ksef_->SignAuthTokenRequest(CallAs("admin").get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), StartsWith("namespace: 5 is not one of"));
}

TEST_F(AdapterTest, InvoiceQrCodeNeedsNoRuleButIsAudited) {
  sejf::v1::BuildInvoiceQrCodeRequest request;
  request.set_seller_nip("5265877635");
  request.set_issue_date("2026-06-01");
  request.set_invoice_sha256(std::string(32, '\x01'));
  request.set_environment("test");
  request.mutable_png();
  sejf::v1::BuildInvoiceQrCodeResponse response;
  auto context = CallAs("nobody");
  grpc::Status status =
      ksef_->BuildInvoiceQrCode(context.get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(response.url(), HasSubstr("/invoice/5265877635/01-06-2026/"));
  EXPECT_THAT(response.png(), StartsWith("\x89PNG"));
  vault::AuditEvent event = ResultEvent(RequestId(*context));
  EXPECT_EQ(event.outcome, "OK");
  EXPECT_EQ(event.method, "/sejf.v1.KsefAuth/BuildInvoiceQrCode");
}

}  // namespace
}  // namespace sejf::server
