#include "server/policy/policy.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sejf::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

PolicyRule Rule(std::string name, std::vector<std::string> identities,
                std::vector<std::string> operations,
                std::vector<std::string> contexts = {},
                std::vector<std::string> credentials = {}) {
  return PolicyRule{std::move(name), std::move(identities),
                    std::move(operations), std::move(contexts),
                    std::move(credentials)};
}

std::shared_ptr<const Policy> MustBuild(std::vector<PolicyRule> rules,
                                        PolicyOptions options = {}) {
  auto policy = Policy::Build(std::move(rules), options);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *policy : nullptr;
}

absl::Status BuildError(std::vector<PolicyRule> rules) {
  auto policy = Policy::Build(std::move(rules));
  if (policy.ok()) return absl::OkStatus();
  return policy.status();
}

AccessRequest Request(absl::string_view identity, Operation op,
                      absl::optional<absl::string_view> context = {},
                      absl::optional<absl::string_view> credential = {}) {
  return AccessRequest{identity, op, context, credential};
}

// The rule from the example configuration: the ERP signs XAdES requests for
// one company with its own keys.
PolicyRule ErpRule() {
  return Rule("erp-signing", {"spiffe://acme/erp/*"}, {"auth.xades"},
              {"nip:5265877635"}, {"acme-auth-*"});
}

TEST(PolicyTest, AllowsMatchingRequestAndNamesTheRule) {
  auto policy = MustBuild({ErpRule()});
  Decision d = policy->Authorize(Request("spiffe://acme/erp/billing",
                                         Operation::kAuthXades,
                                         "nip:5265877635", "acme-auth-2025"));
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.rule, "erp-signing");
}

TEST(PolicyTest, EmptyPolicyDeniesEverything) {
  auto policy = MustBuild({});
  for (Operation op : AllOperations()) {
    Decision d = policy->Authorize(Request("admin", op));
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.rule, "");
  }
}

TEST(PolicyTest, IdentityMustMatchExactlyOrByGlob) {
  auto policy = MustBuild(
      {Rule("exact", {"spiffe://acme/ops"}, {"keys.read"}),
       Rule("glob", {"spiffe://acme/erp/*", "spiffe://acme/eu/**", "cn-?"},
            {"tokens.read"})});
  EXPECT_TRUE(
      policy->Authorize(Request("spiffe://acme/ops", Operation::kKeysRead))
          .allowed);
  EXPECT_FALSE(
      policy->Authorize(Request("spiffe://acme/ops/x", Operation::kKeysRead))
          .allowed);
  EXPECT_FALSE(
      policy->Authorize(Request("spiffe://acme/op", Operation::kKeysRead))
          .allowed);
  EXPECT_TRUE(
      policy->Authorize(Request("spiffe://acme/erp/a", Operation::kTokensRead))
          .allowed);
  // `*` stays within one path segment; `**` spans any depth.
  EXPECT_FALSE(
      policy
          ->Authorize(Request("spiffe://acme/erp/a/b", Operation::kTokensRead))
          .allowed);
  EXPECT_FALSE(policy
                   ->Authorize(Request("spiffe://acme/erp/../ops/key-admin",
                                       Operation::kTokensRead))
                   .allowed);
  EXPECT_TRUE(
      policy->Authorize(Request("spiffe://acme/eu/a/b", Operation::kTokensRead))
          .allowed);
  EXPECT_FALSE(
      policy->Authorize(Request("spiffe://acme/erpx/a", Operation::kTokensRead))
          .allowed);
  EXPECT_TRUE(
      policy->Authorize(Request("cn-1", Operation::kTokensRead)).allowed);
  EXPECT_FALSE(
      policy->Authorize(Request("cn-12", Operation::kTokensRead)).allowed);
}

TEST(PolicyTest, OperationMustMatchExactlyOrByGlob) {
  auto policy = MustBuild({Rule("auth", {"svc"}, {"auth.*", "keys.read"})});
  EXPECT_TRUE(policy->Authorize(Request("svc", Operation::kAuthXades)).allowed);
  EXPECT_TRUE(policy->Authorize(Request("svc", Operation::kAuthToken)).allowed);
  EXPECT_TRUE(policy->Authorize(Request("svc", Operation::kKeysRead)).allowed);
  EXPECT_FALSE(
      policy->Authorize(Request("svc", Operation::kKeysManage)).allowed);
  EXPECT_FALSE(
      policy->Authorize(Request("svc", Operation::kQrOffline)).allowed);
}

