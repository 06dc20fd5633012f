#include "server/testing/in_process_sejfd.h"

#include <fcntl.h>
#include <grpcpp/server_builder.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/lifecycle/certificate_enroller.h"
#include "broker/lifecycle/ksef_tokens.h"
#include "broker/sessions/ksef_sessions.h"
#include "broker/sessions/testing/fake_ksef_api.h"
#include "common/status_macros.h"
#include "hsm/testing/fake_key_store.h"
#include "server/call_interceptor.h"
#include "server/logger.h"
#include "server/services.h"
#include "signer/custody/key_custody.h"
#include "signer/ksef/auth_token_signer.h"
#include "signer/ministry/ministry_certificate_store.h"
#include "signer/ministry/ministry_trust.h"
#include "signer/ministry/token_encryption.h"
#include "signer/qr/offline_qr_signer.h"
#include "vault/audit/audit_log.h"
#include "vault/crypto/keyring.h"
#include "vault/storage/memory_storage.h"
#include "vault/tokens/token_vault.h"

namespace sejf::server::testing {

absl::StatusOr<Caller> TestCaller(const ServiceEnvironment&,
                                  const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kTestIdentityKey);
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        absl::StrCat("in-process call without ", kTestIdentityKey));
  }
  return Caller{std::string(it->second.data(), it->second.size()), "test"};
}

std::unique_ptr<grpc::ClientContext> CallAs(const std::string& identity) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata(kTestIdentityKey, identity);
  return context;
}

PolicyRule AllowRule(const std::string& identity,
                     std::vector<std::string> operations) {
  PolicyRule rule;
  rule.name = absl::StrCat(identity, "-rule");
  rule.identities = {identity};
  rule.operations = std::move(operations);
  rule.contexts = {"*"};
  rule.credentials = {"*"};
  return rule;
}

// Declared in the order they are built; destroyed in reverse, the server
// first.
struct InProcessSejfd::Parts {
  explicit Parts(std::shared_ptr<const Policy> rules)
      : clock(TestNow()),
        storage(clock),
        policy(std::move(rules)),
        null_fd(open("/dev/null", O_WRONLY)),
        logger(/*json=*/false, null_fd),
        ksef(&clock) {}
  ~Parts() {
    if (server) {
      server->Shutdown();
      server->Wait();
    }
    server.reset();
    services.reset();
    if (audit) audit->Close().IgnoreError();
    close(null_fd);
  }

  FakeClock clock;
  hsm::testing::FakeKeyStore keys;
  vault::MemoryStorage storage;
  PolicyHolder policy;
  int null_fd;
  Logger logger;
  std::unique_ptr<vault::AuditLog> audit;
  std::unique_ptr<vault::Keyring> keyring;
  std::unique_ptr<vault::TokenVault> tokens;
  std::unique_ptr<signer::KeyCustody> custody;
  std::unique_ptr<signer::AuthTokenSigner> auth_signer;
  std::unique_ptr<signer::MinistryTrust> trust;
  std::unique_ptr<signer::MinistryCertificateStore> mfcerts;
  std::unique_ptr<signer::KsefTokenEncryptor> token_encryptor;
  std::unique_ptr<signer::OfflineQrSigner> qr_signer;
  std::unique_ptr<signer::VaultChecker> vault_check;
  // KSeF environment "test" is the fake; sessions wait by advancing the
  // clock.
  broker::testing::FakeKsefApi ksef;
  broker::testing::FakeKsefApiDirectory ksef_apis;
  std::unique_ptr<broker::KsefSessions> sessions;
  std::unique_ptr<broker::KsefTokens> ksef_tokens;
  std::unique_ptr<broker::CertificateEnroller> enroller;
  ServiceEnvironment env;
  std::unique_ptr<SejfServices> services;
  std::unique_ptr<grpc::Server> server;
};

InProcessSejfd::InProcessSejfd() = default;
InProcessSejfd::~InProcessSejfd() {
  channel_.reset();
  parts_.reset();
}

