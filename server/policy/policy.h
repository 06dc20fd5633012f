// The access policy of sejfd: which identity may perform which operation, in
// which KSeF context, with which credential. Deny by default.
//
// A rule lists patterns (exact strings or globs, see glob.h) for identities,
// operations, contexts and credentials. A request
//   (identity, operation, context or none, credential or none)
// is allowed when some rule matches all of:
//   - the identity matches one of the rule's identities;
//   - the operation matches one of the rule's operations;
//   - when the request carries a context: it matches one of the rule's
//     contexts (a rule with no contexts grants nothing done in a context;
//     write contexts = ["*"] for every context);
//   - when the request carries a credential: likewise with credentials.
// The first matching rule, in the order given, is reported in the decision.
//
// Scoped and unscoped rules. A rule is *unscoped* when its contexts and its
// credentials are each empty or include a pattern of only `*`; otherwise it
// is *scoped* (written for some NIPs or some credentials). Whole-vault
// operations (ScopeOf in operations.h: vault.admin, mfcerts.manage) and
// whole-vault requests (AccessRequest::whole_vault: every audit event, the
// whole chain) are granted by unscoped rules only; a glob such as "*" in a
// scoped rule never reaches them, and a scoped rule that names one exactly is
// refused by Build as a mistake.
//
// Thread-safety: a Policy is immutable after Build and safe to share between
// threads; PolicyHolder (policy_holder.h) swaps whole policies on reload.
#ifndef SEJF_SERVER_POLICY_POLICY_H_
#define SEJF_SERVER_POLICY_POLICY_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "server/policy/operations.h"

namespace sejf::server {

// A rule as written in the configuration file ([[policy]]).
struct PolicyRule {
  std::string name;                     // non-empty, unique in a policy
  std::vector<std::string> identities;  // non-empty
  std::vector<std::string> operations;  // non-empty; each matches ≥ 1 op
  std::vector<std::string> contexts;  // "*" or "nip:…", "internal-id:…", …
  std::vector<std::string> credentials;  // credential (key/token) names

  bool operator==(const PolicyRule&) const = default;
};

// The name of the rule --dev adds; reserved (a configured rule may not use it).
inline constexpr absl::string_view kDevAdminRuleName = "dev-admin";

// The --dev rule: every operation, every context, every credential, for the
// identities "admin" (the development admin certificate's CN) and
// "unix:<daemon_uid>" (the daemon's own user on the unix socket).
PolicyRule DevAdminRule(uid_t daemon_uid);

struct PolicyOptions {
  // When set, DevAdminRule(*dev_admin_uid) is appended after the given rules.
  absl::optional<uid_t> dev_admin_uid;
};

// What a caller asks to do. The views must stay valid during Authorize only.
struct AccessRequest {
  absl::string_view identity;  // "spiffe://acme/erp", "unix:1000", CN, …
  Operation operation;
  absl::optional<absl::string_view> context;     // "nip:5265877635", …
  absl::optional<absl::string_view> credential;  // key or token name
  // The request reaches beyond any one context or credential (e.g. list
  // every audit event): only unscoped rules may grant it. Implied for
  // whole-vault operations.
  bool whole_vault = false;
};

struct Decision {
  bool allowed = false;
  // The name of the rule that allowed the request; empty when denied. Points
  // into the Policy that decided: valid as long as that Policy lives.
  absl::string_view rule;
};

class Policy {
 public:
  // Validates `rules` and builds the policy. INVALID_ARGUMENT naming the rule
  // (1-based position and name) and the bad value when:
  //   - a name is empty, duplicated, or the reserved "dev-admin";
  //   - identities or operations is empty;
  //   - any pattern is empty or uses [, ] or \ (only * and ? are wildcards);
  //   - an operation pattern matches no known operation (e.g. "auth.xdes");
  //   - a context pattern is neither "*" nor starts with "nip:",
  //     "internal-id:", "nip-vat-ue:" or "peppol-id:";
  //   - a scoped rule names a whole-vault operation exactly.
  // An empty rule list is valid and denies everything.
  static absl::StatusOr<std::shared_ptr<const Policy>> Build(
      std::vector<PolicyRule> rules, const PolicyOptions& options = {});

  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;
  ~Policy();

  // The decision for `request`. Never allocates.
  Decision Authorize(const AccessRequest& request) const;

  // Whether some rule would allow `request` in at least one context: as
  // Authorize, except that a rule needs some context pattern (any) instead of
  // one matching request.context, which is ignored. For authorizing by a
  // record's name before the record is looked up (its context is not known
  // yet), so the answer cannot depend on whether the record exists.
  Decision AuthorizeInSomeContext(const AccessRequest& request) const;

  // The operations some rule grants to `identity` in some context (ignoring
  // contexts and credentials; whole-vault ones only from unscoped rules), in
  // AllOperations() order. For WhoAmI.
  std::vector<Operation> GrantedOperations(absl::string_view identity) const;

  // The rules as given to Build, then the dev-admin rule if requested.
  const std::vector<PolicyRule>& rules() const { return rules_; }

 private:
  struct Pattern {
    std::string text;
    bool literal;  // no wildcard: compare for equality
    bool Matches(absl::string_view value) const;
  };
  struct CompiledRule {
    std::string name;
    std::vector<Pattern> identities;
    std::uint32_t operations;  // bit i set: Operation(i) granted
    bool unscoped;             // may grant whole-vault requests
    std::vector<Pattern> contexts;
    std::vector<Pattern> credentials;
  };

  Policy() = default;
  static bool AnyMatches(const std::vector<Pattern>& patterns,
                         absl::string_view value);

  std::vector<PolicyRule> rules_;
  std::vector<CompiledRule> compiled_;
};

}  // namespace sejf::server

#endif  // SEJF_SERVER_POLICY_POLICY_H_