TEST(PolicyTest, ContextMustMatchExactlyOrByGlob) {
  auto policy =
      MustBuild({Rule("ctx", {"svc"}, {"auth.token"},
                      {"nip:52658*", "internal-id:5265877635-12345"}, {"*"})});
  auto allowed = [&](absl::string_view context) {
    return policy->Authorize(Request("svc", Operation::kAuthToken, context))
        .allowed;
  };
  EXPECT_TRUE(allowed("nip:5265877635"));
  EXPECT_TRUE(allowed("nip:5265800000"));
  EXPECT_FALSE(allowed("nip:1111111111"));
  EXPECT_FALSE(allowed("nip-vat-ue:5265877635-DE123"));
  EXPECT_TRUE(allowed("internal-id:5265877635-12345"));
  EXPECT_FALSE(allowed("internal-id:5265877635-12346"));
}

TEST(PolicyTest, CredentialMustMatchExactlyOrByGlob) {
  auto policy = MustBuild({Rule("cred", {"svc"}, {"auth.xades"}, {"*"},
                                {"acme-auth-*", "legacy"})});
  auto allowed = [&](absl::string_view credential) {
    return policy
        ->Authorize(
            Request("svc", Operation::kAuthXades, "nip:5265877635", credential))
        .allowed;
  };
  EXPECT_TRUE(allowed("acme-auth-2025"));
  EXPECT_TRUE(allowed("legacy"));
  EXPECT_FALSE(allowed("legacy2"));
  EXPECT_FALSE(allowed("other-auth-2025"));
}

TEST(PolicyTest, RuleWithoutContextsDeniesRequestsMadeInAContext) {
  auto policy = MustBuild({Rule("no-contexts", {"svc"}, {"*"})});
  EXPECT_TRUE(policy->Authorize(Request("svc", Operation::kKeysRead)).allowed);
  EXPECT_FALSE(
      policy->Authorize(Request("svc", Operation::kAuthToken, "nip:5265877635"))
          .allowed);
}

TEST(PolicyTest, RuleWithoutCredentialsDeniesRequestsNamingACredential) {
  auto policy = MustBuild({Rule("no-credentials", {"svc"}, {"*"}, {"*"})});
  EXPECT_TRUE(
      policy->Authorize(Request("svc", Operation::kAuthToken, "nip:5265877635"))
          .allowed);
  EXPECT_FALSE(policy
                   ->Authorize(Request("svc", Operation::kAuthToken,
                                       "nip:5265877635", "acme-token"))
                   .allowed);
}

TEST(PolicyTest, StarContextAllowsEveryContext) {
  auto policy = MustBuild({Rule("all", {"svc"}, {"qr.offline"}, {"*"}, {"*"})});
  for (absl::string_view context :
       {"nip:5265877635", "internal-id:1-2", "nip-vat-ue:1-DE2",
        "peppol-id:PPL123456"}) {
    EXPECT_TRUE(
        policy->Authorize(Request("svc", Operation::kQrOffline, context, "k"))
            .allowed)
        << context;
  }
}

TEST(PolicyTest, AllConditionsMustHoldInOneRule) {
  // Identity from one rule and context from another do not combine.
  auto policy = MustBuild(
      {Rule("a", {"erp"}, {"auth.xades"}, {"nip:1111111111"}, {"*"}),
       Rule("b", {"other"}, {"auth.xades"}, {"nip:2222222222"}, {"*"})});
  EXPECT_FALSE(policy
                   ->Authorize(Request("erp", Operation::kAuthXades,
                                       "nip:2222222222", "k"))
                   .allowed);
}

TEST(PolicyTest, FirstMatchingRuleIsReported) {
  auto policy = MustBuild({Rule("narrow", {"svc"}, {"keys.read"}),
                           Rule("broad", {"*"}, {"keys.*"})});
  EXPECT_EQ(policy->Authorize(Request("svc", Operation::kKeysRead)).rule,
            "narrow");
  EXPECT_EQ(policy->Authorize(Request("svc", Operation::kKeysManage)).rule,
            "broad");
}

TEST(PolicyTest, DevAdminGrantsEverythingToAdminAndDaemonUser) {
  PolicyOptions options;
  options.dev_admin_uid = 1234;
  auto policy = MustBuild({}, options);
  for (absl::string_view identity : {"admin", "unix:1234"}) {
    for (Operation op : AllOperations()) {
      Decision d = policy->Authorize(
          Request(identity, op, "peppol-id:PPL123456", "any-credential"));
      EXPECT_TRUE(d.allowed) << identity << " " << OperationName(op);
      EXPECT_EQ(d.rule, "dev-admin");
      EXPECT_TRUE(policy->Authorize(Request(identity, op)).allowed);
    }
  }
  EXPECT_FALSE(
      policy->Authorize(Request("unix:1235", Operation::kKeysRead)).allowed);
  EXPECT_FALSE(
      policy->Authorize(Request("admin2", Operation::kKeysRead)).allowed);
  ASSERT_EQ(policy->rules().size(), 1u);
  EXPECT_EQ(policy->rules()[0], DevAdminRule(1234));
}