absl::StatusOr<std::unique_ptr<InProcessSejfd>> InProcessSejfd::Start(
    std::vector<PolicyRule> rules) {
  ASSIGN_OR_RETURN(std::shared_ptr<const Policy> policy,
                   Policy::Build(std::move(rules)));
  std::unique_ptr<InProcessSejfd> sejfd(new InProcessSejfd());
  sejfd->parts_ = std::make_unique<Parts>(std::move(policy));
  Parts& p = *sejfd->parts_;
  ASSIGN_OR_RETURN(p.audit,
                   vault::AuditLog::Open(&p.storage, &p.keys, &p.clock));
  ASSIGN_OR_RETURN(p.keyring,
                   vault::Keyring::Open(&p.storage, &p.keys, &p.clock));
  ASSIGN_OR_RETURN(
      p.tokens, vault::TokenVault::Open(&p.storage, p.keyring.get(), &p.clock));
  p.custody =
      std::make_unique<signer::KeyCustody>(&p.keys, &p.storage, &p.clock);
  p.auth_signer =
      std::make_unique<signer::AuthTokenSigner>(p.custody.get(), &p.clock);
  ASSIGN_OR_RETURN(p.trust, signer::MinistryTrust::Create({}, p.keyring.get()));
  p.mfcerts = std::make_unique<signer::MinistryCertificateStore>(
      &p.storage, p.trust.get(), &p.clock);
  p.token_encryptor = std::make_unique<signer::KsefTokenEncryptor>(
      p.mfcerts.get(), p.trust.get(), &p.clock);
  p.qr_signer = std::make_unique<signer::OfflineQrSigner>(p.custody.get());
  p.vault_check = std::make_unique<signer::VaultChecker>(
      &p.keys, &p.storage, p.keyring.get(), p.tokens.get());
  p.ksef_apis.Add("test", &p.ksef);
  ASSIGN_OR_RETURN(
      p.sessions,
      broker::KsefSessions::Create(
          {.apis = &p.ksef_apis,
           .storage = &p.storage,
           .keyring = p.keyring.get(),
           .tokens = p.tokens.get(),
           .signer = p.auth_signer.get(),
           .encryptor = p.token_encryptor.get(),
           .ministry_certificates = p.mfcerts.get(),
           .clock = &p.clock},
          {.sleep = [&p](absl::Duration d) { p.clock.Advance(d); }}));
  ASSIGN_OR_RETURN(p.ksef_tokens,
                   broker::KsefTokens::Create({.apis = &p.ksef_apis,
                                               .sessions = p.sessions.get(),
                                               .tokens = p.tokens.get(),
                                               .clock = &p.clock,
                                               .audit = p.audit.get()},
                                              {.sleep = [&p](absl::Duration d) {
                                                p.clock.Advance(d);
                                              }}));
  ASSIGN_OR_RETURN(
      p.enroller,
      broker::CertificateEnroller::Create(
          {.sessions = p.sessions.get(),
           .apis = &p.ksef_apis,
           .keys = p.custody.get(),
           .storage = &p.storage,
           .clock = &p.clock},
          {.sleep = [&p](absl::Duration d) { p.clock.Advance(d); }}));

  p.env.policy = &p.policy;
  p.env.logger = &p.logger;
  p.env.audit = p.audit.get();
  p.env.resolve_caller = &TestCaller;
  ASSIGN_OR_RETURN(
      p.services,
      SejfServices::Create(
          p.env, DomainServices{.keys = p.custody.get(),
                                .tokens = p.tokens.get(),
                                .auth_signer = p.auth_signer.get(),
                                .mfcerts = p.mfcerts.get(),
                                .token_encryptor = p.token_encryptor.get(),
                                .qr_signer = p.qr_signer.get(),
                                .sessions = p.sessions.get(),
                                .ksef_tokens = p.ksef_tokens.get(),
                                .enroller = p.enroller.get(),
                                .audit = p.audit.get(),
                                .vault_check = p.vault_check.get()}));
  grpc::ServerBuilder builder;
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(std::make_unique<CallInterceptorFactory>(&p.env));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  p.services->RegisterWith(builder);
  p.server = builder.BuildAndStart();
  if (p.server == nullptr) {
    return absl::InternalError("the in-process gRPC server did not start");
  }
  sejfd->channel_ = p.server->InProcessChannel(grpc::ChannelArguments());
  return sejfd;
}

FakeClock& InProcessSejfd::clock() { return parts_->clock; }
broker::testing::FakeKsefApi& InProcessSejfd::ksef() { return parts_->ksef; }

std::vector<vault::AuditEvent> InProcessSejfd::AuditEvents() const {
  std::vector<vault::AuditEvent> events;
  std::string page_token;
  do {
    absl::StatusOr<vault::AuditPage> page =
        parts_->audit->List({}, /*page_size=*/500, page_token);
    if (!page.ok()) return events;
    events.insert(events.end(), page->events.begin(), page->events.end());
    page_token = page->next_page_token;
  } while (!page_token.empty());
  return events;
}

}  // namespace sejf::server::testing