TEST(PolicyTest, DevAdminComesAfterConfiguredRules) {
  PolicyOptions options;
  options.dev_admin_uid = 7;
  auto policy = MustBuild({Rule("ops", {"admin"}, {"keys.read"})}, options);
  EXPECT_EQ(policy->Authorize(Request("admin", Operation::kKeysRead)).rule,
            "ops");
  EXPECT_EQ(policy->Authorize(Request("admin", Operation::kKeysManage)).rule,
            "dev-admin");
  EXPECT_EQ(policy->rules().back().name, "dev-admin");
}

TEST(PolicyTest, WithoutDevModeAdminIsNobodySpecial) {
  auto policy = MustBuild({});
  EXPECT_FALSE(
      policy->Authorize(Request("admin", Operation::kKeysRead)).allowed);
}

TEST(PolicyTest, GrantedOperationsIsTheUnionOverMatchingRules) {
  auto policy =
      MustBuild({Rule("erp", {"spiffe://acme/erp/*"}, {"auth.*"}),
                 Rule("read", {"spiffe://acme/**"}, {"keys.read"}),
                 Rule("audit", {"spiffe://acme/audit"}, {"audit.read"})});
  EXPECT_THAT(policy->GrantedOperations("spiffe://acme/erp/x"),
              ElementsAre(Operation::kKeysRead, Operation::kAuthXades,
                          Operation::kAuthToken));
  EXPECT_THAT(policy->GrantedOperations("spiffe://acme/audit"),
              ElementsAre(Operation::kKeysRead, Operation::kAuditRead));
  EXPECT_THAT(policy->GrantedOperations("spiffe://other/erp/x"), IsEmpty());
}

// The finding of the security review: an identity allowed only one NIP and
// its own credentials could rotate the vault's keys, manage the Ministry
// certificates and read every tenant's audit events.
PolicyRule ScopedTenantRule() {
  return Rule("acme", {"spiffe://acme/erp"}, {"*"}, {"nip:5265877635"},
              {"acme-*"});
}

TEST(PolicyTest, ScopedRuleNeverGrantsWholeVaultOperations) {
  auto policy = MustBuild({ScopedTenantRule()});
  for (Operation op : {Operation::kVaultAdmin, Operation::kMfcertsManage}) {
    EXPECT_FALSE(policy->Authorize(Request("spiffe://acme/erp", op)).allowed)
        << OperationName(op);
  }
  AccessRequest every_event =
      Request("spiffe://acme/erp", Operation::kAuditRead);
  every_event.whole_vault = true;
  EXPECT_FALSE(policy->Authorize(every_event).allowed);
  // What the rule is for still works.
  EXPECT_TRUE(
      policy
          ->Authorize(Request("spiffe://acme/erp", Operation::kAuthXades,
                              "nip:5265877635", "acme-auth"))
          .allowed);
  EXPECT_TRUE(policy
                  ->Authorize(Request("spiffe://acme/erp",
                                      Operation::kAuditRead, "nip:5265877635"))
                  .allowed);
  EXPECT_THAT(policy->GrantedOperations("spiffe://acme/erp"),
              ::testing::Not(::testing::Contains(Operation::kVaultAdmin)));
}

TEST(PolicyTest, UnscopedRuleGrantsWholeVaultOperations) {
  auto policy =
      MustBuild({Rule("vault-admins", {"spiffe://acme/ops"}, {"vault.admin"}),
                 Rule("auditors", {"spiffe://acme/audit"}, {"audit.read"},
                      {"*"}, {"*"})});
  EXPECT_TRUE(
      policy->Authorize(Request("spiffe://acme/ops", Operation::kVaultAdmin))
          .allowed);
  AccessRequest every_event =
      Request("spiffe://acme/audit", Operation::kAuditRead);
  every_event.whole_vault = true;
  EXPECT_TRUE(policy->Authorize(every_event).allowed);
}

TEST(PolicyTest, ScopedRuleNamingAWholeVaultOperationIsRejected) {
  PolicyRule rule = ScopedTenantRule();
  rule.operations = {"tokens.manage", "vault.admin"};
  absl::Status s = BuildError({rule});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(),
              HasSubstr("\"vault.admin\" acts on the whole vault"));
  EXPECT_THAT(s.message(), HasSubstr("\"acme\""));
}

TEST(PolicyTest, UnknownOperationIsRejectedByName) {
  PolicyRule rule = ErpRule();
  rule.operations = {"auth.xades", "auth.xdes"};
  absl::Status s = BuildError({rule});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("\"auth.xdes\""));
  EXPECT_THAT(s.message(), HasSubstr("erp-signing"));
  EXPECT_THAT(s.message(), HasSubstr("known: keys.read"));
}

TEST(PolicyTest, OperationGlobMatchingNothingIsRejected) {
  absl::Status s = BuildError({Rule("r", {"x"}, {"sign.*"})});
  EXPECT_THAT(s.message(), HasSubstr("\"sign.*\""));
}

TEST(PolicyTest, ContextWithoutKnownTypeIsRejectedByName) {
  absl::Status s = BuildError({Rule("r1", {"x"}, {"*"}, {"nip:1"}),
                               Rule("typo", {"x"}, {"*"}, {"5265877635"})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("policy rule 2 (\"typo\")"));
  EXPECT_THAT(s.message(), HasSubstr("\"5265877635\""));
  EXPECT_THAT(s.message(), HasSubstr("nip:"));
  EXPECT_FALSE(BuildError({Rule("r", {"x"}, {"*"}, {"nip*"})}).ok());
  EXPECT_FALSE(BuildError({Rule("r", {"x"}, {"*"}, {"vat:PL1"})}).ok());
}

TEST(PolicyTest, EveryKnownContextTypeAndStarAreAccepted) {
  EXPECT_TRUE(BuildError({Rule("r", {"x"}, {"*"},
                               {"*", "nip:*", "internal-id:1-2",
                                "nip-vat-ue:1-DE2", "peppol-id:PPL*"})})
                  .ok());
}

TEST(PolicyTest, RuleShapeErrorsNameTheRule) {
  EXPECT_THAT(BuildError({Rule("", {"x"}, {"*"})}).message(),
              HasSubstr("policy rule 1: name must not be empty"));
  EXPECT_THAT(
      BuildError({Rule("a", {"x"}, {"*"}), Rule("a", {"y"}, {"*"})}).message(),
      HasSubstr("policy rule 2 (\"a\"): another rule has the same"));
  EXPECT_THAT(BuildError({Rule("noid", {}, {"*"})}).message(),
              HasSubstr("(\"noid\"): identities must list"));
  EXPECT_THAT(BuildError({Rule("noop", {"x"}, {})}).message(),
              HasSubstr("(\"noop\"): operations must list"));
  EXPECT_THAT(BuildError({Rule("dev-admin", {"x"}, {"*"})}).message(),
              HasSubstr("reserved"));
  EXPECT_THAT(BuildError({Rule("empty", {"x", ""}, {"*"})}).message(),
              HasSubstr("(\"empty\"): identities: an empty pattern"));
  EXPECT_THAT(
      BuildError({Rule("br", {"x"}, {"*"}, {"*"}, {"k[12]"})}).message(),
      HasSubstr("(\"br\"): credentials: pattern \"k[12]\""));
}

TEST(PolicyTest, UnknownOperationValueInRequestIsDenied) {
  auto policy = MustBuild({Rule("all", {"*"}, {"*"}, {"*"}, {"*"})});
  EXPECT_FALSE(
      policy->Authorize(Request("x", static_cast<Operation>(200))).allowed);
}

// AuthorizeInSomeContext: authorizing by name before a record's lookup.
TEST(PolicyTest, InSomeContextNeedsTheNameButNotTheRecordsContext) {
  auto policy = MustBuild(
      {Rule("acme-tokens", {"erp"}, {"tokens.read"}, {"nip:5265877635"},
            {"acme-*"}),
       Rule("no-contexts", {"erp"}, {"tokens.read"}, {}, {"beta-*"})});
  Decision d = policy->AuthorizeInSomeContext(
      Request("erp", Operation::kTokensRead, "nip:1111111111", "acme-tok"));
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.rule, "acme-tokens");
  // Another name, another identity, another operation: no rule at all.
  EXPECT_FALSE(policy
                   ->AuthorizeInSomeContext(
                       Request("erp", Operation::kTokensRead, {}, "other-tok"))
                   .allowed);
  EXPECT_FALSE(policy
                   ->AuthorizeInSomeContext(Request(
                       "stranger", Operation::kTokensRead, {}, "acme-tok"))
                   .allowed);
  EXPECT_FALSE(policy
                   ->AuthorizeInSomeContext(
                       Request("erp", Operation::kTokensManage, {}, "acme-tok"))
                   .allowed);
  // A rule without contexts grants nothing done in a context, so nothing
  // on a record that has one.
  EXPECT_FALSE(policy
                   ->AuthorizeInSomeContext(
                       Request("erp", Operation::kTokensRead, {}, "beta-tok"))
                   .allowed);
}

}  // namespace
}  // namespace sejf::server
